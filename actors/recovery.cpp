// Rebuilding conversations and agents from the journal at start and after a failure.
#include "actors/recovery.hpp"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <thread>
#include <utility>

#include <caf/all.hpp>

#include "actors/conversation_actor.hpp"
#include "actors/journal_codec.hpp"
#include "actors/router_context.hpp"
#include "actors/router_stats.hpp"
#include "actors/session_broker.hpp"
#include "actors/type_ids.hpp"
#include "core/conversation_snapshot.hpp"
#include "persist/journal.hpp"

namespace blendroute::actors {
namespace {

constexpr std::string_view component = "actors.recovery";

/// A restored conversation waiting for an agent: queued again once all are known, oldest
/// first, so that the queues keep their order across the restart.
struct waiting_conversation {
  std::string conv;
  effect request;
};

/// A conversation rebuilt from its journal, waiting for its actor.
struct restoring_conversation {
  std::string conv_id;
  conversation conv;
  std::vector<effect> resume;
};

/// Hands rebuilt conversations from the thread reading the journal to the one spawning their
/// actors, in batches, and holds the reader back when it is a few batches ahead.
class restore_pipe {
public:
  static constexpr std::size_t batch_size = 512;

  void push(std::vector<restoring_conversation> batch) {
    if (batch.empty()) {
      return;
    }
    std::unique_lock<std::mutex> lock(mutex_);
    room_.wait(lock, [this] { return batches_.size() < max_batches; });
    batches_.push_back(std::move(batch));
    ready_.notify_one();
  }

  /// The next batch; false once the reader has closed the pipe and everything was taken.
  bool pop(std::vector<restoring_conversation>& batch) {
    std::unique_lock<std::mutex> lock(mutex_);
    ready_.wait(lock, [this] { return closed_ || !batches_.empty(); });
    if (batches_.empty()) {
      return false;
    }
    batch = std::move(batches_.front());
    batches_.pop_front();
    room_.notify_one();
    return true;
  }

  void close() {
    std::lock_guard<std::mutex> lock(mutex_);
    closed_ = true;
    ready_.notify_one();
  }

private:
  static constexpr std::size_t max_batches = 8;

