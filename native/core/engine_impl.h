// The engine's state, private to the core and shared by the files that implement it:
//   engine.cc             the public Engine: command checks, configure, quit, outputs, reads
//   membership.cc         merging news about members (upsert, refutation, payloads, drops)
//                         and the paced probes of members heard of second-hand
//   failure_detection.cc  rounds, ack timeouts, indirect pings, suspicion, death, gc, TTDs
//   messages.cc           building and sending packets; routing and dispatching received ones
//   engine_checks.cc      internal invariants, verified after every entry point in test builds
// Containers with rules of their own live apart: DisseminationQueue, AckWaits, EventLog,
// ProbeQueue, MemberTable.
#pragma once

#include <cstdint>
#include <vector>

#include "core/ack_waits.h"
#include "core/awareness.h"
#include "core/codec.h"
#include "core/contacts.h"
#include "core/dissemination.h"
#include "core/engine.h"
#include "core/event_log.h"
#include "core/member_table.h"
#include "core/probe_queue.h"
#include "core/rng.h"
#include "core/sampler.h"
#include "core/suspicion.h"

namespace swim {

// ceil(log2(n)) + 1: how many round steps a status change is gossiped (Tarantool).
uint8_t status_ttd_for(uint32_t n);

struct Engine::Impl {
  explicit Impl(uint64_t seed) : rng(seed), waits(table), dissemination(table) {}

  Rng rng;  // every random choice: shuffles, proxies, anti-entropy start
  MemberTable table;
  uint32_t self = kNoSlot;
  bool quitting = false;
  Time now = 0;  // time of the input being processed
  size_t in_size = 0;  // size of the datagram being processed
  // Bytes the probes queued from that datagram may still take: the probes a datagram
  // causes send at most about what it cost (plus minimal pings), see queue_probe.
  size_t probe_budget = 0;

  // Configuration.
  double heartbeat_s = 1.0;
  Time heartbeat = kSecond;
  double ack_timeout_s = 30.0;
  Time ack_timeout = 30 * kSecond;
  GcMode gc = GcMode::On;
  uint32_t indirect_k = 2;
  bool lifeguard = false;

  // Lifeguard (lifeguard.cc): our local health, the suspicions we hold, when an ack (to any
  // ping of ours) last arrived, and who sent the datagram being processed (uuid_hash; 0
  // outside on_datagram: our own verdicts).
  Awareness awareness;
  Suspicions suspicions;
  Time last_ack_at = INT64_MIN / 2;
  uint64_t gossip_from = 0;
  Sampler sampler;  // indirect-ping proxies, drawn uniformly
  std::vector<Addr> proxies;  // scratch of send_indirect_pings
  uint32_t max_members = kDefaultMaxMembers;

  // Round: a shuffled list of slots, consumed one per step. Entries of members deleted or
  // turned 'left' meanwhile are skipped (their MemberFlag::InRound is clear).
  std::vector<uint32_t> round;
  size_t round_pos = 0;
  Time round_deadline = kNever;  // kNever while alone (idle), as Tarantool stops its timer

  AckWaits waits;
  DisseminationQueue dissemination;
  EventLog events;

  std::vector<Datagram> outbox;
  Stats stats;

  // Unknown members heard of second-hand, each probed once (per answer window) at a paced
  // rate. Tarantool probes once per packet naming them: at bootstrap every packet names
  // ~20 unknown members and each probe's ack names ~20 more, a storm that grows faster
  // than the answers that would end it. probe_tat: when the pacing allows the next probe
  // (theoretical arrival time of a GCRA / leaky bucket, minus the burst allowance).
  ProbeQueue pending;
  Time probe_tat = 0;
  // First contacts (a ping or ack from an unknown UUID that answers no probe of ours) are
  // paced by a second bucket, whose rate grows only with the members that answered us
  // (confirmed), so a flood of made-up senders cannot raise it (docs/protocol.md).
  Time contact_tat = 0;
  uint32_t confirmed = 0;     // members with MemberFlag::Confirmed
  uint32_t evict_cursor = 0;  // where the next search for an evictable member starts

  // Healing (docs/protocol.md#healing): seeds and lost members' addresses, probed one per
  // kHealEvery round steps (all of them when nobody else is alive), and on a timer of
  // their own while the round is idle.
  Contacts contacts;
  uint32_t heal_steps = 0;       // round steps since the last heal probe
  Time heal_deadline = kNever;   // next heal step while the round is idle
  size_t heal_cursor = 0;        // round-robin position in contacts
  std::vector<uint8_t> heal_covered;  // scratch: contacts at the address of a member

  // Other claimants of our UUID, rate-limited (note_conflict).
  std::vector<Conflict> conflicts;
  Addr last_conflict_addr;
  Time last_conflict_at = 0;

