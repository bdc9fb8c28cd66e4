# Runs ptxas on the PTX of every CUDA kernel library, for one GPU
# architecture: a kernel the driver could not JIT for that GPU fails here.
#   cmake -DPTXAS=... -DEXTRACT=... -DGPU=sm_90 -DWORK=dir -DLIBRARY_LIST=file -P check_ptx.cmake
# (LIBRARY_LIST names a file with one library path per line.)
# Exit code 77 (reported by CTest as skipped) when ptxas is missing.
if (NOT PTXAS OR NOT EXISTS "${PTXAS}")
    message("SKIP ptxas check: ptxas not found (install the CUDA toolkit to run it)")
    cmake_language(EXIT 77)
endif ()
file(REMOVE_RECURSE "${WORK}")
file(MAKE_DIRECTORY "${WORK}")
file(STRINGS "${LIBRARY_LIST}" LIBRARIES)
set(checked 0)
foreach (library IN LISTS LIBRARIES)
    get_filename_component(name "${library}" NAME_WE)
    execute_process(COMMAND "${EXTRACT}" "${library}" "${WORK}/${name}"
                    RESULT_VARIABLE result OUTPUT_VARIABLE count OUTPUT_STRIP_TRAILING_WHITESPACE)
    if (NOT result EQUAL 0)
        message(FATAL_ERROR "no PTX found in ${library}")
    endif ()
    file(GLOB modules "${WORK}/${name}.*.ptx")
    foreach (module IN LISTS modules)
        execute_process(COMMAND "${PTXAS}" --gpu-name ${GPU} -o "${module}.cubin" "${module}"
                        RESULT_VARIABLE result ERROR_VARIABLE errors)
        if (NOT result EQUAL 0)
            message(FATAL_ERROR "ptxas --gpu-name ${GPU} rejected ${module} (from ${library}):\n${errors}")
        endif ()
        math(EXPR checked "${checked} + 1")
    endforeach ()
endforeach ()
message("ptxas --gpu-name ${GPU} accepted ${checked} PTX modules")
