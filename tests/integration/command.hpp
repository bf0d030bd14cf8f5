// Running a command line and reading a file, for tests that drive the binaries.
#pragma once

#include <string>

namespace blendroute::testing {

/// Runs `command` through the shell; puts what it printed on stdout (and, with
/// `with_stderr`, on stderr) in `output`. Returns its exit status, -1 when it did not exit.
int run_command(const std::string& command, std::string& output, bool with_stderr = true);

/// The whole content of the file at `path`; empty when it cannot be read.
std::string read_file(const std::string& path);

}  // namespace blendroute::testing
