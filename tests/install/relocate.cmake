# An install to any prefix works, also after the prefix is moved: installs
# the build, renames the prefix, then runs the installed `gomhc` from its new
# place (it finds libgomhc through its RUNPATH, $ORIGIN/../lib, and Halide's
# autoscheduler plugins beside the libHalide it loads).
#   cmake -DBUILD_DIR=... -DWORK=... -P relocate.cmake
cmake_minimum_required(VERSION 3.22)
file(REMOVE_RECURSE "${WORK}")
execute_process(COMMAND "${CMAKE_COMMAND}" --install "${BUILD_DIR}" --prefix "${WORK}/staged"
                RESULT_VARIABLE result OUTPUT_QUIET)
if (NOT result EQUAL 0)
    message(FATAL_ERROR "cmake --install ${BUILD_DIR} --prefix ${WORK}/staged failed (${result})")
endif ()
file(RENAME "${WORK}/staged" "${WORK}/moved")
set(GOMHC "${WORK}/moved/bin/gomhc")
include("${CMAKE_CURRENT_LIST_DIR}/../../cmake/RunGomhc.cmake")

run_gomhc(0 synth synth --out "${WORK}/synth" --d 4 --targets cycle3 --methods go --epochs 50
          --seed 1)
if (NOT EXISTS "${WORK}/synth/summary.csv")
    message(FATAL_ERROR "the moved gomhc synth wrote no summary.csv:\n${synth}")
endif ()

# The default schedule and both autoschedulers (which load Halide's plugins).
run_gomhc(0 tune autotune --target cpu --ops orthostochastic_forward --shapes d4s2 --budget 6
          --out "${WORK}/tune")
if (NOT EXISTS "${WORK}/tune/cpu.tuned")
    message(FATAL_ERROR "the moved gomhc autotune wrote no cpu.tuned:\n${tune}")
endif ()
file(STRINGS "${WORK}/tune/cpu.autotune.log" log)
foreach (autoscheduler Adams2019 Mullapudi2016)
    set(measured FALSE)
    foreach (line IN LISTS log)
        if (line MATCHES "autoscheduler=${autoscheduler}\t(ok|wrong|timed_out)\t")
            set(measured TRUE)
        endif ()
    endforeach ()
    if (NOT measured)
        message(FATAL_ERROR "the moved gomhc did not run the ${autoscheduler} autoscheduler:\n"
                            "${tune}\nlog:\n${log}")
    endif ()
endforeach ()
# The PyTorch bridge from the moved prefix finds the moved libgomhc.
if (PYTHON)
    execute_process(
        COMMAND "${CMAKE_COMMAND}" -E env --unset=GOMHC_LIBRARY
                "PYTHONPATH=${WORK}/moved/${PYTHON_DIR}" "${PYTHON}" -c
                "import torch, gomhc_torch as g; h = g.HyperConnection('go', 4, 2, 8); \
print(g.lib._name, h(torch.randn(3, 4, 8))[0].shape)"
        RESULT_VARIABLE result OUTPUT_VARIABLE out ERROR_VARIABLE err)
    if (NOT result EQUAL 0 OR NOT out MATCHES "^${WORK}/moved/")
        message(FATAL_ERROR "the moved gomhc_torch did not load the moved libgomhc:\n${out}${err}")
    endif ()
endif ()
message(STATUS "installed, moved to ${WORK}/moved, and ran gomhc synth and autotune from there")
