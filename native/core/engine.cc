// The public Engine (see engine.h): checks and applies commands, feeds inputs to the rules
// (membership.cc, failure_detection.cc, messages.cc) and hands out what they produced. Every
// entry point ends with the invariant checks of test builds (engine_checks.cc).
#include "core/engine.h"

#include <algorithm>
#include <cmath>

#include "core/engine_impl.h"

namespace swim {

namespace {

bool valid_seconds(double s) { return std::isfinite(s) && s > 0 && s < 1e9; }

Time to_time(double seconds) {
  long long us = std::llround(seconds * static_cast<double>(kSecond));
  return us < 1 ? 1 : static_cast<Time>(us);
}

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
  if (cfg.has_max_members && (cfg.max_members < 2 || cfg.max_members > (1u << 24))) return CommandError::BadConfig;
  bool uuid_change = !first && cfg.has_uuid && cfg.uuid != e.self_member().uuid;
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
  if (cfg.has_lifeguard && cfg.lifeguard != e.lifeguard) {
    e.lifeguard = cfg.lifeguard;
    e.awareness.reset();  // off: Tarantool's timing exactly; on: start healthy
  }
  if (cfg.has_max_members) e.max_members = cfg.max_members;

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
    def.addr = e.self_member().addr();
    def.uuid = cfg.uuid;
    def.incarnation = e.self_member().incarnation;
    def.has_payload = true;
    def.payload.data = e.self_member().payload;
    def.payload.size = e.self_member().payload_size;
    uint32_t slot = e.new_member(def);
    e.member_at(old_self).status = Status::Left;
    e.on_update(old_self, kEvNewStatus);
    e.self = slot;
  }
  if (cfg.has_uri && cfg.uri != e.self_member().addr()) {
    // A new incarnation makes the new address beat the old one everywhere.
    uint32_t mask = kEvNewUri;
    e.bump_self_version(&mask);
    e.self_member().set_addr(cfg.uri);
    e.on_update(e.self, mask);
  }
  e.check_invariants("configure");
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
  // Incarnation 0.0, payload unknown until heard. The user vouches for the address: it is
  // confirmed (full pings, counted in the first-contact rate) from the start.
  e.set_confirmed(e.new_member(def), true);
  e.check_invariants("add_member");
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
  e.check_invariants("remove_member");
  return CommandError::Ok;
}

CommandError Engine::probe_member(Addr uri, Time now) {
  Impl& e = *impl_;
  if (e.quitting) return CommandError::Quitting;
  if (!e.configured()) return CommandError::NotConfigured;
  if (uri.ip == 0 || uri.port == 0) return CommandError::BadAddress;
  e.now = now;
  e.contacts.add_watch(uri);  // so that heard_from(uri) tells whether it answered
  e.send_fd(FdType::Ping, uri, nullptr);
  ++e.stats.pings_sent;
  e.check_invariants("probe_member");
  return CommandError::Ok;
}

CommandError Engine::broadcast(uint16_t port, Time now) {
  Impl& e = *impl_;
  if (e.quitting) return CommandError::Quitting;
  if (!e.configured()) return CommandError::NotConfigured;
  e.now = now;
  if (port == 0) port = e.self_member().addr().port;  // same port as ours: the usual deployment
  e.build_message(FdType::Ping);
  Addr to;
  to.ip = 0xffffffffu;
  to.port = port;
  e.emit(e.out, to, true);
  ++e.stats.pings_sent;
  e.check_invariants("broadcast");
  return CommandError::Ok;
}

CommandError Engine::set_seeds(const std::vector<Addr>& seeds, Time now) {
  Impl& e = *impl_;
  if (e.quitting) return CommandError::Quitting;
  if (!e.configured()) return CommandError::NotConfigured;
  for (Addr a : seeds)
    if (a.ip == 0 || a.port == 0) return CommandError::BadAddress;
  e.now = now;
  e.contacts.set_seeds(seeds);
  Addr me = e.self_member().addr();
  for (size_t i = 0; i < e.contacts.size(); ++i) {
    const Contacts::Entry& c = e.contacts.at(i);
    if ((c.kinds & Contacts::kSeed) && !(c.kinds & Contacts::kSelf) && c.addr != me) e.send_heal_probe(c.addr);
  }
  if (e.heal_deadline == kNever) e.heal_deadline = now + e.heal_period();
  e.check_invariants("set_seeds");
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
  uint32_t mask = 0;
  Member& s = e.self_member();
  if (size > 0 || s.payload_size > 0) {
    if (!MemberTable::set_payload(s, data, size)) return CommandError::PayloadTooLarge;
    s.payload_ttd = e.payload_ttd_for();
    mask |= kEvNewPayload;
  }
  s.set(MemberFlag::PayloadFresh, true);
  e.bump_self_version(&mask);  // at the top of both ranges the payload still changes locally
  e.on_update(e.self, mask);
  e.check_invariants("set_payload");
  return CommandError::Ok;
}

