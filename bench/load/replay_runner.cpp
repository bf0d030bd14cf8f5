// The engine of `blendroute-load replay`: life cycle, acks and deliveries, and the report.

#include "bench/load/replay_runner.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <utility>

#include "bench/load/duration.hpp"
#include "bench/load/endpoint.hpp"

namespace blendroute::load::replay_detail {

namespace {

// Wall-clock interval of the progress lines.
constexpr std::chrono::nanoseconds progress_interval = std::chrono::seconds(5);

// Once every conversation is final, outstanding acks get this long to arrive.
constexpr std::chrono::nanoseconds drain_limit = std::chrono::seconds(2);

// Rejected acks and unmatched acks are logged one by one only up to this many.
constexpr std::uint64_t log_budget = 10;

constexpr std::size_t max_unfinished_examples = 5;

std::string agent_name(std::size_t index) {
  char name[32];
  std::snprintf(name, sizeof name, "agent-%02zu", index + 1);
  return name;
}

}  // namespace

std::int64_t replay_runner::unix_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

replay_runner::replay_runner(const replay_options& options, std::ostream& log)
    : options_(options),
      log_(log),
      run_id_(options.run_id),
      scheduler_(io_),
      timeout_timer_(io_),
      drain_timer_(io_) {
  if (run_id_.empty()) {
    run_id_ = std::to_string(unix_ms() / 1000);
  }
}

replay_report replay_runner::run() {
  report_.file = options_.file;
  report_.speed = options_.speed;
  report_.run_id = run_id_;
  program_start_ = steady::now();
  const bool check = !options_.common.http_addr.empty();
  server_snapshot before;
  if (check) {
    before = fetch_server_snapshot(options_.common.http_addr, options_.common.supervisor_token,
                                   server_check_timeout);
  }
  arm_timeout();
  if (prepare()) {
    connect_all();
    io_.run();
  }
  build_report();
  if (check) {
    const auto after = fetch_server_snapshot(
        options_.common.http_addr, options_.common.supervisor_token, server_check_timeout);
    report_.check =
        cross_check(before, after,
                    std::chrono::duration<double>(steady::now() - program_start_).count(), tally());
  } else {
    report_.check.unavailable = "no --http-addr";
  }
  return std::move(report_);
}

bool replay_runner::prepare() {
  auto loaded = load_dataset(options_.file, options_.limit);
  if (!loaded.ok()) {
    fail_setup(loaded.error);
    return false;
  }
  dataset_ = std::move(loaded.conversations);
  if (loaded.skipped > 0) {
    warn("load.dataset skipped conversations without a customer turn count="
         + std::to_string(loaded.skipped));
  }
  if (dataset_.size() >= no_conv) {
    fail_setup("too many conversations for one run");
    return false;
  }

  convs_.reserve(dataset_.size());
  for (std::size_t i = 0; i < dataset_.size(); ++i) {
    convs_.emplace_back(dataset_[i], run_id_ + "-" + dataset_[i].id);
    auto& conv = convs_.back();
    conv.gateway = i % options_.gateways;
    if (!conv_index_.emplace(conv.id, static_cast<std::uint32_t>(i)).second) {
      fail_setup(options_.file + ": duplicate conversation id " + dataset_[i].id);
      return false;
    }
    report_.messages_total += conv.script.customer_turns();
  }
  warn_if_too_long();

  if (auto problem = resolve_endpoint(io_, options_.common.addr, endpoint_); !problem.empty()) {
    fail_setup(problem);
    return false;
  }
  return true;
}

void replay_runner::warn_if_too_long() {
  nanoseconds longest{0};
  for (std::size_t i = 0; i < dataset_.size(); ++i) {
    const auto end = ramp_offset(i) + scaled(std::chrono::milliseconds(dataset_[i].duration_ms()));
    longest = std::max(longest, end);
  }
  if (longest > options_.common.timeout) {
    warn("load.replay the slowest conversation needs " + format_latency(longest)
         + " of wall time at this speed and ramp, more than --timeout "
         + format_duration(options_.common.timeout)
         + "; escalated conversations may stay unfinished");
  }
}

void replay_runner::connect_all() {
  const auto& common = options_.common;
  supervisor_ = make_client("supervisor", {"supervisor", common.supervisor_token, ""});

  agents_.resize(options_.agents);
  for (std::size_t i = 0; i < agents_.size(); ++i) {
    agents_[i].id = agent_name(i);
    agents_[i].client = make_client(agents_[i].id, {"agent", common.agent_token, agents_[i].id}, i);
  }
  gateways_.resize(options_.gateways);
  for (std::size_t i = 0; i < gateways_.size(); ++i) {
    gateways_[i].client = make_client("gateway-" + std::to_string(i + 1),
                                      {"gateway", common.gateway_token, ""}, no_agent, i);
  }

  supervisor_->start();
  for (auto& agent : agents_) {
    agent.client->start();
  }
  for (auto& gateway : gateways_) {
    gateway.client->start();
  }
}

std::unique_ptr<wire_client> replay_runner::make_client(const std::string& name,
                                                        wire_identity identity, std::size_t agent,
                                                        std::size_t gateway) {
  wire_client_options client_options;
  client_options.name = name;
  client_options.identity = std::move(identity);

  wire_handlers handlers;
  handlers.on_welcome = [this, agent]() {
    if (agent != no_agent) {
      send_agent_status(agent);
      return;
    }
    note_ready();
  };
  handlers.on_frame = [this, agent, gateway](const frame& f) {
    if (agent != no_agent) {
      on_agent_frame(agent, f);
    } else if (gateway != SIZE_MAX) {
      on_gateway_frame(gateway, f);
    } else {
      on_supervisor_frame(f);
    }
  };
  handlers.on_ack = [this, name](const ack_event& event) {
    on_ack(name, event);
  };
  handlers.on_failure = [this, name](std::string_view reason) {
    fail_run(name + ": " + std::string(reason));
  };
  handlers.on_warning = [this, name](std::string_view line) {
    warn_client(name, line);
  };
  return std::make_unique<wire_client>(io_, endpoint_, std::move(client_options),
                                       std::move(handlers));
}

void replay_runner::send_agent_status(std::size_t agent) {
  auto& a = agents_[agent];
  json_.clear();
  // The session makes the id unique per connection, so a quick rerun with the same run id
  // (Unix seconds) is not answered `duplicate` and left unavailable.
  const auto& session = a.client->session();
  const auto id =
      run_id_ + "-" + a.id + "-status-" + (session.empty() ? std::to_string(unix_ms()) : session);
  json_.begin_object()
      .field("type", "agent.status")
      .field("id", id)
      .field("agent", a.id)
      .field("status", "available")
      .field_unsigned("capacity", options_.capacity)
      .key("skills")
      .begin_array()
      .end_array()
      .end_object();
  a.client->send(json_.str(), id,
                 make_tag(sent_kind::agent_status, static_cast<std::uint32_t>(agent), no_conv));
}

void replay_runner::note_ready() {
  ++ready_;
  if (ready_ == 1 + agents_.size() + gateways_.size()) {
    begin();
  }
}

void replay_runner::begin() {
  started_ = true;
  run_start_ = steady::now();
  if (!options_.common.quiet) {
    log_ << "info load.replay started conversations=" << convs_.size()
         << " agents=" << agents_.size() << " gateways=" << gateways_.size()
         << " speed=" << options_.speed << " run_id=" << run_id_ << std::endl;
  }

  for (std::size_t i = 0; i < convs_.size(); ++i) {
    convs_[i].start_at = run_start_ + ramp_offset(i);
    schedule_next_customer_event(static_cast<std::uint32_t>(i));
  }
  if (!options_.common.quiet) {
    scheduler_.schedule_after(progress_interval, [this]() { print_progress(); });
  }
  check_all_final();
}

void replay_runner::arm_timeout() {
  timeout_timer_.expires_at(program_start_ + options_.common.timeout);
  timeout_timer_.async_wait([this](const boost::system::error_code& error) {
    if (error || finished_) {
      return;
    }
    report_.timed_out = true;
    report_.failures.push_back("timed out after " + format_duration(options_.common.timeout));
    finish();
  });
}

void replay_runner::fail_setup(const std::string& reason) {
  log_ << "error load.replay " << reason << std::endl;
  report_.failures.push_back(reason);
}

void replay_runner::fail_run(const std::string& reason) {
  if (finished_) {
    return;
  }
  log_ << "error load.replay " << reason << std::endl;
  report_.failures.push_back(reason);
  finish();
}

void replay_runner::check_all_final() {
  if (!started_ || finished_ || draining_ || final_count_ < convs_.size()) {
    return;
  }

  draining_ = true;
  drain_timer_.expires_after(drain_limit);
  drain_timer_.async_wait([this](const boost::system::error_code& error) {
    if (!error) {
      finish();
    }
  });
  check_drained();
}

void replay_runner::check_drained() {
  if (!draining_ || finished_) {
    return;
  }
  if (supervisor_->pending_acks() > 0) {
    return;
  }
  for (const auto& agent : agents_) {
    if (agent.client->pending_acks() > 0) {
      return;
    }
  }
  for (const auto& gateway : gateways_) {
    if (gateway.client->pending_acks() > 0) {
      return;
    }
  }
  finish();
}

void replay_runner::finish() {
  if (finished_) {
    return;
  }

  finished_ = true;
  end_ = steady::now();
  scheduler_.stop();
  timeout_timer_.cancel();
  drain_timer_.cancel();
  const auto close = [this](wire_client& client) {
    report_.unanswered += client.pending_acks();
    report_.bad_frames += client.bad_frames();
    client.close();
  };
  if (supervisor_) {
    close(*supervisor_);
  }
  for (auto& agent : agents_) {
    close(*agent.client);
  }
  for (auto& gateway : gateways_) {
    close(*gateway.client);
  }
}

void replay_runner::print_progress() {
  if (finished_) {
    return;
  }
  const auto elapsed = std::chrono::duration_cast<std::chrono::seconds>(steady::now() - run_start_);
  std::uint64_t rejected = 0;
  for (const auto& [code, count] : report_.rejected_by_code) {
    rejected += count;
  }
  log_ << "info load.replay progress elapsed=" << elapsed.count() << "s final=" << final_count_
       << "/" << convs_.size() << " sent=" << report_.messages_sent << " acks=" << report_.acks()
       << " p99_ms="
       << std::chrono::duration<double, std::milli>(report_.ingress_ack.percentile(99)).count()
       << " rejected=" << rejected << " late=" << scheduler_.late_tasks() << std::endl;
  scheduler_.schedule_after(progress_interval, [this]() { print_progress(); });
}

void replay_runner::build_report() {
  report_.conversations = convs_.size();
  report_.started = started_;
  report_.scheduled = scheduler_.tasks_run();
  report_.ran_late = scheduler_.late_tasks();
  report_.worst_lag_ms = std::chrono::duration<double, std::milli>(scheduler_.worst_lag()).count();
  if (started_) {
    const auto end = finished_ ? end_ : steady::now();
    report_.wall_seconds = std::chrono::duration<double>(end - run_start_).count();
  }

  for (const auto& conv : convs_) {
    if (conv.escalated) {
      ++report_.escalated;
    }
    if (conv.state == "resolved") {
      ++report_.resolved;
      if (!conv.escalated) {
        ++report_.contained;
      }
    } else if (conv.state == "abandoned") {
      ++report_.abandoned;
    } else if (conv.state == "closed") {
      ++report_.closed;
    } else {
      ++report_.unfinished;
      ++report_.unfinished_by_state[conv.state.empty() ? "none" : conv.state];
      if (report_.unfinished_examples.size() < max_unfinished_examples) {
        report_.unfinished_examples.push_back(conv.id);
      }
    }

    auto& cells = report_.sla[conv.tier.empty() ? "unknown" : conv.tier];
    cells["bot_attempt"].opportunities += conv.bot_attempts;
    cells["bot_max_turns"].opportunities += conv.started_in_bot ? 1 : 0;
    cells["human_response"].opportunities += conv.escalated ? 1 : 0;
    cells["offer_accept"].opportunities += conv.offers;
  }
  // A tier that only ever showed up as "unknown" with nothing in it is noise.
  const auto unknown = report_.sla.find("unknown");
  if (unknown != report_.sla.end()) {
    bool empty = true;
    for (const auto& [sla, cell] : unknown->second) {
      empty = empty && cell.opportunities == 0 && cell.breach_frames == 0;
    }
    if (empty) {
      report_.sla.erase(unknown);
    }
  }

  // Behind the data's pace, the replay no longer replays it: its latencies would hide the
  // tool's own delay. Past 1 % of the sends, say so and fail (as `open` does).
  if (static_cast<double>(report_.ran_late) > 0.01 * static_cast<double>(report_.scheduled)) {
    report_.failures.push_back("the tool fell behind the data's pace: "
                               + std::to_string(report_.ran_late)
                               + " scheduled sends ran over 2 ms late");
  }
  if (report_.unfinished > 0 && started_) {
    report_.failures.push_back(std::to_string(report_.unfinished) + " of "
                               + std::to_string(report_.conversations)
                               + " conversations unfinished");
  }
  const auto rejected = report_.acks_by_status.find("rejected");
  if (rejected != report_.acks_by_status.end() && rejected->second > 0) {
    report_.failures.push_back(std::to_string(rejected->second) + " of "
                               + std::to_string(report_.acks()) + " acks rejected");
  }
}

tool_tally replay_runner::tally() const {
  tool_tally tally;
  tally.customer_messages_ok = customer_messages_ok_;
  for (const auto& conv : convs_) {
    const bool finished =
        conv.state == "resolved" || conv.state == "abandoned" || conv.state == "closed";
    if (!finished) {
      continue;
    }
    auto& counts = tally.outcomes[conv.tier.empty() ? "unknown" : conv.tier];
    ++counts.finished;
    counts.escalated += conv.escalated ? 1 : 0;
    counts.contained += conv.state == "resolved" && !conv.escalated ? 1 : 0;
    counts.resolved += conv.state == "resolved" ? 1 : 0;
    counts.abandoned += conv.state == "abandoned" ? 1 : 0;
  }
  for (const auto& [tier, cells] : report_.sla) {
    for (const auto& [sla, cell] : cells) {
      if (cell.breaches > 0) {
        tally.breaches[tier][sla] = cell.breaches;
      }
    }
  }
  return tally;
}

void replay_runner::on_ack(const std::string& client, const ack_event& event) {
  if (!event.matched) {
    ++report_.unmatched_acks;
    if (report_.unmatched_acks <= log_budget) {
      warn("load.replay ack matches no frame in flight client=" + client
           + " id=" + std::string(event.id) + " status=" + std::string(event.status));
    }
    check_drained();
    return;
  }

  if (!event.in_order) {
    ++report_.out_of_order_acks;
  }
  report_.ingress_ack.record(event.latency);
  ++report_.acks_by_status[event.status.empty() ? "missing" : std::string(event.status)];
  const auto kind = tag_kind(event.tag);
  if (kind == sent_kind::customer_message && event.status == "ok") {
    ++customer_messages_ok_;
  }
  if (event.status == "rejected") {
    on_rejected(client, event, kind);
  } else if (kind == sent_kind::agent_status) {
    // A duplicate status had no effect: this connection may not count as available.
    if (event.status != "ok") {
      warn("load.replay agent.status not applied client=" + client
           + " status=" + std::string(event.status));
    }
    note_ready();
  }
  check_drained();
}

void replay_runner::on_rejected(const std::string& client, const ack_event& event, sent_kind kind) {
  const std::string code = event.error_code.empty() ? "none" : std::string(event.error_code);
  ++report_.rejected_by_code[code];
  ++report_.rejected_by_type[kind_name(kind)];
  if (++rejected_logged_ <= log_budget) {
    warn("load.replay rejected client=" + client + " type=" + kind_name(kind)
         + " id=" + std::string(event.id) + " code=" + code);
  }

  // Undo what the rejected frame assumed, so the conversation can still move on.
  const auto ci = tag_conv(event.tag);
  const auto agent = tag_agent(event.tag);
  if (kind == sent_kind::agent_status) {
    fail_run(client + ": agent.status rejected (" + code + ")");
  } else if (kind == sent_kind::agent_accept && agent < agents_.size()) {
    agents_[agent].holds.erase(ci);
  } else if (kind == sent_kind::agent_resolve && ci < convs_.size()) {
    convs_[ci].resolve_sent = false;
  } else if (kind == sent_kind::customer_message && ci < convs_.size()) {
    // The message had no effect: it was no bot_attempt and no bot reply will answer it.
    auto& conv = convs_[ci];
    auto& waiting = conv.awaiting_bot_reply;
    const auto it = std::find_if(waiting.begin(), waiting.end(),
                                 [&](const auto& entry) { return entry.first == event.id; });
    if (it != waiting.end()) {
      waiting.erase(it);
      --conv.bot_attempts;
    }
    // No agent.message will follow, so the owner must look again, or a rejected last turn
    // would leave the conversation waiting for a resolve forever.
    if (conv.owner != no_agent) {
      schedule_reply(conv.owner, ci);
    }
  }
}

bool replay_runner::ack_delivery(wire_client& client, std::unordered_set<std::string>& seen,
                                 const frame& f, conv_run* conv, char side, std::uint32_t agent) {
  if (f.delivery.empty()) {
    return true;
  }

  std::string id;
  if (conv != nullptr) {
    auto& seq = side == 'c' ? conv->customer_seq : conv->agent_seq;
    id = conv->id + "-" + side + std::to_string(++seq);
  } else {
    id = run_id_ + "-" + client.name() + "-d" + std::to_string(++loose_seq_);
  }
  send_delivery_ack(client, json_, id, f.delivery,
                    make_tag(sent_kind::delivery_ack, agent, conv ? conv_index(*conv) : no_conv));

  if (!seen.insert(f.delivery).second) {
    ++report_.redeliveries;
    return false;
  }
  return true;
}

conv_run* replay_runner::find_conv(const std::string& id) {
  const auto it = conv_index_.find(id);
  return it == conv_index_.end() ? nullptr : &convs_[it->second];
}

std::chrono::nanoseconds replay_runner::scaled(nanoseconds data_time) const {
  return nanoseconds(std::llround(static_cast<double>(data_time.count()) / options_.speed));
}

std::chrono::nanoseconds replay_runner::ramp_offset(std::size_t i) const {
  if (dataset_.empty()) {
    return nanoseconds(0);
  }
  const double share = static_cast<double>(i) / static_cast<double>(dataset_.size());
  return nanoseconds(std::llround(static_cast<double>(options_.ramp.count()) * share));
}

void replay_runner::warn(const std::string& line) {
  log_ << "warn " << line << std::endl;
}

void replay_runner::warn_client(const std::string& client, std::string_view line) {
  auto& seen = client_warnings_[std::string(line)];
  ++seen;
  if (seen == 1) {
    warn("load.wire " + std::string(line) + " client=" + client);
  } else if (seen == 2) {
    warn("load.wire the same for other connections (not repeated)");
  }
}

}  // namespace blendroute::load::replay_detail
