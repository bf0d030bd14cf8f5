// The simulated customers (through the gateways) and the supervisor's view of the replay.

#include <string>

#include "bench/load/replay_runner.hpp"

namespace blendroute::load::replay_detail {

namespace {

// Bound per conversation on the states kept for the report.
constexpr std::size_t max_states_kept = 32;

bool is_final_state(std::string_view state) {
  return state == "resolved" || state == "abandoned" || state == "closed";
}

}  // namespace

void replay_runner::schedule_next_customer_event(std::uint32_t ci) {
  auto& conv = convs_[ci];
  if (const turn* next = conv.script.next_customer_turn(); next != nullptr) {
    const auto when = conv.start_at + scaled(std::chrono::milliseconds(next->at_ms));
    scheduler_.schedule_at(when, [this, ci]() { send_customer_turn(ci); });
    return;
  }

  // The data ends here. A disconnect in the data becomes a realistic abandon; a complete
  // conversation is left to the agent or bot to resolve.
  if (!conv.data->complete() && !conv.left_sent) {
    const auto when = conv.start_at + scaled(std::chrono::milliseconds(conv.data->duration_ms()));
    scheduler_.schedule_at(when, [this, ci]() { send_customer_left(ci); });
    return;
  }

  // A customer whose last message the bot answered without resolving or handing over would,
  // in a real chat, close the window: after a grace period the gateway reports it as left.
  const auto when =
      conv.start_at
      + scaled(std::chrono::milliseconds(conv.data->duration_ms()) + defaults::customer_walk_away);
  scheduler_.schedule_at(when, [this, ci]() {
    if (convs_[ci].state == "bot") {
      ++report_.walked_away_from_bot;
      send_customer_left(ci);
    }
  });
}

void replay_runner::send_customer_turn(std::uint32_t ci) {
  auto& conv = convs_[ci];
  const turn* next = conv.script.next_customer_turn();
  if (finished_ || conv.done || next == nullptr) {
    return;
  }

  const auto id = conv.id + "-c" + std::to_string(++conv.customer_seq);
  json_.clear();
  json_.begin_object()
      .field("type", "customer.message")
      .field("id", id)
      .field("conv", conv.id)
      .field("text", next->text)
      // Customers are new in every run: a rerun against a kept journal must not continue
      // (session broker) the conversations of the run before.
      .field("customer", "cust-" + conv.id)
      .field("channel", "webchat")
      .key("attrs")
      .begin_object()
      .field("flow", conv.data->flow);
  if (!conv.data->domain.empty()) {
    json_.field("domain", conv.data->domain);
  }
  json_.end_object().field_integer("ts", unix_ms()).end_object();

  // A message to a new or bot-owned conversation is a bot_attempt opportunity and waits for
  // the bot's reply.
  if (conv.states.empty() || conv.state == "bot") {
    ++conv.bot_attempts;
    conv.awaiting_bot_reply.emplace_back(id, steady::now());
  }
  gateways_[conv.gateway].client->send(json_.str(), id,
                                       make_tag(sent_kind::customer_message, no_agent, ci));
  conv.script.mark_customer_sent();
  ++report_.messages_sent;
  schedule_next_customer_event(ci);
}

void replay_runner::send_customer_left(std::uint32_t ci) {
  auto& conv = convs_[ci];
  if (finished_ || conv.done || conv.left_sent) {
    return;
  }

  conv.left_sent = true;
  const auto id = conv.id + "-c" + std::to_string(++conv.customer_seq);
  json_.clear();
  json_.begin_object()
      .field("type", "customer.left")
      .field("id", id)
      .field("conv", conv.id)
      .end_object();
  gateways_[conv.gateway].client->send(json_.str(), id,
                                       make_tag(sent_kind::customer_left, no_agent, ci));
  ++report_.customer_left_sent;
}

void replay_runner::on_gateway_frame(std::size_t gateway, const frame& f) {
  auto* conv = find_conv(f.conv);
  auto& g = gateways_[gateway];
  if (!ack_delivery(*g.client, g.deliveries, f, conv, 'c', no_agent)) {
    return;
  }
  if (f.type != "customer.deliver") {
    ++report_.unknown_frames["gateway:" + f.type];
    return;
  }
  if (conv == nullptr) {
    ++report_.foreign_frames;
    return;
  }
  ++report_.replies_by_from[f.from.empty() ? "unknown" : f.from];
  if (f.from == "bot" && !conv->awaiting_bot_reply.empty()) {
    report_.bot_reply.record(steady::now() - conv->awaiting_bot_reply.front().second);
    conv->awaiting_bot_reply.pop_front();
  }
}

void replay_runner::on_supervisor_frame(const frame& f) {
  // No supervisor frame is listed with a delivery id, but any frame that has one is acked.
  if (!ack_delivery(*supervisor_, supervisor_deliveries_, f, nullptr, 's', no_agent)) {
    return;
  }
  if (f.type != "conversation.state" && f.type != "sla.breach") {
    ++report_.unknown_frames["supervisor:" + f.type];
    return;
  }
  auto* conv = find_conv(f.conv);
  if (conv == nullptr) {
    ++report_.foreign_frames;
    return;
  }

  if (f.type == "sla.breach") {
    on_breach(*conv, f);
    return;
  }
  on_state(*conv, f);
}

void replay_runner::on_state(conv_run& conv, const frame& f) {
  const auto now = steady::now();
  if (!f.tier.empty()) {
    conv.tier = f.tier;
  }
  if (conv.states.empty()) {
    conv.started_in_bot = f.state == "bot";
  }
  if (conv.states.size() < max_states_kept) {
    conv.states.push_back(f.state);
  }
  conv.state = f.state;

  if (f.state == "queued") {
    conv.escalated = true;
    if (conv.early_offer_at) {
      report_.escalation_offer.record(nanoseconds(0));
      conv.early_offer_at.reset();
    } else {
      conv.queued_at = now;
    }
  }
  // Once a human owns it, no bot reply will come for the messages still waiting for one.
  if (f.state == "agent") {
    conv.awaiting_bot_reply.clear();
  }

  // The latest state decides; a conversation reopened after a final state is open again.
  const bool done = is_final_state(f.state);
  if (done != conv.done) {
    conv.done = done;
    final_count_ = done ? final_count_ + 1 : final_count_ - 1;
  }
  if (done) {
    conv.awaiting_bot_reply.clear();
    check_all_final();
  }
}

void replay_runner::on_breach(conv_run& conv, const frame& f) {
  // The frame's tier is authoritative; older servers may leave it out.
  std::string tier = f.tier.empty() ? conv.tier : f.tier;
  if (tier.empty()) {
    tier = "unknown";
  }
  auto& cell = report_.sla[tier][f.sla.empty() ? "unknown" : f.sla];
  ++cell.breach_frames;
  if (breaches_seen_.insert(conv.id + "\n" + f.sla + "\n" + f.deadline).second) {
    ++cell.breaches;
  }
}

}  // namespace blendroute::load::replay_detail
