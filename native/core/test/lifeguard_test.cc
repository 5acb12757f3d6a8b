// Lifeguard (docs/protocol.md#lifeguard) and the protocol fixes that came with it: the
// suspicion timeout formula, uniform draws, an isolated member doubting itself instead of
// accusing others, a real crash still detected, the buddy record, dissemination that does
// not starve its tail, left members not revived by an ack, our own address corrected.
#include <algorithm>
#include <cmath>
#include <memory>

#include "core/awareness.h"
#include "core/sampler.h"
#include "core/suspicion.h"
#include "core/test/sim_cluster.h"

namespace swim_test {

namespace {

constexpr int ALIVE_STATUS = 0, DEAD_STATUS = 2;

ConfigPatch lifeguard_patch(bool on) {
  ConfigPatch p;
  p.has_lifeguard = true;
  p.lifeguard = on;
  p.has_heartbeat_rate = true;
  p.heartbeat_rate = 0.5;
  p.has_ack_timeout = true;
  p.ack_timeout = 0.5;
  return p;
}

void mesh(SimCluster& c, bool lifeguard) {
  for (uint32_t i = 0; i < c.size(); ++i) c.configure(i, lifeguard_patch(lifeguard));
  for (uint32_t i = 0; i < c.size(); ++i)
    for (uint32_t j = 0; j < c.size(); ++j)
      if (i != j) c.add_link(i, j);
  c.run_for(3);
}

std::vector<uint8_t> encode(const Packet& p) {
  std::vector<uint8_t> buf(kMaxPacketSize);
  EncodeResult er = encode_packet(p, buf.data(), buf.size());
  if (!er.ok) std::abort();
  buf.resize(er.size);
  return buf;
}

Packet fd_packet(uint32_t from, FdType type, Incarnation inc) {
  Packet p;
  p.meta.src = node_addr(from);
  p.source = node_uuid(from);
  p.has_failure_detection = true;
  p.failure_detection.type = type;
  p.failure_detection.incarnation = inc;
  return p;
}

struct Sent {
  Addr to;
  Packet p;
};

// Runs the engine's timers at `now`; returns what it sent, decoded.
std::vector<Sent> fire(Engine* e, Time now) {
  e->on_timer(now);
  std::vector<Datagram> out;
  e->take_outbox(&out);
  std::vector<Sent> sent(out.size());
  for (size_t k = 0; k < out.size(); ++k) {
    sent[k].to = out[k].to;
    if (!decode_packet(out[k].bytes.data(), out[k].bytes.size(), &sent[k].p).ok()) std::abort();
  }
  return sent;
}

// Node i's ack reaches the engine at `at`.
void ack_from(Engine* e, uint32_t i, Time at) {
  std::vector<uint8_t> ack = encode(fd_packet(i, FdType::Ack, Incarnation{}));
  e->on_datagram(ack.data(), ack.size(), node_addr(i), at);
}

Engine* lone_engine(bool lifeguard, Time now) {
  Engine* e = new Engine(g_seed);
  ConfigPatch cfg = node_config(0);
  ConfigPatch lg = lifeguard_patch(lifeguard);
  cfg.has_lifeguard = true;
  cfg.lifeguard = lg.lifeguard;
  cfg.has_heartbeat_rate = cfg.has_ack_timeout = true;
  cfg.heartbeat_rate = cfg.ack_timeout = 0.5;
  if (e->configure(cfg, now) != CommandError::Ok) std::abort();
  return e;
}

}  // namespace

void test_lg_timeout_formula() {
  const int64_t min = 1000, max = 6000;
  CHECK(Suspicions::timeout(min, max, 0, 3) == max, "no confirmation: max");
  CHECK(Suspicions::timeout(min, max, 3, 3) == min, "K confirmations: min");
  CHECK(Suspicions::timeout(min, max, 5, 3) == min, "more than K: min");
  CHECK(Suspicions::timeout(min, max, 0, 0) == min, "nobody could confirm: min");
  int64_t one = Suspicions::timeout(min, max, 1, 3), two = Suspicions::timeout(min, max, 2, 3);
  CHECK(max > one && one > two && two > min, "decreasing: %lld %lld", (long long)one, (long long)two);
  CHECK(one == 3500, "log(2)/log(4) = 1/2 of the way: %lld", (long long)one);
  Suspicions s;
  Incarnation inc{1, 2};
  s.start(7, inc, 100, 42);
  CHECK(!s.confirm(7, inc, 42), "the first teller does not confirm");
  CHECK(s.confirm(7, inc, 1) && !s.confirm(7, inc, 1), "each member confirms once");
  CHECK(!s.confirm(7, Incarnation{1, 3}, 2), "another incarnation does not confirm");
  CHECK(s.confirm(7, inc, 2) && s.confirm(7, inc, 3) && !s.confirm(7, inc, 4), "bounded by K");
  CHECK(s.find(7)->confirmations == 3, "3 confirmations");
}

void test_lg_sampler_uniform() {
  Rng rng(g_seed);
  Sampler sm;
  const uint32_t n = 10, draws = 20000;
  std::vector<uint32_t> first(n, 0), third(n, 0);
  for (uint32_t k = 0; k < draws; ++k) {
    sm.begin(n);
    std::vector<bool> seen(n, false);
    for (uint32_t d = 0; d < n; ++d) {
      uint32_t s = sm.next(rng);
      CHECK(s < n && !seen[s], "without replacement");
      seen[s] = true;
      if (d == 0) ++first[s];
      if (d == 2) ++third[s];
    }
    CHECK(sm.next(rng) == kNoSlot, "exhausted");
  }
  for (uint32_t i = 0; i < n; ++i) {
    CHECK(std::abs(int(first[i]) - int(draws / n)) < int(draws / n / 5), "first draw uniform: %u", first[i]);
    CHECK(std::abs(int(third[i]) - int(draws / n)) < int(draws / n / 5), "third draw uniform: %u", third[i]);
  }
}

// A member that loses its network doubts itself: it accuses nobody, and nobody healthy is
// suspected. Lifeguard off, it suspects the others (Tarantool's behaviour).
void test_lg_isolated_member() {
  for (bool lifeguard : {true, false}) {
    SimCluster c(8, g_seed, 0.5, GcMode::On, false);
    mesh(c, lifeguard);
    CHECK(c.fullmesh(), "meshed");
    c.set_drop(0, 1, 1);
    bool accused = false;
    c.run_until([&] {
      for (uint32_t j = 1; j < 8; ++j) accused = accused || c.status(0, j) != ALIVE_STATUS;
      return false;
    }, 5);
    const Stats& st = c.e(0).stats();
    if (lifeguard) {
      CHECK(!accused, "an isolated member accuses nobody (lifeguard)");
      CHECK(st.awareness > 0 && st.ack_timeouts_self > 0, "it doubts itself: score %u", st.awareness);
    } else {
      CHECK(accused, "without lifeguard it suspects the others");
    }
    c.set_drop(0, 0, 0);
    CHECK(c.run_until([&] { return c.fullmesh(); }, 10) >= 0, "mesh again");
    uint64_t healthy_bad = 0;
    for (uint32_t i = 2; i <= 8; ++i) healthy_bad += c.sim().node_stats(i).seen_suspected + c.sim().node_stats(i).seen_dead;
    if (lifeguard) CHECK(healthy_bad == 0, "no healthy member suspected: %llu", (unsigned long long)healthy_bad);
    if (lifeguard) CHECK(c.e(0).stats().awareness < Awareness::kMax, "health recovers");
  }
}

// A real crash is still detected, everywhere.
void test_lg_crash() {
  SimCluster c(8, g_seed, 0.5, GcMode::Off);
  mesh(c, true);
  c.kill(3);
  double t = c.run_until([&] { return c.status_everywhere(3, DEAD_STATUS); }, 15);
  CHECK(t >= 0 && t < 8, "dead everywhere after %.2f s", t);
}

// A ping to a member we suspect carries its own record first.
void test_lg_buddy() {
  Time now = 10 * kSecond;
  std::unique_ptr<Engine> e(lone_engine(true, now));
  for (uint32_t i = 1; i <= 4; ++i) e->add_member(node_addr(i), node_uuid(i), now);
  // Node 1 never answers; the others do, so the misses are node 1's.
  bool buddy_seen = false;
  for (int step = 0; step < 400 && !buddy_seen; ++step) {
    now = std::max(now, e->next_deadline());
    std::vector<Sent> sent = fire(e.get(), now);
    MemberSnapshot m;
    bool suspected = e->member(node_uuid(1), &m) && m.status == Status::Suspected;
    for (const Sent& d : sent) {
      const Packet& p = d.p;
      Addr to = p.meta.has_route ? p.meta.route.dst : d.to;
      if (to == node_addr(1)) {
        if (suspected && p.failure_detection.type == FdType::Ping) {
          CHECK(p.has_dissemination && p.dissemination[0].uuid == node_uuid(1) &&
                    p.dissemination[0].status == Status::Suspected,
                "the suspect's own record first");
          buddy_seen = true;
        }
        continue;
      }
      for (uint32_t i = 2; i <= 4; ++i)
        if (to == node_addr(i) && !p.meta.has_route) ack_from(e.get(), i, now);
    }
  }
  CHECK(buddy_seen, "node 1 got suspected and pinged");
}

// On a real clock timers fire late (a millisecond or more) and acks come back within a
// fraction of one: the ack to the previous round step's ping still shows that our network
// worked, so a silent member's misses are its own, never ours.
void test_lg_late_timers() {
  Time now = 10 * kSecond;
  const Time late = 2 * kSecond / 1000, rtt = kSecond / 10000;
  std::unique_ptr<Engine> e(lone_engine(true, now));
  for (uint32_t i = 1; i <= 4; ++i) e->add_member(node_addr(i), node_uuid(i), now);
  // Node 1 never answers; the others answer every direct ping after one rtt.
  bool suspected = false;
  for (int step = 0; step < 60 && !suspected; ++step) {
    now = std::max(now, e->next_deadline()) + late;
    for (const Sent& d : fire(e.get(), now)) {
      if (d.p.meta.has_route || d.p.failure_detection.type != FdType::Ping) continue;
      for (uint32_t i = 2; i <= 4; ++i)
        if (d.to == node_addr(i)) ack_from(e.get(), i, now + rtt);
    }
    now += rtt;
    MemberSnapshot m;
    suspected = e->member(node_uuid(1), &m) && m.status == Status::Suspected;
  }
  CHECK(suspected, "the silent member got suspected");
  CHECK(e->stats().ack_timeouts_self == 0, "no miss charged to us: %llu",
        (unsigned long long)e->stats().ack_timeouts_self);
  CHECK(e->stats().awareness == 0, "no self-doubt: score %u", e->stats().awareness);
}

// With more news than one packet holds, every item is sent before any expires.
void test_lg_dissemination_fair() {
  Time now = 10 * kSecond;
  std::unique_ptr<Engine> e(lone_engine(false, now));
  const uint32_t n = 60;
  for (uint32_t i = 1; i <= n; ++i) e->add_member(node_addr(i), node_uuid(i), now);
  std::vector<bool> sent(n + 1, false);
  for (int step = 0; step < 12; ++step) {
    now += kSecond / 2;
    for (const Sent& d : fire(e.get(), now)) {
      for (const MemberRecord& r : d.p.dissemination)
        for (uint32_t i = 1; i <= n; ++i)
          if (r.uuid == node_uuid(i)) sent[i] = true;
    }
  }
  uint32_t missing = 0;
  for (uint32_t i = 1; i <= n; ++i) missing += sent[i] ? 0 : 1;
  CHECK(missing == 0, "%u of %u news never sent", missing, n);
}

// A left member stays left when a late ack at the same incarnation arrives; a newer
// incarnation brings it back.
void test_lg_left_not_revived() {
  Time now = 10 * kSecond;
  std::unique_ptr<Engine> e(lone_engine(false, now));
  e->add_member(node_addr(1), node_uuid(1), now);
  Packet q;
  q.meta.src = node_addr(1);
  q.source = node_uuid(1);
  q.has_quit = true;
  std::vector<uint8_t> quit = encode(q);
  e->on_datagram(quit.data(), quit.size(), node_addr(1), now);
  MemberSnapshot m;
  CHECK(e->member(node_uuid(1), &m) && m.status == Status::Left, "left");
  ack_from(e.get(), 1, now);
  CHECK(e->member(node_uuid(1), &m) && m.status == Status::Left, "a late ack does not revive it");
  std::vector<uint8_t> ping = encode(fd_packet(1, FdType::Ping, Incarnation{0, 1}));
  e->on_datagram(ping.data(), ping.size(), node_addr(1), now);
  CHECK(e->member(node_uuid(1), &m) && m.status == Status::Alive, "a newer incarnation does");
}

// Someone gossips our current incarnation at another address: we bump our version so our
// own record wins.
void test_lg_own_address() {
  Time now = 10 * kSecond;
  std::unique_ptr<Engine> e(lone_engine(false, now));
  MemberSnapshot me;
  e->self(&me);
  Packet p = fd_packet(1, FdType::Ping, Incarnation{});
  MemberRecord r;
  r.uuid = node_uuid(0);
  r.addr = node_addr(9);
  r.incarnation = me.incarnation;
  p.has_anti_entropy = true;
  p.anti_entropy.push_back(r);
  std::vector<uint8_t> d = encode(p);
  e->on_datagram(d.data(), d.size(), node_addr(1), now);
  MemberSnapshot after;
  e->self(&after);
  CHECK(after.incarnation.version == me.incarnation.version + 1, "version bumped");
  CHECK(after.addr == node_addr(0), "address kept");
}

void lifeguard_tests(std::vector<Test>* out) {
  out->push_back({"lg_timeout_formula", test_lg_timeout_formula});
  out->push_back({"lg_sampler_uniform", test_lg_sampler_uniform});
  out->push_back({"lg_isolated_member", test_lg_isolated_member});
  out->push_back({"lg_crash", test_lg_crash});
  out->push_back({"lg_buddy", test_lg_buddy});
  out->push_back({"lg_late_timers", test_lg_late_timers});
  out->push_back({"lg_dissemination_fair", test_lg_dissemination_fair});
  out->push_back({"lg_left_not_revived", test_lg_left_not_revived});
  out->push_back({"lg_own_address", test_lg_own_address});
}

}  // namespace swim_test
