# gomhc_add_kernel(): turn one op variant into Halide AOT libraries.
#
#   gomhc_add_kernel(<op> <variant> KEY <a> <b> PARAMS <name=value>...
#                    [CUDA_FEATURES <feature>...])
#
# builds gomhc_<op>_<variant>_cpu for every GOMHC_CPU_TARGETS ISA (one
# library, Halide dispatches at run time) and, with GOMHC_BUILD_CUDA,
# gomhc_<op>_<variant>_cuda. KEY is what the runtime looks the variant up by
# (n for the Cayley map, (d, s) for the projection, d for stream mixing;
# 0 0 for the generic variant). Every library shares one Halide runtime.
# The registry of variants is written by gomhc_write_kernel_registry().

# One runtime for all kernels, CPU and CUDA. Its target is the plain x86-64
# ISA, so it runs anywhere the kernels' baseline does.
function(_gomhc_runtime_target OUT)
    list(GET GOMHC_CPU_TARGETS -1 baseline)
    if (GOMHC_BUILD_CUDA)
        string(REGEX REPLACE "^x86-64-linux" "" cuda_features "${GOMHC_CUDA_TARGET}")
        set(${OUT} "${baseline}${cuda_features}" PARENT_SCOPE)
    else ()
        set(${OUT} "${baseline}" PARENT_SCOPE)
    endif ()
endfunction()

function(gomhc_add_halide_runtime)
    _gomhc_runtime_target(runtime_target)
    set(object "${CMAKE_CURRENT_BINARY_DIR}/gomhc_halide_runtime.o")
    add_custom_command(OUTPUT "${object}"
                       COMMAND gomhc_generators -r gomhc_halide_runtime -o . -e object
                               "target=${runtime_target}"
                       DEPENDS gomhc_generators
                       WORKING_DIRECTORY "${CMAKE_CURRENT_BINARY_DIR}"
                       COMMENT "Generating the Halide runtime for ${runtime_target}"
                       VERBATIM)
    add_library(gomhc_halide_runtime STATIC "${object}")
    set_target_properties(gomhc_halide_runtime PROPERTIES LINKER_LANGUAGE CXX
                                                          POSITION_INDEPENDENT_CODE ON)
    target_link_libraries(gomhc_halide_runtime INTERFACE Halide::Runtime Threads::Threads
                                                         ${CMAKE_DL_LIBS})
endfunction()

function(gomhc_add_kernel OP VARIANT)
    cmake_parse_arguments(ARG "" "" "KEY;PARAMS;CUDA_FEATURES" ${ARGN})
    list(GET ARG_KEY 0 key_a)
    list(GET ARG_KEY 1 key_b)

    gomhc_tuned_params(${OP} ${VARIANT} cpu tuned_cpu)
    _gomhc_autoscheduler_args(tuned_cpu autoscheduler)
    set(cpu_lib gomhc_${OP}_${VARIANT}_cpu)
    add_halide_library(${cpu_lib} FROM gomhc_generators
                       GENERATOR ${OP}
                       TARGETS ${GOMHC_CPU_TARGETS}
                       USE_RUNTIME gomhc_halide_runtime
                       ${autoscheduler}
                       PARAMS ${ARG_PARAMS} ${tuned_cpu})
    set_property(GLOBAL APPEND PROPERTY GOMHC_KERNEL_LIBRARIES ${cpu_lib})
    set_property(GLOBAL APPEND PROPERTY GOMHC_KERNELS_${OP} "${key_a},${key_b},host,${cpu_lib}")

    if (GOMHC_BUILD_CUDA)
        gomhc_tuned_params(${OP} ${VARIANT} cuda tuned_cuda)
        set(cuda_lib gomhc_${OP}_${VARIANT}_cuda)
        set(cuda_target "${GOMHC_CUDA_TARGET}")
        foreach (feature IN LISTS ARG_CUDA_FEATURES)
            string(APPEND cuda_target "-${feature}")
        endforeach ()
        add_halide_library(${cuda_lib} FROM gomhc_generators
                           GENERATOR ${OP}
                           TARGETS ${cuda_target}
                           USE_RUNTIME gomhc_halide_runtime
                           PARAMS ${ARG_PARAMS} ${tuned_cuda})
        set_property(GLOBAL APPEND PROPERTY GOMHC_KERNEL_LIBRARIES ${cuda_lib})
        set_property(GLOBAL APPEND PROPERTY GOMHC_KERNELS_${OP} "${key_a},${key_b},cuda,${cuda_lib}")
        set_property(GLOBAL APPEND PROPERTY GOMHC_CUDA_KERNEL_LIBRARIES ${cuda_lib})
    endif ()
endfunction()

# Writes, for each op, <op>_variants.inc: one `{a, b, Device::..., function},`
# line per variant, and kernel_headers.inc including every generated header.
function(gomhc_write_kernel_registry DIR)
    set(ops cayley_forward cayley_backward orthostochastic_forward orthostochastic_backward
            stream_read_forward stream_read_backward stream_write_forward stream_write_backward
            coefficients_forward coefficients_backward accumulate sinkhorn_forward
            sinkhorn_backward permutation_mix_forward permutation_mix_backward kromhc_forward
            kromhc_backward kronecker_forward kronecker_backward)
    set(headers "")
    foreach (op IN LISTS ops)
        get_property(entries GLOBAL PROPERTY GOMHC_KERNELS_${op})
        set(lines "")
        foreach (entry IN LISTS entries)
            string(REPLACE "," ";" fields "${entry}")
            list(GET fields 0 a)
            list(GET fields 1 b)
            list(GET fields 2 device)
            list(GET fields 3 function)
            string(APPEND lines "{${a}, ${b}, Device::${device}, &${function}},\n")
            string(APPEND headers "#include \"${function}.h\"\n")
        endforeach ()
        file(CONFIGURE OUTPUT "${DIR}/${op}_variants.inc" CONTENT "${lines}")
    endforeach ()
    file(CONFIGURE OUTPUT "${DIR}/kernel_headers.inc" CONTENT "${headers}")
endfunction()

# A tuned "autoscheduler=<name>" entry becomes add_halide_library's
# AUTOSCHEDULER argument (and leaves the parameter list).
function(_gomhc_autoscheduler_args PARAMS_VAR OUT)
    set(params "${${PARAMS_VAR}}")
    set(args "")
    foreach (item IN LISTS params)
        if (item MATCHES "^autoscheduler=(.+)$")
            set(args AUTOSCHEDULER "Halide::${CMAKE_MATCH_1}")
            list(REMOVE_ITEM params "${item}")
        endif ()
    endforeach ()
    set(${PARAMS_VAR} "${params}" PARENT_SCOPE)
    set(${OUT} "${args}" PARENT_SCOPE)
endfunction()
