// The promise of exactly one ack for an ingress event, kept even when its actor dies.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <utility>

#include "actors/ingress_port.hpp"

namespace blendroute::actors {

/// Answers an ingress event exactly once. Copies share one promise (CAF may copy a message
/// that carries it). When the last copy goes without an answer — the event sat in the
/// mailbox of a conversation actor that failed, say — it still answers: with the answer set
/// by `settle_unanswered`, else `unavailable` after giving back the event's dedupe claim, so
/// that the sender can send it again. Without this a lost event would also hold back every
/// later ack of its connection, which come back in order.
class ack_promise {
public:
  ack_promise() = default;

  /// `done` receives the ack; `release` (optional) gives back the event's dedupe claim.
  explicit ack_promise(ack_callback done, std::function<void()> release = {})
      : state_(std::make_shared<shared>(std::move(done), std::move(release))) {}

  /// Sends `answer` unless the promise was answered before. Thread-safe against the last
  /// copy going away, not against two answers at once: one actor owns answering.
  void operator()(ack answer) const {
    if (state_ && state_->done) {
      auto done = std::exchange(state_->done, nullptr);
      done(std::move(answer));
    }
  }

  /// The answer the promise gives if nobody answers it: the journal's verdict on a write
  /// whose actor may no longer be there to answer. The dedupe claim is not given back: the
  /// journal has settled it.
  void settle_unanswered(ack answer) const {
    if (state_) {
      state_->release = nullptr;
      state_->unanswered = std::move(answer);
    }
  }

  explicit operator bool() const { return state_ && state_->done; }

private:
  struct shared {
    shared(ack_callback d, std::function<void()> r) : done(std::move(d)), release(std::move(r)) {}

    ~shared() {
      if (!done) {
        return;
      }
      if (release) {
        release();
      }
      done(unanswered.value_or(
          ack::rejected(errc::unavailable,
                        "the conversation failed before this event was applied; send it "
                        "again")));
    }

    shared(const shared&) = delete;
    shared& operator=(const shared&) = delete;

    ack_callback done;
    std::function<void()> release;
    std::optional<ack> unanswered;
  };

  std::shared_ptr<shared> state_;
};

}  // namespace blendroute::actors
