// One NDJSON connection to the router: hello, pipelined sends with ordered ack matching, and a
// callback per incoming frame.

#include "bench/load/wire_client.hpp"

#include <algorithm>
#include <cstring>
#include <sstream>

#include <boost/asio/connect.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/write.hpp>

#include "bench/load/json_writer.hpp"

namespace blendroute::load {

namespace {

constexpr std::size_t initial_read_buffer = 64 * 1024;

// How many unexpected acks or bad frames are reported per connection before going quiet.
constexpr std::uint64_t warning_budget = 5;

std::string endpoint_text(const boost::asio::ip::tcp::endpoint& endpoint) {
  std::ostringstream out;
  out << endpoint;
  return out.str();
}

}  // namespace

wire_client::wire_client(boost::asio::io_context& io, boost::asio::ip::tcp::endpoint endpoint,
                         wire_client_options options, wire_handlers handlers)
    : socket_(io),
      endpoint_(std::move(endpoint)),
      retry_timer_(io),
      options_(std::move(options)),
      handlers_(std::move(handlers)),
      read_buffer_(initial_read_buffer) {}

void wire_client::start() {
  first_attempt_ = std::chrono::steady_clock::now();
  connect();
}

void wire_client::send(std::string_view frame_json, std::string_view id, std::uint64_t tag,
                       std::chrono::steady_clock::time_point intended) {
  if (closed_) {
    return;
  }

  queued_.append(frame_json);
  queued_.push_back('\n');
  pending_.push_back(pending_ack{std::string(id), tag, {}, intended});
  ++unwritten_;
  if (connected_ && !write_in_flight_) {
    flush();
  }
}

void wire_client::close() {
  if (closed_) {
    return;
  }

  closed_ = true;
  boost::system::error_code ignored;
  retry_timer_.cancel();
  socket_.shutdown(boost::asio::ip::tcp::socket::shutdown_both, ignored);
  socket_.close(ignored);
}

void wire_client::connect() {
  socket_.async_connect(endpoint_,
                        [this](const boost::system::error_code& error) { on_connect(error); });
}

void wire_client::on_connect(const boost::system::error_code& error) {
  if (closed_) {
    return;
  }

  // A refused connect usually means the server is still starting: retry for a while.
  if (error == boost::asio::error::connection_refused) {
    const auto waited = std::chrono::steady_clock::now() - first_attempt_;
    if (waited < options_.connect_retry_window) {
      if (!retry_warned_) {
        retry_warned_ = true;
        warn("connection refused, retrying addr=" + endpoint_text(endpoint_));
      }
      boost::system::error_code ignored;
      socket_.close(ignored);
      retry_timer_.expires_after(options_.connect_retry_interval);
      retry_timer_.async_wait([this](const boost::system::error_code& wait_error) {
        if (!wait_error && !closed_) {
          connect();
        }
      });
      return;
    }
  }
  if (error) {
    const auto waited = std::chrono::duration_cast<std::chrono::seconds>(
        std::chrono::steady_clock::now() - first_attempt_);
    fail("cannot connect to " + endpoint_text(endpoint_) + ": " + error.message()
         + (retry_warned_ ? " (retried for " + std::to_string(waited.count()) + " s)" : ""));
    return;
  }

  connected_ = true;
  boost::system::error_code ignored;
  // Frames are small and latency is what is measured: do not let Nagle hold them back.
  socket_.set_option(boost::asio::ip::tcp::no_delay(true), ignored);

  // The hello goes first, ahead of anything queued while connecting; it has no id and no ack.
  json_writer hello;
  hello.begin_object()
      .key("type")
      .string("hello")
      .key("role")
      .string(options_.identity.role)
      .key("token")
      .string(options_.identity.token);
  if (!options_.identity.agent.empty()) {
    hello.key("agent").string(options_.identity.agent);
  }
  hello.end_object();
  queued_.insert(0, hello.str() + "\n");
  flush();
  read();
}

void wire_client::read() {
  // Grow the buffer only when one line fills it; the limit turns a runaway line into a failure.
  if (read_size_ == read_buffer_.size()) {
    if (read_buffer_.size() >= options_.max_frame_bytes) {
      fail("incoming frame over " + std::to_string(options_.max_frame_bytes) + " bytes");
      return;
    }
    read_buffer_.resize(std::min(read_buffer_.size() * 2, options_.max_frame_bytes));
  }

  socket_.async_read_some(
      boost::asio::buffer(read_buffer_.data() + read_size_, read_buffer_.size() - read_size_),
      [this](const boost::system::error_code& error, std::size_t bytes) { on_read(error, bytes); });
}

void wire_client::on_read(const boost::system::error_code& error, std::size_t bytes) {
  if (closed_) {
    return;
  }
  if (error == boost::asio::error::eof) {
    fail("server closed the connection");
    return;
  }
  if (error) {
    fail("read failed: " + error.message());
    return;
  }

  // Hand out every complete line, then move the partial rest to the front.
  const std::size_t scan_from = read_size_;
  read_size_ += bytes;
  std::size_t line_start = 0;
  const char* data = read_buffer_.data();
  const void* found = std::memchr(data + scan_from, '\n', read_size_ - scan_from);
  while (found != nullptr && !closed_) {
    const auto line_end = static_cast<std::size_t>(static_cast<const char*>(found) - data);
    std::string_view line(data + line_start, line_end - line_start);
    if (!line.empty() && line.back() == '\r') {
      line.remove_suffix(1);
    }
    line_start = line_end + 1;
    if (!line.empty()) {
      handle_line(line);
    }
    found = std::memchr(data + line_start, '\n', read_size_ - line_start);
  }
  if (closed_) {
    return;
  }
  std::memmove(read_buffer_.data(), data + line_start, read_size_ - line_start);
  read_size_ -= line_start;
  read();
}

void wire_client::handle_line(std::string_view line) {
  if (auto problem = decoder_.decode(line, frame_); !problem.empty()) {
    ++bad_frames_;
    if (bad_frames_ <= warning_budget) {
      warn("bad frame from server: " + problem);
    }
    return;
  }

  // Until the welcome, the only sensible answers are the welcome or the hello's rejection.
  if (!welcomed_) {
    if (frame_.type == "welcome") {
      welcomed_ = true;
      session_ = frame_.session;
      if (handlers_.on_welcome) {
        handlers_.on_welcome();
      }
      return;
    }
    if (frame_.type == "ack" && frame_.status != "ok") {
      fail("hello " + (frame_.status.empty() ? std::string("rejected") : frame_.status) + ": "
           + frame_.error_code + " " + frame_.error_message);
      return;
    }
    // An ack for a frame pipelined behind the hello, or a stray frame: treat as usual below.
  }

  if (frame_.type == "ack") {
    handle_ack(frame_);
    return;
  }
  if (handlers_.on_frame) {
    handlers_.on_frame(frame_);
  }
}

void wire_client::handle_ack(const frame& ack) {
  const auto now = std::chrono::steady_clock::now();
  ack_event event;
  event.id = ack.id;
  event.status = ack.status;
  event.error_code = ack.error_code;
  event.error_message = ack.error_message;

  // The ack at the head is the expected one; otherwise search the rest, so one misordered ack
  // does not shift every later match. The search is bounded by the frames in flight.
  auto match = pending_.end();
  if (!pending_.empty() && pending_.front().id == ack.id) {
    match = pending_.begin();
  } else {
    match = std::find_if(pending_.begin(), pending_.end(),
                         [&](const pending_ack& p) { return p.id == ack.id; });
    event.in_order = false;
  }
  // An entry still in `queued_` has not been written, so it cannot be answered yet.
  const auto written = pending_.size() - unwritten_;
  if (match != pending_.end() && static_cast<std::size_t>(match - pending_.begin()) < written) {
    event.matched = true;
    event.tag = match->tag;
    const auto since = match->intended != std::chrono::steady_clock::time_point{}
                           ? match->intended
                           : match->written_at;
    event.latency = now - since;
    pending_.erase(match);
  } else {
    event.in_order = false;
  }

  if (handlers_.on_ack) {
    handlers_.on_ack(event);
  }
}

void wire_client::flush() {
  if (closed_ || write_in_flight_ || queued_.empty()) {
    return;
  }

  // The whole queue goes out as one write; the clocks of its frames start now.
  const auto now = std::chrono::steady_clock::now();
  for (auto it = pending_.end() - static_cast<std::ptrdiff_t>(unwritten_); it != pending_.end();
       ++it) {
    it->written_at = now;
  }
  unwritten_ = 0;
  writing_.swap(queued_);
  queued_.clear();
  write_in_flight_ = true;
  boost::asio::async_write(socket_, boost::asio::buffer(writing_),
                           [this](const boost::system::error_code& error, std::size_t) {
                             write_in_flight_ = false;
                             if (closed_) {
                               return;
                             }
                             if (error) {
                               fail("write failed: " + error.message());
                               return;
                             }
                             flush();
                           });
}

void wire_client::fail(std::string reason) {
  if (closed_) {
    return;
  }

  close();
  if (handlers_.on_failure) {
    handlers_.on_failure(reason);
  }
}

void wire_client::warn(std::string line) {
  if (handlers_.on_warning) {
    handlers_.on_warning(line);
  }
}

void send_delivery_ack(event_client& client, json_writer& json, const std::string& id,
                       std::string_view delivery, std::uint64_t tag) {
  json.clear();
  json.begin_object()
      .field("type", "delivery.ack")
      .field("id", id)
      .field_raw("delivery", delivery)
      .end_object();
  client.send(json.str(), id, tag);
}

}  // namespace blendroute::load
