# The kernel libraries of every op in the op registry (registry.cmake), and
# the runtime's tables of them.
#
#   gomhc_add_registered_kernels()
#       builds every variant of every registered op (see registry.cmake);
#   gomhc_add_kernel(<op> <variant> KEY <a> <b> PARAMS <name=value>...
#                    [GPU_FEATURES <feature>...])
#       builds one: gomhc_<op>_<variant>_cpu for every GOMHC_CPU_TARGETS ISA
#       (one library, Halide dispatches at run time) and, from the same GPU
#       schedule, gomhc_<op>_<variant>_cuda with GOMHC_BUILD_CUDA and
#       gomhc_<op>_<variant>_opencl with GOMHC_BUILD_OPENCL. KEY is what the runtime
#       looks a specialised variant up by (n for the Cayley map, (d, s) for
#       the projection, d for stream mixing; 0 0 otherwise). Every library
#       shares one Halide runtime;
#   gomhc_write_kernel_registry(<dir>)
#       writes the runtime's tables of what was built.
include(GomhcRegistry)

# One runtime for all kernels, CPU and GPU. Its target is the plain x86-64
# ISA, so it runs anywhere the kernels' baseline does, with every GPU API
# built.
function(_gomhc_runtime_target OUT)
    list(GET GOMHC_CPU_TARGETS -1 target)
    foreach (api CUDA OPENCL)
        if (GOMHC_BUILD_${api})
            string(REGEX REPLACE "^x86-64-linux" "" features "${GOMHC_${api}_TARGET}")
            string(APPEND target "${features}")
        endif ()
    endforeach ()
    set(${OUT} "${target}" PARENT_SCOPE)
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
    cmake_parse_arguments(ARG "" "" "KEY;PARAMS;GPU_FEATURES" ${ARGN})
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
    set_property(GLOBAL APPEND PROPERTY GOMHC_KERNELS_${OP} "${VARIANT},${key_a},${key_b},host,${cpu_lib}")

    # The GPU schedule, for each GPU API built; the GPU knobs tuned on CUDA
    # (cuda.tuned) serve both.
    gomhc_tuned_params(${OP} ${VARIANT} cuda tuned_gpu)
    foreach (api cuda opencl)
        string(TOUPPER ${api} API)
        if (NOT GOMHC_BUILD_${API})
            continue()
        endif ()
        set(gpu_lib gomhc_${OP}_${VARIANT}_${api})
        set(gpu_target "${GOMHC_${API}_TARGET}")
        foreach (feature IN LISTS ARG_GPU_FEATURES)
            string(APPEND gpu_target "-${feature}")
        endforeach ()
        add_halide_library(${gpu_lib} FROM gomhc_generators
                           GENERATOR ${OP}
                           TARGETS ${gpu_target}
                           USE_RUNTIME gomhc_halide_runtime
                           PARAMS ${ARG_PARAMS} ${tuned_gpu})
        set_property(GLOBAL APPEND PROPERTY GOMHC_KERNEL_LIBRARIES ${gpu_lib})
        set_property(GLOBAL APPEND PROPERTY GOMHC_KERNELS_${OP} "${VARIANT},${key_a},${key_b},${api},${gpu_lib}")
        set_property(GLOBAL APPEND PROPERTY GOMHC_${API}_KERNEL_LIBRARIES ${gpu_lib})
    endforeach ()
endfunction()

# The variants SPECIALISE asks for, as "name,a,b,param=value|..." entries.
function(_gomhc_specialised_variants rule OUT)
    set(entries "")
    if (rule STREQUAL "n")
        set(sizes "")
        foreach (d IN LISTS GOMHC_SPECIALISED_D)
            foreach (s IN LISTS GOMHC_SPECIALISED_S)
                math(EXPR n "${d} * ${s}")
                # n = 1 needs no kernel: Q = [1].
                if (n GREATER 1 AND NOT n GREATER GOMHC_MAX_SPECIALISED_N AND NOT n IN_LIST sizes)
                    list(APPEND sizes ${n})
                    list(APPEND entries "n${n},${n},0,n=${n}")
                endif ()
            endforeach ()
        endforeach ()
    elseif (rule STREQUAL "d_s")
        foreach (d IN LISTS GOMHC_SPECIALISED_D)
            foreach (s IN LISTS GOMHC_SPECIALISED_S)
                math(EXPR n "${d} * ${s}")
                if (NOT n GREATER GOMHC_MAX_SPECIALISED_N)
                    list(APPEND entries "d${d}s${s},${d},${s},d=${d}|s=${s}")
                endif ()
            endforeach ()
        endforeach ()
    elseif (rule STREQUAL "d")
        foreach (d IN LISTS GOMHC_SPECIALISED_D)
            list(APPEND entries "d${d},${d},0,d=${d}")
        endforeach ()
    elseif (rule MATCHES "^d=([0-9,]+)$")
        string(REPLACE "," ";" ds "${CMAKE_MATCH_1}")
        foreach (d IN LISTS ds)
            list(APPEND entries "d${d},${d},0,d=${d}")
        endforeach ()
    elseif (NOT rule STREQUAL "")
        message(FATAL_ERROR "registry.cmake: unknown SPECIALISE rule '${rule}'")
    endif ()
    set(${OUT} ${entries} PARENT_SCOPE)
