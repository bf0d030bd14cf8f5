// The scenario knobs of the `closed` and `open` modes: tier mix and message sizes.

#include "bench/load/scenario.hpp"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <numeric>

namespace blendroute::load {

namespace {

std::string_view trim(std::string_view text) {
  while (!text.empty() && text.front() == ' ') {
    text.remove_prefix(1);
  }
  while (!text.empty() && text.back() == ' ') {
    text.remove_suffix(1);
  }
  return text;
}

std::optional<std::size_t> parse_count(std::string_view text) {
  text = trim(text);
  std::size_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || text.empty()) {
    return std::nullopt;
  }
  return value;
}

}  // namespace

std::string tier_mix::describe() const {
  if (empty()) {
    return "router's rules";
  }
  const double total = std::accumulate(weights.begin(), weights.end(), 0.0);
  std::string out;
  for (std::size_t i = 0; i < tiers.size(); ++i) {
    char share[32];
    std::snprintf(share, sizeof share, " %.0f %%", weights[i] / total * 100);
    out += (i == 0 ? "" : ", ") + tiers[i] + share;
  }
  return out;
}

std::optional<tier_mix> parse_tier_mix(std::string_view text, std::string& problem) {
  tier_mix mix;
  while (!text.empty()) {
    const auto comma = text.find(',');
    const auto item = trim(text.substr(0, comma));
    text = comma == std::string_view::npos ? std::string_view() : text.substr(comma + 1);
    const auto equals = item.find('=');
    if (equals == std::string_view::npos) {
      problem = "'" + std::string(item) + "' is not tier=weight";
      return std::nullopt;
    }
    const std::string tier(trim(item.substr(0, equals)));
    const std::string weight_text(trim(item.substr(equals + 1)));
    if (tier.empty()) {
      problem = "a tier name is empty";
      return std::nullopt;
    }
    for (const auto& known : mix.tiers) {
      if (known == tier) {
        problem = "tier '" + tier + "' is given twice";
        return std::nullopt;
      }
    }
    char* end = nullptr;
    const double weight = std::strtod(weight_text.c_str(), &end);
    if (weight_text.empty() || end != weight_text.c_str() + weight_text.size()
        || !std::isfinite(weight) || weight <= 0) {
      problem = "the weight of tier '" + tier + "' is not a number above 0";
      return std::nullopt;
    }
    mix.tiers.push_back(tier);
    mix.weights.push_back(weight);
  }
  if (mix.empty()) {
    problem = "no tier given";
    return std::nullopt;
  }
  return mix;
}

tier_picker::tier_picker(const tier_mix& mix)
    : mix_(mix), choose_(mix.weights.begin(), mix.weights.end()) {}

std::string message_size::describe() const {
  if (fixed_texts()) {
    return "as written";
  }
  if (min == max) {
    return std::to_string(min) + " bytes";
  }
  return std::to_string(min) + "-" + std::to_string(max) + " bytes";
}

std::optional<message_size> parse_message_size(std::string_view text, std::size_t limit,
                                               std::string& problem) {
  const auto dash = text.find('-');
  const auto low = parse_count(text.substr(0, dash));
  const auto high = dash == std::string_view::npos ? low : parse_count(text.substr(dash + 1));
  if (!low || !high) {
    problem = "'" + std::string(text) + "' is not a size like 200 or 50-500";
    return std::nullopt;
  }
  if (*low < 1 || *low > *high || *high > limit) {
    problem = "message sizes must be 1 <= MIN <= MAX <= " + std::to_string(limit);
    return std::nullopt;
  }
  return message_size{*low, *high};
}

void sized_text(std::string_view base, std::size_t bytes, std::string& out) {
  // Neither word is a keyword of any rule of conf/faq_bot.toml.
  static constexpr std::string_view filler = " lorem ipsum";
  out.assign(base.substr(0, bytes));
  while (out.size() < bytes) {
    out.append(filler.substr(0, std::min(filler.size(), bytes - out.size())));
  }
}

}  // namespace blendroute::load
