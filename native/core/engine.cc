// The SWIM protocol state machine (see engine.h). Rules follow Tarantool's src/lib/swim
// (rounds, failure detection thresholds, dissemination TTDs, refutation, quit, gc), with
// the differences listed in README ("Protocol core"): exactly k indirect-ping proxies,
// indirect pings from the first missed ack so a broken direct link never raises a suspicion,
// and members heard of second-hand probed once each, at a paced rate (probe_queue.h).
#include "core/engine.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "core/member_table.h"
#include "core/probe_queue.h"
#include "core/rng.h"

namespace swim {

namespace {

// Tarantool's thresholds, counted in pings unanswered within ack_timeout. The counter
// restarts at every status change, so "dead" takes 2 + 3 misses and gc 2 more.
constexpr uint8_t kNoAcksToSuspect = 2;
constexpr uint8_t kNoAcksToDead = 3;
constexpr uint8_t kNoAcksToGc = 2;

// Encoded size of one member record as the codec writes it (Tarantool's fixed-width
// template) and of a payload's key + bin16 header. Used only to pick how many candidate
// records to hand to encode_packet, which does the exact fitting.
constexpr size_t kRecordWireSize = 52;
constexpr size_t kPayloadWireOverhead = 4;
// Meta (17) + body map (1) + source UUID (19) + failure detection (24), plus section headers.
constexpr size_t kMessageOverhead = 17 + 1 + 19 + 24 + 2 * 4;

// Pacing of probes to members heard of second-hand (see pump_probes). Per heartbeat, an
// engine probes at most R = max(kMinProbeRate, kProbeRateFactor * M) of them, M being the
// members it knows plus those it has heard of (an estimate of the cluster size), spread
// evenly over the heartbeat, with up to kProbeBurst at once after a quiet spell (so a
// newcomer is met at once). Each unknown member is probed once, not once per packet naming
// it: a chain bootstrap costs ~N packets per node instead of ~4.4 N, and still meshes in
// about one heartbeat, because R grows with what the engine hears (a backlog of M unknown
// members is probed within 1/kProbeRateFactor of a heartbeat).
constexpr uint32_t kMinProbeRate = 16;
constexpr uint32_t kProbeRateFactor = 4;
constexpr uint32_t kProbeBurst = 16;
// At most max(this, known members) unknown members wait for a probe; more are ignored (a
// later packet names them again). Bounds the memory a flood of made-up UUIDs can take.
constexpr size_t kMinPendingProbes = 512;

constexpr uint32_t kDropEntry = 0x80000000u;  // event queue entry refers to drops, not a slot
constexpr uint32_t kVoidEntry = UINT32_MAX;     // event queue entry cancelled

uint32_t incarnation_diff(const Incarnation& a, const Incarnation& b) {
  if (a == b) return 0;
  uint32_t mask = kEvNewVersion;
  if (a.generation != b.generation) mask |= kEvNewGeneration;
  return mask;
}

bool valid_seconds(double s) { return std::isfinite(s) && s > 0 && s < 1e9; }

Time to_time(double seconds) {
  long long us = std::llround(seconds * static_cast<double>(kSecond));
  return us < 1 ? 1 : static_cast<Time>(us);
}

// ceil(log2(n)) + 1: how many round steps a status change is gossiped (Tarantool).
uint8_t status_ttd_for(uint32_t n) {
  uint32_t bits = 0;
  while (bits < 32 && (uint64_t{1} << bits) < n) ++bits;
  return static_cast<uint8_t>(bits + 1);
}

struct WaitEntry {
  Time deadline;
  uint32_t slot;
};
// std heap functions build a max-heap; invert for "earliest deadline on top". Slot breaks
// ties so the order never depends on the heap implementation.
struct WaitLater {
  bool operator()(const WaitEntry& a, const WaitEntry& b) const {
    return a.deadline != b.deadline ? a.deadline > b.deadline : a.slot > b.slot;
  }
};

}  // namespace

const char* command_error_name(CommandError e) {
  switch (e) {
    case CommandError::Ok: return "ok";
    case CommandError::NotConfigured: return "not_configured";
    case CommandError::BadConfig: return "bad_config";
    case CommandError::UuidInUse: return "uuid_in_use";
    case CommandError::SelfMember: return "self_member";
    case CommandError::DuplicateMember: return "duplicate_member";
    case CommandError::UnknownMember: return "unknown_member";
    case CommandError::PayloadTooLarge: return "payload_too_large";
    case CommandError::BadAddress: return "bad_address";
    case CommandError::Quitting: return "quitting";
    case CommandError::Count_: break;
  }
  return "unknown";
}

struct Engine::Impl {
  explicit Impl(uint64_t seed) : rng(seed) {}

  Rng rng;
  MemberTable table;
  uint32_t self = kNoSlot;
  bool quitting = false;
  Time now = 0;  // time of the input being processed

  // Configuration.
  double heartbeat_s = 1.0;
  Time heartbeat = kSecond;
  double ack_timeout_s = 30.0;
  Time ack_timeout = 30 * kSecond;
  GcMode gc = GcMode::On;
  uint32_t indirect_k = 2;