endfunction()

function(gomhc_add_registered_kernels)
    get_property(ops GLOBAL PROPERTY GOMHC_OPS)
    foreach (op IN LISTS ops)
        get_property(rule GLOBAL PROPERTY GOMHC_OP_${op}_SPECIALISE)
        _gomhc_specialised_variants("${rule}" entries)
        foreach (entry IN LISTS entries)
            string(REPLACE "," ";" fields "${entry}")
            list(GET fields 0 name)
            list(GET fields 1 a)
            list(GET fields 2 b)
            list(GET fields 3 params)
            string(REPLACE "|" ";" params "${params}")
            gomhc_add_kernel(${op} ${name} KEY ${a} ${b} PARAMS ${params})
        endforeach ()
        get_property(generic GLOBAL PROPERTY GOMHC_OP_${op}_GENERIC)
        if (generic)
            get_property(params GLOBAL PROPERTY GOMHC_OP_${op}_GENERIC_PARAMS)
            get_property(features GLOBAL PROPERTY GOMHC_OP_${op}_GENERIC_GPU_FEATURES)
            gomhc_add_kernel(${op} generic KEY 0 0 PARAMS ${params} GPU_FEATURES ${features})
        endif ()
        get_property(variant GLOBAL PROPERTY GOMHC_OP_${op}_VARIANT)
        if (variant)
            list(POP_FRONT variant name)
            gomhc_add_kernel(${op} ${name} KEY 0 0 PARAMS ${variant})
        endif ()
    endforeach ()
endfunction()

# Writes <dir>/kernel_registry.h (each op's kernel type and table accessor,
# included by runtime/src/kernels.h) and <dir>/kernel_registry.cpp (the
# tables: one {name, a, b, device, function} row per library built).
function(gomhc_write_kernel_registry DIR)
    get_property(ops GLOBAL PROPERTY GOMHC_OPS)
    set(generated "// Generated from registry.cmake by cmake/GomhcKernels.cmake.\n")
    set(header "${generated}#pragma once\n\n")
    set(declarations "")
    set(tables "")
    foreach (op IN LISTS ops)
        get_property(entries GLOBAL PROPERTY GOMHC_KERNELS_${op})
        if (NOT entries)
            message(FATAL_ERROR "registry.cmake: op ${op} has no variants (give it SPECIALISE, GENERIC or VARIANT)")
        endif ()
        _gomhc_camel_case(${op} type)
        set(rows "")
        set(first "")
        foreach (entry IN LISTS entries)
            string(REPLACE "," ";" fields "${entry}")
            list(GET fields 0 name)
            list(GET fields 1 a)
            list(GET fields 2 b)
            list(GET fields 3 device)
            list(GET fields 4 function)
            if (NOT first)
                set(first "${function}")
            endif ()
            string(APPEND header "#include \"${function}.h\"\n")
            string(APPEND rows "        {\"${name}\", ${a}, ${b}, Device::${device}, &${function}},\n")
        endforeach ()
        string(APPEND declarations "using ${type} = decltype(&${first});\n"
                                   "const Variant<${type}> *${op}_variants(int *count);\n")
        string(APPEND tables "const Variant<${type}> *${op}_variants(int *count) {\n"
                             "    static const Variant<${type}> table[] = {\n${rows}    };\n"
                             "    *count = int(sizeof(table) / sizeof(table[0]));\n"
                             "    return table;\n}\n\n")
    endforeach ()
    string(APPEND header "\nnamespace gomhc::kernels {\n\n${declarations}\n}  // namespace gomhc::kernels\n")
    file(CONFIGURE OUTPUT "${DIR}/kernel_registry.h" CONTENT "${header}" @ONLY)
    file(CONFIGURE OUTPUT "${DIR}/kernel_registry.cpp"
         CONTENT "${generated}#include \"kernels.h\"\n\nnamespace gomhc::kernels {\n\n${tables}}  // namespace gomhc::kernels\n"
         @ONLY)
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