CommandError Engine::quit(Time now) {
  Impl& e = *impl_;
  if (e.quitting) return CommandError::Quitting;
  if (!e.configured()) return CommandError::NotConfigured;
  e.now = now;
  Packet& p = e.out;
  p.clear();
  p.meta.src = e.self_member().addr();
  p.source = e.self_member().uuid;
  p.has_quit = true;
  p.quit = e.self_member().incarnation;
  for (uint32_t s = 0; s < e.table.capacity(); ++s) {
    const Member& x = e.member_at(s);
    if (x.live() && s != e.self && x.status != Status::Left) e.emit(p, x.addr(), false);
  }
  e.self_member().status = Status::Left;
  e.quitting = true;
  e.round_deadline = kNever;
  e.waits.clear();
  e.pending.clear();
  for (uint32_t s = 0; s < e.table.capacity(); ++s) e.member_at(s).set(MemberFlag::Suspicion, false);
  e.suspicions.clear();
  e.heal_deadline = kNever;
  e.check_invariants("quit");
  return CommandError::Ok;
}

void Engine::on_datagram(const uint8_t* data, size_t size, Addr from, Time now) {
  // The meta source is authoritative (it is encrypted when UDP headers are not); `from`
  // only tells join and healing which address answered.
  Impl& e = *impl_;
  e.now = now;
  e.on_datagram(data, size, from);
  e.check_invariants("on_datagram");
}

void Engine::on_timer(Time now) {
  Impl& e = *impl_;
  if (!e.configured() || e.quitting) return;
  e.now = now;
  e.check_acks();
  if (e.round_deadline <= now) e.round_step();
  // While the round is idle (nobody else in the table), healing has a timer of its own.
  if (e.round_deadline == kNever && e.heal_deadline <= now) e.heal_step();
  e.pump_probes();
  e.check_invariants("on_timer");
}

Time Engine::next_deadline() const {
  const Impl& e = *impl_;
  if (!e.configured() || e.quitting) return kNever;
  Time t = std::min(e.round_deadline, e.waits.next_deadline());
  if (e.pending.waiting() > 0) t = std::min(t, std::max(e.probe_ready_at(), e.now));
  if (e.round_deadline == kNever && e.contacts.heal_targets() > 0) t = std::min(t, std::max(e.heal_deadline, e.now));
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
  e.events.take(out, [&e](uint32_t slot, MemberSnapshot* m) { e.snapshot(slot, m); });
  e.check_invariants("take_events");
}

bool Engine::has_events() const { return impl_->events.pending() > 0; }

void Engine::take_conflicts(std::vector<Conflict>* out) {
  Impl& e = *impl_;
  for (const Conflict& c : e.conflicts) out->push_back(c);
  e.conflicts.clear();
}

bool Engine::has_conflicts() const { return !impl_->conflicts.empty(); }
uint64_t Engine::heard_from(Addr addr) const { return impl_->contacts.heard_from(addr); }
uint64_t Engine::heard_clock() const { return impl_->contacts.clock(); }
size_t Engine::pending_events() const { return impl_->events.pending(); }

bool Engine::configured() const { return impl_->configured(); }
bool Engine::quitting() const { return impl_->quitting; }
Addr Engine::uri() const { return impl_->configured() ? impl_->table.at(impl_->self).addr() : Addr(); }
Uuid Engine::uuid() const { return impl_->configured() ? impl_->table.at(impl_->self).uuid : Uuid(); }
GcMode Engine::gc_mode() const { return impl_->gc; }
double Engine::heartbeat_rate() const { return impl_->heartbeat_s; }
double Engine::ack_timeout() const { return impl_->ack_timeout_s; }
bool Engine::lifeguard() const { return impl_->lifeguard; }
uint32_t Engine::max_members() const { return impl_->max_members; }
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

const Stats& Engine::stats() const {
  impl_->stats.awareness = static_cast<uint32_t>(impl_->awareness.score());
  return impl_->stats;
}

}  // namespace swim
