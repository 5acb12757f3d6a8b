// libFuzzer target over the engine (scripts/fuzz.sh builds and runs it).
//
// The input is a program: a few engines (1-3, swim::Engine driven directly, no simulator)
// and a sequence of operations read from the fuzzer's bytes:
//   - a datagram to one engine, mostly a well-formed packet built with the core's own codec
//     from fuzzer-chosen fields (addresses and UUIDs mostly from small pools, so packets
//     talk about members the engines know), sometimes with a byte flipped, sometimes raw
//     garbage;
//   - delivery of what one engine sent to the others (the engines converse);
//   - a timer tick after time advanced by a fuzzer-chosen step;
//   - a command: add, remove, probe, broadcast, set_payload, quit, configure, take_events.
// The core is built with -DSWIM_ENGINE_CHECKS, so every entry point verifies the engine's
// internal invariants and aborts on a broken one (engine_checks.cc prints "engine invariant
// broken after <call>: <what>"). On top of that, after every operation this target checks
// bounds that hold whatever arrives from the network:
//   - every datagram an engine emits is at most kMaxPacketSize bytes, decodes, and (unless
//     it is a broadcast) goes to a non-zero address and port;
//   - an operation's output is bounded: at most kMaxOutPerDatagram datagrams for one
//     received datagram, (k + 2) per member plus kMaxOutSlack for a tick or a command;
//   - the member table holds no member from nowhere: every UUID it holds appeared in some
//     input (a datagram that decodes, or a command), and size() counts members() exactly;
//   - time-dependent state stays sane: next_deadline() is kNever or a real time.
// A failed check prints "engine_fuzzer: <what>" and aborts.
#include <fuzzer/FuzzedDataProvider.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <set>
#include <vector>

#include "core/codec.h"
#include "core/engine.h"

namespace {

using swim::Addr;
using swim::Uuid;

constexpr size_t kMaxEngines = 3;
constexpr size_t kPoolAddrs = 8;
constexpr size_t kPoolUuids = 16;
constexpr size_t kMaxOps = 256;
constexpr size_t kMaxRecords = 24;
constexpr uint32_t kMaxIndirect = 6;
// One received datagram: an ack or a relayed ping, plus a burst of paced first-contact
// probes (membership.cc: kProbeBurst 16) and slack.
constexpr size_t kMaxOutPerDatagram = 24;
constexpr size_t kMaxOutSlack = 40;

[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "engine_fuzzer: %s\n", what);
  std::abort();
}

struct UuidLess {
  bool operator()(const Uuid& a, const Uuid& b) const { return std::memcmp(a.bytes, b.bytes, sizeof(a.bytes)) < 0; }
};

Addr pool_addr(size_t i) {
  Addr a;
  if (i == kPoolAddrs - 1) {
    a.ip = 0x0A000001;  // engine 0's host, another port
    a.port = 3400;
  } else {
    a.ip = 0x0A000001 + static_cast<uint32_t>(i);  // 10.0.0.1 ...
    a.port = 3301;
  }
  return a;
}

Uuid pool_uuid(size_t i) {
  Uuid u;
  u.bytes[6] = 0x10;
  u.bytes[15] = static_cast<uint8_t>(i + 1);
  return u;
}

class Program {
 public:
  explicit Program(const uint8_t* data, size_t size) : in_(data, size) {}

  void run() {
    size_t n = 1 + in_.ConsumeIntegralInRange<size_t>(0, kMaxEngines - 1);
    for (size_t i = 0; i < kMaxUuidsSeed(); ++i) seen_.insert(pool_uuid(i));
    for (size_t i = 0; i < n; ++i) {
      engines_.emplace_back(new swim::Engine(in_.ConsumeIntegral<uint64_t>() | 1));
      swim::ConfigPatch p;
      p.has_uri = true;
      p.uri = pool_addr(i);
      p.has_uuid = true;
      p.uuid = pool_uuid(i);
      p.has_generation = in_.ConsumeBool();
      p.generation = in_.ConsumeIntegralInRange<uint64_t>(0, 3);
      p.has_heartbeat_rate = true;
      p.heartbeat_rate = 0.1 * in_.ConsumeIntegralInRange<int>(1, 20);
      p.has_ack_timeout = true;
      p.ack_timeout = 0.1 * in_.ConsumeIntegralInRange<int>(1, 30);
      p.has_gc_mode = true;
      p.gc_mode = in_.ConsumeBool() ? swim::GcMode::On : swim::GcMode::Off;
      p.has_indirect_ping_count = true;
      p.indirect_ping_count = in_.ConsumeIntegralInRange<uint32_t>(1, kMaxIndirect);
      k_[i] = p.indirect_ping_count;
      if (engines_[i]->configure(p, now_) != swim::CommandError::Ok) fail("initial configure refused");
      after(i, Out::Command);
    }
    for (size_t op = 0; op < kMaxOps && in_.remaining_bytes() > 0; ++op) step();
  }

