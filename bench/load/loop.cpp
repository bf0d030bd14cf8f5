// `blendroute-load closed` and `open`: synthetic conversations, paced by acks or by a Poisson
// arrival rate, with the agents, bots and supervisor of the scenario played by the tool.

#include "bench/load/loop.hpp"

#include <charconv>
#include <chrono>
#include <cstdint>
#include <deque>
#include <limits>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include "bench/load/agent_desk.hpp"
#include "bench/load/compare.hpp"
#include "bench/load/duration.hpp"
#include "bench/load/endpoint.hpp"
#include "bench/load/http_event_client.hpp"
#include "bench/load/json_writer.hpp"
#include "bench/load/loop_report.hpp"
#include "bench/load/plot.hpp"
#include "bench/load/report_format.hpp"
#include "bench/load/scenario.hpp"
#include "bench/load/server_check.hpp"
#include "bench/load/wire_client.hpp"

namespace blendroute::load {

namespace {

using steady = std::chrono::steady_clock;

// Open loop: arrivals are sent from a tick of this length, since a timer per message would
// cost more than the message at high rates.
constexpr std::chrono::microseconds tick{500};

// Open loop: a message sent this long after its arrival time was sent late: the tool is
// behind. Its latency still runs from the arrival, so the report stays honest; but when more
// than `late_share_limit` of the messages are late, the asked rate was not really offered.
constexpr std::chrono::milliseconds late_after{2};
constexpr double late_share_limit = 0.01;

// Once the window ends, what is still in flight (acks, the agents' work) gets this long on
// top of the think time to finish.
constexpr std::chrono::seconds drain_limit{2};

// After the drain, the states and breaches it caused get this long to reach the supervisor
// before the server's counters are read.
constexpr std::chrono::milliseconds settle_time{300};

// Rejections and unmatched acks are logged one by one only up to this many.
constexpr std::uint64_t log_budget = 10;

// Progress lines on stderr, this often.
constexpr std::chrono::seconds progress_every{5};

// Bot delivery ids remembered to answer a re-sent bot.request only once.
constexpr std::size_t answered_memory = 1 << 16;

// Matches no rule of conf/faq_bot.toml: the embedded bot answers `continue` and keeps it.
constexpr std::string_view bot_text = "hello there";

// The FAQ bot's `bank_fraud_report` rule hands this off to a human.
constexpr std::string_view human_text = "I need to report fraud on my card";

// Ack tags: a customer message carries its slot + 1; an agent.accept `accept_tag`; every other
// frame `other_tag`.
constexpr std::uint64_t other_tag = std::numeric_limits<std::uint64_t>::max();
constexpr std::uint64_t accept_tag = other_tag - 1;

constexpr const char* pacing_name(loop_pacing pacing) {
  return pacing == loop_pacing::open ? "open" : "closed";
}

// One conversation slot: the index of its next message, counted over the whole run, and its
// current and previous conversations.
struct conversation_slot {
  std::uint64_t next = 0;
  std::string conv;
  std::string previous_conv;
};

// What the tool keeps of one conversation while frames about it may still come: a slot keeps
// its current and its previous conversation here, since the router may still be answering the
// previous one when the slot has moved on.
struct live_conversation {
  std::size_t slot = 0;
  bool wants_human = false;
  /// The tool's bot has resolved or handed it off: later requests (for messages that crossed
  /// the reply) are only acked.
  bool bot_let_go = false;
  /// bot.requests the tool's bot answered: one per customer message while the bot owns it.
  std::size_t bot_answered = 0;
  /// With the tool's bots: the messages not yet seen in a bot.request, oldest first (the
  /// router sends one request per message, in order).
  std::vector<steady::time_point> awaiting_bot;
  /// The oldest message not yet answered to the customer; unset when nothing waits.
  std::optional<steady::time_point> awaiting_reply;
  /// The ack of the conversation's last scripted message came: the router has applied
  /// everything the customer will say.
  bool customer_done = false;
};

// A customer message of this run, by its id: its conversation and whether it is that
// conversation's last scripted message.
struct scripted_message {
  std::string conv;
  bool last = false;
};

// Runs one run on the thread that calls `run()`; every callback runs there too.
class loop_runner {
public:
  loop_runner(const loop_options& options, std::ostream& log)
      : options_(options),
        scenario_(options.scenario),
        log_(log),
        component_(std::string("load.") + pacing_name(options.pacing)),
        run_id_(options.run_id),
        random_(options.seed),
        gap_(options.rate),
        tiers_(options.scenario.tiers),
        timeout_timer_(io_),
        tick_timer_(io_),
        phase_timer_(io_),
        drain_timer_(io_),
        progress_timer_(io_),
        work_timer_(io_),
        desk_(options.scenario.think) {
    if (run_id_.empty()) {
      run_id_ = std::to_string(std::chrono::duration_cast<std::chrono::seconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count());
    }
    conv_prefix_ = run_id_ + "-" + pacing_name(options.pacing) + "-";
  }

