// Names of egress frame types.
#include "core/egress.hpp"

#include <array>

namespace blendroute {

std::string_view name(egress_type t) {
  static constexpr std::array<std::string_view, 8> names = {
      "bot.request",   "agent.offer",      "agent.assigned",     "agent.revoked",
      "agent.message", "customer.deliver", "conversation.state", "sla.breach",
  };
  return names[static_cast<std::size_t>(t)];
}

}  // namespace blendroute
