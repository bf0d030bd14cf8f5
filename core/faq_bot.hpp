// The embedded FAQ bot's matching: keyword rules to an answer and an outcome.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/event.hpp"

namespace blendroute {

/// One rule of `conf/faq_bot.toml`.
struct faq_rule {
  std::string intent;
  std::vector<std::string> keywords;  ///< Lowercase words or phrases.
  std::string answer;
  bot_outcome outcome = bot_outcome::continue_turn;
};

/// What the bot answers to one customer message.
struct faq_answer {
  std::string intent;  ///< Empty when the fallback answered.
  std::string text;
  bot_outcome outcome = bot_outcome::continue_turn;
  double confidence = 0;  ///< Share of the winning rule's keywords that matched, 0–1.
};

/// Keyword rules matched against one message at a time; the bot keeps no memory.
class faq_bot {
public:
  faq_bot(std::vector<faq_rule> rules, faq_answer fallback)
      : rules_(std::move(rules)), fallback_(std::move(fallback)) {}

  /// The rule with the most distinct keywords found as whole words or phrases in `message`
  /// (ASCII case-insensitive) wins; ties go to the rule listed first; no match answers with
  /// the fallback.
  faq_answer answer(std::string_view message) const;

  std::size_t rule_count() const { return rules_.size(); }

private:
  std::vector<faq_rule> rules_;
  faq_answer fallback_;
};

/// Whether `phrase` occurs in `text` with no ASCII letter or digit right before or after it.
bool contains_phrase(std::string_view text, std::string_view phrase);

}  // namespace blendroute