  // Anti-entropy (messages.cc): the members whose record changed last, newest first, sent
  // in turn one per packet; the dose of a packet while our view is settled; and when a
  // member last joined, came back to, died in or left our view (unsettled()).
  static constexpr uint32_t kRecent = 4;
  static constexpr uint32_t kQuietDoseMin = 2;
  uint32_t recent[kRecent] = {};
  uint32_t recent_n = 0;
  uint32_t recent_cursor = 0;
  Time view_changed_at = INT64_MIN / 2;

  // Scratch, kept for their capacity.
  Packet in, out;
  std::vector<uint32_t> ae_later;  // members drawn for anti-entropy that nobody vouched for
  std::vector<uint32_t> out_slots;  // slot of each record of out.dissemination (kNoSlot: not queued)
  uint8_t buf[kMaxPacketSize];

  Member& member_at(uint32_t slot) { return table.at(slot); }
  const Member& member_at(uint32_t slot) const { return table.at(slot); }
  Member& self_member() { return table.at(self); }
  bool configured() const { return self != kNoSlot; }
  void snapshot(uint32_t slot, MemberSnapshot* out) const;

  // --- membership.cc: news about members
  void on_update(uint32_t slot, uint32_t mask);
  uint16_t payload_ttd_for() const;
  void apply_payload(uint32_t slot, Bytes p);
  uint32_t new_member(const MemberRecord& def);
  void delete_member(uint32_t slot);
  void update_inc_status(uint32_t slot, Status status, const Incarnation& inc);
  void update_member(uint32_t slot, const MemberRecord& def);
  void update_self_from_gossip(const MemberRecord& def);
  uint32_t upsert(const MemberRecord& def, bool direct);
  // A probe owed to an unknown member (capped queue), taking at most `budget` bytes.
  void queue_probe(const Uuid& uuid, Addr addr, size_t budget);
  void process_members(const std::vector<MemberRecord>& list);
  void process_quit(const Uuid& uuid, const Incarnation& inc);
  bool bump_self_version(uint32_t* mask);
  void set_confirmed(uint32_t slot, bool on);
  // hostile input: admission of members the table does not know
  uint32_t contact_rate() const;
  bool take_contact();
  bool make_room();
  // second-hand probes
  uint32_t probe_rate() const;
  Time probe_interval() const;
  Time probe_ready_at() const;
  void pump_probes();
  // healing and conflicts
  Time heal_period() const;
  void heal_step();
  void send_heal_probe(Addr to);
  void note_conflict(Addr claimant);

  // --- lifeguard.cc: local health, dynamic suspicion (docs/protocol.md#lifeguard)
  Time ack_wait() const;        // ack timeout, stretched by the local health score
  Time round_interval() const;  // heartbeat, likewise
  bool miss_counts(Time sent);  // false: the missed ack is charged to us, not the member
  bool last_resort() const;     // nobody could answer us for long: misses count regardless
  bool may_accuse() const;      // our misses may start a suspicion (not while in doubt)
  void sync_suspicion(uint32_t slot);
  void confirm_suspicions(const Uuid& from, const std::vector<MemberRecord>& list);
  bool suspicion_over(uint32_t slot) const;
  void on_acked(uint32_t slot);

  // --- failure_detection.cc
  void wait_ack(uint32_t slot, bool indirect = false);
  size_t ping_budget(uint32_t slot) const;
  void send_indirect_pings(uint32_t target);
  void check_acks();
  void new_round();
  uint32_t next_round_target();
  void decrease_ttd(bool tick_ttd);
  void round_step();
  bool heal_probed(Addr src) const;
  void process_fd(Addr src, const Uuid& uuid, const FailureDetection& fd, const Addr* proxy);

  // --- messages.cc
  // budget: the most bytes the datagram may take; below what one member record needs, a
  // minimal message (failure detection only). random_start false: anti-entropy starts at a
  // slot that draws nothing from the rng (heal probes), so that they leave the seeded
  // sequence of normal operation alone. buddy: the member a ping is for, whose own record
  // goes first when we suspect it (lifeguard).
  void build_message(FdType type, size_t budget = kMaxPacketSize, bool random_start = true,
                     uint32_t buddy = kNoSlot);
  uint32_t emit(const Packet& p, Addr to, bool broadcast, size_t budget = kMaxPacketSize);
  uint32_t send_fd(FdType type, Addr to, const Addr* proxy, size_t budget = kMaxPacketSize,
                   uint32_t buddy = kNoSlot);
  void count_transmissions(uint32_t fitted);
  uint32_t quiet_dose() const;
  bool unsettled() const;
  void note_recent(uint32_t slot);
  void forget_recent(uint32_t slot);
  bool vouched(uint32_t slot) const;
  bool is_member_addr(Addr a) const;
  void count_drop(uint64_t* counter);
  void on_datagram(const uint8_t* data, size_t size, Addr from);

  // --- engine_checks.cc: aborts with a reason when the state is inconsistent. O(N * waits),
  // so only in test builds (-DSWIM_ENGINE_CHECKS); a no-op otherwise.
#ifdef SWIM_ENGINE_CHECKS
  void check_invariants(const char* where) const;
#else
  void check_invariants(const char*) const {}
#endif
};

}  // namespace swim
