// Ingress id claims: fresh, duplicate, and events that wait for an id in flight.
#include "persist/dedupe_index.hpp"

#include <gtest/gtest.h>

namespace blendroute::persist {
namespace {

TEST(DedupeIndex, AConfirmedIdIsADuplicateForGood) {
  dedupe_index index;
  EXPECT_EQ(index.claim("a", nullptr), dedupe_claim::fresh);
  index.confirm("a");
  EXPECT_EQ(index.claim("a", nullptr), dedupe_claim::duplicate);
  index.release("a");  // A release after the write changes nothing.
  EXPECT_EQ(index.claim("a", nullptr), dedupe_claim::duplicate);
}

TEST(DedupeIndex, AReleasedIdMayBeUsedAgain) {
  dedupe_index index;
  EXPECT_EQ(index.claim("a", nullptr), dedupe_claim::fresh);
  index.release("a");
  EXPECT_EQ(index.claim("a", nullptr), dedupe_claim::fresh);
}

TEST(DedupeIndex, AnEventWaitingOnAWrittenIdIsTold) {
  dedupe_index index;
  index.claim("a", nullptr);
  std::vector<bool> told;
  EXPECT_EQ(index.claim("a", [&](bool written) { told.push_back(written); }),
            dedupe_claim::deferred);
  EXPECT_TRUE(told.empty());
  index.confirm("a");
  EXPECT_EQ(told, std::vector<bool>{true});
}

TEST(DedupeIndex, TheOldestWaitingEventTakesOverARejectedId) {
  dedupe_index index;
  index.claim("a", nullptr);
  std::vector<std::string> told;
  index.claim("a", [&](bool written) { told.push_back(written ? "first dup" : "first owns"); });
  index.claim("a", [&](bool written) { told.push_back(written ? "second dup" : "second owns"); });

  index.release("a");
  EXPECT_EQ(told, std::vector<std::string>{"first owns"});
  index.confirm("a");
  EXPECT_EQ(told, (std::vector<std::string>{"first owns", "second dup"}));
}

TEST(DedupeIndex, IdsLoadedAtStartAreDuplicates) {
  dedupe_index index;
  index.load_committed("old");
  EXPECT_EQ(index.claim("old", nullptr), dedupe_claim::duplicate);
  EXPECT_EQ(index.size(), 1u);
}

}  // namespace
}  // namespace blendroute::persist
