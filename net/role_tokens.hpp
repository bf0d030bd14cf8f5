// The tokens of [auth], shared by the hello frame (TCP, WebSocket) and HTTP's Bearer header.
#pragma once

#include <string>
#include <string_view>

#include "core/config.hpp"
#include "core/event.hpp"

namespace blendroute::net {

/// The token `who` presents; empty when the role is disabled.
const std::string& token_for(const auth_config& auth, role who);

/// Whether `given` is the configured token `expected` (never an empty one), compared in
/// constant time for tokens of the same length, so that a token cannot be guessed byte by
/// byte from timing.
bool tokens_match(std::string_view expected, std::string_view given);

}  // namespace blendroute::net
