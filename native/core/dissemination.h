// The dissemination queue: members whose news is being gossiped, in sending order: the news
// sent the fewest times first and, among equals, the newest first (foca's broadcast.rs,
// memberlist's TransmitLimitedQueue), so a queue longer than one packet cannot starve its
// tail. Routine news (a member met, a payload) comes after all the rest (status changes,
// refutations, new incarnations): a bootstrap queues one item per member met, and a death
// must not wait behind them. One intrusive list per transmission count (Member::diss_sent), linked through
// Member::diss_prev and diss_next (slot numbers, oldest to newest): queueing allocates
// nothing, a deleted member leaves in O(1), and walking the sending order costs O(records
// walked + buckets). What enters the queue, what counts as a transmission and for how long
// news stays (the TTDs) are the engine's rules; this class keeps the order.
#pragma once

#include <cstdint>

#include "core/member_table.h"

namespace swim {

class DisseminationQueue {
 public:
  // Transmission counts kept apart, per class; more are counted in the last bucket. News
  // leaves the queue after its TTD (ceil(log2 N) + 1 <= 33) transmissions.
  static constexpr uint32_t kCounts = 36;
  static constexpr uint32_t kBuckets = 2 * kCounts;  // urgent ones, then routine ones

  explicit DisseminationQueue(MemberTable& table);

  // (Re)queues the member as fresh news: no transmissions yet, newest of its class.
  // `routine`: sent after the urgent news; news already queued as urgent stays urgent.
  void push(uint32_t slot, bool routine = false);
  // Unlinks the member, if queued, and zeroes its status TTD and transmissions.
  void remove(uint32_t slot);
  // One more transmission of a queued member's news: it moves behind the less sent.
  void sent(uint32_t slot);

  // The sending order: first() is the next news to send, after(s) the one behind s;
  // kNoSlot at the end.
  uint32_t first() const { return first_from(0); }
  uint32_t after(uint32_t slot) const;

  // Self-check for test builds: links, flags and TTDs agree. nullptr when fine.
  const char* check() const;

 private:
  static uint32_t bucket_of(const Member& x) {
    uint32_t c = x.diss_sent < kCounts ? x.diss_sent : kCounts - 1;
    return x.has(MemberFlag::RoutineNews) ? kCounts + c : c;
  }
  uint32_t first_from(uint32_t bucket) const;
  void link(uint32_t slot);
  void unlink(uint32_t slot);

  MemberTable& table_;
  uint32_t head_[kBuckets], tail_[kBuckets];  // oldest and newest of each bucket
};

}  // namespace swim
