// The member table of one engine: compact member records in a slot vector, indexed by UUID
// with an open-addressing hash of slot numbers. Sized for the simulator's worst case
// (2,000 fully meshed engines = 4M records in 1 GiB): one record is 72 bytes, the index
// 4 bytes per bucket at a load of at most 1/2, no per-member heap node except a payload.
#pragma once

#include <cstdint>
#include <vector>

#include "core/types.h"

namespace swim {

constexpr uint32_t kNoSlot = UINT32_MAX;

// What a member record is part of, one bit each in Member::flags.
enum class MemberFlag : uint8_t {
  Live = 1u << 0,             // the slot holds a member
  PayloadFresh = 1u << 1,     // payload is known to be the member's newest (may gossip it)
  WaitingAck = 1u << 2,       // a ping is unanswered; ping_deadline is its deadline
  InRound = 1u << 3,          // still to be pinged in the current round
  InDissemination = 1u << 4,  // in the dissemination queue (diss_prev/diss_next are valid)
  Confirmed = 1u << 5,        // answered a ping of ours at its current address: gets full acks
  Suspicion = 1u << 6,        // has a record in Engine::Impl::suspicions (lifeguard.cc)
  RoutineNews = 1u << 7,      // queued news is routine (a member met, a payload): sent after the rest
};

struct Member {
  Uuid uuid;                   // 16
  Incarnation incarnation;     // 16
  int64_t ping_deadline = 0;   // 8, valid with MemberFlag::WaitingAck
  uint8_t* payload = nullptr;  // 8, malloc'ed, only when payload_size > 0
  uint32_t diss_prev = kNoSlot;  // dissemination queue links (slot numbers)
  uint32_t diss_next = kNoSlot;
  uint32_t ip = 0;  // address, kept unpacked (an Addr would pad to 8 bytes)
  uint16_t port = 0;
  uint16_t payload_size = 0;
  uint16_t payload_ttd = 0;  // payload is disseminated while > 0
  uint8_t status_ttd = 0;    // member is in the dissemination queue while > 0
  Status status = Status::Alive;
  uint8_t unacked = 0;  // pings unanswered in the current status
  uint8_t flags = 0;    // MemberFlag bits
  uint8_t diss_sent = 0;  // transmissions of the news being disseminated (its queue bucket)
  uint8_t diss_age = 0;   // round steps the news has been queued

  Addr addr() const {
    Addr a;
    a.ip = ip;
    a.port = port;
    return a;
  }
  void set_addr(Addr a) {
    ip = a.ip;
    port = a.port;
  }
  bool live() const { return has(MemberFlag::Live); }
  bool has(MemberFlag f) const { return (flags & static_cast<uint8_t>(f)) != 0; }
  void set(MemberFlag f, bool on) {
    const uint8_t bit = static_cast<uint8_t>(f);
    flags = on ? static_cast<uint8_t>(flags | bit) : static_cast<uint8_t>(flags & ~bit);
  }
};

class MemberTable {
 public:
  MemberTable() = default;
  ~MemberTable();
  MemberTable(const MemberTable&) = delete;
  MemberTable& operator=(const MemberTable&) = delete;

  uint32_t find(const Uuid& uuid) const;
  // Cache hints for a batch of lookups (no effect on the table): prefetch_index() brings
  // in the uuid's home bucket; prefetch_record(), once that bucket is in, the record it
  // names. A datagram names ~25 members at random slots of a big table: issued for the
  // whole batch first, their memory latencies overlap instead of adding up.
  void prefetch_index(const Uuid& uuid) const {
    if (!index_.empty()) __builtin_prefetch(&index_[uuid_hash(uuid) & (index_.size() - 1)]);
  }
  void prefetch_record(const Uuid& uuid) const {
    if (index_.empty()) return;
    uint32_t s = index_[uuid_hash(uuid) & (index_.size() - 1)];
    if (s != kNoSlot) __builtin_prefetch(&slots_[s]);
  }
  // Inserts a fresh record (live, everything else default); the UUID must be absent.
  uint32_t insert(const Uuid& uuid);
  // Frees the payload and the slot; the slot number may be reused by a later insert.
  void erase(uint32_t slot);

  Member& at(uint32_t slot) { return slots_[slot]; }
  const Member& at(uint32_t slot) const { return slots_[slot]; }
  // Number of slots, live or free: iterate 0..capacity() and test live().
  uint32_t capacity() const { return static_cast<uint32_t>(slots_.size()); }
  uint32_t size() const { return size_; }

  // Replace a member's payload (size 0 frees it). False when out of memory (nothing changes).
  static bool set_payload(Member& m, const uint8_t* data, size_t size);

 private:
  void grow_index();
  void index_insert(uint32_t slot);

  std::vector<Member> slots_;
  std::vector<uint32_t> free_;    // free slot numbers, reused LIFO
  std::vector<uint32_t> index_;   // buckets of slot numbers, kNoSlot when empty
  uint32_t size_ = 0;
};

}  // namespace swim
