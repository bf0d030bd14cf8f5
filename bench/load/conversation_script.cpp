// Walks one recorded conversation as the replay plays it.

#include "bench/load/conversation_script.hpp"

#include <algorithm>

namespace blendroute::load {

conversation_script::conversation_script(const conversation& data) : data_(&data) {
  for (std::size_t i = 0; i < data.turns.size(); ++i) {
    if (data.turns[i].who == speaker::customer) {
      customer_.push_back(i);
    }
  }
}

const turn* conversation_script::next_customer_turn() const {
  if (all_customer_sent()) {
    return nullptr;
  }
  return &data_->turns[customer_[customer_sent_]];
}

void conversation_script::mark_customer_sent() {
  if (all_customer_sent()) {
    return;
  }

  // Agent turns before this customer turn are now out of date.
  agent_from_ = std::max(agent_from_, customer_[customer_sent_] + 1);
  ++customer_sent_;
}

const turn* conversation_script::next_agent_turn() const {
  const auto index = agent_index();
  return index < data_->turns.size() ? &data_->turns[index] : nullptr;
}

std::int64_t conversation_script::next_agent_gap_ms() const {
  const auto index = agent_index();
  if (index >= data_->turns.size()) {
    return 0;
  }

  // Actions take the time of the event before them, so measure from the last spoken turn.
  for (std::size_t before = index; before > 0; --before) {
    const auto& previous = data_->turns[before - 1];
    if (previous.who != speaker::action) {
      return std::max<std::int64_t>(data_->turns[index].at_ms - previous.at_ms, 0);
    }
  }
  return 0;
}

void conversation_script::mark_agent_used() {
  const auto index = agent_index();
  if (index < data_->turns.size()) {
    agent_from_ = index + 1;
  }
}

std::size_t conversation_script::agent_index() const {
  const auto& turns = data_->turns;
  std::size_t index = agent_from_;
  while (index < turns.size() && turns[index].who == speaker::action) {
    ++index;
  }
  if (index < turns.size() && turns[index].who == speaker::agent) {
    return index;
  }
  return turns.size();
}

}  // namespace blendroute::load