  // Round: a shuffled list of slots, consumed one per step. Entries of members deleted or
  // turned 'left' meanwhile are skipped (their kMfInRound flag is clear).
  std::vector<uint32_t> round;
  size_t round_pos = 0;
  Time round_deadline = kNever;  // kNever while alone (idle), as Tarantool stops its timer

  // Members waiting for an ack, earliest deadline first. Lazy: an entry is live only while
  // its member still waits with exactly that deadline; others are discarded when popped.
  std::vector<WaitEntry> waits;

  // Dissemination queue, intrusive through Member::diss_prev/diss_next, oldest first.
  uint32_t diss_head = kNoSlot, diss_tail = kNoSlot;

  // Events: slots whose Member::events became non-zero, in that order (one entry per
  // member while undelivered), and snapshots of dropped members.
  std::vector<uint32_t> event_queue;
  std::vector<MemberEvent> drops;
  uint32_t members_with_events = 0;

  std::vector<Datagram> outbox;
  Stats stats;

  // Unknown members heard of second-hand, each probed once (per answer window) at a paced
  // rate. Tarantool probes once per packet naming them: at bootstrap every packet names
  // ~20 unknown members and each probe's ack names ~20 more, a storm that grows faster
  // than the answers that would end it. probe_tat: when the pacing allows the next probe
  // (theoretical arrival time of a GCRA / leaky bucket, minus the burst allowance).
  ProbeQueue pending;
  Time probe_tat = 0;

  // Scratch, kept for their capacity.
  Packet in, out;
  uint8_t buf[kMaxPacketSize];

  // ---------------------------------------------------------------- member helpers

  Member& m(uint32_t slot) { return table.at(slot); }
  Member& me() { return table.at(self); }
  bool configured() const { return self != kNoSlot; }

  void snapshot(uint32_t slot, MemberSnapshot* out) const {
    const Member& x = table.at(slot);
    out->uuid = x.uuid;
    out->addr = x.addr();
    out->status = x.status;
    out->incarnation = x.incarnation;
    out->has_payload = x.payload_size > 0;
    out->payload.assign(x.payload, x.payload + x.payload_size);
    out->is_self = slot == self;
  }

  void diss_push(uint32_t slot) {
    Member& x = m(slot);
    if (x.has(kMfInDissemination)) return;
    x.set(kMfInDissemination, true);
    x.diss_prev = diss_tail;
    x.diss_next = kNoSlot;
    if (diss_tail != kNoSlot)
      m(diss_tail).diss_next = slot;
    else
      diss_head = slot;
    diss_tail = slot;
  }

  void diss_remove(uint32_t slot) {
    Member& x = m(slot);
    if (!x.has(kMfInDissemination)) return;
    if (x.diss_prev != kNoSlot)
      m(x.diss_prev).diss_next = x.diss_next;
    else
      diss_head = x.diss_next;
    if (x.diss_next != kNoSlot)
      m(x.diss_next).diss_prev = x.diss_prev;
    else
      diss_tail = x.diss_prev;
    x.diss_prev = x.diss_next = kNoSlot;
    x.set(kMfInDissemination, false);
    x.status_ttd = 0;
  }

  // Any visible change of a member: gossip it for ceil(log2 N)+1 steps, restart its
  // missed-ack count, and record the event bits for the driver.
  void on_update(uint32_t slot, uint32_t mask) {
    Member& x = m(slot);
    x.unacked = 0;
    x.status_ttd = status_ttd_for(table.size());
    diss_push(slot);
    if (mask == 0) return;
    if (x.events == 0) {
      event_queue.push_back(slot);
      ++members_with_events;
    }
    x.events = static_cast<uint8_t>(x.events | mask);
  }

  uint16_t payload_ttd_for() const {
    return static_cast<uint16_t>(std::min<uint32_t>(table.size(), UINT16_MAX));
  }

  // A payload received with a record allowed to update it (newer incarnation, or ours is
  // stale). An identical payload only becomes fresh again: no event, no new gossip.
  void apply_payload(uint32_t slot, Bytes p) {
    Member& x = m(slot);
    bool same = x.payload_size == p.size && (p.size == 0 || std::memcmp(x.payload, p.data, p.size) == 0);
    if (same) {
      x.set(kMfPayloadFresh, true);
      return;
    }
    if (!MemberTable::set_payload(x, p.data, p.size)) return;  // out of memory: stays stale
    x.set(kMfPayloadFresh, true);
    x.payload_ttd = payload_ttd_for();
    on_update(slot, kEvNewPayload);
  }

  uint32_t new_member(const MemberRecord& def) {
    pending.forget(def.uuid);  // known now: no probe owed
    uint32_t slot = table.insert(def.uuid);
    Member& x = m(slot);
    x.set_addr(def.addr);
    x.status = def.status;
    x.incarnation = def.incarnation;
    on_update(slot, kEvNew);
    if (def.has_payload) apply_payload(slot, def.payload);
    // Tarantool's round timer runs only while there is someone to ping.
    if (round_deadline == kNever && !quitting && table.size() > 1) round_deadline = now + heartbeat;
    return slot;
  }

