# kiln_add_compile_fail_test(<file>): two CTest cases per file.
#   compile_fail.<name>       compiles <file>; passes only if the compiler output contains the text
#                             after "// expect: " in the file (the error must name layer and numbers)
#   compile_fail.<name>.twin  compiles it with -DKILN_TWIN, the near-identical valid net; must succeed
function(kiln_add_compile_fail_test file)
  get_filename_component(name "${file}" NAME_WE)
  file(STRINGS "${file}" expect_line REGEX "^// expect: ")
  string(REGEX REPLACE "^// expect: " "" expect "${expect_line}")
  if(expect STREQUAL "")
    message(FATAL_ERROR "${file} has no '// expect: ' line")
  endif()
  set(boost_include "")
  if(NOT Boost_INCLUDE_DIRS STREQUAL "/usr/include")  # -isystem /usr/include breaks #include_next
    set(boost_include "-I${Boost_INCLUDE_DIRS}")
  endif()
  set(command ${CMAKE_CXX_COMPILER} -std=c++17 -fsyntax-only -fno-diagnostics-color
      -I${PROJECT_SOURCE_DIR}/dsl/include ${boost_include} "${file}")
  add_test(NAME compile_fail.${name} COMMAND ${command})
  set_tests_properties(compile_fail.${name} PROPERTIES PASS_REGULAR_EXPRESSION "${expect}" LABELS compile_fail)
  add_test(NAME compile_fail.${name}.twin COMMAND ${command} -DKILN_TWIN)
  set_tests_properties(compile_fail.${name}.twin PROPERTIES LABELS compile_fail)
endfunction()
