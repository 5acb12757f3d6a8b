// Engine-level checks that need no network: configuration errors, the probe queue and
// the pacing of second-hand probes, decode drops, and random well-formed traffic.
#include <algorithm>
#include <cmath>

#include "core/probe_queue.h"
#include "core/rng.h"
#include "core/test/check.h"

namespace swim_test {

namespace {

void test_cfg() {
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

void test_probe_queue() {
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
std::vector<uint8_t> gossip_packet(uint32_t first, uint32_t k, FdType type = FdType::Ping) {
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

std::vector<uint8_t> ack_from(uint32_t i) {
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
void test_probe_pacing() {
  Engine e(g_seed);
  ConfigPatch cfg = node_config(0);
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

void test_decode_drops() {
  Engine e(g_seed);
  ConfigPatch p = node_config(0);
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
void test_chaos() {
  Rng r(g_seed * 7777 + 1);
  Engine e(g_seed);
  ConfigPatch p = node_config(0);
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

// The simulator's incremental member conditions (MemberWatch) agree with a full pass at
// every instant: kills, restarts, a quit and lossy links make views change everywhere.
// One watch per run (a second watch evaluated in between would make it start over).
void test_member_watch() {
  using Where = sim::MemberCheck::Where;
  uint32_t disagreements = 0, transitions = 0;
  for (uint32_t m : {2u, 3u, 7u})
    for (Where where : {Where::Everywhere, Where::Anywhere})
      for (int st : {0, 2, 3, sim::kAbsent}) {
        const uint32_t n = 10;
        sim::SimConfig cfg;
        cfg.nodes = n;
        cfg.seed = g_seed;
        cfg.keep_events = false;
        cfg.base.has_ack_timeout = true;
        cfg.base.ack_timeout = 0.5;
        cfg.base.has_heartbeat_rate = true;
        cfg.base.heartbeat_rate = 0.5;
        sim::Simulation s(cfg);
        for (uint32_t i = 1; i <= n; ++i)
          for (uint32_t j = 1; j <= n; ++j)
            if (i != j) s.add_member(i, j);
        s.set_drop(4, 0.3, sim::Direction::Both);
        sim::MemberWatch w;
        w.check.uuid = sim::Simulation::node_uuid(m);
        w.check.member_node = m;
        w.check.where = where;
        w.check.check_status = true;
        w.check.status = st;
        int last = -1;
        for (int k = 0; k < 3000 && s.step(); ++k) {
          if (k == 300) s.kill(2);
          if (k == 900) s.quit(3);
          if (k == 1500) s.restart(2, 1);
          if (k == 2200) s.kill(7);
          if (k % 5 == 1) continue;  // it must catch up on the instants it did not see
          const bool inc = s.check(&w);
          if (inc != s.check(w.check)) ++disagreements;
          if (last >= 0 && last != inc) ++transitions;
          last = inc;
        }
      }
  CHECK(disagreements == 0, "incremental and full checks agree (%u disagreements)", disagreements);
  CHECK(transitions >= 6, "the conditions changed along the run (%u transitions)", transitions);
}

}  // namespace

void unit_tests(std::vector<Test>* out) {
  out->insert(out->end(), {
      {"cfg", test_cfg},
      {"probe_queue", test_probe_queue},
      {"probe_pacing", test_probe_pacing},
      {"decode_drops", test_decode_drops},
      {"chaos", test_chaos},
      {"member_watch", test_member_watch},
  });
}

}  // namespace swim_test