 private:
  enum class Out { Datagram, Command };
  static constexpr size_t kMaxUuidsSeed() { return kPoolUuids; }

  size_t pick_engine() { return in_.ConsumeIntegralInRange<size_t>(0, engines_.size() - 1); }

  Addr any_addr() {
    if (in_.ConsumeIntegralInRange<int>(0, 7) != 0) return pool_addr(in_.ConsumeIntegralInRange<size_t>(0, kPoolAddrs - 1));
    Addr a;
    a.ip = in_.ConsumeIntegral<uint32_t>();
    a.port = in_.ConsumeIntegral<uint16_t>();
    return a;
  }

  Uuid any_uuid() {
    if (in_.ConsumeIntegralInRange<int>(0, 7) != 0) return pool_uuid(in_.ConsumeIntegralInRange<size_t>(0, kPoolUuids - 1));
    Uuid u;
    for (uint8_t& b : u.bytes) b = in_.ConsumeIntegral<uint8_t>();
    return u;
  }

  swim::Incarnation any_incarnation() {
    swim::Incarnation inc;
    if (in_.ConsumeIntegralInRange<int>(0, 7) != 0) {
      inc.generation = in_.ConsumeIntegralInRange<uint64_t>(0, 3);
      inc.version = in_.ConsumeIntegralInRange<uint64_t>(0, 5);
    } else {
      inc.generation = in_.ConsumeIntegral<uint64_t>();
      inc.version = in_.ConsumeIntegral<uint64_t>();
    }
    return inc;
  }

  void fill_members(std::vector<swim::MemberRecord>* list) {
    size_t n = in_.ConsumeIntegralInRange<size_t>(0, kMaxRecords);
    for (size_t i = 0; i < n; ++i) {
      swim::MemberRecord r;
      r.status = static_cast<swim::Status>(in_.ConsumeIntegralInRange<uint8_t>(0, swim::kStatusCount - 1));
      r.addr = any_addr();
      r.uuid = any_uuid();
      r.incarnation = any_incarnation();
      r.has_payload = in_.ConsumeBool();
      if (r.has_payload) {
        size_t len = in_.ConsumeIntegralInRange<size_t>(0, 40);
        if (in_.ConsumeIntegralInRange<int>(0, 15) == 0) len = swim::kMaxPayloadSize;
        payloads_.emplace_back(len, static_cast<uint8_t>(i));
        r.payload.data = payloads_.back().data();
        r.payload.size = len;
      }
      list->push_back(r);
    }
  }

  // A packet built from fuzzer-chosen fields with the core's encoder.
  std::vector<uint8_t> build_packet(Addr* from) {
    swim::Packet p;
    p.meta.src = any_addr();
    *from = in_.ConsumeIntegralInRange<int>(0, 7) != 0 ? p.meta.src : any_addr();
    p.meta.has_route = in_.ConsumeIntegralInRange<int>(0, 5) == 0;
    if (p.meta.has_route) {
      p.meta.route.src = in_.ConsumeBool() ? p.meta.src : any_addr();
      p.meta.route.dst = any_addr();
    }
    p.source = any_uuid();
    p.has_failure_detection = in_.ConsumeBool();
    if (p.has_failure_detection) {
      p.failure_detection.type = in_.ConsumeBool() ? swim::FdType::Ping : swim::FdType::Ack;
      p.failure_detection.incarnation = any_incarnation();
    }
    p.has_dissemination = in_.ConsumeBool();
    if (p.has_dissemination) fill_members(&p.dissemination);
    p.has_anti_entropy = in_.ConsumeBool();
    if (p.has_anti_entropy) fill_members(&p.anti_entropy);
    p.has_quit = in_.ConsumeIntegralInRange<int>(0, 5) == 0;
    if (p.has_quit) p.quit = any_incarnation();
    std::vector<uint8_t> bytes(swim::kMaxPacketSize);
    swim::EncodeResult r = swim::encode_packet(p, bytes.data(), bytes.size());
    payloads_.clear();
    bytes.resize(r.ok ? r.size : 0);
    if (!bytes.empty() && in_.ConsumeIntegralInRange<int>(0, 7) == 0) {
      size_t at = in_.ConsumeIntegralInRange<size_t>(0, bytes.size() - 1);
      bytes[at] ^= in_.ConsumeIntegralInRange<uint8_t>(1, 255);
    }
    return bytes;
  }

