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
  cmake_parse_arguments(T "BOTH_ENGINES" "" "SOURCES;DEPS" ${ARGN})
  add_executable(${name} ${T_SOURCES})
  target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(${name} PRIVATE ${T_DEPS} GTest::gtest GTest::gtest_main)
  ris_target_warnings(${name})
  if(T_BOTH_ENGINES)
    # Once per engine: tests open their databases through ris::store::testing.
    target_link_libraries(${name} PRIVATE ris_store_testing)
    ris_discover_tests_per_engine(${name} unit)
  else()
    gtest_discover_tests(${name} PROPERTIES LABELS unit DISCOVERY_TIMEOUT 60)
  endif()
endfunction()

# ris_discover_tests_per_engine(target kind): registers the target's tests twice, as
# "sqlite.<test>" (labels kind, sqlite) and "postgres.<test>" (labels kind, postgres; needs the
# CTest fixture "postgres", which starts a throw-away server with scripts/pg-test-server).
# Suites named Postgres* are registered for PostgreSQL only.
function(ris_discover_tests_per_engine target kind)
  foreach(engine sqlite postgres)
    set(props TIMEOUT 600)
    if(engine STREQUAL "postgres")
      list(APPEND props FIXTURES_REQUIRED postgres
           ENVIRONMENT "RIS_TEST_POSTGRES_URL_FILE=${RIS_PG_TEST_DIR}/url")
    endif()
    # Suites named Postgres* test what only PostgreSQL can do (concurrent writers): not for SQLite.
    set(filter "")
    if(engine STREQUAL "sqlite")
      set(filter TEST_FILTER "-Postgres*")
    endif()
    gtest_discover_tests(${target} TEST_PREFIX "${engine}." TEST_LIST ${target}_${engine}_tests
                         ${filter} DISCOVERY_TIMEOUT 60 PROPERTIES ${props})
    # Two labels per test: gtest_discover_tests cannot pass a list, so a file CTest reads after
    # the discovered tests sets them.
    set(labels ${CMAKE_CURRENT_BINARY_DIR}/${target}_${engine}_labels.cmake)
    file(WRITE ${labels}
         "foreach(t IN LISTS ${target}_${engine}_tests)\n"
         "  set_tests_properties(\"\${t}\" PROPERTIES LABELS \"${kind};${engine}\")\n"
         "endforeach()\n")
    set_property(DIRECTORY APPEND PROPERTY TEST_INCLUDE_FILES ${labels})
  endforeach()
endfunction()
