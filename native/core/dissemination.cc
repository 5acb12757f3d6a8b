#include "core/dissemination.h"

namespace swim {

void DisseminationQueue::push(uint32_t slot) {
  Member& x = table_.at(slot);
  if (x.has(MemberFlag::InDissemination)) return;
  x.set(MemberFlag::InDissemination, true);
  x.diss_prev = tail_;
  x.diss_next = kNoSlot;
  if (tail_ != kNoSlot)
    table_.at(tail_).diss_next = slot;
  else
    head_ = slot;
  tail_ = slot;
}

void DisseminationQueue::remove(uint32_t slot) {
  Member& x = table_.at(slot);
  if (!x.has(MemberFlag::InDissemination)) return;
  if (x.diss_prev != kNoSlot)
    table_.at(x.diss_prev).diss_next = x.diss_next;
  else
    head_ = x.diss_next;
  if (x.diss_next != kNoSlot)
    table_.at(x.diss_next).diss_prev = x.diss_prev;
  else
    tail_ = x.diss_prev;
  x.diss_prev = x.diss_next = kNoSlot;
  x.set(MemberFlag::InDissemination, false);
  x.status_ttd = 0;
}

const char* DisseminationQueue::check() const {
  uint32_t flagged = 0;
  for (uint32_t s = 0; s < table_.capacity(); ++s) {
    const Member& x = table_.at(s);
    if (!x.live()) continue;
    if (x.has(MemberFlag::InDissemination)) {
      ++flagged;
      if (x.status_ttd == 0) return "queued with TTD 0";
    } else if (x.status_ttd != 0) {
      return "TTD without queue";
    }
  }
  uint32_t n = 0, prev = kNoSlot;
  for (uint32_t s = head_; s != kNoSlot; s = table_.at(s).diss_next) {
    const Member& x = table_.at(s);
    if (!x.live() || !x.has(MemberFlag::InDissemination) || x.diss_prev != prev) return "dissemination list broken";
    prev = s;
    if (++n > table_.capacity()) return "dissemination list cycle";
  }
  if (prev != tail_ || n != flagged) return "dissemination list incomplete";
  return nullptr;
}

}  // namespace swim
