// The remote bot connectors of DESIGN.md §5: each bot.request POSTed to a webhook, or to a
// Rasa REST channel, and the response taken as the bot's reply.
#pragma once

#include <memory>

#include "actors/ingress_port.hpp"
#include "core/config.hpp"
#include "core/error.hpp"
#include "core/log.hpp"
#include "net/session_registry.hpp"

namespace blendroute::net {

/// A bot "connection" that is an HTTP client. Registered as a bot session, it receives the
/// bot requests (and their re-sends) like a bot that connected in, and:
/// - POSTs each to `bot.webhook_url`, signed with HMAC-SHA256 of the body in
///   `X-Blendroute-Signature: sha256=<hex>` when `bot.webhook_secret` is set, its delivery id
///   in `X-Blendroute-Delivery`; at most `webhook_max_in_flight` at once, the rest queued;
/// - retries a failed attempt (connection error, timeout, a status other than 2xx, a
///   response it cannot read) `webhook_retries` times with backoff, with the same delivery id;
/// - submits the response as the `bot.reply` (id `webhook:<delivery>`, so that a retry that
///   was answered twice applies once) and acknowledges the delivery.
/// Its own I/O thread does the HTTP work.
class webhook_bot {
public:
  /// Everything referenced must outlive the connector.
  webhook_bot(const bot_config& cfg, actors::ingress_port& port, session_registry& sessions,
              log_sink& log);
  ~webhook_bot();
  webhook_bot(const webhook_bot&) = delete;
  webhook_bot& operator=(const webhook_bot&) = delete;

  /// Parses the URL, starts the I/O thread and registers as a bot session.
  result<void> start();

  /// Unregisters, abandons what is in flight (re-sent to it or another bot at the next
  /// start) and joins the thread.
  void stop();

private:
  struct impl;
  std::shared_ptr<impl> impl_;
};

/// The bot reply a webhook answered with: `{"text":…, "outcome":"continue"|"resolved"|
/// "handoff", "intent", "confidence", "slots", "skills"}` (only `text` required). Exposed for
/// tests.
result<ingress_event> parse_webhook_reply(std::string_view body);

/// The bot reply a Rasa REST channel answered with: an array of messages whose `text`s are
/// joined, and whose `custom` payloads may hand over (`handoff_key` true, or an `intent`
/// equal to `handoff_intent`) or say `outcome` and `intent`. nullopt inside the result: Rasa
/// had nothing to say. Exposed for tests.
result<std::optional<ingress_event>> parse_rasa_reply(std::string_view body,
                                                      const std::string& handoff_key,
                                                      const std::string& handoff_intent);

/// HMAC-SHA256 of `body` with `secret`, in lowercase hex.
std::string hmac_sha256_hex(std::string_view secret, std::string_view body);

}  // namespace blendroute::net
