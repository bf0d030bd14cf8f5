// Snapshots of a rebuilt conversation: a versioned binary form of every field.
#include "core/conversation_snapshot.hpp"

#include <cstdint>
#include <cstring>
#include <limits>
#include <memory>
#include <optional>
#include <type_traits>

namespace blendroute {

namespace {

// Bump on any change of the layout below: an older snapshot then fails to decode, and
// recovery replays that conversation's whole journal, which is always correct.
/// Version 2 added the bot's leg (`bot_leg_from_`); version 1 snapshots still decode, as
/// conversations whose bot may answer any request of the episode.
constexpr std::uint8_t snapshot_version = 2;

class snapshot_writer {
public:
  void unsigned_number(std::uint64_t value) {
    while (value >= 0x80) {
      out_.push_back(static_cast<char>((value & 0x7f) | 0x80));
      value >>= 7;
    }
    out_.push_back(static_cast<char>(value));
  }

  void signed_number(std::int64_t value) {
    // Zigzag, so that small negative numbers stay short.
    unsigned_number((static_cast<std::uint64_t>(value) << 1)
                    ^ static_cast<std::uint64_t>(value >> 63));
  }

  void flag(bool value) { out_.push_back(value ? '\1' : '\0'); }

  void real(double value) {
    char bytes[sizeof value];
    std::memcpy(bytes, &value, sizeof value);
    out_.append(bytes, sizeof value);
  }

  void text(std::string_view value) {
    unsigned_number(value.size());
    out_.append(value);
  }

  void time(time_point value) { signed_number(value.time_since_epoch().count()); }

  void time(optional_time value) {
    flag(static_cast<bool>(value));
    if (value) {
      time(*value);
    }
  }

  template <class Enum>
  void enumeration(Enum value) {
    unsigned_number(static_cast<std::uint64_t>(value));
  }

  void texts(const std::vector<std::string>& values) {
    unsigned_number(values.size());
    for (const auto& value : values) {
      text(value);
    }
  }

  void pairs(const std::vector<std::pair<std::string, std::string>>& values) {
    unsigned_number(values.size());
    for (const auto& [key, value] : values) {
      text(key);
      text(value);
    }
  }

  std::string take() { return std::move(out_); }

private:
  std::string out_;
};

class snapshot_reader {
public:
  explicit snapshot_reader(std::string_view in) : in_(in) {}

  bool failed() const { return failed_; }

  bool at_end() const { return in_.empty(); }

  std::uint64_t unsigned_number() {
    std::uint64_t value = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (in_.empty()) {
        return fail<std::uint64_t>();
      }
      const auto byte = static_cast<std::uint8_t>(in_.front());
      in_.remove_prefix(1);
      value |= static_cast<std::uint64_t>(byte & 0x7f) << shift;
      if ((byte & 0x80) == 0) {
        return value;
      }
    }
    return fail<std::uint64_t>();
  }

  std::int64_t signed_number() {
    const std::uint64_t raw = unsigned_number();
    return static_cast<std::int64_t>((raw >> 1) ^ (~(raw & 1) + 1));
  }

  template <class Int>
  Int integer() {
    const std::int64_t value = signed_number();
    if (value < std::numeric_limits<Int>::min() || value > std::numeric_limits<Int>::max()) {
      return fail<Int>();
    }
    return static_cast<Int>(value);
  }

  bool flag() {
    if (in_.empty() || static_cast<std::uint8_t>(in_.front()) > 1) {
      return fail<bool>();
    }
    const bool value = in_.front() == '\1';
    in_.remove_prefix(1);
    return value;
  }

  double real() {
    double value = 0;
    if (in_.size() < sizeof value) {
      return fail<double>();
    }
    std::memcpy(&value, in_.data(), sizeof value);
    in_.remove_prefix(sizeof value);
    return value;
  }

  std::string text() {
    const std::uint64_t size = unsigned_number();
    if (failed_ || size > in_.size()) {
      return fail<std::string>();
    }
    std::string value(in_.substr(0, size));
    in_.remove_prefix(size);
    return value;
  }

