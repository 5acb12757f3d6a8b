// Writes the fuzzer's seed corpus: valid datagrams covering every section of the format,
// built with the real encoder from a fixed seed (deterministic output).
// Built and run by `bash scripts/fuzz.sh --make-corpus`; the files are committed.
#include <cstdint>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "core/codec.h"

namespace {

std::mt19937_64 rng(20240602);  // fixed: the corpus is reproducible

swim::Uuid random_uuid() {
  swim::Uuid u;
  for (auto& b : u.bytes) b = static_cast<uint8_t>(rng());
  u.bytes[6] = static_cast<uint8_t>((u.bytes[6] & 0x0f) | 0x40);  // v4, for realism only
  u.bytes[15] |= 1;                                                 // never nil
  return u;
}

swim::Addr random_addr() {
  swim::Addr a;
  a.ip = 0x7f000001u + static_cast<uint32_t>(rng() % 3);
  a.port = static_cast<uint16_t>(3300 + rng() % 1000);
  return a;
}

uint64_t random_u64(int kind) {
  switch (kind % 6) {
    case 0: return 0;
    case 1: return rng() % 128;         // positive fixint
    case 2: return 128 + rng() % 128;   // uint8
    case 3: return 256 + rng() % 65000; // uint16
    case 4: return 70000 + rng() % 4000000000ull;
    default: return rng() | (1ull << 63);  // uint64
  }
}

std::vector<std::vector<uint8_t>> payload_store;

swim::MemberRecord random_member(int i, bool with_payload, size_t payload_size) {
  swim::MemberRecord m;
  m.status = static_cast<swim::Status>(rng() % swim::kStatusCount);
  m.addr = random_addr();
  m.uuid = random_uuid();
  m.incarnation.generation = random_u64(i);
  m.incarnation.version = random_u64(i + 3);
  if (with_payload) {
    payload_store.emplace_back(payload_size);
    for (auto& b : payload_store.back()) b = static_cast<uint8_t>(rng());
    m.has_payload = true;
    m.payload.data = payload_store.back().data();
    m.payload.size = static_cast<uint32_t>(payload_size);
  }
  return m;
}

int written = 0;

void write(const std::string& dir, const std::string& name, const swim::Packet& p, size_t budget) {
  std::vector<uint8_t> buf(budget);
  swim::EncodeResult r = swim::encode_packet(p, buf.data(), budget);
  if (!r.ok) {
    std::fprintf(stderr, "make_corpus: %s does not encode\n", name.c_str());
    std::exit(1);
  }
  std::string path = dir + "/gen-" + name + ".bin";
  FILE* f = std::fopen(path.c_str(), "wb");
  if (!f || std::fwrite(buf.data(), 1, r.size, f) != r.size || std::fclose(f) != 0) {
    std::fprintf(stderr, "make_corpus: cannot write %s\n", path.c_str());
    std::exit(1);
  }
  ++written;
}

swim::Packet base(swim::FdType type, bool fd = true) {
  swim::Packet p;
  p.meta.src = random_addr();
  p.source = random_uuid();
  if (fd) {
    p.has_failure_detection = true;
    p.failure_detection.type = type;
    p.failure_detection.incarnation.generation = random_u64(static_cast<int>(rng() % 6));
    p.failure_detection.incarnation.version = random_u64(static_cast<int>(rng() % 6));
  }
  return p;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: make_corpus DIR\n");
    return 2;
  }
  std::string dir = argv[1];
  payload_store.reserve(4096);  // Bytes views must stay valid

  write(dir, "ping", base(swim::FdType::Ping), swim::kMaxPacketSize);
  write(dir, "ack", base(swim::FdType::Ack), swim::kMaxPacketSize);
  {
    swim::Packet p = base(swim::FdType::Ping, false);
    p.has_quit = true;
    p.quit.generation = 7;
    p.quit.version = 3;
    write(dir, "quit", p, swim::kMaxPacketSize);
  }
  {
    swim::Packet p = base(swim::FdType::Ping);
    p.meta.has_route = true;
    p.meta.route.src = random_addr();
    p.meta.route.dst = random_addr();
    write(dir, "indirect-ping", p, swim::kMaxPacketSize);
    p.failure_detection.type = swim::FdType::Ack;
    write(dir, "indirect-ack", p, swim::kMaxPacketSize);
  }
  // Member sections of growing size, with and without payloads, in every combination.
  for (int n : {1, 2, 5, 12}) {
    for (int variant = 0; variant < 4; ++variant) {
      swim::Packet p = base(variant % 2 ? swim::FdType::Ack : swim::FdType::Ping, variant != 3);
      for (int i = 0; i < n; ++i) {
        bool pl = (i + variant) % 3 == 0;
        swim::MemberRecord m = random_member(i, pl, pl ? 1 + rng() % 40 : 0);
        if (variant != 1) p.anti_entropy.push_back(m);
        if (variant != 0) p.dissemination.push_back(random_member(i + 1, !pl, !pl ? rng() % 16 : 0));
      }
      p.has_anti_entropy = !p.anti_entropy.empty();
      p.has_dissemination = !p.dissemination.empty();
      write(dir, "members-" + std::to_string(n) + "-v" + std::to_string(variant), p, swim::kMaxPacketSize);
    }
  }
  {
    // A full datagram: as many of 26 records (some with payloads) as fit the budget.
    swim::Packet p = base(swim::FdType::Ping);
    for (int i = 0; i < 26; ++i) p.anti_entropy.push_back(random_member(i, i % 4 == 0, 12));
    p.has_anti_entropy = true;
    write(dir, "full-26", p, swim::kMaxPacketSize);
  }
  {
    // The largest payload (1200 bytes) and a record with an empty payload.
    swim::Packet p = base(swim::FdType::Ping);
    p.dissemination.push_back(random_member(1, true, swim::kMaxPayloadSize));
    p.dissemination.push_back(random_member(2, true, 0));
    p.has_dissemination = true;
    write(dir, "max-payload", p, swim::kMaxPacketSize);
  }
  {
    // Extreme integer values everywhere.
    swim::Packet p = base(swim::FdType::Ack);
    p.meta.version = 0xffffffffu;
    p.meta.src.ip = 0xffffffffu;
    p.meta.src.port = 65535;
    p.failure_detection.incarnation.generation = UINT64_MAX;
    p.failure_detection.incarnation.version = UINT64_MAX;
    swim::MemberRecord m = random_member(5, false, 0);
    m.incarnation.generation = UINT64_MAX;
    m.incarnation.version = UINT64_MAX;
    m.status = swim::Status::Left;
    p.anti_entropy.push_back(m);
    p.has_anti_entropy = true;
    p.has_quit = true;
    p.quit = m.incarnation;
    write(dir, "extremes", p, swim::kMaxPacketSize);
  }
  std::printf("make_corpus: wrote %d files to %s\n", written, dir.c_str());
  return 0;
}
