// Keyword matching of the embedded FAQ bot.
#include "core/faq_bot.hpp"

#include <cctype>

namespace blendroute {
namespace {

bool is_word_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0;
}

std::string lowercase(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

}  // namespace

bool contains_phrase(std::string_view text, std::string_view phrase) {
  if (phrase.empty()) {
    return false;
  }
  for (std::size_t pos = text.find(phrase); pos != std::string_view::npos;
       pos = text.find(phrase, pos + 1)) {
    const bool starts_word = pos == 0 || !is_word_char(text[pos - 1]);
    const std::size_t end = pos + phrase.size();
    const bool ends_word = end == text.size() || !is_word_char(text[end]);
    if (starts_word && ends_word) {
      return true;
    }
  }
  return false;
}

faq_answer faq_bot::answer(std::string_view message) const {
  const std::string text = lowercase(message);

  const faq_rule* best = nullptr;
  std::size_t best_hits = 0;
  for (const auto& rule : rules_) {
    std::size_t hits = 0;
    for (const auto& keyword : rule.keywords) {
      if (contains_phrase(text, keyword)) {
        ++hits;
      }
    }
    if (hits > best_hits) {
      best = &rule;
      best_hits = hits;
    }
  }

  if (best == nullptr) {
    return fallback_;
  }
  return {best->intent, best->answer, best->outcome,
          static_cast<double>(best_hits) / static_cast<double>(best->keywords.size())};
}

}  // namespace blendroute
