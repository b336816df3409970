# Warning sets. The library is held to the strict set; tests and examples to the common one.
function(triad_common_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor)
  if(TRIAD_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()

function(triad_strict_warnings target)
  triad_common_warnings(${target})
  target_compile_options(${target} PRIVATE -Wconversion -Wsign-conversion -Wold-style-cast
                                           -Woverloaded-virtual -Wcast-qual)
endfunction()
