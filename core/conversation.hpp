// The conversation state machine of DESIGN.md §2, pure: events and time in, effects out.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/config.hpp"
#include "core/egress.hpp"
#include "core/error.hpp"
#include "core/event.hpp"
#include "core/outcome.hpp"
#include "core/time.hpp"

namespace blendroute {

enum class conversation_state : std::uint8_t {
  bot,
  queued,
  offered,
  agent,
  resolved,
  abandoned,
  closed,
};

std::string_view name(conversation_state s);

/// Whether a conversation in `s` still needs the bot or an agent.
bool is_open(conversation_state s);

/// The conversation a delivery id belongs to (ids are `<conv>#<opened ms>.<n>`), or empty
/// for an id not made that way.
std::string_view conversation_of_delivery(std::string_view delivery);

/// What the owner of a conversation actor must do after a transition. Egress kinds carry the
/// frame to send; the others are requests to the agent pool or the actor's timer.
struct effect {
  enum class kind : std::uint8_t {
    to_bot,
    to_agent,
    to_gateway,
    to_supervisors,
    enqueue,         ///< Ask the pool for an agent (`at_head`, `agent` excluded, `target`).
    withdraw,        ///< Take the conversation out of its queue.
    release_agent,   ///< `agent` no longer holds this conversation: its capacity is free.
    raise_priority,  ///< Move the conversation to the head of its queue.
    relax_skills,    ///< Drop the last skill it requires, keeping its place in the queue.
    arm_timer,       ///< Call `fire_sla` for `sla` at `at` (`deadline`, `level`).
    arm_idle_timer,  ///< Call `fire_idle` at `at` (`deadline`, `level` = stage).
  };

  effect() = default;

  explicit effect(kind k) : what(k) {}

  effect(kind k, egress_frame f, std::string agent_id = {})
      : what(k), frame(std::move(f)), agent(std::move(agent_id)) {}

  kind what = kind::to_supervisors;
  egress_frame frame;               ///< For the egress kinds.
  std::string agent;                ///< to_agent, enqueue (excluded), release_agent.
  std::string target_agent;         ///< enqueue after a transfer to one agent.
  std::string preferred_agent;      ///< enqueue for a returning customer, preferred until `at`.
  std::vector<std::string> skills;  ///< enqueue: skills the agent needs.
  std::string tier;                 ///< enqueue: the queue.
  bool at_head = false;
  sla_kind sla = sla_kind::bot_attempt;
  time_point deadline;
  time_point at;
  int level = 0;
  /// enqueue: when the conversation started waiting, so that one restored after a restart
  /// keeps its wait; unset means now.
  std::optional<time_point> waiting_since;
};

/// A conversation and its transitions. Not thread-safe: one conversation actor owns it.
///
/// Every input is split in two: `check` says whether it may apply (no state change), and
/// `apply` performs it and returns the effects. The caller journals the input between the
/// two, so an ownership change is durable before any of its effects leaves the router.
class conversation {
public:
  /// A conversation that no message has opened yet.
  explicit conversation(std::string id) : id_(std::move(id)) {}

  /// Whether `event` may apply now. Errors: not_owner, stale_offer, unknown_conversation.
  result<void> check(const ingress_event& event) const;

  /// Whether an accept or decline that reached the router at `arrived` came before its
  /// offer's deadline: stale_offer otherwise, even while the timer that re-offers it waits
  /// to be handled. Only the live conversation asks; a rebuild takes the journal's word
  /// that an accept it holds was in time, whatever `offer_accept` says by then.
  result<void> check_offer_in_time(const ingress_event& event, time_point arrived) const;

  /// Applies an event that passed `check`. `tier` is the policy of the conversation's tier;
  /// for a conversation not yet opened it is the tier chosen by routing.
  std::vector<effect> apply(const ingress_event& event, const tier_policy& tier, time_point now);

  /// The pool reserved `agent` for this conversation under `offer`. Returns the effects, or a
  /// single release_agent when the conversation no longer waits for an agent.
  std::vector<effect> offer_made(const std::string& agent, const std::string& offer,
                                 const tier_policy& tier, time_point now);

  /// Whether the timer (`sla`, `deadline`) armed earlier is still the current one.
  bool timer_is_current(sla_kind sla, time_point deadline) const;

