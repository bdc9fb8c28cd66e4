# Assembles the PTX of every CUDA kernel library for one GPU architecture
# and checks the per-thread resources ptxas assigns to every kernel:
#   cmake -DPTXAS=... -DEXTRACT=... -DGPU=sm_90 -DWORK=dir -DLIBRARY_LIST=file
#         [-DMAX_STACK_BYTES=16384] [-DMAX_SPILL_BYTES=256] -P check_ptx.cmake
# (LIBRARY_LIST names a file with one library path per line.) Prints one line
# per kernel: stack frame, spill stores and loads, registers, shared memory.
# Exit code 77 (reported by CTest as skipped) when ptxas is missing.
#
# The bounds, and why:
# - Stack frame (local memory) <= 16 KiB per thread. The driver reserves a
#   kernel's local memory for every thread that can be resident at once, not
#   for the threads launched: 16 KiB x 2048 threads x 132 SMs = 4.3 GiB on an
#   H100/H200-class GPU. Larger frames make the launch fail for lack of
#   memory or leave the kernel crawling through L2 and DRAM.
# - Spill stores and spill loads <= 256 bytes each per thread: a few spilled
#   registers are harmless (the largest today, 84 bytes, is the unrolled
#   cayley_backward n = 8 at 255 registers), but spilling more means a
#   schedule keeps too much in registers and runs from local memory instead.
# The dynamic shared memory of a kernel is sized at launch and does not show
# here; the static shared memory does and is reported.
if (NOT PTXAS OR NOT EXISTS "${PTXAS}")
    # CTest skips on exit code 77 or on the "SKIP ptxas" line (CMake before
    # 3.29 cannot choose a script's exit code).
    if (CMAKE_VERSION VERSION_GREATER_EQUAL 3.29)
        message("SKIP ptxas check: ptxas not found (install the CUDA toolkit to run it)")
        cmake_language(EXIT 77)
    endif ()
    message(FATAL_ERROR "SKIP ptxas check: ptxas not found (install the CUDA toolkit to run it)")
endif ()
if (NOT DEFINED MAX_STACK_BYTES)
    set(MAX_STACK_BYTES 16384)
endif ()
if (NOT DEFINED MAX_SPILL_BYTES)
    set(MAX_SPILL_BYTES 256)
endif ()
file(REMOVE_RECURSE "${WORK}")
file(MAKE_DIRECTORY "${WORK}")
file(STRINGS "${LIBRARY_LIST}" LIBRARIES)
set(kernels 0)
set(failures "")
foreach (library IN LISTS LIBRARIES)
    get_filename_component(name "${library}" NAME_WE)
    execute_process(COMMAND "${EXTRACT}" "${library}" "${WORK}/${name}"
                    RESULT_VARIABLE result OUTPUT_QUIET)
    if (NOT result EQUAL 0)
        message(FATAL_ERROR "no PTX found in ${library}")
    endif ()
    file(GLOB modules "${WORK}/${name}.*.ptx")
    foreach (module IN LISTS modules)
        execute_process(COMMAND "${PTXAS}" -v --gpu-name ${GPU} -o "${module}.cubin" "${module}"
                        RESULT_VARIABLE result OUTPUT_VARIABLE out ERROR_VARIABLE err)
        if (NOT result EQUAL 0)
            message(FATAL_ERROR "ptxas --gpu-name ${GPU} rejected ${module} (from ${library}):\n${err}")
        endif ()
        # ptxas -v reports, per entry point:
        #   ptxas info    : Compiling entry function 'NAME' for 'sm_90'
        #   ptxas info    : Function properties for NAME
        #       S bytes stack frame, T bytes spill stores, U bytes spill loads
        #   ptxas info    : Used R registers, [...] B bytes smem, ...
        string(REPLACE ";" "," report "${out}${err}")
        string(REPLACE "\n" ";" report_lines "${report}")
        set(kernel "")
        foreach (line IN LISTS report_lines)
            if (line MATCHES "Compiling entry function '([^']+)'")
                set(kernel "${CMAKE_MATCH_1}")
                set(stack "")
                set(stores "")
                set(loads "")
            elseif (kernel AND line MATCHES
                    "([0-9]+) bytes stack frame, ([0-9]+) bytes spill stores, ([0-9]+) bytes spill loads")
                set(stack "${CMAKE_MATCH_1}")
                set(stores "${CMAKE_MATCH_2}")
                set(loads "${CMAKE_MATCH_3}")
            elseif (kernel AND line MATCHES "Used ([0-9]+) registers")
                set(registers "${CMAKE_MATCH_1}")
                set(smem 0)
                if (line MATCHES "([0-9]+) bytes smem")
                    set(smem "${CMAKE_MATCH_1}")
                endif ()
                if (stack STREQUAL "")
                    message(FATAL_ERROR "ptxas -v gave no stack frame figures for ${kernel} (${module})")
                endif ()
                set(verdict "ok")
                if (stack GREATER MAX_STACK_BYTES)
                    set(verdict "FAIL: stack frame over ${MAX_STACK_BYTES} bytes")
                elseif (stores GREATER MAX_SPILL_BYTES OR loads GREATER MAX_SPILL_BYTES)
                    set(verdict "FAIL: spills over ${MAX_SPILL_BYTES} bytes")
                endif ()
                message("${name} ${kernel}: stack ${stack} B, spill stores ${stores} B, "
                        "spill loads ${loads} B, ${registers} registers, static smem ${smem} B: ${verdict}")
                if (NOT verdict STREQUAL "ok")
                    list(APPEND failures "${name} ${kernel}")
                endif ()
                math(EXPR kernels "${kernels} + 1")
                set(kernel "")
            endif ()
        endforeach ()
    endforeach ()
endforeach ()
if (kernels EQUAL 0)
    message(FATAL_ERROR "ptxas -v reported no kernels")
endif ()
list(LENGTH failures failed)
if (failed GREATER 0)
    string(REPLACE ";" "\n  " failures "${failures}")
    message(FATAL_ERROR "${failed} of ${kernels} kernels exceed the ${GPU} resource bounds "
                        "(stack frame <= ${MAX_STACK_BYTES} B, spills <= ${MAX_SPILL_BYTES} B):\n  ${failures}")
endif ()
message("ptxas --gpu-name ${GPU}: all ${kernels} kernels within stack frame <= ${MAX_STACK_BYTES} B "
        "and spills <= ${MAX_SPILL_BYTES} B")
