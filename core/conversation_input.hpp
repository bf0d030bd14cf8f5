// Everything a conversation reacts to, ingress events and the router's own inputs alike. The
// conversation actor journals each input before applying it; recovery applies them again.
#pragma once

#include <string>
#include <variant>

#include "core/config.hpp"
#include "core/event.hpp"
#include "core/time.hpp"

namespace blendroute {

/// The pool reserved `agent` for the conversation under the offer id `offer`.
struct offer_input {
  std::string agent;
  std::string offer;
};

/// An SLA timer (or a later step of the escalation matrix) came due.
struct timer_input {
  sla_kind sla = sla_kind::bot_attempt;
  time_point deadline;
  int level = 1;
};

/// The customer has been silent since `since` for the length of `stage`.
struct idle_input {
  time_point since;
  int stage = 1;
};

/// The pool turned the escalation away because the tier's queue is full.
struct queue_full_input {};

/// The agent that held the conversation went offline; or (`offers_only`) its connection
/// dropped, which withdraws an offer to it at once while what it owns waits for the
/// disconnect grace period.
struct offline_input {
  std::string agent;
  bool offers_only = false;
};

/// One input as the journal keeps it: what happened, when the router applied it, and for
/// the event that opened a conversation the tier that routing chose for it.
struct journaled_input {
  std::variant<ingress_event, offer_input, timer_input, idle_input, queue_full_input, offline_input>
      what;
  time_point at;
  std::string routed_tier;
};

}  // namespace blendroute
