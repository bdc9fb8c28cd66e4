# run_gomhc(<expected exit code> <output variable> <arguments>...): runs the
# gomhc program ${GOMHC} (script-mode tests pass it with -DGOMHC=...) and
# fails the test, showing its output, unless it exits with the expected code.
# The output variable receives stdout and stderr together.
function(run_gomhc expect_code output_var)
    execute_process(COMMAND "${GOMHC}" ${ARGN} RESULT_VARIABLE code OUTPUT_VARIABLE out
                    ERROR_VARIABLE err)
    if (NOT code STREQUAL expect_code)
        message(FATAL_ERROR "gomhc ${ARGN}: exit ${code}, expected ${expect_code}\n${out}\n${err}")
    endif ()
    set(${output_var} "${out}${err}" PARENT_SCOPE)
endfunction()

# expect_in(<text> <part>): fails the test, showing the text, unless it holds part.
function(expect_in text part)
    string(FIND "${text}" "${part}" at)
    if (at EQUAL -1)
        message(FATAL_ERROR "expected '${part}' in:\n${text}")
    endif ()
endfunction()
