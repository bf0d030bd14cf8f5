#pragma once
// Reads the replay dataset: one conversation per JSON line (see shared/data/README.md).

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace blendroute::load {

/// Who spoke a turn in the dataset.
enum class speaker { customer, agent, action };

/// One turn of a recorded conversation.
struct turn {
  speaker who = speaker::customer;
  /// UTF-8 text, passed on unchanged.
  std::string text;
  /// Offset from the start of the conversation, in dataset milliseconds.
  std::int64_t at_ms = 0;
};

/// One recorded conversation, reduced to what the replay needs.
struct conversation {
  /// The dataset id, e.g. `star-818`.
  std::string id;
  std::string flow;
  /// The first of `domains`, or empty when the list is empty.
  std::string domain;
  /// `outcome.completion`; `Complete` when the line has none.
  std::string completion;
  /// In dataset order, which is also time order.
  std::vector<turn> turns;

  /// Whether the customer stayed to the end; otherwise the replay abandons it.
  bool complete() const { return completion == "Complete"; }

  /// Offset of the last turn, in dataset milliseconds.
  std::int64_t duration_ms() const { return turns.empty() ? 0 : turns.back().at_ms; }
};

/// What `load_dataset` returns: the conversations, or an error naming the file and line.
struct dataset_result {
  std::vector<conversation> conversations;
  /// Lines skipped because they hold no customer turn.
  std::size_t skipped = 0;
  /// Empty on success.
  std::string error;

  bool ok() const { return error.empty(); }
};

/// Reads up to `limit` conversations (0 = all) from the JSONL file at `path`.
///
/// Blank lines are ignored and conversations without a customer turn are skipped (counted).
/// Any other malformed line fails the whole load, since a replay of half a file would report
/// misleading numbers. Blocking file I/O: call it before the event loop starts.
dataset_result load_dataset(const std::string& path, std::size_t limit);

}  // namespace blendroute::load
