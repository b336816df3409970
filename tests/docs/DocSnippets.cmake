# Turns every ```cpp block of a markdown page into a test, at configure time, with CMake only.
#
#   triad_doc_snippets(<page.md> <page-id> <default-layer>)
#
# Block n (counting from 1, every ```cpp block of the page) becomes the ctest test
# Docs.<page-id>_<n>, label "docs", built by the target docs_<page-id>_<n> (part of `all`, so a
# snippet that no longer compiles breaks the build like any other code). Compiler messages
# point into the markdown file (#line).
#
# - A block containing `int main(` is a program: compiled as written, linked, and run by the
#   test, which fails on a non-zero exit status. Expected standard output, if any, is either a
#   ```text block that follows the program (only blank lines between) or the `// prints: <line>`
#   comments of the program, one output line each, in order; it must then match exactly.
# - Any other block is a fragment: it is compiled (and linked) in a translation unit that
#   includes <triad/triad.hpp>, the umbrella header of every layer it uses, common standard
#   headers and `using namespace std::chrono_literals`. Its lines up to the end of its last
#   namespace-scope definition (a line starting a function definition, struct, class,
#   template, enum, union or `namespace X {`, or an #include) are compiled at namespace scope;
#   the statements after that are the body of a function that is never called. The test runs
#   the (empty) program.
# - Layers: the page's default layer plus every layer the block names (`triad::green`,
#   `<triad/aio...`; net, green, process, aio, dist); the block is linked with triad::triad
#   and triad_<layer> for each, and with triad_green_monkey if it calls monkey::patch_all. A
#   block whose layers are not built is left out (no test). Every block needs the core layers.
# - Opt-outs, visible to readers because they are the block's first line:
#     // not compiled: <why>   (e.g. a block showing a compile error): the test is DISABLED;
#     // not run: <why>        (a program that must not run in CI): built, test DISABLED.

set(TRIAD_DOC_SNIPPET_RUNNER ${CMAKE_CURRENT_LIST_DIR}/run_snippet.cmake)
set(TRIAD_DOC_SNIPPET_DIR ${CMAKE_CURRENT_BINARY_DIR}/snippets)

# Number of newlines in `text` -> out.
function(_triad_doc_count_newlines text out)
  string(REGEX MATCHALL "\n" newlines "${text}")
  list(LENGTH newlines count)
  set(${out} ${count} PARENT_SCOPE)
endfunction()

# Writes `content` to `path` only if it changed (keeps timestamps, so nothing rebuilds).
function(_triad_doc_write path content)
  file(WRITE ${path}.tmp "${content}")
  file(COPY_FILE ${path}.tmp ${path} ONLY_IF_DIFFERENT)
  file(REMOVE ${path}.tmp)
endfunction()