  void delete_member(uint32_t slot) {
    Member& x = m(slot);
    uint32_t mask = x.events | kEvDrop;
    // A member with undelivered events has an entry in the queue; the drop takes its place
    // (or it is voided), so that once the slot is reused a newcomer with the same UUID is
    // never reported before the drop. Linear, but only over undelivered events.
    uint32_t* entry = nullptr;
    if (x.events != 0) {
      --members_with_events;
      for (size_t i = event_queue.size(); i-- > 0;)
        if (event_queue[i] == slot) {
          entry = &event_queue[i];
          break;
        }
    }
    x.events = 0;
    if (mask & kEvNew) {
      // Added and dropped before anyone saw it: no event at all.
      if (entry != nullptr) *entry = kVoidEntry;
    } else {
      MemberEvent ev;
      ev.mask = mask;
      snapshot(slot, &ev.member);
      drops.push_back(std::move(ev));
      uint32_t drop_entry = kDropEntry | static_cast<uint32_t>(drops.size() - 1);
      if (entry != nullptr)
        *entry = drop_entry;
      else
        event_queue.push_back(drop_entry);
    }
    diss_remove(slot);
    table.erase(slot);
  }

  // {incarnation, status} ordering: newer incarnation wins, equal one lets a bigger status win.
  void update_inc_status(uint32_t slot, Status status, const Incarnation& inc) {
    Member& x = m(slot);
    int cmp = incarnation_cmp(x.incarnation, inc);
    if (cmp < 0) {
      uint32_t mask = incarnation_diff(x.incarnation, inc);
      if (x.status != status) {
        mask |= kEvNewStatus;
        x.status = status;
      }
      x.incarnation = inc;
      on_update(slot, mask);
    } else if (cmp == 0 && x.status < status) {
      x.status = status;
      on_update(slot, kEvNewStatus);
    }
  }

  // `def` is not older than the member (checked by the caller).
  void update_member(uint32_t slot, const MemberRecord& def) {
    int cmp = incarnation_cmp(def.incarnation, m(slot).incarnation);
    if (cmp > 0) {
      if (def.addr != m(slot).addr()) {
        m(slot).set_addr(def.addr);
        on_update(slot, kEvNewUri);
      }
      if (def.has_payload)
        apply_payload(slot, def.payload);
      else
        // A newer incarnation without payload: ours may be outdated; stop gossiping it.
        m(slot).set(kMfPayloadFresh, false);
    } else if (!m(slot).has(kMfPayloadFresh) && def.has_payload) {
      apply_payload(slot, def.payload);
    }
    update_inc_status(slot, def.status, def.incarnation);
  }

  // News about ourselves from someone else.
  void update_self_from_gossip(const MemberRecord& def) {
    Member& s = me();
    int cmp = incarnation_cmp(def.incarnation, s.incarnation);
    uint32_t mask = 0;
    if (cmp > 0) {
      // We restarted and lost our version; others know a bigger one. Adopt it.
      mask |= incarnation_diff(s.incarnation, def.incarnation);
      s.incarnation = def.incarnation;
    }
    if (cmp >= 0 && def.status != Status::Alive) {
      // Refute a rumour that we are not alive with a newer incarnation.
      ++s.incarnation.version;
      mask |= kEvNewVersion;
    }
    if (mask != 0) on_update(self, mask);
  }

  // ---------------------------------------------------------------- second-hand probes

  uint32_t probe_rate() const {
    size_t r = (table.size() + pending.size()) * kProbeRateFactor;
    return static_cast<uint32_t>(std::min<size_t>(std::max<size_t>(r, kMinProbeRate), UINT32_MAX));
  }

  Time probe_interval() const {
    Time i = heartbeat / probe_rate();
    return i < 1 ? 1 : i;
  }

  // Earliest time the pacing lets the next second-hand probe go.
  Time probe_ready_at() const { return probe_tat - (kProbeBurst - 1) * probe_interval(); }

  // Sends the waiting probes the pacing allows now; forgets probes left unanswered.
  void pump_probes() {
    // A probe is awaited for an ack timeout, at most a heartbeat: as the ping cache it
    // replaces, an unknown member is probed at most once per heartbeat.
    pending.expire(now);
    if (pending.waiting() == 0 || quitting) return;
    Time window = std::min(ack_timeout, heartbeat);
    while (pending.waiting() > 0 && probe_ready_at() <= now) {
      const ProbeQueue::Entry* e = pending.take(now + window);
      if (e == nullptr) break;
      probe_tat = std::max(probe_tat, now) + probe_interval();
      send_fd(FdType::Ping, e->addr(), nullptr);
      ++stats.pings_sent;
    }
  }

  // Tarantool's swim_upsert_member. Returns the member's slot, or kNoSlot when nothing is
  // known about it afterwards or the news was too old.
  uint32_t upsert(const MemberRecord& def, bool direct) {
    uint32_t slot = table.find(def.uuid);
    if (slot == kNoSlot) {
      // Never resurrect left members, nor dead ones once gc could have removed them:
      // such 'ghosts' would circulate in anti-entropy forever.
      if (def.status == Status::Left || (def.status == Status::Dead && gc == GcMode::On)) return kNoSlot;
      // Second-hand news of a live member: it may be gone already. Ask it; it is added
      // when it answers (its ack is direct).
      if (def.status < Status::Dead && !direct) {
        pending.push(def.uuid, def.addr, std::max<size_t>(kMinPendingProbes, table.size()));
        return kNoSlot;
      }
      return new_member(def);
    }
    if (slot == self) {
      update_self_from_gossip(def);
      return slot;
    }
    if (incarnation_cmp(def.incarnation, m(slot).incarnation) < 0) return kNoSlot;
    update_member(slot, def);
    return slot;
  }

