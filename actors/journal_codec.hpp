// The JSON payloads the actors write to the journal.
#pragma once

#include <string>
#include <string_view>

#include "core/config.hpp"
#include "core/conversation_input.hpp"
#include "core/error.hpp"
#include "core/event.hpp"
#include "core/time.hpp"

namespace blendroute::actors {

/// An applied ingress event, with the router time it was applied at and, for the event that
/// opens a conversation, the tier routing chose. Holds every field the state machine reads,
/// so that recovery can apply it again.
std::string journal_event(const ingress_event& event, time_point at,
                          std::string_view routed_tier = {});

/// An offer the pool made and the conversation accepted to send (an ownership change).
std::string journal_offer(const std::string& agent, const std::string& offer, time_point at);

/// A breach fired at `level` of the escalation matrix.
std::string journal_breach(sla_kind sla, time_point deadline, int level, time_point at);

/// The customer's silence since `since` reached `stage` (1 warned, 2 closed).
std::string journal_idle(time_point since, int stage, time_point at);

/// The queue of `tier` was full when the conversation escalated.
std::string journal_queue_full(const std::string& tier, time_point at);

/// An agent that went offline while it held the conversation.
std::string journal_agent_offline(const std::string& agent, time_point at,
                                  bool offers_only = false);

/// Reads back a payload written by one of the functions above. Errors name what is wrong;
/// a journal that yields one is damaged or was written by an incompatible version.
result<journaled_input> decode_journal_payload(std::string_view payload);

}  // namespace blendroute::actors
