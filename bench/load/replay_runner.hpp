#pragma once
// The engine of `blendroute-load replay`: connections, timing, the simulated customers and
// agents, and the measurements. Internal to the replay; the entry point is replay.hpp.

#include <chrono>
#include <cstdint>
#include <memory>
#include <ostream>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include "bench/load/dataset.hpp"
#include "bench/load/event_scheduler.hpp"
#include "bench/load/json_writer.hpp"
#include "bench/load/options.hpp"
#include "bench/load/replay_state.hpp"
#include "bench/load/report.hpp"
#include "bench/load/server_check.hpp"
#include "bench/load/wire_client.hpp"

namespace blendroute::load::replay_detail {

/// Runs one replay from the first connect to the report.
///
/// Owns the io_context and runs everything on the thread that calls `run()`: there are no
/// locks, and every callback and scheduled task runs to completion before the next. The
/// member functions are grouped by role: life cycle and acks in replay_runner.cpp, customers
/// and the supervisor in replay_customers.cpp, agents in replay_agents.cpp.
class replay_runner {
public:
  /// `options` and `log` must outlive the runner.
  replay_runner(const replay_options& options, std::ostream& log);

  /// Runs the replay to its end (all conversations final, a failure or the timeout) and
  /// returns what it measured. Call once.
  replay_report run();

private:
  using nanoseconds = std::chrono::nanoseconds;

  // ---- life cycle (replay_runner.cpp) ----

  /// Reads the dataset and resolves the router's address; false (with a failure) on error.
  bool prepare();

  /// Warns when the slowest conversation cannot finish within the timeout.
  void warn_if_too_long();

  /// Creates and starts every connection.
  void connect_all();

  /// Builds a client whose callbacks route to this runner. `agent` or `gateway` says which
  /// connection it is; the supervisor has neither.
  std::unique_ptr<wire_client> make_client(const std::string& name, wire_identity identity,
                                           std::size_t agent = no_agent,
                                           std::size_t gateway = SIZE_MAX);

  /// Announces agent `agent` as available with the configured capacity.
  void send_agent_status(std::size_t agent);

  /// Counts a welcome (or, for agents, a status ack); the last one starts the clock.
  void note_ready();

  /// Starts the clock and schedules every conversation's first turn.
  void begin();

  void arm_timeout();

  /// Records a failure that happened before the start.
  void fail_setup(const std::string& reason);

  /// Records a failure and ends the run.
  void fail_run(const std::string& reason);

  /// Ends the run once every conversation is final and the acks in flight have arrived.
  void check_all_final();

  void check_drained();

  /// Stops every timer and closes every connection, so that `io_.run()` returns.
  void finish();

  void print_progress();

  /// Turns the per-conversation state into the report's counts and failures.
  void build_report();
  /// What the replay counted, for the server check.
  tool_tally tally() const;

  // ---- acks and deliveries (replay_runner.cpp) ----

  void on_ack(const std::string& client, const ack_event& event);

  /// Counts a rejection and undoes what the rejected frame assumed.
  void on_rejected(const std::string& client, const ack_event& event, sent_kind kind);

  /// Acks `f`'s delivery, if it has one. Returns false when the delivery was seen before: it
  /// is acked again (our earlier ack may be in flight or lost) but must not be acted on twice.
  /// `side` is 'c' or 'a', the id series used on `conv`.
  bool ack_delivery(wire_client& client, std::unordered_set<std::string>& seen, const frame& f,
                    conv_run* conv, char side, std::uint32_t agent);

  // ---- customers and the supervisor (replay_customers.cpp) ----

  /// Schedules the next customer turn of `ci`, or its `customer.left` once the data ends.
  void schedule_next_customer_event(std::uint32_t ci);

  void send_customer_turn(std::uint32_t ci);

  void send_customer_left(std::uint32_t ci);

  void on_gateway_frame(std::size_t gateway, const frame& f);

  void on_supervisor_frame(const frame& f);

  void on_state(conv_run& conv, const frame& f);

  void on_breach(conv_run& conv, const frame& f);

  // ---- agents (replay_agents.cpp) ----

  void on_agent_frame(std::size_t agent, const frame& f);

  /// Takes an offer and schedules its accept.
  void on_offer(std::uint32_t agent, std::uint32_t ci, const frame& f);

  /// Schedules the agent's next reply on `ci`, if it owns it and the data has one to give.
  void schedule_reply(std::uint32_t agent, std::uint32_t ci);

  void send_reply(std::uint32_t agent, std::uint32_t ci);

  /// Resolves once the customer has said everything and every agent turn was sent.
  void maybe_resolve(std::uint32_t agent, std::uint32_t ci);

  /// Sends an agent event with type, id, conv and agent, plus the fields `extra` adds.
  template <typename Extra>
  void send_agent_event(std::uint32_t agent, std::uint32_t ci, const char* type, sent_kind kind,
                        const Extra& extra);

  agent_hold* find_hold(std::uint32_t agent, std::uint32_t ci);

  /// As above, but only while the hold is the one a task was scheduled for.
  agent_hold* find_hold(std::uint32_t agent, std::uint32_t ci, std::uint64_t generation);

  // ---- helpers (replay_runner.cpp) ----

  conv_run* find_conv(const std::string& id);

  std::uint32_t conv_index(const conv_run& conv) const {
    return static_cast<std::uint32_t>(&conv - convs_.data());
  }

  /// Dataset time to wall time.
  nanoseconds scaled(nanoseconds data_time) const;

  /// When conversation `i` starts, relative to the clock start: spread evenly over the ramp.
  nanoseconds ramp_offset(std::size_t i) const;

  /// The system clock in Unix milliseconds, for `ts` fields and the default run id.
  static std::int64_t unix_ms();

  void warn(const std::string& line);

  /// Logs a connection's warning unless another connection already logged the same one.
  void warn_client(const std::string& client, std::string_view line);

  const replay_options& options_;
  std::ostream& log_;
  std::string run_id_;
  boost::asio::io_context io_;
  event_scheduler scheduler_;
  boost::asio::steady_timer timeout_timer_;
  boost::asio::steady_timer drain_timer_;
  boost::asio::ip::tcp::endpoint endpoint_;

  std::vector<conversation> dataset_;
  std::vector<conv_run> convs_;
  std::unordered_map<std::string, std::uint32_t> conv_index_;

  std::unique_ptr<wire_client> supervisor_;
  std::unordered_set<std::string> supervisor_deliveries_;
  std::vector<agent_run> agents_;
  std::vector<gateway_run> gateways_;

  // Reused for every frame sent; a frame is built and handed to a client in one go.
  json_writer json_;
  std::uint64_t generation_ = 0;
  std::uint64_t loose_seq_ = 0;
  std::uint64_t rejected_logged_ = 0;
  std::uint64_t customer_messages_ok_ = 0;
  // (conversation, SLA, deadline) of every breach, to count a miss once across levels.
  std::set<std::string> breaches_seen_;
  std::unordered_map<std::string, std::uint64_t> client_warnings_;

  std::size_t ready_ = 0;
  std::size_t final_count_ = 0;
  bool started_ = false;
  bool draining_ = false;
  bool finished_ = false;
  steady::time_point program_start_;
  steady::time_point run_start_;
  steady::time_point end_;
  replay_report report_;
};

}  // namespace blendroute::load::replay_detail
