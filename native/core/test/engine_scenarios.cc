// Protocol scenarios on the simulator (native/sim): Tarantool's unit scenarios
// (test/unit/swim.c) and a few of ours, checking behaviour a cluster can observe.
#include <cmath>
#include <string>

#include "core/test/check.h"
#include "core/test/sim_cluster.h"

namespace swim_test {

namespace {

enum { ALIVE = 0, SUSPECTED = 1, DEAD = 2, LEFT = 3, ABSENT = -1 };

void set_gc(SimCluster& c, GcMode gc) {
  for (uint32_t i = 0; i < c.size(); ++i) {
    ConfigPatch p;
    p.has_gc_mode = true;
    p.gc_mode = gc;
    c.configure(i, p);
  }
}

Incarnation self_inc(SimCluster& c, uint32_t i) {
  MemberSnapshot s;
  c.e(i).self(&s);
  return s.incarnation;
}

Incarnation view_inc(SimCluster& c, uint32_t viewer, uint32_t member) {
  MemberSnapshot s;
  if (!c.e(viewer).member(node_uuid(member), &s)) return Incarnation{UINT64_MAX, UINT64_MAX};
  return s.incarnation;
}

void test_one_link() {
  SimCluster c(2, g_seed);
  c.add_link(0, 1);
  double t = c.run_until([&] { return c.fullmesh(); }, 1);
  CHECK(t >= 0, "one link reaches fullmesh in 1 s, took %g", t);
}

void test_sequence() {
  SimCluster c(5, g_seed);
  for (uint32_t i = 0; i < 4; ++i) c.add_link(i, i + 1);
  double t = c.run_until([&] { return c.fullmesh(); }, 10);
  CHECK(t >= 0, "5-node chain reaches fullmesh in 10 s, took %g", t);
}

void test_uuid_update() {
  SimCluster c(2, g_seed);
  c.add_link(0, 1);
  CHECK(c.run_until([&] { return c.fullmesh(); }, 1) >= 0, "fullmesh");
  Uuid nu = node_uuid(999);
  ConfigPatch p;
  p.has_uuid = true;
  p.uuid = nu;
  CHECK(c.configure(0, p) == CommandError::Ok, "UUID update");
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
  CHECK(c.configure(0, p) == CommandError::UuidInUse, "cannot take an existing UUID");
}

void test_add_remove() {
  SimCluster c(2, g_seed);
  c.add_link(0, 1);
  CHECK(c.run_until([&] { return c.fullmesh(); }, 1) >= 0, "fullmesh");
  CHECK(c.add_member(0, node_addr(1), node_uuid(1)) == CommandError::DuplicateMember, "dup");
  CHECK(c.add_member(0, node_addr(0), node_uuid(0)) == CommandError::SelfMember, "self add");
  CHECK(c.add_member(0, Addr(), node_uuid(5)) == CommandError::BadAddress, "bad addr");
  CHECK(c.remove_member(1, node_uuid(1)) == CommandError::SelfMember, "remove self");
  CHECK(c.remove_member(0, node_uuid(55)) == CommandError::UnknownMember, "remove unknown");
  CHECK(c.remove_member(0, node_uuid(1)) == CommandError::Ok, "remove");
  CHECK(c.status(0, 1) == ABSENT, "removed member is gone");
  CHECK(!c.fullmesh(), "not fullmesh after removal");
  CHECK(c.run_until([&] { return c.fullmesh(); }, 1) >= 0, "back in fullmesh in 1 step");
  // Removal in the middle of a step: the ping is in flight.
  c.block(0, true);
  c.run_for(1);
  c.remove_member(0, node_uuid(1));
  c.block(0, false);
  CHECK(c.run_until([&] { return c.fullmesh(); }, 1) >= 0, "back in fullmesh after removal mid-step");
}

void test_basic_failure_detection() {
  SimCluster c(2, g_seed, 0.5);
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
  c.remove_member(0, node_uuid(1));
  c.block(1, false);
  c.run_for(0.1);
  CHECK(c.status(0, 1) == ALIVE, "member added back on an ack (status %d)", c.status(0, 1));
}

void test_probe() {
  SimCluster c(2, g_seed);
  CHECK(c.probe_member(0, Addr()) == CommandError::BadAddress, "probe validates");
  CHECK(c.probe_member(0, node_addr(1)) == CommandError::Ok, "probe");
  CHECK(c.run_until([&] { return c.fullmesh(); }, 0.1) >= 0, "ack on probe gives fullmesh");
}

void test_refute() {
  SimCluster c(2, g_seed, 2);
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
  c.restart(1);
  CHECK(self_inc(c, 1) == (Incarnation{1, 0}), "restarted: generation 1, version 0");
  CHECK(c.run_until([&] { return view_inc(c, 0, 1) == Incarnation{1, 0}; }, 2) >= 0,
        "S1 learns the new generation");
  CHECK(c.status(0, 1) == ALIVE, "and considers S2 alive");
}

void test_basic_gossip() {
  SimCluster c(3, g_seed, 10);
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

void test_too_big_cluster() {
  const uint32_t n = 50;
  SimCluster c(n, g_seed, 1);
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

void test_undead() {
  SimCluster c(2, g_seed, 1, GcMode::Off);
  c.interconnect(0, 1);
  c.set_drop(1, 1, 1);
  c.run_for(1);
  CHECK(c.run_until([&] { return c.status(0, 1) == DEAD; }, 5) >= 0, "dead");
  c.run_for(5);
  CHECK(c.status(0, 1) == DEAD, "never deleted with gc off");
}

void test_packet_loss() {
  const double rates[] = {0.05, 0.1, 0.2, 0.5};
  for (double rate : rates) {
    const uint32_t n = 20;
    SimCluster c(n, g_seed, 1, GcMode::Off);
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

void test_quit() {
  SimCluster c(3, g_seed);
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
  c.remove_member(1, node_uuid(0));
  c.remove_member(2, node_uuid(0));
  c.quit(0);
  c.block(1, true);
  ConfigPatch p;
  p.has_uuid = true;
  p.uuid = node_uuid(0);
  CHECK(c.configure(1, p) == CommandError::Ok, "S2 takes the quit UUID");
  c.run_for(1);
  CHECK(c.status(2, 0) == ABSENT || c.status(2, 0) == ALIVE, "S3 did not add S1 back as left on quit");
  c.block(1, false);
  CHECK(c.run_until([&] { return self_inc(c, 1) == Incarnation{1, 1}; }, 1) >= 0,
        "S2 refutes a quit with its own UUID (inc %llu.%llu)", (unsigned long long)self_inc(c, 1).generation,
        (unsigned long long)self_inc(c, 1).version);

  // Left members are never added from gossip, even with gc off.
  SimCluster d(3, g_seed, 1, GcMode::Off);
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

void test_uri_update() {
  SimCluster c(3, g_seed);
  c.interconnect(0, 1);
  c.set_drop(2, 1, 0);
  c.add_link(2, 1);
  c.add_link(2, 0);
  ConfigPatch p;
  p.has_uri = true;
  p.uri = node_addr(0);
  p.uri.ip = 0x7f000005;  // the simulator routes to node 0 at its new URI from now on
  c.configure(0, p);
  c.run_for(1);
  MemberSnapshot s;
  CHECK(c.e(1).member(node_uuid(0), &s) && s.addr == p.uri, "S2 sees the new URI");
  c.set_drop(0, 1, 1);
  c.set_drop(1, 0, 1);
  c.set_drop(2, 0, 0);
  c.run_for(3);
  CHECK(c.e(1).member(node_uuid(0), &s) && s.addr == p.uri, "S2 keeps the new URI despite S3's old one");
}

void test_broadcast() {
  SimCluster c(4, g_seed);
  CHECK(c.broadcast(0, 2) == CommandError::Ok, "broadcast to port 2");
  CHECK(c.run_until([&] { return c.status(1, 0) == ALIVE; }, 1) >= 0, "S2 receives the broadcast");
  c.run_for(1);
  CHECK(c.status(2, 0) == ABSENT, "others don't");
  for (uint16_t port = 1; port <= 4; ++port) c.broadcast(0, port);
  CHECK(c.run_until([&] { return c.status_everywhere(0, ALIVE); }, 0.1) >= 0, "everyone sees S1");
  CHECK(c.run_until([&] { return c.fullmesh(); }, 4) >= 0, "fullmesh without explicit links");
}

bool payload_is(SimCluster& c, uint32_t viewer, uint32_t member, const std::string& p) {
  MemberSnapshot s;
  if (!c.e(viewer).member(node_uuid(member), &s)) return false;
  return s.has_payload && std::string(s.payload.begin(), s.payload.end()) == p;
}

bool payload_everywhere(SimCluster& c, uint32_t member, const std::string& p) {
  for (uint32_t i = 0; i < c.size(); ++i)
    if (!payload_is(c, i, member, p)) return false;
  return true;
}

void test_payload() {
  SimCluster c(3, g_seed);
  c.interconnect(0, 1);
  c.interconnect(0, 2);
  c.interconnect(1, 2);
  MemberSnapshot s;
  c.e(0).self(&s);
  CHECK(!s.has_payload && s.payload.empty(), "no payload by default");
  std::vector<uint8_t> big(1201, 'x');
  CHECK(c.set_payload(0, big.data(), big.size(), true) == CommandError::PayloadTooLarge, "too big");
  std::string p1 = "S1 payload";
  CHECK(c.set_payload(0, (const uint8_t*)p1.data(), p1.size(), true) == CommandError::Ok, "set");
  CHECK(self_inc(c, 0).version == 1, "version bumped");
  CHECK(payload_is(c, 0, 0, p1), "payload read back");
  CHECK(c.run_until([&] { return payload_everywhere(c, 0, p1); }, 3) >= 0, "disseminated");
  std::string p2 = "S1 second version of payload";
  c.set_payload(0, (const uint8_t*)p2.data(), p2.size(), true);
  CHECK(self_inc(c, 0).version == 2, "version bumped again");
  CHECK(c.run_until([&] { return payload_everywhere(c, 0, p2); }, 3) >= 0, "second version disseminated");
  c.set_drop(0, 1, 1);
  std::string p3 = "S1 third version of payload";
  c.set_payload(0, (const uint8_t*)p3.data(), p3.size(), true);
  c.run_for(3);
  c.set_drop(0, 0, 0);
  CHECK(c.run_until([&] { return payload_everywhere(c, 0, p3); }, 3) >= 0, "third version via anti-entropy");
  std::vector<uint8_t> max(1200, 'y');
  CHECK(c.set_payload(1, max.data(), max.size(), true) == CommandError::Ok, "1200 bytes is fine");
  // Dissemination carries it for 3 round steps; a node whose pings went elsewhere then
  // gets it from anti-entropy, where a record this big fits only near the packet's start.
  CHECK(c.run_until([&] { return payload_everywhere(c, 1, std::string(1200, 'y')); }, 10) >= 0,
        "a 1200-byte payload spreads");
  c.set_payload(0, nullptr, 0, false);
  CHECK(c.run_until(
            [&] {
              MemberSnapshot v;
              return c.e(1).member(node_uuid(0), &v) && !v.has_payload && c.e(2).member(node_uuid(0), &v) &&
                     !v.has_payload;
            },
            5) >= 0,
        "clearing a payload spreads");
}

void test_generation() {
  SimCluster c(2, g_seed);
  c.interconnect(0, 1);
  std::string p1 = "payload 1";
  c.set_payload(0, (const uint8_t*)p1.data(), p1.size(), true);
  CHECK(c.run_until([&] { return payload_is(c, 1, 0, p1); }, 2) >= 0, "S1's payload reaches S2");
  c.restart(0);
  c.add_link(0, 1);
  std::string p2 = "payload 2";
  c.set_payload(0, (const uint8_t*)p2.data(), p2.size(), true);
  CHECK(c.run_until([&] { return payload_is(c, 1, 0, p2); }, 3) >= 0, "new generation's payload wins");
  CHECK(view_inc(c, 1, 0).generation == 1, "S2 sees the new generation");
}

void test_dissemination_speed() {
  const uint32_t n = 100;
  SimCluster c(n, g_seed, 0.1, GcMode::Off);
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
    c.set_payload(i, (const uint8_t*)"", 0, true);
  }
  t = c.run_until([&] { return c.status_everywhere(0, DEAD); }, limit);
  CHECK(t >= 0, "event storm: death everywhere within %.1f s (took %g)", limit, t);
}

void test_suspect_new_members() {
  SimCluster c(3, g_seed, 1);
  c.interconnect(0, 1);
  c.interconnect(1, 2);
  c.set_drop(0, 1, 1);
  c.block(2, true);
  CHECK(c.run_until([&] { return c.status(1, 0) == ABSENT; }, 15) >= 0, "S2 dropped S1 as dead");
  c.block(2, false);
  c.run_for(1);
  CHECK(c.status(2, 0) == ABSENT, "S3 did not add S1 from S2's gossip: S1 never answered");
}

void test_second_hand_added_on_answer() {
  SimCluster c(3, g_seed, 1);
  c.add_link(0, 1);
  c.add_link(2, 1);
  // S1 and S3 hear of each other only through S2; each probes the other, which answers.
  CHECK(c.run_until([&] { return c.fullmesh(); }, 5) >= 0, "second-hand members added once they answer");
}

void test_member_by_uuid() {
  SimCluster c(1, g_seed);
  MemberSnapshot s;
  CHECK(c.e(0).member(node_uuid(0), &s) && s.is_self, "found self by UUID");
  CHECK(!c.e(0).member(node_uuid(1000), &s), "unknown UUID not found");
}

void test_indirect_ping() {
  const uint32_t n = 5;
  SimCluster c(n, g_seed, 1);
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

uint64_t fingerprint(uint64_t seed) {
  g_seed = seed;
  const uint32_t n = 30;
  SimCluster c(n, seed, 1);
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

void test_determinism() {
  uint64_t seed = g_seed;
  uint64_t a = fingerprint(seed), b = fingerprint(seed), d = fingerprint(seed + 1);
  g_seed = seed;
  CHECK(a == b, "same seed, same run");
  CHECK(a != d, "another seed, another run");
}

}  // namespace

void scenario_tests(std::vector<Test>* out) {
  out->insert(out->end(), {
      {"one_link", test_one_link},
      {"sequence", test_sequence},
      {"uuid_update", test_uuid_update},
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
      {"generation", test_generation},
      {"dissemination_speed", test_dissemination_speed},
      {"suspect_new_members", test_suspect_new_members},
      {"second_hand_added_on_answer", test_second_hand_added_on_answer},
      {"member_by_uuid", test_member_by_uuid},
      {"indirect_ping", test_indirect_ping},
      {"determinism", test_determinism},
  });
}

}  // namespace swim_test
