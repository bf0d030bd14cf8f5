// Retention: the journal keeps finished conversations and ingress ids for a configured time.
#include "actors/retention_actor.hpp"

#include <atomic>
#include <memory>

#include <caf/all.hpp>

#include "actors/router_context.hpp"
#include "actors/session_broker.hpp"
#include "actors/type_ids.hpp"

namespace blendroute::actors {
namespace {

constexpr std::string_view component = "persist.retention";

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
  ctx.journal->forget({}, before, note);
  if (expired > 0) {
    ctx.log_line(log_level::debug, component,
                 "retention_swept conversations=" + std::to_string(expired)
                     + " before_ms=" + std::to_string(unix_ms(before)));
  }
}

caf::behavior retention_actor(caf::event_based_actor* self, router_context* ctx,
                              session_broker* broker) {
  const auto every = std::chrono::milliseconds{ctx->cfg->journal.retention_sweep.count()};
  self->delayed_send(self, every, sweep_atom_v);
  return {
      [=](sweep_atom) {
        sweep(*ctx, *broker);
        self->delayed_send(self, every, sweep_atom_v);
      },
  };
}

}  // namespace

caf::actor spawn_retention_actor(caf::actor_system& system, router_context* ctx,
                                 session_broker* broker) {
  return system.spawn(retention_actor, ctx, broker);
}

}  // namespace blendroute::actors
