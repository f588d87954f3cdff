// ShardServer with real persistence over a real ZeroMQ socket (inproc): replies that counted a
// completion wait for the journal's sync and come in a message of their own; the others go out
// at once; a failed sync sends no completion reply and stops the shard. Every wait is a bounded
// number of loop turns, so a bug fails instead of hanging. The oldest snapshot and journal a
// periodic snapshot retires are closed on a worker thread, and Close waits for that. An
// ExpiryTimer runs beside the server, as in a ShardRuntime, journaling through its GroupCommit:
// what it retires stays retired after a restart.
#include "shard/shard_server.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>
#include <zmq.hpp>

#include "common/clock.h"
#include "shard/accounting/accounting_file.h"
#include "shard/accounting/accounting_flusher.h"
#include "shard/expiry_timer.h"
#include "shard/persistence/faulty_file_ops.h"
#include "shard/persistence/shard_persistence.h"
#include "tests/unit/shard/persistence/persistence_test_util.h"
#include "tests/unit/shard/persistence/power_loss_file_ops.h"

namespace shardtrack {
namespace {

using std::chrono::milliseconds;

// Announces of peers 10.0.0.<octet> to one torrent, with the request id the reply carries.
proto::Request Announce(std::uint64_t id, std::uint8_t octet, proto::Event event,
                        std::uint64_t left) {
  return testing::AnnounceRequest('t', octet, event, left, id);
}

class ShardServerTest : public ::testing::Test {
 protected:
  // Opens persistence over `ops`, binds the server on an inproc endpoint and connects a client.
  void Start(FileOps& ops, bool snapshots = false) {
    auto opened = ShardPersistence::Open(
        ops, {dir_.path(), 0, 1, OnCorrupt::kRefuse, 2700, {}, sync_completions_}, 0, store_);
    ASSERT_TRUE(opened.ok()) << opened.error();
    persistence_ = std::move(*opened);
    settings_.listen = "inproc://shard-server-test";
    server_ = std::make_unique<ShardServer>(loop_, context_, settings_, store_, service_);
    server_->SetDurability(persistence_.get());
    if (snapshots) server_->SetBackgroundSnapshot(*persistence_);
    expiry_timer_.emplace(loop_, expiry_, store_, server_->commit());
    ASSERT_TRUE(server_->Bind().ok());
    expiry_timer_->Start();
    server_->Start();
    client_.connect(settings_.listen);
  }
  // Start() with a snapshot every second, after an earlier run, so that the snapshot at start
  // leaves a `.snapshot.prev` and a `.journal.prev` for the first periodic one to retire.
  void StartWithAPrevToRetire(FaultyFileOps& ops) {
    {
      SwarmStore earlier;
      ASSERT_TRUE(ShardPersistence::Open(real_, {dir_.path(), 0, 1, OnCorrupt::kRefuse, 2700, {}},
                                         0, earlier)
                      .ok());
    }
    settings_.save_dfile_interval = 1;
    Start(ops, /*snapshots=*/true);
  }
  void Send(const std::vector<proto::Request>& requests) {
    proto::RequestBatch batch;
    batch.set_shard_index(0);
    batch.set_shard_count(1);
    for (const auto& request : requests) *batch.add_requests() = request;
    const std::string bytes = batch.SerializeAsString();
    client_.send(zmq::buffer(bytes), zmq::send_flags::none);
  }
  // Turns the loop, collecting reply messages (each a list of reply ids), until `done` holds.
  template <typename Done>
  void TurnUntil(Done done, int max_turns = 400) {
    for (int turn = 0; turn < max_turns && !done(); ++turn) {
      loop_.RunOnce(milliseconds(5));
      zmq::message_t message;
      while (client_.recv(message, zmq::recv_flags::dontwait)) {
        proto::ReplyBatch batch;
        ASSERT_TRUE(batch.ParseFromArray(message.data(), static_cast<int>(message.size())));
        std::vector<std::uint64_t>& ids = messages_.emplace_back();
        for (const proto::Reply& reply : batch.replies()) {
          ids.push_back(reply.id());
          failures_[reply.id()] = reply.failure();
        }
      }
    }
  }
  std::size_t replies() const {
    std::size_t count = 0;
    for (const auto& ids : messages_) count += ids.size();
    return count;
  }

