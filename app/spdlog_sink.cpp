// spdlog-backed log sink.
#include "app/spdlog_sink.hpp"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

namespace blendroute::app {
namespace {

spdlog::level::level_enum to_spdlog(log_level level) {
  switch (level) {
    case log_level::trace:
      return spdlog::level::trace;
    case log_level::debug:
      return spdlog::level::debug;
    case log_level::info:
      return spdlog::level::info;
    case log_level::warn:
      return spdlog::level::warn;
    case log_level::error:
      return spdlog::level::err;
  }
  return spdlog::level::info;
}

}  // namespace

spdlog_sink::spdlog_sink(log_level threshold)
    : threshold_(threshold), logger_(spdlog::stderr_color_mt("blendroute")) {
  logger_->set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ %v");
  logger_->set_level(to_spdlog(threshold));
}

spdlog_sink::~spdlog_sink() {
  logger_->flush();
  spdlog::drop("blendroute");
}

void spdlog_sink::write(log_level level, std::string_view component, std::string_view line) {
  logger_->log(to_spdlog(level), "{} {}", component, line);
  if (level >= log_level::warn) {
    logger_->flush();
  }
}

std::optional<log_level> parse_log_level(std::string_view text) {
  if (text == "trace") {
    return log_level::trace;
  }
  if (text == "debug") {
    return log_level::debug;
  }
  if (text == "info") {
    return log_level::info;
  }
  if (text == "warn") {
    return log_level::warn;
  }
  if (text == "error") {
    return log_level::error;
  }
  return std::nullopt;
}

}  // namespace blendroute::app
