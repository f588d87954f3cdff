// PersistentShardTest: a fixture for tests of a shard of one (index 0 of 1) with persistence: a
// store, its service and its ShardPersistence over a scratch directory, opened and served the
// way the shard process does it.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <vector>

#include "shard/persistence/shard_persistence.h"
#include "tests/unit/shard/persistence/persistence_test_util.h"

namespace shardtrack::testing {

class PersistentShardTest : public ::testing::Test {
 protected:
  static constexpr UnixSeconds kStart = 1'700'000'000;

  struct Shard {
    SwarmStore store;
    ShardService service{0, 1, store, 42};
    std::unique_ptr<ShardPersistence> persistence;
  };

  // nullptr (and a test failure) when the files cannot be loaded.
  std::unique_ptr<Shard> Open(FileOps& ops, UnixSeconds now = kStart,
                              OnCorrupt on_corrupt = OnCorrupt::kRefuse) {
    auto shard = std::make_unique<Shard>();
    auto opened = ShardPersistence::Open(ops, {dir_.path(), 0, 1, on_corrupt, 2700, snapshot_cpus_},
                                         now, shard->store);
    EXPECT_TRUE(opened.ok()) << (opened.ok() ? "" : opened.error());
    if (!opened.ok()) return nullptr;
    shard->persistence = std::move(*opened);
    return shard;
  }
  // Handles one batch as ShardServer does: record, then commit.
  Status Serve(Shard& shard, std::vector<proto::Request> requests, UnixSeconds now = kStart) {
    proto::RequestBatch batch;
    batch.set_shard_index(0);
    batch.set_shard_count(1);
    for (auto& request : requests) *batch.add_requests() = std::move(request);
    proto::ReplyBatch replies;
    shard.service.Handle(batch, now, replies);
    shard.persistence->Record(shard.service.applied(), shard.service.completions(), now);
    return shard.persistence->Commit();
  }

  ScratchDir dir_;
  PosixFileOps real_;
  std::vector<int> snapshot_cpus_;  // what Open gives PersistenceOptions
};

}  // namespace shardtrack::testing
