// Failure detection, as Tarantool's src/lib/swim: a round pings every member once in a
// shuffled order, one per heartbeat; an unanswered ping counts against the member and,
// past the thresholds, makes it suspected, then dead, then (gc on) deleted. Also the
// per-step ticking of dissemination TTDs, which ends the stay of 'left' members. Where we
// differ from Tarantool (exactly k indirect-ping proxies, indirect pings from the first
// missed ack) is listed in docs/protocol.md.
#include <algorithm>

#include "core/engine_impl.h"

namespace swim {

namespace {

// Tarantool's thresholds, counted in pings unanswered within ack_timeout. The counter
// restarts at every status change, so "dead" takes 2 + 3 misses and gc 2 more.
constexpr uint8_t kNoAcksToSuspect = 2;
constexpr uint8_t kNoAcksToDead = 3;
constexpr uint8_t kNoAcksToGc = 2;
// A heal probe every this many heartbeats (docs/protocol.md#healing).
constexpr uint32_t kHealEvery = 4;

}  // namespace

// With lifeguard, an ack that may come through a proxy gets twice the time (as Tarantool
// gives indirect pings), and every wait stretches with our local health (lifeguard.cc).
void Engine::Impl::wait_ack(uint32_t slot, bool indirect) {
  Time t = ack_wait();
  if (lifeguard && indirect) t *= 2;
  waits.start(slot, now, now + t);
}

// Pings carry gossip only to a confirmed address (one that answered us, or that the user
// gave): a member admitted from a forged ping must not draw full datagrams to its address.
size_t Engine::Impl::ping_budget(uint32_t slot) const {
  return member_at(slot).has(MemberFlag::Confirmed) ? kMaxPacketSize : 0;
}

// Pings `target` through up to k distinct random alive members (never self, never the
// target or anyone at its address). Tarantool means to do this but sends via everyone.
void Engine::Impl::send_indirect_pings(uint32_t target) {
  Addr dst = member_at(target).addr();
  // Drawn first: building each message draws its anti-entropy from the same sampler.
  proxies.clear();
  sampler.begin(table.capacity());
  for (uint32_t s = sampler.next(rng); s != kNoSlot && proxies.size() < indirect_k; s = sampler.next(rng)) {
    const Member& x = member_at(s);
    if (!x.live() || s == self || s == target || x.status != Status::Alive || x.addr() == dst) continue;
    proxies.push_back(x.addr());
  }
  uint32_t sent = 0;
  for (const Addr& proxy : proxies) {
    send_fd(FdType::Ping, dst, &proxy, ping_budget(target), target);
    ++sent;
  }
  stats.indirect_pings_sent += sent;
}

void Engine::Impl::check_acks() {
  Time sent = 0;
  for (uint32_t slot = waits.pop_expired(now, &sent); slot != kNoSlot; slot = waits.pop_expired(now, &sent)) {
    Member& x = member_at(slot);
    ++stats.ack_timeouts;
    // Lifeguard: a miss while nobody answered us at all is charged to us, and the member's
    // count starts again (its misses must be consecutive and ours to count).
    bool counts = x.status == Status::Dead || x.status == Status::Left || miss_counts(sent);
    if (!counts)
      x.unacked = 0;
    else if (x.unacked < UINT8_MAX)
      ++x.unacked;
    switch (x.status) {
      case Status::Alive:
        if (counts && x.unacked >= kNoAcksToSuspect && may_accuse()) {
          x.status = Status::Suspected;
          ++stats.suspicions;
          on_update(slot, kEvNewStatus);
        }
        break;
      case Status::Suspected:
        // Lifeguard: dead once the suspicion has lasted its dynamic timeout (fewer
        // confirmations, longer) and our own ping is still unanswered.
        if (counts && (lifeguard ? suspicion_over(slot) : x.unacked >= kNoAcksToDead)) {
          x.status = Status::Dead;
          ++stats.deaths;
          on_update(slot, kEvNewStatus);
        }
        break;
      case Status::Dead:
        // Keep a dead member until its death has been gossiped (TTD spent).
        if (x.unacked >= kNoAcksToGc && gc == GcMode::On && !x.has(MemberFlag::InDissemination)) {
          delete_member(slot);
          continue;
        }
        // A dead member is pinged only by the round, once per round: one forged dead
        // record must not make us ping its address every ack timeout forever (gc off).
        // With gc on the wait goes on, unsent, to count the timeouts until gc.
        if (gc == GcMode::On) wait_ack(slot);
        continue;
      case Status::Left:
        continue;  // never pinged
    }
    // Not dead yet: ask others to reach it too, so a broken direct link alone never
    // produces a suspicion (and a suspicion gets every chance to be refuted).
    bool indirect = x.status == Status::Alive || x.status == Status::Suspected;
    if (indirect) send_indirect_pings(slot);
    send_fd(FdType::Ping, x.addr(), nullptr, ping_budget(slot), slot);
    ++stats.pings_sent;
    wait_ack(slot, indirect);
  }
}

void Engine::Impl::new_round() {
  round.clear();
  round_pos = 0;
  for (uint32_t s = 0; s < table.capacity(); ++s) {
    const Member& x = member_at(s);
    if (x.live() && s != self && x.status != Status::Left) round.push_back(s);
  }
  for (size_t i = round.size(); i > 1; --i) {
    size_t j = rng.below(static_cast<uint32_t>(i));
    std::swap(round[i - 1], round[j]);
  }
  for (uint32_t s : round) member_at(s).set(MemberFlag::InRound, true);
}

uint32_t Engine::Impl::next_round_target() {
  bool refilled = false;
  for (;;) {
    if (round_pos == round.size()) {
      if (refilled) return kNoSlot;
      new_round();
      refilled = true;
      continue;
    }
    uint32_t s = round[round_pos++];
    Member& x = member_at(s);
    if (!x.live() || !x.has(MemberFlag::InRound)) continue;
    x.set(MemberFlag::InRound, false);
    if (s != self && x.status != Status::Left) return s;
  }
}

// Transmissions are counted as a round step's ping sends them (messages.cc,
// count_transmissions). Every round step also ages the queue: news queued for twice its
// TTD in round steps leaves even if not sent that often (a flood of news must not fill
// every packet for minutes; below ~2 TTD x 27 items everything is still sent at least
// once, fewest-sent first). A round step that sends nothing (only left members besides
// self) ticks every TTD instead, as Tarantool, so those left members still expire.
void Engine::Impl::decrease_ttd(bool tick_ttd) {
  uint32_t bits = 0;
  while (bits < 32 && (uint64_t{1} << bits) < table.size()) ++bits;
  const uint32_t max_age = 2 * (bits + 1);
  uint32_t s = dissemination.first();
  while (s != kNoSlot) {
    Member& x = member_at(s);
    uint32_t next = dissemination.after(s);
    if (x.diss_age < UINT8_MAX) ++x.diss_age;
    if (tick_ttd) {
      if (x.payload_ttd > 0) --x.payload_ttd;
      if (x.status_ttd > 0) --x.status_ttd;
    }
    if (x.status_ttd == 0 || x.diss_age >= max_age) {
      dissemination.remove(s);
      // A left member stays only as long as its departure is news.
      if (x.status == Status::Left && s != self) delete_member(s);
    }
    s = next;
  }
}

void Engine::Impl::round_step() {
  if (table.size() <= 1) {
    round_deadline = kNever;  // idle until someone is added
    return;
  }
  round_deadline = now + round_interval();
  uint32_t target = next_round_target();
  if (target != kNoSlot) {
    count_transmissions(send_fd(FdType::Ping, member_at(target).addr(), nullptr, ping_budget(target), target));
    ++stats.pings_sent;
    wait_ack(target);
  }
  // Nobody to ping (only left members besides self): tick every TTD, or those left
  // members would never expire.
  decrease_ttd(target == kNoSlot);
  // Healing rides on the round (no timer of its own while the round runs), so it adds no
  // wake-up and no rng draw to normal operation.
  if (++heal_steps >= kHealEvery) heal_step();
}

// ---------------------------------------------------------------- healing

Time Engine::Impl::heal_period() const { return heartbeat * kHealEvery; }

void Engine::Impl::send_heal_probe(Addr to) {
  build_message(FdType::Ping, kMaxPacketSize, false);
  emit(out, to, false);
  ++stats.pings_sent;
  ++stats.heal_probes;
}

// One heal step: ping the next seed or lost address (round-robin) at which no member of
// the table is, or every one of them when no other member is alive or suspected (alone, or
// cut off from everyone we knew). An answer makes its sender a member (its ack is direct),
// and the anti-entropy of that exchange merges the two sides.
void Engine::Impl::heal_step() {
  heal_steps = 0;
  heal_deadline = now + heal_period();
  size_t n = contacts.size();
  if (contacts.heal_targets() == 0 || quitting) return;
  heal_covered.assign(n, 0);
  bool alone = true;
  for (uint32_t s = 0; s < table.capacity(); ++s) {
    const Member& x = member_at(s);
    if (!x.live() || s == self || x.status == Status::Left) continue;
    if (x.status == Status::Alive || x.status == Status::Suspected) alone = false;
    int i = contacts.find(x.addr());
    if (i >= 0) heal_covered[static_cast<size_t>(i)] = 1;
  }
  Addr me = self_member().addr();
  for (size_t k = 0; k < n; ++k) {
    size_t i = (heal_cursor + k) % n;
    const Contacts::Entry& c = contacts.at(i);
    if (!(c.kinds & (Contacts::kSeed | Contacts::kLost)) || (c.kinds & Contacts::kSelf) || heal_covered[i] ||
        c.addr == me)
      continue;
    send_heal_probe(c.addr);
    if (!alone) {
      heal_cursor = i + 1;
      return;
    }
  }
}


// Whether we probed `src` as a contact (seed, lost member, watched address) and it is not
// one of our own addresses: its ack answers us at that address.
bool Engine::Impl::heal_probed(Addr src) const {
  int i = contacts.find(src);
  return i >= 0 && !(contacts.at(static_cast<size_t>(i)).kinds & Contacts::kSelf);
}

// A ping or an ack from `uuid` at `src` (through `proxy` when routed).
void Engine::Impl::process_fd(Addr src, const Uuid& uuid, const FailureDetection& fd, const Addr* proxy) {
  if (fd.type == FdType::Ping)
    ++stats.pings_received;
  else
    ++stats.acks_received;
  MemberRecord def;
  def.status = Status::Alive;
  def.addr = src;
  def.uuid = uuid;
  def.incarnation = fd.incarnation;
  uint32_t slot = table.find(uuid);
  // An ack that answers a ping of ours (a round ping, its re-sends, a second-hand probe, or
  // a probe of a seed, a lost member's or a watched address: contacts, at that address).
  bool awaited = fd.type == FdType::Ack &&
                 (slot != kNoSlot ? member_at(slot).has(MemberFlag::WaitingAck) || heal_probed(src)
                                  : pending.probed(uuid) || heal_probed(src));
  if (slot == kNoSlot && !awaited && !take_contact()) {
    // A first contact over the pacing (a flood of made-up senders): not added by its ping
    // alone. It gets a minimal ack and is probed like a member heard of second-hand, so a
    // real newcomer is still met once its probe is answered.
    ++stats.contacts_deferred;
    queue_probe(uuid, src, 0);
    if (fd.type == FdType::Ping) {
      send_fd(FdType::Ack, src, proxy, 0);
      ++stats.acks_sent;
    }
    return;
  }
  if (slot == kNoSlot && !make_room()) {
    if (fd.type == FdType::Ping) {
      send_fd(FdType::Ack, src, proxy, 0);
      ++stats.acks_sent;
    }
    return;
  }
  slot = upsert(def, true);
  if (slot == kNoSlot) {
    // Outdated message: ignore pings and acks alike. Except a ping from a member we know at
    // another address with a newer incarnation: two processes claim that UUID. Our ack
    // carries the newer record, so the older claimant hears of the other one (a conflict,
    // see note_conflict) instead of being ignored by everyone in silence. That address is
    // not the member's (unconfirmed): the ack is no bigger than the ping.
    uint32_t known = table.find(uuid);
    if (fd.type == FdType::Ping && known != kNoSlot && known != self && member_at(known).addr() != src &&
        member_at(known).status != Status::Left) {
      send_fd(FdType::Ack, src, proxy, in_size);
      ++stats.acks_sent;
    }
    return;
  }
  Member& x = member_at(slot);
  // Answered at its address: from now on it gets acks with gossip.
  if (awaited && x.addr() == src) set_confirmed(slot, true);
  // A message straight from the member at its current incarnation proves it alive,
  // whatever the rumours said; but a member that left stays left (only a newer
  // incarnation, merged above, brings it back).
  if (incarnation_cmp(fd.incarnation, x.incarnation) == 0 && x.status != Status::Alive &&
      x.status != Status::Left) {
    x.status = Status::Alive;
    on_update(slot, kEvNewStatus);
  }
  if (fd.type == FdType::Ping) {
    // An unconfirmed address gets an ack no bigger than the ping: a forged ping must not
    // make us send more to a third party than it cost (docs/protocol.md, "Hostile input").
    send_fd(FdType::Ack, x.addr(), proxy, x.has(MemberFlag::Confirmed) ? kMaxPacketSize : in_size);
    ++stats.acks_sent;
  } else {
    on_acked(slot);
    x.unacked = 0;
    x.set(MemberFlag::WaitingAck, false);
  }
}

}  // namespace swim
