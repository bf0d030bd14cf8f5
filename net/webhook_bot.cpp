// Webhook and Rasa bot connectors: an HTTP client behind a bot session.
#include "net/webhook_bot.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <deque>
#include <optional>
#include <thread>
#include <unordered_set>

#include <boost/asio/connect.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <simdjson.h>

#include "core/json_writer.hpp"

namespace blendroute::net {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

constexpr std::string_view component = "net.bot_webhook";

/// The largest response read from a bot.
constexpr std::size_t max_response_bytes = 1u << 20;

/// One bot request on its way to the bot, with the attempts made so far.
struct bot_call {
  std::string delivery;
  std::string conv;
  std::string body;
  int attempt = 0;
};

std::string reply_id(const std::string& delivery) {
  return "webhook:" + delivery;
}

}  // namespace

std::string hmac_sha256_hex(std::string_view secret, std::string_view body) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(body.data()), body.size(), digest, &length);
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  out.reserve(length * 2);
  for (unsigned int i = 0; i < length; ++i) {
    out.push_back(hex[digest[i] >> 4]);
    out.push_back(hex[digest[i] & 0xf]);
  }
  return out;
}

result<ingress_event> parse_webhook_reply(std::string_view body) {
  simdjson::dom::parser parser;
  simdjson::dom::object reply;
  if (parser.parse(body.data(), body.size()).get(reply) != simdjson::SUCCESS) {
    return error{errc::bad_json, "the bot's response is not a JSON object"};
  }
  ingress_event event;
  event.type = event_type::bot_reply;
  std::string_view text;
  if (reply["text"].get(text) != simdjson::SUCCESS) {
    return error{errc::missing_field, "the bot's response has no string `text`"};
  }
  event.text = std::string(text);
  std::string_view outcome = "continue";
  if (auto field = reply["outcome"]; field.error() == simdjson::SUCCESS) {
    if (field.get(outcome) != simdjson::SUCCESS) {
      return error{errc::bad_type, "`outcome` must be a string"};
    }
  }
  const auto parsed = parse_bot_outcome(outcome);
  if (!parsed) {
    return error{errc::bad_value, "`outcome` must be continue, resolved or handoff"};
  }
  event.outcome = *parsed;
  std::string_view intent;
  if (reply["intent"].get(intent) == simdjson::SUCCESS) {
    event.intent = std::string(intent);
  }
  double confidence = 0;
  if (reply["confidence"].get(confidence) == simdjson::SUCCESS) {
    if (confidence < 0 || confidence > 1) {
      return error{errc::bad_value, "`confidence` must be between 0 and 1"};
    }
    event.confidence = confidence;
  }
  simdjson::dom::object slots;
  if (reply["slots"].get(slots) == simdjson::SUCCESS) {
    event.slots_json = simdjson::minify(slots);
  }
  simdjson::dom::array skills;
  if (reply["skills"].get(skills) == simdjson::SUCCESS) {
    for (auto skill : skills) {
      std::string_view name;
      if (skill.get(name) == simdjson::SUCCESS) {
        event.skills.emplace_back(name);
      }
    }
  }
  return event;
}

result<std::optional<ingress_event>> parse_rasa_reply(std::string_view body,
                                                      const std::string& handoff_key,
                                                      const std::string& handoff_intent) {
  simdjson::dom::parser parser;
  simdjson::dom::array messages;
  if (parser.parse(body.data(), body.size()).get(messages) != simdjson::SUCCESS) {
    return error{errc::bad_json, "the Rasa response is not a JSON array"};
  }
  ingress_event event;
  event.type = event_type::bot_reply;
  event.outcome = bot_outcome::continue_turn;
  bool said_anything = false;
  for (auto message : messages) {
    std::string_view text;
    if (message["text"].get(text) == simdjson::SUCCESS) {
      event.text += (event.text.empty() ? "" : "\n") + std::string(text);
      said_anything = true;
    }
    simdjson::dom::object custom;
    if (message["custom"].get(custom) != simdjson::SUCCESS) {
      continue;
    }
    said_anything = true;
    bool handoff = false;
    if (custom[handoff_key].get(handoff) == simdjson::SUCCESS && handoff) {
      event.outcome = bot_outcome::handoff;
    }
    std::string_view intent;
    if (custom["intent"].get(intent) == simdjson::SUCCESS) {
      event.intent = std::string(intent);
      if (!handoff_intent.empty() && intent == handoff_intent) {
        event.outcome = bot_outcome::handoff;
      }
    }
    std::string_view outcome;
    if (custom["outcome"].get(outcome) == simdjson::SUCCESS
        && event.outcome != bot_outcome::handoff) {
      if (const auto parsed = parse_bot_outcome(outcome)) {
        event.outcome = *parsed;
      }
    }
  }
  if (!said_anything) {
    return std::optional<ingress_event>{};
  }
  return std::optional<ingress_event>{std::move(event)};
}

