// The router: the actor system, its actors, and the ingress port the network layer uses.
#pragma once

#include <functional>
#include <memory>
#include <optional>

#include <caf/actor.hpp>

#include "actors/ingress_port.hpp"
#include "actors/recovery.hpp"
#include "core/config.hpp"
#include "core/egress.hpp"
#include "core/faq_bot.hpp"
#include "core/log.hpp"
#include "core/time.hpp"

namespace blendroute::persist {
class journal;
}

namespace blendroute::actors {

struct ingress_envelope;

/// What the router needs; everything it points to must outlive the router.
struct router_options {
  std::shared_ptr<const config> cfg;
  persist::journal* journal = nullptr;
  egress_sink* egress = nullptr;
  const faq_bot* bot = nullptr;
  log_sink* log = nullptr;
  std::function<time_point()> clock;  ///< Router time; the system clock in production.
};

/// Owns the CAF actor system with the tier routers, agent pool and bot connector.
class router : public ingress_port {
public:
  /// Starts the actor system with the runtime settings of `options.cfg`.
  static std::unique_ptr<router> start(router_options options);

  ~router() override;

  /// Restores what the journal holds (open conversations, agents, queues); call once,
  /// before the first event is submitted. Logs what it restored and how long it took.
  result<recovery_report> recover();

  void submit(ingress_event event, ack_callback done) override;

  std::string unready_reason() const override;

  void agent_connection(const std::string& agent, bool connected) override;

  void ask_embedded_bot(const egress_frame& request) override;

  void query_conversation(const std::string& conv, conversation_answer answer) override;

  void query_timeline(
      const std::string& conv,
      std::function<void(std::optional<std::vector<timeline_entry>>)> answer) override;

  void query_agents(agents_answer answer) override;

  void query_queues(queues_answer answer) override;

  void query_metrics(std::function<void(std::string)> answer) override;

  void query_kpis(std::function<void(kpi_report)> answer) override;

  void query_rollout(std::function<void(std::string)> answer) override;

  void control_rollout(const std::string& action, const std::string& argument,
                       const std::string& by,
                       std::function<void(result<std::string>)> answer) override;

  /// Makes `next` the configuration of every actor (a SIGHUP reload). It must have the
  /// same tiers and the same settings outside what merge_live_changes() takes. Conversations
  /// follow it from their next step: timers already armed keep their deadlines.
  void reload(std::shared_ptr<const config> next);

  /// Stops every actor and waits for them; later submissions are rejected as `unavailable`.
  /// Close the journal after this and before destroying the router: its last callbacks may
  /// still address the stopped actors.
  void stop();

  /// Conversations that have an actor (closed ones included, until they are passivated).
  std::size_t conversation_actor_count() const;

private:
  struct impl;

  explicit router(std::unique_ptr<impl> state);

  /// Hands an event whose id this router has claimed to the actor that applies it.
  void dispatch(ingress_envelope envelope);

  /// The actor of archived conversation `conv`, rebuilt from its journal; nullopt when it is
  /// not archived, or (`failed`) when its history cannot be read.
  std::optional<caf::actor> restore_archived(const std::string& conv, bool& failed);

  std::unique_ptr<impl> impl_;
};

}  // namespace blendroute::actors