  loop_report run() {
    describe_run();
    const bool check = !options_.common.http_addr.empty();
    if (check) {
      server_before_ = fetch_server_snapshot(
          options_.common.http_addr, options_.common.supervisor_token, server_check_timeout);
    }
    const auto run_start = steady::now();
    arm_timeout();
    if (auto problem = resolve_endpoint(io_, options_.common.addr, endpoint_); !problem.empty()) {
      fail(problem);
    } else {
      connect_all();
      io_.run();
    }
    if (check) {
      const server_snapshot after =
          server_after_
              ? *server_after_
              : fetch_server_snapshot(options_.common.http_addr, options_.common.supervisor_token,
                                      server_check_timeout);
      report_.check =
          cross_check(server_before_, after,
                      std::chrono::duration<double>(steady::now() - run_start).count(), tally_);
      if (report_.check.unavailable.empty() && !scenario_.supervisor) {
        report_.check.caveats.emplace_back(
            "without a supervisor connection the tool counted no outcomes or breaches");
      }
    } else {
      report_.check.unavailable = "no --http-addr";
    }
    report_.outcomes = tally_.outcomes;
    judge();
    return std::move(report_);
  }

private:
  void describe_run() {
    report_.mode = pacing_name(options_.pacing);
    report_.run_id = run_id_;
    report_.conversations = options_.conversations;
    report_.connections = options_.connections;
    if (options_.transport == loop_transport::http) {
      report_.transport = "http";
      report_.http_batch = options_.http_batch;
    }
    report_.messages_per_conv = options_.messages_per_conv;
    report_.warmup_seconds = std::chrono::duration<double>(options_.warmup).count();
    report_.duration_seconds = std::chrono::duration<double>(options_.duration).count();
    report_.rate = open() ? options_.rate : 0;
    report_.escalate_share = scenario_.escalate_share;
    report_.agents = scenario_.agents;
    report_.capacity = scenario_.capacity;
    report_.think_seconds = std::chrono::duration<double>(scenario_.think).count();
    report_.bots = scenario_.bots;
    report_.tier_mix = scenario_.tiers.describe();
    report_.message_bytes = scenario_.message_bytes.describe();
    report_.supervised = scenario_.supervisor;
  }

  // The verdict: what makes the run a failure.
  void judge() {
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
    if (open()
        && static_cast<double>(report_.sent_late)
               > late_share_limit * static_cast<double>(report_.messages_sent)) {
      report_.failures.push_back("the tool could not keep the asked rate: "
                                 + std::to_string(report_.sent_late)
                                 + " messages sent over 2 ms late");
    }
    if (started_ && !report_.timed_out && report_.measured_acks() == 0) {
      report_.failures.push_back("no ack arrived in the measured window");
    }
  }

  bool open() const { return options_.pacing == loop_pacing::open; }

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

  enum class role { gateway, agent, bot, supervisor };

