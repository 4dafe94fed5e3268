# Warnings as errors on our own targets only (third-party headers come in as SYSTEM).
function(ris_target_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Werror -Wno-missing-field-initializers)
endfunction()

# ris_library(name SOURCES ... DEPS ...): a module library with warnings on.
function(ris_library name)
  cmake_parse_arguments(L "" "" "SOURCES;DEPS" ${ARGN})
  add_library(${name} STATIC ${L_SOURCES})
  target_include_directories(${name} PUBLIC ${PROJECT_SOURCE_DIR}/include PRIVATE ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(${name} PUBLIC ${L_DEPS})
  ris_target_warnings(${name})
endfunction()

# ris_unit_tests(name SOURCES ... DEPS ...): a GoogleTest executable registered with CTest
# under the label "unit". Unit tests live beside the code they test (src/<module>/*_test.cpp).
function(ris_unit_tests name)
  if(NOT RIS_BUILD_TESTS)
    return()
  endif()
  cmake_parse_arguments(T "" "" "SOURCES;DEPS" ${ARGN})
  add_executable(${name} ${T_SOURCES})
  target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(${name} PRIVATE ${T_DEPS} GTest::gtest GTest::gtest_main)
  ris_target_warnings(${name})
  gtest_discover_tests(${name} PROPERTIES LABELS unit DISCOVERY_TIMEOUT 60)
endfunction()