  // ---------------------------------------------------------------- output

  void add_record(std::vector<MemberRecord>& list, const Member& x, bool with_payload) {
    list.emplace_back();
    MemberRecord& r = list.back();
    r.status = x.status;
    r.addr = x.addr();
    r.uuid = x.uuid;
    r.incarnation = x.incarnation;
    r.has_payload = with_payload;
    r.payload.data = x.payload;
    r.payload.size = x.payload_size;
  }

  static size_t record_size(const Member& x, bool with_payload) {
    return kRecordWireSize + (with_payload ? kPayloadWireOverhead + x.payload_size : 0);
  }

  // Fills `out` with a failure detection message carrying dissemination (queue head first)
  // and anti-entropy (members from a random slot on) up to the packet budget.
  void build_message(FdType type) {
    out.clear();
    out.meta.src = me().addr();
    out.source = me().uuid;
    out.has_failure_detection = true;
    out.failure_detection.type = type;
    out.failure_detection.incarnation = me().incarnation;

    // Hand the codec one candidate more than fits by our estimate; it keeps the exact prefix.
    size_t room = kMaxPacketSize - kMessageOverhead;
    size_t used = 0;
    for (uint32_t s = diss_head; s != kNoSlot && used <= room; s = m(s).diss_next) {
      const Member& x = m(s);
      bool with_payload = x.payload_ttd > 0 && x.has(kMfPayloadFresh);
      add_record(out.dissemination, x, with_payload);
      used += record_size(x, with_payload);
    }
    out.has_dissemination = !out.dissemination.empty();

    uint32_t cap = table.capacity();
    uint32_t start = rng.below(cap);
    for (uint32_t i = 0; i < cap && used <= room; ++i) {
      uint32_t s = start + i < cap ? start + i : start + i - cap;
      const Member& x = m(s);
      if (!x.live()) continue;
      bool with_payload = x.has(kMfPayloadFresh);
      add_record(out.anti_entropy, x, with_payload);
      used += record_size(x, with_payload);
    }
    out.has_anti_entropy = !out.anti_entropy.empty();
  }

  void emit(const Packet& p, Addr to, bool broadcast) {
    EncodeResult r = encode_packet(p, buf, sizeof(buf));
    if (!r.ok) return;  // cannot happen for packets the engine builds
    outbox.emplace_back();
    Datagram& d = outbox.back();
    d.to = to;
    d.broadcast = broadcast;
    d.bytes.assign(buf, buf + r.size);
    ++stats.packets_sent;
    stats.bytes_sent += r.size;
  }

  // A ping or an ack to `to`, directly or through `proxy` (with route meta).
  void send_fd(FdType type, Addr to, const Addr* proxy) {
    build_message(type);
    if (proxy != nullptr) {
      out.meta.has_route = true;
      out.meta.route.src = me().addr();
      out.meta.route.dst = to;
      emit(out, *proxy, false);
    } else {
      emit(out, to, false);
    }
  }

  void wait_ack(uint32_t slot) {
    Member& x = m(slot);
    if (x.has(kMfWaitingAck)) return;  // as Tarantool: a pending deadline is not extended
    x.set(kMfWaitingAck, true);
    x.ping_deadline = now + ack_timeout;
    waits.push_back(WaitEntry{x.ping_deadline, slot});
    std::push_heap(waits.begin(), waits.end(), WaitLater());
  }

  // Pings `target` through up to k distinct random alive members (never self, never the
  // target or anyone at its address). Tarantool means to do this but sends via everyone.
  void send_indirect_pings(uint32_t target) {
    uint32_t cap = table.capacity();
    uint32_t start = rng.below(cap);
    Addr dst = m(target).addr();
    uint32_t sent = 0;
    for (uint32_t i = 0; i < cap && sent < indirect_k; ++i) {
      uint32_t s = start + i < cap ? start + i : start + i - cap;
      const Member& x = m(s);
      if (!x.live() || s == self || s == target || x.status != Status::Alive || x.addr() == dst) continue;
      Addr proxy = x.addr();
      send_fd(FdType::Ping, dst, &proxy);
      ++sent;
    }
    stats.indirect_pings_sent += sent;
  }

  // ---------------------------------------------------------------- timers

