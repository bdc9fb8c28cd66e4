# A seconds-long `gomhc autotune` on one small op: it must write a tuned file
# the build accepts, resume from its log, and refuse bad requests clearly.
#   cmake -DGOMHC=<gomhc program> -DWORK=<scratch dir> -P autotune_end_to_end.cmake
cmake_minimum_required(VERSION 3.22)
include("${CMAKE_CURRENT_LIST_DIR}/../../cmake/GomhcTuned.cmake")
file(REMOVE_RECURSE "${WORK}")

include("${CMAKE_CURRENT_LIST_DIR}/../../cmake/RunGomhc.cmake")

set(tune autotune --target cpu --ops orthostochastic_forward --shapes d4s2 --out "${WORK}")
run_gomhc(0 first ${tune} --budget 6)
if (NOT first MATCHES "orthostochastic_forward +d4s2 +T=4096 d=4 s=2 +[0-9.]+ +[0-9.]+ +[0-9.]+x")
    message(FATAL_ERROR "no result table in:\n${first}")
endif ()
gomhc_read_tuned_file("${WORK}/cpu.tuned" cpu)  # fails the test if the build would reject it
file(STRINGS "${WORK}/cpu.autotune.log" measured)
list(LENGTH measured count)
if (count LESS 3)
    message(FATAL_ERROR "expected at least 3 measured candidates (default, 2 autoschedulers), got ${count}")
endif ()

run_gomhc(0 second ${tune} --budget 3)
if (NOT second MATCHES "resuming: ${count} candidates already measured")
    message(FATAL_ERROR "the second run did not resume from the log:\n${second}")
endif ()
gomhc_read_tuned_file("${WORK}/cpu.tuned" cpu)

# The coefficient path: its backward's gradients sum over all tokens, so the
# check compares every output with a float64 reference of the whole batch.
run_gomhc(0 coefficients autotune --target cpu --ops coefficients_backward --shapes narrow
          --budget 5 --out "${WORK}/coefficients")
if (NOT coefficients MATCHES "coefficients_backward +narrow +T=4096 d=4 C=768 K=10 +[0-9.]+ +[0-9.]+ +[0-9.]+x")
    message(FATAL_ERROR "no result for the coefficient backward (did its check fail?):\n${coefficients}")
endif ()
gomhc_read_tuned_file("${WORK}/coefficients/cpu.tuned" cpu)

run_gomhc(2 bad autotune --target tpu)
if (NOT bad MATCHES "--target" OR NOT bad MATCHES "tpu")
    message(FATAL_ERROR "unclear error for a bad target:\n${bad}")
endif ()
run_gomhc(2 bad autotune --target cpu --ops cayley_sideways)
if (NOT bad MATCHES "unknown op 'cayley_sideways'")
    message(FATAL_ERROR "unclear error for a bad op:\n${bad}")
endif ()
# Without a GPU, CUDA tuning must say so and fail; with one it tunes.
execute_process(COMMAND "${GOMHC}" autotune --target cuda --ops orthostochastic_forward
                        --shapes d4s2 --budget 5 --out "${WORK}/cuda"
                RESULT_VARIABLE code OUTPUT_VARIABLE out ERROR_VARIABLE err)
if (NOT code EQUAL 0 AND NOT err MATCHES "--target cuda needs a usable GPU")
    message(FATAL_ERROR "gomhc autotune --target cuda failed without saying why:\n${out}\n${err}")
endif ()
message("autotune end to end: ${count} candidates, resumed, bad requests refused")
