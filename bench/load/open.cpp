// `blendroute-load open`: customer messages at a fixed mean rate (Poisson arrivals), whatever
// the router's answers.

#include "bench/load/open.hpp"

#include <chrono>
#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include "bench/load/compare.hpp"
#include "bench/load/duration.hpp"
#include "bench/load/endpoint.hpp"
#include "bench/load/json_writer.hpp"
#include "bench/load/loop_report.hpp"
#include "bench/load/plot.hpp"
#include "bench/load/report_format.hpp"
#include "bench/load/wire_client.hpp"

namespace blendroute::load {

namespace {

using steady = std::chrono::steady_clock;

// Arrivals are sent from a tick of this length: a timer per message would cost more than the
// message at high rates.
constexpr std::chrono::microseconds tick{500};

// A message sent this long after its arrival time was sent late: the tool is behind. Its
// latency still runs from the arrival, so the report stays honest; but when more than
// `late_share_limit` of the messages are late, the asked rate was not really offered.
constexpr std::chrono::milliseconds late_after{2};
constexpr double late_share_limit = 0.01;

// Once the window ends, acks still in flight get this long to arrive.
constexpr std::chrono::nanoseconds drain_limit = std::chrono::seconds(2);

// Rejections and unmatched acks are logged one by one only up to this many.
constexpr std::uint64_t log_budget = 10;

// Progress lines on stderr, this often.
constexpr std::chrono::seconds progress_every{5};

// Matches no rule of conf/faq_bot.toml: the bot answers `continue` and keeps it.
constexpr std::string_view bot_text = "hello there";

// The FAQ bot's `bank_fraud_report` rule hands this off to a human.
constexpr std::string_view human_text = "I need to report fraud on my card";

// One conversation slot: the index of its next message, and whether its current
// conversation asks for a human.
struct open_slot {
  std::uint64_t next = 0;
  bool wants_human = false;
};

// Runs one open-loop run on the thread that calls `run()`; every callback runs there too.
class open_runner {
public:
  open_runner(const open_options& options, std::ostream& log)
      : options_(options),
        log_(log),
        run_id_(options.run_id),
        random_(options.seed),
        gap_(options.rate),
        timeout_timer_(io_),
        tick_timer_(io_),
        phase_timer_(io_),
        drain_timer_(io_),
        progress_timer_(io_) {
    if (run_id_.empty()) {
      run_id_ = std::to_string(std::chrono::duration_cast<std::chrono::seconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count());
    }
  }

  loop_report run() {
    report_.mode = "open";
    report_.run_id = run_id_;
    report_.rate = options_.rate;
    report_.escalate_share = options_.escalate_share;
    report_.agents = options_.agents;
    report_.conversations = options_.conversations;
    report_.connections = options_.connections;
    report_.messages_per_conv = options_.messages_per_conv;
    report_.warmup_seconds = std::chrono::duration<double>(options_.warmup).count();
    report_.duration_seconds = std::chrono::duration<double>(options_.duration).count();
    arm_timeout();
    if (auto problem = resolve_endpoint(io_, options_.common.addr, endpoint_); !problem.empty()) {
      fail(problem);
    } else {
      connect_all();
      io_.run();
    }

    report_.started = started_;
    std::uint64_t rejected = 0;
    for (const auto& [code, count] : report_.rejected_by_code) {
      rejected += count;
    }
    if (rejected > 0) {
      report_.failures.push_back(std::to_string(rejected) + " acks rejected");
    }
    if (report_.unanswered > 0) {
      report_.failures.push_back(std::to_string(report_.unanswered)
                                 + " frames unanswered after the drain");
    }
    if (static_cast<double>(report_.sent_late)
        > late_share_limit * static_cast<double>(report_.messages_sent)) {
      report_.failures.push_back("the tool could not keep the asked rate: "
                                 + std::to_string(report_.sent_late)
                                 + " messages sent over 2 ms late");
    }
    if (started_ && !report_.timed_out && report_.measured_acks() == 0) {
      report_.failures.push_back("no ack arrived in the measured window");
    }
    return std::move(report_);
  }

private:
  void arm_timeout() {
    timeout_timer_.expires_after(options_.common.timeout);
    timeout_timer_.async_wait([this](const boost::system::error_code& error) {
      if (error || finished_) {
        return;
      }
      report_.timed_out = true;
      fail("timed out after " + format_duration(options_.common.timeout));
    });
  }