  time_point time() { return time_point(duration(signed_number())); }

  optional_time optional_time_value() { return flag() ? optional_time(time()) : optional_time(); }

  /// An enumeration whose values run from 0 to `last`.
  template <class Enum>
  Enum enumeration(Enum last) {
    const std::uint64_t value = unsigned_number();
    if (value > static_cast<std::uint64_t>(last)) {
      return fail<Enum>();
    }
    return static_cast<Enum>(value);
  }

  /// A count of items that each take at least one byte: more than the bytes left is damage.
  std::size_t count() {
    const std::uint64_t value = unsigned_number();
    if (value > in_.size()) {
      return fail<std::size_t>();
    }
    return static_cast<std::size_t>(value);
  }

  std::vector<std::string> texts() {
    std::vector<std::string> values(count());
    for (auto& value : values) {
      value = text();
    }
    return values;
  }

  std::vector<std::pair<std::string, std::string>> pairs() {
    std::vector<std::pair<std::string, std::string>> values(count());
    for (auto& [key, value] : values) {
      key = text();
      value = text();
    }
    return values;
  }

private:
  template <class T>
  T fail() {
    failed_ = true;
    in_ = {};
    return T{};
  }

  std::string_view in_;
  bool failed_ = false;
};

}  // namespace

/// Friend of `conversation` and `conversation_rebuild`: the one place that knows every
/// field of both. A field added to either must be added here, to `write` and `read` alike
/// (tests/core/conversation_snapshot_test.cpp replays conversations through every kind of
/// input from a snapshot taken after each one and compares with the plain replay).
class snapshot_codec {
public:
  static void write(snapshot_writer& out, const conversation_rebuild& rebuild) {
    write(out, rebuild.conv_);
    out.unsigned_number(rebuild.inputs_);
    for (const auto& timer : rebuild.timers_) {
      write(out, timer);
    }
    write(out, rebuild.idle_timer_);
    write(out, rebuild.bot_request_);
    write(out, rebuild.offer_);
    write(out, rebuild.enqueue_);
    out.unsigned_number(rebuild.unacked_.size());
    for (const auto& [delivery, e] : rebuild.unacked_) {
      out.text(delivery);
      write(out, e);
    }
    out.texts(rebuild.problems_);
  }

  static void read(snapshot_reader& in, conversation_rebuild& rebuild, std::uint64_t version) {
    read(in, rebuild.conv_, version);
    rebuild.inputs_ = in.unsigned_number();
    for (auto& timer : rebuild.timers_) {
      read(in, timer);
    }
    read(in, rebuild.idle_timer_);
    read(in, rebuild.bot_request_);
    read(in, rebuild.offer_);
    read(in, rebuild.enqueue_);
    rebuild.unacked_.resize(in.count());
    for (auto& [delivery, e] : rebuild.unacked_) {
      delivery = in.text();
      read(in, e);
    }
    rebuild.problems_ = in.texts();
  }

private:
  static void write(snapshot_writer& out, const conversation& c) {
    out.text(c.id_);
    out.flag(c.opened_);
    out.enumeration(c.state_);
    out.flag(c.ever_escalated_);
    out.flag(c.control_cohort_);
    out.flag(c.agent_replied_);
    out.flag(c.overflowed_);
    out.signed_number(c.csat_);
    out.signed_number(c.bot_turns_);
    out.signed_number(c.episode_);
    out.signed_number(c.reopens_);
    out.signed_number(c.transfers_);
    out.text(c.tier_);
    out.text(c.customer_);
    out.text(c.channel_);
    out.time(c.opened_at_);
    out.time(c.resolved_at_);
    out.time(c.finished_at_);
    out.flag(c.findings_ != nullptr);
    if (c.findings_) {
      const auto& f = *c.findings_;
      out.pairs(f.attrs);
      out.texts(f.skills);
      out.text(f.intent);
      out.real(f.confidence);
      out.text(f.slots_json);
    }
    out.flag(c.human_ != nullptr);
    if (c.human_) {
      const auto& h = *c.human_;
      out.text(h.owner_agent);
      out.text(h.last_agent);
      out.text(h.offered_agent);
      out.text(h.offer_id);
      out.text(h.escalation_reason);
      out.text(h.passback_note);
      out.time(h.escalated_at);
    }
    write(out, c.transcript());  // Oldest first: a restored transcript is not yet a ring.
    out.unsigned_number(c.deliveries_);
    out.unsigned_number(c.bot_leg_from_);
    for (const auto& deadline : c.deadlines_) {
      out.time(deadline);
    }
    out.time(c.idle_deadline_);
  }

