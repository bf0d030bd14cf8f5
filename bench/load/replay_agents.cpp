// The simulated agents of the replay: accept offers, answer with the recorded agent turns,
// resolve.

#include <algorithm>
#include <string>

#include "bench/load/replay_runner.hpp"

namespace blendroute::load::replay_detail {

namespace {

// An agent takes this long (dataset time) to click "accept" on an offer.
constexpr std::chrono::nanoseconds accept_think = std::chrono::milliseconds(500);

}  // namespace

void replay_runner::on_agent_frame(std::size_t agent, const frame& f) {
  auto& a = agents_[agent];
  auto* conv = find_conv(f.conv);
  const auto ai = static_cast<std::uint32_t>(agent);
  // Every frame with a delivery id is acked, whatever its type; a repeat is not acted on.
  if (!ack_delivery(*a.client, a.deliveries, f, conv, 'a', ai)) {
    return;
  }
  const bool known = f.type == "agent.offer" || f.type == "agent.message"
                     || f.type == "agent.assigned" || f.type == "agent.revoked";
  if (!known) {
    ++report_.unknown_frames["agent:" + f.type];
    return;
  }
  if (conv == nullptr) {
    ++report_.foreign_frames;
    return;
  }

  const auto ci = conv_index(*conv);
  if (f.type == "agent.offer") {
    on_offer(ai, ci, f);
  } else if (f.type == "agent.message") {
    schedule_reply(ai, ci);
  } else if (f.type == "agent.assigned") {
    // An assignment without a known offer (ours was dropped) still makes this agent the owner.
    const auto [hold, fresh] = a.holds.try_emplace(ci);
    if (fresh) {
      hold->second.generation = ++generation_;
    }
    hold->second.assigned = true;
    conv->owner = ai;
    schedule_reply(ai, ci);
  } else {
    // agent.revoked. A revoke naming an older offer does not touch a newer one.
    const auto hold = a.holds.find(ci);
    if (hold != a.holds.end() && (f.offer.empty() || f.offer == hold->second.offer)) {
      a.holds.erase(hold);
      if (conv->owner == ai) {
        conv->owner = no_agent;
      }
    }
  }
}

void replay_runner::on_offer(std::uint32_t agent, std::uint32_t ci, const frame& f) {
  auto& conv = convs_[ci];
  const auto now = steady::now();
  ++conv.offers;
  // The supervisor's `queued` and the agent's offer travel on different connections, so
  // either may arrive first; a race counts as zero latency.
  // A re-offer without a new `queued` state is not an escalation and is not measured.
  if (conv.queued_at) {
    report_.escalation_offer.record(now - *conv.queued_at);
    conv.queued_at.reset();
  } else if (!conv.escalated) {
    conv.early_offer_at = now;
  }

  auto& hold = agents_[agent].holds[ci];
  hold.offer = f.offer;
  hold.assigned = false;
  hold.reply_scheduled = false;
  hold.generation = ++generation_;
  const auto generation = hold.generation;
  scheduler_.schedule_after(scaled(accept_think), [this, agent, ci, generation]() {
    auto* held = find_hold(agent, ci, generation);
    if (held == nullptr || held->assigned || finished_ || convs_[ci].done) {
      return;
    }
    send_agent_event(agent, ci, "agent.accept", sent_kind::agent_accept,
                     [&](json_writer& json) { json.field_raw("offer", held->offer); });
    ++report_.agent_accepts_sent;
  });
}

void replay_runner::schedule_reply(std::uint32_t agent, std::uint32_t ci) {
  auto* hold = find_hold(agent, ci);
  if (hold == nullptr || !hold->assigned || hold->reply_scheduled) {
    return;
  }
  auto& conv = convs_[ci];
  if (conv.script.next_agent_turn() == nullptr) {
    maybe_resolve(agent, ci);
    return;
  }

  // Think time and the data's gap are both dataset time; the shorter one wins.
  const nanoseconds gap = std::chrono::milliseconds(conv.script.next_agent_gap_ms());
  const auto delay = scaled(std::min(options_.think, gap));
  hold->reply_scheduled = true;
  const auto generation = hold->generation;
  scheduler_.schedule_after(delay, [this, agent, ci, generation]() {
    auto* held = find_hold(agent, ci, generation);
    if (held == nullptr) {
      return;
    }
    held->reply_scheduled = false;
    send_reply(agent, ci);
  });
}

void replay_runner::send_reply(std::uint32_t agent, std::uint32_t ci) {
  auto& conv = convs_[ci];
  auto* hold = find_hold(agent, ci);
  if (finished_ || conv.done || hold == nullptr || !hold->assigned) {
    return;
  }

  // The customer may have moved on since the reply was scheduled: answer where it is now.
  const turn* reply = conv.script.next_agent_turn();
  if (reply == nullptr) {
    maybe_resolve(agent, ci);
    return;
  }
  send_agent_event(agent, ci, "agent.reply", sent_kind::agent_reply,
                   [&](json_writer& json) { json.field("text", reply->text); });
  conv.script.mark_agent_used();
  ++report_.agent_replies_sent;

  // Consecutive agent turns in the data are sent one after the other.
  if (conv.script.next_agent_turn() != nullptr) {
    schedule_reply(agent, ci);
    return;
  }
  maybe_resolve(agent, ci);
}

void replay_runner::maybe_resolve(std::uint32_t agent, std::uint32_t ci) {
  auto& conv = convs_[ci];
  auto* hold = find_hold(agent, ci);
  if (finished_ || conv.done || conv.resolve_sent || hold == nullptr || !hold->assigned) {
    return;
  }
  if (!conv.data->complete() || !conv.script.all_customer_sent()
      || conv.script.next_agent_turn() != nullptr) {
    return;
  }

  conv.resolve_sent = true;
  send_agent_event(agent, ci, "agent.resolve", sent_kind::agent_resolve,
                   [](json_writer& json) { json.field("disposition", "resolved"); });
  ++report_.agent_resolves_sent;
}

template <typename Extra>
void replay_runner::send_agent_event(std::uint32_t agent, std::uint32_t ci, const char* type,
                                     sent_kind kind, const Extra& extra) {
  auto& conv = convs_[ci];
  auto& a = agents_[agent];
  const auto id = conv.id + "-a" + std::to_string(++conv.agent_seq);
  json_.clear();
  json_.begin_object()
      .field("type", type)
      .field("id", id)
      .field("conv", conv.id)
      .field("agent", a.id);
  extra(json_);
  json_.end_object();
  a.client->send(json_.str(), id, make_tag(kind, agent, ci));
}

agent_hold* replay_runner::find_hold(std::uint32_t agent, std::uint32_t ci) {
  auto& holds = agents_[agent].holds;
  const auto it = holds.find(ci);
  return it == holds.end() ? nullptr : &it->second;
}

agent_hold* replay_runner::find_hold(std::uint32_t agent, std::uint32_t ci,
                                     std::uint64_t generation) {
  auto* hold = find_hold(agent, ci);
  return hold != nullptr && hold->generation == generation ? hold : nullptr;
}

}  // namespace blendroute::load::replay_detail
