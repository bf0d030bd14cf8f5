// Retention: the journal keeps finished conversations and ingress ids for a configured time.
#include "actors/retention_actor.hpp"

#include <atomic>
#include <memory>

#include <caf/all.hpp>

#include "actors/recovery.hpp"
#include "actors/router_context.hpp"
#include "actors/session_broker.hpp"
#include "actors/type_ids.hpp"
#include "core/conversation_snapshot.hpp"

namespace blendroute::actors {
namespace {

constexpr std::string_view component = "persist.retention";

/// Conversations snapshotted per retention pass at the most.
constexpr std::size_t max_snapshots_per_pass = 5'000;

/// One pass: conversations shard by shard (each deletion queued while the shard is locked,
/// see conversation_directory::expire_archived), then the ingress ids.
void sweep(router_context& ctx, session_broker& broker) {
  const time_point before = ctx.clock() - ctx.cfg->journal.retention;
  auto failures = std::make_shared<std::atomic<int>>(0);
  auto note = [&ctx, failures](const result<void>& written) {
    if (!written && failures->fetch_add(1) == 0) {
      // Nothing is lost: the conversations are gone from memory only, and their history is
      // deleted by the next restart's recovery pass instead.
      ctx.log_line(log_level::warn, component,
                   "retention_write_failed error=\"" + written.err().message + "\"");
    }
  };
  std::vector<std::string> forgotten;
  const std::size_t expired =
      ctx.directory.expire_archived(before, [&](std::vector<std::string> convs) {
        forgotten.insert(forgotten.end(), convs.begin(), convs.end());
        ctx.journal->forget(std::move(convs), time_point{}, note);
      });
  broker.forget(forgotten);
  if (ctx.egress != nullptr && !forgotten.empty()) {
    ctx.egress->forget_conversations(forgotten);
  }
  ctx.journal->forget({}, before, note);
  if (expired > 0) {
    ctx.log_line(log_level::debug, component,
                 "retention_swept conversations=" + std::to_string(expired)
                     + " before_ms=" + std::to_string(unix_ms(before)));
  }
}

/// Snapshots the conversations whose journal grew long since their last snapshot, so that
/// a recovery after a crash reads only what came after (recovery snapshots what it restores
/// too). Bounded per pass; what is left waits for the next.
void snapshot_long_conversations(router_context& ctx) {
  const std::size_t every = ctx.cfg->journal.snapshot_records;
  if (every == 0) {
    return;
  }
  std::size_t saved = 0;
  for (const auto& conv : ctx.journal->take_snapshot_candidates(max_snapshots_per_pass)) {
    auto history = ctx.journal->history_since_snapshot(conv);
    if (!history || history->payloads.size() < every) {
      continue;  // Unreadable (recovery will say so), or a slot it shares filled up.
    }
    auto rebuild = history->snapshot ? rebuild_conversation_from_snapshot(
                       conv, *history->snapshot, history->payloads, *ctx.cfg)
                                     : rebuild_conversation(conv, history->payloads, *ctx.cfg);
    if (!rebuild || !rebuild->conv().opened()) {
      continue;
    }
    ctx.journal->save_snapshot(conv, history->last_sequence, encode_snapshot(*rebuild),
                               [&ctx, conv](const result<void>& written) {
                                 if (!written) {
                                   ctx.log_line(log_level::warn, component,
                                                "snapshot_write_failed conv=" + conv + " error=\""
                                                    + written.err().message + "\"");
                                 }
                               });
    ++saved;
  }
  if (saved > 0) {
    ctx.log_line(log_level::debug, component,
                 "snapshots_saved conversations=" + std::to_string(saved));
  }
}

caf::behavior retention_actor(caf::event_based_actor* self, router_context* ctx,
                              session_broker* broker) {
  const auto every = std::chrono::milliseconds{ctx->cfg->journal.retention_sweep.count()};
  self->delayed_send(self, every, sweep_atom_v);
  return {
      [=](sweep_atom) {
        sweep(*ctx, *broker);
        snapshot_long_conversations(*ctx);
        self->delayed_send(self, every, sweep_atom_v);
      },
  };
}

}  // namespace

caf::actor spawn_retention_actor(caf::actor_system& system, router_context* ctx,
                                 session_broker* broker) {
  // Detached: a pass reads the journal, which must not hold up a scheduler thread the
  // conversations need.
  return system.spawn<caf::detached>(retention_actor, ctx, broker);
}

}  // namespace blendroute::actors
