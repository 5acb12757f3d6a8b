// Lifeguard (HashiCorp, arXiv 1707.00788; memberlist's awareness.go and suspicion.go),
// adapted to Tarantool's wire: every rule here is local, so a Tarantool peer sees plain
// SWIM. On with ConfigPatch::lifeguard; off, the engine keeps Tarantool's thresholds.
//  - Local health: a missed ack while no ack at all reached us from anyone (from shortly
//    before the ping was sent until its deadline) is charged to us: our score rises and the
//    member's miss does not count (its count starts again). Answered probes lower the score; round
//    interval and ack timeouts stretch by (score + 1).
//  - Dynamic suspicion: a suspected member is declared dead by our own (counted) missed ack
//    only once the suspicion has lasted timeout(C): from 6 x 3 ack timeouts with no other
//    member confirming it down to 3 ack timeouts (today's 3 missed acks) with K = 3.
// The rules and their constants are in docs/protocol.md#lifeguard.
#include <algorithm>

#include "core/engine_impl.h"

namespace swim {

namespace {

constexpr uint32_t kSuspicionMinAcks = 3;  // min = 3 ack timeouts: Tarantool's 3 more missed acks
constexpr uint32_t kSuspicionMaxMult = 6;  // max = 6 x min (memberlist's SuspicionMaxTimeoutMult)

}  // namespace

Time Engine::Impl::ack_wait() const { return lifeguard ? awareness.scale(ack_timeout) : ack_timeout; }

Time Engine::Impl::round_interval() const { return lifeguard ? awareness.scale(heartbeat) : heartbeat; }

// Whose fault is a missed ack? We have no nacks (Tarantool's wire knows only ping and ack),
// so we use what we know: an ack from anyone since shortly before the ping was sent shows
// our own network worked meanwhile, so the silence is the member's. "Shortly": one
// unstretched round interval or ack timeout, and half a heartbeat more, so that the ack to
// the previous round step's ping is inside although a real timer fires late (the round
// ping's wait ends with the next step, which checks it first: with an exact window, a
// step a millisecond late finds that ack just outside and charges the member's miss to
// us). The window does not stretch with our score: it would reach back to before we lost
// our network. A stretched member waits longer for each ack, so its own round pings still
// fall inside the wait.
bool Engine::Impl::miss_counts(Time sent) {
  if (!lifeguard) return true;
  if (last_ack_at >= sent - std::max(ack_timeout, heartbeat) - heartbeat / 2) return true;
  // Nobody else who could have answered (a two-member cluster), or nobody answered us for
  // longer than the longest suspicion we would hold now (6 x 3 stretched ack timeouts,
  // 81 s at the defaults and full doubt): we may be the last one standing, so the silence
  // is the members' after all. Network outages shorter than that accuse nobody.
  if (last_resort()) return true;
  awareness.apply(+1);
  ++stats.ack_timeouts_self;
  return false;
}

bool Engine::Impl::last_resort() const {
  return table.size() <= 2 || now - last_ack_at > kSuspicionMaxMult * kSuspicionMinAcks * ack_wait();
}

// Whether our counted misses may start a suspicion now: not while we doubt ourselves
// (score > 0), since a member that just lost its network and got it back would otherwise
// accuse the members whose pings it lost just before (the miss that spans its return finds
// the acks of after it). The last resort above still may.
bool Engine::Impl::may_accuse() const { return !lifeguard || awareness.score() == 0 || last_resort(); }

// Keeps the suspicion record in step with the member's status (called on every change).
void Engine::Impl::sync_suspicion(uint32_t slot) {
  Member& x = member_at(slot);
  if (x.status == Status::Suspected && slot != self) {
    const Suspicions::Entry* e = x.has(MemberFlag::Suspicion) ? suspicions.find(slot) : nullptr;
    if (e == nullptr || e->incarnation != x.incarnation) {
      suspicions.start(slot, x.incarnation, now, gossip_from);
      x.set(MemberFlag::Suspicion, true);
    }
  } else if (x.has(MemberFlag::Suspicion)) {
    suspicions.end(slot);
    x.set(MemberFlag::Suspicion, false);
  }
}

// Each distinct member whose packet says "suspected" at the incarnation we suspect confirms
// the suspicion (up to K). The member itself never does, nor whoever told us first.
void Engine::Impl::confirm_suspicions(const Uuid& from, const std::vector<MemberRecord>& list) {
  if (suspicions.empty()) return;
  uint64_t who = uuid_hash(from);
  for (const MemberRecord& r : list) {
    if (r.status != Status::Suspected || r.uuid == from) continue;
    uint32_t slot = table.find(r.uuid);
    if (slot == kNoSlot || !member_at(slot).has(MemberFlag::Suspicion)) continue;
    suspicions.confirm(slot, r.incarnation, who);
  }
}

// Whether the suspicion of `slot` has lasted long enough for a missed ack to end it.
bool Engine::Impl::suspicion_over(uint32_t slot) const {
  const Suspicions::Entry* e = suspicions.find(slot);
  if (e == nullptr) return true;
  uint32_t others = table.size() > 2 ? table.size() - 2 : 0;  // members who could confirm
  uint32_t expected = std::min(Suspicions::kMaxConfirmations, others);
  Time min = kSuspicionMinAcks * ack_wait();
  Time max = kSuspicionMaxMult * min;
  return now - e->start >= Suspicions::timeout(min, max, e->confirmations, expected);
}

// An ack from `slot`: proof that our network works; a probe that succeeded lowers our score.
void Engine::Impl::on_acked(uint32_t slot) {
  last_ack_at = now;
  if (!lifeguard) return;
  const Member& x = member_at(slot);
  if (x.has(MemberFlag::WaitingAck) || x.unacked > 0) awareness.apply(-1);
}

}  // namespace swim
