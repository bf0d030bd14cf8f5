// Beast HTTP sessions: limits checked on the header, events decoded and acked in order.
#include "net/http_server.hpp"

#include <atomic>
#include <cctype>
#include <charconv>
#include <future>
#include <mutex>
#include <optional>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket/rfc6455.hpp>
#include <simdjson.h>

#include "core/json_writer.hpp"
#include "core/prometheus_text.hpp"
#include "net/connection_limit.hpp"
#include "net/dashboard_page.hpp"
#include "net/frame_decoder.hpp"
#include "net/frame_encoder.hpp"
#include "net/role_tokens.hpp"
#include "net/session_registry.hpp"
#include "net/tls.hpp"
#include "net/websocket_session.hpp"

namespace blendroute::net {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

constexpr std::string_view component = "net.http";

/// Paths of the supervisor and admin API that are specified but not served yet.
/// The supervisor API: what `GET` answers (DESIGN.md §5 "HTTP").
bool is_supervisor_api(std::string_view path) {
  return path.starts_with("/v1/conversations/") || path == "/v1/agents" || path == "/v1/queues"
         || path == "/v1/kpis" || path == "/v1/rollout";
}

/// The admin API (`/v1/admin/…`, admin token only).
bool is_admin_api(std::string_view path) {
  return path == "/v1/admin/rollout" || path == "/v1/admin/rollout/pause"
         || path == "/v1/admin/rollout/resume" || path == "/v1/admin/rollout/stage";
}

/// Decodes %XX escapes; nullopt for a malformed one.
std::optional<std::string> percent_decoded(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out.push_back(text[i]);
      continue;
    }
    if (i + 2 >= text.size() || !std::isxdigit(static_cast<unsigned char>(text[i + 1]))
        || !std::isxdigit(static_cast<unsigned char>(text[i + 2]))) {
      return std::nullopt;
    }
    int byte = 0;
    std::from_chars(text.data() + i + 1, text.data() + i + 3, byte, 16);
    out.push_back(static_cast<char>(byte));
    i += 2;
  }
  return out;
}