  // Every UUID an input datagram can introduce, for the "no member from nowhere" check.
  void note_uuids(const std::vector<uint8_t>& bytes) {
    swim::Packet p;
    if (!swim::decode_packet(bytes.data(), bytes.size(), &p).ok()) return;
    seen_.insert(p.source);
    for (const swim::MemberRecord& r : p.dissemination) seen_.insert(r.uuid);
    for (const swim::MemberRecord& r : p.anti_entropy) seen_.insert(r.uuid);
  }

  void deliver(size_t i, const std::vector<uint8_t>& bytes, Addr from) {
    note_uuids(bytes);
    engines_[i]->on_datagram(bytes.data(), bytes.size(), from, now_);
    after(i, Out::Datagram);
  }

  // Delivers engine i's pending datagrams to the engines they are addressed to (a
  // broadcast reaches every other engine listening on that port).
  void converse(size_t i) {
    std::vector<swim::Datagram> out;
    out.swap(pending_[i]);
    Addr from = engines_[i]->uri();
    for (const swim::Datagram& d : out) {
      for (size_t j = 0; j < engines_.size(); ++j) {
        if (j == i) continue;
        Addr to = engines_[j]->uri();
        if (d.broadcast ? d.to.port == to.port : d.to == to) {
          engines_[j]->on_datagram(d.bytes.data(), d.bytes.size(), from, now_);
          after(j, Out::Datagram);
        }
      }
    }
  }

  void step() {
    switch (in_.ConsumeIntegralInRange<int>(0, 15)) {
      case 0:
      case 1:
      case 2:
      case 3: {  // a built packet
        size_t i = pick_engine();
        Addr from;
        std::vector<uint8_t> bytes = build_packet(&from);
        deliver(i, bytes, from);
        break;
      }
      case 4: {  // raw garbage
        size_t i = pick_engine();
        Addr from = any_addr();
        std::vector<uint8_t> bytes = in_.ConsumeBytes<uint8_t>(in_.ConsumeIntegralInRange<size_t>(0, 1500));
        deliver(i, bytes, from);
        break;
      }
      case 5:
      case 6: {  // the engines talk
        converse(pick_engine());
        break;
      }
      case 7:
      case 8: {  // time passes
        uint32_t kind = in_.ConsumeIntegralInRange<uint32_t>(0, 3);
        swim::Time dt = kind == 0   ? in_.ConsumeIntegralInRange<swim::Time>(0, 1000)
                        : kind == 1 ? in_.ConsumeIntegralInRange<swim::Time>(0, swim::kSecond)
                        : kind == 2 ? in_.ConsumeIntegralInRange<swim::Time>(0, 10 * swim::kSecond)
                                    : in_.ConsumeIntegralInRange<swim::Time>(0, 3600 * swim::kSecond);
        now_ += dt;
        for (size_t i = 0; i < engines_.size(); ++i) {
          swim::Time d = engines_[i]->next_deadline();
          if (d != swim::kNever && d > now_ + 100 * 3600 * swim::kSecond) fail("deadline absurdly far");
          if (now_ >= d || in_.ConsumeBool()) {
            engines_[i]->on_timer(now_);
            after(i, Out::Command);
          }
        }
        break;
      }
      case 9: {
        size_t i = pick_engine();
        Uuid u = any_uuid();
        seen_.insert(u);
        engines_[i]->add_member(any_addr(), u, now_);
        after(i, Out::Command);
        break;
      }
      case 10: {
        size_t i = pick_engine();
        engines_[i]->remove_member(any_uuid(), now_);
        after(i, Out::Command);
        break;
      }
      case 11: {
        size_t i = pick_engine();
        if (in_.ConsumeBool())
          engines_[i]->probe_member(any_addr(), now_);
        else
          engines_[i]->broadcast(in_.ConsumeBool() ? 3301 : in_.ConsumeIntegral<uint16_t>(), now_);
        after(i, Out::Command);
        break;
      }
      case 12: {
        size_t i = pick_engine();
        size_t len = in_.ConsumeIntegralInRange<size_t>(0, swim::kMaxPayloadSize + 1);
        std::vector<uint8_t> payload(len, 0xAB);
        engines_[i]->set_payload(payload.data(), payload.size(), in_.ConsumeIntegralInRange<int>(0, 5) != 0, now_);
        after(i, Out::Command);
        break;
      }
      case 13: {
        size_t i = pick_engine();
        if (in_.ConsumeIntegralInRange<int>(0, 3) == 0) {
          engines_[i]->quit(now_);
          after(i, Out::Command);
        } else {
          std::vector<swim::MemberEvent> events;
          engines_[i]->take_events(&events);
          if (!engines_[i]->has_events() && engines_[i]->pending_events() != 0) fail("pending events without has_events");
          after(i, Out::Command);
        }
        break;
      }
      case 14:
      case 15: {
        size_t i = pick_engine();
        swim::ConfigPatch p;
        p.has_heartbeat_rate = in_.ConsumeBool();
        p.heartbeat_rate = 0.05 * in_.ConsumeIntegralInRange<int>(0, 40);  // 0 is refused
        p.has_ack_timeout = in_.ConsumeBool();
        p.ack_timeout = 0.05 * in_.ConsumeIntegralInRange<int>(0, 60);
        p.has_gc_mode = in_.ConsumeBool();
        p.gc_mode = in_.ConsumeBool() ? swim::GcMode::On : swim::GcMode::Off;
        p.has_indirect_ping_count = in_.ConsumeBool();
        p.indirect_ping_count = in_.ConsumeIntegralInRange<uint32_t>(0, kMaxIndirect);
        p.has_uri = in_.ConsumeIntegralInRange<int>(0, 3) == 0;
        p.uri = any_addr();
        p.has_uuid = in_.ConsumeIntegralInRange<int>(0, 3) == 0;
        p.uuid = any_uuid();
        if (p.has_uuid) seen_.insert(p.uuid);
        if (engines_[i]->configure(p, now_) == swim::CommandError::Ok && p.has_indirect_ping_count)
          k_[i] = p.indirect_ping_count;
        after(i, Out::Command);
        break;
      }
    }
  }

