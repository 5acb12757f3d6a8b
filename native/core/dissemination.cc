#include "core/dissemination.h"

namespace swim {

DisseminationQueue::DisseminationQueue(MemberTable& table) : table_(table) {
  for (uint32_t b = 0; b < kBuckets; ++b) head_[b] = tail_[b] = kNoSlot;
}

void DisseminationQueue::link(uint32_t slot) {
  Member& x = table_.at(slot);
  uint32_t b = bucket_of(x);
  x.set(MemberFlag::InDissemination, true);
  x.diss_prev = tail_[b];
  x.diss_next = kNoSlot;
  if (tail_[b] != kNoSlot)
    table_.at(tail_[b]).diss_next = slot;
  else
    head_[b] = slot;
  tail_[b] = slot;
}

void DisseminationQueue::unlink(uint32_t slot) {
  Member& x = table_.at(slot);
  uint32_t b = bucket_of(x);
  if (x.diss_prev != kNoSlot)
    table_.at(x.diss_prev).diss_next = x.diss_next;
  else
    head_[b] = x.diss_next;
  if (x.diss_next != kNoSlot)
    table_.at(x.diss_next).diss_prev = x.diss_prev;
  else
    tail_[b] = x.diss_prev;
  x.diss_prev = x.diss_next = kNoSlot;
  x.set(MemberFlag::InDissemination, false);
}

void DisseminationQueue::push(uint32_t slot, bool routine) {
  Member& x = table_.at(slot);
  if (x.has(MemberFlag::InDissemination)) {
    routine = routine && x.has(MemberFlag::RoutineNews);
    unlink(slot);
  }
  x.set(MemberFlag::RoutineNews, routine);
  x.diss_sent = 0;
  x.diss_age = 0;
  link(slot);
}

void DisseminationQueue::remove(uint32_t slot) {
  Member& x = table_.at(slot);
  if (!x.has(MemberFlag::InDissemination)) return;
  unlink(slot);
  x.status_ttd = 0;
  x.diss_sent = 0;
  x.diss_age = 0;
  x.set(MemberFlag::RoutineNews, false);
}

void DisseminationQueue::sent(uint32_t slot) {
  Member& x = table_.at(slot);
  if (!x.has(MemberFlag::InDissemination) || x.diss_sent == UINT8_MAX) return;
  unlink(slot);
  ++x.diss_sent;
  link(slot);
}

uint32_t DisseminationQueue::first_from(uint32_t bucket, uint32_t end) const {
  for (uint32_t b = bucket; b < end; ++b)
    if (head_[b] != kNoSlot) return head_[b];
  return kNoSlot;
}

uint32_t DisseminationQueue::after(uint32_t slot) const {
  const Member& x = table_.at(slot);
  if (x.diss_next != kNoSlot) return x.diss_next;
  return first_from(bucket_of(x) + 1, kBuckets);
}

uint32_t DisseminationQueue::after_in_class(uint32_t slot) const {
  const Member& x = table_.at(slot);
  if (x.diss_next != kNoSlot) return x.diss_next;
  return first_from(bucket_of(x) + 1, x.has(MemberFlag::RoutineNews) ? kBuckets : kCounts);
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
    } else if (x.diss_sent != 0 || x.diss_age != 0 || x.has(MemberFlag::RoutineNews)) {
      return "transmissions without queue";
    }
  }
  uint32_t n = 0;
  for (uint32_t b = 0; b < kBuckets; ++b) {
    uint32_t prev = kNoSlot;
    for (uint32_t s = head_[b]; s != kNoSlot; s = table_.at(s).diss_next) {
      const Member& x = table_.at(s);
      if (!x.live() || !x.has(MemberFlag::InDissemination) || x.diss_prev != prev) return "dissemination list broken";
      if (bucket_of(x) != b) return "dissemination entry in the wrong bucket";
      prev = s;
      if (++n > table_.capacity()) return "dissemination list cycle";
    }
    if (prev != tail_[b]) return "dissemination list incomplete";
  }
  if (n != flagged) return "dissemination list incomplete";
  return nullptr;
}

}  // namespace swim