std::string lowercase(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

/// The media type of a Content-Type value, lowercased, without parameters or blanks.
std::string media_type(std::string_view content_type) {
  std::string_view media = content_type.substr(0, content_type.find(';'));
  while (!media.empty() && (media.back() == ' ' || media.back() == '\t')) {
    media.remove_suffix(1);
  }
  while (!media.empty() && (media.front() == ' ' || media.front() == '\t')) {
    media.remove_prefix(1);
  }
  return lowercase(media);
}

/// Whether a request's Transfer-Encoding, if any, is exactly `chunked`: the one coding the
/// router frames. Beast frames any list that ends in `chunked` ("gzip, chunked") and would
/// hand over a body still in the other codings.
template <typename Fields>
bool transfer_coding_supported(const Fields& fields) {
  const auto codings = fields.equal_range(boost::beast::http::field::transfer_encoding);
  std::size_t count = 0;
  for (auto field = codings.first; field != codings.second; ++field) {
    if (++count > 1
        || media_type(std::string_view(field->value().data(), field->value().size()))
               != "chunked") {
      return false;
    }
  }
  return true;
}

/// A method that reads a resource: HEAD answers what GET would, without the body.
bool reads(boost::beast::http::verb method) {
  return method == boost::beast::http::verb::get || method == boost::beast::http::verb::head;
}

/// The path of an origin-form or absolute-form target, without its query.
std::string_view target_path(std::string_view target) {
  if (const auto scheme_end = target.find("://");
      scheme_end != std::string_view::npos && target.front() != '/') {
    const auto path_start = target.find('/', scheme_end + 3);
    target =
        path_start == std::string_view::npos ? std::string_view("/") : target.substr(path_start);
  }
  return target.substr(0, target.find('?'));
}

/// The token of an `Authorization: Bearer` header, or nothing for another scheme.
std::optional<std::string_view> bearer_token(std::string_view authorization) {
  // The scheme is case-insensitive (RFC 9110 §11.1); the token is not.
  constexpr std::string_view scheme = "bearer ";
  if (authorization.size() < scheme.size()
      || lowercase(authorization.substr(0, scheme.size())) != scheme) {
    return std::nullopt;
  }
  std::string_view token = authorization.substr(scheme.size());
  // RFC 6750 §2.1 allows one or more spaces after the scheme.
  token.remove_prefix(std::min(token.find_first_not_of(' '), token.size()));
  return token;
}

/// The role whose token is presented, if any. Every role's token is compared.
std::optional<role> role_of(const auth_config& auth, std::string_view authorization) {
  const auto token = bearer_token(authorization);
  if (!token) {
    return std::nullopt;
  }
  std::optional<role> found;
  for (const role who : {role::gateway, role::bot, role::agent, role::supervisor, role::admin}) {
    if (tokens_match(token_for(auth, who), *token)) {
      found = who;
    }
  }
  return found;
}

/// Whether `authorization` presents the `auth.monitoring` token (never when none is set).
bool is_monitoring_token(const auth_config& auth, std::string_view authorization) {
  const auto token = bearer_token(authorization);
  return token && tokens_match(auth.monitoring, *token);
}

struct server_shared {
  server_shared(const listener_config& listener_cfg, const auth_config& auth_cfg,
                actors::ingress_port& ingress, session_registry& registry, log_sink& sink)
      : listener(listener_cfg), auth(auth_cfg), port(ingress), sessions(registry), log(sink) {}

  const listener_config& listener;
  const auth_config& auth;
  actors::ingress_port& port;
  session_registry& sessions;
  log_sink& log;
  /// What the WebSocket sessions of `GET /v1/stream` share.
  stream_listener websocket{listener, auth, port, sessions, log, "net.ws"};
  std::mutex streams_mutex;
  /// The upgraded connections, for closing them all at stop.
  std::vector<std::weak_ptr<stream_session>> streams;

  void log_line(log_level level, const std::string& line) const {
    if (log.enabled(level)) {
      log.write(level, component, line);
    }
  }

  void track(const std::shared_ptr<stream_session>& stream) {
    std::lock_guard<std::mutex> lock(streams_mutex);
    std::erase_if(streams, [](const auto& weak) { return weak.expired(); });
    streams.push_back(stream);
  }
};

using tls_stream = beast::ssl_stream<beast::tcp_stream>;

/// A connection the server closes when it stops.
class closable {
public:
  virtual ~closable() = default;

  /// Closes the connection from any thread.
  virtual void close() = 0;
};

/// The acks of one POST, filled from actor threads in any order, sent in event order.
struct ack_batch {
  explicit ack_batch(std::size_t count) : lines(count), remaining(count) {}

  std::vector<std::string> lines;
  std::atomic<std::size_t> remaining;
};

/// One HTTP connection, plain (`Stream` a beast::tcp_stream) or TLS.
template <class Stream>
class http_session final : public closable,
                           public std::enable_shared_from_this<http_session<Stream>> {
public:
  /// Without a `slot` the listener is full: the request is read and answered 503.
  static constexpr bool is_tls = std::is_same_v<Stream, tls_stream>;

  http_session(Stream stream, server_shared& shared, std::optional<connection_limit::slot> slot)
      : stream_(std::move(stream)), shared_(shared), slot_(std::move(slot)) {}

  void start() {
    if constexpr (is_tls) {
      // The handshake has as long as a request: a client that stalls in it is dropped.
      beast::get_lowest_layer(stream_).expires_after(shared_.listener.request_timeout);
      stream_.async_handshake(asio::ssl::stream_base::server, [self = this->shared_from_this()](
                                                                  beast::error_code ec) {
        if (ec) {
          self->shared_.log_line(log_level::debug, "tls_handshake_failed error=" + ec.message());
          beast::get_lowest_layer(self->stream_).close();
          return;
        }
        self->read_header();
      });
    } else {
      read_header();
    }
  }

  void close() override {
    asio::post(stream_.get_executor(), [self = this->shared_from_this()] {
      beast::error_code ignored;
      beast::get_lowest_layer(self->stream_).socket().shutdown(tcp::socket::shutdown_both, ignored);
      beast::get_lowest_layer(self->stream_).close();
    });
  }

private:
  void read_header() {
    head_ = false;
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(shared_.listener.max_header_bytes));
    parser_->body_limit(shared_.listener.max_body_bytes);
    // Slow clients (slowloris) and idle keep-alive connections are dropped in time.
    beast::get_lowest_layer(stream_).expires_after(shared_.listener.request_timeout);
    http::async_read_header(stream_, buffer_, *parser_,
                            [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
                              self->on_header(ec);
                            });
  }

  void on_header(beast::error_code ec) {
    if (ec == http::error::end_of_stream || ec == beast::error::timeout
        || ec == asio::error::operation_aborted) {
      beast::get_lowest_layer(stream_).close();
      return;
    }
    if (ec == http::error::header_limit) {
      reply_error(
          http::status::request_header_fields_too_large, "header_too_large",
          "request header over " + std::to_string(shared_.listener.max_header_bytes) + " bytes",
          false);
      return;
    }
    if (ec == http::error::body_limit) {
      // Beast refuses an announced Content-Length over the limit while reading the header.
      reply_error(http::status::payload_too_large, "too_large",
                  "body over " + std::to_string(shared_.listener.max_body_bytes) + " bytes", false);
      return;
    }
    if (ec) {
      reply_error(http::status::bad_request, "bad_request", ec.message(), false);
      return;
    }

    head_ = parser_->get().method() == http::verb::head;
    if (!slot_) {
      reply_error(http::status::service_unavailable, "unavailable",
                  "the router holds listen.max_connections connections ("
                      + std::to_string(shared_.listener.max_connections)
                      + "); try again later or elsewhere",
                  false);
      return;
    }
    const auto& request = parser_->get();
    if (!transfer_coding_supported(request)) {
      // A coding other than `chunked` would leave the body in that coding (or, one Beast
      // cannot frame, to be read as the next request); refuse and close instead.
      reply_error(http::status::bad_request, "bad_request",
                  "only the chunked transfer coding is supported", false);
      return;
    }
    // An answer given before the body is read keeps the connection only when there is no
    // body to skip.
    const auto announced = parser_->content_length();
    const bool no_body = !parser_->chunked() && (!announced || *announced == 0);
    const bool keep = request.keep_alive() && no_body;
    const std::string_view path =
        target_path(std::string_view(request.target().data(), request.target().size()));
    if (path == "/healthz" || path == "/readyz") {
      if (!admit_monitoring(request, keep)) {
        return;
      }
      if (!reads(request.method())) {
        refuse_method("GET, HEAD", keep);
        return;
      }
      if (path == "/readyz") {
        // Not ready while events would only be rejected: a load balancer sends them
        // elsewhere. Alive all the same (healthz): the router recovers by itself.
        if (const std::string why = shared_.port.unready_reason(); !why.empty()) {
          reply(http::status::service_unavailable, "text/plain", "not ready: " + why + "\n", keep);
          return;
        }
      }
      reply(http::status::ok, "text/plain", path == "/healthz" ? "ok\n" : "ready\n", keep);
      return;
    }
    if (path == "/" || path == "/index.html") {
      if (!reads(request.method())) {
        refuse_method("GET, HEAD", keep);
        return;
      }
      // The page holds no data: it asks the supervisor API, with the token the user gives.
      reply(http::status::ok, "text/html; charset=utf-8", std::string(dashboard_page()), keep);
      return;
    }
    if (path == "/metrics") {
      if (!admit_monitoring(request, keep)) {
        return;
      }
      if (!reads(request.method())) {
        refuse_method("GET, HEAD", keep);
        return;
      }
      answer_metrics(keep);
      return;
    }
    if (path == "/v1/stream") {
      if (request.method() != http::verb::get) {
        refuse_method("GET", keep);
        return;
      }
      if (!beast::websocket::is_upgrade(request)) {
        reply_error(http::status::bad_request, "bad_request",
                    "GET /v1/stream takes a WebSocket upgrade", keep);
        return;
      }
      // The stream authenticates with its hello frame, as on TCP; the handshake's own
      // timeout and the hello timeout take over from the request timer.
      beast::get_lowest_layer(stream_).expires_never();
      if constexpr (is_tls) {
        shared_.track(start_websocket_session(std::move(stream_), parser_->get(), shared_.websocket,
                                              std::move(*slot_)));
      } else {
        shared_.track(start_websocket_session(stream_.release_socket(), parser_->get(),
                                              shared_.websocket, std::move(*slot_)));
      }
      slot_.reset();
      return;
    }
    const bool admin_api = is_admin_api(path);
    if (path != "/v1/events" && !is_supervisor_api(path) && !admin_api) {
      reply_error(http::status::not_found, "not_found", "no such path", keep);
      return;
    }

    const auto authorization = request[http::field::authorization];
    const std::string_view presented(authorization.data(), authorization.size());
    const auto who = role_of(shared_.auth, presented);
    if (!who) {
      if (is_monitoring_token(shared_.auth, presented)) {
        reply_error(http::status::forbidden, "forbidden",
                    "the monitoring token reads /metrics, /healthz and /readyz only", keep);
        return;
      }
      reply_error(http::status::unauthorized, "unauthorized", "a valid bearer token is required",
                  keep);
      return;
    }
    if (admin_api) {
      if (*who != role::admin) {
        reply_error(http::status::forbidden, "forbidden", "the admin API needs the admin token",
                    keep);
        return;
      }
      const bool status = path == "/v1/admin/rollout";
      if (status ? !reads(request.method()) : request.method() != http::verb::post) {
        refuse_method(status ? "GET, HEAD" : "POST", keep);
        return;
      }
      if (status) {
        answer_rollout(keep);
        return;
      }
      if (const auto length = parser_->content_length();
          length && *length > shared_.listener.max_body_bytes) {
        reply_error(http::status::payload_too_large, "too_large",
                    "body over " + std::to_string(shared_.listener.max_body_bytes) + " bytes",
                    false);
        return;
      }
      const auto announced_body = parser_->content_length();
      if (parser_->chunked() || (announced_body && *announced_body > 0)) {
        const auto type = request[http::field::content_type];
        if (media_type(std::string_view(type.data(), type.size())) != "application/json") {
          reply_error(http::status::unsupported_media_type, "unsupported_media_type",
                      "an admin request's body is a JSON object: use application/json", false);
          return;
        }
      }
      admin_action_ = std::string(path.substr(path.rfind('/') + 1));
      read_body_after_go_ahead();
      return;
    }
    if (path != "/v1/events") {
      if (*who != role::supervisor && *who != role::admin) {
        reply_error(http::status::forbidden, "forbidden", "this role may not call this endpoint",
                    keep);
        return;
      }
      if (!reads(request.method())) {
        refuse_method("GET, HEAD", keep);
        return;
      }
      answer_supervisor(path, keep);
      return;
    }
    if (*who == role::supervisor) {
      // No event of DESIGN.md §5 is a supervisor's to send: the role may not call this.
      reply_error(http::status::forbidden, "forbidden", "a supervisor sends no events", keep);
      return;
    }
    if (request.method() != http::verb::post) {
      refuse_method("POST", keep);
      return;
    }
    if (const auto length = parser_->content_length();
        length && *length > shared_.listener.max_body_bytes) {
      reply_error(http::status::payload_too_large, "too_large",
                  "body over " + std::to_string(shared_.listener.max_body_bytes) + " bytes", false);
      return;
    }
    const auto type = request[http::field::content_type];
    const std::string media = media_type(std::string_view(type.data(), type.size()));
    if (media != "application/json" && media != "application/x-ndjson") {
      reply_error(http::status::unsupported_media_type, "unsupported_media_type",
                  "use application/json or application/x-ndjson", keep);
      return;
    }

    role_ = *who;
    ndjson_ = media == "application/x-ndjson";
    read_body_after_go_ahead();
  }

  /// Reads the body; a client that waits for the go-ahead first (`Expect: 100-continue`, as
  /// curl does before a large body) gets it now.
  void read_body_after_go_ahead() {
    const auto& request = parser_->get();
    const auto expect = request[http::field::expect];
    if (lowercase(std::string_view(expect.data(), expect.size())) != "100-continue") {
      read_body();
      return;
    }
    auto go_ahead = std::make_shared<http::response<http::empty_body>>(http::status::continue_,
                                                                       request.version());
    http::async_write(
        stream_, *go_ahead,
        [self = this->shared_from_this(), go_ahead](beast::error_code ec, std::size_t) {
          if (ec) {
            beast::get_lowest_layer(self->stream_).close();
            return;
          }
          self->read_body();
        });
  }

  void read_body() {
    http::async_read(stream_, buffer_, *parser_,
                     [self = this->shared_from_this()](beast::error_code read_ec, std::size_t) {
                       self->on_body(read_ec);
                     });
  }

  void on_body(beast::error_code ec) {
    if (ec == http::error::body_limit) {
      reply_error(http::status::payload_too_large, "too_large",
                  "body over " + std::to_string(shared_.listener.max_body_bytes) + " bytes", false);
      return;
    }
    if (ec) {
      reply_error(http::status::bad_request, "bad_request", ec.message(), false);
      return;
    }
    if (!admin_action_.empty()) {
      act_on_rollout(parser_->get().body(), parser_->get().keep_alive());
      return;
    }
    const std::string& body = parser_->get().body();
    std::vector<std::string_view> frames;
    if (ndjson_) {
      std::size_t start = 0;
      while (start <= body.size()) {
        std::size_t end = body.find('\n', start);
        if (end == std::string::npos) {
          end = body.size();
        }
        std::string_view line(body.data() + start, end - start);
        if (!line.empty() && line.back() == '\r') {
          line.remove_suffix(1);
        }
        if (line.find_first_not_of(" \t") != std::string_view::npos) {
          frames.push_back(line);
        }
        start = end + 1;
      }
    } else if (body.find_first_not_of(" \t\r\n") != std::string::npos) {
      frames.push_back(body);
    }
    if (frames.empty()) {
      reply_error(http::status::bad_request, "empty_body", "the body holds no event",
                  parser_->get().keep_alive());
      return;
    }
    submit_all(frames);
  }

  void submit_all(const std::vector<std::string_view>& frames) {
    thread_local frame_decoder decoder;
    auto batch = std::make_shared<ack_batch>(frames.size());
    const bool keep_alive = parser_->get().keep_alive();
    auto complete = [self = this->shared_from_this(), batch, keep_alive](std::size_t slot,
                                                                         std::string line) {
      batch->lines[slot] = std::move(line);
      if (batch->remaining.fetch_sub(1) == 1) {
        asio::post(self->stream_.get_executor(), [self, batch, keep_alive] {
          std::string body;
          for (auto& l : batch->lines) {
            body += l;
          }
          self->reply(http::status::ok, "application/x-ndjson", std::move(body), keep_alive);
        });
      }
    };

    for (std::size_t slot = 0; slot < frames.size(); ++slot) {
      std::string line;
      if (frames[slot].size() > shared_.listener.max_frame_bytes) {
        // The same limit as one TCP frame: an event does not grow because it came by HTTP.
        encode_ack(line, {},
                   actors::ack::rejected(errc::frame_too_large,
                                         "event longer than "
                                             + std::to_string(shared_.listener.max_frame_bytes)
                                             + " bytes"));
        complete(slot, std::move(line));
        continue;
      }
      decoded_frame frame =
          decoder.decode(frames[slot].data(), frames[slot].size(), frames[slot].size());
      if (frame.err) {
        encode_ack(line, frame.id, actors::ack::rejected(frame.err->code, frame.err->message));
      } else if (frame.hello) {
        encode_ack(line, frame.id,
                   actors::ack::rejected(errc::bad_value, "hello is for TCP and WebSocket"));
      } else if (!may_send(role_, frame.event->type)) {
        encode_ack(line, frame.event->id,
                   actors::ack::rejected(errc::forbidden,
                                         "role " + std::string(name(role_)) + " may not send "
                                             + std::string(name(frame.event->type))));
      } else if (frame.event->type == event_type::delivery_ack
                 && !shared_.sessions.may_acknowledge(frame.event->delivery, role_, {})) {
        // HTTP carries no agent identity: an agent acknowledges its deliveries on its
        // TCP or WebSocket session.
        encode_ack(line, frame.event->id,
                   actors::ack::rejected(errc::not_owner, "delivery " + frame.event->delivery
                                                              + " went to another receiver"));
      } else {
        std::string id = frame.event->id;
        std::string delivery =
            frame.event->type == event_type::delivery_ack ? frame.event->delivery : std::string{};
        const event_type type = frame.event->type;
        std::string agent = frame.event->agent;
        shared_.port.submit(
            std::move(*frame.event),
            [complete, slot, id = std::move(id), delivery = std::move(delivery), type,
             agent = std::move(agent), sessions = &shared_.sessions](actors::ack answer) {
              if (!delivery.empty() && answer.status != actors::ack_status::rejected) {
                sessions->acknowledge(delivery);
              }
              if (answer.status == actors::ack_status::ok && !answer.conv.empty()) {
                sessions->event_accepted(type, answer.conv, agent);
              }
              std::string ack_line;
              encode_ack(ack_line, id, answer);
              complete(slot, std::move(ack_line));
            });
        continue;
      }
      complete(slot, std::move(line));
    }
  }

  /// `GET /v1/admin/rollout`.
  void answer_rollout(bool keep) {
    auto self = this->shared_from_this();
    shared_.port.query_rollout([self, keep](std::string body) {
      asio::post(self->stream_.get_executor(), [self, keep, body = std::move(body)]() mutable {
        self->reply(http::status::ok, "application/json", std::move(body), keep);
      });
    });
  }

  /// `POST /v1/admin/rollout/{pause,resume,stage}`: the body is empty or a JSON object with
  /// `reason` (pause) or `stage` (stage).
  void act_on_rollout(const std::string& body, bool keep) {
    const std::string action = std::exchange(admin_action_, {});
    std::string argument;
    if (body.find_first_not_of(" \t\r\n") != std::string::npos) {
      simdjson::dom::parser parser;
      simdjson::dom::object object;
      if (parser.parse(body).get(object) != simdjson::SUCCESS) {
        reply_error(http::status::bad_request, "bad_json", "the body must be a JSON object", keep);
        return;
      }
      std::string_view text;
      const char* key = action == "stage" ? "stage" : "reason";
      if (auto field = object[key]; field.error() == simdjson::SUCCESS) {
        if (field.get(text) != simdjson::SUCCESS) {
          reply_error(http::status::bad_request, "bad_type",
                      "field `" + std::string(key) + "` must be a string", keep);
          return;
        }
        argument = std::string(text);
      }
    }
    if (action == "stage" && argument.empty()) {
      reply_error(http::status::bad_request, "missing_field", "field `stage` is required", keep);
      return;
    }
    // The reason goes to the log and the journal: one line, of a readable length.
    constexpr std::size_t longest_argument = 500;
    if (argument.size() > longest_argument) {
      reply_error(http::status::bad_request, "bad_value",
                  "longer than " + std::to_string(longest_argument) + " bytes", keep);
      return;
    }
    for (const char c : argument) {
      if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
        reply_error(http::status::bad_request, "bad_value", "must not contain control characters",
                    keep);
        return;
      }
    }
    beast::error_code ec;
    const auto peer = beast::get_lowest_layer(stream_).socket().remote_endpoint(ec);
    const std::string by = "admin@" + (ec ? std::string("unknown") : peer.address().to_string());
    auto self = this->shared_from_this();
    shared_.port.control_rollout(action, argument, by, [self, keep](result<std::string> answer) {
      asio::post(self->stream_.get_executor(), [self, keep, answer = std::move(answer)] {
        if (!answer) {
          self->reply_error(http::status::bad_request, "bad_value", answer.err().message, keep);
          return;
        }
        self->reply(http::status::ok, "application/json", *answer, keep);
      });
    });
  }

  /// The conversation id of a path segment, percent-decoded; none (the error answered) for
  /// a segment that holds a raw '/' or nothing (404: no such conversation) or a broken
  /// %-escape (400: a malformed request).
  std::optional<std::string> conversation_id_of(std::string_view segment, bool keep) {
    if (segment.empty() || segment.find('/') != std::string_view::npos) {
      reply_error(http::status::not_found, "not_found", "no such conversation", keep);
      return std::nullopt;
    }
    auto conv = percent_decoded(segment);
    if (!conv) {
      reply_error(http::status::bad_request, "bad_request",
                  "the conversation id holds a malformed %-escape", keep);
      return std::nullopt;
    }
    if (conv->empty()) {
      reply_error(http::status::not_found, "not_found", "no such conversation", keep);
      return std::nullopt;
    }
    return conv;
  }

  /// Whether a request may read `/metrics`, `/healthz` or `/readyz`: always while
  /// `auth.monitoring` is empty, else with that token, the supervisor's or the admin's.
  /// Answers it 401 or 403 when it may not.
  template <typename Request>
  bool admit_monitoring(const Request& request, bool keep) {
    const auto authorization = request[http::field::authorization];
    const std::string_view presented(authorization.data(), authorization.size());
    if (shared_.auth.monitoring.empty() || is_monitoring_token(shared_.auth, presented)) {
      return true;
    }
    const auto who = role_of(shared_.auth, presented);
    if (who == role::supervisor || who == role::admin) {
      return true;
    }
    if (who) {
      reply_error(http::status::forbidden, "forbidden",
                  "needs the monitoring, supervisor or admin token", keep);
    } else {
      reply_error(http::status::unauthorized, "unauthorized",
                  "a valid bearer token is required (auth.monitoring is set)", keep);
    }
    return false;
  }

  /// `GET /metrics`: the router's metrics and the network layer's own.
  void answer_metrics(bool keep) {
    auto self = this->shared_from_this();
    shared_.port.query_metrics([self, keep](std::string text) {
      prometheus_text net;
      net.family("blendroute_pending_deliveries", "gauge",
                 "Frames with a delivery id sent or waiting and not acknowledged.");
      net.sample("blendroute_pending_deliveries", {},
                 static_cast<double>(self->shared_.sessions.pending_deliveries()));
      net.family("blendroute_carried_conversations", "gauge",
                 "Conversations whose carrying gateway is on record (kept through retention).");
      net.sample("blendroute_carried_conversations", {},
                 static_cast<double>(self->shared_.sessions.carried_conversations()));
      auto& counters = self->shared_.sessions.counters();
      net.family("blendroute_open_connections", "gauge",
                 "Connections open per listener (http counts its WebSocket streams).");
      net.sample("blendroute_open_connections", {{"listener", "tcp"}},
                 static_cast<double>(counters.tcp_connections.open()));
      net.sample("blendroute_open_connections", {{"listener", "http"}},
                 static_cast<double>(counters.http_connections.open()));
      net.family("blendroute_connections_refused_total", "counter",
                 "Connections refused because the listener held listen.max_connections.");
      net.sample("blendroute_connections_refused_total", {{"listener", "tcp"}},
                 static_cast<double>(counters.tcp_connections.refused()));
      net.sample("blendroute_connections_refused_total", {{"listener", "http"}},
                 static_cast<double>(counters.http_connections.refused()));
      net.family("blendroute_slow_consumers_disconnected_total", "counter",
                 "Sessions disconnected for leaving more than listen.max_send_queue_bytes unread.");
      net.sample("blendroute_slow_consumers_disconnected_total", {},
                 static_cast<double>(counters.slow_consumers_disconnected.load()));
      net.family("blendroute_idle_sessions_closed_total", "counter",
                 "Sessions closed after listen.idle_timeout without receiving anything.");
      net.sample("blendroute_idle_sessions_closed_total", {},
                 static_cast<double>(counters.idle_sessions_closed.load()));
      net.family("blendroute_supervisor_frames_dropped_total", "counter",
                 "Supervisor frames dropped from the backlog kept while no supervisor was "
                 "connected (the oldest beyond its size).");
      net.sample("blendroute_supervisor_frames_dropped_total", {},
                 static_cast<double>(counters.supervisor_frames_dropped.load()));
      text += net.text();
      asio::post(self->stream_.get_executor(), [self, keep, text = std::move(text)]() mutable {
        self->reply(http::status::ok, "text/plain; version=0.0.4", std::move(text), keep);
      });
    });
  }

  /// `GET` of the supervisor API: the answer comes from the actors and is written on this
  /// session's executor.
  void answer_supervisor(std::string_view path, bool keep) {
    auto self = this->shared_from_this();
    auto send = [self, keep](http::status status, std::string body) {
      asio::post(self->stream_.get_executor(), [self, keep, status, body = std::move(body)] {
        self->reply(status, "application/json", std::move(body), keep);
      });
    };
    if (path == "/v1/agents") {
      shared_.port.query_agents([send](std::vector<actors::agent_view> agents) {
        std::string body;
        encode_agent_views(body, agents);
        send(http::status::ok, std::move(body));
      });
      return;
    }
    if (path == "/v1/queues") {
      shared_.port.query_queues([send](std::vector<actors::queue_view> queues) {
        std::string body;
        encode_queue_views(body, queues);
        send(http::status::ok, std::move(body));
      });
      return;
    }
    if (path == "/v1/rollout") {
      shared_.port.query_rollout(
          [send](std::string body) { send(http::status::ok, std::move(body)); });
      return;
    }
    if (path == "/v1/kpis") {
      shared_.port.query_kpis([send](actors::kpi_report report) {
        std::string body;
        encode_kpi_report(body, report);
        send(http::status::ok, std::move(body));
      });
      return;
    }

    // The id is one path segment, percent-encoded: a raw '/' ends it, an encoded one (%2F)
    // belongs to it.
    constexpr std::string_view prefix = "/v1/conversations/";
    constexpr std::string_view timeline_suffix = "/timeline";
    if (path.size() > prefix.size() + timeline_suffix.size() && path.ends_with(timeline_suffix)) {
      const std::string_view segment =
          path.substr(prefix.size(), path.size() - prefix.size() - timeline_suffix.size());
      const auto conv = conversation_id_of(segment, keep);
      if (!conv) {
        return;
      }
      shared_.port.query_timeline(*conv, [self, keep, send, conv = *conv](
                                             std::optional<std::vector<timeline_entry>> entries) {
        if (!entries) {
          asio::post(self->stream_.get_executor(), [self, keep] {
            self->reply_error(http::status::not_found, "not_found", "no such conversation", keep);
          });
          return;
        }
        std::string body;
        encode_timeline(body, conv, *entries);
        send(http::status::ok, std::move(body));
      });
      return;
    }
    const std::string_view segment = path.substr(prefix.size());
    const auto conv = conversation_id_of(segment, keep);
    if (!conv) {
      return;
    }
    shared_.port.query_conversation(
        *conv, [self, keep, send](std::optional<actors::conversation_view> view) {
          if (!view) {
            asio::post(self->stream_.get_executor(), [self, keep] {
              self->reply_error(http::status::not_found, "not_found", "no such conversation", keep);
            });
            return;
          }
          std::string body;
          encode_conversation_view(body, *view);
          send(http::status::ok, std::move(body));
        });
  }

  /// 405, naming the methods the path takes (RFC 9110 §15.5.6).
  void refuse_method(std::string_view allow, bool keep_alive) {
    reply_error(http::status::method_not_allowed, "method_not_allowed", "use " + std::string(allow),
                keep_alive, allow);
  }

  void reply_error(http::status status, std::string_view code, const std::string& message,
                   bool keep_alive, std::string_view allow = {}) {
    std::string body;
    json_writer(body)
        .begin_object()
        .begin_object("error")
        .field("code", code)
        .field("message", message)
        .end_object()
        .end_object();
    body.push_back('\n');
    reply(status, "application/json", std::move(body), keep_alive, allow);
  }

  /// Writes the response (only its header, with the length the body would have, to a HEAD
  /// request); then reads the next request, or closes when the body of this one was left
  /// unread or the client asked to close.
  void reply(http::status status, std::string_view content_type, std::string body, bool keep_alive,
             std::string_view allow = {}) {
    if (head_) {
      auto response = std::make_shared<http::response<http::empty_body>>(status, 11);
      describe(*response, content_type, keep_alive, allow);
      response->content_length(body.size());
      write_response(std::move(response));
      return;
    }
    auto response = std::make_shared<http::response<http::string_body>>(status, 11);
    describe(*response, content_type, keep_alive, allow);
    response->body() = std::move(body);
    response->prepare_payload();
    write_response(std::move(response));
  }

  template <typename Response>
  static void describe(Response& response, std::string_view content_type, bool keep_alive,
                       std::string_view allow) {
    response.set(http::field::content_type,
                 beast::string_view(content_type.data(), content_type.size()));
    if (!allow.empty()) {
      response.set(http::field::allow, beast::string_view(allow.data(), allow.size()));
    }
    response.keep_alive(keep_alive);
  }

  template <typename Response>
  void write_response(std::shared_ptr<Response> response) {
    beast::get_lowest_layer(stream_).expires_after(shared_.listener.request_timeout);
    http::async_write(
        stream_, *response,
        [self = this->shared_from_this(), response](beast::error_code ec, std::size_t) {
          if (ec || !response->keep_alive()) {
            beast::error_code ignored;
            beast::get_lowest_layer(self->stream_)
                .socket()
                .shutdown(tcp::socket::shutdown_send, ignored);
            beast::get_lowest_layer(self->stream_).close();
            return;
          }
          self->read_header();
        });
  }

  Stream stream_;
  server_shared& shared_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::optional<connection_limit::slot> slot_;
  role role_ = role::gateway;
  bool ndjson_ = false;
  bool head_ = false;         ///< The request being answered is a HEAD: its answer has no body.
  std::string admin_action_;  ///< The rollout action of an admin POST whose body is read.
};

}  // namespace