  // The callbacks of a connection of role `kind`, the `index`-th of its role.
  wire_handlers handlers_for(role kind, std::size_t index, const std::string& name) {
    wire_handlers handlers;
    handlers.on_welcome = [this, kind, index]() {
      if (kind == role::agent) {
        announce(index);
      }
      note_ready();
    };
    handlers.on_frame = [this, kind, index](const frame& f) {
      ++report_.frames_by_type[f.type];
      switch (kind) {
        case role::gateway:
          on_gateway_frame(index, f);
          break;
        case role::agent:
          on_agent_frame(index, f);
          break;
        case role::bot:
          on_bot_frame(index, f);
          break;
        case role::supervisor:
          on_supervisor_frame(f);
          break;
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

  std::unique_ptr<event_client> make_client(role kind, std::size_t index, std::string name,
                                            wire_identity identity) {
    wire_client_options client_options;
    client_options.name = name;
    client_options.identity = std::move(identity);
    auto handlers = handlers_for(kind, index, name);
    return std::make_unique<wire_client>(io_, endpoint_, std::move(client_options),
                                         std::move(handlers));
  }

  void connect_all() {
    slots_.resize(options_.conversations);
    const auto& common = options_.common;
    if (options_.transport == loop_transport::http) {
      // Customer messages are posted over HTTP; the router pushes nothing over HTTP, so one
      // NDJSON gateway session receives the replies (docs/protocol.md, "Not there yet").
      boost::asio::ip::tcp::endpoint http_endpoint;
      if (auto problem = resolve_endpoint(io_, common.http_addr, http_endpoint); !problem.empty()) {
        fail("--http-addr: " + problem);
        return;
      }
      for (std::size_t i = 0; i < options_.connections; ++i) {
        const std::string name = "http-" + std::to_string(i + 1);
        http_posters_.push_back(std::make_unique<http_event_client>(
            io_, http_endpoint,
            http_client_options{name, common.http_addr, common.gateway_token, options_.http_batch},
            handlers_for(role::gateway, 0, name)));
        senders_.push_back(http_posters_.back().get());
      }
      gateways_.push_back(
          make_client(role::gateway, 0, "gateway-1", {"gateway", common.gateway_token, ""}));
    } else {
      for (std::size_t i = 0; i < options_.connections; ++i) {
        gateways_.push_back(make_client(role::gateway, i, "gateway-" + std::to_string(i + 1),
                                        {"gateway", common.gateway_token, ""}));
        senders_.push_back(gateways_.back().get());
      }
    }
    for (std::size_t i = 0; i < scenario_.agents; ++i) {
      char id[32];
      std::snprintf(id, sizeof id, "agent-%02zu", i + 1);
      agents_.push_back(make_client(role::agent, i, id, {"agent", common.agent_token, id}));
    }
    for (std::size_t i = 0; i < scenario_.bots; ++i) {
      bots_.push_back(
          make_client(role::bot, i, "bot-" + std::to_string(i + 1), {"bot", common.bot_token, ""}));
    }
    if (scenario_.supervisor) {
      supervisor_ = make_client(role::supervisor, 0, "supervisor",
                                {"supervisor", common.supervisor_token, ""});
    }
    for_each_client([](event_client& client) { client.start(); });
  }

  template <class Visit>
  void for_each_client(Visit visit) {
    for (auto* group : {&http_posters_, &gateways_, &agents_, &bots_}) {
      for (auto& client : *group) {
        visit(*client);
      }
    }
    if (supervisor_) {
      visit(*supervisor_);
    }
  }

  std::size_t client_count() const {
    return http_posters_.size() + gateways_.size() + agents_.size() + bots_.size()
           + (supervisor_ ? 1 : 0);
  }

  void announce(std::size_t agent) { send_agent_status(agent, "available"); }

  // `available` announces the scenario's capacity; `offline` hands back what the agent holds.
  void send_agent_status(std::size_t agent, std::string_view status) {
    const std::string id = run_id_ + "-" + std::string(status) + "-" + std::to_string(agent);
    json_.clear();
    json_.begin_object()
        .field("type", "agent.status")
        .field("id", id)
        .field("agent", agents_[agent]->name())
        .field("status", status);
    if (status == "available") {
      json_.field_raw("capacity", std::to_string(scenario_.capacity));
    }
    json_.end_object();
    agents_[agent]->send(json_.str(), id, other_tag);
  }

  void note_ready() {
    if (++ready_ < client_count() || started_) {
      return;
    }

    started_ = true;
    if (!options_.common.quiet) {
      log_ << "info " << component_ << " started conversations=" << slots_.size()
           << " connections=" << gateways_.size() << " agents=" << agents_.size()
           << " bots=" << bots_.size();
      if (open()) {
        log_ << " rate=" << options_.rate;
      }
      log_ << " warmup=" << format_duration(options_.warmup)
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
    if (open()) {
      next_arrival_ = steady::now();
      on_tick();
    } else {
      const auto now = steady::now();
      for (std::size_t i = 0; i < slots_.size(); ++i) {
        send_message(i, now);
      }
    }
  }

  void arm_progress() {
    progress_timer_.expires_after(progress_every);
    progress_timer_.async_wait([this](const boost::system::error_code& error) {
      if (error || finished_) {
        return;
      }
      const auto acks = report_.measured_acks() + report_.warmup_acks;
      const double rate = static_cast<double>(acks - acks_at_last_progress_)
                          / std::chrono::duration<double>(progress_every).count();
      acks_at_last_progress_ = acks;
      log_ << "info " << component_ << " progress rate=" << static_cast<std::uint64_t>(rate)
           << "/s sent=" << report_.messages_sent << " acks=" << report_.measured_acks()
           << " p99_ms="
           << std::chrono::duration<double, std::milli>(report_.ingress_ack.percentile(99)).count()
           << " rejected=" << rejected_;
      if (open()) {
        log_ << " late=" << report_.sent_late;
      }
      log_ << std::endl;
      arm_progress();
    });
  }

  // Open loop: sends every message whose arrival time has come, then sleeps until the next
  // tick.
  void on_tick() {
    if (stopping_ || finished_) {
      return;
    }

    const auto now = steady::now();
    while (next_arrival_ <= now) {
      const auto lag = now - next_arrival_;
      if (lag > late_after && window_.is_open()) {
        ++report_.sent_late;
        report_.worst_send_lag = std::max(
            report_.worst_send_lag, std::chrono::duration_cast<std::chrono::nanoseconds>(lag));
      }
      send_message(arrivals_++ % slots_.size(), next_arrival_);
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

  // Slot `si`'s message k goes to conversation `<run>-<mode>-<si>-<k / per conv>` with its
  // own customer: the session broker would fold a known customer's new conversation id on
  // the same channel into the old conversation and its bot turns.
  void send_message(std::size_t si, steady::time_point intended) {
    if (stopping_ || finished_) {
      return;
    }

    auto& slot = slots_[si];
    const auto k = slot.next++;
    const auto n = std::to_string(si);
    const auto round = std::to_string(k / options_.messages_per_conv);
    const bool first = k % options_.messages_per_conv == 0;
    if (first) {
      live_.erase(slot.previous_conv);
      slot.previous_conv = std::move(slot.conv);
      slot.conv = conv_prefix_ + n + "-" + round;
      auto& fresh = live_[slot.conv];
      fresh.slot = si;
      fresh.wants_human = std::bernoulli_distribution(scenario_.escalate_share)(random_);
    }
    auto& live = live_[slot.conv];
    const auto base = live.wants_human ? human_text : bot_text;
    std::string_view text = base;
    if (!scenario_.message_bytes.fixed_texts()) {
      const auto size = std::uniform_int_distribution<std::size_t>(
          scenario_.message_bytes.min, scenario_.message_bytes.max)(random_);
      sized_text(base, size, text_);
      text = text_;
    }

    const auto id = run_id_ + "-" + n + "-m" + std::to_string(k);
    json_.clear();
    json_.begin_object()
        .field("type", "customer.message")
        .field("id", id)
        .field("conv", slot.conv)
        .field("text", text)
        .field("customer", "cust-" + run_id_ + "-" + n + "-" + round)
        .field("channel", "load");
    if (first) {
      if (const auto& tier = tiers_.pick(random_); !tier.empty()) {
        json_.field("tier", tier);
      }
    }
    json_.end_object();
    senders_[si % senders_.size()]->send(json_.str(), id, si + 1, intended);
    ++report_.messages_sent;
    if (!bots_.empty() && !live.bot_let_go) {
      live.awaiting_bot.push_back(intended);
    }
    if (!live.awaiting_reply) {
      live.awaiting_reply = intended;
    }
    if (first && live.wants_human && window_.is_open()) {
      escalating_.emplace(slot.conv, intended);  // The first offer for it closes the measurement.
    }
  }

  live_conversation* live_for(const std::string& conv) {
    const auto it = live_.find(conv);
    return it == live_.end() ? nullptr : &it->second;
  }

  void ack_delivery(event_client& client, const frame& f) {
    if (f.delivery.empty()) {
      return;
    }
    send_delivery_ack(client, json_, run_id_ + "-d" + std::to_string(++other_events_), f.delivery,
                      other_tag);
  }

  void on_gateway_frame(std::size_t gateway, const frame& f) {
    if (f.type == "customer.deliver" && f.from != "router") {
      if (auto* live = live_for(f.conv); live != nullptr && live->awaiting_reply) {
        if (window_.holds(*live->awaiting_reply)) {
          report_.reply.record(steady::now() - *live->awaiting_reply);
        }
        live->awaiting_reply.reset();
      }
    }
    ack_delivery(*gateways_[gateway], f);
  }

  void on_agent_frame(std::size_t agent, const frame& f) {
    if (f.type == "agent.offer") {
      if (auto it = escalating_.find(f.conv); it != escalating_.end()) {
        report_.message_to_offer.record(steady::now() - it->second);
        escalating_.erase(it);
      }
      count_sla_opportunity(f.tier, "offer_accept");
      agent_event(agent, "agent.accept", f.conv, &f.offer);
    } else if (f.type == "agent.assigned") {
      // A conversation the tool no longer follows (an older round, an earlier run's) has
      // nothing more to come from its customer.
      const auto* live = live_for(f.conv);
      desk_.assigned(agent, f.conv, live == nullptr || live->customer_done, steady::now());
      arm_work();
    } else if (f.type == "agent.message") {
      const auto message = scripted(f.id);
      desk_.message(agent, f.conv, !message || message->last, steady::now());
      arm_work();
    } else if (f.type == "agent.revoked" && f.offer.empty()) {
      desk_.revoked(agent, f.conv);  // Lost it: nothing left to answer.
    }
    ack_delivery(*agents_[agent], f);
  }

  // The ack of `conv`'s last scripted message came: the router has applied all of it.
  void customer_done(const std::string& conv, steady::time_point now) {
    if (auto* live = live_for(conv); live != nullptr) {
      live->customer_done = true;
    }
    desk_.customer_done(conv, now);
    arm_work();
  }

  // The customer message `id` of this run (as `send_message` names it: `<run>-<slot>-m<k>`);
  // nullopt for an id of another run.
  std::optional<scripted_message> scripted(std::string_view id) const {
    const auto marker = id.rfind("-m");
    if (id.size() <= run_id_.size() + 1 || id.compare(0, run_id_.size(), run_id_) != 0
        || id[run_id_.size()] != '-' || marker == std::string_view::npos
        || marker <= run_id_.size()) {
      return std::nullopt;
    }
    const auto slot = id.substr(run_id_.size() + 1, marker - run_id_.size() - 1);
    const auto digits = id.substr(marker + 2);
    std::uint64_t k = 0;
    const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), k);
    if (error != std::errc{} || end != digits.data() + digits.size()) {
      return std::nullopt;
    }
    return scripted_message{
        conv_prefix_ + std::string(slot) + "-" + std::to_string(k / options_.messages_per_conv),
        k % options_.messages_per_conv == options_.messages_per_conv - 1};
  }

  // Waits for the agents' oldest work. The think time is the same for all of it, so it falls
  // due in the order it came: while the timer waits, later work needs no timer of its own.
  void arm_work() {
    if (work_armed_ || !desk_.has_work() || settling_ || finished_) {
      return;
    }

    work_armed_ = true;
    work_timer_.expires_at(desk_.next_due());
    work_timer_.async_wait([this](const boost::system::error_code& error) {
      work_armed_ = false;
      if (error || settling_ || finished_) {
        return;  // Once settling, the agents are offline: what they still hold is requeued.
      }
      steps_.clear();
      desk_.take_due(steady::now(), steps_);
      for (const auto& step : steps_) {
        agent_event(step.agent, "agent.reply", step.conv, nullptr);
        if (step.resolve) {
          agent_event(step.agent, "agent.resolve", step.conv, nullptr);
        }
      }
      arm_work();
      check_drained();
    });
  }

  void agent_event(std::size_t agent, std::string_view type, const std::string& conv,
                   const std::string* offer) {
    const std::string id = run_id_ + "-a" + std::to_string(++other_events_);
    json_.clear();
    json_.begin_object()
        .field("type", type)
        .field("id", id)
        .field("conv", conv)
        .field("agent", agents_[agent]->name());
    if (offer != nullptr) {
      json_.field_raw("offer", *offer);  // Kept as the raw JSON token the router sent.
    }
    if (type == "agent.reply") {
      json_.field("text", "Thanks for waiting, this is sorted now.");
    }
    json_.end_object();
    agents_[agent]->send(json_.str(), id, type == "agent.accept" ? accept_tag : other_tag);
  }

  void on_bot_frame(std::size_t bot, const frame& f) {
    ack_delivery(*bots_[bot], f);
    if (f.type != "bot.request" || !answered_.insert(f.delivery).second) {
      return;  // A re-sent request already answered.
    }
    answered_order_.push_back(f.delivery);
    if (answered_order_.size() > answered_memory) {
      answered_.erase(answered_order_.front());
      answered_order_.pop_front();
    }

    auto* live = live_for(f.conv);
    if (live == nullptr) {
      return;  // Long gone from the tool's view: only acked.
    }
    if (!live->awaiting_bot.empty()) {
      if (window_.holds(live->awaiting_bot.front())) {
        report_.message_to_bot_request.record(steady::now() - live->awaiting_bot.front());
      }
      live->awaiting_bot.erase(live->awaiting_bot.begin());
    }
    if (live->bot_let_go) {
      return;  // For a message that crossed the resolve or handoff: only acked.
    }
    ++live->bot_answered;
    std::string_view outcome = "continue";
    if (live->wants_human) {
      outcome = "handoff";
    } else if (live->bot_answered >= options_.messages_per_conv) {
      outcome = "resolved";
    }
    live->bot_let_go = outcome != "continue";
    // One conversation's replies all leave on one connection, so that they reach the router
    // in order: its requests come round-robin over every bot connection.
    auto& reply_on = *bots_[live->slot % bots_.size()];
    const std::string id = run_id_ + "-b" + std::to_string(++other_events_);
    json_.clear();
    json_.begin_object()
        .field("type", "bot.reply")
        .field("id", id)
        .field("conv", f.conv)
        .field("text", outcome == "handoff" ? "Let me get you a person." : "Here is what I found.")
        .field("outcome", outcome);
    if (outcome == "handoff") {
      json_.field("intent", "load_handoff");
    }
    json_.end_object();
    reply_on.send(json_.str(), id, other_tag);
  }

  // Every conversation the supervisor sees counts, this run's or not: the server check
  // compares with the server's counts over the same span, and an earlier run's conversations
  // left in a queue are finished by this run's agents.
  void on_supervisor_frame(const frame& f) {
    const std::string tier = f.tier.empty() ? "unknown" : f.tier;
    if (f.type == "sla.breach") {
      if (breaches_seen_.insert(f.conv + "|" + f.sla + "|" + f.deadline).second) {
        ++report_.sla[tier][f.sla].breaches;
        ++tally_.breaches[tier][f.sla];
      }
      ++report_.sla[tier][f.sla].breach_frames;
      return;
    }
    if (f.type != "conversation.state") {
      return;
    }
    if (f.state == "bot") {
      count_sla_opportunity(tier, "bot_max_turns");  // The bot takes over (again).
    } else if (f.state == "queued" || f.state == "offered" || f.state == "agent") {
      // A human was asked for; the first sight counts, even mid-way for an older one.
      if (escalated_.insert(f.conv).second && f.state == "queued") {
        count_sla_opportunity(tier, "human_response");
      }
    } else if (f.state == "resolved" || f.state == "abandoned" || f.state == "closed") {
      const bool escalated = escalated_.erase(f.conv) > 0;
      auto& counts = tally_.outcomes[tier];
      ++counts.finished;
      counts.escalated += escalated ? 1 : 0;
      counts.contained += f.state == "resolved" && !escalated ? 1 : 0;
      counts.resolved += f.state == "resolved" ? 1 : 0;
      counts.abandoned += f.state == "abandoned" ? 1 : 0;
    }
  }

  void count_sla_opportunity(const std::string& tier, const char* sla) {
    ++report_.sla[tier.empty() ? "unknown" : tier][sla].opportunities;
  }

  void begin_window() {
    if (finished_) {
      return;
    }

    window_.open(steady::now());
    phase_timer_.expires_after(options_.duration);
    phase_timer_.async_wait([this](const boost::system::error_code& error) {
      if (!error) {
        end_window();
      }
    });
  }

  // Stops sending; what is in flight drains (uncounted) so that the server is left idle.
  void end_window() {
    if (finished_) {
      return;
    }

    const auto now = steady::now();
    stopping_ = true;
    window_.close(now);
    tick_timer_.cancel();
    report_.close_window(now - window_.start());
    drain_timer_.expires_after(scenario_.think + drain_limit);
    drain_timer_.async_wait([this](const boost::system::error_code& error) {
      if (!error) {
        settle();
      }
    });
    check_drained();
  }

  void on_ack(const std::string& client, const ack_event& event) {
    if (!event.matched) {
      if (++report_.unmatched_acks <= log_budget) {
        log_ << "warn " << component_ << " ack matches no frame in flight client=" << client
             << " id=" << event.id << " status=" << event.status << std::endl;
      }
      return;
    }

    if (!event.in_order) {
      ++report_.out_of_order_acks;
    }
    if (event.status == "rejected" && event.tag == accept_tag
        && event.error_code == "stale_offer") {
      // An offer can expire or be withdrawn before the accept arrives: the router answers as
      // DESIGN.md §5 says, and the agent moves on. Shown, but no failure.
      ++report_.stale_offers;
    } else if (event.status == "rejected") {
      ++rejected_;
      const std::string code = event.error_code.empty() ? "none" : std::string(event.error_code);
      if (++report_.rejected_by_code[code] == 1) {
        log_ << "warn " << component_ << " rejected client=" << client << " id=" << event.id
             << " code=" << code << " message=\"" << event.error_message << "\"" << std::endl;
      }
    }
    // Only customer messages make the figures; the other roles' events are not the load.
    if (event.tag < accept_tag) {
      if (event.status == "ok") {
        ++tally_.customer_messages_ok;
      }
      const auto now = steady::now();
      // Its latency counts when it was sent in the window, like every other latency; the
      // ack itself counts towards the throughput when it arrives there.
      report_.count_customer_ack(window_, now, event.latency, event.status);
      if (const auto message = scripted(event.id); message && message->last) {
        customer_done(message->conv, now);
      }
      // Closed loop: the slot sends its next message, whatever became of this one (a rejected
      // message had no effect).
      if (!open()) {
        send_message(static_cast<std::size_t>(event.tag - 1), steady::now());
      }
    }
    check_drained();
  }

  void check_drained() {
    if (!stopping_ || finished_ || settling_ || desk_.has_work()) {
      return;
    }
    std::size_t pending = 0;
    for_each_client([&pending](event_client& client) { pending += client.pending_acks(); });
    if (pending == 0) {
      settle();
    }
  }

  // Everything is answered (or the drain ran out of time). The agents log off, which hands
  // what they still hold back to the queues instead of leaving it with agents who will never
  // answer; the supervisor gets a moment for the last states; then the run ends.
  void settle() {
    if (finished_ || settling_) {
      return;
    }
    settling_ = true;
    drain_timer_.cancel();
    work_timer_.cancel();
    for (std::size_t agent = 0; agent < agents_.size(); ++agent) {
      send_agent_status(agent, "offline");
    }
    if (!supervisor_ && agents_.empty()) {
      finish();
      return;
    }
    settle_until_ = steady::now() + settle_time + drain_limit;
    drain_timer_.expires_after(settle_time);
    drain_timer_.async_wait([this](const boost::system::error_code& error) {
      if (!error) {
        finish_once_answered();
      }
    });
  }

  // What the last states caused (delivery acks of the last replies, the agents' status) is
  // answered before the end, within `drain_limit`.
  void finish_once_answered() {
    std::size_t pending = 0;
    for_each_client([&pending](event_client& client) { pending += client.pending_acks(); });
    if (pending == 0 || steady::now() >= settle_until_) {
      read_server_then_finish();
      return;
    }
    drain_timer_.expires_after(std::chrono::milliseconds{20});
    drain_timer_.async_wait([this](const boost::system::error_code& error) {
      if (!error) {
        finish_once_answered();
      }
    });
  }

  // The server is read while the supervisor still listens: the breach frames of what it
  // counted last are then still received, within `drain_limit`, before the run ends.
  void read_server_then_finish() {
    if (options_.common.http_addr.empty() || !supervisor_) {
      finish();
      return;
    }
    // A blocking read of at most `server_check_timeout`; the connections' bytes wait in
    // their sockets meanwhile.
    server_after_ = fetch_server_snapshot(options_.common.http_addr,
                                          options_.common.supervisor_token, server_check_timeout);
    breaches_until_ = steady::now() + drain_limit;
    finish_once_breaches_seen();
  }

  void finish_once_breaches_seen() {
    // The breaches still firing send notices the gateways acknowledge: those acks are waited
    // for as well.
    std::size_t pending = 0;
    for_each_client([&pending](event_client& client) { pending += client.pending_acks(); });
    const bool seen = !server_after_ || !server_after_->error.empty()
                      || saw_counted_breaches(server_before_, *server_after_, tally_);
    if ((seen && pending == 0) || steady::now() >= breaches_until_) {
      finish();
      return;
    }
    drain_timer_.expires_after(std::chrono::milliseconds{20});
    drain_timer_.async_wait([this](const boost::system::error_code& error) {
      if (!error) {
        finish_once_breaches_seen();
      }
    });
  }

  void fail(const std::string& reason) {
    if (finished_) {
      return;
    }
    log_ << "error " << component_ << " " << reason << std::endl;
    report_.failures.push_back(reason);
    if (window_.is_open()) {
      const auto now = steady::now();
      window_.close(now);
      report_.close_window(now - window_.start());
    }
    finish();
  }

  // Stops every timer and closes every connection, so that `io_.run()` returns.
  void finish() {
    if (finished_) {
      return;
    }

    finished_ = true;
    report_.offers_missing = escalating_.size();
    report_.still_queued = escalated_.size();
    for (const auto& poster : http_posters_) {
      report_.http_requests += static_cast<const http_event_client&>(*poster).requests();
    }
    for (auto* timer : {&timeout_timer_, &tick_timer_, &phase_timer_, &drain_timer_,
                        &progress_timer_, &work_timer_}) {
      timer->cancel();
    }
    for_each_client([this](event_client& client) {
      report_.unanswered += client.pending_acks();
      report_.bad_frames += client.bad_frames();
      client.close();
    });
  }

  const loop_options& options_;
  const scenario_options& scenario_;
  std::ostream& log_;
  const std::string component_;
  std::string run_id_;
  std::string conv_prefix_;
  std::mt19937_64 random_;
  std::exponential_distribution<double> gap_;
  tier_picker tiers_;
  boost::asio::io_context io_;
  boost::asio::steady_timer timeout_timer_;
  boost::asio::steady_timer tick_timer_;
  boost::asio::steady_timer phase_timer_;
  boost::asio::steady_timer drain_timer_;
  boost::asio::steady_timer progress_timer_;
  boost::asio::steady_timer work_timer_;
  boost::asio::ip::tcp::endpoint endpoint_;
  /// `--transport http`: the connections that post the customer messages.
  std::vector<std::unique_ptr<event_client>> http_posters_;
  std::vector<std::unique_ptr<event_client>> gateways_;
  std::vector<std::unique_ptr<event_client>> agents_;
  std::vector<std::unique_ptr<event_client>> bots_;
  std::unique_ptr<event_client> supervisor_;
  /// Where customer messages go: the gateways, or the HTTP posters.
  std::vector<event_client*> senders_;

  std::vector<conversation_slot> slots_;
  /// The current and previous conversation of each slot.
  std::unordered_map<std::string, live_conversation> live_;
  /// Escalating conversations of the window waiting for their first offer, with the
  /// arrival time of the message that asked for a human.
  std::unordered_map<std::string, steady::time_point> escalating_;
  /// What the agents owe their conversations, and whether `work_timer_` waits for it.
  agent_desk desk_;
  bool work_armed_ = false;
  /// Bot deliveries answered, the oldest forgotten first.
  std::unordered_set<std::string> answered_;
  std::deque<std::string> answered_order_;
  /// The supervisor's view: open conversations a human was asked for, and the distinct
  /// breaches.
  std::unordered_set<std::string> escalated_;
  std::unordered_set<std::string> breaches_seen_;
  tool_tally tally_;
  server_snapshot server_before_;
  /// Read at the end of the run while the connections were still open; unset when the run
  /// ended otherwise (a failure, no supervisor), and then read after they closed.
  std::optional<server_snapshot> server_after_;
  steady::time_point breaches_until_;

  // Reused for every frame sent; a frame is built and handed to a client in one go.
  json_writer json_;
  std::string text_;
  std::vector<agent_step> steps_;

  std::size_t ready_ = 0;
  std::uint64_t arrivals_ = 0;
  std::uint64_t other_events_ = 0;
  std::uint64_t rejected_ = 0;
  std::uint64_t acks_at_last_progress_ = 0;
  steady::time_point next_arrival_;
  bool started_ = false;
  /// Sending stopped at the end of the window; what is in flight drains.
  bool stopping_ = false;
  bool settling_ = false;
  bool finished_ = false;
  measured_window window_;
  steady::time_point settle_until_;
  loop_report report_;
};

}  // namespace

int run_loop(const loop_options& options, std::ostream& out, std::ostream& log) {
  loop_runner runner(options, log);
  const auto report = runner.run();

  print_loop_report(out, report);
  out.flush();
  const int exit_code = report.failures.empty() ? 0 : 1;
  const std::string mode = pacing_name(options.pacing);
  if (!options.common.plot_prefix.empty()) {
    std::vector<named_histogram> series{{"ingress->ack", &report.ingress_ack}};
    for (const auto& [name, histogram] :
         {named_histogram{"message->bot.request", &report.message_to_bot_request},
          named_histogram{"message->offer", &report.message_to_offer},
          named_histogram{"reply", &report.reply}}) {
      if (histogram->count() > 0) {
        series.emplace_back(name, histogram);
      }
    }
    for (const auto& file : write_plots(options.common.plot_prefix, "blendroute-load " + mode,
                                        series, report.acks_per_second, report.rate, log)) {
      out << "plot: " << file << "\n";
    }
  }
  const std::string component = "load." + mode;
  return finish_report(loop_report_json(report), exit_code, options.common.json_path,
                       options.common.compare_path, options.common.regression_threshold,
                       component.c_str(), out, log);
}

}  // namespace blendroute::load
