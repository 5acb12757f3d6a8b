// Packets in and out. Outgoing: a failure-detection message (ping or ack) carries the
// dissemination queue (least sent first) and anti-entropy records in their dose (the rest of
// the datagram while our view changes, a few records otherwise); routed through a proxy for
// an indirect ping. Incoming: decode,
// forward what we proxy, then hand each section to the membership and failure-detection
// rules.
#include <algorithm>

#include "core/engine_impl.h"

namespace swim {

namespace {

// Encoded size of one member record as the codec writes it (Tarantool's fixed-width
// template) and of a payload's key + bin16 header. Used only to pick how many candidate
// records to hand to encode_packet, which does the exact fitting.
constexpr size_t kRecordWireSize = 52;
constexpr size_t kPayloadWireOverhead = 4;
// Meta (17) + body map (1) + source UUID (19) + failure detection (24), plus section headers.
constexpr size_t kMessageOverhead = 17 + 1 + 19 + 24 + 2 * 4;

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

size_t record_size(const Member& x, bool with_payload) {
  return kRecordWireSize + (with_payload ? kPayloadWireOverhead + x.payload_size : 0);
}

}  // namespace

// How many anti-entropy records a packet carries while our view is quiet (no news queued):
// about a tenth of the members, at least 2. Each member receives about two packets per
// heartbeat, so a record drawn uniformly reaches it about every 5 heartbeats whatever N,
// and the most recent changes (one record of each packet) far sooner.
uint32_t Engine::Impl::quiet_dose() const {
  return std::max<uint32_t>(kQuietDoseMin, (table.size() + 9) / 10);
}

// Whether our view is unsettled: a member joined it, came back from the dead, died or left
// within the last TTD round steps, or a member is suspected. Then anti-entropy fills the
// packet: a bootstrap, a newcomer and a healed partition spread the table fast, every
// packet repeats a suspicion (its Lifeguard confirmations come within a step or two) and a
// verdict. Other news (an alive member's new incarnation, a payload) is carried by
// dissemination and leaves the dose alone.
bool Engine::Impl::unsettled() const {
  return !suspicions.empty() || now - view_changed_at < static_cast<Time>(status_ttd_for(table.size())) * heartbeat;
}

// Remembers that the member's record just changed: anti-entropy sends the latest changes
// first (build_message), as those are what a member that missed a packet lacks.
void Engine::Impl::note_recent(uint32_t slot) {
  uint32_t i = 0;
  while (i < recent_n && recent[i] != slot) ++i;
  if (i == recent_n && recent_n < kRecent) ++recent_n;
  if (i == kRecent) i = kRecent - 1;
  for (; i > 0; --i) recent[i] = recent[i - 1];
  recent[0] = slot;
}

void Engine::Impl::forget_recent(uint32_t slot) {
  uint32_t j = 0;
  for (uint32_t i = 0; i < recent_n; ++i)
    if (recent[i] != slot) recent[j++] = recent[i];
  recent_n = j;
}

// Whether anti-entropy may vouch for the member first: ourselves, or a member that answered
// us at its address. Made-up members of a flood never are, so they cannot crowd the real
// ones out of the records.
bool Engine::Impl::vouched(uint32_t slot) const {
  return slot == self || member_at(slot).has(MemberFlag::Confirmed);
}

// Fills `out` with a failure detection message carrying dissemination and anti-entropy
// up to `budget` bytes; a budget too small for one member record gives a minimal message
// (failure detection only, under 80 bytes). Dissemination: the news sent the fewest times
// first, oldest first among equals, so a long queue cannot starve its tail (foca's
// broadcast.rs, memberlist's TransmitLimitedQueue); a transmission is counted only when the
// record is actually sent in a round step's ping (count_transmissions). With lifeguard, a
// ping for a member we suspect (`buddy`) carries its own record first, so it refutes at
// once. Anti-entropy (docs/protocol.md#anti-entropy): room for quiet_dose() records is kept
// from the news; while our view is unsettled (unsettled()) it fills the packet, otherwise
// it stops at that dose. Its records: one of the latest changes, then members drawn
// uniformly (the sampler), vouched-for ones first. random_start false (heal probes): a full
// run of slots from a start that draws nothing from the rng.
void Engine::Impl::build_message(FdType type, size_t budget, bool random_start, uint32_t buddy) {
  const Member& me = self_member();
  out.clear();
  out_slots.clear();
  out.meta.src = me.addr();
  out.source = me.uuid;
  out.has_failure_detection = true;
  out.failure_detection.type = type;
  out.failure_detection.incarnation = me.incarnation;
  if (budget < kMessageOverhead + kRecordWireSize) {
    ++stats.minimal_sent;
    return;
  }

  // Hand the codec one candidate more than fits by our estimate; it keeps the exact prefix.
  size_t room = std::min(budget, kMaxPacketSize) - kMessageOverhead;
  size_t used = 0;
  const bool unsettled_view = unsettled();
  const uint32_t dose = quiet_dose();
  // The news leaves room for the quiet dose, or half a small packet (at least one record):
  // a flood of news must not push every member record out of the packets, nor an ack to a
  // newcomer (no bigger than its ping) carry news only.
  const size_t one = kRecordWireSize + kPayloadWireOverhead;
  const size_t kept = std::min<size_t>(dose * one, std::max(one, room / 2));
  const size_t news_room = random_start ? room - kept : room;
  bool with_buddy = false;
  if (lifeguard && buddy != kNoSlot && buddy != self) {
    const Member& x = member_at(buddy);
    if (x.live() && (x.status == Status::Suspected || x.status == Status::Dead)) {
      with_buddy = true;
      out_slots.push_back(x.has(MemberFlag::InDissemination) ? buddy : kNoSlot);
      add_record(out.dissemination, x, false);
      used += record_size(x, false);
    }
  }
  // The queue's sending order: fewest transmissions first, oldest first among equals;
  // urgent news before routine news.
  for (uint32_t s = dissemination.first(); s != kNoSlot && used <= news_room; s = dissemination.after(s)) {
    if (with_buddy && s == buddy) continue;
    const Member& x = member_at(s);
    bool with_payload = x.payload_ttd > 0 && x.has(MemberFlag::PayloadFresh);
    if (random_start && used + record_size(x, with_payload) > news_room) break;
    out_slots.push_back(s);
    add_record(out.dissemination, x, with_payload);
    used += record_size(x, with_payload);
  }
  out.has_dissemination = !out.dissemination.empty();

  auto add_ae = [&](uint32_t s) {
    const Member& x = member_at(s);
    bool with_payload = x.has(MemberFlag::PayloadFresh);
    add_record(out.anti_entropy, x, with_payload);
    used += record_size(x, with_payload);
  };
  if (!random_start) {
    // Heal probes: a run of slots, so that they leave the seeded sequence alone.
    uint32_t cap = table.capacity();
    uint32_t start = static_cast<uint32_t>((stats.heal_probes * 2654435761u) % cap);
    for (uint32_t i = 0; i < cap && used <= room; ++i) {
      uint32_t s = start + i < cap ? start + i : start + i - cap;
      if (member_at(s).live()) add_ae(s);
    }
    out.has_anti_entropy = !out.anti_entropy.empty();
    return;
  }
  const size_t ae_limit = unsettled_view ? SIZE_MAX : dose;
  // One of the latest changes, in turn, vouched-for ones only; not when it would be the
  // only record that fits or take half the room (big payloads): a few members would then
  // take every packet, and the uniform draws, which reach every member, none.
  uint32_t from_recent = kNoSlot;
  for (uint32_t i = 0; i < recent_n; ++i) {
    uint32_t s = recent[(recent_cursor + i) % recent_n];
    if (!vouched(s) || !member_at(s).live()) continue;
    const size_t size = record_size(member_at(s), member_at(s).has(MemberFlag::PayloadFresh));
    if (used + size + kRecordWireSize > room || size > room / 2) break;
    recent_cursor = (recent_cursor + i + 1) % recent_n;
    from_recent = s;
    add_ae(s);
    break;
  }
  // Then uniform draws, vouched-for members first; the others follow if room is left.
  ae_later.clear();
  sampler.begin(table.capacity());
  for (uint32_t s = sampler.next(rng); s != kNoSlot && used <= room && out.anti_entropy.size() < ae_limit;
       s = sampler.next(rng)) {
    if (!member_at(s).live() || s == from_recent) continue;
    if (vouched(s))
      add_ae(s);
    else if (ae_later.size() * kRecordWireSize <= room - std::min(room, used))
      ae_later.push_back(s);
  }
  for (size_t i = 0; i < ae_later.size() && used <= room && out.anti_entropy.size() < ae_limit; ++i)
    add_ae(ae_later[i]);
  out.has_anti_entropy = !out.anti_entropy.empty();
}

// One more transmission for each of the first `fitted` dissemination records of the message
// just sent. Only a round step's ping counts, as Tarantool counts TTDs in round steps; acks,
// re-sent and indirect pings carry the news on top.
void Engine::Impl::count_transmissions(uint32_t fitted) {
  for (uint32_t i = 0; i < fitted && i < out_slots.size(); ++i) {
    uint32_t s = out_slots[i];
    if (s == kNoSlot) continue;
    Member& x = member_at(s);
    if (!x.live() || !x.has(MemberFlag::InDissemination)) continue;
    if (out.dissemination[i].has_payload && x.payload_ttd > 0) --x.payload_ttd;
    if (x.status_ttd > 0) --x.status_ttd;
    if (x.status_ttd > 0) {
      dissemination.sent(s);
    } else {
      dissemination.remove(s);
      // A left member stays only as long as its departure is news.
      if (x.status == Status::Left && s != self) delete_member(s);
    }
  }
}

// Queues a datagram; returns how many dissemination records it carries.
uint32_t Engine::Impl::emit(const Packet& p, Addr to, bool broadcast, size_t budget) {
  // A message without member records always fits; one with records is cut to the budget.
  bool records = !p.dissemination.empty() || !p.anti_entropy.empty();
  EncodeResult r = encode_packet(p, buf, records ? std::min(budget, sizeof(buf)) : sizeof(buf));
  if (!r.ok) return 0;  // cannot happen for packets the engine builds
  outbox.emplace_back();
  Datagram& d = outbox.back();
  d.to = to;
  d.broadcast = broadcast;
  d.bytes.assign(buf, buf + r.size);
  ++stats.packets_sent;
  stats.bytes_sent += r.size;
  return r.dissemination_fitted;
}

// A ping or an ack to `to`, directly or through `proxy` (with route meta).
// `buddy`: the member the ping is for, whose own record goes first when we suspect it.
// Returns how many dissemination records went out (count_transmissions takes it).
uint32_t Engine::Impl::send_fd(FdType type, Addr to, const Addr* proxy, size_t budget, uint32_t buddy) {
  build_message(type, budget, true, buddy);
  uint32_t fitted;
  if (proxy != nullptr) {
    out.meta.has_route = true;
    out.meta.route.src = self_member().addr();
    out.meta.route.dst = to;
    fitted = emit(out, *proxy, false, budget);
  } else {
    fitted = emit(out, to, false, budget);
  }
  return fitted;
}

// Whether a member other than us is at `a` (a relay destination). O(N), N <= max_members;
// only routed packets not meant for us pay it.
bool Engine::Impl::is_member_addr(Addr a) const {
  for (uint32_t s = 0; s < table.capacity(); ++s) {
    const Member& x = table.at(s);
    if (x.live() && s != self && x.status != Status::Left && x.addr() == a) return true;
  }
  return false;
}

void Engine::Impl::count_drop(uint64_t* counter) {
  ++*counter;
  ++stats.packets_dropped;
}

void Engine::Impl::on_datagram(const uint8_t* data, size_t size, Addr from) {
  ++stats.packets_received;
  stats.bytes_received += size;
  in_size = size;
  probe_budget = size;
  if (!configured() || quitting) return;
  DecodeResult r = decode_packet(data, size, &in);
  if (!r.ok()) {
    count_drop(&stats.drops[static_cast<size_t>(r.error)]);
    return;
  }
  // Addresses we would answer or relay to must be a peer's: never a broadcast, multicast or
  // reserved address (docs/protocol.md, "Hostile input").
  if (!addr_is_peer(in.meta.src) ||
      (in.meta.has_route && (!addr_is_peer(in.meta.route.src) || !addr_is_peer(in.meta.route.dst)))) {
    count_drop(&stats.drops_bad_address);
    return;
  }
  const Addr my_addr = self_member().addr();
  Addr src = in.meta.src;
  Addr proxy;
  const Addr* via = nullptr;
  if (in.meta.has_route) {
    if (in.meta.route.dst != my_addr) {
      // Forward only a packet straight from its originator (never a second hop). Towards a
      // member, always; towards an address no member has (a proxy may not have met the
      // target yet), only within the first-contact pacing: no open relay for a flood.
      if (in.meta.src != in.meta.route.src || (!is_member_addr(in.meta.route.dst) && !take_contact())) {
        count_drop(&stats.drops_wrong_destination);
        return;
      }
      in.meta.src = my_addr;  // the receiver answers through us
      emit(in, in.meta.route.dst, false);
      ++stats.indirect_pings_forwarded;
      return;
    }
    src = in.meta.route.src;
    proxy = in.meta.src;
    via = &proxy;
  }
  if (in.source == self_member().uuid) {
    // Our own UUID: a broadcast echo (or our probe of one of our own addresses), or
    // someone who took our UUID. Only its quit matters (refuted); anything else would make
    // us talk to ourselves. Another claimant is reported (note_conflict).
    if (src != my_addr)
      note_conflict(src);
    else if (from.ip != 0 && from != my_addr)
      contacts.mark_self(from);
    if (in.has_quit)
      process_quit(in.source, in.quit);
    else
      count_drop(&stats.drops_self_source);
    return;
  }
  // Join and healing ask whether an address answered: its UDP source and its announced one.
  contacts.heard(from);
  if (in.meta.src != from) contacts.heard(in.meta.src);
  if (in.has_failure_detection) process_fd(src, in.source, in.failure_detection, via);
  // Suspicions this packet makes us start were told by its source (lifeguard.cc).
  gossip_from = uuid_hash(in.source);
  if (in.has_dissemination) process_members(in.dissemination);
  if (in.has_anti_entropy) process_members(in.anti_entropy);
  gossip_from = 0;
  if (in.has_dissemination) confirm_suspicions(in.source, in.dissemination);
  if (in.has_anti_entropy) confirm_suspicions(in.source, in.anti_entropy);
  if (in.has_quit) process_quit(in.source, in.quit);
  pump_probes();
}

}  // namespace swim