# Splits a fragment into what goes at namespace scope and what goes into a function body:
# every line up to the end of the last definition (a line at brace depth 0 starting a function
# definition, struct, class, enum, union, template, `namespace X {`, or an #include) goes to
# namespace scope, so the globals those definitions use come along; the statements after it
# form the body (empty if there are none). Each line keeps its markdown line number (#line).
function(_triad_doc_split_fragment md first_line code out_namespace out_body)
  string(ASCII 1 semicolon)
  string(ASCII 2 open_bracket)
  string(ASCII 3 close_bracket)
  string(REPLACE ";" "${semicolon}" encoded "${code}")
  string(REPLACE "[" "${open_bracket}" encoded "${encoded}")
  string(REPLACE "]" "${close_bracket}" encoded "${encoded}")
  string(REGEX REPLACE "\n$" "" encoded "${encoded}")
  string(REPLACE "\n" ";" lines "${encoded}")
  set(definition "^[A-Za-z_][A-Za-z0-9_:<>, *&]* [*&]?[A-Za-z_][A-Za-z0-9_:~]*\\([^${semicolon}=${open_bracket}]*\\)[a-z ]*{")
  set(scope_keyword "^(#include|struct |class |template *<|enum |union |namespace [A-Za-z_]+ *{)")
  set(depth 0)
  set(index 0)
  set(last_definition -1)
  set(in_definition FALSE)
  foreach(text IN LISTS lines)
    if(depth EQUAL 0 AND (text MATCHES "${definition}" OR text MATCHES "${scope_keyword}"))
      set(in_definition TRUE)
    endif()
    string(REGEX MATCHALL "{" opens "${text}")
    string(REGEX MATCHALL "}" closes "${text}")
    list(LENGTH opens n_open)
    list(LENGTH closes n_close)
    math(EXPR depth "${depth} + ${n_open} - ${n_close}")
    if(in_definition AND depth LESS_EQUAL 0)
      set(depth 0)
      set(in_definition FALSE)
      set(last_definition ${index})
    endif()
    math(EXPR index "${index} + 1")
  endforeach()
  set(namespace_part "")
  set(body_part "")
  set(has_body FALSE)
  set(index 0)
  foreach(text IN LISTS lines)
    string(REPLACE "${semicolon}" ";" text "${text}")
    string(REPLACE "${open_bracket}" "[" text "${text}")
    string(REPLACE "${close_bracket}" "]" text "${text}")
    math(EXPR n "${first_line} + ${index}")
    if(index LESS_EQUAL last_definition)
      string(APPEND namespace_part "#line ${n} \"${md}\"\n${text}\n")
    else()
      string(APPEND body_part "#line ${n} \"${md}\"\n${text}\n")
      if(text MATCHES "[^ \t]" AND NOT text MATCHES "^[ \t]*//")
        set(has_body TRUE)
      endif()
    endif()
    math(EXPR index "${index} + 1")
  endforeach()
  if(NOT has_body)
    string(APPEND namespace_part "${body_part}")
    set(body_part "")
  endif()
  set(${out_namespace} "${namespace_part}" PARENT_SCOPE)
  set(${out_body} "${body_part}" PARENT_SCOPE)
endfunction()

function(triad_doc_snippets md page default_layer)
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${md})
  file(READ ${md} text)
  # A leading newline lets every fence be found as "\n```cpp\n"; then the number of newlines
  # before a character is its 1-based line number in the page.
  set(rest "\n${text}")
  set(line 0)
  set(n 0)
  while(TRUE)
    string(FIND "${rest}" "\n```cpp\n" open)
    if(open EQUAL -1)
      break()
    endif()
    math(EXPR start "${open} + 8")
    string(SUBSTRING "${rest}" 0 ${start} before)
    _triad_doc_count_newlines("${before}" k)
    math(EXPR line "${line} + ${k}")
    string(SUBSTRING "${rest}" ${start} -1 rest)
    string(FIND "${rest}" "\n```" close)
    if(close EQUAL -1)
      message(FATAL_ERROR "${md}:${line}: unterminated ```cpp block")
    endif()
    math(EXPR code_length "${close} + 1")
    string(SUBSTRING "${rest}" 0 ${code_length} code)
    math(EXPR n "${n} + 1")

    # Expected output: a ```text block right after the closing fence.
    math(EXPR after "${close} + 4")
    string(SUBSTRING "${rest}" ${after} -1 tail)
    set(expected "")
    set(has_expected FALSE)
    string(REGEX MATCH "^[ \t]*\n([ \t]*\n)*```text\n" text_open "${tail}")
    if(text_open)
      string(LENGTH "${text_open}" text_start)
      string(SUBSTRING "${tail}" ${text_start} -1 tail)
      string(FIND "\n${tail}" "\n```" text_close)
      if(text_close GREATER -1)
        string(SUBSTRING "${tail}" 0 ${text_close} expected)
        set(has_expected TRUE)
      endif()
    endif()

    _triad_doc_snippet("${md}" ${page} ${n} ${line} ${default_layer} "${code}"
                       ${has_expected} "${expected}")

    # Continue after the block; `line` counts the newlines consumed so far.
    string(SUBSTRING "${rest}" 0 ${close} body)
    _triad_doc_count_newlines("${body}" k)
    math(EXPR line "${line} + ${k}")
    string(SUBSTRING "${rest}" ${close} -1 rest)
  endwhile()
endfunction()

