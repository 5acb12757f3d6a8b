// Tarantool-compatible SWIM datagram codec (see docs/protocol.md).
// Sans-IO: operates on caller-owned buffers, never allocates proportionally to a length
// field the packet does not actually contain, never reads past `size`, throws nothing.
#pragma once

#include <vector>

#include "core/types.h"

namespace swim {

struct MemberRecord {
  Status status = Status::Alive;
  Addr addr;
  Uuid uuid;
  Incarnation incarnation;
  bool has_payload = false;
  Bytes payload;  // at most kMaxPayloadSize
};

struct Route {
  Addr src;  // the original sender of an indirect ping / its ack
  Addr dst;  // the final destination
};

struct Meta {
  uint32_t version = kWireVersion;  // non-zero
  Addr src;                         // the sender's own URI
  bool has_route = false;
  Route route;
};

enum class FdType : uint8_t { Ping = 0, Ack = 1 };

struct FailureDetection {
  FdType type = FdType::Ping;
  Incarnation incarnation;  // the sender's
};

struct Packet {
  Meta meta;
  Uuid source;  // the sender's UUID
  bool has_failure_detection = false;
  FailureDetection failure_detection;
  bool has_dissemination = false;
  std::vector<MemberRecord> dissemination;
  bool has_anti_entropy = false;
  std::vector<MemberRecord> anti_entropy;
  bool has_quit = false;
  Incarnation quit;

  void clear();  // reset to an empty packet, keeping vector capacity
};

// Why a datagram was rejected. Stable: names are exposed to JS and counted in stats.
enum class DecodeError : uint8_t {
  Ok = 0,
  Truncated,        // ends in the middle of a value
  BadType,          // a field has the wrong MsgPack type (incl. negative/float integers)
  BadValue,         // right type, impossible value (status 7, fd type 2, version 0, ip > 2^32..)
  UnknownKey,       // a map key the protocol does not define
  DuplicateKey,     // the same key twice in one map
  MissingField,     // a mandatory key is absent
  NilUuid,          // all-zero UUID
  ZeroAddress,      // IP 0
  ZeroPort,         // port 0
  PayloadTooLarge,  // member payload over kMaxPayloadSize
  ArrayTooLong,     // array length larger than the bytes left could possibly hold
  TrailingGarbage,  // bytes after the body map
  Count_
};
constexpr size_t kDecodeErrorCount = static_cast<size_t>(DecodeError::Count_);
// Stable snake_case name of a reason, e.g. "truncated", "nil_uuid".
const char* decode_error_name(DecodeError e);

struct DecodeResult {
  DecodeError error = DecodeError::Ok;
  const char* where = "";  // static text naming the field, e.g. "member.uuid", for messages
  bool ok() const { return error == DecodeError::Ok; }
};

// Decodes one plain-text datagram. Payload views in `out` point into `data`.
// Mandatory: meta version (non-zero), ip, port; every route field; the body's source UUID
// as its first key; failure detection type, generation, version; quit generation, version;
// member uuid, ip, port (as Tarantool, member status defaults to alive and generation and
// version to 0). On error `out` holds a partial packet and must not be used.
DecodeResult decode_packet(const uint8_t* data, size_t size, Packet* out);

struct EncodeResult {
  bool ok = false;                    // false: not even the mandatory part fits the budget
  size_t size = 0;                    // bytes written
  uint32_t dissemination_fitted = 0;  // records of p.dissemination written (a prefix)
  uint32_t anti_entropy_fitted = 0;   // records of p.anti_entropy written (a prefix)
};

// Encodes meta then body (source UUID, failure detection, dissemination, anti-entropy, quit,
// in Tarantool's order and fixed-width integer encodings) into out[0..budget). Member
// records are written in order until the next one would not fit; a member section of which
// no record fits is left out, while a present but empty list is sent as an empty array (as
// Tarantool does). ok is also false for input it cannot encode: a payload over
// kMaxPayloadSize, a status or fd type out of range. Addresses, UUIDs and the meta version
// are written as given (the caller keeps them valid). budget must be <= capacity of out.
EncodeResult encode_packet(const Packet& p, uint8_t* out, size_t budget);

}  // namespace swim