  /// The deadline `sla` is armed for, if it is armed.
  optional_time armed_deadline(sla_kind sla) const {
    return deadlines_[static_cast<std::size_t>(sla)];
  }

  /// A current SLA timer fired at `level` (1 for the deadline itself): announces the breach
  /// and runs the tier's escalation step for that level.
  std::vector<effect> fire_sla(sla_kind sla, time_point deadline, int level,
                               const tier_policy& tier, time_point now);

  /// The silence the idle timer is armed for, if it is armed.
  optional_time idle_deadline() const { return idle_deadline_; }

  /// Whether the idle timer (`deadline`) armed earlier is still the current one.
  bool idle_timer_is_current(time_point deadline) const {
    return idle_deadline_ && *idle_deadline_ == deadline;
  }

  /// The customer has been silent since the last bot or agent message: stage 1 warns them
  /// (a `customer.deliver` from the router), stage 2 closes the conversation as abandoned.
  std::vector<effect> fire_idle(time_point deadline, int stage, const tier_policy& tier,
                                time_point now);

  /// The pool turned the conversation's escalation away: its tier's queue is full. Runs the
  /// tier's `queue_full` action; a conversation that already overflowed once stays with
  /// the bot.
  std::vector<effect> queue_full(const tier_policy& tier, const config& cfg, time_point now);

  /// `agent` went offline: an offer to it is revoked, a conversation it owns goes back to
  /// the head of its queue with its context. With `offers_only` (its connection dropped)
  /// only an offer is revoked.
  std::vector<effect> agent_offline(const std::string& agent, const tier_policy& tier,
                                    time_point now, bool offers_only = false);

  const std::string& id() const { return id_; }

  bool opened() const { return opened_; }

  conversation_state state() const { return state_; }

  const std::string& tier() const { return tier_; }

  /// `bot`, `queue:<tier>` or `agent:<id>`, as announced in `conversation.state`.
  std::string owner() const;

  const std::string& owner_agent() const;

  const std::string& offered_agent() const;

  const std::string& offer_id() const;

  int bot_turns() const { return bot_turns_; }

  int transfers() const { return transfers_; }

  int reopens() const { return reopens_; }

  int episode() const { return episode_; }

  bool ever_escalated() const { return ever_escalated_; }

  /// Whether the rollout put this episode in its control cohort (straight to humans).
  bool control_cohort() const { return control_cohort_; }

  time_point opened_at() const { return opened_at_; }

  /// When it reached its final state (resolved, abandoned, closed).
  time_point finished_at() const { return finished_at_; }

  /// How the conversation ended, as the KPIs count it; meaningful once it is not open.
  conversation_outcome outcome() const;

  const std::string& customer() const { return customer_; }

  const std::string& channel() const { return channel_; }

  const std::string& intent() const;

  /// The most recent `most` lines it keeps, oldest first.
  std::vector<transcript_line> transcript(std::size_t most = max_transcript_lines) const;

  /// The context sent with bot requests and offers, with at most `lines` transcript lines.
  conversation_context context(time_point now, int lines) const;

  /// The most transcript lines a conversation keeps in memory; older ones stay in the journal.
  static constexpr std::size_t max_transcript_lines = 50;

private:
  friend class snapshot_codec;  // core/conversation_snapshot.cpp: every field, both ways.

