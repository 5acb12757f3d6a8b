// Members heard of second-hand (dissemination, anti-entropy) and not in the member table:
// the probes the engine owes them. A member is added only once it answers, so every
// unknown UUID gets one probe; the engine paces them (see Engine::Impl::pump_probes).
//
// One FIFO of entries in the order the UUIDs were first heard, split in two parts:
//   [head, sent)  probed, waiting for an answer until their deadline;
//   [sent, end)   waiting for their turn to be probed.
// A UUID has at most one live entry (an open-addressing index, UUID -> entry), so however
// many packets name it, it is probed once per answer window. Entries whose member became
// known are unlinked from the index at once and skipped (stale) when the FIFO reaches them.
// Memory: 32 bytes per entry plus 4-byte index buckets at a load of at most 1/2, bounded by
// the cap the engine passes to push(); both vectors are released when nothing is pending.
// Deterministic: nothing iterates the index.
#pragma once

#include <cstdint>
#include <vector>

#include "core/types.h"

namespace swim {

class ProbeQueue {
 public:
  struct Entry {
    Uuid uuid;           // 16
    uint32_t ip = 0;     // address as first heard
    uint16_t port = 0;
    uint16_t budget = 0;   // most bytes the probe may take (gossip), see Engine::Impl::queue_probe
    int64_t deadline = 0;  // probed entries: until when an answer is awaited
    Addr addr() const {
      Addr a;
      a.ip = ip;
      a.port = port;
      return a;
    }
  };

  // Queues `uuid` unless it already has an entry or `cap` entries are live. True if queued.
  bool push(const Uuid& uuid, Addr addr, size_t cap, uint16_t budget = 0);
  // The member became known (or must not be probed): drop its entry, if any.
  void forget(const Uuid& uuid);
  // Moves the oldest waiting entry to the probed part with `deadline` and returns it
  // (valid until the next call), or nullptr when none waits.
  const Entry* take(int64_t deadline);
  // Drops probed entries whose deadline is at or before `now` (unanswered: a later mention
  // may queue them again). Releases memory once nothing is pending.
  void expire(int64_t now);
  void clear();
  bool contains(const Uuid& uuid) const;
  // Whether `uuid` has an entry that was probed (its answer is awaited).
  bool probed(const Uuid& uuid) const;

  size_t waiting() const { return waiting_; }  // not yet probed
  size_t probed() const { return probed_; }    // probed, answer awaited
  size_t size() const { return waiting_ + probed_; }

  // Self-check for test builds: counts and index agree with the FIFO. Empty when fine.
  const char* check() const;

 private:
  static constexpr uint32_t kEmpty = UINT32_MAX;
  // Index bucket holding uuid's sequence number, or kEmpty's bucket position when absent.
  size_t find_bucket(const Uuid& uuid) const;
  void index_insert(uint32_t seq);
  void index_erase(size_t bucket);
  void grow_index();
  void compact();
  Entry& at(uint32_t seq) { return fifo_[seq - base_]; }
  const Entry& at(uint32_t seq) const { return fifo_[seq - base_]; }
  bool live(uint32_t seq) const;

  std::vector<Entry> fifo_;
  uint32_t base_ = 0;  // sequence number of fifo_[0]; sequence numbers wrap harmlessly
  size_t head_ = 0, sent_ = 0;
  std::vector<uint32_t> index_;  // sequence numbers, kEmpty when free
  size_t waiting_ = 0, probed_ = 0;
};

}  // namespace swim
