// Reading conf/blendroute.toml and conf/faq_bot.toml into the validated core structs.
#pragma once

#include <string>
#include <vector>

#include "core/config.hpp"
#include "core/error.hpp"
#include "core/faq_bot.hpp"

namespace blendroute::app {

/// Reads the configuration file at `path` (an empty path means the built-in defaults),
/// applies the `key=value` overrides (values in TOML syntax; a bare word is a string), and
/// validates the result. The error lists every problem with its key and line.
result<config> load_config(const std::string& path, const std::vector<std::string>& overrides);

/// Reads the FAQ bot's rules.
result<faq_bot> load_faq_bot(const std::string& path);

}  // namespace blendroute::app
