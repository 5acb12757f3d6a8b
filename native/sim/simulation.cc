#include "sim/simulation.h"

#include <algorithm>
#include <cstring>

namespace swim {
namespace sim {

namespace {

// A burst of work at one instant this large means engines are feeding each other
// zero-delay packets or a deadline that never advances: stop instead of spinning.
constexpr uint64_t kMaxEventsPerInstant = 50000000;

}  // namespace

const char* direction_name(Direction d) {
  switch (d) {
    case Direction::In: return "in";
    case Direction::Out: return "out";
    case Direction::Both: return "both";
  }
  return "?";
}

Uuid Simulation::node_uuid(uint32_t i) {
  // 00000000-0000-1000-8000-<i as 12 hex digits>: valid version/variant bits, readable.
  Uuid u;
  u.bytes[6] = 0x10;
  u.bytes[8] = 0x80;
  for (int k = 0; k < 6; ++k) u.bytes[15 - k] = static_cast<uint8_t>(uint64_t(i) >> (8 * k));
  return u;
}

uint32_t Simulation::node_of(const Uuid& uuid) const {
  uint64_t i = 0;
  for (int k = 10; k < 16; ++k) i = (i << 8) | uuid.bytes[k];
  if (i == 0 || i >= nodes_.size() || node_uuid(static_cast<uint32_t>(i)) != uuid) return 0;
  return static_cast<uint32_t>(i);
}

Addr Simulation::node_addr(uint32_t i) {
  Addr a;
  a.ip = kLoopback;
  a.port = static_cast<uint16_t>(i);
  return a;
}

Simulation::Simulation(const SimConfig& cfg)
    : seed_(cfg.seed), net_rng_(cfg.seed ^ 0x5157494D53494D00ull /* "SWIMSIM" */), keep_events_(cfg.keep_events) {
  nodes_.resize(size_t(cfg.nodes) + 1);
  touched_mark_.assign(nodes_.size(), 0);
  by_port_.assign(size_t(UINT16_MAX) + 1, 0);
  for (uint32_t i = 1; i <= cfg.nodes; ++i) {
    Node& n = nodes_[i];
    n.cfg = cfg.base;
    n.cfg.has_uri = n.cfg.has_uuid = false;
    n.generation = cfg.base.has_generation ? cfg.base.generation : 0;
    n.cfg.has_generation = false;
    n.running = true;
    ++running_count_;
    make_engine(i);
    if (cfg.configure) {
      ConfigPatch p = n.cfg;
      p.has_uri = true;
      p.uri = node_addr(i);
      p.has_uuid = true;
      p.uuid = node_uuid(i);
      p.has_generation = true;
      p.generation = n.generation;
      CommandError e = n.engine->configure(p, now_);
      if (e != CommandError::Ok) {
        error_ = std::string("initial configure of node ") + std::to_string(i) +
                 " failed: " + command_error_name(e);
      } else {
        bind(p.uri, i);
      }
      after_engine(i);
    }
  }
}

Simulation::~Simulation() = default;

uint64_t Simulation::engine_seed(uint32_t i, uint32_t restarts) const {
  uint64_t s = seed_ ^ (uint64_t(i) << 20) ^ (uint64_t(restarts) << 52);
  splitmix64(&s);
  return splitmix64(&s);
}

void Simulation::make_engine(uint32_t i) {
  Node& n = nodes_[i];
  n.engine.reset(new Engine(engine_seed(i, n.restarts)));
}

Time Simulation::draw_jitter(Time jitter) {
  return jitter > 0 ? static_cast<Time>(net_rng_.next() % uint64_t(jitter + 1)) : 0;
}

double Simulation::uniform() { return double(net_rng_.next() >> 11) * (1.0 / 9007199254740992.0); }

NodeStats Simulation::total_stats() const {
  NodeStats t;
  for (size_t i = 1; i < nodes_.size(); ++i) {
    const NodeStats& s = nodes_[i].stats;
    t.packets_sent += s.packets_sent;
    t.bytes_sent += s.bytes_sent;
    t.packets_received += s.packets_received;
    t.bytes_received += s.bytes_received;
    t.dropped_out += s.dropped_out;
    t.dropped_in += s.dropped_in;
    t.undeliverable += s.undeliverable;
    t.seen_suspected += s.seen_suspected;
    t.seen_dead += s.seen_dead;
    t.seen_alive += s.seen_alive;
  }
  return t;
}

// --- engine plumbing ---

void Simulation::after_engine(uint32_t i) {
  Node& n = nodes_[i];
  touch(i);
  outbox_.clear();
  n.engine->take_outbox(&outbox_);
  for (Datagram& d : outbox_) send(i, std::move(d), false);
  outbox_.clear();
  if (!keep_events_ && n.engine->has_events()) {
    events_.clear();
    n.engine->take_events(&events_);
    for (const MemberEvent& e : events_) {
      if ((e.mask & kEvNewStatus) == 0 || e.member.is_self) continue;
      uint32_t j = node_of(e.member.uuid);
      if (j == 0) continue;
      NodeStats& seen = nodes_[j].stats;
      if (e.member.status == Status::Suspected) ++seen.seen_suspected;
      else if (e.member.status == Status::Dead) ++seen.seen_dead;
      else if (e.member.status == Status::Alive) ++seen.seen_alive;
    }
    events_.clear();
  }
  schedule_timer(i);
}

void Simulation::schedule_timer(uint32_t i) {
  Node& n = nodes_[i];
  Time at = n.running ? n.engine->next_deadline() : kNever;
  if (at != kNever && at < now_) at = now_;
  if (at == n.timer_at) return;
  n.timer_at = at;
  n.timer_seq = ++seq_;  // older queue entries of this node become stale
  if (at == kNever) return;
  queue_.push(Event{at + late_ + draw_jitter(late_jitter_), n.timer_seq, i, kTimer});
}

Simulation::Result Simulation::finish(uint32_t i, CommandError e) {
  after_engine(i);
  Result r;
  r.command = e;
  return r;
}

// --- commands ---

Simulation::Result Simulation::configure(uint32_t i, const ConfigPatch& patch) {
  Node& n = nodes_[i];
  Result r;
  if (!n.running) {
    r.sim = SimError::NotRunning;
    return r;
  }
  if (patch.has_uri) {
    auto it = by_addr_.find(addr_key(patch.uri));
    if (it != by_addr_.end() && it->second != i) {
      r.sim = SimError::AddressInUse;
      return r;
    }
  }
  const bool was_configured = n.engine->configured();
  const Addr old_addr = n.engine->uri();
  ConfigPatch p = patch;
  // The generation is the simulator's to manage (restart bumps it); honour an explicit one
  // on the first configure only, as the engine does.
  if (!was_configured && !p.has_generation) {
    p.has_generation = true;
    p.generation = n.generation;
  }
  CommandError e = n.engine->configure(p, now_);
  if (e == CommandError::Ok) {
    if (!was_configured && p.has_generation) n.generation = p.generation;
    if (patch.has_heartbeat_rate) {
      n.cfg.has_heartbeat_rate = true;
      n.cfg.heartbeat_rate = patch.heartbeat_rate;
    }
    if (patch.has_ack_timeout) {
      n.cfg.has_ack_timeout = true;
      n.cfg.ack_timeout = patch.ack_timeout;
    }
    if (patch.has_gc_mode) {
      n.cfg.has_gc_mode = true;
      n.cfg.gc_mode = patch.gc_mode;
    }
    if (patch.has_indirect_ping_count) {
      n.cfg.has_indirect_ping_count = true;
      n.cfg.indirect_ping_count = patch.indirect_ping_count;
    }
    if (!was_configured || n.engine->uri() != old_addr) rebind(i, was_configured ? old_addr : Addr{});
  }
  return finish(i, e);
}

void Simulation::rebind(uint32_t i, Addr old_addr) {
  auto it = by_addr_.find(addr_key(old_addr));
  if (it != by_addr_.end() && it->second == i) {
    by_addr_.erase(it);
    if (old_addr.ip == kLoopback) by_port_[old_addr.port] = 0;
  }
  bind(nodes_[i].engine->uri(), i);
}

#define SIM_REQUIRE_RUNNING(i)          \
  do {                                  \
    if (!nodes_[i].running) {           \
      Result r_;                        \
      r_.sim = SimError::NotRunning;    \
      return r_;                        \
    }                                   \
  } while (0)

Simulation::Result Simulation::add_member(uint32_t i, uint32_t j) {
  return add_member(i, nodes_[j].engine->uri(), nodes_[j].engine->uuid());
}

Simulation::Result Simulation::add_member(uint32_t i, Addr uri, const Uuid& uuid) {
  SIM_REQUIRE_RUNNING(i);
  return finish(i, nodes_[i].engine->add_member(uri, uuid, now_));
}

Simulation::Result Simulation::remove_member(uint32_t i, const Uuid& uuid) {
  SIM_REQUIRE_RUNNING(i);
  return finish(i, nodes_[i].engine->remove_member(uuid, now_));
}

Simulation::Result Simulation::probe(uint32_t i, Addr uri) {
  SIM_REQUIRE_RUNNING(i);
  return finish(i, nodes_[i].engine->probe_member(uri, now_));
}

Simulation::Result Simulation::broadcast(uint32_t i, uint16_t port) {
  SIM_REQUIRE_RUNNING(i);
  return finish(i, nodes_[i].engine->broadcast(port, now_));
}

Simulation::Result Simulation::set_seeds(uint32_t i, const std::vector<Addr>& seeds) {
  SIM_REQUIRE_RUNNING(i);
  return finish(i, nodes_[i].engine->set_seeds(seeds, now_));
}

Simulation::Result Simulation::set_payload(uint32_t i, const uint8_t* data, size_t size, bool present) {
  SIM_REQUIRE_RUNNING(i);
  return finish(i, nodes_[i].engine->set_payload(data, size, present, now_));
}

Simulation::Result Simulation::quit(uint32_t i) {
  SIM_REQUIRE_RUNNING(i);
  Node& n = nodes_[i];
  CommandError e = n.engine->quit(now_);
  Result r;
  r.command = e;
  if (e != CommandError::Ok) {
    after_engine(i);
    return r;
  }
  // The quit packets leave even when the node's I/O is blocked: closing a socket flushes
  // what was already written to it. Then the node is gone.
  for (uint32_t slot : n.held_out) transmit(slot);
  n.held_out.clear();
  outbox_.clear();
  n.engine->take_outbox(&outbox_);
  for (Datagram& d : outbox_) send(i, std::move(d), true);
  outbox_.clear();
  kill(i);
  return r;
}

void Simulation::kill(uint32_t i) {
  Node& n = nodes_[i];
  if (n.running) --running_count_;
  n.running = false;
  touch(i);
  for (uint32_t slot : n.held_in) free_packet(slot);
  for (uint32_t slot : n.held_out) free_packet(slot);
  n.held_in.clear();
  n.held_out.clear();
  n.blocked = false;
  schedule_timer(i);  // invalidates its pending timer
}

Simulation::Result Simulation::restart(uint32_t i, uint32_t seed_member) {
  Node& n = nodes_[i];
  const Addr addr = n.engine->uri();
  const Uuid uuid = n.engine->uuid();
  const bool was_configured = n.engine->configured();
  if (n.running) kill(i);
  ++n.restarts;
  ++n.generation;
  make_engine(i);
  n.running = true;
  ++running_count_;
  touch(i);
  n.timer_at = kNever;
  Result r;
  if (was_configured) {
    ConfigPatch p = n.cfg;
    p.has_uri = true;
    p.uri = addr;
    p.has_uuid = true;
    p.uuid = uuid;
    p.has_generation = true;
    p.generation = n.generation;
    r.command = n.engine->configure(p, now_);
    after_engine(i);
    if (r.ok() && seed_member != 0 && seed_member != i) r = add_member(i, seed_member);
  }
  return r;
}

void Simulation::take_events(uint32_t i, std::vector<MemberEvent>* out) {
  nodes_[i].engine->take_events(out);
}

// --- network ---

void Simulation::set_drop(uint32_t i, double rate, Direction dir) {
  if (rate < 0) rate = 0;
  if (rate > 1) rate = 1;
  Node& n = nodes_[i];
  if (dir == Direction::In || dir == Direction::Both) n.drop_in = rate;
  if (dir == Direction::Out || dir == Direction::Both) n.drop_out = rate;
}

void Simulation::set_delay(uint32_t i, Time fixed, Time jitter) {
  if (fixed < 0) fixed = 0;
  if (jitter < 0) jitter = 0;
  if (i == 0) {
    delay_ = fixed;
    jitter_ = jitter;
    return;
  }
  Node& n = nodes_[i];
  n.has_delay = true;
  n.delay = fixed;
  n.jitter = jitter;
}

void Simulation::set_timer_lateness(Time fixed, Time jitter) {
  late_ = fixed < 0 ? 0 : fixed;
  late_jitter_ = jitter < 0 ? 0 : jitter;
}

void Simulation::block(uint32_t i) {
  if (nodes_[i].running) nodes_[i].blocked = true;
}

void Simulation::unblock(uint32_t i) {
  Node& n = nodes_[i];
  if (!n.blocked) return;
  n.blocked = false;
  // As a socket that becomes writable then readable: first what it had to send, then what
  // was waiting for it, both in their original order.
  std::vector<uint32_t> out, in;
  out.swap(n.held_out);
  in.swap(n.held_in);
  for (uint32_t slot : out) transmit(slot);
  for (uint32_t slot : in) queue_.push(Event{now_, ++seq_, i, slot});
}

uint64_t Simulation::link_key(uint32_t i, uint32_t j) {
  if (i > j) std::swap(i, j);
  return (uint64_t(i) << 32) | j;
}

void Simulation::cut(uint32_t i, uint32_t j) { cuts_.insert(link_key(i, j)); }
void Simulation::uncut(uint32_t i, uint32_t j) { cuts_.erase(link_key(i, j)); }

void Simulation::partition(const std::vector<uint32_t>& a, const std::vector<uint32_t>& b) {
  for (uint32_t i : a)
    for (uint32_t j : b)
      if (i != j) cuts_.insert(link_key(i, j));
}

void Simulation::heal() { cuts_.clear(); }

bool Simulation::is_cut(uint32_t i, uint32_t j) const {
  return !cuts_.empty() && cuts_.count(link_key(i, j)) != 0;
}

uint32_t Simulation::node_at(Addr a) const {
  // Every packet looks its destination up (twice): loopback addresses, which the nodes
  // have unless configured otherwise, take a direct index instead of the hash map.
  if (a.ip == kLoopback) return by_port_[a.port];
  auto it = by_addr_.find(addr_key(a));
  return it == by_addr_.end() ? 0 : it->second;
}

void Simulation::bind(Addr a, uint32_t i) {
  by_addr_[addr_key(a)] = i;
  if (a.ip == kLoopback) by_port_[a.port] = i;
}

uint32_t Simulation::alloc_packet() {
  if (!free_packets_.empty()) {
    uint32_t slot = free_packets_.back();
    free_packets_.pop_back();
    return slot;
  }
  packets_.emplace_back();
  return static_cast<uint32_t>(packets_.size() - 1);
}

void Simulation::free_packet(uint32_t slot) {
  packets_[slot].bytes.clear();
  free_packets_.push_back(slot);
}

void Simulation::send(uint32_t i, Datagram&& d, bool ignore_block) {
  Node& n = nodes_[i];
  n.stats.packets_sent++;
  n.stats.bytes_sent += d.bytes.size();
  const Addr from = n.engine->uri();
  if (d.broadcast) {
    // Expanded now, to the nodes listening on that port at the time of sending. Simulated
    // hosts differ by port, so the sender's own port stands for "the port every host uses"
    // (the usual deployment, and what the engine picks by default): it reaches everyone.
    const bool everyone = d.to.port == 0 || d.to.port == from.port;
    for (uint32_t j = 1; j < nodes_.size(); ++j) {
      if (!nodes_[j].running) continue;
      if (!everyone && nodes_[j].engine->uri().port != d.to.port) continue;
      uint32_t slot = alloc_packet();
      Packet& p = packets_[slot];
      p.from = from;
      p.to = nodes_[j].engine->uri();
      p.src = i;
      p.bytes.assign(d.bytes.begin(), d.bytes.end());
      if (n.blocked && !ignore_block)
        n.held_out.push_back(slot);
      else
        transmit(slot);
    }
    return;
  }
  uint32_t slot = alloc_packet();
  Packet& p = packets_[slot];
  p.from = from;
  p.to = d.to;
  p.src = i;
  p.bytes.swap(d.bytes);
  if (n.blocked && !ignore_block)
    n.held_out.push_back(slot);
  else
    transmit(slot);
}

void Simulation::transmit(uint32_t slot) {
  Packet& p = packets_[slot];
  Node& src = nodes_[p.src];
  if (src.drop_out > 0 && uniform() < src.drop_out) {
    src.stats.dropped_out++;
    free_packet(slot);
    return;
  }
  const uint32_t dst = node_at(p.to);
  if (dst != 0 && is_cut(p.src, dst)) {
    src.stats.dropped_out++;
    free_packet(slot);
    return;
  }
  Time delay = src.has_delay ? src.delay : delay_;
  Time jitter = src.has_delay ? src.jitter : jitter_;
  delay += draw_jitter(jitter);
  queue_.push(Event{now_ + delay, ++seq_, 0, slot});
}

void Simulation::inject(uint32_t i, Addr from, const uint8_t* data, size_t size) {
  if (!valid(i)) return;
  uint32_t slot = alloc_packet();
  Packet& p = packets_[slot];
  p.from = from;
  p.to = nodes_[i].engine->uri();
  p.src = 0;  // nobody's: nodes_[0] takes an undeliverable count
  p.bytes.assign(data, data + size);
  queue_.push(Event{now_, ++seq_, 0, slot});
}

void Simulation::deliver(uint32_t slot) {
  Packet& p = packets_[slot];
  const uint32_t dst = node_at(p.to);
  if (dst == 0 || !nodes_[dst].running) {
    nodes_[p.src].stats.undeliverable++;
    free_packet(slot);
    return;
  }
  Node& n = nodes_[dst];
  if (n.blocked) {
    n.held_in.push_back(slot);
    return;
  }
  if (n.drop_in > 0 && uniform() < n.drop_in) {
    n.stats.dropped_in++;
    free_packet(slot);
    return;
  }
  n.stats.packets_received++;
  n.stats.bytes_received += p.bytes.size();
  n.engine->on_datagram(p.bytes.data(), p.bytes.size(), p.from, now_);
  free_packet(slot);
  after_engine(dst);
}

// --- running ---

void Simulation::process(const Event& e) {
  if (e.packet != kTimer) {
    deliver(e.packet);
    return;
  }
  Node& n = nodes_[e.node];
  if (!n.running || e.seq != n.timer_seq) return;  // stale
  n.timer_at = kNever;  // consumed; after_engine schedules the next one
  n.engine->on_timer(now_);
  after_engine(e.node);
}

void Simulation::drain_stale() {
  while (!queue_.empty()) {
    const Event& e = queue_.top();
    if (e.packet != kTimer) return;
    const Node& n = nodes_[e.node];
    if (n.running && e.seq == n.timer_seq) return;
    queue_.pop();
  }
}

Time Simulation::next_event_time() {
  drain_stale();
  return queue_.empty() ? kNever : queue_.top().at;
}

bool Simulation::step() {
  if (!error_.empty()) return false;
  const Time at = next_event_time();
  if (at == kNever) return false;
  if (at > now_) now_ = at;
  uint64_t count = 0;
  while (!queue_.empty() && queue_.top().at <= now_) {
    Event e = queue_.top();
    queue_.pop();
    process(e);
    if (++count > kMaxEventsPerInstant) {
      error_ = "more than " + std::to_string(kMaxEventsPerInstant) +
               " events at one virtual instant: an engine keeps rescheduling work at the same time";
      return false;
    }
  }
  return true;
}

Time Simulation::run_until(const std::function<bool()>& pred, Time timeout) {
  const Time start = now_;
  const Time deadline = timeout >= kNever - start ? kNever : start + timeout;
  for (;;) {
    // Work already due (zero-delay packets such as quit messages) counts as "now".
    while (next_event_time() <= now_)
      if (!step()) break;
    if (!error_.empty()) return -1;
    if (pred()) return now_ - start;
    const Time next = next_event_time();
    if (next == kNever || next > deadline) {
      if (deadline != kNever) now_ = deadline;
      return -1;
    }
    now_ = next;
  }
}

// --- conditions ---

bool Simulation::fullmesh() {
  const uint32_t n = size();
  const uint32_t live = running_count_;
  // Cheap necessary condition first: big clusters spend most of their time far from it.
  // It is checked at every instant of a run_until: start where it last failed, so that a
  // cluster far from a mesh costs O(1) per check instead of O(N).
  if (mesh_hint_ > n) mesh_hint_ = 1;
  for (uint32_t k = 0; k < n; ++k) {
    const uint32_t i = (mesh_hint_ - 1 + k) % n + 1;
    if (nodes_[i].running && nodes_[i].engine->size() < live) {
      mesh_hint_ = i;
      return false;
    }
  }
  MemberSnapshot m;
  for (uint32_t k = 0; k < n; ++k) {
    const uint32_t i = (mesh_hint_ - 1 + k) % n + 1;
    if (!nodes_[i].running) continue;
    const Engine& e = *nodes_[i].engine;
    for (uint32_t j = 1; j <= n; ++j) {
      if (j == i || !nodes_[j].running) continue;
      if (!e.member(nodes_[j].engine->uuid(), &m) || m.status != Status::Alive) {
        mesh_hint_ = i;
        return false;
      }
    }
  }
  return true;
}

bool Simulation::matches(const MemberCheck& c, uint32_t viewer) const {
  MemberSnapshot m;
  const bool found = nodes_[viewer].engine->member(c.uuid, &m);
  if (c.check_status) {
    const int status = found ? static_cast<int>(m.status) : kAbsent;
    if (status != c.status) return false;
  }
  if (c.check_incarnation) {
    Incarnation inc = found ? m.incarnation : Incarnation{};
    if (inc != c.incarnation) return false;
  }
  if (c.check_payload) {
    const bool has = found && m.has_payload;
    if (has != c.payload_present) return false;
    if (has && m.payload != c.payload) return false;
  }
  return true;
}

bool Simulation::check(const MemberCheck& c) const {
  switch (c.where) {
    case MemberCheck::Where::On:
      return valid(c.on) && matches(c, c.on);
    case MemberCheck::Where::Anywhere:
      for (uint32_t i = 1; i < nodes_.size(); ++i)
        if (i != c.member_node && nodes_[i].running && matches(c, i)) return true;
      return false;
    case MemberCheck::Where::Everywhere:
      for (uint32_t i = 1; i < nodes_.size(); ++i)
        if (i != c.member_node && nodes_[i].running && !matches(c, i)) return false;
      return true;
  }
  return false;
}

bool Simulation::check(MemberWatch* w) {
  const MemberCheck& c = w->check;
  if (c.where == MemberCheck::Where::On) return check(c);
  auto update = [&](uint32_t i) {
    const uint8_t now = i == c.member_node || !nodes_[i].running ? 0 : matches(c, i) ? 2 : 1;
    const uint8_t was = w->state[i];
    w->viewers += (now != 0) - (was != 0);
    w->matching += (now == 2) - (was == 2);
    w->state[i] = now;
  };
  if (w->serial != touch_serial_ || w->state.size() != nodes_.size()) {
    // First evaluation, or another watch consumed the touched list meanwhile: full pass.
    w->state.assign(nodes_.size(), 0);
    w->viewers = w->matching = 0;
    for (uint32_t i = 1; i < nodes_.size(); ++i) update(i);
  } else {
    for (uint32_t i : touched_) update(i);
  }
  for (uint32_t i : touched_) touched_mark_[i] = 0;
  touched_.clear();
  w->serial = ++touch_serial_;
  return c.where == MemberCheck::Where::Anywhere ? w->matching > 0 : w->matching == w->viewers;
}

void Simulation::view(uint32_t i, std::vector<MemberSnapshot>* out) const {
  out->clear();
  nodes_[i].engine->members(out);
  std::sort(out->begin(), out->end(),
            [](const MemberSnapshot& a, const MemberSnapshot& b) { return a.uuid < b.uuid; });
}

}  // namespace sim
}  // namespace swim
