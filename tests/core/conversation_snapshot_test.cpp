// A conversation restored from a snapshot plus the journal after it is the conversation the
// whole journal rebuilds: same state, same pending work, and the same effects from then on.
#include "core/conversation_snapshot.hpp"

#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace blendroute {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

// The effects of one input, as text: what a difference in any field of the restored state
// would show up in.
std::string describe(const std::vector<effect>& effects) {
  std::string out;
  for (const auto& e : effects) {
    out += std::to_string(static_cast<int>(e.what)) + ":"
           + std::to_string(static_cast<int>(e.frame.type)) + " d=" + e.frame.delivery
           + " o=" + e.frame.offer + " a=" + e.agent + " t=" + e.frame.text + " st=" + e.frame.state
           + " r=" + e.frame.reason + " tier=" + e.tier + e.frame.tier
           + " at=" + std::to_string(e.at.time_since_epoch().count())
           + " dl=" + std::to_string(e.deadline.time_since_epoch().count())
           + " lv=" + std::to_string(e.level) + " head=" + std::to_string(e.at_head)
           + " skills=" + std::to_string(e.skills.size());
    if (e.frame.context) {
      out += " ctx=" + std::to_string(e.frame.context->transcript.size()) + "/"
             + e.frame.context->intent + "/" + e.frame.context->passback_note + "/"
             + std::to_string(e.frame.context->bot_turns);
    }
    out += "\n";
  }
  return out;
}

// The conversation as its public accessors show it, read without the snapshot codec, so that
// a field the codec forgets on both sides still shows.
std::string describe(const conversation& c, time_point now) {
  const auto ctx = c.context(now, 50);
  std::string out =
      c.id() + " " + std::string(name(c.state())) + " " + c.tier() + " " + c.owner() + " "
      + c.offered_agent() + " " + c.offer_id() + " " + std::to_string(c.bot_turns()) + " "
      + std::to_string(c.transfers()) + " " + std::to_string(c.reopens()) + " "
      + std::to_string(c.episode()) + " " + std::to_string(c.ever_escalated())
      + std::to_string(c.control_cohort()) + " "
      + std::to_string(c.opened_at().time_since_epoch().count()) + " "
      + std::to_string(c.finished_at().time_since_epoch().count()) + " " + c.customer() + " "
      + c.channel() + " " + c.intent() + " lines=" + std::to_string(c.transcript().size())
      + " ctx: " + ctx.customer + " " + ctx.channel + " " + ctx.intent + " "
      + std::to_string(ctx.confidence) + " " + ctx.slots_json + " " + std::to_string(ctx.bot_turns)
      + " " + std::to_string(ctx.waited_ms) + " " + ctx.escalation_reason + " " + ctx.passback_note;
  for (const auto& [key, value] : ctx.attrs) {
    out += " " + key + "=" + value;
  }
  for (const auto& skill : ctx.skills) {
    out += " skill:" + skill;
  }
  for (const auto& line : ctx.transcript) {
    out += " [" + line.speaker + ":" + line.text + "@"
           + std::to_string(line.at.time_since_epoch().count()) + "]";
  }
  for (auto sla : {sla_kind::bot_attempt, sla_kind::bot_max_turns, sla_kind::human_response,
                   sla_kind::offer_accept}) {
    const auto armed = c.armed_deadline(sla);
    out += " dl=" + (armed ? std::to_string((*armed).time_since_epoch().count()) : "-");
  }
  return out;
}

/// Drives a live conversation through every kind of journaled input and keeps the journal.
class ConversationSnapshotTest : public ::testing::Test {
protected:
  ConversationSnapshotTest() : cfg_(default_config()), standard_(*cfg_.find_tier("standard")) {}

  ingress_event base(event_type type, const std::string& prefix) {
    ingress_event e;
    e.type = type;
    e.id = prefix + std::to_string(++ids_);
    e.conv = "c1";
    return e;
  }

  std::vector<effect> event(const ingress_event& e) {
    EXPECT_TRUE(live_.check(e).ok()) << name(e.type) << " " << live_.check(e).err().message;
    journal_.push_back({e, now_, live_.opened() ? std::string{} : std::string("standard")});
    auto effects = live_.apply(e, standard_, now_);
    remember(effects);
    return effects;
  }

  std::vector<effect> customer(std::string text) {
    auto e = base(event_type::customer_message, "m");
    e.text = std::move(text);
    e.customer = "cust-1";
    e.channel = "webchat";
    e.attrs = {{"plan", "gold"}, {"lang", "en"}};
    return event(e);
  }

  std::vector<effect> bot(bot_outcome outcome) {
    auto e = base(event_type::bot_reply, "b");
    e.text = "bot says";
    e.outcome = outcome;
    e.intent = "card_fraud";
    e.confidence = 0.75;
    e.slots_json = R"({"card":"visa"})";
    e.skills = {"fraud"};
    return event(e);
  }

