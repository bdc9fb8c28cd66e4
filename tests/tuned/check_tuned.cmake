cmake_minimum_required(VERSION 3.22)
# Validates a tuned schedule file exactly as the build does:
#   cmake -DFILE=<file> -DDEVICE=cpu|cuda -P check_tuned.cmake
include("${CMAKE_CURRENT_LIST_DIR}/../../cmake/GomhcTuned.cmake")
gomhc_read_tuned_file("${FILE}" "${DEVICE}")
get_property(entries GLOBAL PROPERTY GOMHC_TUNED_ENTRIES_${DEVICE})
list(LENGTH entries count)
message("${FILE}: valid, ${count} tuned kernels")
