// The dissemination queue: members whose news is being gossiped, in sending order: the news
// sent the fewest times first (foca's broadcast.rs, memberlist's TransmitLimitedQueue) and,
// among equals, the one that has waited longest (first in, first out, as Tarantool's
// queue), so a queue longer than one packet cannot starve its tail. (Newest first among
// equals, as memberlist, made a 1,000-node chain bootstrap mesh in 63 s instead of 3: the
// first-met members' news kept waiting behind the latest.)
// Two classes, each in that order: urgent news (status changes, refutations, new
// incarnations) and routine news (a member met, a payload), urgent first: a bootstrap queues
// one routine item per member met, and a death must not wait behind them. (A flood of
// made-up members going suspected and dead can still fill the news part of every packet;
// the room a message keeps for anti-entropy, messages.cc, is what still carries the real
// members then.) One intrusive list per transmission count (Member::diss_sent), linked through
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

  // (Re)queues the member as fresh news: no transmissions yet, last of its class.
  // `routine`: sent after the urgent news; news already queued as urgent stays urgent.
  void push(uint32_t slot, bool routine = false);
  // Unlinks the member, if queued, and zeroes its status TTD and transmissions.
  void remove(uint32_t slot);
  // One more transmission of a queued member's news: it moves behind the less sent.
  void sent(uint32_t slot);

  // The sending order: first() is the next news to send, after(s) the one behind s;
  // kNoSlot at the end. Within a transmission count, oldest (head) first.
  uint32_t first() const { return first_from(0, kBuckets); }
  uint32_t after(uint32_t slot) const;
  // The same within one class: after_in_class(s) stays in the class of s.
  uint32_t first_of(bool routine) const { return routine ? first_from(kCounts, kBuckets) : first_from(0, kCounts); }
  uint32_t after_in_class(uint32_t slot) const;

  // Self-check for test builds: links, flags and TTDs agree. nullptr when fine.
  const char* check() const;

 private:
  static uint32_t bucket_of(const Member& x) {
    uint32_t c = x.diss_sent < kCounts ? x.diss_sent : kCounts - 1;
    return x.has(MemberFlag::RoutineNews) ? kCounts + c : c;
  }
  uint32_t first_from(uint32_t bucket, uint32_t end) const;
  void link(uint32_t slot);
  void unlink(uint32_t slot);

  MemberTable& table_;
  uint32_t head_[kBuckets], tail_[kBuckets];  // oldest (sent next) and newest of each bucket
};

}  // namespace swim