  void open(const ingress_event& event, const tier_policy& tier, time_point now);
  void on_customer_message(const ingress_event& event, const tier_policy& tier, time_point now,
                           std::vector<effect>& out);
  void on_bot_reply(const ingress_event& event, const tier_policy& tier, time_point now,
                    std::vector<effect>& out);
  void escalate(const std::string& reason, const tier_policy& tier, time_point now,
                std::vector<effect>& out, const std::string& preferred_agent = {});
  void requeue(const std::string& excluded_agent, const std::string& reason, time_point now,
               std::vector<effect>& out);
  /// The customer waits for a human again (transfer, agent gone after answering): the
  /// human-response clock starts anew.
  void restart_human_response(const tier_policy& tier, time_point now, std::vector<effect>& out);
  /// A request to the pool for an agent for this conversation's tier and skills.
  effect enqueue_request(bool at_head, const std::string& excluded_agent) const;
  void release_owner(const std::string& revoke_reason, time_point now, std::vector<effect>& out);
  void finish(conversation_state final_state, const std::string& reason, time_point now,
              std::vector<effect>& out);
  void set_state(conversation_state next, const std::string& reason, time_point now,
                 std::vector<effect>& out);
  void arm(sla_kind sla, time_point deadline, int level, time_point at, std::vector<effect>& out);
  void disarm(sla_kind sla);
  /// A `customer.deliver` from the router itself (a notice, never a reply).
  void notify_customer(const std::string& text, time_point now, std::vector<effect>& out);
  /// Starts waiting for the customer after a message to them, in the states where the
  /// customer owes the next word.
  void await_customer(const tier_policy& tier, time_point now, std::vector<effect>& out);
  void add_line(std::string speaker, std::string text, time_point now);
  /// Carries out one escalation action of an SLA breach; `step` is the matrix step it comes
  /// from, or nullptr for what the deadline itself always does.
  void run_step(escalation_action action, sla_kind sla, const escalation_step* step, time_point now,
                const tier_policy& tier, std::vector<effect>& out);
  void breach(sla_kind sla, time_point deadline, int level, escalation_action action,
              time_point now, std::vector<effect>& out);
  std::string next_delivery();
  /// Whether `delivery` is a request this conversation sent in the bot's current leg.
  bool awaits_bot_reply_to(std::string_view delivery) const;
  egress_frame frame(egress_type type, time_point now) const;

  /// What routing and the bot have learnt about the customer's need. Allocated by the first
  /// that says anything, so that a conversation nobody has looked at yet does not carry it.
  struct findings {
    std::vector<std::pair<std::string, std::string>> attrs;
    std::vector<std::string> skills;  ///< Required of the agent.
    std::string intent;
    double confidence = -1;
    std::string slots_json;
  };

  /// What only a conversation that went to humans needs.
  struct human_leg {
    std::string owner_agent;
    std::string last_agent;  ///< The agent who last resolved it, for a returning customer.
    std::string offered_agent;
    std::string offer_id;
    std::string escalation_reason;
    std::string passback_note;
    time_point escalated_at;
  };

  /// The findings, allocated on first use.
  findings& learnt();

  /// The human leg, allocated on first use.
  human_leg& human();

  const std::string& last_agent() const;

  const std::vector<std::string>& skills() const;

  // A million conversations are held in memory: what every one of them needs is kept here,
  // the rest behind the two pointers (BM_ConversationActor_ResidentMemory).
  std::string id_;
  bool opened_ = false;
  conversation_state state_ = conversation_state::bot;
  bool ever_escalated_ = false;
  bool control_cohort_ = false;
  bool agent_replied_ = false;  ///< Since the last escalation.
  bool overflowed_ = false;     ///< Moved to another tier because a queue was full.
  std::int8_t csat_ = 0;
  /// Where the oldest line of a full transcript is: a full one is a ring, so that a long
  /// conversation's new line takes the oldest one's place instead of moving the other 49.
  std::uint8_t transcript_oldest_ = 0;
  std::int16_t bot_turns_ = 0;
  std::int32_t episode_ = 0;  ///< Bumped when a message after the resume window starts anew.
  /// Times this episode was reopened inside the resume window (it is then no first-contact
  /// resolution).
  std::int32_t reopens_ = 0;
  std::int32_t transfers_ = 0;
  std::string tier_;
  std::string customer_;
  std::string channel_;
  time_point opened_at_;
  time_point resolved_at_;
  time_point finished_at_;
  std::unique_ptr<findings> findings_;
  std::unique_ptr<human_leg> human_;
  /// A vector, not a deque: an empty libstdc++ deque allocates ~600 bytes, and a million
  /// conversations are held in memory. In order until it is full, a ring after that.
  std::vector<transcript_line> transcript_;
  std::uint64_t deliveries_ = 0;
  /// `deliveries_` when the bot last took the conversation over. A bot reply that names a
  /// request numbered up to this one answers a leg that is over: a previous episode, or the
  /// bot's turn before an escalation and a pass-back.
  std::uint64_t bot_leg_from_ = 0;
  /// The armed deadline of each SLA (indexed by sla_kind); a timer whose deadline differs is
  /// stale. The actor cancels the timers it no longer wants, but one may fire while it is
  /// being cancelled, and those a recovery armed are not held: this check is what counts.
  std::array<optional_time, sla_kinds> deadlines_;
  /// Start of the customer's silence (the last message to them) while one is awaited.
  optional_time idle_deadline_;
};

}  // namespace blendroute
