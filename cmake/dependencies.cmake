# Finds the Debian 12 packages the build needs (see README.md for the install step).

find_package(Threads REQUIRED)

# CAF 0.17 ships no CMake package, so it is found by header and library.
find_path(CAF_INCLUDE_DIR caf/all.hpp REQUIRED)
find_library(CAF_CORE_LIBRARY caf_core REQUIRED)
add_library(caf::core INTERFACE IMPORTED)
target_include_directories(caf::core SYSTEM INTERFACE ${CAF_INCLUDE_DIR})
target_link_libraries(caf::core INTERFACE ${CAF_CORE_LIBRARY} Threads::Threads)

find_package(Boost 1.74 REQUIRED COMPONENTS system)
# TLS on the listeners (Asio SSL).
find_package(OpenSSL REQUIRED)
find_package(simdjson REQUIRED)
find_package(RocksDB REQUIRED)
find_package(tomlplusplus REQUIRED)
# Abseil's flat hash maps for the tables of millions of ids (ingress ids, conversations).
find_package(absl REQUIRED)
find_package(spdlog REQUIRED)
# Howard Hinnant's date/tz: time zones for business hours (std::chrono's arrive with GCC 14).
find_package(date REQUIRED)

# CLI11 is header-only; Debian's CMake package is enough, the header is the fallback.
find_package(CLI11 QUIET)
if(NOT TARGET CLI11::CLI11)
  find_path(CLI11_INCLUDE_DIR CLI/CLI.hpp REQUIRED)
  add_library(CLI11::CLI11 INTERFACE IMPORTED)
  target_include_directories(CLI11::CLI11 SYSTEM INTERFACE ${CLI11_INCLUDE_DIR})
endif()

# gperftools' tcmalloc (minimal) for the server, the load tool and the benchmarks. The router
# allocates on one thread and frees on another all the time (a frame decoded on the I/O
# thread dies in an actor, a journal record made by an actor dies on the commit thread), and
# with glibc's allocator the threads then wait on each other's arena locks (most of the
# router's futex calls in a strace of the closed loop): the closed loop spent 87-96 us of
# server CPU per message with glibc against 63-77 us with tcmalloc, which holds an idle
# conversation actor in 1.58 KB against 1.56 KB (docs/operations.md, "Memory allocator").
# Sanitizers and libFuzzer bring their own allocator, so it stays out of those; configure
# with -DBLENDROUTE_TCMALLOC=OFF for valgrind or a sanitizer set up some other way.
add_library(blendroute::allocator INTERFACE IMPORTED)
string(TOUPPER "${CMAKE_BUILD_TYPE}" blendroute_build_type)
set(blendroute_all_flags
    "${CMAKE_CXX_FLAGS} ${CMAKE_CXX_FLAGS_${blendroute_build_type}} ${CMAKE_EXE_LINKER_FLAGS}")
if(BLENDROUTE_TCMALLOC AND (BLENDROUTE_FUZZ OR blendroute_all_flags MATCHES "-fsanitize"))
  message(STATUS "blendroute: sanitizer build, tcmalloc left out")
elseif(BLENDROUTE_TCMALLOC)
  find_library(TCMALLOC_LIBRARY NAMES tcmalloc_minimal REQUIRED)
  target_link_libraries(blendroute::allocator INTERFACE ${TCMALLOC_LIBRARY})
endif()

if(BLENDROUTE_BUILD_TESTS)
  find_package(GTest REQUIRED)
endif()
if(BLENDROUTE_BUILD_BENCHMARKS)
  find_package(benchmark REQUIRED)
endif()
