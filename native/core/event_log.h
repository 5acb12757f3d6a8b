// Member events not yet delivered to the driver, and the only place they are merged.
//
// Rules:
//  1. A member has at most one pending entry. Changes to a member whose entry is still
//     undelivered merge into it: the event has the union of the mask bits and the state
//     the member has when the event is delivered (the latest).
//  2. A member added and dropped before its entry was delivered (the entry still has
//     kEvNew): no event at all.
//  3. A member dropped after the driver learned of it: a drop event carrying the state the
//     member had last, merged with the bits still pending for it. If a member with the
//     same UUID is added again before delivery, its kEvNew event follows the drop.
//  4. Events are delivered in the order their entries were first created; a drop takes
//     the place of the member's pending entry, if it had one.
// Bounded: at most one pending entry per live member plus one drop entry per member that
// was delivered and then dropped. Entries voided by rule 2 are compacted away once they
// make up half of the log (and number at least 32). Every operation is O(1), amortized:
// the log keeps, per member slot, the index of its pending entry, so a delete never scans.
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include "core/engine.h"
#include "core/member_table.h"

namespace swim {

class EventLog {
 public:
  // Adds `mask` (non-zero) to the member's pending entry, appending one if it has none.
  void record(uint32_t slot, uint32_t mask);
  // The member in `slot` is being deleted. Returns where to write its last state when a
  // drop event is due (valid until the next call), or nullptr when no event is (rule 2).
  // Either way the slot has no pending entry afterwards and may be reused.
  MemberSnapshot* drop(uint32_t slot);
  // Moves every pending event to the end of `out`, oldest first, and empties the log.
  // fill(slot, MemberSnapshot*) writes the current state of a live member.
  template <class Fill>
  void take(std::vector<MemberEvent>* out, Fill fill);

  size_t pending() const { return pending_; }  // events take() would deliver now
  size_t stored() const { return entries_.size(); }  // entries held, voided ones included
  uint32_t pending_mask(uint32_t slot) const;  // the member's undelivered bits, 0 if none

  // Self-check for test builds: slot indexes, entries and counts agree and every member
  // entry names a live member of `table`. nullptr when fine.
  const char* check(const MemberTable& table) const;

 private:
  enum class Kind : uint8_t { Member, Drop, Void };
  struct Entry {
    uint32_t ref;  // Member: the member's slot; Drop: index into drops_; Void: unused
    uint8_t mask;  // EventBits (all fit in 7 bits)
    Kind kind;
  };
  static constexpr uint32_t kNoEntry = UINT32_MAX;

  uint32_t entry_of(uint32_t slot) const { return slot < entry_of_slot_.size() ? entry_of_slot_[slot] : kNoEntry; }
  void compact();

  std::vector<Entry> entries_;
  std::vector<MemberSnapshot> drops_;     // last states of dropped members, for Drop entries
  std::vector<uint32_t> entry_of_slot_;  // index in entries_ of a slot's Member entry, or kNoEntry
  size_t pending_ = 0;                   // Member and Drop entries
  size_t voided_ = 0;                    // Void entries
};

template <class Fill>
void EventLog::take(std::vector<MemberEvent>* out, Fill fill) {
  for (const Entry& e : entries_) {
    if (e.kind == Kind::Void) continue;
    out->emplace_back();
    MemberEvent& ev = out->back();
    ev.mask = e.mask;
    if (e.kind == Kind::Drop) {
      ev.member = std::move(drops_[e.ref]);
    } else {
      fill(e.ref, &ev.member);
      entry_of_slot_[e.ref] = kNoEntry;
    }
  }
  entries_.clear();
  drops_.clear();
  pending_ = voided_ = 0;
}

}  // namespace swim
