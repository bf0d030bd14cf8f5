#pragma once
// The measured outcome of a replay, printed for people and written as JSON.

#include <cstdint>
#include <map>
#include <ostream>
#include <string>
#include <vector>

#include "bench/load/json_writer.hpp"
#include "bench/load/server_check.hpp"
#include "core/latency_histogram.hpp"

namespace blendroute::load {

/// The SLAs of DESIGN.md §3, in report order.
inline constexpr const char* sla_names[] = {"bot_attempt", "bot_max_turns", "human_response",
                                            "offer_accept"};

/// One SLA of one tier: how often it could have been breached, and how often it was.
struct sla_cell {
  /// Counted by the tool (see `replay_report::sla`).
  std::uint64_t opportunities = 0;
  /// Distinct missed deadlines: `sla.breach` frames with the same conversation, SLA and
  /// deadline count once, as the escalation matrix may announce one miss at several levels.
  std::uint64_t breaches = 0;
  /// Every `sla.breach` frame.
  std::uint64_t breach_frames = 0;

  /// 1 - breaches / opportunities, clamped to [0, 1]; negative when there is no opportunity.
  double attainment() const;
};

/// Everything a replay measured. Plain data: filled by the replay, read by the printers.
struct replay_report {
  std::string file;
  double speed = 0;
  std::string run_id;
  std::size_t conversations = 0;
  /// Customer messages in the replayed conversations, and those actually sent (the rest were
  /// not sent because the conversation had ended or the run stopped).
  std::uint64_t messages_total = 0;
  std::uint64_t messages_sent = 0;
  std::uint64_t customer_left_sent = 0;
  /// Of those, customers who left a conversation the bot still held after their last message.
  std::uint64_t walked_away_from_bot = 0;
  std::uint64_t agent_replies_sent = 0;
  std::uint64_t agent_resolves_sent = 0;
  std::uint64_t agent_accepts_sent = 0;

  /// Resolved without ever being queued.
  std::uint64_t contained = 0;
  /// Seen in state `queued` at least once.
  std::uint64_t escalated = 0;
  std::uint64_t resolved = 0;
  std::uint64_t abandoned = 0;
  std::uint64_t closed = 0;
  std::uint64_t unfinished = 0;
  /// Last state seen of each unfinished conversation ("none" when no state was seen).
  std::map<std::string, std::uint64_t> unfinished_by_state;
  /// A few unfinished conversation ids, for looking them up on the server.
  std::vector<std::string> unfinished_examples;

  /// tier -> SLA name -> cell. Opportunities are counted per conversation and land in its
  /// last known tier (`unknown` when none was seen): bot_attempt = customer messages sent while
  /// the conversation was new or in `bot`; bot_max_turns = conversations first seen in `bot`;
  /// human_response = conversations escalated; offer_accept = offers received.
  std::map<std::string, std::map<std::string, sla_cell>> sla;

  /// Frame written -> its ack, over every frame sent.
  latency_histogram ingress_ack;
  /// Customer message sent -> the next `customer.deliver` from the bot on that conversation.
  latency_histogram bot_reply;
  /// `queued` state seen by the supervisor -> `agent.offer` seen by an agent.
  latency_histogram escalation_offer;

  /// Acks by status (ok, duplicate, rejected, or whatever else arrived).
  std::map<std::string, std::uint64_t> acks_by_status;
  /// Rejected acks by error code, and by the type of the frame rejected.
  std::map<std::string, std::uint64_t> rejected_by_code;
  std::map<std::string, std::uint64_t> rejected_by_type;
  /// Acks whose id matched nothing in flight, and acks that overtook an older frame's ack.
  std::uint64_t unmatched_acks = 0;
  std::uint64_t out_of_order_acks = 0;
  /// Frames still waiting for their ack when the run ended.
  std::uint64_t unanswered = 0;

  /// `customer.deliver` frames by `from` (bot, agent, router), repeats excluded.
  std::map<std::string, std::uint64_t> replies_by_from;
  /// Repeated delivery ids (acked again, not processed again).
  std::uint64_t redeliveries = 0;
  /// Frames of types the tool does not handle, as `<role>:<type>`.
  std::map<std::string, std::uint64_t> unknown_frames;
  /// Frames about conversations of other runs or clients.
  std::uint64_t foreign_frames = 0;
  /// Frames that could not be decoded.
  std::uint64_t bad_frames = 0;

  /// Sends and replies the tool scheduled, those it ran more than 2 ms after their time (it
  /// fell behind the data's pace), and the worst lag.
  std::uint64_t scheduled = 0;
  std::uint64_t ran_late = 0;
  double worst_lag_ms = 0;

  /// The server's counters against the tool's (`--http-addr`).
  server_check check;

  /// Whether every connection came up and the clock started.
  bool started = false;
  /// From the start of the clock (all connections ready) to the end of the run.
  double wall_seconds = 0;
  bool timed_out = false;
  /// Why the run failed, one line each; empty on success.
  std::vector<std::string> failures;

  /// Total acks received, matched or not.
  std::uint64_t acks() const;

  /// Acks per second of wall time.
  double events_per_second() const;
};

/// Writes tier -> SLA -> {opportunities, breaches, breach_frames, attainment} as one JSON
/// object; attainment is null without an opportunity.
void write_sla_table(json_writer& json,
                     const std::map<std::string, std::map<std::string, sla_cell>>& sla);

/// Prints the report for people.
void print_report(std::ostream& out, const replay_report& report);

/// Returns the report as one JSON object (with a trailing newline).
std::string report_json(const replay_report& report);

}  // namespace blendroute::load
