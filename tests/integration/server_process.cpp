// fork/exec of the server binary, with bounded waits.
#include "tests/integration/server_process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "tests/integration/command.hpp"

namespace blendroute::testing {

server_process::server_process() {
  std::string pattern =
      (std::filesystem::temp_directory_path() / "blendroute-test-XXXXXX").string();
  if (mkdtemp(pattern.data()) != nullptr) {
    work_dir_ = pattern;
  }
  journal_dir_ = work_dir_ + "/journal";
  log_path_ = work_dir_ + "/server.log";
}

server_process::~server_process() {
  if (pid_ > 0) {
    kill_now();
  }
  std::error_code ignored;
  std::filesystem::remove_all(work_dir_, ignored);
}

int server_process::run_tool(const std::vector<std::string>& command, std::string& output) const {
  std::string line = std::string(BLENDROUTE_SERVER_PATH) + " --config " + config_path_
                     + " --set journal.path=" + journal_dir_;
  for (const auto& word : command) {
    line += " '" + word + "'";
  }
  return run_command(line, output);
}

bool server_process::start(const std::vector<std::string>& extra_args) {
  launch(extra_args);

  const std::string port_file = work_dir_ + "/port";
  // Bounded: 200 polls of 50 ms.
  for (int attempt = 0; attempt < 200; ++attempt) {
    std::ifstream in(port_file);
    unsigned port = 0;
    unsigned http_port = 0;
    if (in >> port >> http_port && port > 0 && http_port > 0) {
      port_ = static_cast<std::uint16_t>(port);
      http_port_ = static_cast<std::uint16_t>(http_port);
      return true;
    }
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds{50});
  }
  return false;
}

void server_process::launch(const std::vector<std::string>& extra_args) {
  const std::string port_file = work_dir_ + "/port";
  std::filesystem::remove(port_file);
  std::vector<std::string> args = {
      BLENDROUTE_SERVER_PATH,
      "--config",
      config_path_,
      "--set",
      "journal.path=" + journal_dir_,
      "--set",
      "listen.tcp_port=0",
      "--set",
      "listen.http_port=0",
      "--set",
      "bot.rules_file=" + std::string(BLENDROUTE_SOURCE_DIR) + "/conf/faq_bot.toml",
      "--port-file",
      port_file};
  args.insert(args.end(), extra_args.begin(), extra_args.end());

  pid_ = fork();
  if (pid_ == 0) {
    const int log_fd = open(log_path_.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    dup2(log_fd, STDERR_FILENO);
    dup2(log_fd, STDOUT_FILENO);
    for (const auto& [name, value] : environment_) {
      setenv(name.c_str(), value.c_str(), 1);
    }
    std::vector<char*> argv;
    for (auto& arg : args) {
      argv.push_back(arg.data());
    }
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
}

int server_process::stop(std::chrono::milliseconds timeout) {
  if (pid_ <= 0) {
    return -1;
  }
  ::kill(pid_, SIGTERM);
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds{20});
  }
  kill_now();
  return -1;
}

void server_process::signal(int number) {
  if (pid_ > 0) {
    ::kill(pid_, number);
  }
}

void server_process::kill_now() {
  if (pid_ <= 0) {
    return;
  }
  ::kill(pid_, SIGKILL);
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
}

std::string server_process::log() const {
  std::ifstream in(log_path_);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace blendroute::testing
