# Helpers that give every target of ours the same warnings and include root.

include(GoogleTest)

set(BLENDROUTE_WARNINGS -Wall -Wextra)
if(BLENDROUTE_WERROR)
  list(APPEND BLENDROUTE_WARNINGS -Werror)
  # GCC 12 reports impossible sizes inside inlined std::string appends (GCC bug 105329);
  # they stay warnings so that a harmless concatenation cannot break the build.
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
    list(APPEND BLENDROUTE_WARNINGS -Wno-error=restrict -Wno-error=stringop-overflow)
  endif()
endif()

function(blendroute_target_defaults target)
  target_compile_options(${target} PRIVATE ${BLENDROUTE_WARNINGS})
  target_include_directories(${target} PUBLIC ${PROJECT_SOURCE_DIR})
endfunction()

# blendroute_add_library(name SOURCES...): one library per folder.
function(blendroute_add_library name)
  add_library(${name} STATIC ${ARGN})
  blendroute_target_defaults(${name})
endfunction()

# blendroute_add_test(name LABEL label SOURCES ... LIBS ...): one GoogleTest binary.
function(blendroute_add_test name)
  cmake_parse_arguments(T "" "LABEL" "SOURCES;LIBS" ${ARGN})
  add_executable(${name} ${T_SOURCES})
  blendroute_target_defaults(${name})
  target_link_libraries(${name} PRIVATE ${T_LIBS} GTest::gtest GTest::gtest_main)
  # One CTest test per GoogleTest case, so that CTest reports each behaviour by name.
  set(labels unit)
  if(T_LABEL)
    set(labels ${T_LABEL})
  endif()
  gtest_discover_tests(${name} WORKING_DIRECTORY ${PROJECT_SOURCE_DIR}
    PROPERTIES LABELS ${labels} TIMEOUT 300)
endfunction()

# blendroute_add_bench(name SOURCES ... LIBS ...): one Google Benchmark binary.
function(blendroute_add_bench name)
  cmake_parse_arguments(B "" "" "SOURCES;LIBS" ${ARGN})
  add_executable(${name} ${B_SOURCES})
  blendroute_target_defaults(${name})
  target_link_libraries(${name} PRIVATE ${B_LIBS} benchmark::benchmark)
endfunction()