struct webhook_bot::impl : std::enable_shared_from_this<impl> {
  /// The bot session the registry sends to; it hands each line to the connector's thread.
  class bot_session final : public session {
  public:
    explicit bot_session(std::weak_ptr<impl> owner) : owner_(std::move(owner)) {}

    void deliver(std::shared_ptr<const std::string> line) override {
      if (auto connector = owner_.lock()) {
        asio::post(connector->io, [connector, line = std::move(line)] { connector->take(*line); });
      }
    }

  private:
    std::weak_ptr<impl> owner_;
  };

  impl(const bot_config& bot, actors::ingress_port& ingress, session_registry& registry,
       log_sink& sink)
      : cfg(bot), port(ingress), sessions(registry), log(sink) {}

  void log_line(log_level level, const std::string& line) const {
    if (log.enabled(level)) {
      log.write(level, component, line);
    }
  }

  /// A bot request (or its re-send) from the registry.
  void take(const std::string& line) {
    simdjson::dom::parser parser;
    simdjson::dom::object request;
    std::string_view delivery;
    std::string_view conv;
    if (parser.parse(line).get(request) != simdjson::SUCCESS
        || request["delivery"].get(delivery) != simdjson::SUCCESS
        || request["conv"].get(conv) != simdjson::SUCCESS) {
      return;  // Not a bot request: nothing a bot must answer.
    }
    if (stopping || !known.insert(std::string(delivery)).second) {
      return;  // Already on its way: a re-send while the first attempt is still running.
    }
    bot_call call;
    call.delivery = std::string(delivery);
    call.conv = std::string(conv);
    std::string_view frame(line);
    while (!frame.empty() && (frame.back() == '\n' || frame.back() == '\r')) {
      frame.remove_suffix(1);
    }
    if (cfg.connector == bot_connector::rasa) {
      // Rasa's REST channel: the conversation is the sender; the request rides along.
      std::string_view text;
      std::int64_t turn = 0;
      if (request["text"].get(text) != simdjson::SUCCESS) {
        text = {};
      }
      if (request["turn"].get(turn) != simdjson::SUCCESS) {
        turn = 0;
      }
      json_writer json(call.body);
      json.begin_object()
          .field("sender", call.conv)
          .field("message", text)
          .begin_object("metadata")
          .field("delivery", call.delivery)
          .field("turn", turn)
          .raw_field("request", frame)
          .end_object()
          .end_object();
    } else {
      call.body = std::string(frame);
    }
    waiting.push_back(std::move(call));
    pump();
  }

  void pump() {
    while (!stopping && active < cfg.webhook_max_in_flight && !waiting.empty()) {
      bot_call call = std::move(waiting.front());
      waiting.pop_front();
      attempt(std::move(call));
    }
  }

  struct call_exchange;

  void attempt(bot_call call) {
    ++active;
    auto exchange = std::make_shared<call_exchange>(io, tls_context, std::move(call));
    auto& request = exchange->request;
    request.method(http::verb::post);
    request.target(target);
    request.version(11);
    request.set(http::field::host, host);
    request.set(http::field::content_type, "application/json");
    request.set(http::field::user_agent, "blendroute");
    request.set("X-Blendroute-Delivery", exchange->call.delivery);
    if (!cfg.webhook_secret.empty()) {
      request.set("X-Blendroute-Signature",
                  "sha256=" + hmac_sha256_hex(cfg.webhook_secret, exchange->call.body));
    }
    request.body() = exchange->call.body;
    request.prepare_payload();
    exchange->parser.body_limit(max_response_bytes);

    auto self = shared_from_this();
    beast::get_lowest_layer(exchange->stream).expires_after(cfg.webhook_timeout);
    beast::get_lowest_layer(exchange->stream)
        .async_connect(endpoints, [self, exchange](beast::error_code ec, const tcp::endpoint&) {
          if (ec) {
            self->finished(exchange, "connect: " + ec.message());
            return;
          }
          if (!self->tls) {
            self->exchange(exchange, beast::get_lowest_layer(exchange->stream));
            return;
          }
          // The name the certificate must carry, and the name the server may choose its
          // certificate by (SNI).
          exchange->stream.set_verify_callback(asio::ssl::host_name_verification(self->host));
          if (!SSL_set_tlsext_host_name(exchange->stream.native_handle(), self->host.c_str())) {
            self->finished(exchange, "tls: cannot set the server name");
            return;
          }
          exchange->stream.async_handshake(
              asio::ssl::stream_base::client, [self, exchange](beast::error_code handshake_ec) {
                if (handshake_ec) {
                  self->finished(exchange, "tls handshake: " + handshake_ec.message());
                  return;
                }
                self->exchange(exchange, exchange->stream);
              });
        });
  }

