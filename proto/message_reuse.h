// Clearing reused messages without keeping a full scrape for good.
//
// Both sides reuse their messages so that a request costs no heap allocation: Clear() empties a
// repeated field but keeps its elements allocated for the next use. A message that once held a
// full scrape (thousands of entries) or an info page's top list would then keep them for the
// life of the process, and each reused slot in turn would come to hold one: memory climbing with
// the number of slots. A message past kMostEntriesKept is let go instead of cleared.
#pragma once

#include "proto/shardtrack.pb.h"

namespace shardtrack {

inline constexpr int kMostEntriesKept = 256;

inline bool HoldsManyEntries(const proto::ScrapeReply& scrape) {
  return scrape.files_size() > kMostEntriesKept;
}
inline bool HoldsManyEntries(const proto::StatsReply& stats) {
  return stats.top_size() > kMostEntriesKept;
}
inline bool HoldsManyEntries(const proto::Reply& reply) {
  return (reply.has_scrape() && HoldsManyEntries(reply.scrape())) ||
         (reply.has_stats() && HoldsManyEntries(reply.stats()));
}
inline bool HoldsManyEntries(const proto::ReplyBatch& batch) {
  for (const proto::Reply& reply : batch.replies()) {
    if (HoldsManyEntries(reply)) return true;
  }
  return false;
}

// A message holding many entries is swapped for a fresh one (the old one freed); true then.
// For a message that parsing clears anyway.
template <typename Message>
bool LetGoIfHoldingMany(Message& message) {
  if (!HoldsManyEntries(message)) return false;
  Message().Swap(&message);
  return true;
}

// Clear(), or for a message holding many entries, a fresh one.
template <typename Message>
void ClearMessageForReuse(Message& message) {
  if (!LetGoIfHoldingMany(message)) message.Clear();
}

}  // namespace shardtrack