  // The checks after every operation on engine i.
  void after(size_t i, Out kind) {
    swim::Engine& e = *engines_[i];
    std::vector<swim::Datagram> out;
    e.take_outbox(&out);
    size_t size = e.size();
    size_t limit = kind == Out::Datagram ? kMaxOutPerDatagram : (k_[i] + 2) * size + kMaxOutSlack;
    if (out.size() > limit) {
      std::fprintf(stderr, "engine_fuzzer: %zu datagrams out, limit %zu (members %zu)\n", out.size(), limit, size);
      fail("too many datagrams for one input");
    }
    swim::Packet p;
    for (swim::Datagram& d : out) {
      if (d.bytes.size() > swim::kMaxPacketSize) fail("datagram over kMaxPacketSize");
      if (!swim::decode_packet(d.bytes.data(), d.bytes.size(), &p).ok()) fail("the engine emitted a datagram it cannot decode");
      if (!d.broadcast && (d.to.ip == 0 || d.to.port == 0)) fail("datagram to a zero address or port");
      if (d.broadcast && d.to.port == 0) fail("broadcast to port 0");
      if (pending_[i].size() < 256) pending_[i].push_back(std::move(d));
    }
    std::vector<swim::MemberSnapshot> members;
    e.members(&members);
    if (members.size() != size) fail("size() differs from members()");
    size_t selves = 0;
    for (const swim::MemberSnapshot& m : members) {
      if (seen_.find(m.uuid) == seen_.end()) fail("a member from nowhere");
      if (m.is_self) ++selves;
      if (m.payload.size() > swim::kMaxPayloadSize) fail("payload over kMaxPayloadSize");
    }
    if (selves != 1) fail("not exactly one self");
    if (e.pending_events() > 2 * seen_.size() + 8) fail("more pending events than members ever seen");
  }

  FuzzedDataProvider in_;
  std::vector<std::unique_ptr<swim::Engine>> engines_;
  std::vector<swim::Datagram> pending_[kMaxEngines];
  uint32_t k_[kMaxEngines] = {2, 2, 2};
  std::set<Uuid, UuidLess> seen_;
  std::vector<std::vector<uint8_t>> payloads_;
  swim::Time now_ = 1000 * swim::kSecond;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Program(data, size).run();
  return 0;
}
