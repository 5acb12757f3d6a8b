#include "core/event_log.h"

namespace swim {

namespace {
// Voided entries are compacted away once there are at least this many and they make up
// half of the log: amortized O(1), and the log stays within twice its pending entries.
constexpr size_t kMinVoidedToCompact = 32;
}  // namespace

void EventLog::record(uint32_t slot, uint32_t mask) {
  if (slot >= entry_of_slot_.size()) entry_of_slot_.resize(size_t(slot) + 1, kNoEntry);
  uint32_t& index = entry_of_slot_[slot];
  if (index == kNoEntry) {
    index = static_cast<uint32_t>(entries_.size());
    entries_.push_back(Entry{slot, static_cast<uint8_t>(mask), Kind::Member});
    ++pending_;
    return;
  }
  entries_[index].mask = static_cast<uint8_t>(entries_[index].mask | mask);
}

uint32_t EventLog::pending_mask(uint32_t slot) const {
  uint32_t index = entry_of(slot);
  return index == kNoEntry ? 0 : entries_[index].mask;
}

MemberSnapshot* EventLog::drop(uint32_t slot) {
  const uint32_t index = entry_of(slot);
  const uint32_t mask = pending_mask(slot) | kEvDrop;
  if (index != kNoEntry) entry_of_slot_[slot] = kNoEntry;
  if (mask & kEvNew) {
    // Added and dropped before anyone saw it: its entry goes, no event at all.
    --pending_;
    if (index + 1 == entries_.size()) {
      entries_.pop_back();
    } else {
      entries_[index].kind = Kind::Void;
      entries_[index].mask = 0;
      if (++voided_ >= kMinVoidedToCompact && voided_ * 2 >= entries_.size()) compact();
    }
    return nullptr;
  }
  const Entry drop_entry{static_cast<uint32_t>(drops_.size()), static_cast<uint8_t>(mask), Kind::Drop};
  drops_.emplace_back();
  if (index != kNoEntry) {
    entries_[index] = drop_entry;  // takes the member's place: still one pending entry
  } else {
    entries_.push_back(drop_entry);
    ++pending_;
  }
  return &drops_.back();
}

void EventLog::compact() {
  size_t kept = 0;
  for (size_t i = 0; i < entries_.size(); ++i) {
    const Entry& e = entries_[i];
    if (e.kind == Kind::Void) continue;
    if (e.kind == Kind::Member) entry_of_slot_[e.ref] = static_cast<uint32_t>(kept);
    entries_[kept++] = e;
  }
  entries_.resize(kept);
  voided_ = 0;
}

const char* EventLog::check(const MemberTable& table) const {
  size_t pending = 0, voided = 0;
  for (size_t i = 0; i < entries_.size(); ++i) {
    const Entry& e = entries_[i];
    switch (e.kind) {
      case Kind::Void:
        ++voided;
        break;
      case Kind::Drop:
        ++pending;
        if (e.ref >= drops_.size() || !(e.mask & kEvDrop)) return "bad drop entry";
        break;
      case Kind::Member:
        ++pending;
        if (e.mask == 0 || (e.mask & kEvDrop)) return "bad member entry mask";
        if (e.ref >= table.capacity() || !table.at(e.ref).live()) return "event entry of a free slot";
        if (entry_of(e.ref) != i) return "slot does not point to its event entry";
        break;
    }
  }
  if (pending != pending_ || voided != voided_) return "event counts mismatch";
  for (uint32_t s = 0; s < entry_of_slot_.size(); ++s) {
    uint32_t i = entry_of_slot_[s];
    if (i == kNoEntry) continue;
    if (i >= entries_.size() || entries_[i].kind != Kind::Member || entries_[i].ref != s)
      return "slot points to a wrong event entry";
  }
  return nullptr;
}

}  // namespace swim