  wire_handlers handlers_for(const std::string& name, bool agent, std::size_t index) {
    wire_handlers handlers;
    handlers.on_welcome = [this, agent, index]() {
      if (agent) {
        announce(index);
      }
      note_ready();
    };
    handlers.on_frame = [this, agent, index](const frame& f) {
      ++report_.frames_by_type[f.type];
      if (agent) {
        on_agent_frame(index, f);
      }
    };
    handlers.on_ack = [this, name](const ack_event& event) {
      on_ack(name, event);
    };
    handlers.on_failure = [this, name](std::string_view reason) {
      fail(name + ": " + std::string(reason));
    };
    handlers.on_warning = [this, name](std::string_view line) {
      log_ << "warn load.wire " << line << " client=" << name << std::endl;
    };
    return handlers;
  }

  void connect_all() {
    slots_.resize(options_.conversations);
    for (std::size_t i = 0; i < options_.connections; ++i) {
      wire_client_options client_options;
      client_options.name = "gateway-" + std::to_string(i + 1);
      client_options.identity = {"gateway", options_.common.gateway_token, ""};
      auto handlers = handlers_for(client_options.name, false, i);
      gateways_.push_back(std::make_unique<wire_client>(io_, endpoint_, std::move(client_options),
                                                        std::move(handlers)));
    }
    for (std::size_t i = 0; i < options_.agents; ++i) {
      char id[32];
      std::snprintf(id, sizeof id, "agent-%02zu", i + 1);
      wire_client_options client_options;
      client_options.name = id;
      client_options.identity = {"agent", options_.common.agent_token, id};
      auto handlers = handlers_for(client_options.name, true, i);
      agents_.push_back(std::make_unique<wire_client>(io_, endpoint_, std::move(client_options),
                                                      std::move(handlers)));
    }
    for (auto& client : gateways_) {
      client->start();
    }
    for (auto& client : agents_) {
      client->start();
    }
  }

  void announce(std::size_t agent) {
    const std::string id = run_id_ + "-status-" + std::to_string(agent);
    json_.clear();
    json_.begin_object()
        .field("type", "agent.status")
        .field("id", id)
        .field("agent", agents_[agent]->name())
        .field("status", "available")
        .field_raw("capacity", std::to_string(options_.capacity))
        .end_object();
    agents_[agent]->send(json_.str(), id, agent_tag);
  }

  void note_ready() {
    if (++ready_ < gateways_.size() + agents_.size() || started_) {
      return;
    }

    started_ = true;
    if (!options_.common.quiet) {
      log_ << "info load.open started rate=" << options_.rate << " conversations=" << slots_.size()
           << " connections=" << gateways_.size() << " agents=" << agents_.size()
           << " warmup=" << format_duration(options_.warmup)
           << " duration=" << format_duration(options_.duration) << " run_id=" << run_id_
           << std::endl;
      arm_progress();
    }
    phase_timer_.expires_after(options_.warmup);
    phase_timer_.async_wait([this](const boost::system::error_code& error) {
      if (!error) {
        begin_window();
      }
    });
    next_arrival_ = steady::now();
    on_tick();
  }

  void arm_progress() {
    progress_timer_.expires_after(progress_every);
    progress_timer_.async_wait([this](const boost::system::error_code& error) {
      if (error || finished_) {
        return;
      }
      log_ << "info load.open progress sent=" << report_.messages_sent
           << " acks=" << report_.measured_acks() << " p99_ms="
           << std::chrono::duration<double, std::milli>(report_.ingress_ack.percentile(99)).count()
           << " rejected=" << rejected_ << " late=" << report_.sent_late << std::endl;
      arm_progress();
    });
  }

  // Sends every message whose arrival time has come, then sleeps until the next tick.
  void on_tick() {
    if (stopping_ || finished_) {
      return;
    }

    const auto now = steady::now();
    while (next_arrival_ <= now) {
      const auto lag = now - next_arrival_;
      if (lag > late_after && measuring_) {
        ++report_.sent_late;
        report_.worst_send_lag = std::max(
            report_.worst_send_lag, std::chrono::duration_cast<std::chrono::nanoseconds>(lag));
      }
      send_arrival(next_arrival_);
      next_arrival_ += std::chrono::duration_cast<steady::duration>(
          std::chrono::duration<double>(gap_(random_)));
    }
    tick_timer_.expires_at(std::max(next_arrival_, now + tick));
    tick_timer_.async_wait([this](const boost::system::error_code& error) {
      if (!error) {
        on_tick();
      }
    });
  }

