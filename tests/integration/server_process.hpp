// Starts the real blendroute binary on a free loopback port with a temporary journal.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace blendroute::testing {

/// One server process. The journal directory is created fresh and removed by the destructor.
class server_process {
public:
  server_process();
  ~server_process();
  server_process(const server_process&) = delete;
  server_process& operator=(const server_process&) = delete;

  /// Starts the server with `extra_args`; waits (bounded) until it reports its port.
  /// Returns false when it did not come up; `log()` then says why.
  bool start(const std::vector<std::string>& extra_args = {});

  /// Starts the server with `extra_args` and returns at once, while it may still be
  /// recovering, for a test that kills it there.
  void launch(const std::vector<std::string>& extra_args = {});

  /// Sends SIGTERM and waits up to `timeout`; returns the exit status (-1 on timeout).
  int stop(std::chrono::milliseconds timeout = std::chrono::seconds{10});

  /// SIGKILL, as a crash.
  void kill_now();

  /// Sends `number` (SIGHUP for a reload) to the running server.
  void signal(int number);

  /// Environment variables set for the next start() or launch() only (LD_PRELOAD for an
  /// injected fault), on top of the test's own; empty for none.
  void use_environment(std::vector<std::pair<std::string, std::string>> variables) {
    environment_ = std::move(variables);
  }

  /// The configuration file the next start() and run_tool() use; the repository's
  /// conf/blendroute.toml by default.
  void use_config(std::string path) { config_path_ = std::move(path); }

  std::uint16_t port() const { return port_; }

  std::uint16_t http_port() const { return http_port_; }

  const std::string& journal_dir() const { return journal_dir_; }

  /// Runs the binary once more on the same configuration and journal, with `command` (for
  /// example {"journal", "verify"}); the server must be stopped. Returns the exit status and
  /// puts what it printed in `output`.
  int run_tool(const std::vector<std::string>& command, std::string& output) const;

  /// What the server wrote to stderr so far.
  std::string log() const;

private:
  std::string config_path_ = BLENDROUTE_SOURCE_DIR "/conf/blendroute.toml";
  std::vector<std::pair<std::string, std::string>> environment_;
  std::string work_dir_;
  std::string journal_dir_;
  std::string log_path_;
  pid_t pid_ = -1;
  std::uint16_t port_ = 0;
  std::uint16_t http_port_ = 0;
};

}  // namespace blendroute::testing
