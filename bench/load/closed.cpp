// `blendroute-load closed`: a fixed number of conversations, each sending its next customer
// message as soon as the previous one is acked.

#include "bench/load/closed.hpp"

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
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

// Once the window ends, acks still in flight get this long to arrive.
constexpr std::chrono::nanoseconds drain_limit = std::chrono::seconds(2);

// Rejections and unmatched acks are logged one by one only up to this many.
constexpr std::uint64_t log_budget = 10;

// Matches no rule of conf/faq_bot.toml, so the bot answers with its fallback and `continue`:
// no resolve and no handoff, the conversation stays with the bot.
constexpr std::string_view message_text = "hello there";

// One simulated conversation: the index of its next message, counted over the whole run.
struct closed_conv {
  std::uint64_t next = 0;
};

// Runs one closed-loop run on the thread that calls `run()`; every callback runs there too.
class closed_runner {
public:
  closed_runner(const closed_options& options, std::ostream& log)
      : options_(options),
        log_(log),
        run_id_(options.run_id),
        timeout_timer_(io_),
        phase_timer_(io_),
        drain_timer_(io_) {
    if (run_id_.empty()) {
      run_id_ = std::to_string(std::chrono::duration_cast<std::chrono::seconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count());
    }
  }

  loop_report run() {
    report_.run_id = run_id_;
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
    const auto rejected = count_rejected();
    if (rejected > 0) {
      report_.failures.push_back(std::to_string(rejected) + " acks rejected");
    }
    if (report_.unanswered > 0) {
      report_.failures.push_back(std::to_string(report_.unanswered)
                                 + " messages unanswered after the drain");
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

  void connect_all() {
    convs_.resize(options_.conversations);
    gateways_.reserve(options_.connections);
    for (std::size_t i = 0; i < options_.connections; ++i) {
      const auto name = "gateway-" + std::to_string(i + 1);
      wire_client_options client_options;
      client_options.name = name;
      client_options.identity = {"gateway", options_.common.gateway_token, ""};

      wire_handlers handlers;
      handlers.on_welcome = [this]() {
        note_ready();
      };
      handlers.on_frame = [this](const frame& f) {
        ++report_.frames_by_type[f.type];
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
      gateways_.push_back(std::make_unique<wire_client>(io_, endpoint_, std::move(client_options),
                                                        std::move(handlers)));
    }
    for (auto& gateway : gateways_) {
      gateway->start();
    }
  }

  void note_ready() {
    if (++ready_ < gateways_.size() || started_) {
      return;
    }

    started_ = true;
    if (!options_.common.quiet) {
      log_ << "info load.closed started conversations=" << convs_.size()
           << " connections=" << gateways_.size() << " warmup=" << format_duration(options_.warmup)
           << " duration=" << format_duration(options_.duration) << " run_id=" << run_id_
           << std::endl;
    }
    phase_timer_.expires_after(options_.warmup);
    phase_timer_.async_wait([this](const boost::system::error_code& error) {
      if (!error) {
        begin_window();
      }
    });
    for (std::size_t i = 0; i < convs_.size(); ++i) {
      send_next(i);
    }
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
    report_.measured_seconds = std::chrono::duration<double>(steady::now() - window_start_).count();
    drain_timer_.expires_after(drain_limit);
    drain_timer_.async_wait([this](const boost::system::error_code& error) {
      if (!error) {
        finish();
      }
    });
    check_drained();
  }

  // Conversation `ci`'s message k goes to conversation id `<run>-closed-<ci>-<k / per conv>`
  // with its own customer: the session broker would fold a known customer's new conversation
  // id on the same channel into the old conversation and its bot turns.
  void send_next(std::size_t ci) {
    if (stopping_ || finished_) {
      return;
    }

    auto& conv = convs_[ci];
    const auto k = conv.next++;
    const auto n = std::to_string(ci);
    const auto round = std::to_string(k / options_.messages_per_conv);
    const auto id = run_id_ + "-" + n + "-c" + std::to_string(k);
    json_.clear();
    json_.begin_object()
        .field("type", "customer.message")
        .field("id", id)
        .field("conv", run_id_ + "-closed-" + n + "-" + round)
        .field("text", message_text)
        .field("customer", "cust-" + run_id_ + "-" + n + "-" + round)
        .field("channel", "load")
        .end_object();
    gateways_[ci % gateways_.size()]->send(json_.str(), id, ci);
    ++report_.messages_sent;
  }

  void on_ack(const std::string& client, const ack_event& event) {
    if (!event.matched) {
      if (++report_.unmatched_acks <= log_budget) {
        log_ << "warn load.closed ack matches no frame in flight client=" << client
             << " id=" << event.id << " status=" << event.status << std::endl;
      }
      return;
    }

    if (!event.in_order) {
      ++report_.out_of_order_acks;
    }
    if (measuring_) {
      report_.ingress_ack.record(event.latency);
      ++report_.acks_by_status[event.status.empty() ? "missing" : std::string(event.status)];
      report_.count_ack_at(steady::now() - window_start_);
    } else if (stopping_) {
      ++report_.drain_acks;
    } else {
      ++report_.warmup_acks;
    }
    // A rejected message had no effect; the conversation still moves on to its next one.
    if (event.status == "rejected") {
      const std::string code = event.error_code.empty() ? "none" : std::string(event.error_code);
      if (++report_.rejected_by_code[code] == 1) {
        log_ << "warn load.closed rejected client=" << client << " id=" << event.id
             << " code=" << code << std::endl;
      }
    }
    send_next(static_cast<std::size_t>(event.tag));
    check_drained();
  }

  void check_drained() {
    if (!stopping_ || finished_) {
      return;
    }
    for (const auto& gateway : gateways_) {
      if (gateway->pending_acks() > 0) {
        return;
      }
    }
    finish();
  }

  std::uint64_t count_rejected() const {
    std::uint64_t total = 0;
    for (const auto& [code, count] : report_.rejected_by_code) {
      total += count;
    }
    return total;
  }

  void fail(const std::string& reason) {
    if (finished_) {
      return;
    }
    log_ << "error load.closed " << reason << std::endl;
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
    timeout_timer_.cancel();
    phase_timer_.cancel();
    drain_timer_.cancel();
    for (auto& gateway : gateways_) {
      report_.unanswered += gateway->pending_acks();
      report_.bad_frames += gateway->bad_frames();
      gateway->close();
    }
  }

  const closed_options& options_;
  std::ostream& log_;
  std::string run_id_;
  boost::asio::io_context io_;
  boost::asio::steady_timer timeout_timer_;
  boost::asio::steady_timer phase_timer_;
  boost::asio::steady_timer drain_timer_;
  boost::asio::ip::tcp::endpoint endpoint_;
  std::vector<std::unique_ptr<wire_client>> gateways_;
  std::vector<closed_conv> convs_;
  // Reused for every frame sent; a frame is built and handed to a client in one go.
  json_writer json_;

  std::size_t ready_ = 0;
  bool started_ = false;
  bool measuring_ = false;
  bool stopping_ = false;
  bool finished_ = false;
  steady::time_point window_start_;
  loop_report report_;
};

}  // namespace

int run_closed(const closed_options& options, std::ostream& out, std::ostream& log) {
  closed_runner runner(options, log);
  const auto report = runner.run();

  print_loop_report(out, report);
  out.flush();
  const int exit_code = report.failures.empty() ? 0 : 1;
  if (!options.common.plot_prefix.empty()) {
    for (const auto& file : write_plots(options.common.plot_prefix, "blendroute-load closed",
                                        {
                                            {"ingress->ack", &report.ingress_ack},
                                        },
                                        report.acks_per_second, 0, log)) {
      out << "plot: " << file << "\n";
    }
  }
  return finish_report(loop_report_json(report), exit_code, options.common.json_path,
                       options.common.compare_path, options.common.regression_threshold,
                       "load.closed", out, log);
}

}  // namespace blendroute::load