  // Slot `si`'s message k goes to conversation `<run>-open-<si>-<k / per conv>`, with its own
  // customer, so that the session broker does not fold conversations together.
  void send_arrival(steady::time_point intended) {
    const std::size_t si = arrivals_++ % slots_.size();
    auto& slot = slots_[si];
    const auto k = slot.next++;
    if (k % options_.messages_per_conv == 0) {
      slot.wants_human = std::bernoulli_distribution(options_.escalate_share)(random_);
    }
    const auto n = std::to_string(si);
    const auto round = std::to_string(k / options_.messages_per_conv);
    const std::string conv = run_id_ + "-open-" + n + "-" + round;
    const auto id = run_id_ + "-" + n + "-o" + std::to_string(k);
    json_.clear();
    json_.begin_object()
        .field("type", "customer.message")
        .field("id", id)
        .field("conv", conv)
        .field("text", slot.wants_human ? human_text : bot_text)
        .field("customer", "cust-" + run_id_ + "-" + n + "-" + round)
        .field("channel", "load")
        .end_object();
    gateways_[si % gateways_.size()]->send(json_.str(), id, customer_tag, intended);
    ++report_.messages_sent;
    if (slot.wants_human && measuring_) {
      escalating_.emplace(conv, intended);  // The first offer for it closes the measurement.
    }
  }

  void on_agent_frame(std::size_t agent, const frame& f) {
    if (f.type == "agent.offer") {
      if (auto it = escalating_.find(f.conv); it != escalating_.end()) {
        if (measuring_) {
          report_.message_to_offer.record(steady::now() - it->second);
        }
        escalating_.erase(it);
      }
      agent_event(agent, "agent.accept", f, true);
    } else if (f.type == "agent.assigned") {
      agent_event(agent, "agent.resolve", f, false);
    }
    if (!f.delivery.empty()) {
      const std::string id = run_id_ + "-d" + std::to_string(++agent_events_);
      json_.clear();
      json_.begin_object()
          .field("type", "delivery.ack")
          .field("id", id)
          .field_raw("delivery", f.delivery)
          .end_object();
      agents_[agent]->send(json_.str(), id, agent_tag);
    }
  }

  void agent_event(std::size_t agent, std::string_view type, const frame& f, bool with_offer) {
    const std::string id = run_id_ + "-a" + std::to_string(++agent_events_);
    json_.clear();
    json_.begin_object()
        .field("type", type)
        .field("id", id)
        .field("conv", f.conv)
        .field("agent", agents_[agent]->name());
    if (with_offer) {
      json_.field_raw("offer", f.offer);  // Kept as the raw JSON token the router sent.
    }
    json_.end_object();
    agents_[agent]->send(json_.str(), id, agent_tag);
  }

  void begin_window() {
    if (finished_) {
      return;
    }

    measuring_ = true;
    window_start_ = steady::now();
    phase_timer_.expires_after(options_.duration);
    phase_timer_.async_wait([this](const boost::system::error_code& error) {
      if (!error) {
        end_window();
      }
    });
  }

  // Stops sending; the acks in flight drain (uncounted) so that the server is left idle.
  void end_window() {
    if (finished_) {
      return;
    }

    measuring_ = false;
    stopping_ = true;
    tick_timer_.cancel();
    report_.measured_seconds = std::chrono::duration<double>(steady::now() - window_start_).count();
    drain_timer_.expires_after(drain_limit);
    drain_timer_.async_wait([this](const boost::system::error_code& error) {
      if (!error) {
        finish();
      }
    });
    check_drained();
  }

