// Protocol checks of the sans-IO engine, Tarantool's unit scenarios (test/unit/swim.c)
// replayed on the small harness in cluster.h. Build and run: native/core/test/run.sh
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "core/probe_queue.h"
#include "core/test/cluster.h"

using namespace swim;
using namespace swim_test;

static int failures = 0;
static int checks = 0;
static uint64_t g_seed = 1;

#define CHECK(cond, ...)                                                         \
  do {                                                                           \
    ++checks;                                                                    \
    if (!(cond)) {                                                               \
      ++failures;                                                                \
      std::printf("  FAIL %s:%d (seed %llu): %s -- ", __FILE__, __LINE__,        \
                  static_cast<unsigned long long>(g_seed), #cond);               \
      std::printf(__VA_ARGS__);                                                  \
      std::printf("\n");                                                         \
    }                                                                            \
  } while (0)

enum { ALIVE = 0, SUSPECTED = 1, DEAD = 2, LEFT = 3, ABSENT = -1 };

static void set_gc(Cluster& c, GcMode gc) {
  for (uint32_t i = 0; i < c.size(); ++i) {
    ConfigPatch p;
    p.has_gc_mode = true;
    p.gc_mode = gc;
    c.e(i).configure(p, c.now());
  }
}

static Incarnation self_inc(Cluster& c, uint32_t i) {
  MemberSnapshot s;
  c.e(i).self(&s);
  return s.incarnation;
}

static Incarnation view_inc(Cluster& c, uint32_t viewer, uint32_t member) {
  MemberSnapshot s;
  if (!c.e(viewer).member(node_uuid(member), &s)) return Incarnation{UINT64_MAX, UINT64_MAX};
  return s.incarnation;
}

static void test_one_link() {
  Cluster c(2, g_seed);
  c.add_link(0, 1);
  double t = c.run_until([&] { return c.fullmesh(); }, 1);
  CHECK(t >= 0, "one link reaches fullmesh in 1 s, took %g", t);
}

static void test_sequence() {
  Cluster c(5, g_seed);
  for (uint32_t i = 0; i < 4; ++i) c.add_link(i, i + 1);
  double t = c.run_until([&] { return c.fullmesh(); }, 10);
  CHECK(t >= 0, "5-node chain reaches fullmesh in 10 s, took %g", t);
}

static void test_uuid_update() {
  Cluster c(2, g_seed);
  c.add_link(0, 1);
  CHECK(c.run_until([&] { return c.fullmesh(); }, 1) >= 0, "fullmesh");
  Uuid nu = node_uuid(999);
  ConfigPatch p;
  p.has_uuid = true;
  p.uuid = nu;
  CHECK(c.e(0).configure(p, c.now()) == CommandError::Ok, "UUID update");
  c.after_input(0);
  CHECK(c.e(0).size() == 3, "old self stays as a member, size %zu", c.e(0).size());
  MemberSnapshot s;
  CHECK(c.e(0).member(node_uuid(0), &s) && s.status == Status::Left, "old self is left");
  double t = c.run_until(
      [&] {
        MemberSnapshot v;
        return c.e(1).member(nu, &v) && v.status == Status::Alive && c.status(1, 0) == LEFT;
      },
      3);
  CHECK(t >= 0, "peer sees the new UUID alive and the old one left, took %g", t);
  t = c.run_until([&] { return c.e(0).size() == 2 && c.e(1).size() == 2; }, 10);
  CHECK(t >= 0, "the old UUID is forgotten everywhere once its news is spread, took %g", t);
  p.uuid = node_uuid(1);
  CHECK(c.e(0).configure(p, c.now()) == CommandError::UuidInUse, "cannot take an existing UUID");
}

static void test_cfg() {
  Engine e(g_seed);
  ConfigPatch p;
  CHECK(e.configure(p, 0) == CommandError::BadConfig, "no URI, no UUID");
  p.has_uri = true;
  p.uri = node_addr(0);
  CHECK(e.configure(p, 0) == CommandError::BadConfig, "no UUID");
  CHECK(e.add_member(node_addr(1), node_uuid(1), 0) == CommandError::NotConfigured, "add before cfg");
  CHECK(e.set_payload(nullptr, 0, false, 0) == CommandError::NotConfigured, "payload before cfg");
  p.has_uuid = true;
  CHECK(e.configure(p, 0) == CommandError::BadConfig, "nil UUID");
  p.uuid = node_uuid(0);
  p.has_heartbeat_rate = true;
  p.heartbeat_rate = 0;
  CHECK(e.configure(p, 0) == CommandError::BadConfig, "zero heartbeat");
  p.heartbeat_rate = NAN;
  CHECK(e.configure(p, 0) == CommandError::BadConfig, "NaN heartbeat");
  p.heartbeat_rate = 1;
  p.has_ack_timeout = true;
  p.ack_timeout = -1;
  CHECK(e.configure(p, 0) == CommandError::BadConfig, "negative ack timeout");
  p.ack_timeout = 1;
  p.uri.port = 0;
  CHECK(e.configure(p, 0) == CommandError::BadConfig, "port 0");
  p.uri = node_addr(0);
  CHECK(!e.configured(), "nothing applied by failed configures");
  p.has_generation = true;
  p.generation = 5;
  CHECK(e.configure(p, 0) == CommandError::Ok, "first configure");
  CHECK(e.configured() && e.size() == 1, "self is a member");
  ConfigPatch empty;
  CHECK(e.configure(empty, 0) == CommandError::Ok, "later configure may omit URI and UUID");
  ConfigPatch gen;
  gen.has_generation = true;
  gen.generation = 9;
  e.configure(gen, 0);
  MemberSnapshot s;
  e.self(&s);
  CHECK(s.incarnation.generation == 5 && s.incarnation.version == 0, "generation only on first configure");
  ConfigPatch hb;
  hb.has_heartbeat_rate = true;
  hb.heartbeat_rate = 2;
  CHECK(e.configure(hb, 0) == CommandError::Ok && e.heartbeat_rate() == 2, "heartbeat is dynamic");
  ConfigPatch uri;
  uri.has_uri = true;
  uri.uri = node_addr(7);
  CHECK(e.configure(uri, 0) == CommandError::Ok, "URI update");
  e.self(&s);
  CHECK(s.addr == node_addr(7) && s.incarnation.version == 1, "URI update bumps version");
  std::vector<MemberEvent> ev;
  e.take_events(&ev);
  CHECK(ev.size() == 1 && ev[0].mask == (kEvNew | kEvNewUri | kEvNewVersion) && ev[0].member.is_self,
        "self events merged: %zu events, mask %u", ev.size(), ev.empty() ? 0 : ev[0].mask);
}

static void test_add_remove() {
  Cluster c(2, g_seed);
  c.add_link(0, 1);
  CHECK(c.run_until([&] { return c.fullmesh(); }, 1) >= 0, "fullmesh");
  CHECK(c.e(0).add_member(node_addr(1), node_uuid(1), c.now()) == CommandError::DuplicateMember, "dup");
  CHECK(c.e(0).add_member(node_addr(0), node_uuid(0), c.now()) == CommandError::SelfMember, "self add");
  CHECK(c.e(0).add_member(Addr(), node_uuid(5), c.now()) == CommandError::BadAddress, "bad addr");
  CHECK(c.e(1).remove_member(node_uuid(1), c.now()) == CommandError::SelfMember, "remove self");
  CHECK(c.e(0).remove_member(node_uuid(55), c.now()) == CommandError::UnknownMember, "remove unknown");
  CHECK(c.e(0).remove_member(node_uuid(1), c.now()) == CommandError::Ok, "remove");
  CHECK(c.status(0, 1) == ABSENT, "removed member is gone");
  CHECK(!c.fullmesh(), "not fullmesh after removal");
  CHECK(c.run_until([&] { return c.fullmesh(); }, 1) >= 0, "back in fullmesh in 1 step");
  // Removal in the middle of a step: the ping is in flight.
  c.block(0, true);
  c.run_for(1);
  c.e(0).remove_member(node_uuid(1), c.now());
  c.block(0, false);
  CHECK(c.run_until([&] { return c.fullmesh(); }, 1) >= 0, "back in fullmesh after removal mid-step");
}

static void test_basic_failure_detection() {
  Cluster c(2, g_seed, 0.5);
  c.add_link(0, 1);
  CHECK(c.status(0, 1) == ALIVE, "added as alive");
  c.block(1, true);
  c.run_for(1);
  auto st = [&](int s) { return [&c, s] { return c.status(0, 1) == s; }; };
  CHECK(c.run_until(st(SUSPECTED), 0.9) < 0, "not suspected after 1 noack");
  CHECK(c.run_until(st(SUSPECTED), 0.1) >= 0, "suspected after 2 noacks (t=%g)", c.seconds());
  CHECK(c.run_until(st(DEAD), 1.4) < 0, "not dead after 2 more noacks");
  CHECK(c.run_until(st(DEAD), 0.1) >= 0, "dead after 3 more noacks (t=%g)", c.seconds());
  c.run_for(1);
  CHECK(c.status(0, 1) == DEAD, "dead member kept while its TTD runs");
  CHECK(c.run_until(st(ABSENT), 2) >= 0, "dropped once TTD is spent (t=%g)", c.seconds());
  c.block(1, false);
  CHECK(c.run_until([&] { return c.fullmesh(); }, 1) >= 0, "fullmesh restored");
  // A member removed while its ack is awaited is added back by the ack.
  c.block(1, true);
  c.run_for(1.25);
  c.e(0).remove_member(node_uuid(1), c.now());
  c.block(1, false);
  c.run_for(0.1);
  CHECK(c.status(0, 1) == ALIVE, "member added back on an ack (status %d)", c.status(0, 1));
}

static void test_probe() {
  Cluster c(2, g_seed);
  CHECK(c.e(0).probe_member(Addr(), c.now()) == CommandError::BadAddress, "probe validates");
  CHECK(c.e(0).probe_member(node_addr(1), c.now()) == CommandError::Ok, "probe");
  c.after_input(0);
  CHECK(c.run_until([&] { return c.fullmesh(); }, 0.1) >= 0, "ack on probe gives fullmesh");
}

static void test_refute() {
  Cluster c(2, g_seed, 2);
  c.add_link(0, 1);
  c.set_drop(1, 1, 1);
  c.run_for(1);
  CHECK(c.run_until([&] { return c.status(0, 1) == SUSPECTED; }, 4) >= 0, "suspected");
  c.set_drop(1, 0, 0);
  CHECK(c.run_until([&] { return self_inc(c, 1) == Incarnation{0, 1}; }, 1) >= 0,
        "S2 bumps its version to refute the suspicion");
  CHECK(c.run_until([&] { return view_inc(c, 0, 1) == Incarnation{0, 1}; }, 1) >= 0,
        "S1 learns the new version");
  CHECK(c.status(0, 1) == ALIVE, "and S2 is alive again");
  c.restart(1, 2);
  CHECK(self_inc(c, 1) == (Incarnation{1, 0}), "restarted: generation 1, version 0");
  CHECK(c.run_until([&] { return view_inc(c, 0, 1) == Incarnation{1, 0}; }, 2) >= 0,
        "S1 learns the new generation");
  CHECK(c.status(0, 1) == ALIVE, "and considers S2 alive");
}

static void test_basic_gossip() {
  Cluster c(3, g_seed, 10);
  c.add_link(0, 1);
  c.add_link(1, 0);
  c.set_drop(1, 1, 1);
  c.run_for(11);
  c.add_link(0, 2);
  c.add_link(2, 1);
  c.run_for(9);
  CHECK(c.status(0, 1) == ALIVE, "S1 still thinks S2 is alive");
  c.block(2, true);
  c.run_for(1);
  CHECK(c.status(0, 1) == SUSPECTED, "a second ack timed out: suspected (%d)", c.status(0, 1));
  CHECK(c.status(2, 1) == ALIVE, "S3 still thinks S2 is alive");
  c.block(2, false);
  CHECK(c.run_until([&] { return c.status(2, 1) == SUSPECTED; }, 2) >= 0, "S3 learns the suspicion");
}

static void test_too_big_cluster() {
  const uint32_t n = 50;
  Cluster c(n, g_seed, 1);
  for (uint32_t i = 1; i < n; ++i) c.add_link(0, i);
  double t = c.run_until([&] { return c.fullmesh(); }, n * 3);
  CHECK(t >= 0, "star of %u reaches fullmesh, took %g", n, t);
  uint32_t victim = n / 2;
  c.set_drop(victim, 1, 1);
  t = c.run_until([&] { return c.status_anywhere(victim, DEAD); }, 30);
  CHECK(t >= 0, "death detected in time independent of size, took %g", t);
  set_gc(c, GcMode::Off);
  t = c.run_until([&] { return c.status_everywhere(victim, DEAD); }, n);
  CHECK(t >= 0, "death known everywhere, took %g", t);
}

static void test_undead() {
  Cluster c(2, g_seed, 1, GcMode::Off);
  c.interconnect(0, 1);
  c.set_drop(1, 1, 1);
  c.run_for(1);
  CHECK(c.run_until([&] { return c.status(0, 1) == DEAD; }, 5) >= 0, "dead");
  c.run_for(5);
  CHECK(c.status(0, 1) == DEAD, "never deleted with gc off");
}

static void test_packet_loss() {
  const double rates[] = {0.05, 0.1, 0.2, 0.5};
  for (double rate : rates) {
    const uint32_t n = 20;
    Cluster c(n, g_seed, 1, GcMode::Off);
    for (uint32_t j = 0; j < n; ++j) {
      c.set_drop(j, rate, 0);
      for (uint32_t k = 0; k < n; ++k)
        if (j != k) c.add_link(j, k);
    }
    c.set_drop(0, 1, 1);
    double t = c.run_until([&] { return c.status_everywhere(0, DEAD); }, 1000);
    CHECK(t >= 0, "loss %.0f%%: the death spreads everywhere, took %g", rate * 100, t);
  }
}

static void test_quit() {
  Cluster c(3, g_seed);
  for (uint32_t i = 0; i < 3; ++i)
    for (uint32_t j = 0; j < 3; ++j)
      if (i != j) c.add_link(i, j);
  c.quit(0);
  MemberSnapshot s;
  c.e(0).self(&s);
  CHECK(s.status == Status::Left, "self is left at once after quit");
  CHECK(c.e(0).next_deadline() == kNever, "timers stop");
  CHECK(c.e(0).add_member(node_addr(5), node_uuid(5), c.now()) == CommandError::Quitting, "commands refused");
  CHECK(c.run_until([&] { return c.status_everywhere(0, LEFT); }, 0) >= 0, "left everywhere at once");
  c.restart(0);
  c.add_link(0, 1);
  CHECK(c.run_until([&] { return view_inc(c, 1, 0) == Incarnation{1, 0} && c.status(1, 0) == ALIVE; }, 2) >= 0,
        "the restarted node refutes 'left' with its new generation");
  CHECK(c.run_until([&] { return c.fullmesh(); }, 3) >= 0, "fullmesh again");

  // A UUID thief's quit: S2 takes the quitter's UUID and gets its 'quit' - refuted.
  c.e(1).remove_member(node_uuid(0), c.now());
  c.e(2).remove_member(node_uuid(0), c.now());
  c.quit(0);
  c.block(1, true);
  ConfigPatch p;
  p.has_uuid = true;
  p.uuid = node_uuid(0);
  CHECK(c.e(1).configure(p, c.now()) == CommandError::Ok, "S2 takes the quit UUID");
  c.after_input(1);
  c.run_for(1);
  CHECK(c.status(2, 0) == ABSENT || c.status(2, 0) == ALIVE, "S3 did not add S1 back as left on quit");
  c.block(1, false);
  CHECK(c.run_until([&] { return self_inc(c, 1) == Incarnation{1, 1}; }, 1) >= 0,
        "S2 refutes a quit with its own UUID (inc %llu.%llu)", (unsigned long long)self_inc(c, 1).generation,
        (unsigned long long)self_inc(c, 1).version);

  // Left members are never added from gossip, even with gc off.
  Cluster d(3, g_seed, 1, GcMode::Off);
  d.interconnect(0, 2);
  d.interconnect(1, 2);
  d.quit(0);
  d.run_for(2);
  CHECK(d.status(2, 0) == LEFT, "S3 sees S1 as left");
  CHECK(d.status(1, 0) == ABSENT, "S2 does not see S1 at all");
  d.run_for(2);
  CHECK(d.status(2, 0) == ABSENT, "S1 is dropped from S3 once its news is spread");
  CHECK(d.status(1, 0) == ABSENT, "and never added to S2");
}

static void test_uri_update() {
  Cluster c(3, g_seed);
  c.interconnect(0, 1);
  c.set_drop(2, 1, 0);
  c.add_link(2, 1);
  c.add_link(2, 0);
  ConfigPatch p;
  p.has_uri = true;
  p.uri = node_addr(0);
  p.uri.ip = 0x7f000005;  // not routable in the harness; only the record matters
  c.e(0).configure(p, c.now());
  c.after_input(0);
  c.run_for(1);
  MemberSnapshot s;
  CHECK(c.e(1).member(node_uuid(0), &s) && s.addr == p.uri, "S2 sees the new URI");
  c.set_drop(0, 1, 1);
  c.set_drop(1, 0, 1);
  c.set_drop(2, 0, 0);
  c.run_for(3);
  CHECK(c.e(1).member(node_uuid(0), &s) && s.addr == p.uri, "S2 keeps the new URI despite S3's old one");
}

static void test_broadcast() {
  Cluster c(4, g_seed);
  CHECK(c.e(0).broadcast(2, c.now()) == CommandError::Ok, "broadcast to port 2");
  c.after_input(0);
  CHECK(c.run_until([&] { return c.status(1, 0) == ALIVE; }, 1) >= 0, "S2 receives the broadcast");
  c.run_for(1);
  CHECK(c.status(2, 0) == ABSENT, "others don't");
  for (uint16_t port = 1; port <= 4; ++port) c.e(0).broadcast(port, c.now());
  c.after_input(0);
  CHECK(c.run_until([&] { return c.status_everywhere(0, ALIVE); }, 0.1) >= 0, "everyone sees S1");
  CHECK(c.run_until([&] { return c.fullmesh(); }, 4) >= 0, "fullmesh without explicit links");
}

static bool payload_is(Cluster& c, uint32_t viewer, uint32_t member, const std::string& p) {
  MemberSnapshot s;
  if (!c.e(viewer).member(node_uuid(member), &s)) return false;
  return s.has_payload && std::string(s.payload.begin(), s.payload.end()) == p;
}

static bool payload_everywhere(Cluster& c, uint32_t member, const std::string& p) {
  for (uint32_t i = 0; i < c.size(); ++i)
    if (!payload_is(c, i, member, p)) return false;
  return true;
}

static void test_payload() {
  Cluster c(3, g_seed);
  c.interconnect(0, 1);
  c.interconnect(0, 2);
  c.interconnect(1, 2);
  MemberSnapshot s;
  c.e(0).self(&s);
  CHECK(!s.has_payload && s.payload.empty(), "no payload by default");
  std::vector<uint8_t> big(1201, 'x');
  CHECK(c.e(0).set_payload(big.data(), big.size(), true, c.now()) == CommandError::PayloadTooLarge, "too big");
  std::string p1 = "S1 payload";
  CHECK(c.e(0).set_payload((const uint8_t*)p1.data(), p1.size(), true, c.now()) == CommandError::Ok, "set");
  CHECK(self_inc(c, 0).version == 1, "version bumped");
  CHECK(payload_is(c, 0, 0, p1), "payload read back");
  CHECK(c.run_until([&] { return payload_everywhere(c, 0, p1); }, 3) >= 0, "disseminated");
  std::string p2 = "S1 second version of payload";
  c.e(0).set_payload((const uint8_t*)p2.data(), p2.size(), true, c.now());
  CHECK(self_inc(c, 0).version == 2, "version bumped again");
  CHECK(c.run_until([&] { return payload_everywhere(c, 0, p2); }, 3) >= 0, "second version disseminated");
  c.set_drop(0, 1, 1);
  std::string p3 = "S1 third version of payload";
  c.e(0).set_payload((const uint8_t*)p3.data(), p3.size(), true, c.now());
  c.run_for(3);
  c.set_drop(0, 0, 0);
  CHECK(c.run_until([&] { return payload_everywhere(c, 0, p3); }, 3) >= 0, "third version via anti-entropy");
  std::vector<uint8_t> max(1200, 'y');
  CHECK(c.e(1).set_payload(max.data(), max.size(), true, c.now()) == CommandError::Ok, "1200 bytes is fine");
  CHECK(c.run_until([&] { return payload_everywhere(c, 1, std::string(1200, 'y')); }, 5) >= 0,
        "a 1200-byte payload spreads");
  c.e(0).set_payload(nullptr, 0, false, c.now());
  CHECK(c.run_until(
            [&] {
              MemberSnapshot v;
              return c.e(1).member(node_uuid(0), &v) && !v.has_payload && c.e(2).member(node_uuid(0), &v) &&
                     !v.has_payload;
            },
            5) >= 0,
        "clearing a payload spreads");
}

static void test_events() {
  Cluster c(2, g_seed, 1);
  c.keep_events(0);
  std::vector<MemberEvent> ev;
  c.e(0).add_member(node_addr(5), node_uuid(5), c.now());
  c.e(0).remove_member(node_uuid(5), c.now());
  CHECK(!c.e(0).has_events(), "added and dropped before delivery: nothing");
  c.e(0).take_events(&ev);
  CHECK(ev.empty(), "no events for it");
  c.interconnect(0, 1);
  c.e(0).take_events(&ev);
  CHECK(ev.size() == 1 && ev[0].mask == kEvNew && ev[0].member.uuid == node_uuid(1), "new member");
  ev.clear();
  c.e(0).set_payload((const uint8_t*)"123", 3, true, c.now());
  c.e(0).take_events(&ev);
  CHECK(ev.size() == 1 && ev[0].mask == (kEvNewPayload | kEvNewVersion) && ev[0].member.is_self,
        "self payload: payload + version");
  ev.clear();
  c.set_drop(1, 1, 1);
  CHECK(c.run_until([&] { return c.status(0, 1) == SUSPECTED; }, 3) >= 0, "suspected");
  c.e(0).take_events(&ev);
  CHECK(ev.size() == 1 && ev[0].mask == kEvNewStatus && ev[0].member.status == Status::Suspected, "status");
  ev.clear();
  CHECK(c.run_until([&] { return c.status(0, 1) == DEAD; }, 4) >= 0, "dead");
  CHECK(c.run_until([&] { return c.status(0, 1) == ABSENT; }, 4) >= 0, "dropped");
  c.e(0).take_events(&ev);
  CHECK(ev.size() == 1 && ev[0].mask == (kEvNewStatus | kEvDrop) && ev[0].member.status == Status::Dead &&
            ev[0].member.uuid == node_uuid(1),
        "merged dead + drop with the last snapshot (%zu events, mask %u)", ev.size(),
        ev.empty() ? 0 : ev[0].mask);
}

static void test_generation() {
  Cluster c(2, g_seed);
  c.interconnect(0, 1);
  std::string p1 = "payload 1";
  c.e(0).set_payload((const uint8_t*)p1.data(), p1.size(), true, c.now());
  CHECK(c.run_until([&] { return payload_is(c, 1, 0, p1); }, 2) >= 0, "S1's payload reaches S2");
  c.restart(0);
  c.add_link(0, 1);
  std::string p2 = "payload 2";
  c.e(0).set_payload((const uint8_t*)p2.data(), p2.size(), true, c.now());
  CHECK(c.run_until([&] { return payload_is(c, 1, 0, p2); }, 3) >= 0, "new generation's payload wins");
  CHECK(view_inc(c, 1, 0).generation == 1, "S2 sees the new generation");
}

static void test_dissemination_speed() {
  const uint32_t n = 100;
  Cluster c(n, g_seed, 0.1, GcMode::Off);
  for (uint32_t i = 0; i < n; ++i)
    for (uint32_t j = 0; j < n; ++j)
      if (i != j) c.add_link(i, j);
  c.set_drop(0, 1, 1);
  CHECK(c.run_until([&] { return c.status_anywhere(0, DEAD); }, n) >= 0, "dead somewhere");
  double limit = std::log2(n) * 6;
  double t = c.run_until([&] { return c.status_everywhere(0, DEAD); }, limit);
  CHECK(t >= 0, "death everywhere within log2(N)*6 = %.1f s (took %g)", limit, t);
  c.set_drop(0, 0, 0);
  CHECK(c.run_until([&] { return c.status_everywhere(0, ALIVE); }, n) >= 0, "alive again");
  c.set_drop(0, 1, 1);
  CHECK(c.run_until([&] { return c.status_anywhere(0, DEAD); }, n) >= 0, "dead somewhere again");
  for (uint32_t i = 0; i < n; ++i) {
    c.e(i).set_payload((const uint8_t*)"", 0, true, c.now());
    c.after_input(i);
  }
  t = c.run_until([&] { return c.status_everywhere(0, DEAD); }, limit);
  CHECK(t >= 0, "event storm: death everywhere within %.1f s (took %g)", limit, t);
}

static void test_suspect_new_members() {
  Cluster c(3, g_seed, 1);
  c.interconnect(0, 1);
  c.interconnect(1, 2);
  c.set_drop(0, 1, 1);
  c.block(2, true);
  CHECK(c.run_until([&] { return c.status(1, 0) == ABSENT; }, 15) >= 0, "S2 dropped S1 as dead");
  c.block(2, false);
  c.run_for(1);
  CHECK(c.status(2, 0) == ABSENT, "S3 did not add S1 from S2's gossip: S1 never answered");
}

static void test_second_hand_added_on_answer() {
  Cluster c(3, g_seed, 1);
  c.add_link(0, 1);
  c.add_link(2, 1);
  // S1 and S3 hear of each other only through S2; each probes the other, which answers.
  CHECK(c.run_until([&] { return c.fullmesh(); }, 5) >= 0, "second-hand members added once they answer");
}

static void test_probe_queue() {
  ProbeQueue q;
  auto ok = [&](const char* where) {
    const char* bad = q.check();
    CHECK(bad == nullptr, "%s: %s", where, bad);
  };
  CHECK(q.push(node_uuid(1), node_addr(1), 3), "push");
  CHECK(q.push(node_uuid(2), node_addr(2), 3), "push");
  CHECK(!q.push(node_uuid(1), node_addr(1), 3), "a UUID is queued once");
  CHECK(q.push(node_uuid(3), node_addr(3), 3), "push");
  CHECK(!q.push(node_uuid(4), node_addr(4), 3), "cap");
  CHECK(q.size() == 3 && q.waiting() == 3, "sizes %zu %zu", q.size(), q.waiting());
  ok("pushes");
  const ProbeQueue::Entry* e = q.take(100);
  CHECK(e != nullptr && e->uuid == node_uuid(1) && e->addr() == node_addr(1), "FIFO order");
  CHECK(q.waiting() == 2 && q.probed() == 1, "moved to probed");
  CHECK(!q.push(node_uuid(1), node_addr(1), 10), "a probed UUID is not queued again");
  q.forget(node_uuid(2));
  CHECK(q.waiting() == 1 && !q.contains(node_uuid(2)), "forgotten");
  ok("forget");
  e = q.take(200);
  CHECK(e != nullptr && e->uuid == node_uuid(3), "forgotten entries are skipped");
  CHECK(q.take(300) == nullptr, "nothing waits");
  q.expire(99);
  CHECK(q.probed() == 2, "nothing expired before its deadline");
  q.expire(150);
  CHECK(q.probed() == 1 && !q.contains(node_uuid(1)) && q.contains(node_uuid(3)), "first expired");
  CHECK(q.push(node_uuid(1), node_addr(1), 10), "an expired UUID can be queued again");
  ok("expire");
  q.forget(node_uuid(3));
  q.forget(node_uuid(1));
  CHECK(q.size() == 0, "empty");
  ok("emptied");
  // Many entries: compaction and index growth, with entries forgotten along the way.
  const uint32_t n = 5000;
  for (uint32_t i = 0; i < n; ++i) q.push(node_uuid(i), node_addr(i), n);
  CHECK(q.size() == n, "all queued");
  int64_t t = 0;
  uint32_t taken = 0;
  for (uint32_t i = 0; i < n; ++i) {
    if (i % 3 == 0) q.forget(node_uuid(n - 1 - i));
    if (q.take(++t) != nullptr) ++taken;
    if (i % 7 == 0) q.expire(t - 50);
    if (i % 997 == 0) ok("churn");
  }
  CHECK(taken + (n + 2) / 3 >= n - 2 && q.waiting() == 0, "each live entry taken once: %u", taken);
  ok("churn end");
  q.expire(t);
  CHECK(q.size() == 0, "all expired, %zu left", q.size());
  ok("all expired");
}

// One datagram from node 1 naming `k` members unknown to node 0 (nodes first..first+k-1).
static std::vector<uint8_t> gossip_packet(uint32_t first, uint32_t k, FdType type = FdType::Ping) {
  Packet p;
  p.meta.src = node_addr(1);
  p.source = node_uuid(1);
  p.has_failure_detection = true;
  p.failure_detection.type = type;
  p.has_anti_entropy = k > 0;
  for (uint32_t i = 0; i < k; ++i) {
    MemberRecord r;
    r.addr = node_addr(first + i);
    r.uuid = node_uuid(first + i);
    p.anti_entropy.push_back(r);
  }
  std::vector<uint8_t> buf(kMaxPacketSize);
  EncodeResult er = encode_packet(p, buf.data(), buf.size());
  if (!er.ok || er.anti_entropy_fitted != k) std::abort();
  buf.resize(er.size);
  return buf;
}

static std::vector<uint8_t> ack_from(uint32_t i) {
  Packet p;
  p.meta.src = node_addr(i);
  p.source = node_uuid(i);
  p.has_failure_detection = true;
  p.failure_detection.type = FdType::Ack;
  std::vector<uint8_t> buf(kMaxPacketSize);
  EncodeResult er = encode_packet(p, buf.data(), buf.size());
  if (!er.ok) std::abort();
  buf.resize(er.size);
  return buf;
}

// Second-hand probes: each unknown member once, a bounded burst, the rest paced.
static void test_probe_pacing() {
  Engine e(g_seed);
  ConfigPatch cfg;
  cfg.has_uri = true;
  cfg.uri = node_addr(0);
  cfg.has_uuid = true;
  cfg.uuid = node_uuid(0);
  cfg.has_heartbeat_rate = true;
  cfg.heartbeat_rate = 1;
  cfg.has_ack_timeout = true;
  cfg.ack_timeout = 1;
  Time now = 10 * kSecond;
  CHECK(e.configure(cfg, now) == CommandError::Ok, "configure");
  std::vector<Datagram> out;
  // Probes (pings to nodes 2..26) by destination port, and other packets.
  std::vector<uint32_t> probes_to(64, 0);
  uint32_t probes = 0;
  auto drain = [&] {
    out.clear();
    e.take_outbox(&out);
    uint32_t got = 0;
    for (const Datagram& d : out) {
      Packet p;
      if (!decode_packet(d.bytes.data(), d.bytes.size(), &p).ok()) std::abort();
      if (d.to.port >= 3 && d.to.port < 64 && p.failure_detection.type == FdType::Ping) {
        ++probes_to[d.to.port];
        ++got;
      }
    }
    probes += got;
    return got;
  };
  const uint32_t k = 25;  // nodes 2..26, ports 3..27
  std::vector<uint8_t> gossip = gossip_packet(2, k);
  e.on_datagram(gossip.data(), gossip.size(), node_addr(1), now);
  CHECK(drain() == 16, "a burst of 16 probes at once, not one per unknown member: %u", probes);
  CHECK(e.size() == 2, "unknown members not added before they answer");
  e.on_datagram(gossip.data(), gossip.size(), node_addr(1), now);
  CHECK(drain() == 0, "named again: nothing more");
  // The rest at a paced rate: 4 * (2 known + 25 heard of) = 108 per second.
  const Time interval = kSecond / 108;
  Time last = now, min_gap = kNever;
  while (e.next_deadline() < now + kSecond / 2) {
    Time t = e.next_deadline();
    e.on_timer(t);
    if (drain() > 0) {
      min_gap = std::min(min_gap, t - last);
      last = t;
    }
  }
  CHECK(probes == k, "every unknown member probed: %u of %u", probes, k);
  CHECK(min_gap >= interval, "paced: %lld us between probes, %lld expected", (long long)min_gap, (long long)interval);
  CHECK(last - now <= 10 * interval, "paced, not delayed: last after %lld us", (long long)(last - now));
  bool once = true;
  for (uint32_t port = 3; port < 3 + k; ++port) once = once && probes_to[port] == 1;
  CHECK(once, "each probed exactly once");
  // Node 2 answers: it is added and never probed again; the others are probed again only
  // once their answer window (min(ack timeout, heartbeat)) has passed.
  std::vector<uint8_t> ack = ack_from(2);
  e.on_datagram(ack.data(), ack.size(), node_addr(2), now + kSecond / 2);
  CHECK(e.size() == 3, "node 2 added on its answer");
  e.on_datagram(gossip.data(), gossip.size(), node_addr(1), now + kSecond / 2);
  CHECK(drain() == 0, "within the answer window, no probe again");
  Time later = now + 2 * kSecond;
  e.on_timer(later);
  drain();
  probes = 0;
  std::fill(probes_to.begin(), probes_to.end(), 0);
  e.on_datagram(gossip.data(), gossip.size(), node_addr(1), later);
  drain();
  while (e.next_deadline() < later + kSecond / 2) {
    e.on_timer(e.next_deadline());
    drain();
  }
  CHECK(probes == k - 1 && probes_to[3] == 0, "unanswered probes re-sent once, the known member not: %u", probes);

  // A flood of made-up members: at most 512 wait at a time (a member table this small).
  Engine f(g_seed);
  CHECK(f.configure(cfg, now) == CommandError::Ok, "configure");
  uint32_t flood = 0;
  for (uint32_t b = 0; b < 40; ++b) {
    std::vector<uint8_t> g = gossip_packet(100 + b * k, k);
    f.on_datagram(g.data(), g.size(), node_addr(1), now);
  }
  while (f.next_deadline() < now + kSecond / 2) {
    f.on_timer(f.next_deadline());
  }
  out.clear();
  f.take_outbox(&out);
  for (const Datagram& d : out)
    if (d.to.port != 2) ++flood;
  CHECK(flood == 512, "1000 unknown members heard at once: 512 probed, %u", flood);
}

static void test_member_by_uuid() {
  Cluster c(1, g_seed);
  MemberSnapshot s;
  CHECK(c.e(0).member(node_uuid(0), &s) && s.is_self, "found self by UUID");
  CHECK(!c.e(0).member(node_uuid(1000), &s), "unknown UUID not found");
}

static void test_indirect_ping() {
  const uint32_t n = 5;
  Cluster c(n, g_seed, 1);
  for (uint32_t i = 0; i < n; ++i)
    for (uint32_t j = 0; j < n; ++j)
      if (i != j) c.add_link(i, j);
  CHECK(c.run_until([&] { return c.fullmesh(); }, 5) >= 0, "fullmesh");
  c.cut(0, 1);
  bool suspected = false;
  c.run_until(
      [&] {
        suspected = suspected || c.status(0, 1) != ALIVE || c.status(1, 0) != ALIVE;
        return suspected;
      },
      120);
  CHECK(!suspected, "with the direct link cut, indirect pings keep 1 and 2 alive to each other");
  uint64_t forwarded = 0, indirect = 0;
  for (uint32_t i = 0; i < n; ++i) {
    forwarded += c.e(i).stats().indirect_pings_forwarded;
    indirect += c.e(i).stats().indirect_pings_sent;
  }
  CHECK(indirect > 0 && forwarded > 0, "indirect pings sent %llu, forwarded %llu", (unsigned long long)indirect,
        (unsigned long long)forwarded);
  // Exactly k proxies: every indirect ping needs a forward there and a forward back.
  CHECK(forwarded <= indirect * 2, "no more forwards than k per timeout (%llu vs %llu)",
        (unsigned long long)forwarded, (unsigned long long)indirect);
}

static void test_decode_drops() {
  Engine e(g_seed);
  ConfigPatch p;
  p.has_uri = true;
  p.uri = node_addr(0);
  p.has_uuid = true;
  p.uuid = node_uuid(0);
  e.configure(p, 0);
  const uint8_t junk[] = {0x81, 0x00};
  e.on_datagram(junk, sizeof(junk), node_addr(1), 0);
  e.on_datagram(nullptr, 0, node_addr(1), 0);
  CHECK(e.stats().packets_dropped == 2 && e.stats().packets_received == 2, "bad datagrams counted");
}

// Random but well-formed traffic about a small pool of UUIDs and addresses (self's among
// them), interleaved with timers and commands. The engine's internal invariants are checked
// after every call (SWIM_ENGINE_CHECKS); here: every datagram it emits decodes and fits,
// and an event batch never reports one live member twice.
static void test_chaos() {
  Rng r(g_seed * 7777 + 1);
  Engine e(g_seed);
  ConfigPatch p;
  p.has_uri = true;
  p.uri = node_addr(0);
  p.has_uuid = true;
  p.uuid = node_uuid(0);
  p.has_ack_timeout = true;
  p.ack_timeout = 0.5;
  e.configure(p, 0);
  Time now = 0;
  Packet pk, dec;
  uint8_t buf[kMaxPacketSize];
  uint8_t payload[64];
  for (auto& b : payload) b = static_cast<uint8_t>(r.next());
  std::vector<Datagram> out;
  std::vector<MemberEvent> ev;
  bool ok_out = true, ok_events = true;
  auto rand_record = [&](MemberRecord* m) {
    m->status = static_cast<Status>(r.below(4));
    m->addr = node_addr(r.below(6));
    m->uuid = node_uuid(r.below(12));
    m->incarnation = Incarnation{r.below(3), r.below(4)};
    m->has_payload = r.below(2) == 0;
    m->payload.data = payload;
    m->payload.size = r.below(3) == 0 ? 0 : r.below(sizeof(payload));
  };
  for (int it = 0; it < 20000; ++it) {
    uint32_t action = r.below(100);
    if (action < 55) {
      pk.clear();
      pk.meta.src = node_addr(r.below(6));
      if (r.below(5) == 0) {
        pk.meta.has_route = true;
        pk.meta.route.src = r.below(2) ? pk.meta.src : node_addr(r.below(6));
        pk.meta.route.dst = node_addr(r.below(3));
      }
      pk.source = node_uuid(r.below(12));
      if (r.below(4) != 0) {
        pk.has_failure_detection = true;
        pk.failure_detection.type = r.below(2) ? FdType::Ping : FdType::Ack;
        pk.failure_detection.incarnation = Incarnation{r.below(3), r.below(4)};
      }
      for (uint32_t k = r.below(4); k > 0; --k) {
        pk.has_dissemination = true;
        pk.dissemination.emplace_back();
        rand_record(&pk.dissemination.back());
      }
      for (uint32_t k = r.below(6); k > 0; --k) {
        pk.has_anti_entropy = true;
        pk.anti_entropy.emplace_back();
        rand_record(&pk.anti_entropy.back());
      }
      if (r.below(8) == 0) {
        pk.has_quit = true;
        pk.quit = Incarnation{r.below(3), r.below(4)};
      }
      EncodeResult er = encode_packet(pk, buf, sizeof(buf));
      if (er.ok) e.on_datagram(buf, er.size, pk.meta.src, now);
    } else if (action < 60) {
      size_t n = r.below(40);
      for (size_t i = 0; i < n; ++i) buf[i] = static_cast<uint8_t>(r.next());
      e.on_datagram(buf, n, node_addr(1), now);
    } else if (action < 80) {
      now += r.below(400000);
      e.on_timer(now);
    } else if (action < 84) {
      e.add_member(node_addr(r.below(6)), node_uuid(r.below(12)), now);
    } else if (action < 88) {
      e.remove_member(node_uuid(r.below(12)), now);
    } else if (action < 91) {
      e.set_payload(payload, r.below(sizeof(payload)), r.below(4) != 0, now);
    } else if (action < 92) {
      ConfigPatch u;
      u.has_uuid = true;
      u.uuid = node_uuid(r.below(12));
      u.has_gc_mode = true;
      u.gc_mode = r.below(2) ? GcMode::On : GcMode::Off;
      e.configure(u, now);
    } else if (action < 94) {
      e.probe_member(node_addr(r.below(6)), now);
    } else if (action < 95) {
      e.broadcast(static_cast<uint16_t>(r.below(3)), now);
    } else {
      ev.clear();
      e.take_events(&ev);
      // Per UUID a batch holds at most a drop, then at most a 'new' (re-added) member;
      // an update of a member that stays has it alone.
      for (size_t i = 0; i < ev.size(); ++i) {
        uint32_t drops_seen = 0, others = 0;
        bool drop_after_other = false;
        for (size_t j = 0; j < ev.size(); ++j) {
          if (ev[j].member.uuid != ev[i].member.uuid) continue;
          if (ev[j].mask & kEvDrop) {
            ++drops_seen;
            if (others > 0) drop_after_other = true;
            if (ev[j].mask & kEvNew) ok_events = false;
          } else {
            ++others;
            if (drops_seen > 0 && !(ev[j].mask & kEvNew)) ok_events = false;
          }
        }
        if (drops_seen > 1 || others > 1 || drop_after_other) ok_events = false;
      }
    }
    out.clear();
    e.take_outbox(&out);
    for (const Datagram& d : out)
      if (d.bytes.size() > kMaxPacketSize || !decode_packet(d.bytes.data(), d.bytes.size(), &dec).ok())
        ok_out = false;
  }
  CHECK(ok_out, "every emitted datagram decodes and fits 1440 bytes");
  CHECK(ok_events, "event batches are ordered per UUID: drop, then re-added");
  CHECK(e.configured() && !e.quitting(), "still running");
  CHECK(e.quit(now) == CommandError::Ok && e.quitting(), "quits cleanly at the end");
}

static uint64_t fingerprint(uint64_t seed) {
  g_seed = seed;
  const uint32_t n = 30;
  Cluster c(n, seed, 1);
  for (uint32_t i = 0; i + 1 < n; ++i) c.add_link(i, i + 1);
  c.set_drop(3, 0.2, 0.2);
  c.run_for(40);
  c.kill(7);
  c.run_for(40);
  uint64_t h = 1469598103934665603ULL;
  auto mix = [&](uint64_t v) { h = (h ^ v) * 1099511628211ULL; };
  for (uint32_t i = 0; i < n; ++i) {
    const Stats& s = c.e(i).stats();
    mix(s.packets_sent);
    mix(s.bytes_sent);
    std::vector<MemberSnapshot> v;
    c.e(i).members(&v);
    for (auto& m : v) {
      mix(m.uuid.bytes[15]);
      mix(static_cast<uint64_t>(m.status));
      mix(m.incarnation.version);
    }
  }
  return h;
}

static void test_determinism() {
  uint64_t seed = g_seed;
  uint64_t a = fingerprint(seed), b = fingerprint(seed), d = fingerprint(seed + 1);
  g_seed = seed;
  CHECK(a == b, "same seed, same run");
  CHECK(a != d, "another seed, another run");
}

int main(int argc, char** argv) {
  uint64_t seeds = 3;
  uint64_t first = 1;
  if (argc > 1) first = std::strtoull(argv[1], nullptr, 10);
  if (argc > 2) seeds = std::strtoull(argv[2], nullptr, 10);
  const char* only = argc > 3 ? argv[3] : nullptr;
  struct {
    const char* name;
    void (*fn)();
  } tests[] = {
      {"one_link", test_one_link},
      {"sequence", test_sequence},
      {"uuid_update", test_uuid_update},
      {"cfg", test_cfg},
      {"add_remove", test_add_remove},
      {"basic_failure_detection", test_basic_failure_detection},
      {"probe", test_probe},
      {"refute", test_refute},
      {"basic_gossip", test_basic_gossip},
      {"too_big_cluster", test_too_big_cluster},
      {"undead", test_undead},
      {"packet_loss", test_packet_loss},
      {"quit", test_quit},
      {"uri_update", test_uri_update},
      {"broadcast", test_broadcast},
      {"payload", test_payload},
      {"events", test_events},
      {"generation", test_generation},
      {"dissemination_speed", test_dissemination_speed},
      {"suspect_new_members", test_suspect_new_members},
      {"second_hand_added_on_answer", test_second_hand_added_on_answer},
      {"probe_queue", test_probe_queue},
      {"probe_pacing", test_probe_pacing},
      {"member_by_uuid", test_member_by_uuid},
      {"indirect_ping", test_indirect_ping},
      {"decode_drops", test_decode_drops},
      {"chaos", test_chaos},
      {"determinism", test_determinism},
  };
  for (uint64_t seed = first; seed < first + seeds; ++seed) {
    for (auto& t : tests) {
      if (only != nullptr && std::strstr(t.name, only) == nullptr) continue;
      g_seed = seed;
      std::fflush(stdout);
      int before = failures;
      t.fn();
      std::printf("%s (seed %llu): %s\n", t.name, (unsigned long long)seed, failures != before ? "FAILED" : "ok");
    }
  }
  std::printf("%d checks, %d failures over %llu seeds\n", checks, failures, (unsigned long long)seeds);
  return failures == 0 ? 0 : 1;
}
