#include "fairwatch/detectors/hash_index.h"

#include <gtest/gtest.h>

#include <random>
#include <unordered_map>

namespace fairwatch::detectors {
namespace {

TEST(HashIndex, BehavesLikeAMapUnderRandomInsertsAndErases) {
  HashIndex index(4);
  std::unordered_map<std::uint64_t, std::uint32_t> model;
  std::mt19937_64 rng(7);
  for (int step = 0; step < 200'000; ++step) {
    // Small key space (incl. 0 and keys sharing a home slot) so erases hit often.
    const std::uint64_t key = (rng() % 3000) << (step % 2 == 0 ? 0 : 40);
    const auto value = static_cast<std::uint32_t>(rng());
    if (rng() % 3 == 0) {
      EXPECT_EQ(index.erase(key), model.erase(key) == 1);
    } else {
      EXPECT_EQ(index.insert(key, value), model.emplace(key, value).second);
    }
    if (step % 1000 == 0) {
      for (std::uint64_t probe = 0; probe < 3000; probe += 7) {
        const auto it = model.find(probe);
        const auto found = index.find(probe);
        ASSERT_EQ(found.has_value(), it != model.end()) << probe;
        if (found) EXPECT_EQ(*found, it->second);
      }
    }
  }
  EXPECT_EQ(index.size(), model.size());
  EXPECT_LE(index.size() * 2, index.capacity());
}

TEST(StableHash, MatchesTheFnv1aTestVectors) {
  EXPECT_EQ(stable_hash(""), 0xcbf29ce484222325ULL);
  EXPECT_EQ(stable_hash("a"), 0xaf63dc4c8601ec8cULL);
  EXPECT_EQ(stable_hash("foobar"), 0x85944171f73967e8ULL);
}

}  // namespace
}  // namespace fairwatch::detectors
