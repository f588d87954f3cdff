#include "common/node_pool.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <unordered_map>

namespace shardtrack {
namespace {

using Map = std::unordered_map<int, std::unique_ptr<std::string>>;

TEST(NodePoolTest, AnInsertReusesAKeptNodeAndItsValue) {
  Map map;
  NodePool<Map> pool(4);
  int made = 0;
  auto make = [&made] {
    ++made;
    return std::make_unique<std::string>("new");
  };
  const std::string* first = pool.Insert(map, 1, make)->second.get();
  *map.at(1) = "old state";
  pool.Keep(map.extract(1));
  EXPECT_TRUE(map.empty());

  auto reused = pool.Insert(map, 2, make);
  EXPECT_EQ(made, 1);
  EXPECT_EQ(reused->first, 2);
  EXPECT_EQ(reused->second.get(), first);
  EXPECT_EQ(*reused->second, "old state");  // the caller resets what it reuses
  EXPECT_EQ(map.count(2), 1u);
  EXPECT_EQ(pool.spare(), 0u);
}

TEST(NodePoolTest, KeepsAtMostMaxSpareNodes) {
  Map map;
  NodePool<Map> pool(2);
  for (int key = 0; key < 5; ++key) {
    pool.Insert(map, key, [] { return std::make_unique<std::string>(); });
  }
  for (int key = 0; key < 5; ++key) pool.Keep(map.extract(key));
  EXPECT_EQ(pool.spare(), 2u);
}

TEST(NodePoolTest, ClearForReuseKeepsASmallBuffersCapacityAndReleasesALargeOne) {
  std::string small(1000, 'x');
  const std::size_t small_capacity = small.capacity();
  ClearForReuse(small, 4096);
  EXPECT_TRUE(small.empty());
  EXPECT_EQ(small.capacity(), small_capacity);

  std::string large(10000, 'x');
  ClearForReuse(large, 4096);
  EXPECT_TRUE(large.empty());
  EXPECT_LE(large.capacity(), 4096u);
}

}  // namespace
}  // namespace shardtrack
