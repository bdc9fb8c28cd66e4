# Sanitized builds (docs/reliability.md): with GOMHC_SANITIZE, the runtime,
# the trainer and the fast test suites get extra targets (NAME_asan)
# compiled with AddressSanitizer and UndefinedBehaviorSanitizer in this same
# build tree. They link the same generated kernel libraries (Halide's AOT
# objects, not instrumented), so no kernel is generated twice; ctest runs
# the suites as asan_NAME.
#
#   gomhc_sanitize(<target>)   instruments one target (compile and link)
include(CheckCXXSourceCompiles)

set(GOMHC_SANITIZE_FLAGS -fsanitize=address,undefined -fno-sanitize-recover=all
                         -fno-omit-frame-pointer)
set(CMAKE_REQUIRED_FLAGS "-fsanitize=address,undefined")
set(CMAKE_REQUIRED_LINK_OPTIONS "-fsanitize=address,undefined")
check_cxx_source_compiles("int main() { return 0; }" GOMHC_CXX_HAS_SANITIZERS)
unset(CMAKE_REQUIRED_FLAGS)
unset(CMAKE_REQUIRED_LINK_OPTIONS)
option(GOMHC_SANITIZE "Also build ASan + UBSan copies of the runtime, trainer and fast tests"
       ${GOMHC_CXX_HAS_SANITIZERS})
if (GOMHC_SANITIZE AND NOT GOMHC_CXX_HAS_SANITIZERS)
    message(FATAL_ERROR "GOMHC_SANITIZE: ${CMAKE_CXX_COMPILER} cannot build with "
                        "-fsanitize=address,undefined (Debian: libasan8, libubsan1)")
endif ()

# What the sanitized tests run with: stop at the first report, leaks
# included.
set(GOMHC_SANITIZE_ENVIRONMENT
    "ASAN_OPTIONS=detect_leaks=1:halt_on_error=1:abort_on_error=0:strict_string_checks=1"
    "UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1")

function(gomhc_sanitize target)
    # -O0 -g1: every frame in the reports, with lines, and the copies
    # compile in half the time of -O1 -g (they cost CI build time).
    target_compile_options(${target} PRIVATE ${GOMHC_SANITIZE_FLAGS} -O0 -g1)
    target_link_options(${target} PRIVATE -fsanitize=address,undefined)
endfunction()
