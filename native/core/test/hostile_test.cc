// Hostile input (docs/protocol.md, "Hostile input"): each attack measured on main, turned
// into a check that fails without its defence.
//   flood       100,000 pings from made-up UUIDs: table bounded, first contacts paced, the
//               real cluster undisturbed, every answer to a made-up sender minimal
//   wrap        "X suspected at version 2^64-1": X refutes in the next generation, stays alive
//   dead        gc off, one forged dead record: its address pinged once per round, not per
//               ack timeout
//   addresses   broadcast, multicast, 0/8, 240/4 from the wire: packet or record dropped
//   reflection  a forged ping yields a minimal ack; relays only towards members
#include <algorithm>
#include <map>

#include "core/test/sim_cluster.h"

namespace swim_test {

namespace {

Uuid fake_uuid(uint64_t n) {
  Uuid u;
  u.bytes[0] = 0xee;
  for (int i = 0; i < 8; ++i) u.bytes[8 + i] = static_cast<uint8_t>(n >> (8 * i));
  u.bytes[6] = 0x40;
  return u;
}

Addr ip_port(uint32_t ip, uint16_t port) {
  Addr a;
  a.ip = ip;
  a.port = port;
  return a;
}

std::vector<uint8_t> encode(const Packet& p) {
  std::vector<uint8_t> out(kMaxPacketSize);
  EncodeResult r = encode_packet(p, out.data(), out.size());
  if (!r.ok) std::abort();
  out.resize(r.size);
  return out;
}

// A minimal ping or ack from `uuid`, claiming `src` as its address.
Packet fd_packet(const Uuid& uuid, Addr src, FdType type, Incarnation inc = Incarnation()) {
  Packet p;
  p.meta.src = src;
  p.source = uuid;
  p.has_failure_detection = true;
  p.failure_detection.type = type;
  p.failure_detection.incarnation = inc;
  return p;
}

MemberRecord record(const Uuid& uuid, Addr addr, Status st, Incarnation inc) {
  MemberRecord r;
  r.uuid = uuid;
  r.addr = addr;
  r.status = st;
  r.incarnation = inc;
  return r;
}

// An engine playing node 0 with members 1..n-1 added (never answering unless told).
struct Lone {
  Engine e;
  Time now = 0;
  std::vector<Datagram> out;
  explicit Lone(uint32_t n, GcMode gc = GcMode::On, uint32_t max_members = 0) : e(g_seed) {
    ConfigPatch p = node_config(0);
    p.has_heartbeat_rate = true;
    p.heartbeat_rate = 1;
    p.has_ack_timeout = true;
    p.ack_timeout = 1;
    p.has_gc_mode = true;
    p.gc_mode = gc;
    if (max_members != 0) {
      p.has_max_members = true;
      p.max_members = max_members;
    }
    e.configure(p, now);
    for (uint32_t i = 1; i < n; ++i) e.add_member(node_addr(i), node_uuid(i), now);
  }
  void feed(const std::vector<uint8_t>& b, Addr from) {
    e.on_datagram(b.data(), b.size(), from, now);
    e.take_outbox(&out);
  }
  // Runs the timers up to `t`.
  void run_to(Time t) {
    for (Time d = e.next_deadline(); d <= t; d = e.next_deadline()) {
      now = std::max(now, d);
      e.on_timer(now);
      e.take_outbox(&out);
    }
    now = t;
  }
};

bool is_node_addr(Addr a) { return a.ip == node_addr(0).ip; }

// ---------------------------------------------------------------- 1. flood of made-up senders

void test_flood_lone() {
  // 3 real members (nodes 1, 2 answer as a real member would), 100,000 pings from made-up
  // UUIDs at made-up addresses in 10/8, 10,000 per second for 10 s.
  Lone l(3);
  uint64_t in_bytes = 0, out_to_fakes = 0, datagrams_to_fakes = 0, big_to_fakes = 0;
  size_t max_size = 0;
  const uint32_t kFlood = 100000;
  for (uint32_t k = 0; k < kFlood; ++k) {
    l.run_to(l.now + 100);
    std::vector<uint8_t> ping = encode(fd_packet(fake_uuid(k), ip_port(0x0a000000u + k, 9), FdType::Ping));
    in_bytes += ping.size();
    l.feed(ping, ip_port(0x0a000000u + k, 9));
    for (const Datagram& d : l.out) {
      if (is_node_addr(d.to)) {
        // Nodes 1 and 2 answer whatever they are sent (a ping of theirs answered too).
        Packet in;
        if (!decode_packet(d.bytes.data(), d.bytes.size(), &in).ok() || !in.has_failure_detection) continue;
        if (in.failure_detection.type != FdType::Ping || in.meta.has_route) continue;
        uint32_t node = d.to.port - 1;
        std::vector<uint8_t> ack = encode(fd_packet(node_uuid(node), node_addr(node), FdType::Ack));
        l.e.on_datagram(ack.data(), ack.size(), node_addr(node), l.now);
        continue;
      }
      ++datagrams_to_fakes;
      out_to_fakes += d.bytes.size();
      if (d.bytes.size() > 100) ++big_to_fakes;
    }
    l.out.clear();
    max_size = std::max(max_size, l.e.size());
  }
  MemberSnapshot m;
  bool real_alive = true;
  for (uint32_t i = 1; i < 3; ++i) real_alive = real_alive && l.e.member(node_uuid(i), &m) && m.status == Status::Alive;
  // Paced at max(16, 4 * (confirmed + 1)) = 16 per heartbeat, burst 16: ~176 in 10 s.
  CHECK(max_size <= 3 + 16 + 16 * 11, "flood: table grew to %zu (paced first contacts)", max_size);
  CHECK(l.e.stats().contacts_deferred >= kFlood - 200, "flood: %llu first contacts deferred",
        (unsigned long long)l.e.stats().contacts_deferred);
  CHECK(real_alive, "flood: the real members stay alive");
  CHECK(big_to_fakes * 100 <= datagrams_to_fakes, "flood: %llu of %llu datagrams to made-up senders over 100 bytes",
        (unsigned long long)big_to_fakes, (unsigned long long)datagrams_to_fakes);
  CHECK(out_to_fakes <= 2 * in_bytes, "flood: %llu bytes sent to made-up addresses for %llu received",
        (unsigned long long)out_to_fakes, (unsigned long long)in_bytes);
}

void test_flood_bounded() {
  // A table bound of 64, the pacing out of the way (flood spread over 1000 s): the table
  // never exceeds the bound; dead members make room for the new.
  Lone l(3, GcMode::Off, 64);
  size_t max_size = 0;
  for (uint32_t k = 0; k < 20000; ++k) {
    l.run_to(l.now + kSecond / 20);
    std::vector<uint8_t> ping = encode(fd_packet(fake_uuid(k), ip_port(0x0a000000u + k, 9), FdType::Ping));
    l.feed(ping, ip_port(0x0a000000u + k, 9));
    l.out.clear();
    max_size = std::max(max_size, l.e.size());
  }
  CHECK(max_size == 64, "bounded: table at most max_members, reached it: %zu", max_size);
  CHECK(l.e.stats().members_refused > 0 && l.e.stats().members_evicted > 0,
        "bounded: refusals (%llu) and evictions of dead members (%llu)",
        (unsigned long long)l.e.stats().members_refused, (unsigned long long)l.e.stats().members_evicted);
  // add_member is exempt; a bad bound is refused.
  CHECK(l.e.add_member(ip_port(0x0b000001u, 1), fake_uuid(1u << 30), l.now) == CommandError::Ok, "add_member exempt");
  ConfigPatch p;
  p.has_max_members = true;
  p.max_members = 1;
  CHECK(l.e.configure(p, l.now) == CommandError::BadConfig, "max_members 1 refused");
  p.max_members = 100;
  CHECK(l.e.configure(p, l.now) == CommandError::Ok && l.e.max_members() == 100, "max_members reconfigured");
}

void test_flood_cluster() {
  // A meshed cluster of 6; node 0 is flooded (10,000 pings/s for 10 s) with made-up
  // senders, each ping also naming 20 made-up members. Nobody real is ever suspected, the
  // mesh holds, node 0's table stays small, and a newcomer still joins during the flood.
  SimCluster c(7, g_seed, 1.0);
  c.kill(6);  // the newcomer, started mid-flood
  for (uint32_t i = 0; i < 6; ++i) c.interconnect(i, (i + 1) % 6);
  CHECK(c.run_until([&] { return c.fullmesh(); }, 30) >= 0, "mesh before the flood");
  bool suspected = false;
  size_t max_size = 0;
  uint64_t k = 0;
  auto real_ok = [&] {
    for (uint32_t v = 0; v < 6; ++v)
      for (uint32_t m = 0; m < 6; ++m)
        if (v != m && c.status(v, m) != 0) suspected = true;
    max_size = std::max(max_size, c.e(0).size());
    return false;
  };
  for (uint32_t tick = 0; tick < 1000; ++tick) {
    for (uint32_t j = 0; j < 100; ++j, ++k) {
      Packet p = fd_packet(fake_uuid(k), ip_port(0x0a000000u + static_cast<uint32_t>(k), 9), FdType::Ping);
      if (j == 0) {
        p.has_dissemination = true;
        for (uint32_t r = 0; r < 20; ++r)
          p.dissemination.push_back(record(fake_uuid((1ull << 40) + k * 20 + r),
                                           ip_port(0x0b000000u + static_cast<uint32_t>(k * 20 + r), 9), Status::Alive,
                                           Incarnation()));
      }
      std::vector<uint8_t> b = encode(p);
      c.sim().inject(1, p.meta.src, b.data(), b.size());
    }
    if (tick == 500) {
      // A newcomer restarts mid-flood and knows only node 0.
      c.sim().restart(7, 1);
    }
    c.run_until(real_ok, 0.01);
  }
  CHECK(!suspected, "cluster: no real member suspected during the flood");
  // Within a few seconds of the flood's end (anti-entropy vouches for confirmed members
  // first, so the made-up ones do not crowd the real ones out of node 0's packets).
  CHECK(c.run_until([&] { return c.fullmesh(); }, 10) >= 0, "cluster: full mesh, the newcomer included");
  // Paced at max(16, 4 * (5 confirmed + 1)) = 24 per heartbeat: at most ~16 + 24 * 10.
  CHECK(max_size <= 7 + 16 + 24 * 11, "cluster: node 0's table grew to %zu", max_size);
}

// ---------------------------------------------------------------- 2. version wrap

void test_version_wrap() {
  SimCluster c(3, g_seed, 1.0);
  c.interconnect(0, 1);
  c.interconnect(1, 2);
  c.interconnect(0, 2);
  CHECK(c.run_until([&] { return c.fullmesh(); }, 30) >= 0, "mesh");
  MemberSnapshot self;
  c.e(0).self(&self);
  const uint64_t gen = self.incarnation.generation;
  // "node 0 is suspected at version 2^64-1", to node 0 and to node 1, from a made-up sender.
  Packet p = fd_packet(fake_uuid(7), ip_port(0x0a000007u, 9), FdType::Ack);
  p.has_dissemination = true;
  Incarnation top;
  top.generation = gen;
  top.version = UINT64_MAX;
  p.dissemination.push_back(record(node_uuid(0), node_addr(0), Status::Suspected, top));
  std::vector<uint8_t> b = encode(p);
  c.sim().inject(1, p.meta.src, b.data(), b.size());
  c.sim().inject(2, p.meta.src, b.data(), b.size());
  bool dead = false;
  c.run_until(
      [&] {
        dead = dead || c.status_anywhere(0, 2) || c.status_anywhere(0, -1);
        return false;
      },
      60);
  c.e(0).self(&self);
  CHECK(self.incarnation.generation == gen + 1 && self.incarnation.version < 10,
        "wrap: refuted in the next generation, at %llu.%llu", (unsigned long long)self.incarnation.generation,
        (unsigned long long)self.incarnation.version);
  CHECK(!dead, "wrap: node 0 never dead nor forgotten while it answers");
  CHECK(c.status_everywhere(0, 0), "wrap: node 0 alive everywhere");
  MemberSnapshot seen;
  CHECK(c.e(1).member(node_uuid(0), &seen) && seen.incarnation == self.incarnation, "wrap: peers hold the refutation");

  // At the top of both ranges nothing can be refuted: the incarnation saturates, never wraps.
  Lone l(2);
  Packet q = fd_packet(node_uuid(1), node_addr(1), FdType::Ping);
  q.has_dissemination = true;
  Incarnation max;
  max.generation = UINT64_MAX;
  max.version = UINT64_MAX;
  q.dissemination.push_back(record(node_uuid(0), node_addr(0), Status::Suspected, max));
  l.feed(encode(q), node_addr(1));
  l.e.self(&self);
  CHECK(self.incarnation == max, "wrap: saturated at the top, not wrapped");
  CHECK(l.e.set_payload(reinterpret_cast<const uint8_t*>("x"), 1, true, l.now) == CommandError::Ok, "payload");
  l.e.self(&self);
  CHECK(self.incarnation == max, "wrap: still at the top after a payload change");
}

// ---------------------------------------------------------------- 3. forged dead record, gc off

void test_dead_pinged_once_per_round() {
  // 5 members (4 real, never answering, and self), gc off; one forged dead record at
  // 10.9.9.9:9. Over 100 s with heartbeat 1 s: the round visits 5 members, so the forged
  // address is pinged at most ~100/5 + 1 times (on main: every ack timeout, ~100).
  Lone l(5, GcMode::Off);
  Packet p = fd_packet(node_uuid(1), node_addr(1), FdType::Ack);
  p.has_dissemination = true;
  const Addr victim = ip_port(0x0a090909u, 9);
  p.dissemination.push_back(record(fake_uuid(1), victim, Status::Dead, Incarnation()));
  l.feed(encode(p), node_addr(1));
  MemberSnapshot m;
  CHECK(l.e.member(fake_uuid(1), &m) && m.status == Status::Dead, "dead record taken (gc off)");
  l.out.clear();
  l.run_to(100 * kSecond);
  uint32_t pings = 0;
  for (const Datagram& d : l.out) pings += d.to == victim;
  CHECK(pings >= 10 && pings <= 100 / 5 + 2, "dead: forged address pinged %u times in 100 s (once per round)", pings);

  // gc on: a dead member is still removed 2 ack timeouts after its death was gossiped.
  SimCluster c(3, g_seed, 1.0);
  c.interconnect(0, 1);
  c.interconnect(1, 2);
  c.interconnect(0, 2);
  CHECK(c.run_until([&] { return c.fullmesh(); }, 30) >= 0, "mesh");
  c.kill(2);
  CHECK(c.run_until([&] { return c.status_everywhere(2, 2); }, 30) >= 0, "dead");
  CHECK(c.run_until([&] { return c.status_everywhere(2, -1); }, 30) >= 0, "gc on: dead member removed");
}

// ---------------------------------------------------------------- 4. addresses from the wire

void test_bad_addresses() {
  Lone l(2);
  const uint32_t bad[] = {0xffffffffu, 0xe0000001u, 0xefffffffu, 0x00010203u, 0xf0000001u};
  uint64_t drops = 0;
  for (uint32_t ip : bad) {
    // As the meta source of a ping from a made-up sender...
    l.feed(encode(fd_packet(fake_uuid(ip), ip_port(ip, 9), FdType::Ping)), ip_port(ip, 9));
    // ... and as a route's source or destination.
    Packet r = fd_packet(node_uuid(1), node_addr(1), FdType::Ping);
    r.meta.has_route = true;
    r.meta.route.src = node_addr(1);
    r.meta.route.dst = ip_port(ip, 9);
    l.feed(encode(r), node_addr(1));
    r.meta.route.src = ip_port(ip, 9);
    r.meta.route.dst = node_addr(0);
    l.feed(encode(r), node_addr(1));
    drops += 3;
  }
  CHECK(l.out.empty(), "bad addresses: nothing sent, %zu datagrams", l.out.size());
  CHECK(l.e.stats().drops_bad_address == drops && l.e.stats().packets_dropped == drops, "bad addresses: %llu packets counted",
        (unsigned long long)l.e.stats().drops_bad_address);
  CHECK(l.e.size() == 2, "bad addresses: nobody added");
  // In member records: the record is skipped, the rest of the packet counts.
  Packet g = fd_packet(node_uuid(1), node_addr(1), FdType::Ping);
  g.has_dissemination = true;
  g.dissemination.push_back(record(fake_uuid(100), ip_port(0xffffffffu, 9), Status::Dead, Incarnation()));
  g.dissemination.push_back(record(fake_uuid(101), ip_port(0xe0000005u, 9), Status::Alive, Incarnation()));
  g.dissemination.push_back(record(fake_uuid(102), ip_port(0x7f000063u, 99), Status::Alive, Incarnation()));
  l.feed(encode(g), node_addr(1));
  uint32_t acks = 0, probes_good = 0, other = 0;
  for (const Datagram& d : l.out) {
    if (d.to == node_addr(1)) ++acks;
    else if (d.to == ip_port(0x7f000063u, 99)) ++probes_good;
    else ++other;
  }
  CHECK(acks == 1 && probes_good == 1 && other == 0, "records: ping acked (%u), loopback member probed (%u), %u others",
        acks, probes_good, other);
  CHECK(l.e.stats().drops_bad_address == drops + 2 && l.e.stats().packets_dropped == drops, "records: 2 skipped and counted");
}

// ---------------------------------------------------------------- 5. reflection

void test_reflection() {
  // 60 members known, so a full message is ~1440 bytes.
  Lone l(60);
  const Addr victim = ip_port(0x0a636363u, 53);
  std::vector<uint8_t> ping = encode(fd_packet(fake_uuid(5), victim, FdType::Ping));
  l.feed(ping, victim);
  size_t to_victim = 0;
  for (const Datagram& d : l.out) to_victim += d.to == victim ? d.bytes.size() : 0;
  CHECK(to_victim > 0 && to_victim <= ping.size(), "forged ping of %zu bytes: %zu bytes to the victim", ping.size(),
        to_victim);
  // A routed packet towards a non-member is not relayed; towards a member it is, unchanged in size.
  l.out.clear();
  Packet r = fd_packet(node_uuid(1), node_addr(1), FdType::Ping);
  r.meta.has_route = true;
  r.meta.route.src = node_addr(1);
  r.meta.route.dst = ip_port(0x0a636364u, 53);
  uint32_t relayed = 0;
  for (uint32_t k = 0; k < 10000; ++k) {  // 10,000 in 1 s
    l.now += 100;
    l.feed(encode(r), node_addr(1));
    relayed += static_cast<uint32_t>(l.out.size());
    l.out.clear();
  }
  // The pacing: 16 at once, then max(16, 4 * (59 confirmed + 1)) = 240 per heartbeat (1 s).
  CHECK(relayed >= 16 && relayed <= 16 + 241, "relays towards a non-member paced: %u of 10000", relayed);
  CHECK(l.e.stats().drops_wrong_destination == 10000 - relayed, "the rest dropped as wrong_destination");
  l.run_to(l.now + 10 * kSecond);  // the pacing recovers
  l.out.clear();
  r.meta.route.dst = node_addr(2);
  std::vector<uint8_t> routed = encode(r);
  l.feed(routed, node_addr(1));
  CHECK(l.out.size() == 1 && l.out[0].to == node_addr(2) && l.out[0].bytes.size() == routed.size(),
        "relay towards a member");
  // A member met by its own ping (not given by the user) is unconfirmed: acks no bigger
  // than its pings, minimal pings, until it answers one of ours; then full acks.
  l.out.clear();
  const Uuid u = fake_uuid(77);
  const Addr a = ip_port(0x7f000001u, 7777);
  std::vector<uint8_t> small = encode(fd_packet(u, a, FdType::Ping));
  l.feed(small, a);
  size_t ack = 0;
  for (const Datagram& d : l.out) ack = d.to == a ? d.bytes.size() : ack;
  CHECK(ack > 0 && ack <= small.size(), "unconfirmed member: ack of %zu bytes for a %zu-byte ping", ack, small.size());
  l.out.clear();
  size_t round_ping = 0;
  for (uint32_t step = 0; step < 1000 && round_ping == 0; ++step) {
    l.run_to(l.now + kSecond / 10);
    for (const Datagram& d : l.out) {
      Packet in;
      if (d.to == a && decode_packet(d.bytes.data(), d.bytes.size(), &in).ok() && !in.meta.has_route)
        round_ping = d.bytes.size();
    }
    l.out.clear();
  }
  CHECK(round_ping > 0 && round_ping < 100, "unconfirmed member: minimal round ping, %zu bytes", round_ping);
  l.feed(encode(fd_packet(u, a, FdType::Ack)), a);
  l.out.clear();
  l.feed(small, a);
  ack = 0;
  for (const Datagram& d : l.out) ack = d.to == a ? d.bytes.size() : ack;
  CHECK(ack > 4 * small.size(), "a confirmed member gets an ack with gossip: %zu bytes", ack);
  // ... and at a made-up address with a newer incarnation it is unconfirmed there.
  l.out.clear();
  Incarnation newer;
  newer.version = 1;
  l.feed(encode(fd_packet(u, victim, FdType::Ping, newer)), victim);
  to_victim = 0;
  for (const Datagram& d : l.out) to_victim += d.to == victim ? d.bytes.size() : 0;
  CHECK(to_victim > 0 && to_victim < 100, "moved to an unconfirmed address: minimal ack, %zu bytes", to_victim);
}

}  // namespace

void hostile_tests(std::vector<Test>* out) {
  out->push_back({"hostile_flood_lone", test_flood_lone});
  out->push_back({"hostile_flood_bounded", test_flood_bounded});
  out->push_back({"hostile_flood_cluster", test_flood_cluster});
  out->push_back({"hostile_version_wrap", test_version_wrap});
  out->push_back({"hostile_dead_once_per_round", test_dead_pinged_once_per_round});
  out->push_back({"hostile_bad_addresses", test_bad_addresses});
  out->push_back({"hostile_reflection", test_reflection});
}

}  // namespace swim_test