  std::vector<effect> agent(event_type type, const std::string& agent_id) {
    auto e = base(type, "a");
    e.agent = agent_id;
    e.offer = live_.offer_id();
    e.text = "agent says";
    e.note = "customer verified";
    e.intent = "billing";
    e.to_skill = "fraud";
    e.disposition = "resolved";
    return event(e);
  }

  std::vector<effect> offer(const std::string& agent_id) {
    const std::string id = "o" + std::to_string(++ids_);
    journal_.push_back({offer_input{agent_id, id}, now_, {}});
    auto effects = live_.offer_made(agent_id, id, standard_, now_);
    remember(effects);
    return effects;
  }

  // Fires the last timer armed for `sla`, at its time.
  void fire(sla_kind sla) {
    const effect timer = timers_.at(static_cast<std::size_t>(sla));
    now_ = std::max(now_, timer.at);
    journal_.push_back({timer_input{timer.sla, timer.deadline, timer.level}, now_, {}});
    remember(live_.fire_sla(timer.sla, timer.deadline, timer.level, standard_, now_));
  }

  void fire_idle() {
    const effect timer = idle_;
    now_ = std::max(now_, timer.at);
    journal_.push_back({idle_input{timer.deadline, timer.level}, now_, {}});
    remember(live_.fire_idle(timer.deadline, timer.level, standard_, now_));
  }

  void remember(const std::vector<effect>& effects) {
    for (const auto& e : effects) {
      if (e.what == effect::kind::arm_timer) {
        timers_[static_cast<std::size_t>(e.sla)] = e;
      } else if (e.what == effect::kind::arm_idle_timer) {
        idle_ = e;
      } else if (!e.frame.delivery.empty()) {
        last_delivery_ = e.frame.delivery;
      }
    }
  }

  void ack_last_delivery() {
    auto e = base(event_type::delivery_ack, "d");
    e.delivery = last_delivery_;
    journal_.push_back({e, now_, {}});
  }

  void later(milliseconds by) { now_ += by; }

  /// Every kind of input, through the whole life cycle and a second episode.
  void drive_everything() {
    customer("my card was stolen");
    later(milliseconds{200});
    bot(bot_outcome::continue_turn);
    ack_last_delivery();
    later(seconds{1});
    customer("it happened yesterday");
    later(milliseconds{300});
    bot(bot_outcome::handoff);
    fire(sla_kind::human_response);
    offer("agent-1");
    agent(event_type::agent_decline, "agent-1");
    offer("agent-2");
    fire(sla_kind::offer_accept);
    offer("agent-2");
    agent(event_type::agent_accept, "agent-2");
    later(seconds{2});
    customer("are you there?");
    ack_last_delivery();
    agent(event_type::agent_reply, "agent-2");
    agent(event_type::agent_transfer, "agent-2");
    offer("agent-3");
    agent(event_type::agent_accept, "agent-3");
    journal_.push_back({offline_input{"agent-3", false}, now_, {}});
    remember(live_.agent_offline("agent-3", standard_, now_, false));
    offer("agent-4");
    agent(event_type::agent_accept, "agent-4");
    agent(event_type::agent_passback, "agent-4");
    later(seconds{1});
    customer("one more thing");
    bot(bot_outcome::handoff);
    offer("agent-5");
    agent(event_type::agent_accept, "agent-5");
    agent(event_type::agent_reply, "agent-5");
    fire_idle();
    later(seconds{1});
    customer("thanks");
    agent(event_type::agent_resolve, "agent-5");
    auto csat = base(event_type::customer_csat, "s");
    csat.csat_score = 4;
    event(csat);
    later(seconds{5});
    customer("actually, a new question");  // Inside the resume window: reopened.
    if (live_.state() == conversation_state::queued) {
      journal_.push_back({queue_full_input{}, now_, {}});
      remember(live_.queue_full(standard_, cfg_, now_));
    }
    if (live_.state() == conversation_state::bot) {
      bot(bot_outcome::resolved);
    }
  }

  /// Rebuilds from the first `k` inputs, snapshots, restores, and applies the rest; returns
  /// the effects of the rest, one entry per input, and the final snapshot.
  std::pair<std::vector<std::string>, std::string> through_snapshot_after(std::size_t k) {
    conversation_rebuild first("c1");
    for (std::size_t i = 0; i < k; ++i) {
      first.apply(journal_[i], cfg_);
    }
    auto restored = decode_snapshot(encode_snapshot(first));
    EXPECT_TRUE(restored.ok()) << restored.err().message;
    std::vector<std::string> effects;
    restored->observe([&](const journaled_input&, const std::vector<effect>& out) {
      effects.push_back(describe(out));
    });
    for (std::size_t i = k; i < journal_.size(); ++i) {
      restored->apply(journal_[i], cfg_);
    }
    return {effects, encode_snapshot(*restored) + describe(restored->pending())
                         + describe(restored->conv(), now_)};
  }

