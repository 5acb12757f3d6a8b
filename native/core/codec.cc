// SWIM datagram codec. Layout and fixed-width encodings follow Tarantool's swim_proto.h
// (PACKED templates); the decoder is stricter than Tarantool's (see docs/protocol.md).
#include "core/codec.h"

#include "core/msgpack.h"

namespace swim {

namespace {

// Map keys (Tarantool's enums).
enum MetaKey : uint64_t { kMetaVersion = 0, kMetaSrcIp = 1, kMetaSrcPort = 2, kMetaRoute = 3 };
enum RouteKey : uint64_t { kRouteSrcIp = 0, kRouteSrcPort = 1, kRouteDstIp = 2, kRouteDstPort = 3 };
enum BodyKey : uint64_t {
  kBodySrcUuid = 0,
  kBodyAntiEntropy = 1,
  kBodyFailureDetection = 2,
  kBodyDissemination = 3,
  kBodyQuit = 4,
};
enum FdKey : uint64_t { kFdType = 0, kFdGeneration = 1, kFdVersion = 2 };
enum QuitKey : uint64_t { kQuitGeneration = 0, kQuitVersion = 1 };
enum MemberKey : uint64_t {
  kMemberStatus = 0,
  kMemberIp = 1,
  kMemberPort = 2,
  kMemberUuid = 3,
  kMemberGeneration = 4,
  kMemberVersion = 5,
  kMemberPayload = 6,
  kMemberKeyCount = 7,
};

// Smallest valid member record on the wire: a map header plus the three mandatory fields
// in their shortest encodings (uuid key + bin8 16, ip key + fixint, port key + fixint).
// Array lengths are checked against it before a single record is decoded.
constexpr size_t kMinMemberWireSize = 1 + (1 + 2 + kUuidSize) + 2 + 2;

// Encoded sizes of Tarantool's fixed templates.
constexpr size_t kMetaSize = 1 + (1 + 5) + (1 + 5) + (1 + 3);  // map, version, ip, port
constexpr size_t kRouteSize = 1 + 1 + 2 * ((1 + 5) + (1 + 3));  // key, map, 2 addrs
constexpr size_t kSrcUuidSize = 1 + 2 + kUuidSize;
constexpr size_t kIncarnationSize = 2 * (1 + 9);
constexpr size_t kFdSize = 1 + 1 + 2 + kIncarnationSize;  // key, map, type, incarnation
constexpr size_t kQuitSize = 1 + 1 + kIncarnationSize;
constexpr size_t kMemberSectionHeaderSize = 1 + 3;  // key + array16
constexpr size_t kMemberFixedSize = 1 + 2 + (1 + 5) + (1 + 3) + (1 + 2 + kUuidSize) + kIncarnationSize;
constexpr size_t kPayloadHeaderSize = 1 + 3;  // key + bin16 header

// tt_uuid on little-endian hosts: the first three fields byte-swapped, the rest as is.
// The permutation is its own inverse.
void uuid_swap(const uint8_t* in, uint8_t* out) {
  out[0] = in[3];
  out[1] = in[2];
  out[2] = in[1];
  out[3] = in[0];
  out[4] = in[5];
  out[5] = in[4];
  out[6] = in[7];
  out[7] = in[6];
  for (size_t i = 8; i < kUuidSize; ++i) out[i] = in[i];
}

DecodeResult fail(DecodeError e, const char* where) {
  DecodeResult r;
  r.error = e;
  r.where = where;
  return r;
}

#define SWIM_TRY(expr, where)                         \
  do {                                                \
    DecodeError swim_err_ = (expr);                   \
    if (swim_err_ != DecodeError::Ok) return fail(swim_err_, where); \
  } while (0)

DecodeResult read_uuid(mp::Reader& r, Uuid* out, const char* where) {
  const uint8_t* data;
  uint32_t size;
  SWIM_TRY(r.read_bin(&data, &size), where);
  if (size != kUuidSize) return fail(DecodeError::BadValue, where);
  uuid_swap(data, out->bytes);
  if (out->is_nil()) return fail(DecodeError::NilUuid, where);
  return DecodeResult();
}

DecodeResult read_ip(mp::Reader& r, uint32_t* out, const char* where) {
  uint64_t v;
  SWIM_TRY(r.read_uint(&v), where);
  if (v > UINT32_MAX) return fail(DecodeError::BadValue, where);
  if (v == 0) return fail(DecodeError::ZeroAddress, where);
  *out = static_cast<uint32_t>(v);
  return DecodeResult();
}

DecodeResult read_port(mp::Reader& r, uint16_t* out, const char* where) {
  uint64_t v;
  SWIM_TRY(r.read_uint(&v), where);
  if (v > UINT16_MAX) return fail(DecodeError::BadValue, where);
  if (v == 0) return fail(DecodeError::ZeroPort, where);
  *out = static_cast<uint16_t>(v);
  return DecodeResult();
}

#define SWIM_CHECK(expr)              \
  do {                                \
    DecodeResult swim_res_ = (expr);  \
    if (!swim_res_.ok()) return swim_res_; \
  } while (0)

// Reads a map key as an unsigned integer below `limit`, rejecting repeats via `*seen`.
DecodeResult read_key(mp::Reader& r, uint64_t limit, uint32_t* seen, uint64_t* key,
                      const char* key_where, const char* const* field_where) {
  SWIM_TRY(r.read_uint(key), key_where);
  if (*key >= limit) return fail(DecodeError::UnknownKey, key_where);
  uint32_t bit = 1u << *key;
  if (*seen & bit) return fail(DecodeError::DuplicateKey, field_where[*key]);
  *seen |= bit;
  return DecodeResult();
}

const char* const kRouteWhere[] = {"meta.route.src_ip", "meta.route.src_port", "meta.route.dst_ip",
                                   "meta.route.dst_port"};

DecodeResult decode_route(mp::Reader& r, Route* route) {
  uint32_t count;
  SWIM_TRY(r.read_map(&count), "meta.route");
  uint32_t seen = 0;
  for (uint32_t i = 0; i < count; ++i) {
    uint64_t key;
    SWIM_CHECK(read_key(r, 4, &seen, &key, "meta.route.key", kRouteWhere));
    switch (key) {
      case kRouteSrcIp: SWIM_CHECK(read_ip(r, &route->src.ip, kRouteWhere[key])); break;
      case kRouteSrcPort: SWIM_CHECK(read_port(r, &route->src.port, kRouteWhere[key])); break;
      case kRouteDstIp: SWIM_CHECK(read_ip(r, &route->dst.ip, kRouteWhere[key])); break;
      default: SWIM_CHECK(read_port(r, &route->dst.port, kRouteWhere[key])); break;
    }
  }
  for (uint64_t k = 0; k < 4; ++k)
    if (!(seen & (1u << k))) return fail(DecodeError::MissingField, kRouteWhere[k]);
  return DecodeResult();
}

const char* const kMetaWhere[] = {"meta.version", "meta.src_ip", "meta.src_port", "meta.route"};

DecodeResult decode_meta(mp::Reader& r, Meta* meta) {
  uint32_t count;
  SWIM_TRY(r.read_map(&count), "meta");
  uint32_t seen = 0;
  for (uint32_t i = 0; i < count; ++i) {
    uint64_t key;
    SWIM_CHECK(read_key(r, 4, &seen, &key, "meta.key", kMetaWhere));
    switch (key) {
      case kMetaVersion: {
        uint64_t v;
        SWIM_TRY(r.read_uint(&v), kMetaWhere[key]);
        if (v == 0 || v > UINT32_MAX) return fail(DecodeError::BadValue, kMetaWhere[key]);
        meta->version = static_cast<uint32_t>(v);
        break;
      }
      case kMetaSrcIp: SWIM_CHECK(read_ip(r, &meta->src.ip, kMetaWhere[key])); break;
      case kMetaSrcPort: SWIM_CHECK(read_port(r, &meta->src.port, kMetaWhere[key])); break;
      default:
        SWIM_CHECK(decode_route(r, &meta->route));
        meta->has_route = true;
        break;
    }
  }
  for (uint64_t k = 0; k < 3; ++k)
    if (!(seen & (1u << k))) return fail(DecodeError::MissingField, kMetaWhere[k]);
  return DecodeResult();
}

// Per-section field names so a message says which list a bad record came from.
// Index: 0 the record map, 1 a key, 2 + MemberKey the field.
const char* const kDisseminationWhere[] = {
    "dissemination.member",         "dissemination.member.key",     "dissemination.member.status",
    "dissemination.member.ip",      "dissemination.member.port",    "dissemination.member.uuid",
    "dissemination.member.generation", "dissemination.member.version", "dissemination.member.payload"};
const char* const kAntiEntropyWhere[] = {
    "anti_entropy.member",         "anti_entropy.member.key",     "anti_entropy.member.status",
    "anti_entropy.member.ip",      "anti_entropy.member.port",    "anti_entropy.member.uuid",
    "anti_entropy.member.generation", "anti_entropy.member.version", "anti_entropy.member.payload"};

// As Tarantool's swim_member_def_decode: uuid, ip and port are mandatory; status defaults
// to alive and generation/version to 0 when absent. Unlike Tarantool, unknown and
// repeated keys are rejected.
DecodeResult decode_member(mp::Reader& r, const char* const* where, MemberRecord* m) {
  const char* const* field = where + 2;
  uint32_t count;
  SWIM_TRY(r.read_map(&count), where[0]);
  uint32_t seen = 0;
  for (uint32_t i = 0; i < count; ++i) {
    uint64_t key;
    SWIM_CHECK(read_key(r, kMemberKeyCount, &seen, &key, where[1], field));
    switch (key) {
      case kMemberStatus: {
        uint64_t v;
        SWIM_TRY(r.read_uint(&v), field[key]);
        if (v >= kStatusCount) return fail(DecodeError::BadValue, field[key]);
        m->status = static_cast<Status>(v);
        break;
      }
      case kMemberIp: SWIM_CHECK(read_ip(r, &m->addr.ip, field[key])); break;
      case kMemberPort: SWIM_CHECK(read_port(r, &m->addr.port, field[key])); break;
      case kMemberUuid: SWIM_CHECK(read_uuid(r, &m->uuid, field[key])); break;
      case kMemberGeneration: SWIM_TRY(r.read_uint(&m->incarnation.generation), field[key]); break;
      case kMemberVersion: SWIM_TRY(r.read_uint(&m->incarnation.version), field[key]); break;
      default: {
        const uint8_t* data;
        uint32_t size;
        SWIM_TRY(r.read_bin(&data, &size), field[key]);
        if (size > kMaxPayloadSize) return fail(DecodeError::PayloadTooLarge, field[key]);
        m->has_payload = true;
        m->payload.data = data;
        m->payload.size = size;
        break;
      }
    }
  }
  static const MemberKey kMandatory[] = {kMemberUuid, kMemberIp, kMemberPort};
  for (MemberKey k : kMandatory)
    if (!(seen & (1u << k))) return fail(DecodeError::MissingField, field[k]);
  return DecodeResult();
}

DecodeResult decode_members(mp::Reader& r, const char* section, const char* const* where,
                            std::vector<MemberRecord>* out) {
  uint32_t count;
  SWIM_TRY(r.read_array(&count), section);
  // Bound the count by the bytes actually present before decoding (or storing) anything.
  if (count > r.remaining() / kMinMemberWireSize) return fail(DecodeError::ArrayTooLong, section);
  for (uint32_t i = 0; i < count; ++i) {
    out->emplace_back();
    SWIM_CHECK(decode_member(r, where, &out->back()));
  }
  return DecodeResult();
}

// Reads a {generation_key: uint, version_key: uint} section (failure detection, quit).
const char* const kFdWhere[] = {"failure_detection.type", "failure_detection.generation",
                                "failure_detection.version"};
const char* const kQuitWhere[] = {"quit.generation", "quit.version"};

DecodeResult decode_failure_detection(mp::Reader& r, FailureDetection* fd) {
  uint32_t count;
  SWIM_TRY(r.read_map(&count), "failure_detection");
  uint32_t seen = 0;
  for (uint32_t i = 0; i < count; ++i) {
    uint64_t key;
    SWIM_CHECK(read_key(r, 3, &seen, &key, "failure_detection.key", kFdWhere));
    switch (key) {
      case kFdType: {
        uint64_t v;
        SWIM_TRY(r.read_uint(&v), kFdWhere[key]);
        if (v > 1) return fail(DecodeError::BadValue, kFdWhere[key]);
        fd->type = static_cast<FdType>(v);
        break;
      }
      case kFdGeneration: SWIM_TRY(r.read_uint(&fd->incarnation.generation), kFdWhere[key]); break;
      default: SWIM_TRY(r.read_uint(&fd->incarnation.version), kFdWhere[key]); break;
    }
  }
  for (uint64_t k = 0; k < 3; ++k)
    if (!(seen & (1u << k))) return fail(DecodeError::MissingField, kFdWhere[k]);
  return DecodeResult();
}

DecodeResult decode_quit(mp::Reader& r, Incarnation* inc) {
  uint32_t count;
  SWIM_TRY(r.read_map(&count), "quit");
  uint32_t seen = 0;
  for (uint32_t i = 0; i < count; ++i) {
    uint64_t key;
    SWIM_CHECK(read_key(r, 2, &seen, &key, "quit.key", kQuitWhere));
    if (key == kQuitGeneration) SWIM_TRY(r.read_uint(&inc->generation), kQuitWhere[key]);
    else SWIM_TRY(r.read_uint(&inc->version), kQuitWhere[key]);
  }
  for (uint64_t k = 0; k < 2; ++k)
    if (!(seen & (1u << k))) return fail(DecodeError::MissingField, kQuitWhere[k]);
  return DecodeResult();
}

const char* const kBodyWhere[] = {"body.source", "anti_entropy", "failure_detection",
                                  "dissemination", "quit"};

DecodeResult decode_body(mp::Reader& r, Packet* p) {
  uint32_t count;
  SWIM_TRY(r.read_map(&count), "body");
  // Tarantool requires the source UUID as the first key of a non-empty body.
  if (count == 0) return fail(DecodeError::MissingField, "body.source");
  uint32_t seen = 0;
  uint64_t key;
  SWIM_CHECK(read_key(r, 5, &seen, &key, "body.key", kBodyWhere));
  if (key != kBodySrcUuid) return fail(DecodeError::MissingField, "body.source");
  SWIM_CHECK(read_uuid(r, &p->source, "body.source"));
  for (uint32_t i = 1; i < count; ++i) {
    SWIM_CHECK(read_key(r, 5, &seen, &key, "body.key", kBodyWhere));
    switch (key) {
      case kBodyAntiEntropy:
        SWIM_CHECK(decode_members(r, "anti_entropy", kAntiEntropyWhere, &p->anti_entropy));
        p->has_anti_entropy = true;
        break;
      case kBodyFailureDetection:
        SWIM_CHECK(decode_failure_detection(r, &p->failure_detection));
        p->has_failure_detection = true;
        break;
      case kBodyDissemination:
        SWIM_CHECK(decode_members(r, "dissemination", kDisseminationWhere, &p->dissemination));
        p->has_dissemination = true;
        break;
      default:  // kBodyQuit; kBodySrcUuid again was caught as a duplicate
        SWIM_CHECK(decode_quit(r, &p->quit));
        p->has_quit = true;
        break;
    }
  }
  return DecodeResult();
}

size_t member_wire_size(const MemberRecord& m) {
  return kMemberFixedSize + (m.has_payload ? kPayloadHeaderSize + m.payload.size : 0);
}

void write_addr(mp::Writer& w, uint8_t ip_key, uint8_t port_key, const Addr& a) {
  w.fixuint(ip_key);
  w.uint32(a.ip);
  w.fixuint(port_key);
  w.uint16(a.port);
}

void write_incarnation(mp::Writer& w, uint8_t gen_key, uint8_t ver_key, const Incarnation& inc) {
  w.fixuint(gen_key);
  w.uint64(inc.generation);
  w.fixuint(ver_key);
  w.uint64(inc.version);
}

void write_uuid(mp::Writer& w, const Uuid& u) {
  uint8_t wire[kUuidSize];
  uuid_swap(u.bytes, wire);
  w.bin8(wire, kUuidSize);
}

void write_member(mp::Writer& w, const MemberRecord& m) {
  w.fixmap(m.has_payload ? 7 : 6);
  w.fixuint(kMemberStatus);
  w.fixuint(static_cast<uint8_t>(m.status));
  write_addr(w, kMemberIp, kMemberPort, m.addr);
  w.fixuint(kMemberUuid);
  write_uuid(w, m.uuid);
  write_incarnation(w, kMemberGeneration, kMemberVersion, m.incarnation);
  if (m.has_payload) {
    w.fixuint(kMemberPayload);
    w.bin16(m.payload.data, static_cast<uint16_t>(m.payload.size));
  }
}

// Writes `key: [records...]` with as many leading records as fit in `room` bytes.
// Returns how many were written; writes nothing when the list is non-empty and none fits.
// An empty list is sent as an empty array, as Tarantool does.
uint32_t write_members(mp::Writer& w, uint8_t key, const std::vector<MemberRecord>& list,
                       size_t room, bool* written) {
  *written = false;
  if (room < kMemberSectionHeaderSize) return 0;
  size_t used = kMemberSectionHeaderSize;
  uint32_t n = 0;
  while (n < list.size() && n < UINT16_MAX) {
    size_t s = member_wire_size(list[n]);
    if (s > room - used) break;
    used += s;
    ++n;
  }
  if (n == 0 && !list.empty()) return 0;
  w.fixuint(key);
  w.array16(static_cast<uint16_t>(n));
  for (uint32_t i = 0; i < n; ++i) write_member(w, list[i]);
  *written = true;
  return n;
}

bool payloads_valid(const std::vector<MemberRecord>& list) {
  for (const MemberRecord& m : list) {
    if (static_cast<uint8_t>(m.status) >= kStatusCount) return false;
    if (!m.has_payload) continue;
    if (m.payload.size > kMaxPayloadSize) return false;
    if (m.payload.size != 0 && m.payload.data == nullptr) return false;
  }
  return true;
}

}  // namespace

void Packet::clear() {
  meta = Meta();
  source = Uuid();
  has_failure_detection = false;
  failure_detection = FailureDetection();
  has_dissemination = false;
  dissemination.clear();
  has_anti_entropy = false;
  anti_entropy.clear();
  has_quit = false;
  quit = Incarnation();
}

const char* decode_error_name(DecodeError e) {
  switch (e) {
    case DecodeError::Ok: return "ok";
    case DecodeError::Truncated: return "truncated";
    case DecodeError::BadType: return "bad_type";
    case DecodeError::BadValue: return "bad_value";
    case DecodeError::UnknownKey: return "unknown_key";
    case DecodeError::DuplicateKey: return "duplicate_key";
    case DecodeError::MissingField: return "missing_field";
    case DecodeError::NilUuid: return "nil_uuid";
    case DecodeError::ZeroAddress: return "zero_address";
    case DecodeError::ZeroPort: return "zero_port";
    case DecodeError::PayloadTooLarge: return "payload_too_large";
    case DecodeError::ArrayTooLong: return "array_too_long";
    case DecodeError::TrailingGarbage: return "trailing_garbage";
    case DecodeError::Count_: break;
  }
  return "unknown";
}

DecodeResult decode_packet(const uint8_t* data, size_t size, Packet* out) {
  out->clear();
  if (data == nullptr) size = 0;
  mp::Reader r(data, size);
  SWIM_CHECK(decode_meta(r, &out->meta));
  SWIM_CHECK(decode_body(r, out));
  if (!r.at_end()) return fail(DecodeError::TrailingGarbage, "body");
  return DecodeResult();
}

EncodeResult encode_packet(const Packet& p, uint8_t* out, size_t budget) {
  EncodeResult res;
  if (out == nullptr) return res;
  if (!payloads_valid(p.dissemination) || !payloads_valid(p.anti_entropy)) return res;
  if (static_cast<uint8_t>(p.failure_detection.type) > 1) return res;
  size_t tail = p.has_quit ? kQuitSize : 0;
  size_t mandatory = kMetaSize + (p.meta.has_route ? kRouteSize : 0) + 1 + kSrcUuidSize +
                     (p.has_failure_detection ? kFdSize : 0) + tail;
  if (mandatory > budget) return res;

  mp::Writer w(out, budget);
  w.fixmap(p.meta.has_route ? 4 : 3);
  w.fixuint(kMetaVersion);
  w.uint32(p.meta.version);
  write_addr(w, kMetaSrcIp, kMetaSrcPort, p.meta.src);
  if (p.meta.has_route) {
    w.fixuint(kMetaRoute);
    w.fixmap(4);
    write_addr(w, kRouteSrcIp, kRouteSrcPort, p.meta.route.src);
    write_addr(w, kRouteDstIp, kRouteDstPort, p.meta.route.dst);
  }

  uint8_t* body_header = w.cursor();
  w.fixmap(0);  // patched below once the number of sections is known
  uint8_t sections = 1;
  w.fixuint(kBodySrcUuid);
  write_uuid(w, p.source);
  if (p.has_failure_detection) {
    w.fixuint(kBodyFailureDetection);
    w.fixmap(3);
    w.fixuint(kFdType);
    w.fixuint(static_cast<uint8_t>(p.failure_detection.type));
    write_incarnation(w, kFdGeneration, kFdVersion, p.failure_detection.incarnation);
    ++sections;
  }
  bool written = false;
  if (p.has_dissemination) {
    res.dissemination_fitted =
        write_members(w, kBodyDissemination, p.dissemination, w.remaining() - tail, &written);
    sections += written;
  }
  if (p.has_anti_entropy) {
    res.anti_entropy_fitted =
        write_members(w, kBodyAntiEntropy, p.anti_entropy, w.remaining() - tail, &written);
    sections += written;
  }
  if (p.has_quit) {
    w.fixuint(kBodyQuit);
    w.fixmap(2);
    write_incarnation(w, kQuitGeneration, kQuitVersion, p.quit);
    ++sections;
  }
  if (!w.ok()) return EncodeResult();  // size bookkeeping bug; never hand out a short packet
  *body_header = static_cast<uint8_t>(0x80 | sections);
  res.ok = true;
  res.size = w.size();
  return res;
}

}  // namespace swim
