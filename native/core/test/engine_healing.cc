// Healing, seeds, "did this address answer" and conflicts (docs/protocol.md#healing):
// the rules of native/core/contacts and their use by the engine, on the simulator.
#include <cstdio>

#include "core/contacts.h"
#include "core/test/check.h"
#include "core/test/sim_cluster.h"

namespace swim_test {

namespace {

enum { ALIVE = 0, SUSPECTED = 1, DEAD = 2, LEFT = 3, ABSENT = -1 };

Addr addr_of(uint32_t ip, uint16_t port) {
  Addr a;
  a.ip = ip;
  a.port = port;
  return a;
}

bool sees_none_of(SimCluster& c, const std::vector<uint32_t>& viewers, const std::vector<uint32_t>& others) {
  for (uint32_t v : viewers)
    for (uint32_t o : others)
      if (c.status(v, o) != ABSENT) return false;
  return true;
}

// 6 nodes at the defaults (0.5 s / 0.5 s, gc on) split 3|3 for 30 s: each half declares
// the other dead and removes it. Healed, they are one cluster again within 30 s, with
// nobody calling anything (heal probes to the lost members' addresses).
void test_heal_partition() {
  SimCluster c(6, g_seed, 0.5, GcMode::On, true, 0.5);
  for (uint32_t i = 0; i + 1 < 6; ++i) c.add_link(i, i + 1);
  CHECK(c.run_until([&] { return c.fullmesh(); }, 5) >= 0, "bootstrap");
  c.sim().partition({1, 2, 3}, {4, 5, 6});
  c.run_for(30);
  CHECK(sees_none_of(c, {0, 1, 2}, {3, 4, 5}) && sees_none_of(c, {3, 4, 5}, {0, 1, 2}),
        "after 30 s apart each half removed the other");
  uint64_t probes = 0;
  for (uint32_t i = 0; i < 6; ++i) probes += c.e(i).stats().heal_probes;
  // One probe per 4 heartbeats (2 s) per node, into the void: about 6 * 27 / 2.
  CHECK(probes > 0 && probes < 6 * 30 / 2 + 6, "heal probes while apart: %llu", (unsigned long long)probes);
  c.sim().heal();
  double t = c.run_until([&] { return c.fullmesh(); }, 30);
  CHECK(t >= 0 && t < 30, "healed in %g s", t);
  if (g_seed == 1) std::printf("  heal_partition: one cluster %g virtual s after the network healed\n", t);
}

// Seeds: a node that knows only a seed address joins through it; heard_from tells that
// the seed answered; a seed that never answers is retried at the heal rate.
void test_seeds() {
  SimCluster c(4, g_seed, 0.5, GcMode::On, true, 0.5);
  c.add_link(1, 2);
  CHECK(c.run_until([&] { return c.status(2, 1) == ALIVE; }, 2) >= 0, "1-2 linked");
  uint64_t before = c.e(0).heard_clock();
  CHECK(c.set_seeds(0, {node_addr(1)}) == CommandError::Ok, "set_seeds");
  CHECK(c.run_until([&] { return c.status(0, 1) == ALIVE && c.status(0, 2) == ALIVE && c.status(2, 0) == ALIVE; },
                    2) >= 0,
        "joined through the seed");
  CHECK(c.e(0).heard_from(node_addr(1)) > before, "the seed answered");
  CHECK(c.e(0).heard_from(node_addr(3)) == 0, "not a contact: 0");
  CHECK(c.set_seeds(0, {addr_of(0, 1)}) == CommandError::BadAddress, "ip 0 refused");
  CHECK(c.set_seeds(0, {addr_of(0x7f000001, 0)}) == CommandError::BadAddress, "port 0 refused");
  // A seed that is down: node 3 alone, seeded with a dead address, probes it every 2 s.
  c.kill(3);
  c.sim().restart(4);
  CHECK(c.set_seeds(3, {addr_of(0x7f000001, 999)}) == CommandError::Ok, "set_seeds to nowhere");
  uint64_t p0 = c.e(3).stats().heal_probes;
  c.run_for(10);
  uint64_t p = c.e(3).stats().heal_probes - p0;
  CHECK(p >= 4 && p <= 6, "a lone node retries its seed every 4 heartbeats: %llu in 10 s", (unsigned long long)p);
  // Seeds that are members are not probed again.
  uint64_t q0 = c.e(0).stats().heal_probes;
  c.run_for(10);
  CHECK(c.e(0).stats().heal_probes == q0, "no heal probe to a seed that is a member");
}

// The watch list: probe_member's addresses report whether they answered.
void test_probe_answered() {
  SimCluster c(3, g_seed, 0.5, GcMode::On, true, 0.5);
  uint64_t before = c.e(0).heard_clock();
  c.probe_member(0, node_addr(1));
  c.probe_member(0, addr_of(0x7f000001, 77));  // nobody
  c.run_for(1);
  CHECK(c.e(0).heard_from(node_addr(1)) > before, "probed address answered");
  CHECK(c.e(0).heard_from(addr_of(0x7f000001, 77)) == 0, "silent address did not");
  // Probing our own address never counts as an answer.
  c.probe_member(0, node_addr(0));
  c.run_for(1);
  CHECK(c.e(0).heard_from(node_addr(0)) == 0, "our own echo is no answer");
}

// Another engine with our UUID at another address: reported, at most once per 10 s per
// claimant, and counted every time.
void test_conflict() {
  SimCluster c(3, g_seed, 0.5, GcMode::On, true, 0.5);
  ConfigPatch p;
  p.has_uuid = true;
  p.uuid = node_uuid(0);
  CHECK(c.configure(1, p) == CommandError::Ok, "node 1 takes node 0's UUID");
  std::vector<Conflict> got;
  for (int k = 0; k < 5; ++k) {
    c.probe_member(1, node_addr(0));
    c.run_for(0.5);
  }
  c.e(0).take_conflicts(&got);
  CHECK(got.size() == 1, "one report in 2.5 s, got %zu", got.size());
  CHECK(!got.empty() && got[0].uuid == node_uuid(0) && got[0].addr == node_addr(1), "names the claimant");
  CHECK(c.e(0).stats().conflicts == 5, "every packet counted: %llu", (unsigned long long)c.e(0).stats().conflicts);
  CHECK(c.e(0).stats().drops_self_source == 5, "and dropped");
  c.run_for(10);
  c.probe_member(1, node_addr(0));
  c.run_for(0.5);
  got.clear();
  c.e(0).take_conflicts(&got);
  CHECK(got.size() == 1, "reported again after 10 s");
  // A broadcast echo (our UUID from our own address) is no conflict.
  c.broadcast(0, 0);
  c.run_for(0.5);
  got.clear();
  c.e(0).take_conflicts(&got);
  CHECK(got.empty(), "own echo is no conflict");
}

// A member restarted under the same UUID at another address with a bigger generation is
// adopted by every peer within a couple of heartbeats; nobody keeps a ghost.
// Gossip of our UUID at another address with a newer incarnation is a conflict too; an
// older one (our own past) is not.
void test_conflict_by_gossip() {
  SimCluster c(3, g_seed, 0.5, GcMode::On, true, 0.5);
  c.interconnect(0, 1);
  CHECK(c.run_until([&] { return c.status(1, 0) == ALIVE && c.status(0, 1) == ALIVE; }, 2) >= 0, "0-1 linked");
  ConfigPatch p;
  p.has_uuid = true;
  p.uuid = node_uuid(0);
  CHECK(c.configure(2, p) == CommandError::Ok, "node 2 takes node 0's UUID");
  for (int k = 0; k < 3; ++k) c.set_payload(2, "x", 1, k % 2 == 0);  // a newer incarnation
  c.probe_member(2, node_addr(1));  // node 1 moves 'node 0' to node 2's address and gossips it
  std::vector<Conflict> got;
  c.run_until([&] {
    c.e(0).take_conflicts(&got);
    return !got.empty();
  }, 5);
  CHECK(!got.empty() && got[0].addr == node_addr(2), "node 0 hears of its UUID at node 2's address");
}

void test_restart_new_address() {
  sim::SimConfig cfg;
  cfg.nodes = 5;
  cfg.seed = g_seed;
  cfg.configure = false;
  cfg.base.has_heartbeat_rate = true;
  cfg.base.heartbeat_rate = 0.5;
  cfg.base.has_ack_timeout = true;
  cfg.base.ack_timeout = 0.5;
  sim::Simulation s(cfg);
  for (uint32_t i = 1; i <= 4; ++i) {
    ConfigPatch p = node_config(i - 1);
    p.has_generation = true;
    p.generation = 1;
    s.configure(i, p);
  }
  for (uint32_t i = 1; i < 4; ++i) s.add_member(i, i + 1);
  auto meshed = [&] {
    for (uint32_t v = 1; v <= 4; ++v)
      if (s.engine(v).size() != 4) return false;
    return true;
  };
  CHECK(s.run_until(meshed, 5 * kSecond) >= 0, "bootstrap");
  s.kill(3);
  ConfigPatch p = node_config(4);  // node 5's address...
  p.uuid = node_uuid(2);           // ...node 3's UUID
  p.has_generation = true;
  p.generation = 2;
  CHECK(s.configure(5, p).ok(), "restarted elsewhere");
  s.set_seeds(5, {node_addr(0)});
  auto adopted = [&] {
    for (uint32_t v : {1u, 2u, 4u}) {
      MemberSnapshot m;
      if (!s.engine(v).member(node_uuid(2), &m) || m.addr != node_addr(4) || m.status != Status::Alive) return false;
      if (s.engine(v).size() != 4) return false;
    }
    return true;
  };
  Time t = s.run_until(adopted, 2 * kSecond);
  CHECK(t >= 0 && t <= kSecond, "adopted everywhere in %g s", t / 1e6);
}

void test_contacts_bounds() {
  Contacts c;
  std::vector<Addr> seeds;
  for (uint16_t i = 1; i <= 100; ++i) seeds.push_back(addr_of(0x0a000001, i));
  seeds.push_back(seeds[0]);
  c.set_seeds(seeds);
  CHECK(c.size() == Contacts::kMaxSeeds && c.heal_targets() == Contacts::kMaxSeeds, "seeds bounded: %zu", c.size());
  for (uint16_t i = 1; i <= 100; ++i) c.add_lost(addr_of(0x0a000002, i));
  for (uint16_t i = 1; i <= 100; ++i) c.add_watch(addr_of(0x0a000003, i));
  CHECK(c.size() == Contacts::kMaxSeeds + Contacts::kMaxLost + Contacts::kMaxWatch, "all bounded: %zu", c.size());
  CHECK(c.find(addr_of(0x0a000002, 100)) >= 0 && c.find(addr_of(0x0a000002, 68)) < 0, "the most recent lost kept");
  CHECK(c.check() == nullptr, "consistent: %s", c.check() ? c.check() : "");
  c.heard(addr_of(0x0a000003, 100));
  CHECK(c.heard_from(addr_of(0x0a000003, 100)) == c.clock() && c.clock() == 1, "heard");
  c.heard(addr_of(0x0b000000, 1));
  CHECK(c.clock() == 1, "a stranger does not tick the clock");
  c.mark_self(addr_of(0x0a000001, 1));
  CHECK(c.heal_targets() == Contacts::kMaxSeeds + Contacts::kMaxLost - 1, "our own address is no heal target");
  c.set_seeds({});
  CHECK(c.size() == Contacts::kMaxLost + Contacts::kMaxWatch && c.check() == nullptr, "seeds replaced");
}

}  // namespace

void healing_tests(std::vector<Test>* out) {
  out->insert(out->end(), {
                              {"heal_partition", test_heal_partition},
                              {"seeds", test_seeds},
                              {"probe_answered", test_probe_answered},
                              {"conflict", test_conflict},
                              {"conflict_by_gossip", test_conflict_by_gossip},
                              {"restart_new_address", test_restart_new_address},
                              {"contacts_bounds", test_contacts_bounds},
                          });
}

}  // namespace swim_test