  /// Writes the request and reads the response on `stream`: the TCP stream, or the TLS
  /// stream over it.
  template <class Stream>
  void exchange(const std::shared_ptr<call_exchange>& exchange, Stream& stream) {
    auto self = shared_from_this();
    http::async_write(stream, exchange->request,
                      [self, exchange, &stream](beast::error_code write_ec, std::size_t) {
                        if (write_ec) {
                          self->finished(exchange, "write: " + write_ec.message());
                          return;
                        }
                        http::async_read(
                            stream, exchange->buffer, exchange->parser,
                            [self, exchange](beast::error_code read_ec, std::size_t) {
                              self->finished(
                                  exchange, read_ec ? "read: " + read_ec.message() : std::string());
                            });
                      });
  }

  struct call_exchange {
    call_exchange(asio::io_context& context, asio::ssl::context& tls_context, bot_call c)
        : stream(context, tls_context), call(std::move(c)) {}

    /// Used as TLS only for an https:// URL; otherwise its TCP layer carries the request.
    beast::ssl_stream<beast::tcp_stream> stream;
    bot_call call;
    http::request<http::string_body> request;
    beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
  };

  /// An attempt ended: `failure` says how it failed at the transport, empty when a response
  /// came.
  void finished(const std::shared_ptr<call_exchange>& exchange, std::string failure) {
    --active;
    // One connection per attempt, closed without a TLS close_notify: the response was read
    // whole (its length known), so a truncation cannot pass for an answer.
    beast::error_code ignored;
    auto& socket = beast::get_lowest_layer(exchange->stream).socket();
    socket.shutdown(tcp::socket::shutdown_both, ignored);
    beast::get_lowest_layer(exchange->stream).close();
    bot_call& call = exchange->call;

    std::optional<ingress_event> reply;
    bool nothing_to_say = false;
    if (failure.empty()) {
      const auto& response = exchange->parser.get();
      if (response.result_int() / 100 != 2) {
        failure = "HTTP " + std::to_string(response.result_int());
      } else if (cfg.connector == bot_connector::rasa) {
        auto parsed =
            parse_rasa_reply(response.body(), cfg.rasa_handoff_key, cfg.rasa_handoff_intent);
        if (!parsed) {
          failure = parsed.err().message;
        } else if (!*parsed) {
          nothing_to_say = true;
        } else {
          reply = std::move(**parsed);
        }
      } else {
        auto parsed = parse_webhook_reply(response.body());
        if (!parsed) {
          failure = parsed.err().message;
        } else {
          reply = std::move(*parsed);
        }
      }
    }

    if (!failure.empty()) {
      retry_or_give_up(std::move(call), failure);
    } else if (nothing_to_say) {
      // The bot answered with no message: the request is answered, and the bot_attempt SLA
      // looks after a customer left waiting.
      known.erase(call.delivery);
      sessions.acknowledge(call.delivery);
    } else {
      reply->id = reply_id(call.delivery);
      reply->conv = call.conv;
      reply->delivery = call.delivery;  // So that a late answer to an earlier leg is refused.
      submit(std::move(*reply), call.delivery, call.conv);
    }
    pump();
  }

  void retry_or_give_up(bot_call call, const std::string& failure) {
    if (stopping) {
      return;
    }
    if (call.attempt >= cfg.webhook_retries) {
      // The registry re-sends the request with its own backoff, and a new round starts.
      log_line(log_level::warn,
               "bot_webhook_failed conv=" + call.conv + " delivery=" + call.delivery + " attempts="
                   + std::to_string(call.attempt + 1) + " error=\"" + failure + "\"");
      known.erase(call.delivery);
      return;
    }
    log_line(log_level::debug, "bot_webhook_retry conv=" + call.conv + " delivery=" + call.delivery
                                   + " error=\"" + failure + "\"");
    const auto backoff = std::chrono::milliseconds{200} * (1 << std::min(call.attempt, 5));
    ++call.attempt;
    auto timer = std::make_shared<asio::steady_timer>(io, backoff);
    auto self = shared_from_this();
    timer->async_wait([self, timer, call = std::move(call)](beast::error_code ec) mutable {
      if (!ec && !self->stopping) {
        self->waiting.push_front(std::move(call));
        self->pump();
      }
    });
  }

