// The dissemination queue: members whose news is being gossiped, oldest first. Each round
// step's message carries records from its head. Intrusive through Member::diss_prev and
// diss_next (slot numbers): queueing allocates nothing and a deleted member leaves it in
// O(1). What enters the queue and for how long (the TTDs) are the engine's rules; this
// class only keeps the order.
#pragma once

#include <cstdint>

#include "core/member_table.h"

namespace swim {

class DisseminationQueue {
 public:
  explicit DisseminationQueue(MemberTable& table) : table_(table) {}

  // Appends the member at the tail, unless it is queued already (it keeps its place).
  void push(uint32_t slot);
  // Unlinks the member, if queued, and zeroes its status TTD.
  void remove(uint32_t slot);

  uint32_t head() const { return head_; }  // kNoSlot when empty
  uint32_t next(uint32_t slot) const { return table_.at(slot).diss_next; }
  uint32_t tail() const { return tail_; }  // the newest; kNoSlot when empty
  uint32_t prev(uint32_t slot) const { return table_.at(slot).diss_prev; }

  // Self-check for test builds: links, flags and TTDs agree. nullptr when fine.
  const char* check() const;

 private:
  MemberTable& table_;
  uint32_t head_ = kNoSlot, tail_ = kNoSlot;
};

}  // namespace swim
