// Reading the journal offline.
#include "app/journal_tools.hpp"

#include <cstdio>
#include <map>

#include "actors/journal_codec.hpp"
#include "actors/recovery.hpp"
#include "core/conversation_snapshot.hpp"
#include "persist/journal.hpp"

namespace blendroute::app {
namespace {

result<std::unique_ptr<persist::journal>> open_journal(const config& cfg) {
  auto journal = persist::open_rocksdb_journal(cfg.journal);
  if (!journal) {
    std::fprintf(stderr, "blendroute: %s (is the server still running on it?)\n",
                 journal.err().message.c_str());
  }
  return journal;
}

/// What an agent announced last and what the open conversations say it holds.
struct agent_load {
  int capacity = 1;
  bool announced = false;
  std::size_t held = 0;
};

}  // namespace

int inspect_conversations(const config& cfg, const std::vector<std::string>& convs) {
  auto journal = open_journal(cfg);
  if (!journal) {
    return 3;
  }
  int status = 0;
  for (const auto& conv : convs) {
    auto history = (*journal)->history(conv);
    if (!history) {
      std::fprintf(stderr, "blendroute: %s\n", history.err().message.c_str());
      (*journal)->close();
      return 3;
    }
    for (const auto& payload : *history) {
      if (convs.size() > 1) {
        std::printf("%s\t%s\n", conv.c_str(), payload.c_str());
      } else {
        std::printf("%s\n", payload.c_str());
      }
    }
    if (history->empty()) {
      std::fprintf(stderr, "blendroute: no journaled history for conversation %s\n", conv.c_str());
      status = 1;
    }
  }
  (*journal)->close();
  return status;
}

int verify_journal(const config& cfg, const verify_options& options) {
  auto journal = open_journal(cfg);
  if (!journal) {
    return 3;
  }
  std::size_t conversations = 0;
  std::size_t open = 0;
  std::size_t snapshots = 0;
  std::size_t records = 0;
  std::size_t problems = 0;
  std::map<std::string, agent_load> agents;
  /// Every ingress id applied, with its conversation and when.
  std::map<std::string, std::pair<std::string, time_point>> applied_ids;

  auto read_agents =
      (*journal)->for_each_agent([&](const std::string& agent, const std::string& payload) {
        auto input = actors::decode_journal_payload(payload);
        const ingress_event* status = input ? std::get_if<ingress_event>(&input->what) : nullptr;
        if (status == nullptr || status->type != event_type::agent_status) {
          ++problems;
          std::printf("agent %s: its last state does not read: %s\n", agent.c_str(),
                      input ? "not an agent.status" : input.err().message.c_str());
          return;
        }
        agent_load& load = agents[agent];
        load.announced = true;
        load.capacity = status->capacity.value_or(load.capacity);
      });
  // Conversations with a snapshot, read from it: each must come to the state the whole
  // journal rebuilds, or recovery would start from a wrong one.
  std::map<std::string, persist::conversation_history> snapshotted;
  auto read_snapshots = (*journal)->for_each_conversation_history(
      [&](const std::string& conv, persist::conversation_history& history) {
        if (history.snapshot) {
          snapshotted.emplace(conv, std::move(history));
        }
      });
  auto read_conversations = (*journal)->for_each_conversation(
      [&](const std::string& conv, std::vector<std::string>& payloads) {
        ++conversations;
        records += payloads.size();
        for (const auto& payload : payloads) {
          auto input = actors::decode_journal_payload(payload);
          const ingress_event* event = input ? std::get_if<ingress_event>(&input->what) : nullptr;
          if (event == nullptr || event->id.empty()) {
            continue;  // Unreadable records are reported by the rebuild below.
          }
          auto [seen, fresh] = applied_ids.try_emplace(event->id, conv, input->at);
          // An id may come back once the retention has dropped it; within it, never.
          if (!fresh && input->at - seen->second.second < cfg.journal.retention) {
            ++problems;
            std::printf("ingress id %s: applied twice (conversations %s and %s)\n",
                        event->id.c_str(), seen->second.first.c_str(), conv.c_str());
          }
        }
        auto rebuild = actors::rebuild_conversation(conv, payloads, cfg);
        if (!rebuild) {
          ++problems;
          std::printf("conversation %s: %s\n", conv.c_str(), rebuild.err().message.c_str());
          return;
        }
        for (const auto& problem : rebuild->problems()) {
          ++problems;
          std::printf("conversation %s: %s\n", conv.c_str(), problem.c_str());
        }
        if (auto snap = snapshotted.find(conv); snap != snapshotted.end()) {
          ++snapshots;
          auto restored = actors::rebuild_conversation_from_snapshot(conv, *snap->second.snapshot,
                                                                     snap->second.payloads, cfg);
          if (!restored) {
            ++problems;
            std::printf("conversation %s: its snapshot: %s\n", conv.c_str(),
                        restored.err().message.c_str());
          } else if (encode_snapshot(*restored) != encode_snapshot(*rebuild)) {
            ++problems;
            std::printf(
                "conversation %s: its snapshot and the records after it do not come "
                "to the state its whole journal rebuilds\n",
                conv.c_str());
          }
        }
        if (is_open(rebuild->conv().state())) {
          ++open;
        }
        if (const std::string& agent = rebuild->holding_agent(); !agent.empty()) {
          ++agents[agent].held;
        }
        if (options.timers_fired_by_ms <= 0) {
          return;
        }
        for (const auto& pending : rebuild->pending()) {
          const bool timer = pending.what == effect::kind::arm_timer
                             || pending.what == effect::kind::arm_idle_timer;
          if (timer && unix_ms(pending.at) < options.timers_fired_by_ms) {
            ++problems;
            std::printf("conversation %s: a timer due at %lld never fired (%s)\n", conv.c_str(),
                        static_cast<long long>(unix_ms(pending.at)),
                        pending.what == effect::kind::arm_timer
                            ? std::string(name(pending.sla)).c_str()
                            : "inactivity");
          }
        }
      });
  (*journal)->close();
  for (const auto* failed : {&read_agents, &read_snapshots, &read_conversations}) {
    if (!*failed) {
      std::fprintf(stderr, "blendroute: %s\n", failed->err().message.c_str());
      return 3;
    }
  }
  for (const auto& [agent, load] : agents) {
    // An agent never announced has the pool's default capacity of one.
    if (load.held > static_cast<std::size_t>(load.capacity)) {
      ++problems;
      std::printf("agent %s: holds %zu open conversations, capacity %d%s\n", agent.c_str(),
                  load.held, load.capacity, load.announced ? "" : " (never announced)");
    }
  }
  std::printf(
      "verified conversations=%zu open=%zu records=%zu agents=%zu snapshots=%zu problems=%zu\n",
      conversations, open, records, agents.size(), snapshots, problems);
  return problems == 0 ? 0 : 1;
}

}  // namespace blendroute::app