  config cfg_;
  const tier_policy& standard_;
  conversation live_{"c1"};
  std::vector<journaled_input> journal_;
  std::array<effect, 4> timers_;
  effect idle_;
  std::string last_delivery_;
  time_point now_{seconds{1'700'000'000}};
  int ids_ = 0;
};

TEST_F(ConversationSnapshotTest, ASnapshotAfterAnyInputRestoresWhatTheWholeJournalRebuilds) {
  drive_everything();
  ASSERT_GT(journal_.size(), 30u);

  // The plain replay, for reference.
  auto [all_effects, all_final] = through_snapshot_after(0);
  conversation_rebuild plain("c1");
  for (const auto& input : journal_) {
    plain.apply(input, cfg_);
  }
  ASSERT_TRUE(plain.problems().empty()) << plain.problems().front();
  EXPECT_EQ(all_final,
            encode_snapshot(plain) + describe(plain.pending()) + describe(plain.conv(), now_));

  for (std::size_t k = 1; k <= journal_.size(); ++k) {
    auto [effects, final_state] = through_snapshot_after(k);
    ASSERT_EQ(effects.size(), journal_.size() - k);
    for (std::size_t i = 0; i < effects.size(); ++i) {
      ASSERT_EQ(effects[i], all_effects[k + i])
          << "snapshot after input " << k << ", input " << k + i + 1;
    }
    ASSERT_EQ(final_state, all_final) << "snapshot after input " << k;
  }
}

TEST_F(ConversationSnapshotTest, TheRestoredConversationKeepsItsStateOwnerAndCounters) {
  customer("my card was stolen");
  bot(bot_outcome::handoff);
  offer("agent-1");
  agent(event_type::agent_accept, "agent-1");
  conversation_rebuild rebuilt("c1");
  for (const auto& input : journal_) {
    rebuilt.apply(input, cfg_);
  }
  auto restored = decode_snapshot(encode_snapshot(rebuilt));
  ASSERT_TRUE(restored.ok()) << restored.err().message;
  const conversation& conv = restored->conv();
  EXPECT_EQ(conv.id(), "c1");
  EXPECT_EQ(conv.state(), conversation_state::agent);
  EXPECT_EQ(conv.owner_agent(), "agent-1");
  EXPECT_EQ(conv.tier(), "standard");
  EXPECT_EQ(conv.customer(), "cust-1");
  EXPECT_EQ(restored->holding_agent(), "agent-1");
  EXPECT_EQ(restored->inputs(), journal_.size());
}

TEST_F(ConversationSnapshotTest, AFullTranscriptComesBackInOrderAndGoesOnFromThere) {
  customer("my card was stolen");
  bot(bot_outcome::handoff);
  offer("agent-1");
  agent(event_type::agent_accept, "agent-1");
  for (int i = 0; i < 40; ++i) {  // 82 lines: the transcript has wrapped around.
    customer("question " + std::to_string(i));
    agent(event_type::agent_reply, "agent-1");
  }
  conversation_rebuild rebuilt("c1");
  for (const auto& input : journal_) {
    rebuilt.apply(input, cfg_);
  }
  auto restored = decode_snapshot(encode_snapshot(rebuilt));
  ASSERT_TRUE(restored.ok()) << restored.err().message;
  auto texts = [](const conversation& conv) {
    std::vector<std::string> out;
    for (const auto& line : conv.transcript()) {
      out.push_back(line.speaker + ": " + line.text);
    }
    return out;
  };
  ASSERT_EQ(texts(restored->conv()).size(), conversation::max_transcript_lines);
  EXPECT_EQ(texts(restored->conv()), texts(rebuilt.conv()));
  EXPECT_EQ(texts(rebuilt.conv()).back(), "agent:agent-1: agent says");

  customer("one more");
  rebuilt.apply(journal_.back(), cfg_);
  restored->apply(journal_.back(), cfg_);
  EXPECT_EQ(texts(restored->conv()), texts(rebuilt.conv()));
  EXPECT_EQ(texts(restored->conv()).back(), "customer: one more");
  EXPECT_EQ(encode_snapshot(*restored), encode_snapshot(rebuilt));
}

TEST_F(ConversationSnapshotTest, ADamagedSnapshotIsAnErrorNotAWrongConversation) {
  customer("hello");
  bot(bot_outcome::continue_turn);
  conversation_rebuild rebuilt("c1");
  for (const auto& input : journal_) {
    rebuilt.apply(input, cfg_);
  }
  const std::string bytes = encode_snapshot(rebuilt);
  // Every cut is refused, as is a byte too many.
  for (std::size_t cut = 0; cut < bytes.size(); ++cut) {
    EXPECT_FALSE(decode_snapshot(std::string_view(bytes).substr(0, cut)).ok()) << cut;
  }
  EXPECT_FALSE(decode_snapshot(bytes + "x").ok());
  // Another version is refused.
  std::string other = bytes;
  other[0] = 9;
  auto refused = decode_snapshot(other);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.err().message.find("version"), std::string::npos);
}

}  // namespace
}  // namespace blendroute
