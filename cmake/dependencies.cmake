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

if(BLENDROUTE_BUILD_TESTS)
  find_package(GTest REQUIRED)
endif()
if(BLENDROUTE_BUILD_BENCHMARKS)
  find_package(benchmark REQUIRED)
endif()
