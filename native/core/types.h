// Plain value types shared by every layer of the core. No Node headers, no I/O.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace swim {

constexpr size_t kUuidSize = 16;
// Largest plain-text datagram; an encrypted one (IV + padding) still fits 1472.
constexpr size_t kMaxPacketSize = 1440;
// Largest member payload, as Tarantool (MAX_PAYLOAD_SIZE).
constexpr size_t kMaxPayloadSize = 1200;
// Meta version we send: Tarantool's version id format (major << 16 | minor << 8 | patch),
// claiming the 2.6 wire protocol we speak. Receivers only require it to be non-zero.
constexpr uint32_t kWireVersion = 0x020600;

// A UUID held in canonical (RFC 4122 text) byte order. The codec converts to and from
// Tarantool's on-wire tt_uuid order; nothing else in the core needs to know about it.
struct Uuid {
  uint8_t bytes[kUuidSize] = {};
  bool is_nil() const {
    for (uint8_t b : bytes)
      if (b != 0) return false;
    return true;
  }
  bool operator==(const Uuid& o) const { return std::memcmp(bytes, o.bytes, kUuidSize) == 0; }
  bool operator!=(const Uuid& o) const { return !(*this == o); }
  bool operator<(const Uuid& o) const { return std::memcmp(bytes, o.bytes, kUuidSize) < 0; }
};

// Hash for open-addressing tables keyed by UUID. UUIDs are mostly random, but tests and
// the simulator use sequential ones: mix both halves fully.
inline uint64_t uuid_hash(const Uuid& u) {
  uint64_t a, b;
  std::memcpy(&a, u.bytes, 8);
  std::memcpy(&b, u.bytes + 8, 8);
  uint64_t h = a * 0x9e3779b97f4a7c15ULL ^ (b + 0x632be59bd9b4e019ULL);
  h ^= h >> 32;
  h *= 0xd6e8feb86659fd93ULL;
  h ^= h >> 32;
  return h;
}

// Parse "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx" (case-insensitive); false on bad text.
bool uuid_parse(const char* text, size_t len, Uuid* out);
// Writes 36 characters plus a terminating NUL into out[37].
void uuid_format(const Uuid& uuid, char out[37]);

// IPv4 address and port, both in host byte order.
struct Addr {
  uint32_t ip = 0;
  uint16_t port = 0;
  bool operator==(const Addr& o) const { return ip == o.ip && port == o.port; }
  bool operator!=(const Addr& o) const { return !(*this == o); }
};

// Whether an address read from the wire may be a peer's: a unicast IPv4 address and a
// non-zero port. Rejects 0.0.0.0/8 ("this network"), 224.0.0.0/4 (multicast) and
// 240.0.0.0/4 (reserved, with the limited broadcast 255.255.255.255): answering or probing
// such an address would reach many hosts or none (docs/protocol.md, "Hostile input").
// Loopback (127/8) and private ranges are valid. A subnet's directed broadcast cannot be
// told from a host address without the netmask, which the core does not know.
inline bool addr_is_peer(Addr a) {
  uint32_t top = a.ip >> 24;
  return a.port != 0 && top != 0 && top < 224;
}

// Parse "a.b.c.d:port" (port 0..65535); false on bad text.
bool addr_parse(const char* text, size_t len, Addr* out);
// Writes at most 21 characters plus NUL ("255.255.255.255:65535").
void addr_format(const Addr& addr, char out[22]);

// Incarnation as Tarantool: generation is set by the user and persists across restarts,
// version is volatile and bumped by the member itself (payload change, refutation).
struct Incarnation {
  uint64_t generation = 0;
  uint64_t version = 0;
  bool operator==(const Incarnation& o) const { return generation == o.generation && version == o.version; }
  bool operator!=(const Incarnation& o) const { return !(*this == o); }
};

// -1, 0, 1 as a is older, equal, newer than b (generation first).
inline int incarnation_cmp(const Incarnation& a, const Incarnation& b) {
  if (a.generation != b.generation) return a.generation < b.generation ? -1 : 1;
  if (a.version != b.version) return a.version < b.version ? -1 : 1;
  return 0;
}

// Ordered: news of a bigger status at the same incarnation wins.
enum class Status : uint8_t { Alive = 0, Suspected = 1, Dead = 2, Left = 3 };
constexpr uint8_t kStatusCount = 4;
const char* status_name(Status s);

// A borrowed byte range. When decoding it points into the datagram; when encoding into
// memory the caller keeps alive for the duration of the call.
struct Bytes {
  const uint8_t* data = nullptr;
  uint32_t size = 0;
};

}  // namespace swim
