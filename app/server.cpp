// Start-up and shutdown order of the server.
#include "app/server.hpp"

#include <csignal>
#include <cstdio>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "actors/router.hpp"
#include "app/config_file.hpp"
#include "net/http_server.hpp"
#include "net/session_registry.hpp"
#include "net/tcp_server.hpp"
#include "net/webhook_bot.hpp"
#include "persist/journal.hpp"

namespace blendroute::app {
namespace {

constexpr std::string_view component = "app";

time_point system_now() {
  return std::chrono::time_point_cast<duration>(std::chrono::system_clock::now());
}

void log_line(log_sink& log, log_level level, const std::string& line) {
  if (log.enabled(level)) {
    log.write(level, component, line);
  }
}

std::string joined(const std::vector<std::string>& keys) {
  std::string out;
  for (const auto& key : keys) {
    out += (out.empty() ? "" : ",") + key;
  }
  return out;
}

/// Reads the configuration again and hands the router what can change live. Returns the
/// configuration now running: `running` itself when the new one is refused.
std::shared_ptr<const config> reload(std::shared_ptr<const config> running,
                                     const serve_options& options, actors::router& router,
                                     log_sink& log) {
  if (!options.reload_config) {
    log_line(log, log_level::warn, "reload_refused reason=no_configuration_file");
    return running;
  }
  auto next = options.reload_config();
  if (!next) {
    // The running configuration stays; nothing half-applied.
    log_line(log, log_level::error, "reload_failed error=\"" + next.err().message + "\"");
    return running;
  }
  const auto restart_only = restart_only_changes(*running, *next);
  auto merged = std::make_shared<const config>(merge_live_changes(*running, *next));
  const auto changed = live_changes(*running, *merged);
  if (!changed.empty()) {
    router.reload(merged);
  }
  log_line(log, log_level::info,
           "config_reloaded changed=" + (changed.empty() ? std::string("none") : joined(changed)));
  if (!restart_only.empty()) {
    log_line(log, log_level::warn,
             "reload_needs_restart keys=" + joined(restart_only) + " action=kept_running_values");
  }
  return changed.empty() ? running : merged;
}

}  // namespace

int serve(const config& cfg, const serve_options& options, log_sink& log) {
  // Block the stop signals in every thread started from here on; this thread waits for them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  auto bot = load_faq_bot(cfg.bot.rules_file);
  if (!bot) {
    log_line(log, log_level::error, "bot_rules_invalid error=" + bot.err().message);
    return 2;
  }
  auto journal = persist::open_rocksdb_journal(cfg.journal, {&log, nullptr});
  if (!journal) {
    log_line(log, log_level::error, "journal_open_failed error=" + journal.err().message);
    return 3;
  }
  log_line(
      log, log_level::info,
      "journal_opened path=" + cfg.journal.path + " sync=" + std::string(name(cfg.journal.sync)));

  net::session_registry sessions;
  auto shared_cfg = std::make_shared<const config>(cfg);
  auto router =
      actors::router::start({shared_cfg, journal->get(), &sessions, &*bot, &log, system_now});
  sessions.watch_agents([&router = *router](const std::string& agent, bool connected) {
    router.agent_connection(agent, connected);
  });
  sessions.limit_supervisor_backlog(cfg.listener.max_send_queue_bytes / 2);
  sessions.hand_over_bot_requests(
      [&router = *router](const egress_frame& request) { router.ask_embedded_bot(request); });
  // Before the listeners open: no event may reach a conversation that is not restored yet.
  if (!router->recover()) {
    router->stop();
    (*journal)->close();
    return 3;
  }
  // The ingress ids load while recovery runs; no event is taken before they are all known.
  if (auto ready = (*journal)->wait_ready(); !ready) {
    log_line(log, log_level::error, "journal_open_failed error=" + ready.err().message);
    router->stop();
    (*journal)->close();
    return 3;
  }

  // A remote bot behind a webhook or a Rasa REST channel takes the bot requests instead of
  // the embedded bot (bots that connect in share them).
  std::optional<net::webhook_bot> remote_bot;
  if (shared_cfg->bot.connector != bot_connector::embedded) {
    remote_bot.emplace(shared_cfg->bot, *router, sessions, log);
    if (auto started = remote_bot->start(); !started) {
      log_line(log, log_level::error, "bot_connector_failed error=" + started.err().message);
      router->stop();
      (*journal)->close();
      return 2;
    }
  }

  net::tcp_server tcp(shared_cfg->listener, shared_cfg->auth, *router, sessions, log);
  auto port = tcp.start();
  if (!port) {
    log_line(log, log_level::error, "listen_failed error=" + port.err().message);
    router->stop();
    (*journal)->close();
    return 4;
  }
  net::http_server http(shared_cfg->listener, shared_cfg->auth, *router, sessions, log);
  auto http_port = http.start();
  if (!http_port) {
    log_line(log, log_level::error, "listen_failed error=" + http_port.err().message);
    tcp.stop();
    router->stop();
    (*journal)->close();
    return 4;
  }
  if (!options.port_file.empty()) {
    // Line 1 the TCP port, line 2 the HTTP port.
    std::ofstream(options.port_file) << *port << "\n" << *http_port << "\n";
  }
  log_line(log, log_level::info,
           "ready tcp_port=" + std::to_string(*port) + " http_port=" + std::to_string(*http_port)
               + " bot_rules=" + std::to_string(bot->rule_count()));

  std::shared_ptr<const config> running = shared_cfg;
  int received = 0;
  for (;;) {
    sigwait(&stop_signals, &received);
    if (received != SIGHUP) {
      break;
    }
    running = reload(running, options, *router, log);
  }
  log_line(log, log_level::info,
           std::string("stopping signal=") + (received == SIGINT ? "SIGINT" : "SIGTERM"));

  http.stop();
  tcp.stop();
  if (remote_bot) {
    remote_bot->stop();
  }
  const std::size_t conversation_actors = router->conversation_actor_count();
  router->stop();
  (*journal)->close();
  router.reset();
  log_line(log, log_level::info,
           "stopped conversation_actors=" + std::to_string(conversation_actors)
               + " journal=" + cfg.journal.path);
  return 0;
}

}  // namespace blendroute::app
