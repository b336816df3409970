# Runs one documentation program (tests/docs/DocSnippets.cmake) and checks it:
#   cmake -DSNIPPET=<exe> [-DEXPECTED=<file>] -DWHERE=<page.md:line> -P run_snippet.cmake
# Fails when the program exits non-zero (or dies), or when EXPECTED is given and standard
# output differs from it.
execute_process(COMMAND ${SNIPPET} OUTPUT_VARIABLE out ERROR_VARIABLE err RESULT_VARIABLE rc
                TIMEOUT 100)
if(NOT rc STREQUAL "0")
  message(FATAL_ERROR "${WHERE}: the program failed (${rc})\n"
                      "-- stdout:\n${out}\n-- stderr:\n${err}")
endif()
if(EXPECTED)
  file(READ ${EXPECTED} want)
  if(NOT out STREQUAL want)
    message(FATAL_ERROR "${WHERE}: the output differs from the page's\n"
                        "-- expected:\n${want}\n-- got:\n${out}\n-- stderr:\n${err}")
  endif()
endif()
message("${WHERE}: ok\n${out}")