  testing::ScratchDir dir_;
  bool sync_completions_ = true;
  PosixFileOps real_;
  SystemClock clock_;
  EventLoop loop_{clock_};
  zmq::context_t context_;
  ShardSettings settings_;
  ExpirySweep::Options expiry_;
  SwarmStore store_;
  ShardService service_{0, 1, store_, 42};
  std::unique_ptr<ShardPersistence> persistence_;
  zmq::socket_t client_{context_, zmq::socket_type::dealer};
  std::unique_ptr<ShardServer> server_;      // after what it uses: destroyed first
  std::optional<ExpiryTimer> expiry_timer_;  // uses the server's GroupCommit: destroyed before it
  std::vector<std::vector<std::uint64_t>> messages_;
  std::map<std::uint64_t, std::string> failures_;
};

TEST_F(ShardServerTest, ACompletionsReplyComesAfterTheSyncInAMessageOfItsOwn) {
  Start(real_);
  Send({Announce(1, 1, proto::EVENT_STARTED, 100), Announce(2, 2, proto::EVENT_COMPLETED, 0),
        Announce(3, 3, proto::EVENT_NONE, 100)});
  TurnUntil([&] { return replies() == 3; });
  ASSERT_EQ(messages_.size(), 2u);
  EXPECT_EQ(messages_[0], (std::vector<std::uint64_t>{1, 3}));  // at once, in request order
  EXPECT_EQ(messages_[1], (std::vector<std::uint64_t>{2}));     // after the sync
  for (const auto& [id, failure] : failures_) EXPECT_EQ(failure, "") << id;
  EXPECT_EQ(persistence_->stats().syncs, 1u);
  EXPECT_FALSE(persistence_->NeedsSync());
}

TEST_F(ShardServerTest, WithoutSyncCompletionsACompletionsReplyGoesOutOnceWritten) {
  sync_completions_ = false;
  Start(real_);
  Send({Announce(1, 1, proto::EVENT_STARTED, 100), Announce(2, 2, proto::EVENT_COMPLETED, 0)});
  TurnUntil([&] { return replies() == 2; });
  ASSERT_EQ(replies(), 2u);
  for (const auto& [id, failure] : failures_) EXPECT_EQ(failure, "") << id;
  EXPECT_EQ(persistence_->stats().syncs, 0u);
  EXPECT_EQ(persistence_->stats().commits, 1u);  // written before any reply
  EXPECT_FALSE(persistence_->NeedsSync());
}

TEST_F(ShardServerTest, ABatchWithoutCompletionsNeedsNoSync) {
  Start(real_);
  Send({Announce(1, 1, proto::EVENT_STARTED, 100), Announce(2, 2, proto::EVENT_STARTED, 0)});
  TurnUntil([&] { return replies() == 2; });
  ASSERT_EQ(messages_.size(), 1u);
  EXPECT_EQ(persistence_->stats().syncs, 0u);
}

TEST_F(ShardServerTest, AFailedSyncSendsNoCompletionReplyAndStopsTheShard) {
  FaultyFileOps faulty(real_);
  Start(faulty);
  faulty.FailNth(FaultyFileOps::Op::kSync, 1);
  Send({Announce(1, 1, proto::EVENT_STARTED, 100), Announce(2, 2, proto::EVENT_COMPLETED, 0)});
  TurnUntil([&] { return server_->commit_failed(); });
  ASSERT_TRUE(server_->commit_failed());
  TurnUntil([] { return false; }, 20);  // nothing more may arrive
  EXPECT_EQ(messages_, (std::vector<std::vector<std::uint64_t>>{{1}}));
}

// A member's credited completion is in the accounting's credit log (the TurnLog), which is synced
// with the journal before the reply, so a power loss does not take it from the member either.
class ShardServerCreditLogTest : public ShardServerTest {
 protected:
  static constexpr const char* kPasskey = "alicealicealicealicealicealiceal";
  ~ShardServerCreditLogTest() override {  // before the flusher it uses
    expiry_timer_.reset();
    server_.reset();
  }
  // Start() over `ops`, with an accounting over `ops` too.
  void StartCrediting(FileOps& ops) {
    Start(ops);
    flusher_.emplace(loop_, ops, accounting_, ledger_);
    service_.SetCredits(&*flusher_);
    server_->SetTurnLog(&*flusher_);
  }
  static proto::Request Member(proto::Request request) {
    request.mutable_announce()->set_passkey(kPasskey);
    return request;
  }
  FaultyFileOps files_{real_};
  TransferLedger ledger_{{1, 2}, 2700};
  const AccountingFlusher::Options accounting_{dir_.File("accounting"), 0, 1};
  std::optional<AccountingFlusher> flusher_;
};

TEST_F(ShardServerCreditLogTest, ACompletionsReplyWaitsForTheCreditLogsSyncToo) {
  StartCrediting(files_);
  const int syncs = files_.calls(FaultyFileOps::Op::kSync);
  const int directory_syncs = files_.calls(FaultyFileOps::Op::kSyncDir);
  Send({Member(Announce(1, 1, proto::EVENT_STARTED, 100))});
  TurnUntil([&] { return replies() == 1; });
  EXPECT_EQ(files_.calls(FaultyFileOps::Op::kSync), syncs) << "no completion: nothing synced";
  Send({Member(Announce(2, 2, proto::EVENT_COMPLETED, 0))});
  TurnUntil([&] { return replies() == 2; });
  ASSERT_EQ(replies(), 2u);
  EXPECT_EQ(files_.calls(FaultyFileOps::Op::kSync), syncs + 2);  // the journal and the log
  EXPECT_EQ(files_.calls(FaultyFileOps::Op::kSyncDir), directory_syncs + 2) << "a new log's entry";
  EXPECT_EQ(persistence_->stats().syncs, 1u);
  EXPECT_EQ(flusher_->counters().log_failures, 0u);
}

TEST_F(ShardServerCreditLogTest, WithoutSyncCompletionsNeitherIsSynced) {
  sync_completions_ = false;
  StartCrediting(files_);
  const int syncs = files_.calls(FaultyFileOps::Op::kSync);
  Send({Member(Announce(1, 1, proto::EVENT_COMPLETED, 0))});
  TurnUntil([&] { return replies() == 1; });
  ASSERT_EQ(replies(), 1u);
  EXPECT_EQ(files_.calls(FaultyFileOps::Op::kSync), syncs);
  EXPECT_EQ(ledger_.TotalsOf(kPasskey, *InfoHash::FromRaw(std::string(20, 't'))).announces, 1u);
}

TEST_F(ShardServerCreditLogTest, ACreditLogSyncThatFailsIsCountedAndTheCompletionStillAnswered) {
  StartCrediting(files_);
  files_.FailNth(FaultyFileOps::Op::kSync, 1);  // the log's, before the journal's
  Send({Member(Announce(1, 1, proto::EVENT_COMPLETED, 0))});
  TurnUntil([&] { return replies() == 1; });
  ASSERT_EQ(replies(), 1u);
  EXPECT_EQ(failures_[1], "");
  EXPECT_EQ(flusher_->counters().log_failures, 1u);
  EXPECT_FALSE(server_->commit_failed());
  EXPECT_EQ(persistence_->stats().syncs, 1u);
}

// A power loss right after a member's completion was answered: after the restart the swarm still
// counts it (the journal was synced) and so does the member's accounting (the credit log was).
TEST_F(ShardServerCreditLogTest, APowerLossKeepsAnAnsweredCompletionsCountAndItsCredit) {
  PowerLossFileOps power;
  StartCrediting(power);
  Send({Member(Announce(1, 1, proto::EVENT_STARTED, 100))});
  TurnUntil([&] { return replies() == 1; });
  Send({Member(Announce(2, 1, proto::EVENT_COMPLETED, 0))});
  TurnUntil([&] { return replies() == 2; });
  ASSERT_EQ(replies(), 2u);
  expiry_timer_.reset();
  server_.reset();  // the process stops here, writing nothing more, and the power fails
  persistence_.reset();
  flusher_.reset();
  power.PowerLoss();

  SwarmStore restarted;
  ASSERT_TRUE(
      ShardPersistence::Open(real_, {dir_.path(), 0, 1, OnCorrupt::kRefuse, 2700, {}}, 0, restarted)
          .ok());
  const InfoHash torrent = *InfoHash::FromRaw(std::string(20, 't'));
  EXPECT_EQ(restarted.ScrapeOne(torrent).completed, 1u);
  TransferLedger ledger({3, 4}, 2700);
  AccountingFlusher accounting(loop_, real_, accounting_, ledger);
  ASSERT_TRUE(accounting.LoadSavedBaselines({{0, 1, 1}}).ok());  // writes what it replayed
  std::vector<std::string> files;
  ASSERT_TRUE(std::filesystem::exists(accounting_.dir)) << "its entry was synced";
  for (const auto& entry : std::filesystem::directory_iterator(accounting_.dir)) {
    if (entry.path().extension() == ".tsv") files.push_back(entry.path());
  }
  ASSERT_EQ(files.size(), 1u);
  std::ifstream in(files[0]);
  const std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  EXPECT_EQ(text, FormatAccounting({{kPasskey, torrent, {0, 0, 1, 0, 2}}}));
}

// Expiry retires a torrent with no peers left once its retention passed, and the journal must
// say so: when that write fails the shard stops, and a restart finds the count the files hold.
TEST_F(ShardServerTest, ATorrentExpiryRetiredStaysForgottenAfterARestart) {
  expiry_.interval = milliseconds(20);
  expiry_.torrent_retention = 1;
  Start(real_);
  Send({Announce(1, 1, proto::EVENT_COMPLETED, 0)});
  Send({Announce(2, 1, proto::EVENT_STOPPED, 0)});
  TurnUntil([&] { return replies() == 2 && store_.torrents() == 0; }, 1000);  // 1 to 2 s
  ASSERT_EQ(store_.torrents(), 0u);
  EXPECT_EQ(expiry_timer_->stats().torrents_retired, 1u);

  expiry_timer_.reset();
  server_.reset();
  persistence_.reset();
  SwarmStore restarted;
  ASSERT_TRUE(
      ShardPersistence::Open(real_, {dir_.path(), 0, 1, OnCorrupt::kRefuse, 2700, {}}, 0, restarted)
          .ok());
  EXPECT_EQ(restarted.torrents(), 0u);  // its count of 1 was journaled as forgotten
}

TEST_F(ShardServerTest, AFailedWriteOfRetiredTorrentsStopsTheShardAndLosesNoCount) {
  expiry_.interval = milliseconds(20);
  expiry_.torrent_retention = 1;
  FaultyFileOps faulty(real_);
  Start(faulty);
  Send({Announce(1, 1, proto::EVENT_COMPLETED, 0)});
  Send({Announce(2, 1, proto::EVENT_STOPPED, 0)});
  TurnUntil([&] { return replies() == 2; });
  ASSERT_EQ(replies(), 2u);
  faulty.FailNth(FaultyFileOps::Op::kWrite, 1);
  TurnUntil([&] { return server_->commit_failed(); }, 1000);  // retention: 1 to 2 s of wall time
  ASSERT_TRUE(server_->commit_failed());
  EXPECT_EQ(store_.torrents(), 0u);  // retired from the store, not from the files

  expiry_timer_.reset();
  server_.reset();  // the process stops: its lock on the data directory goes
  persistence_.reset();
  SwarmStore restarted;
  ASSERT_TRUE(
      ShardPersistence::Open(real_, {dir_.path(), 0, 1, OnCorrupt::kRefuse, 2700, {}}, 0, restarted)
          .ok());
  EXPECT_EQ(restarted.ScrapeOne(*InfoHash::FromRaw(std::string(20, 't'))).completed, 1u);
}

TEST_F(ShardServerTest, CloseAnswersTheBatchesAlreadyReceived) {
  Start(real_);
  Send({Announce(1, 1, proto::EVENT_STARTED, 10)});
  Send({Announce(2, 2, proto::EVENT_STARTED, 10), Announce(3, 3, proto::EVENT_STOPPED, 10)});
  // No loop turn has read them (inproc: they wait in the server's socket) when the stop comes.
  ASSERT_EQ(server_->batches_handled(), 0u);
  server_->Close();
  TurnUntil([&] { return replies() == 3; }, 50);
  EXPECT_EQ(replies(), 3u);
  EXPECT_EQ(store_.peers(), 2u);
}

TEST_F(ShardServerTest, AfterAFailedJournalWriteCloseTakesNothingMore) {
  FaultyFileOps faulty(real_);
  Start(faulty);
  faulty.FailNth(FaultyFileOps::Op::kWrite, 1);
  Send({Announce(1, 1, proto::EVENT_STARTED, 10)});
  TurnUntil([&] { return server_->commit_failed(); });
  ASSERT_TRUE(server_->commit_failed());
  const std::uint64_t peers = store_.peers();
  Send({Announce(2, 2, proto::EVENT_STARTED, 10)});  // waits in the socket at the stop
  server_->Close();
  EXPECT_EQ(store_.peers(), peers);  // not applied: the final snapshot must not hold it
  EXPECT_EQ(server_->batches_handled(), 1u);
}

// An empty message parses as an empty RequestBatch for shard 0 of 0: it is a stranger's, not a
// misrouted frontend's (whose alert would send the operator to the --shard lists).
TEST_F(ShardServerTest, AnEmptyMessageIsMalformedNotMisrouted) {
  Start(real_);
  client_.send(zmq::buffer("", 0), zmq::send_flags::none);
  TurnUntil([&] { return server_->malformed_messages() == 1; });
  EXPECT_EQ(server_->malformed_messages(), 1u);
  EXPECT_EQ(service_.counters().misrouted_batches, 0u);
  EXPECT_EQ(replies(), 0u);
}

TEST_F(ShardServerTest, CloseAnswersTheCompletionsStillWaiting) {
  Start(real_);
  Send({Announce(1, 1, proto::EVENT_COMPLETED, 0)});
  // One turn handles the batch and starts the sync; Close waits for it and answers.
  TurnUntil([&] { return persistence_->stats().commits == 1; });
  server_->Close();
  TurnUntil([&] { return replies() == 1; }, 50);
  EXPECT_EQ(replies(), 1u);
}

TEST_F(ShardServerTest, ThePeriodicSnapshotIsInstalledWhenItsChildHasExited) {
  settings_.save_dfile_interval = 1;
  Start(real_, /*snapshots=*/true);
  const std::uint64_t generation = persistence_->generation();
  Send({Announce(1, 1, proto::EVENT_COMPLETED, 0)});
  TurnUntil([&] { return replies() == 1; });
  TurnUntil([&] { return persistence_->stats().snapshots == 2; }, 1000);  // 1 at start
  EXPECT_EQ(persistence_->generation(), generation + 1);
  EXPECT_FALSE(persistence_->snapshot_running());
  EXPECT_EQ(persistence_->stats().snapshot_failures, 0u);
}

TEST_F(ShardServerTest, TheSnapshotAndJournalAPeriodicOneRetiresAreClosedOffTheLoop) {
  FaultyFileOps faulty(real_);
  StartWithAPrevToRetire(faulty);
  const int released = faulty.releases();  // the first journal, by the snapshot at the start
  TurnUntil([&] { return faulty.releases() == released + 2; }, 1000);
  ASSERT_EQ(faulty.releases(), released + 2);
  EXPECT_NE(faulty.last_release_thread(), std::this_thread::get_id());
  EXPECT_EQ(persistence_->stats().snapshots, 2u);
}

// A stop writes a final snapshot anyway: a child still running (or stopped with SIGSTOP, which
// waiting for it would wait out for ever) is killed, and leaves no file behind.
TEST_F(ShardServerTest, CloseAbandonsARunningSnapshotForTheFinalOne) {
  settings_.save_dfile_interval = 1;
  Start(real_, /*snapshots=*/true);
  const std::uint64_t generation = persistence_->generation();
  TurnUntil([&] { return persistence_->snapshot_running(); }, 1000);
  ASSERT_TRUE(persistence_->snapshot_running());
  server_->Close();
  EXPECT_FALSE(persistence_->snapshot_running());
  EXPECT_EQ(persistence_->generation(), generation);
  EXPECT_FALSE(real_.Exists(dir_.File("shard-0-of-1.snapshot.tmp")));
}

}  // namespace
}  // namespace shardtrack