  static void read(snapshot_reader& in, conversation& c, std::uint64_t version) {
    c.id_ = in.text();
    c.opened_ = in.flag();
    c.state_ = in.enumeration(conversation_state::closed);
    c.ever_escalated_ = in.flag();
    c.control_cohort_ = in.flag();
    c.agent_replied_ = in.flag();
    c.overflowed_ = in.flag();
    c.csat_ = in.integer<std::int8_t>();
    c.bot_turns_ = in.integer<std::int16_t>();
    c.episode_ = in.integer<std::int32_t>();
    c.reopens_ = in.integer<std::int32_t>();
    c.transfers_ = in.integer<std::int32_t>();
    c.tier_ = in.text();
    c.customer_ = in.text();
    c.channel_ = in.text();
    c.opened_at_ = in.time();
    c.resolved_at_ = in.time();
    c.finished_at_ = in.time();
    c.findings_.reset();
    if (in.flag()) {
      auto& f = c.learnt();
      f.attrs = in.pairs();
      f.skills = in.texts();
      f.intent = in.text();
      f.confidence = in.real();
      f.slots_json = in.text();
    }
    c.human_.reset();
    if (in.flag()) {
      auto& h = c.human();
      h.owner_agent = in.text();
      h.last_agent = in.text();
      h.offered_agent = in.text();
      h.offer_id = in.text();
      h.escalation_reason = in.text();
      h.passback_note = in.text();
      h.escalated_at = in.time();
    }
    read(in, c.transcript_);
    c.transcript_oldest_ = 0;
    c.deliveries_ = in.unsigned_number();
    c.bot_leg_from_ = version >= 2 ? in.unsigned_number() : 0;
    for (auto& deadline : c.deadlines_) {
      deadline = in.optional_time_value();
    }
    c.idle_deadline_ = in.optional_time_value();
  }

  static void write(snapshot_writer& out, const std::vector<transcript_line>& lines) {
    out.unsigned_number(lines.size());
    for (const auto& line : lines) {
      out.text(line.speaker);
      out.text(line.text);
      out.time(line.at);
    }
  }

  static void read(snapshot_reader& in, std::vector<transcript_line>& lines) {
    lines.resize(in.count());
    for (auto& line : lines) {
      line.speaker = in.text();
      line.text = in.text();
      line.at = in.time();
    }
  }

  static void write(snapshot_writer& out, const std::optional<effect>& e) {
    out.flag(e.has_value());
    if (e) {
      write(out, *e);
    }
  }

  static void read(snapshot_reader& in, std::optional<effect>& e) {
    e.reset();
    if (in.flag()) {
      read(in, e.emplace());
    }
  }

  static void write(snapshot_writer& out, const effect& e) {
    out.enumeration(e.what);
    write(out, e.frame);
    out.text(e.agent);
    out.text(e.target_agent);
    out.text(e.preferred_agent);
    out.texts(e.skills);
    out.text(e.tier);
    out.flag(e.at_head);
    out.enumeration(e.sla);
    out.time(e.deadline);
    out.time(e.at);
    out.signed_number(e.level);
    out.flag(e.waiting_since.has_value());
    if (e.waiting_since) {
      out.time(*e.waiting_since);
    }
  }

