// Members waiting for an ack, earliest deadline first, so the engine finds the next ack
// timeout in O(log n). A member waits at most once at a time (MemberFlag::WaitingAck and
// Member::ping_deadline); the binary heap of {deadline, slot} is lazy: an entry is live
// only while its member still waits with exactly that deadline. Answered pings, deleted
// members and reused slots leave stale entries behind, discarded when they reach the top.
#pragma once

#include <cstdint>
#include <vector>

#include "core/member_table.h"

namespace swim {

class AckWaits {
 public:
  explicit AckWaits(MemberTable& table) : table_(table) {}

  // The member waits for an ack until `deadline`, unless it already waits: as Tarantool,
  // a pending deadline is not extended. `sent`: when the awaited ping went out.
  void start(uint32_t slot, int64_t sent, int64_t deadline);
  // Pops the next member whose wait ended at or before `now`, clears its wait and returns
  // its slot (and the wait's `sent` time); kNoSlot when none is due.
  uint32_t pop_expired(int64_t now, int64_t* sent = nullptr);
  // Deadline of the top entry, or INT64_MAX when empty. A stale top only causes an early
  // wake-up that finds nothing to do.
  int64_t next_deadline() const { return heap_.empty() ? INT64_MAX : heap_.front().deadline; }
  // Forgets every wait (quit: no ack matters any more). Members keep their flag.
  void clear() { heap_.clear(); }
  // For checks: whether a live entry exists for this wait.
  bool contains(uint32_t slot, int64_t deadline) const;

 private:
  struct Entry {
    int64_t deadline;
    int64_t sent;
    uint32_t slot;
  };
  // std heap functions build a max-heap; invert for "earliest deadline on top". The slot
  // breaks ties so the order never depends on the heap implementation.
  struct Later {
    bool operator()(const Entry& a, const Entry& b) const {
      return a.deadline != b.deadline ? a.deadline > b.deadline : a.slot > b.slot;
    }
  };

  MemberTable& table_;
  std::vector<Entry> heap_;
};

}  // namespace swim