  void submit(ingress_event reply, const std::string& delivery, const std::string& conv) {
    std::weak_ptr<impl> weak = shared_from_this();
    port.submit(std::move(reply), [weak, delivery, conv](actors::ack answer) {
      auto self = weak.lock();
      if (!self) {
        return;
      }
      asio::post(self->io, [self, delivery, conv, answer = std::move(answer)] {
        self->known.erase(delivery);
        if (answer.status == actors::ack_status::rejected && answer.code == errc::unavailable) {
          return;  // Not written: the registry sends the request again later.
        }
        // Applied, or moot (the conversation moved on): either way the request is answered.
        self->sessions.acknowledge(delivery);
        if (answer.status == actors::ack_status::ok) {
          self->sessions.bot_answered(conv);
        } else if (answer.status == actors::ack_status::rejected) {
          self->log_line(log_level::debug, "bot_webhook_reply_rejected conv=" + conv
                                               + " code=" + std::string(wire_code(answer.code)));
        }
      });
    });
  }

  const bot_config& cfg;
  actors::ingress_port& port;
  session_registry& sessions;
  log_sink& log;
  asio::io_context io{1};
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work;
  std::thread thread;
  std::string host;
  std::string target;
  tcp::resolver::results_type endpoints;
  /// Set for an https:// URL: the peer is verified against the system's certificate
  /// authorities, or `bot.webhook_ca_file`, and must carry the URL's host name.
  bool tls = false;
  asio::ssl::context tls_context{asio::ssl::context::tls_client};
  std::shared_ptr<bot_session> as_session;
  std::deque<bot_call> waiting;
  std::unordered_set<std::string> known;  ///< Deliveries waiting or in flight.
  int active = 0;
  bool stopping = false;
};

webhook_bot::webhook_bot(const bot_config& cfg, actors::ingress_port& port,
                         session_registry& sessions, log_sink& log)
    : impl_(std::make_shared<impl>(cfg, port, sessions, log)) {}

webhook_bot::~webhook_bot() {
  stop();
}

result<void> webhook_bot::start() {
  const std::string& url = impl_->cfg.webhook_url;
  std::string rest;
  if (url.starts_with("http://")) {
    rest = url.substr(7);
  } else if (url.starts_with("https://")) {
    rest = url.substr(8);
    impl_->tls = true;
  } else {
    return error{errc::config_invalid,
                 "bot.webhook_url \"" + url + "\" must start with http:// or https://"};
  }
  if (impl_->tls) {
    auto& context = impl_->tls_context;
    context.set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2
                        | asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1
                        | asio::ssl::context::no_tlsv1_1);
    context.set_verify_mode(asio::ssl::verify_peer);
    beast::error_code ca_ec;
    if (impl_->cfg.webhook_ca_file.empty()) {
      context.set_default_verify_paths(ca_ec);
    } else {
      context.load_verify_file(impl_->cfg.webhook_ca_file, ca_ec);
    }
    if (ca_ec) {
      return error{errc::config_invalid,
                   "bot.webhook_ca_file \""
                       + (impl_->cfg.webhook_ca_file.empty() ? std::string("(system)")
                                                             : impl_->cfg.webhook_ca_file)
                       + "\": " + ca_ec.message()};
    }
  }
  const auto slash = rest.find('/');
  const std::string authority = rest.substr(0, slash);
  impl_->target = slash == std::string::npos ? "/" : rest.substr(slash);
  const auto colon = authority.rfind(':');
  impl_->host = authority.substr(0, colon);
  const std::string port =
      colon == std::string::npos ? (impl_->tls ? "443" : "80") : authority.substr(colon + 1);
  tcp::resolver resolver(impl_->io);
  beast::error_code ec;
  impl_->endpoints = resolver.resolve(impl_->host, port, ec);
  if (ec || impl_->endpoints.empty()) {
    return error{errc::config_invalid, "bot.webhook_url \"" + url + "\": " + ec.message()};
  }

  impl_->work.emplace(asio::make_work_guard(impl_->io));
  impl_->thread = std::thread([connector = impl_] { connector->io.run(); });
  impl_->as_session = std::make_shared<impl::bot_session>(impl_);
  impl_->sessions.add(impl_->as_session, role::bot, {});
  impl_->log_line(log_level::info,
                  std::string("bot_connector connector=")
                      + (impl_->cfg.connector == bot_connector::rasa ? "rasa" : "webhook") + " url="
                      + url + " max_in_flight=" + std::to_string(impl_->cfg.webhook_max_in_flight));
  return {};
}

void webhook_bot::stop() {
  if (!impl_->thread.joinable()) {
    return;
  }
  impl_->sessions.remove(impl_->as_session.get(), role::bot, {});
  asio::post(impl_->io, [connector = impl_] {
    connector->stopping = true;
    connector->waiting.clear();
  });
  impl_->work.reset();
  impl_->io.stop();
  impl_->thread.join();
}

}  // namespace blendroute::net
