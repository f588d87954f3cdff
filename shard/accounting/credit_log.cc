#include "shard/accounting/credit_log.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <utility>

#include "shard/persistence/byte_codec.h"
#include "shard/persistence/record_framing.h"

namespace shardtrack {
namespace {

constexpr std::string_view kMagic = "STCRED";
constexpr std::uint16_t kVersion = 1;
constexpr std::uint8_t kSeeder = 1;
constexpr std::uint8_t kIpv6 = 2;
constexpr std::uint8_t kCompletionCounted = 4;
constexpr std::uint8_t kFollowed = 8;
constexpr std::uint8_t kRefused = 16;

std::optional<CreditedAnnounce> Decode(std::string_view fields) {
  ByteReader in(fields);
  CreditedAnnounce out;
  const auto info_hash = InfoHash::FromRaw(in.Bytes(InfoHash::kSize));
  const auto peer_id = PeerId::FromRaw(in.Bytes(PeerId::kSize));
  out.uploaded = in.U64();
  out.downloaded = in.U64();
  out.now = in.I64();
  const std::uint8_t event = in.U8();
  const std::uint8_t flags = in.U8();
  if (!in.ok() || !info_hash || !peer_id || !proto::Event_IsValid(event) ||
      (flags & ~(kSeeder | kIpv6 | kCompletionCounted | kFollowed | kRefused)) != 0 ||
      (flags & kFollowed && flags & kRefused) || in.AtEnd()) {
    return std::nullopt;  // a passkey is never empty
  }
  out.passkey = in.Bytes(in.remaining());
  out.announce.info_hash = *info_hash;
  out.announce.peer_id = *peer_id;
  out.announce.event = static_cast<proto::Event>(event);
  out.announce.seeder = (flags & kSeeder) != 0;
  if ((flags & kIpv6) != 0) out.announce.ip = *IpAddress::Parse("::");  // only the family counts
  out.completion_counted = (flags & kCompletionCounted) != 0;
  if ((flags & kFollowed) != 0) out.new_client = TransferLedger::NewClient::kFollow;
  if ((flags & kRefused) != 0) out.new_client = TransferLedger::NewClient::kRefuse;
  return out;
}

std::uint8_t NewClientFlag(TransferLedger::NewClient new_client) {
  switch (new_client) {
    case TransferLedger::NewClient::kFollow:
      return kFollowed;
    case TransferLedger::NewClient::kRefuse:
      return kRefused;
    case TransferLedger::NewClient::kDecide:
      break;
  }
  return 0;
}

}  // namespace

void AppendCreditLogHeader(std::uint64_t since, std::string& out) {
  AppendPreamble(out, kMagic, kVersion);
  const std::size_t frame = BeginFrame(out, RecordType::kCreditLogHeader);
  ByteWriter(out).U64(since);
  FinishFrame(out, frame);
}

void AppendCreditRecord(const CreditedAnnounce& credited, std::string& out) {
  const PeerAnnounce& announce = credited.announce;
  const std::size_t frame = BeginFrame(out, RecordType::kCreditedAnnounce);
  ByteWriter(out)
      .Bytes(announce.info_hash.view())
      .Bytes(announce.peer_id.view())
      .U64(credited.uploaded)
      .U64(credited.downloaded)
      .I64(credited.now)
      .U8(static_cast<std::uint8_t>(announce.event))
      .U8((announce.seeder ? kSeeder : 0) | (announce.ip.is_v4() ? 0 : kIpv6) |
          (credited.completion_counted ? kCompletionCounted : 0) |
          NewClientFlag(credited.new_client))
      .Bytes(credited.passkey);
  FinishFrame(out, frame);
}

Status ReplayCreditLog(std::string_view file, const ReplayCheck& check, TransferLedger& ledger,
                       ReplayedCredits& counts) {
  if (Status preamble = CheckPreamble(file, kMagic, kVersion); !preamble) return preamble;
  std::uint64_t since = 0;
  const auto read_header = [&since](std::string_view fields) -> Status {
    ByteReader header(fields);
    since = header.U64();
    if (!header.ok() || !header.AtEnd()) return Error{"a malformed header"};
    return OkStatus();
  };
  const auto replay = [&](const FrameCursor::Frame& frame) -> Status {
    const auto logged = frame.type == RecordType::kCreditedAnnounce
                            ? Decode(frame.fields)
                            : std::optional<CreditedAnnounce>{};
    if (!logged) return Error{fmt::format("a malformed record at byte {}", frame.offset)};
    if (!check(logged->announce.info_hash, since)) {
      ++counts.skipped;
      return OkStatus();
    }
    ledger.Record(logged->announce, logged->passkey, logged->uploaded, logged->downloaded,
                  logged->completion_counted, logged->now, logged->new_client);
    ++counts.announces;
    return OkStatus();
  };
  const Status walked = WalkHeadedFile(file, RecordType::kCreditLogHeader, read_header, replay);
  counts.since = since;
  return walked;
}

CreditLog::CreditLog(FileOps& files, std::string accounting_dir, const ShardRun& run,
                     std::uint64_t first_number)
    : files_(files), dir_(std::move(accounting_dir)), run_(run), number_(first_number) {}

Status CreditLog::WriteBuffered() {
  if (buffer_.empty()) return OkStatus();
  const std::string buffered = std::exchange(buffer_, {});
  if (!file_) {
    if (Status created = files_.CreateDir(dir_); !created) return created;
    const NumberedShardFile name{run_.shard, run_.count, number_};
    auto opened = files_.OpenWritable(JoinPath(dir_, name.ToString(kCreditLogSuffix)),
                                      FileOps::OpenMode::kTruncate);
    if (!opened) return Error{opened.error()};
    std::string header;
    AppendCreditLogHeader(run_.since, header);
    if (Status written = (*opened)->Append(header); !written) return written;
    file_ = std::move(*opened);
    new_entry_unsynced_ = true;
  }
  if (unsynced_.empty() || unsynced_.back().second != file_) unsynced_.emplace_back(number_, file_);
  return file_->Append(buffered);
}

std::uint64_t CreditLog::Rotate() {
  file_.reset();
  return number_++;
}

std::function<Status()> CreditLog::PrepareSync() {
  if (unsynced_.empty()) return {};
  return [files = std::exchange(unsynced_, {}), &ops = files_, dir = dir_,
          new_entry = std::exchange(new_entry_unsynced_, false)]() -> Status {
    for (const auto& [number, file] : files) {
      if (Status synced = file->Sync(); !synced) return synced;
    }
    if (!new_entry) return OkStatus();
    // The parent too: the directory may be new (created with the first log).
    Status synced = ops.SyncDir(dir);
    return synced ? ops.SyncDir(ParentOf(dir)) : synced;
  };
}

void CreditLog::Committed(std::uint64_t through) {
  std::erase_if(unsynced_, [through](const auto& file) { return file.first <= through; });
}

Result<ReplayedCredits> ReplayCreditLogs(FileOps& files, const std::string& accounting_dir,
                                         const ShardRun& run, std::uint64_t through,
                                         const ReplayCheck& check, TransferLedger& ledger) {
  auto names = files.ListDir(accounting_dir);
  if (!names) {
    if (!files.Exists(accounting_dir)) return ReplayedCredits{};
    return Error{"cannot list " + accounting_dir + ": " + names.error()};
  }
  std::vector<std::uint64_t> numbers;
  for (const std::string& name : *names) {
    const auto log = ParseCreditLogName(name);
    if (log && log->index == run.shard && log->count == run.count) numbers.push_back(log->number);
  }
  std::sort(numbers.begin(), numbers.end());
  ReplayedCredits out;
  for (const std::uint64_t number : numbers) {
    out.last_number = number;
    if (number <= through) continue;
    const std::string path = JoinPath(
        accounting_dir, NumberedShardFile{run.shard, run.count, number}.ToString(kCreditLogSuffix));
    auto text = files.ReadFile(path);
    Status replayed = text ? ReplayCreditLog(*text, check, ledger, out) : Error{text.error()};
    ++out.files;
    if (!replayed) {
      if (!out.unread.empty()) out.unread += "; ";
      out.unread += path + ": " + replayed.error();
    }
  }
  return out;
}

Status RemoveCreditLogs(FileOps& files, const std::string& accounting_dir,
                        const std::vector<std::string>& names, std::uint32_t shard,
                        std::uint32_t count, std::optional<std::uint64_t> through) {
  bool removed = false;
  for (const std::string& name : names) {
    const auto log = ParseCreditLogName(name);
    if (!log || log->index != shard || log->count != count) continue;
    if (through && log->number > *through) continue;
    if (Status gone = files.Remove(JoinPath(accounting_dir, name)); !gone) return gone;
    removed = true;
  }
  return removed ? files.SyncDir(accounting_dir) : OkStatus();
}

}  // namespace shardtrack
