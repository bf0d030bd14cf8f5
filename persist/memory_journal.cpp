// A journal in memory for tests: commits at once, on the caller's thread.
#include <deque>
#include <functional>
#include <map>
#include <mutex>

#include "persist/dedupe_index.hpp"
#include "persist/journal.hpp"

namespace blendroute::persist {
namespace {

class memory_journal final : public journal {
public:
  explicit memory_journal(std::function<time_point()> clock) : clock_(std::move(clock)) {}

  void append(std::vector<journal_record> records, commit_callback done) override {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      for (auto& record : records) {
        if (!record.dedupe_id.empty()) {
          dedupe_.confirm(record.dedupe_id);
          ids_by_age_.emplace_back(clock_(), record.dedupe_id);
        }
        if (!record.agent.empty()) {
          agents_[record.agent] = record.payload;
        }
        if (!record.conv.empty()) {
          conversations_[record.conv].push_back(std::move(record.payload));
        }
      }
    }
    done(result<void>{});
  }

  dedupe_claim claim(const std::string& id, claim_decided decided) override {
    return dedupe_.claim(id, std::move(decided));
  }

  void release(const std::string& id) override { dedupe_.release(id); }

  result<std::vector<std::string>> history(const std::string& conv) override {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = conversations_.find(conv);
    return it == conversations_.end() ? std::vector<std::string>{} : it->second;
  }

  result<void> for_each_conversation(
      const std::function<void(const std::string&, std::vector<std::string>&)>& visit) override {
    std::lock_guard<std::mutex> lock(mutex_);
    for (auto& [conv, payloads] : conversations_) {
      std::vector<std::string> copy = payloads;
      visit(conv, copy);
    }
    return {};
  }

  result<void> for_each_agent(
      const std::function<void(const std::string&, const std::string&)>& visit) override {
    std::lock_guard<std::mutex> lock(mutex_);
    for (const auto& [agent, payload] : agents_) {
      visit(agent, payload);
    }
    return {};
  }

  void forget(std::vector<std::string> convs, time_point ids_before,
              commit_callback done) override {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      for (const auto& conv : convs) {
        conversations_.erase(conv);
      }
      std::vector<std::string> expired;
      while (!ids_by_age_.empty() && ids_by_age_.front().first < ids_before) {
        expired.push_back(std::move(ids_by_age_.front().second));
        ids_by_age_.pop_front();
      }
      dedupe_.forget(expired);
    }
    done(result<void>{});
  }

  void close() override {}

private:
  std::mutex mutex_;
  dedupe_index dedupe_;
  std::map<std::string, std::vector<std::string>> conversations_;
  std::map<std::string, std::string> agents_;
  std::deque<std::pair<time_point, std::string>> ids_by_age_;  ///< Committed ids, oldest first.
  std::function<time_point()> clock_;
};

}  // namespace

std::unique_ptr<journal> make_memory_journal(std::function<time_point()> clock) {
  return std::make_unique<memory_journal>(std::move(clock));
}

}  // namespace blendroute::persist
