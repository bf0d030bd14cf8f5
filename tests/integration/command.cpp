// Running a command line and reading a file, for tests that drive the binaries.

#include "tests/integration/command.hpp"

#include <stdio.h>
#include <sys/wait.h>

#include <fstream>
#include <sstream>

namespace blendroute::testing {

int run_command(const std::string& command, std::string& output, bool with_stderr) {
  output.clear();
  FILE* pipe = ::popen((command + (with_stderr ? " 2>&1" : "")).c_str(), "r");
  if (pipe == nullptr) {
    return -1;
  }
  char chunk[4096];
  while (std::size_t n = std::fread(chunk, 1, sizeof chunk, pipe)) {
    output.append(chunk, n);
  }
  const int status = ::pclose(pipe);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace blendroute::testing