  void on_ack(const std::string& client, const ack_event& event) {
    if (!event.matched) {
      if (++report_.unmatched_acks <= log_budget) {
        log_ << "warn load.open ack matches no frame in flight client=" << client
             << " id=" << event.id << " status=" << event.status << std::endl;
      }
      return;
    }

    if (!event.in_order) {
      ++report_.out_of_order_acks;
    }
    if (event.status == "rejected") {
      ++rejected_;
      const std::string code = event.error_code.empty() ? "none" : std::string(event.error_code);
      if (++report_.rejected_by_code[code] == 1) {
        log_ << "warn load.open rejected client=" << client << " id=" << event.id
             << " code=" << code << " message=\"" << event.error_message << "\"" << std::endl;
      }
    }
    // Only customer messages make the figures; the agents' own events are not the load.
    if (event.tag == customer_tag) {
      if (measuring_) {
        report_.ingress_ack.record(event.latency);
        ++report_.acks_by_status[event.status.empty() ? "missing" : std::string(event.status)];
        report_.count_ack_at(steady::now() - window_start_);
      } else if (stopping_) {
        ++report_.drain_acks;
      } else {
        ++report_.warmup_acks;
      }
    }
    check_drained();
  }

  void check_drained() {
    if (!stopping_ || finished_) {
      return;
    }
    for (const auto& client : gateways_) {
      if (client->pending_acks() > 0) {
        return;
      }
    }
    finish();
  }

  void fail(const std::string& reason) {
    if (finished_) {
      return;
    }
    log_ << "error load.open " << reason << std::endl;
    report_.failures.push_back(reason);
    if (measuring_) {
      report_.measured_seconds =
          std::chrono::duration<double>(steady::now() - window_start_).count();
      measuring_ = false;
    }
    finish();
  }

  // Stops every timer and closes every connection, so that `io_.run()` returns.
  void finish() {
    if (finished_) {
      return;
    }

    finished_ = true;
    for (auto* timer :
         {&timeout_timer_, &tick_timer_, &phase_timer_, &drain_timer_, &progress_timer_}) {
      timer->cancel();
    }
    for (auto& client : gateways_) {
      report_.unanswered += client->pending_acks();
      report_.bad_frames += client->bad_frames();
      client->close();
    }
    for (auto& client : agents_) {
      report_.bad_frames += client->bad_frames();
      client->close();
    }
  }

  static constexpr std::uint64_t customer_tag = 1;
  static constexpr std::uint64_t agent_tag = 2;

  const open_options& options_;
  std::ostream& log_;
  std::string run_id_;
  std::mt19937_64 random_;
  std::exponential_distribution<double> gap_;
  boost::asio::io_context io_;
  boost::asio::steady_timer timeout_timer_;
  boost::asio::steady_timer tick_timer_;
  boost::asio::steady_timer phase_timer_;
  boost::asio::steady_timer drain_timer_;
  boost::asio::steady_timer progress_timer_;
  boost::asio::ip::tcp::endpoint endpoint_;
  std::vector<std::unique_ptr<wire_client>> gateways_;
  std::vector<std::unique_ptr<wire_client>> agents_;
  std::vector<open_slot> slots_;
  /// Escalating conversations of the window waiting for their first offer, with the
  /// arrival time of the message that asked for a human.
  std::unordered_map<std::string, steady::time_point> escalating_;
  // Reused for every frame sent; a frame is built and handed to a client in one go.
  json_writer json_;

  std::size_t ready_ = 0;
  std::uint64_t arrivals_ = 0;
  std::uint64_t agent_events_ = 0;
  std::uint64_t rejected_ = 0;
  steady::time_point next_arrival_;
  bool started_ = false;
  bool measuring_ = false;
  bool stopping_ = false;
  bool finished_ = false;
  steady::time_point window_start_;
  loop_report report_;
};

}  // namespace

int run_open(const open_options& options, std::ostream& out, std::ostream& log) {
  open_runner runner(options, log);
  const auto report = runner.run();

  print_loop_report(out, report);
  out.flush();
  const int exit_code = report.failures.empty() ? 0 : 1;
  if (!options.common.plot_prefix.empty()) {
    for (const auto& file : write_plots(options.common.plot_prefix, "blendroute-load open",
                                        {
                                            {"ingress->ack", &report.ingress_ack},
                                            {"message->offer", &report.message_to_offer},
                                        },
                                        report.acks_per_second, report.rate, log)) {
      out << "plot: " << file << "\n";
    }
  }
  return finish_report(loop_report_json(report), exit_code, options.common.json_path,
                       options.common.compare_path, options.common.regression_threshold,
                       "load.open", out, log);
}

}  // namespace blendroute::load
