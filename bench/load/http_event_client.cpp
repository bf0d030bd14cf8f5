// Events posted to `POST /v1/events` over a keep-alive connection, acks matched in order.

#include "bench/load/http_event_client.hpp"

#include <algorithm>

#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>

namespace blendroute::load {

namespace http = boost::beast::http;
using steady = std::chrono::steady_clock;

http_event_client::http_event_client(boost::asio::io_context& io,
                                     boost::asio::ip::tcp::endpoint endpoint,
                                     http_client_options options, wire_handlers handlers)
    : stream_(io),
      endpoint_(std::move(endpoint)),
      options_(std::move(options)),
      handlers_(std::move(handlers)) {
  options_.max_batch = std::max<std::size_t>(options_.max_batch, 1);
}

void http_event_client::start() {
  stream_.async_connect(endpoint_, [this](const boost::system::error_code& error) {
    if (closed_) {
      return;
    }
    if (error) {
      fail("cannot connect: " + error.message());
      return;
    }
    connected_ = true;
    boost::system::error_code ignored;
    stream_.socket().set_option(boost::asio::ip::tcp::no_delay(true), ignored);
    if (handlers_.on_welcome) {
      handlers_.on_welcome();
    }
    flush();
  });
}

void http_event_client::send(std::string_view frame_json, std::string_view id, std::uint64_t tag,
                             steady::time_point intended) {
  if (closed_) {
    return;
  }
  queued_.push_back({std::string(frame_json), std::string(id), tag, intended});
  flush();
}

void http_event_client::close() {
  if (closed_) {
    return;
  }
  closed_ = true;
  boost::system::error_code ignored;
  stream_.socket().shutdown(boost::asio::ip::tcp::socket::shutdown_both, ignored);
  stream_.socket().close(ignored);
}

void http_event_client::flush() {
  if (closed_ || !connected_ || !in_flight_.empty() || queued_.empty()) {
    return;
  }

  const auto count = std::min(queued_.size(), options_.max_batch);
  std::string body;
  for (std::size_t i = 0; i < count; ++i) {
    body += queued_.front().json;
    body += '\n';
    in_flight_.push_back(std::move(queued_.front()));
    queued_.pop_front();
  }
  request_ = {};
  request_.method(http::verb::post);
  request_.target("/v1/events");
  request_.version(11);
  request_.set(http::field::host, options_.host);
  request_.set(http::field::authorization, "Bearer " + options_.token);
  request_.set(http::field::content_type, count == 1 ? "application/json" : "application/x-ndjson");
  request_.keep_alive(true);
  request_.body() = std::move(body);
  request_.prepare_payload();
  written_at_ = steady::now();
  http::async_write(stream_, request_, [this](const boost::system::error_code& error, std::size_t) {
    if (closed_) {
      return;
    }
    if (error) {
      fail("write failed: " + error.message());
      return;
    }
    response_ = {};
    http::async_read(stream_, buffer_, response_,
                     [this](const boost::system::error_code& read_error, std::size_t) {
                       on_response(read_error);
                     });
  });
}

void http_event_client::on_response(const boost::system::error_code& error) {
  if (closed_) {
    return;
  }
  if (error) {
    fail(error == http::error::end_of_stream ? "server closed the connection"
                                             : "read failed: " + error.message());
    return;
  }
  ++requests_;
  if (response_.result() != http::status::ok) {
    fail("POST /v1/events answered " + std::to_string(response_.result_int()) + ": "
         + response_.body().substr(0, 200));
    return;
  }

  // One ack per event, as NDJSON in body order.
  const auto now = steady::now();
  const std::string& body = response_.body();
  std::size_t next = 0;
  std::size_t start = 0;
  while (start < body.size() && !closed_) {
    auto end = body.find('\n', start);
    if (end == std::string::npos) {
      end = body.size();
    }
    const std::string_view line(body.data() + start, end - start);
    start = end + 1;
    if (line.empty()) {
      continue;
    }
    if (!decoder_.decode(line, frame_).empty() || frame_.type != "ack") {
      ++bad_frames_;
      continue;
    }
    ack_event event;
    event.id = frame_.id;
    event.status = frame_.status;
    event.error_code = frame_.error_code;
    event.error_message = frame_.error_message;
    if (next < in_flight_.size() && in_flight_[next].id == frame_.id) {
      const auto& sent = in_flight_[next++];
      event.matched = true;
      event.tag = sent.tag;
      event.latency = now - (sent.intended != steady::time_point{} ? sent.intended : written_at_);
    } else {
      event.in_order = false;
    }
    if (handlers_.on_ack) {
      handlers_.on_ack(event);
    }
  }
  if (closed_) {
    return;
  }
  if (next != in_flight_.size()) {
    fail("an answer held " + std::to_string(next) + " matching acks for "
         + std::to_string(in_flight_.size()) + " events");
    return;
  }
  in_flight_.clear();
  if (!response_.keep_alive()) {
    fail("the server ended the keep-alive connection");
    return;
  }
  flush();
}

void http_event_client::fail(std::string reason) {
  if (closed_) {
    return;
  }
  close();
  if (handlers_.on_failure) {
    handlers_.on_failure(reason);
  }
}

}  // namespace blendroute::load
