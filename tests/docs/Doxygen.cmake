# The API reference: Doxygen over include/triad/ (docs/Doxyfile.in), as the target `docs` and
# the test Docs.ApiReference (label docs; every warning is an error). Only when Doxygen (the
# setup script installs it) and Perl (essential on Debian; it runs the comment filter) exist.
find_program(TRIAD_DOXYGEN doxygen)
find_program(TRIAD_PERL perl)
if(NOT TRIAD_DOXYGEN OR NOT TRIAD_PERL)
  message(STATUS "triad: doxygen or perl not found; no API reference target or test")
  return()
endif()

set(TRIAD_DOXYGEN_OUTPUT ${PROJECT_BINARY_DIR}/docs/api)
set(TRIAD_DOXYGEN_FILTER ${CMAKE_CURRENT_LIST_DIR}/doxygen_filter.pl)
configure_file(${PROJECT_SOURCE_DIR}/docs/Doxyfile.in ${PROJECT_BINARY_DIR}/docs/Doxyfile @ONLY)
add_custom_target(docs
  COMMAND ${CMAKE_COMMAND} -E make_directory ${TRIAD_DOXYGEN_OUTPUT}
  COMMAND ${TRIAD_DOXYGEN} ${PROJECT_BINARY_DIR}/docs/Doxyfile
  WORKING_DIRECTORY ${PROJECT_BINARY_DIR}/docs
  COMMENT "API reference -> ${TRIAD_DOXYGEN_OUTPUT}/html/index.html"
  VERBATIM)
add_test(NAME Docs.ApiReference COMMAND ${TRIAD_DOXYGEN} ${PROJECT_BINARY_DIR}/docs/Doxyfile
         WORKING_DIRECTORY ${PROJECT_BINARY_DIR}/docs)
set_tests_properties(Docs.ApiReference PROPERTIES LABELS docs TIMEOUT 300)
