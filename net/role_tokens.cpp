// The tokens of [auth] and their constant-time comparison.
#include "net/role_tokens.hpp"

namespace blendroute::net {

const std::string& token_for(const auth_config& auth, role who) {
  switch (who) {
    case role::gateway:
      return auth.gateway;
    case role::bot:
      return auth.bot;
    case role::agent:
      return auth.agent;
    case role::supervisor:
      return auth.supervisor;
    case role::admin:
      break;
  }
  return auth.admin;
}

bool tokens_match(std::string_view expected, std::string_view given) {
  if (expected.empty() || expected.size() != given.size()) {
    return false;
  }
  unsigned char diff = 0;
  for (std::size_t i = 0; i < expected.size(); ++i) {
    diff |= static_cast<unsigned char>(expected[i] ^ given[i]);
  }
  return diff == 0;
}

}  // namespace blendroute::net
