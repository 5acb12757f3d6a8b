// The simulator (native/sim) as the engine's checks use it: nodes numbered from 0 (see
// check.h), virtual time in seconds, statuses as ints (-1: absent), a drop rate per node
// and direction. Commands go through the simulator so it sends their output and
// reschedules the node's timer; reads may use the engine directly.
#pragma once

#include <cstdlib>
#include <functional>

#include "core/test/check.h"

namespace swim_test {

class SimCluster {
 public:
  SimCluster(uint32_t n, uint64_t seed, double ack_timeout = 1.0, GcMode gc = GcMode::On, bool keep_events = true,
             double heartbeat = 0)
      : sim_(config(n, seed, ack_timeout, gc, keep_events, heartbeat)) {
    if (!sim_.error().empty()) std::abort();
  }

  sim::Simulation& sim() { return sim_; }
  Engine& e(uint32_t i) { return sim_.engine(i + 1); }
  uint32_t size() const { return sim_.size(); }
  Time now() const { return sim_.now(); }
  double seconds() const { return static_cast<double>(sim_.now()) / kSecond; }

  // --- commands at the current virtual time
  CommandError configure(uint32_t i, const ConfigPatch& p) { return command(sim_.configure(i + 1, p)); }
  CommandError add_member(uint32_t i, Addr uri, const Uuid& uuid) { return command(sim_.add_member(i + 1, uri, uuid)); }
  CommandError remove_member(uint32_t i, const Uuid& uuid) { return command(sim_.remove_member(i + 1, uuid)); }
  CommandError probe_member(uint32_t i, Addr uri) { return command(sim_.probe(i + 1, uri)); }
  CommandError broadcast(uint32_t i, uint16_t port) { return command(sim_.broadcast(i + 1, port)); }
  CommandError set_seeds(uint32_t i, const std::vector<Addr>& seeds) { return command(sim_.set_seeds(i + 1, seeds)); }
  CommandError set_payload(uint32_t i, const void* data, size_t size, bool present) {
    return command(sim_.set_payload(i + 1, static_cast<const uint8_t*>(data), size, present));
  }
  void quit(uint32_t i) { sim_.quit(i + 1); }
  void take_events(uint32_t i, std::vector<MemberEvent>* out) { sim_.take_events(i + 1, out); }
  void add_link(uint32_t from, uint32_t to) { sim_.add_member(from + 1, to + 1); }
  void interconnect(uint32_t a, uint32_t b) {
    add_link(a, b);
    add_link(b, a);
  }

  // --- nodes and network
  void kill(uint32_t i) { sim_.kill(i + 1); }
  void restart(uint32_t i) { sim_.restart(i + 1); }  // same configuration, generation + 1
  void set_drop(uint32_t i, double in, double out) {
    sim_.set_drop(i + 1, in, sim::Direction::In);
    sim_.set_drop(i + 1, out, sim::Direction::Out);
  }
  void block(uint32_t i, bool on) { on ? sim_.block(i + 1) : sim_.unblock(i + 1); }
  void cut(uint32_t a, uint32_t b) { sim_.cut(a + 1, b + 1); }

  // --- running: virtual seconds taken until pred() held, or -1
  double run_until(const std::function<bool()>& pred, double seconds) {
    Time t = sim_.run_until(pred, static_cast<Time>(seconds * kSecond));
    return t < 0 ? -1 : static_cast<double>(t) / kSecond;
  }
  void run_for(double seconds) { sim_.run(static_cast<Time>(seconds * kSecond)); }

  // --- views
  int status(uint32_t viewer, uint32_t member) {
    MemberSnapshot s;
    if (!e(viewer).member(node_uuid(member), &s)) return -1;
    return static_cast<int>(s.status);
  }
  bool fullmesh() { return sim_.fullmesh(); }
  // Every (some) running node other than `member` sees it with status `st` (-1: absent).
  bool status_everywhere(uint32_t member, int st) { return sim_.check(status_check(member, st, Where::Everywhere)); }
  bool status_anywhere(uint32_t member, int st) { return sim_.check(status_check(member, st, Where::Anywhere)); }

 private:
  using Where = sim::MemberCheck::Where;

  static sim::SimConfig config(uint32_t n, uint64_t seed, double ack_timeout, GcMode gc, bool keep_events,
                               double heartbeat) {
    sim::SimConfig c;
    if (heartbeat > 0) {
      c.base.has_heartbeat_rate = true;
      c.base.heartbeat_rate = heartbeat;
    }
    c.nodes = n;
    c.seed = seed;
    c.base.has_ack_timeout = true;
    c.base.ack_timeout = ack_timeout;
    c.base.has_gc_mode = true;
    c.base.gc_mode = gc;
    c.keep_events = keep_events;
    return c;
  }
  static CommandError command(const sim::Simulation::Result& r) {
    return r.sim == sim::Simulation::SimError::Ok ? r.command : CommandError::Count_;
  }
  static sim::MemberCheck status_check(uint32_t member, int st, Where where) {
    sim::MemberCheck c;
    c.uuid = node_uuid(member);
    c.member_node = member + 1;
    c.where = where;
    c.check_status = true;
    c.status = st < 0 ? sim::kAbsent : st;
    return c;
  }

  sim::Simulation sim_;
};

}  // namespace swim_test
