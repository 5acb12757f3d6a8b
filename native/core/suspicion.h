// Lifeguard's dynamic suspicion (memberlist's suspicion.go): each member we hold suspected
// has a record of when the suspicion started, at which incarnation, who told us first, and
// up to kMaxConfirmations distinct other members whose gossip has said "suspected" at that
// same incarnation since. The fewer confirmations, the longer the suspicion may last before
// our own missed acks may turn it into a death (timeout() below). Keyed by slot, looked up
// only (no iteration decides anything); Member has MemberFlag::Suspicion while a record
// exists. See docs/protocol.md#lifeguard.
#pragma once

#include <cstdint>
#include <unordered_map>

#include "core/types.h"

namespace swim {

class Suspicions {
 public:
  static constexpr uint32_t kMaxConfirmations = 3;  // K, expected independent confirmations

  struct Entry {
    Incarnation incarnation;
    int64_t start = 0;
    uint64_t from = 0;  // uuid_hash of who told us first; 0: our own missed acks
    uint32_t confirmations = 0;
    uint64_t confirmers[kMaxConfirmations] = {};
  };

  // Starts (or restarts, at a new incarnation) the suspicion of `slot`.
  void start(uint32_t slot, const Incarnation& inc, int64_t now, uint64_t from);
  void end(uint32_t slot) { entries_.erase(slot); }
  const Entry* find(uint32_t slot) const;
  // `who` (a uuid_hash) says the member is suspected at `inc`. True when that is a new
  // confirmation of our suspicion (same incarnation, not its first teller, not seen yet).
  bool confirm(uint32_t slot, const Incarnation& inc, uint64_t who);
  void clear() { entries_.clear(); }
  size_t size() const { return entries_.size(); }
  bool empty() const { return entries_.empty(); }
  bool contains(uint32_t slot) const { return entries_.count(slot) != 0; }

  // memberlist's formula: max(min, max - (max - min) * log(C + 1) / log(K + 1)), C
  // confirmations of K expected: max with none, min once K members confirmed.
  static int64_t timeout(int64_t min, int64_t max, uint32_t confirmations, uint32_t expected);

 private:
  std::unordered_map<uint32_t, Entry> entries_;
};

}  // namespace swim
