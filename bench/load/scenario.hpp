#pragma once
// The scenario knobs of the `closed` and `open` modes that shape the conversations: which tier
// each one asks for, and how long its customer messages are.

#include <cstddef>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace blendroute::load {

/// `--tier-mix standard=0.8,priority=0.2`: the share of new conversations that name each tier
/// in their first `customer.message`. Empty: no `tier` field, the router's routing rules
/// choose.
struct tier_mix {
  std::vector<std::string> tiers;
  /// Relative weights, one per tier, each > 0; they need not add up to 1.
  std::vector<double> weights;

  bool empty() const { return tiers.empty(); }

  /// "standard 80 %, priority 20 %"; "router's rules" when empty.
  std::string describe() const;
};

/// Parses `name=weight[,name=weight…]`. Returns nullopt and sets `problem` on bad text: a
/// missing `=`, an empty name, a repeated tier, a weight that is not a number > 0.
std::optional<tier_mix> parse_tier_mix(std::string_view text, std::string& problem);

/// Draws tiers by their weights.
class tier_picker {
public:
  explicit tier_picker(const tier_mix& mix);

  /// A tier name; empty when the mix is empty.
  template <class Random>
  const std::string& pick(Random& random) {
    static const std::string none;
    return mix_.empty() ? none : mix_.tiers[choose_(random)];
  }

private:
  tier_mix mix_;
  std::discrete_distribution<std::size_t> choose_;
};

/// `--message-bytes 200` or `50-500`: the length of each customer message's text, uniform in
/// [min, max]. Both 0: the short built-in texts as they are.
struct message_size {
  std::size_t min = 0;
  std::size_t max = 0;

  bool fixed_texts() const { return max == 0; }

  /// "as written", "200 bytes" or "50-500 bytes".
  std::string describe() const;
};

/// Parses `N` or `MIN-MAX` with 1 <= MIN <= MAX <= `limit`; nullopt (and `problem`) otherwise.
std::optional<message_size> parse_message_size(std::string_view text, std::size_t limit,
                                               std::string& problem);

/// Writes `base` padded with filler words to exactly `bytes` bytes into `out` (`base` cut
/// short when it is longer). The filler matches no keyword of conf/faq_bot.toml, so padding
/// never changes what the embedded bot answers.
void sized_text(std::string_view base, std::size_t bytes, std::string& out);

}  // namespace blendroute::load