  void check_acks() {
    while (!waits.empty() && waits.front().deadline <= now) {
      WaitEntry e = waits.front();
      std::pop_heap(waits.begin(), waits.end(), WaitLater());
      waits.pop_back();
      if (e.slot >= table.capacity()) continue;
      Member& x = m(e.slot);
      if (!x.live() || !x.has(kMfWaitingAck) || x.ping_deadline != e.deadline) continue;  // stale
      x.set(kMfWaitingAck, false);
      if (x.unacked < UINT8_MAX) ++x.unacked;
      ++stats.ack_timeouts;
      uint32_t slot = e.slot;
      switch (x.status) {
        case Status::Alive:
          if (x.unacked >= kNoAcksToSuspect) {
            x.status = Status::Suspected;
            on_update(slot, kEvNewStatus);
          }
          break;
        case Status::Suspected:
          if (x.unacked >= kNoAcksToDead) {
            x.status = Status::Dead;
            on_update(slot, kEvNewStatus);
          }
          break;
        case Status::Dead:
          // Keep a dead member until its death has been gossiped (TTD spent).
          if (x.unacked >= kNoAcksToGc && gc == GcMode::On && !x.has(kMfInDissemination)) {
            delete_member(slot);
            continue;
          }
          break;
        case Status::Left:
          continue;  // never pinged
      }
      // Not dead yet: ask others to reach it too, so a broken direct link alone never
      // produces a suspicion (and a suspicion gets every chance to be refuted).
      if (m(slot).status == Status::Alive || m(slot).status == Status::Suspected) send_indirect_pings(slot);
      send_fd(FdType::Ping, m(slot).addr(), nullptr);
      ++stats.pings_sent;
      wait_ack(slot);
    }
  }

  void new_round() {
    round.clear();
    round_pos = 0;
    for (uint32_t s = 0; s < table.capacity(); ++s) {
      const Member& x = m(s);
      if (x.live() && s != self && x.status != Status::Left) round.push_back(s);
    }
    for (size_t i = round.size(); i > 1; --i) {
      size_t j = rng.below(static_cast<uint32_t>(i));
      std::swap(round[i - 1], round[j]);
    }
    for (uint32_t s : round) m(s).set(kMfInRound, true);
  }

  uint32_t next_round_target() {
    bool refilled = false;
    for (;;) {
      if (round_pos == round.size()) {
        if (refilled) return kNoSlot;
        new_round();
        refilled = true;
        continue;
      }
      uint32_t s = round[round_pos++];
      Member& x = m(s);
      if (!x.live() || !x.has(kMfInRound)) continue;
      x.set(kMfInRound, false);
      if (s != self && x.status != Status::Left) return s;
    }
  }

  // After each round step every queued event has been sent once more (or starved: TTDs
  // tick for the whole queue, as in Tarantool, so old news cannot crowd out new).
  void decrease_ttd() {
    uint32_t s = diss_head;
    while (s != kNoSlot) {
      Member& x = m(s);
      uint32_t next = x.diss_next;
      if (x.payload_ttd > 0) --x.payload_ttd;
      if (x.status_ttd > 0) --x.status_ttd;
      if (x.status_ttd == 0) {
        diss_remove(s);
        // A left member stays only as long as its departure is news.
        if (x.status == Status::Left && s != self) delete_member(s);
      }
      s = next;
    }
  }

  void round_step() {
    if (table.size() <= 1) {
      round_deadline = kNever;  // idle until someone is added
      return;
    }
    round_deadline = now + heartbeat;
    uint32_t target = next_round_target();
    if (target != kNoSlot) {
      send_fd(FdType::Ping, m(target).addr(), nullptr);
      ++stats.pings_sent;
      wait_ack(target);
    }
    // Ticks even with nobody to ping (only left members besides self), or those left
    // members would never expire.
    decrease_ttd();
  }

  // ---------------------------------------------------------------- input

  void process_fd(Addr src, const Uuid& uuid, const FailureDetection& fd, const Addr* proxy) {
    if (fd.type == FdType::Ping)
      ++stats.pings_received;
    else
      ++stats.acks_received;
    MemberRecord def;
    def.status = Status::Alive;
    def.addr = src;
    def.uuid = uuid;
    def.incarnation = fd.incarnation;
    uint32_t slot = upsert(def, true);
    if (slot == kNoSlot) return;  // outdated message: ignore pings and acks alike
    // A message straight from the member at its current incarnation proves it alive,
    // whatever the rumours said.
    if (incarnation_cmp(fd.incarnation, m(slot).incarnation) == 0 && m(slot).status != Status::Alive) {
      m(slot).status = Status::Alive;
      on_update(slot, kEvNewStatus);
    }
    if (fd.type == FdType::Ping) {
      send_fd(FdType::Ack, m(slot).addr(), proxy);
      ++stats.acks_sent;
    } else {
      m(slot).unacked = 0;
      m(slot).set(kMfWaitingAck, false);
    }
  }

  void process_members(const std::vector<MemberRecord>& list) {
    for (const MemberRecord& r : list) upsert(r, false);
  }

  void process_quit(const Uuid& uuid, const Incarnation& inc) {
    uint32_t slot = table.find(uuid);
    if (slot == kNoSlot) return;  // never add a member just to mark it left
    if (slot != self) {
      update_inc_status(slot, Status::Left, inc);
      return;
    }
    // Someone with our UUID quit (we took a spare UUID, or a stale packet): refute.
    Member& s = me();
    if (incarnation_cmp(inc, s.incarnation) >= 0) {
      uint32_t mask = incarnation_diff(s.incarnation, inc) | kEvNewVersion;
      s.incarnation = inc;
      ++s.incarnation.version;
      on_update(self, mask);
    }
  }

  void drop(uint64_t* counter) {
    ++*counter;
    ++stats.packets_dropped;
  }