  static void read(snapshot_reader& in, effect& e) {
    e.what = in.enumeration(effect::kind::arm_idle_timer);
    read(in, e.frame);
    e.agent = in.text();
    e.target_agent = in.text();
    e.preferred_agent = in.text();
    e.skills = in.texts();
    e.tier = in.text();
    e.at_head = in.flag();
    e.sla = in.enumeration(sla_kind::offer_accept);
    e.deadline = in.time();
    e.at = in.time();
    e.level = in.integer<int>();
    e.waiting_since.reset();
    if (in.flag()) {
      e.waiting_since = in.time();
    }
  }

  static void write(snapshot_writer& out, const egress_frame& f) {
    out.enumeration(f.type);
    out.text(f.conv);
    out.time(f.at);
    out.text(f.delivery);
    out.text(f.tier);
    out.signed_number(f.turn);
    out.text(f.text);
    out.text(f.offer);
    out.time(f.expires_at);
    out.text(f.agent);
    out.text(f.from);
    out.text(f.reason);
    out.text(f.state);
    out.text(f.owner);
    out.text(f.sla);
    out.time(f.deadline);
    out.signed_number(f.level);
    out.text(f.action);
    out.text(f.ingress_id);
    out.text(f.channel);
    out.flag(f.context != nullptr);
    if (f.context) {
      const auto& ctx = *f.context;
      write(out, ctx.transcript);
      out.pairs(ctx.attrs);
      out.text(ctx.customer);
      out.text(ctx.channel);
      out.text(ctx.intent);
      out.real(ctx.confidence);
      out.text(ctx.slots_json);
      out.texts(ctx.skills);
      out.signed_number(ctx.bot_turns);
      out.signed_number(ctx.waited_ms);
      out.text(ctx.escalation_reason);
      out.text(ctx.passback_note);
    }
  }

  static void read(snapshot_reader& in, egress_frame& f) {
    f.type = in.enumeration(egress_type::sla_breach);
    f.conv = in.text();
    f.at = in.time();
    f.delivery = in.text();
    f.tier = in.text();
    f.turn = in.integer<int>();
    f.text = in.text();
    f.offer = in.text();
    f.expires_at = in.time();
    f.agent = in.text();
    f.from = in.text();
    f.reason = in.text();
    f.state = in.text();
    f.owner = in.text();
    f.sla = in.text();
    f.deadline = in.time();
    f.level = in.integer<int>();
    f.action = in.text();
    f.ingress_id = in.text();
    f.channel = in.text();
    f.context.reset();
    if (in.flag()) {
      auto ctx = std::make_shared<conversation_context>();
      read(in, ctx->transcript);
      ctx->attrs = in.pairs();
      ctx->customer = in.text();
      ctx->channel = in.text();
      ctx->intent = in.text();
      ctx->confidence = in.real();
      ctx->slots_json = in.text();
      ctx->skills = in.texts();
      ctx->bot_turns = in.integer<int>();
      ctx->waited_ms = in.signed_number();
      ctx->escalation_reason = in.text();
      ctx->passback_note = in.text();
      f.context = std::move(ctx);
    }
  }
};

std::string encode_snapshot(const conversation_rebuild& rebuild) {
  snapshot_writer out;
  out.unsigned_number(snapshot_version);
  snapshot_codec::write(out, rebuild);
  return out.take();
}

result<conversation_rebuild> decode_snapshot(std::string_view bytes) {
  snapshot_reader in(bytes);
  const std::uint64_t version = in.unsigned_number();
  if (in.failed() || version < 1 || version > snapshot_version) {
    return error{errc::journal_io, "snapshot of version " + std::to_string(version)
                                       + "; this router reads versions 1 to "
                                       + std::to_string(snapshot_version)};
  }
  conversation_rebuild rebuild{std::string{}};
  snapshot_codec::read(in, rebuild, version);
  if (in.failed()) {
    return error{errc::journal_io, "snapshot cut short or damaged"};
  }
  if (!in.at_end()) {
    return error{errc::journal_io, "snapshot with bytes after its end"};
  }
  return rebuild;
}

}  // namespace blendroute
