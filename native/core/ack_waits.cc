#include "core/ack_waits.h"

#include <algorithm>

namespace swim {

void AckWaits::start(uint32_t slot, int64_t sent, int64_t deadline) {
  Member& x = table_.at(slot);
  if (x.has(MemberFlag::WaitingAck)) return;
  x.set(MemberFlag::WaitingAck, true);
  x.ping_deadline = deadline;
  heap_.push_back(Entry{deadline, sent, slot});
  std::push_heap(heap_.begin(), heap_.end(), Later());
}

uint32_t AckWaits::pop_expired(int64_t now, int64_t* sent) {
  while (!heap_.empty() && heap_.front().deadline <= now) {
    Entry e = heap_.front();
    std::pop_heap(heap_.begin(), heap_.end(), Later());
    heap_.pop_back();
    if (e.slot >= table_.capacity()) continue;
    Member& x = table_.at(e.slot);
    if (!x.live() || !x.has(MemberFlag::WaitingAck) || x.ping_deadline != e.deadline) continue;  // stale
    x.set(MemberFlag::WaitingAck, false);
    if (sent != nullptr) *sent = e.sent;
    return e.slot;
  }
  return kNoSlot;
}

bool AckWaits::contains(uint32_t slot, int64_t deadline) const {
  for (const Entry& e : heap_)
    if (e.slot == slot && e.deadline == deadline) return true;
  return false;
}

}  // namespace swim
