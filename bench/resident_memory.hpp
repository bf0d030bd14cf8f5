// Resident memory of the benchmark process, for the benchmarks that measure what state costs.
#pragma once

#include <unistd.h>

#include <cstddef>
#include <fstream>

namespace blendroute::bench {

/// The process's resident set, in bytes (from /proc/self/statm).
inline std::size_t resident_bytes() {
  std::ifstream statm("/proc/self/statm");
  std::size_t pages = 0;
  std::size_t resident = 0;
  statm >> pages >> resident;
  return resident * static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
}

}  // namespace blendroute::bench
