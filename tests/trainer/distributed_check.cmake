# `mpirun -np 2 gomhc train` end to end: rank 0 alone prints and writes, and
# a rank killed mid-run ends the job with mpirun naming it while the last
# checkpoint stays readable.
#   cmake -DGOMHC=<gomhc> -DMPIRUN=<mpirun> -DWORK=<scratch dir> -P distributed_check.cmake
cmake_minimum_required(VERSION 3.22)
file(REMOVE_RECURSE "${WORK}")
file(MAKE_DIRECTORY "${WORK}")
include("${CMAKE_CURRENT_LIST_DIR}/../../cmake/RunGomhc.cmake")
set(mpirun "${MPIRUN}" --allow-run-as-root --oversubscribe -np 2)

string(REPEAT "In the beginning was the word, and the word was with God.\n" 400 text)
file(WRITE "${WORK}/text.txt" "${text}")
run_gomhc(0 out prepare --text "${WORK}/text.txt" --out "${WORK}/data" --val-fraction 0.1)
set(tiny train --layers 2 --width 32 --heads 2 --ctx 16 --batch 4 --threads 1
          --data "${WORK}/data" --no-plot)

execute_process(COMMAND ${mpirun} "${GOMHC}" ${tiny} --steps 20 --out "${WORK}/two"
                RESULT_VARIABLE code OUTPUT_VARIABLE out ERROR_VARIABLE err)
if (NOT code EQUAL 0)
    message(FATAL_ERROR "mpirun -np 2 gomhc train: exit ${code}\n${out}\n${err}")
endif ()
string(REGEX MATCHALL "summary: " summaries "${out}")
list(LENGTH summaries count)
if (NOT count EQUAL 1 OR NOT out MATCHES "x 2 ranks x ctx 16 = 128 tokens per step")
    message(FATAL_ERROR "expected one summary, of 2 ranks, from rank 0:\n${out}")
endif ()

# A bad flag: refused once (rank 0 prints), every rank exits 2.
execute_process(COMMAND ${mpirun} "${GOMHC}" ${tiny} --bogus 1 --out "${WORK}/x"
                RESULT_VARIABLE code OUTPUT_VARIABLE out ERROR_VARIABLE err)
string(REGEX MATCHALL "--bogus" said "${out}${err}")
if (code EQUAL 0 OR NOT said)
    message(FATAL_ERROR "a bad flag under mpirun: exit ${code}\n${out}\n${err}")
endif ()

# Rank 1 killed while the run checkpoints every step: mpirun stops the job
# and names the rank; the checkpoint rank 0 left is whole.
set(kill_rank1 "sleep 3; for p in $(pgrep -f 'gomhc train .*dying'); do \
grep -qz '^OMPI_COMM_WORLD_RANK=1$' /proc/$p/environ 2>/dev/null && kill -9 $p; done; cat >/dev/null")
execute_process(COMMAND ${mpirun} "${GOMHC}" ${tiny} --steps 100000 --checkpoint-every 1
                        --log-every 0 --eval-every 0 --out "${WORK}/dying"
                COMMAND sh -c "${kill_rank1}"
                RESULTS_VARIABLE codes ERROR_VARIABLE err)
list(GET codes 0 code)
if (code EQUAL 0 OR NOT err MATCHES "rank 1")
    message(FATAL_ERROR "a killed rank: mpirun exit ${code}, expected a failure naming rank 1:\n${err}")
endif ()
run_gomhc(0 out sample --checkpoint "${WORK}/dying" --prompt "In" --tokens 5)
message(STATUS "killed rank: mpirun said: ${err}")