  void on_datagram(const uint8_t* data, size_t size) {
    ++stats.packets_received;
    stats.bytes_received += size;
    if (!configured() || quitting) return;
    DecodeResult r = decode_packet(data, size, &in);
    if (!r.ok()) {
      drop(&stats.drops[static_cast<size_t>(r.error)]);
      return;
    }
    Addr src = in.meta.src;
    Addr proxy;
    const Addr* via = nullptr;
    if (in.meta.has_route) {
      if (in.meta.route.dst != me().addr()) {
        // Forward only a packet straight from its originator: never a second hop.
        if (in.meta.src != in.meta.route.src) {
          drop(&stats.drops_wrong_destination);
          return;
        }
        in.meta.src = me().addr();  // the receiver answers through us
        emit(in, in.meta.route.dst, false);
        ++stats.indirect_pings_forwarded;
        return;
      }
      src = in.meta.route.src;
      proxy = in.meta.src;
      via = &proxy;
    }
    if (in.source == me().uuid) {
      // Our own UUID: a broadcast echo, or someone who took our UUID. Only its quit
      // matters (refuted); anything else would make us talk to ourselves.
      if (in.has_quit)
        process_quit(in.source, in.quit);
      else
        drop(&stats.drops_self_source);
      return;
    }
    if (in.has_failure_detection) process_fd(src, in.source, in.failure_detection, via);
    if (in.has_dissemination) process_members(in.dissemination);
    if (in.has_anti_entropy) process_members(in.anti_entropy);
    if (in.has_quit) process_quit(in.source, in.quit);
    pump_probes();
  }