struct http_server::impl {
  impl(const listener_config& listener, const auth_config& auth, actors::ingress_port& port,
       session_registry& registry, log_sink& log)
      : shared(listener, auth, port, registry, log), acceptor(context) {
    registry.counters().http_connections.limit_to(listener.max_connections);
  }

  void accept_next() {
    acceptor.async_accept([this](beast::error_code ec, tcp::socket socket) {
      if (ec == asio::error::operation_aborted) {
        return;
      }
      if (!ec) {
        auto slot = shared.sessions.counters().http_connections.try_take();
        if (!slot) {
          shared.log_line(log_level::debug, "connection_refused reason=max_connections");
        }
        if (tls) {
          open(std::make_shared<http_session<tls_stream>>(
              tls_stream(beast::tcp_stream(std::move(socket)), *tls), shared, std::move(slot)));
        } else {
          open(std::make_shared<http_session<beast::tcp_stream>>(
              beast::tcp_stream(std::move(socket)), shared, std::move(slot)));
        }
      } else {
        // Out of descriptors, typically: wait a little instead of spinning, and say so once
        // per pause rather than once per attempt.
        shared.log_line(log_level::warn, "accept_failed error=" + ec.message() + " retry_ms=100");
        accept_pause.expires_after(std::chrono::milliseconds{100});
        accept_pause.async_wait([this](beast::error_code wait_ec) {
          if (!wait_ec) {
            accept_next();
          }
        });
        return;
      }
      accept_next();
    });
  }