  std::mutex mutex_;
  std::condition_variable ready_;
  std::condition_variable room_;
  std::deque<std::vector<restoring_conversation>> batches_;
  bool closed_ = false;
};

}  // namespace

namespace {

result<void> apply_payloads(conversation_rebuild& rebuild, const std::string& conv,
                            const std::vector<std::string>& payloads, const config& cfg) {
  for (std::size_t i = 0; i < payloads.size(); ++i) {
    auto input = decode_journal_payload(payloads[i]);
    if (!input) {
      return error{errc::journal_io, "conversation " + conv + ", record "
                                         + std::to_string(rebuild.inputs() + 1) + ": "
                                         + input.err().message};
    }
    rebuild.apply(*input, cfg);
  }
  return {};
}

}  // namespace

result<conversation_rebuild> rebuild_conversation(const std::string& conv,
                                                  const std::vector<std::string>& payloads,
                                                  const config& cfg) {
  conversation_rebuild rebuild(conv);
  if (auto applied = apply_payloads(rebuild, conv, payloads, cfg); !applied) {
    return applied.err();
  }
  return rebuild;
}

result<conversation_rebuild> rebuild_conversation_from_snapshot(
    const std::string& conv, std::string_view snapshot, const std::vector<std::string>& payloads,
    const config& cfg) {
  auto rebuild = decode_snapshot(snapshot);
  if (!rebuild) {
    return error{errc::journal_io, "conversation " + conv + ": " + rebuild.err().message};
  }
  if (rebuild->conv().id() != conv) {
    return error{errc::journal_io,
                 "conversation " + conv + ": its snapshot is of " + rebuild->conv().id()};
  }
  if (auto applied = apply_payloads(*rebuild, conv, payloads, cfg); !applied) {
    return applied.err();
  }
  return rebuild;
}

namespace {

/// From the snapshot and the records after it; a snapshot that does not decode is logged
/// and the whole journal of the conversation replayed instead, which is always right.
result<conversation_rebuild> rebuild_from_history(router_context& ctx, const std::string& conv_id,
                                                  const persist::conversation_history& history) {
  if (!history.snapshot) {
    return rebuild_conversation(conv_id, history.payloads, *ctx.cfg);
  }
  auto rebuild =
      rebuild_conversation_from_snapshot(conv_id, *history.snapshot, history.payloads, *ctx.cfg);
  if (rebuild) {
    return rebuild;
  }
  ctx.log_line(log_level::warn, component,
               "snapshot_unreadable conv=" + conv_id + " error=\"" + rebuild.err().message
                   + "\" action=replaying_the_whole_journal");
  auto all = ctx.journal->history(conv_id);
  if (!all) {
    return all.err();
  }
  return rebuild_conversation(conv_id, *all, *ctx.cfg);
}

}  // namespace

result<conversation_rebuild> rebuild_latest(router_context& ctx, const std::string& conv_id) {
  auto history = ctx.journal->history_since_snapshot(conv_id);
  if (!history) {
    return history.err();
  }
  return rebuild_from_history(ctx, conv_id, *history);
}

std::optional<caf::actor> restore_archived_conversation(caf::actor_system& system,
                                                        router_context& ctx,
                                                        const std::string& conv_id) {
  auto rebuild = rebuild_latest(ctx, conv_id);
  if (!rebuild || !rebuild->conv().opened()) {
    ctx.log_line(log_level::error, component,
                 "archived_restore_failed conv=" + conv_id + " error="
                     + (rebuild ? std::string("no opening record") : rebuild.err().message));
    return std::nullopt;
  }
  const std::string tier = ctx.policy(rebuild->conv().tier()).name;
  caf::actor restored = spawn_archived_conversation_actor(system, &ctx, rebuild->take());
  caf::anon_send(ctx.tier_routers.at(tier), supervise_atom_v, restored, conv_id);
  ctx.log_line(
      log_level::debug, component,
      "archived_restored conv=" + conv_id + " records=" + std::to_string(rebuild->inputs()));
  return restored;
}

result<recovery_report> recover(caf::actor_system& system, router_context& ctx,
                                session_broker& broker) {
  const auto started = std::chrono::steady_clock::now();
  const time_point now = ctx.clock();
  recovery_report report;

  auto agents =
      ctx.journal->for_each_agent([&](const std::string& agent, const std::string& payload) {
        auto input = decode_journal_payload(payload);
        const ingress_event* status = input ? std::get_if<ingress_event>(&input->what) : nullptr;
        if (status == nullptr || status->type != event_type::agent_status) {
          ++report.unreadable;
          ctx.log_line(log_level::error, component,
                       "agent_unreadable agent=" + agent
                           + " error=" + (input ? "not an agent.status" : input.err().message));
          return;
        }
        caf::anon_send(ctx.agent_pool, restore_atom_v, agent_restore_msg{*status});
        ++report.agents;
      });
  if (!agents) {
    return agents.err();
  }

  // One thread reads and rebuilds, this one spawns the actors: on two cores the two halves
  // take about as long as each other, so recovery takes half the time it would in one.
  std::vector<waiting_conversation> waiting;
  restore_pipe pipe;
  result<void> read{};
  std::thread reader([&] {
    std::vector<restoring_conversation> batch;
    read = ctx.journal->for_each_conversation_history([&](const std::string& conv_id,
                                                          persist::conversation_history& history) {
      report.records += history.payloads.size();
      auto rebuild = rebuild_from_history(ctx, conv_id, history);
      if (!rebuild) {
        ++report.unreadable;
        ctx.log_line(log_level::error, component,
                     "conversation_unreadable conv=" + conv_id + " error=" + rebuild.err().message);
        return;
      }
      for (const auto& problem : rebuild->problems()) {
        ctx.log_line(log_level::error, component,
                     "journal_inconsistent conv=" + conv_id + " " + problem + " action=skipped");
      }
      const conversation& conv = rebuild->conv();
      if (!conv.opened()) {
        return;
      }
      if (!is_open(conv.state())
          && now >= conv.finished_at() + ctx.policy(conv.tier()).resume_window) {
        // No actor, but a customer who writes again continues from this history.
        ctx.directory.archive(conv_id, conv.finished_at());
        ++report.finished;
        return;
      }
      broker.remember(conv.channel(), conv.customer(), conv_id);
      report.from_snapshots += history.snapshot ? 1 : 0;
      if (const std::size_t every = ctx.cfg->journal.snapshot_records;
          every > 0 && history.payloads.size() >= every) {
        // The next recovery starts here. Written behind recovery, before the first event.
        // While the server runs, the retention pass snapshots what grows long.
        ctx.journal->save_snapshot(conv_id, history.last_sequence, encode_snapshot(*rebuild),
                                   [&ctx, conv_id](const result<void>& written) {
                                     if (!written) {
                                       ctx.log_line(log_level::warn, component,
                                                    "snapshot_write_failed conv=" + conv_id
                                                        + " error=\"" + written.err().message
                                                        + "\"");
                                     }
                                   });
        ++report.snapshots_saved;
      }

      std::vector<effect> resume = rebuild->pending();
      report.overdue_deadlines += static_cast<std::size_t>(std::count_if(
          resume.begin(), resume.end(),
          [&](const effect& e) { return e.what == effect::kind::arm_timer && e.at <= now; }));
      auto request = std::find_if(resume.begin(), resume.end(),
                                  [](const effect& e) { return e.what == effect::kind::enqueue; });
      if (request != resume.end()) {
        waiting.push_back({conv_id, std::move(*request)});
        resume.erase(request);
      }
      if (const std::string& agent = rebuild->holding_agent(); !agent.empty()) {
        caf::anon_send(ctx.agent_pool, restore_atom_v, agent, conv_id);
      }
      batch.push_back({conv_id, rebuild->take(), std::move(resume)});
      if (batch.size() == restore_pipe::batch_size) {
        pipe.push(std::exchange(batch, {}));
      }
    });
    pipe.push(std::move(batch));
    pipe.close();
  });

  // Restored conversations are handed to the bot connector and their tier routers in
  // batches too: one message each would wake the scheduler threads a million times.
  std::vector<restoring_conversation> batch;
  while (pipe.pop(batch)) {
    bot_request_batch bot_requests;
    std::map<std::string, supervise_batch> supervise;
    for (auto& entry : batch) {
      const std::string tier = ctx.policy(entry.conv.tier()).name;
      if (entry.conv.opened() && is_open(entry.conv.state())) {
        ctx.stats->move_open_conversation(std::nullopt, entry.conv.state());
      }
      caf::actor restored = spawn_restored_conversation_actor(
          system, &ctx, std::move(entry.conv), std::move(entry.resume), &bot_requests.requests);
      ctx.directory.insert(entry.conv_id, restored);
      supervise[tier].conversations.emplace_back(std::move(restored), std::move(entry.conv_id));
    }
    report.restored += batch.size();
    if (!bot_requests.requests.empty()) {
      caf::anon_send(ctx.bot_connector, ask_bot_atom_v, std::move(bot_requests));
    }
    for (auto& [tier, conversations] : supervise) {
      caf::anon_send(ctx.tier_routers.at(tier), supervise_atom_v, std::move(conversations));
    }
  }
  reader.join();
  if (!read) {
    return read.err();
  }

  // Conversations that came back to the head of their queue (declined, expired, their agent
  // gone) first, then in the order they started waiting.
  std::stable_sort(waiting.begin(), waiting.end(),
                   [](const waiting_conversation& a, const waiting_conversation& b) {
                     if (a.request.at_head != b.request.at_head) {
                       return a.request.at_head;
                     }
                     return a.request.waiting_since < b.request.waiting_since;
                   });
  for (const auto& entry : waiting) {
    caf::anon_send(ctx.agent_pool, enqueue_atom_v, enqueue_request(entry.conv, entry.request, now));
  }
  report.queued = waiting.size();
  caf::anon_send(ctx.agent_pool, retry_atom_v);
  report.took = std::chrono::duration_cast<duration>(std::chrono::steady_clock::now() - started);
  return report;
}

}  // namespace blendroute::actors
