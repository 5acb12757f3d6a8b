// Merging news about members, as Tarantool's swim_upsert_member and friends: which record
// wins ({incarnation, status} order), payload updates, refutation of rumours about
// ourselves, quit messages, adding and deleting members. Every visible change goes
// through on_update, which queues the member for dissemination and records its event.
// Also the paced probes of members heard of second-hand (see docs/protocol.md).
#include <algorithm>
#include <cstring>

#include "core/engine_impl.h"

namespace swim {

namespace {

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
// A full table searches this many slots (from where the last search stopped) for a dead or
// left member to evict: bounded work per admission, every slot visited in turn.
constexpr uint32_t kEvictScan = 64;
// Rate limit of conflict reports (note_conflict).
constexpr Time kConflictInterval = 10 * kSecond;
constexpr size_t kMaxConflicts = 16;

uint32_t incarnation_diff(const Incarnation& a, const Incarnation& b) {
  if (a == b) return 0;
  uint32_t mask = kEvNewVersion;
  if (a.generation != b.generation) mask |= kEvNewGeneration;
  return mask;
}

}  // namespace

// ceil(log2(n)) + 1: how many round steps a status change is gossiped (Tarantool).
uint8_t status_ttd_for(uint32_t n) {
  uint32_t bits = 0;
  while (bits < 32 && (uint64_t{1} << bits) < n) ++bits;
  return static_cast<uint8_t>(bits + 1);
}

void Engine::Impl::snapshot(uint32_t slot, MemberSnapshot* out) const {
  const Member& x = table.at(slot);
  out->uuid = x.uuid;
  out->addr = x.addr();
  out->status = x.status;
  out->incarnation = x.incarnation;
  out->has_payload = x.payload_size > 0;
  out->payload.assign(x.payload, x.payload + x.payload_size);
  out->is_self = slot == self;
}

// Any visible change of a member: gossip it for ceil(log2 N)+1 steps, restart its
// missed-ack count, and record the event bits for the driver.
void Engine::Impl::on_update(uint32_t slot, uint32_t mask) {
  Member& x = member_at(slot);
  x.unacked = 0;
  x.status_ttd = status_ttd_for(table.size());
  // Routine news: a member met or a new payload, alive at the same incarnation. Status
  // changes, refutations and new incarnations go first.
  bool routine = (mask & (kEvNewStatus | kEvNewIncarnation)) == 0 && x.status == Status::Alive;
  dissemination.push(slot, routine);
  note_recent(slot);
  sync_suspicion(slot);
  // A member gone from the live view (dead, left) changes it as a newcomer does.
  if ((mask & kEvNewStatus) && (x.status == Status::Dead || x.status == Status::Left)) view_changed_at = now;
  if (mask != 0) events.record(slot, mask);
}

uint16_t Engine::Impl::payload_ttd_for() const {
  return static_cast<uint16_t>(std::min<uint32_t>(table.size(), UINT16_MAX));
}

// A payload received with a record allowed to update it (newer incarnation, or ours is
// stale). An identical payload only becomes fresh again: no event, no new gossip.
void Engine::Impl::apply_payload(uint32_t slot, Bytes p) {
  Member& x = member_at(slot);
  bool same = x.payload_size == p.size && (p.size == 0 || std::memcmp(x.payload, p.data, p.size) == 0);
  if (same) {
    x.set(MemberFlag::PayloadFresh, true);
    return;
  }
  if (!MemberTable::set_payload(x, p.data, p.size)) return;  // out of memory: stays stale
  x.set(MemberFlag::PayloadFresh, true);
  x.payload_ttd = payload_ttd_for();
  on_update(slot, kEvNewPayload);
}

uint32_t Engine::Impl::new_member(const MemberRecord& def) {
  pending.forget(def.uuid);  // known now: no probe owed
  uint32_t slot = table.insert(def.uuid);
  Member& x = member_at(slot);
  x.set_addr(def.addr);
  x.status = def.status;
  x.incarnation = def.incarnation;
  on_update(slot, kEvNew);
  if (def.status == Status::Alive && slot != self) view_changed_at = now;
  if (def.has_payload) apply_payload(slot, def.payload);
  // Tarantool's round timer runs only while there is someone to ping.
  if (round_deadline == kNever && !quitting && table.size() > 1) round_deadline = now + heartbeat;
  return slot;
}

void Engine::Impl::delete_member(uint32_t slot) {
  const Member& x = member_at(slot);
  // A member removed after it died may only be cut off: keep probing its address now and
  // then, so a healed partition merges again (docs/protocol.md#healing). Only one that
  // answered us at that address (Confirmed): made-up members of a flood, evicted dead to
  // make room, must not push real lost ones out of the bounded list.
  if (x.status == Status::Dead && slot != self && x.has(MemberFlag::Confirmed)) {
    contacts.add_lost(x.addr());
    if (heal_deadline == kNever) heal_deadline = now + heal_period();
  }
  set_confirmed(slot, false);
  if (MemberSnapshot* last_state = events.drop(slot)) snapshot(slot, last_state);
  dissemination.remove(slot);
  forget_recent(slot);
  if (member_at(slot).has(MemberFlag::Suspicion)) suspicions.end(slot);
  table.erase(slot);
}

// {incarnation, status} ordering: newer incarnation wins, equal one lets a bigger status win.
void Engine::Impl::update_inc_status(uint32_t slot, Status status, const Incarnation& inc) {
  Member& x = member_at(slot);
  int cmp = incarnation_cmp(x.incarnation, inc);
  if (cmp < 0) {
    uint32_t mask = incarnation_diff(x.incarnation, inc);
    if (x.status != status) {
      mask |= kEvNewStatus;
      // A member back from the dead rejoins our view, as a new one does.
      if (status == Status::Alive && (x.status == Status::Dead || x.status == Status::Left)) view_changed_at = now;
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
void Engine::Impl::update_member(uint32_t slot, const MemberRecord& def) {
  Member& x = member_at(slot);
  int cmp = incarnation_cmp(def.incarnation, x.incarnation);
  if (cmp > 0) {
    if (def.addr != x.addr()) {
      x.set_addr(def.addr);
      set_confirmed(slot, false);  // a new address gets full acks once it answered a ping
      on_update(slot, kEvNewUri);
    }
    if (def.has_payload)
      apply_payload(slot, def.payload);
    else
      // A newer incarnation without payload: ours may be outdated; stop gossiping it.
      x.set(MemberFlag::PayloadFresh, false);
  } else if (!x.has(MemberFlag::PayloadFresh) && def.has_payload) {
    apply_payload(slot, def.payload);
  }
  update_inc_status(slot, def.status, def.incarnation);
}

// News about ourselves from someone else.
void Engine::Impl::update_self_from_gossip(const MemberRecord& def) {
  Member& s = self_member();
  int cmp = incarnation_cmp(def.incarnation, s.incarnation);
  // Newer news of our UUID at another address: someone else runs with our UUID (an older
  // record at another address is only our own past, before a move or a restart).
  if (cmp > 0 && def.addr != s.addr()) note_conflict(def.addr);
  uint32_t mask = 0;
  if (cmp > 0) {
    // We restarted and lost our version; others know a bigger one. Adopt it.
    mask |= incarnation_diff(s.incarnation, def.incarnation);
    s.incarnation = def.incarnation;
  }
  if (cmp >= 0 && def.status != Status::Alive) {
    // Refute a rumour that we are not alive with a newer incarnation (which never wraps:
    // a forged record at version 2^64-1 moves us to the next generation). Lifeguard:
    // having to refute is a sign of our own poor health (memberlist's awareness).
    bump_self_version(&mask);
    ++stats.refutations;
    if (lifeguard) awareness.apply(+1);
  } else if (cmp == 0 && def.addr != s.addr()) {
    // Our current incarnation at an address that is not ours (an old one, or a typo'd
    // add): bump, so our record wins and peers correct it.
    bump_self_version(&mask);
  }
  if (mask != 0) on_update(self, mask);
}

// Tarantool's swim_upsert_member. Returns the member's slot, or kNoSlot when nothing is
// known about it afterwards or the news was too old.
uint32_t Engine::Impl::upsert(const MemberRecord& def, bool direct) {
  uint32_t slot = table.find(def.uuid);
  if (slot == kNoSlot) {
    // Never resurrect left members, nor dead ones once gc could have removed them:
    // such 'ghosts' would circulate in anti-entropy forever.
    if (def.status == Status::Left || (def.status == Status::Dead && gc == GcMode::On)) return kNoSlot;
    // Second-hand news of a live member: it may be gone already. Ask it; it is added
    // when it answers (its ack is direct).
    if (def.status < Status::Dead && !direct) {
      // The first probe a datagram causes may carry gossip, up to the datagram's size (a
      // bootstrap meets the cluster through these); the next ones are minimal pings.
      queue_probe(def.uuid, def.addr, probe_budget);
      return kNoSlot;
    }
    // A dead member heard of with gc off is added unprobed: paced as a first contact, and
    // only where there is room. (Direct senders were admitted by process_fd.)
    if (!direct && !(take_contact() && make_room())) return kNoSlot;
    return new_member(def);
  }
  if (slot == self) {
    update_self_from_gossip(def);
    return slot;
  }
  if (incarnation_cmp(def.incarnation, member_at(slot).incarnation) < 0) return kNoSlot;
  update_member(slot, def);
  return slot;
}

void Engine::Impl::queue_probe(const Uuid& uuid, Addr addr, size_t budget) {
  size_t b = std::min(budget, kMaxPacketSize);
  if (pending.push(uuid, addr, std::max<size_t>(kMinPendingProbes, table.size()), static_cast<uint16_t>(b)))
    probe_budget -= std::min(probe_budget, b);
}

void Engine::Impl::process_members(const std::vector<MemberRecord>& list) {
  for (const MemberRecord& r : list) table.prefetch_index(r.uuid);
  for (const MemberRecord& r : list) table.prefetch_record(r.uuid);
  for (const MemberRecord& r : list) {
    // A record naming no peer address is skipped (the rest of the packet still counts):
    // a peer that was fed such a record must not get all its packets dropped by us.
    if (!addr_is_peer(r.addr)) {
      ++stats.drops_bad_address;
      continue;
    }
    upsert(r, false);
  }
}

void Engine::Impl::process_quit(const Uuid& uuid, const Incarnation& inc) {
  uint32_t slot = table.find(uuid);
  if (slot == kNoSlot) return;  // never add a member just to mark it left
  if (slot != self) {
    update_inc_status(slot, Status::Left, inc);
    return;
  }
  // Someone with our UUID quit (we took a spare UUID, or a stale packet): refute.
  Member& s = self_member();
  if (incarnation_cmp(inc, s.incarnation) >= 0) {
    uint32_t mask = incarnation_diff(s.incarnation, inc);
    s.incarnation = inc;
    bump_self_version(&mask);
    ++stats.refutations;
    if (mask != 0) on_update(self, mask);
  }
}

// ++version of ourselves, without ever wrapping: at version 2^64-1 the generation goes up
// and the version restarts at 0 (a newer incarnation for every peer, Tarantool included).
// False, and nothing changes, at the very top of both ranges.
bool Engine::Impl::bump_self_version(uint32_t* mask) {
  Incarnation& inc = self_member().incarnation;
  if (inc.version < UINT64_MAX) {
    ++inc.version;
    *mask |= kEvNewVersion;
    return true;
  }
  if (inc.generation == UINT64_MAX) return false;
  ++inc.generation;
  inc.version = 0;
  *mask |= kEvNewIncarnation;
  return true;
}

void Engine::Impl::set_confirmed(uint32_t slot, bool on) {
  Member& x = member_at(slot);
  if (x.has(MemberFlag::Confirmed) == on) return;
  x.set(MemberFlag::Confirmed, on);
  if (on)
    ++confirmed;
  else
    --confirmed;
}

// ---------------------------------------------------------------- admission of new members

// First contacts per heartbeat: as the second-hand probes, but counting only members that
// answered us, which a flood of made-up senders does not raise.
uint32_t Engine::Impl::contact_rate() const {
  return std::max<uint32_t>(kMinProbeRate, kProbeRateFactor * (confirmed + 1));
}

// Takes one first contact from the pacing (GCRA, burst kProbeBurst); false when none is left.
bool Engine::Impl::take_contact() {
  Time interval = std::max<Time>(1, heartbeat / contact_rate());
  if (contact_tat - (kProbeBurst - 1) * interval > now) return false;
  contact_tat = std::max(contact_tat, now) + interval;
  return true;
}

// Room for one more member: true below max_members, or after evicting a dead or left
// member found among the next kEvictScan slots. Counts a refusal otherwise.
bool Engine::Impl::make_room() {
  if (table.size() < max_members) return true;
  uint32_t cap = table.capacity();
  for (uint32_t i = 0; i < kEvictScan && i < cap; ++i) {
    uint32_t s = evict_cursor < cap ? evict_cursor : 0;
    evict_cursor = s + 1;
    const Member& x = member_at(s);
    if (x.live() && s != self && x.status >= Status::Dead) {
      delete_member(s);
      ++stats.members_evicted;
      return true;
    }
  }
  ++stats.members_refused;
  return false;
}

// ---------------------------------------------------------------- conflicts

// Another claimant of our UUID at `claimant`. Reported at most once per claimant address
// per kConflictInterval (the same one keeps sending), at most kMaxConflicts waiting.
void Engine::Impl::note_conflict(Addr claimant) {
  ++stats.conflicts;
  if (claimant == last_conflict_addr && now - last_conflict_at < kConflictInterval) return;
  if (conflicts.size() >= kMaxConflicts) return;
  last_conflict_addr = claimant;
  last_conflict_at = now;
  conflicts.push_back(Conflict{self_member().uuid, claimant});
}

// ---------------------------------------------------------------- second-hand probes

uint32_t Engine::Impl::probe_rate() const {
  size_t r = (table.size() + pending.size()) * kProbeRateFactor;
  return static_cast<uint32_t>(std::min<size_t>(std::max<size_t>(r, kMinProbeRate), UINT32_MAX));
}

Time Engine::Impl::probe_interval() const {
  Time i = heartbeat / probe_rate();
  return i < 1 ? 1 : i;
}

// Earliest time the pacing lets the next second-hand probe go.
Time Engine::Impl::probe_ready_at() const { return probe_tat - (kProbeBurst - 1) * probe_interval(); }

// Sends the waiting probes the pacing allows now; forgets probes left unanswered.
void Engine::Impl::pump_probes() {
  // A probe is awaited for an ack timeout, at most a heartbeat: as the ping cache it
  // replaces, an unknown member is probed at most once per heartbeat.
  pending.expire(now);
  if (pending.waiting() == 0 || quitting) return;
  Time window = std::min(ack_timeout, heartbeat);
  while (pending.waiting() > 0 && probe_ready_at() <= now) {
    const ProbeQueue::Entry* e = pending.take(now + window);
    if (e == nullptr) break;
    probe_tat = std::max(probe_tat, now) + probe_interval();
    send_fd(FdType::Ping, e->addr(), nullptr, e->budget);
    ++stats.pings_sent;
  }
}

}  // namespace swim