  template <class Session>
  void open(const std::shared_ptr<Session>& session) {
    {
      std::lock_guard<std::mutex> lock(sessions_mutex);
      std::erase_if(sessions, [](const auto& weak) { return weak.expired(); });
      sessions.push_back(session);
    }
    session->start();
  }

  server_shared shared;
  std::shared_ptr<asio::ssl::context> tls;  ///< Set when listen.http_tls is on.
  asio::io_context context{1};
  tcp::acceptor acceptor;
  asio::steady_timer accept_pause{context};
  std::thread thread;
  std::mutex sessions_mutex;
  std::vector<std::weak_ptr<closable>> sessions;
};

http_server::http_server(const listener_config& listener, const auth_config& auth,
                         actors::ingress_port& port, session_registry& registry, log_sink& log)
    : impl_(std::make_unique<impl>(listener, auth, port, registry, log)) {}

http_server::~http_server() {
  stop();
}

result<std::uint16_t> http_server::start() {
  const auto& listener = impl_->shared.listener;
  if (listener.http_tls) {
    auto context = make_tls_server_context(listener);
    if (!context) {
      return context.err();
    }
    impl_->tls = std::move(*context);
  }
  beast::error_code ec;
  auto address = asio::ip::make_address(listener.host, ec);
  if (ec) {
    return error{errc::config_invalid, "listen.host \"" + listener.host + "\": " + ec.message()};
  }
  tcp::endpoint endpoint(address, listener.http_port);
  auto& acceptor = impl_->acceptor;
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) {
    acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
  }
  if (!ec) {
    acceptor.bind(endpoint, ec);
  }
  if (!ec) {
    acceptor.listen(asio::socket_base::max_listen_connections, ec);
  }
  if (ec) {
    return error{errc::unavailable, "cannot listen on " + listener.host + ":"
                                        + std::to_string(listener.http_port) + ": " + ec.message()};
  }
  const std::uint16_t port = acceptor.local_endpoint(ec).port();
  impl_->accept_next();
  impl_->thread = std::thread([this] {
    // Beast throws from deep inside a parse in rare cases (a trailer field over its 64 KiB
    // field limit): the request's connection is lost, the server is not.
    for (;;) {
      try {
        impl_->context.run();
        return;
      } catch (const std::exception& e) {
        impl_->shared.log_line(log_level::warn,
                               std::string("request_dropped error=\"") + e.what() + "\"");
      }
    }
  });
  impl_->shared.log_line(log_level::info, "listening addr=" + listener.host + ":"
                                              + std::to_string(port)
                                              + " tls=" + (impl_->tls ? "on" : "off"));
  return port;
}

void http_server::stop() {
  if (!impl_->thread.joinable()) {
    return;
  }
  std::promise<void> acceptor_closed;
  asio::post(impl_->context, [this, &acceptor_closed] {
    beast::error_code ignored;
    impl_->acceptor.close(ignored);
    impl_->accept_pause.cancel();
    acceptor_closed.set_value();
  });
  acceptor_closed.get_future().wait();
  {
    std::lock_guard<std::mutex> lock(impl_->sessions_mutex);
    for (auto& weak : impl_->sessions) {
      if (auto session = weak.lock()) {
        session->close();
      }
    }
  }
  {
    std::lock_guard<std::mutex> lock(impl_->shared.streams_mutex);
    for (auto& weak : impl_->shared.streams) {
      if (auto stream = weak.lock()) {
        stream->close();
      }
    }
  }
  impl_->context.stop();
  impl_->thread.join();
}

}  // namespace blendroute::net