  // Internal consistency, checked after every entry point in test builds
  // (-DSWIM_ENGINE_CHECKS); aborts with a reason. O(N * waits): never in production.
  void check_invariants(const char* where) const {
#ifdef SWIM_ENGINE_CHECKS
    auto fail = [where](const char* what) {
      std::fprintf(stderr, "engine invariant broken after %s: %s\n", where, what);
      std::abort();
    };
    uint32_t live = 0, in_diss = 0, with_events = 0;
    for (uint32_t s = 0; s < table.capacity(); ++s) {
      const Member& x = table.at(s);
      if (!x.live()) {
        if (x.flags != 0 || x.payload != nullptr) fail("free slot not clean");
        continue;
      }
      ++live;
      if (table.find(x.uuid) != s) fail("index does not find a member");
      if (x.has(kMfInDissemination)) {
        ++in_diss;
        if (x.status_ttd == 0) fail("queued with TTD 0");
      } else if (x.status_ttd != 0) {
        fail("TTD without queue");
      }
      if (x.events != 0) ++with_events;
      if ((x.payload == nullptr) != (x.payload_size == 0)) fail("payload pointer/size mismatch");
      if (x.has(kMfWaitingAck)) {
        bool found = false;
        for (const WaitEntry& w : waits) found = found || (w.slot == s && w.deadline == x.ping_deadline);
        if (!found && !quitting) fail("waiting without a heap entry");
      }
    }
    if (live != table.size()) fail("size mismatch");
    if (with_events != members_with_events) fail("event count mismatch");
    uint32_t n = 0, prev = kNoSlot;
    for (uint32_t s = diss_head; s != kNoSlot; s = table.at(s).diss_next) {
      const Member& x = table.at(s);
      if (!x.live() || !x.has(kMfInDissemination) || x.diss_prev != prev) fail("dissemination list broken");
      prev = s;
      if (++n > table.capacity()) fail("dissemination list cycle");
    }
    if (prev != diss_tail || n != in_diss) fail("dissemination list incomplete");
    if (const char* bad = pending.check()) fail(bad);
    if (pending.size() > 0)
      for (uint32_t s = 0; s < table.capacity(); ++s)
        if (table.at(s).live() && pending.contains(table.at(s).uuid)) fail("a known member waits for a probe");
    if (quitting && pending.size() != 0) fail("probes pending after quit");
    if (configured()) {
      const Member& me = table.at(self);
      if (!me.live() || !me.has(kMfPayloadFresh)) fail("self missing or stale");
      if (!quitting && me.status != Status::Alive) fail("self not alive");
    }
#else
    (void)where;
#endif
  }
};

// ==================================================================== Engine

Engine::Engine(uint64_t seed) : impl_(new Impl(seed)) {}
Engine::~Engine() = default;

CommandError Engine::configure(const ConfigPatch& cfg, Time now) {
  Impl& e = *impl_;
  if (e.quitting) return CommandError::Quitting;
  e.now = now;
  bool first = !e.configured();
  if (first && (!cfg.has_uri || !cfg.has_uuid)) return CommandError::BadConfig;
  if (cfg.has_uuid && cfg.uuid.is_nil()) return CommandError::BadConfig;
  if (cfg.has_uri && (cfg.uri.ip == 0 || cfg.uri.port == 0)) return CommandError::BadConfig;
  if (cfg.has_heartbeat_rate && !valid_seconds(cfg.heartbeat_rate)) return CommandError::BadConfig;
  if (cfg.has_ack_timeout && !valid_seconds(cfg.ack_timeout)) return CommandError::BadConfig;
  if (cfg.has_gc_mode && cfg.gc_mode != GcMode::On && cfg.gc_mode != GcMode::Off) return CommandError::BadConfig;
  if (cfg.has_indirect_ping_count && (cfg.indirect_ping_count < 1 || cfg.indirect_ping_count > 64))
    return CommandError::BadConfig;
  bool uuid_change = !first && cfg.has_uuid && cfg.uuid != e.me().uuid;
  if (uuid_change && e.table.find(cfg.uuid) != kNoSlot) return CommandError::UuidInUse;

  // Validated: apply.
  if (cfg.has_heartbeat_rate) {
    e.heartbeat_s = cfg.heartbeat_rate;
    e.heartbeat = to_time(cfg.heartbeat_rate);
    if (e.round_deadline != kNever) e.round_deadline = now + e.heartbeat;
  }
  if (cfg.has_ack_timeout) {
    // Pings already waiting keep their deadline, as in Tarantool.
    e.ack_timeout_s = cfg.ack_timeout;
    e.ack_timeout = to_time(cfg.ack_timeout);
  }
  if (cfg.has_gc_mode) e.gc = cfg.gc_mode;
  if (cfg.has_indirect_ping_count) e.indirect_k = cfg.indirect_ping_count;

  if (first) {
    MemberRecord def;
    def.status = Status::Alive;
    def.addr = cfg.uri;
    def.uuid = cfg.uuid;
    def.incarnation.generation = cfg.has_generation ? cfg.generation : 0;
    def.has_payload = true;  // we know our own payload: none
    e.self = e.new_member(def);
    e.check_invariants("configure");
    return CommandError::Ok;
  }
  if (uuid_change) {
    // The old identity stays behind as 'left' so the cluster forgets it; the new one
    // inherits address, incarnation and payload.
    uint32_t old_self = e.self;
    MemberRecord def;
    def.status = Status::Alive;
    def.addr = e.me().addr();
    def.uuid = cfg.uuid;
    def.incarnation = e.me().incarnation;
    def.has_payload = true;
    def.payload.data = e.me().payload;
    def.payload.size = e.me().payload_size;
    uint32_t slot = e.new_member(def);
    e.m(old_self).status = Status::Left;
    e.on_update(old_self, kEvNewStatus);
    e.self = slot;
  }
  if (cfg.has_uri && cfg.uri != e.me().addr()) {
    // A new incarnation makes the new address beat the old one everywhere.
    ++e.me().incarnation.version;
    e.me().set_addr(cfg.uri);
    e.on_update(e.self, kEvNewVersion | kEvNewUri);
  }
  impl_->check_invariants("configure");
  return CommandError::Ok;
}

CommandError Engine::add_member(Addr uri, const Uuid& uuid, Time now) {
  Impl& e = *impl_;
  if (e.quitting) return CommandError::Quitting;
  if (!e.configured()) return CommandError::NotConfigured;
  if (uri.ip == 0 || uri.port == 0) return CommandError::BadAddress;
  if (uuid.is_nil()) return CommandError::BadConfig;
  e.now = now;
  uint32_t slot = e.table.find(uuid);
  if (slot == e.self) return CommandError::SelfMember;
  if (slot != kNoSlot) return CommandError::DuplicateMember;
  MemberRecord def;
  def.status = Status::Alive;
  def.addr = uri;
  def.uuid = uuid;
  e.new_member(def);  // incarnation 0.0, payload unknown until heard
  impl_->check_invariants("add_member");
  return CommandError::Ok;
}

CommandError Engine::remove_member(const Uuid& uuid, Time now) {
  Impl& e = *impl_;
  if (e.quitting) return CommandError::Quitting;
  if (!e.configured()) return CommandError::NotConfigured;
  e.now = now;
  uint32_t slot = e.table.find(uuid);
  if (slot == kNoSlot) return CommandError::UnknownMember;
  if (slot == e.self) return CommandError::SelfMember;
  e.delete_member(slot);
  impl_->check_invariants("remove_member");
  return CommandError::Ok;
}

CommandError Engine::probe_member(Addr uri, Time now) {
  Impl& e = *impl_;
  if (e.quitting) return CommandError::Quitting;
  if (!e.configured()) return CommandError::NotConfigured;
  if (uri.ip == 0 || uri.port == 0) return CommandError::BadAddress;
  e.now = now;
  e.send_fd(FdType::Ping, uri, nullptr);
  ++e.stats.pings_sent;
  impl_->check_invariants("probe_member");
  return CommandError::Ok;
}

CommandError Engine::broadcast(uint16_t port, Time now) {
  Impl& e = *impl_;
  if (e.quitting) return CommandError::Quitting;
  if (!e.configured()) return CommandError::NotConfigured;
  e.now = now;
  if (port == 0) port = e.me().addr().port;  // same port as ours: the usual deployment
  e.build_message(FdType::Ping);
  Addr to;
  to.ip = 0xffffffffu;
  to.port = port;
  e.emit(e.out, to, true);
  ++e.stats.pings_sent;
  impl_->check_invariants("broadcast");
  return CommandError::Ok;
}

CommandError Engine::set_payload(const uint8_t* data, size_t size, bool present, Time now) {
  Impl& e = *impl_;
  if (e.quitting) return CommandError::Quitting;
  if (!e.configured()) return CommandError::NotConfigured;
  if (present && size > kMaxPayloadSize) return CommandError::PayloadTooLarge;
  if (present && size > 0 && data == nullptr) return CommandError::BadConfig;
  e.now = now;
  if (!present) size = 0;  // as Tarantool: an empty payload is no payload
  uint32_t mask = kEvNewVersion;
  Member& s = e.me();
  if (size > 0 || s.payload_size > 0) {
    if (!MemberTable::set_payload(s, data, size)) return CommandError::PayloadTooLarge;
    s.payload_ttd = e.payload_ttd_for();
    mask |= kEvNewPayload;
  }
  s.set(kMfPayloadFresh, true);
  ++s.incarnation.version;
  e.on_update(e.self, mask);
  impl_->check_invariants("set_payload");
  return CommandError::Ok;
}

CommandError Engine::quit(Time now) {
  Impl& e = *impl_;
  if (e.quitting) return CommandError::Quitting;
  if (!e.configured()) return CommandError::NotConfigured;
  e.now = now;
  Packet& p = e.out;
  p.clear();
  p.meta.src = e.me().addr();
  p.source = e.me().uuid;
  p.has_quit = true;
  p.quit = e.me().incarnation;
  for (uint32_t s = 0; s < e.table.capacity(); ++s) {
    const Member& x = e.m(s);
    if (x.live() && s != e.self && x.status != Status::Left) e.emit(p, x.addr(), false);
  }
  e.me().status = Status::Left;
  e.quitting = true;
  e.round_deadline = kNever;
  e.waits.clear();
  e.pending.clear();
  impl_->check_invariants("quit");
  return CommandError::Ok;
}

void Engine::on_datagram(const uint8_t* data, size_t size, Addr from, Time now) {
  (void)from;  // the meta source is authoritative (it is encrypted when UDP headers are not)
  impl_->now = now;
  impl_->on_datagram(data, size);
  impl_->check_invariants("on_datagram");
}

void Engine::on_timer(Time now) {
  Impl& e = *impl_;
  if (!e.configured() || e.quitting) return;
  e.now = now;
  e.check_acks();
  if (e.round_deadline <= now) e.round_step();
  e.pump_probes();
  e.check_invariants("on_timer");
}

Time Engine::next_deadline() const {
  const Impl& e = *impl_;
  if (!e.configured() || e.quitting) return kNever;
  Time t = e.round_deadline;
  if (!e.waits.empty() && e.waits.front().deadline < t) t = e.waits.front().deadline;
  if (e.pending.waiting() > 0) t = std::min(t, std::max(e.probe_ready_at(), e.now));
  return t;
}

void Engine::take_outbox(std::vector<Datagram>* out) {
  Impl& e = *impl_;
  if (out->empty()) {
    out->swap(e.outbox);
  } else {
    for (Datagram& d : e.outbox) out->push_back(std::move(d));
  }
  e.outbox.clear();
}

void Engine::take_events(std::vector<MemberEvent>* out) {
  Impl& e = *impl_;
  for (uint32_t entry : e.event_queue) {
    if (entry == kVoidEntry) continue;
    if (entry & kDropEntry) {
      out->push_back(std::move(e.drops[entry & ~kDropEntry]));
      continue;
    }
    if (entry >= e.table.capacity()) continue;
    Member& x = e.m(entry);
    if (!x.live() || x.events == 0) continue;  // defensive: entries are kept exact
    out->emplace_back();
    out->back().mask = x.events;
    e.snapshot(entry, &out->back().member);
    x.events = 0;
    --e.members_with_events;
  }
  e.event_queue.clear();
  e.drops.clear();
  e.check_invariants("take_events");
}

bool Engine::has_events() const { return impl_->members_with_events > 0 || !impl_->drops.empty(); }

bool Engine::configured() const { return impl_->configured(); }
bool Engine::quitting() const { return impl_->quitting; }
Addr Engine::uri() const { return impl_->configured() ? impl_->table.at(impl_->self).addr() : Addr(); }
Uuid Engine::uuid() const { return impl_->configured() ? impl_->table.at(impl_->self).uuid : Uuid(); }
GcMode Engine::gc_mode() const { return impl_->gc; }
double Engine::heartbeat_rate() const { return impl_->heartbeat_s; }
double Engine::ack_timeout() const { return impl_->ack_timeout_s; }
size_t Engine::size() const { return impl_->table.size(); }

bool Engine::member(const Uuid& uuid, MemberSnapshot* out) const {
  uint32_t slot = impl_->table.find(uuid);
  if (slot == kNoSlot) return false;
  impl_->snapshot(slot, out);
  return true;
}

void Engine::self(MemberSnapshot* out) const {
  if (!impl_->configured()) {
    *out = MemberSnapshot();
    return;
  }
  impl_->snapshot(impl_->self, out);
}

void Engine::members(std::vector<MemberSnapshot>* out) const {
  const Impl& e = *impl_;
  out->clear();
  out->reserve(e.table.size());
  for (uint32_t s = 0; s < e.table.capacity(); ++s) {
    if (!e.table.at(s).live()) continue;
    out->emplace_back();
    e.snapshot(s, &out->back());
  }
}

const Stats& Engine::stats() const { return impl_->stats; }

}  // namespace swim