function(_triad_doc_snippet md page n line default_layer code has_expected expected)
  set(name Docs.${page}_${n})
  string(MAKE_C_IDENTIFIER "docs_${page}_${n}" target)
  file(RELATIVE_PATH where ${PROJECT_SOURCE_DIR} ${md})

  foreach(core IN LISTS TRIAD_CORE_LAYERS)
    if(NOT core IN_LIST TRIAD_LAYERS)
      return()
    endif()
  endforeach()

  if(code MATCHES "^// not compiled:")
    add_test(NAME ${name} COMMAND ${CMAKE_COMMAND} -E true)
    set_tests_properties(${name} PROPERTIES DISABLED TRUE LABELS docs)
    return()
  endif()

  set(layers)
  foreach(layer IN ITEMS net green process aio dist)
    if(layer STREQUAL default_layer OR code MATCHES "triad(::|/)${layer}([^a-z_]|$)")
      if(NOT TARGET triad_${layer})
        return()  # a layer that is not built: no test
      endif()
      list(APPEND layers ${layer})
    endif()
  endforeach()

  set(source ${TRIAD_DOC_SNIPPET_DIR}/${target}.cpp)
  set(header "// Generated from ${where}, block ${n} (line ${line}), by tests/docs/DocSnippets.cmake.\n")
  if(code MATCHES "(^|\n)int main\\(")
    set(kind program)
    _triad_doc_write(${source} "${header}#line ${line} \"${md}\"\n${code}")
  else()
    set(kind fragment)
    set(includes "#include <triad/triad.hpp>\n")
    foreach(layer IN LISTS layers)
      if(EXISTS ${PROJECT_SOURCE_DIR}/include/triad/${layer}.hpp)
        string(APPEND includes "#include <triad/${layer}.hpp>\n")
      endif()
    endforeach()
    foreach(std IN ITEMS chrono cstdio deque functional iostream memory mutex optional
                         stdexcept string thread tuple utility vector)
      string(APPEND includes "#include <${std}>\n")
    endforeach()
    string(APPEND includes "using namespace std::chrono_literals;\n")
    _triad_doc_split_fragment("${md}" ${line} "${code}" namespace_part body_part)
    if(body_part STREQUAL "")
      _triad_doc_write(${source} "${header}${includes}${namespace_part}int main() { return 0; }\n")
    else()
      _triad_doc_write(${source} "${header}${includes}${namespace_part}
namespace {
void docs_fragment() {
${body_part}}
}  // namespace

int main() {
  volatile bool never = false;  // the fragment is compiled and linked, not run
  if (never) docs_fragment();
  return 0;
}
")
    endif()
  endif()

  add_executable(${target} ${source})
  target_link_libraries(${target} PRIVATE triad::triad)
  foreach(layer IN LISTS layers)
    target_link_libraries(${target} PRIVATE triad_${layer})
  endforeach()
  if(code MATCHES "monkey::patch_all" AND TARGET triad_green_monkey)
    target_link_libraries(${target} PRIVATE triad_green_monkey)
  endif()
  triad_common_warnings(${target})
  # Snippets show one thing at a time: a value computed to be shown is not "unused". And
  # because of #line, GCC takes the snippet for a header (-Wsubobject-linkage).
  target_compile_options(${target} PRIVATE -Wno-unused-variable -Wno-unused-but-set-variable
                         -Wno-unused-parameter -Wno-unused-function -Wno-unused-local-typedefs
                         -Wno-subobject-linkage)
  set_target_properties(${target} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${TRIAD_DOC_SNIPPET_DIR})

  if(kind STREQUAL "program")
    string(REGEX MATCHALL "// prints: [^\n]*" prints "${code}")
    if(NOT has_expected AND prints)
      set(has_expected TRUE)
      foreach(print IN LISTS prints)
        string(REGEX REPLACE "^// prints: " "" print "${print}")
        string(APPEND expected "${print}\n")
      endforeach()
    endif()
    set(expected_file "")
    if(has_expected)
      set(expected_file ${TRIAD_DOC_SNIPPET_DIR}/${target}.expected)
      _triad_doc_write(${expected_file} "${expected}")
    endif()
    add_test(NAME ${name} COMMAND ${CMAKE_COMMAND} -DSNIPPET=$<TARGET_FILE:${target}>
             -DEXPECTED=${expected_file} -DWHERE=${where}:${line} -P ${TRIAD_DOC_SNIPPET_RUNNER})
  else()
    add_test(NAME ${name} COMMAND ${target})
  endif()
  set_tests_properties(${name} PROPERTIES LABELS docs TIMEOUT 120)
  if(code MATCHES "^// not run:")
    set_tests_properties(${name} PROPERTIES DISABLED TRUE)
  endif()
endfunction()
