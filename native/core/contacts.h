// Addresses the engine keeps apart from the member table (see docs/protocol.md#healing):
//   seeds  the addresses the user gave to join through (set_seeds), kept for healing;
//   lost   addresses of members removed after they died, the most recent kMaxLost;
//   watch  addresses probed on request (probe_member), the most recent kMaxWatch, so the
//          driver can ask whether an address answered (join).
// For each address: when a packet last came from it (heard_from), as a sequence number of
// the engine's own (heard_clock), never a time, so reads stay deterministic.
// An address can be of several kinds at once. At most kMaxSeeds + kMaxLost + kMaxWatch
// entries; lookups are a binary search over a sorted copy of the keys, rebuilt on change
// (rare: a death, a probe, set_seeds), never per packet.
#pragma once

#include <cstdint>
#include <vector>

#include "core/types.h"

namespace swim {

class Contacts {
 public:
  static constexpr size_t kMaxSeeds = 64;
  static constexpr size_t kMaxLost = 32;
  static constexpr size_t kMaxWatch = 32;
  // kSelf: the address turned out to be ours under another name (an echo of our own probe
  // came from it, e.g. 127.0.0.1 while we announce 10.0.0.5): never probed for healing.
  enum Kind : uint8_t { kSeed = 1, kLost = 2, kWatch = 4, kSelf = 8 };

  struct Entry {
    Addr addr;
    uint8_t kinds = 0;
    uint64_t heard = 0;  // heard_clock when a packet last came from addr; 0: never
    uint64_t stamp = 0;  // recency of its lost/watch kind, for eviction
  };

  // Replaces the seeds (at most kMaxSeeds are kept, first ones win; duplicates merge).
  void set_seeds(const std::vector<Addr>& seeds);
  // addr's member was removed after it died: remember it (evicts the oldest lost one).
  void add_lost(Addr addr);
  // addr was probed on request (evicts the oldest watched one).
  void add_watch(Addr addr);
  // A valid packet came from addr: stamps it if it is a contact. Cheap when empty.
  void heard(Addr addr);
  // Our own packet came back from addr: if it is a contact, it is one of our addresses.
  void mark_self(Addr addr);

  uint64_t heard_from(Addr addr) const;  // 0: never, or not a contact
  uint64_t clock() const { return clock_; }
  // Index of addr's entry, or -1.
  int find(Addr addr) const;
  size_t size() const { return list_.size(); }
  const Entry& at(size_t i) const { return list_[i]; }
  // Entries that heal probes go to: seeds and lost ones.
  size_t heal_targets() const { return heal_targets_; }

  // Self-check for test builds. Empty when fine.
  const char* check() const;

 private:
  static uint64_t key(Addr a) { return (uint64_t{a.ip} << 16) | a.port; }
  Entry& upsert(Addr addr);
  // Adds `kind` to addr's entry as its most recent one, keeping at most `max` of that kind.
  void add_recent(Addr addr, uint8_t kind, size_t max);
  void drop_kind(size_t i, uint8_t kind);
  void evict_oldest(uint8_t kind, size_t max);
  void reindex();

  std::vector<Entry> list_;
  std::vector<uint64_t> sorted_;  // key << 8 | index in list_ (at most 128 entries)
  uint64_t clock_ = 0;
  uint64_t stamp_ = 0;
  size_t heal_targets_ = 0;
};

}  // namespace swim
