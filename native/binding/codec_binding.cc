// encodePacket / decodePacket for JavaScript.
//
// Fast paths (what src/codec.ts calls first): building JS objects through N-API costs a
// call per property, so the objects are built in TypeScript instead and only flat data
// crosses the boundary, in scratch arrays the TS layer owns (layouts below, mirrored in
// src/codec.ts and checked against `codecLayout` when it loads):
//   decodeScratch(buf, words) decodes with the core's strict decoder, writes numbers into
//     `words` and returns every UUID and URI as one latin1 string the TS layer slices;
//   encodeScratch(words, payloads, budget, table, count, text) parses the URIs and UUIDs
//     the TS walk concatenated into `text` with the core's parsers, then encodes what it
//     flattened into `words` (the walk checks everything else as the checked path does);
//     null when a text would be refused, so the TS layer takes the checked path.
// Checked path: encodePacket(packet, maxSize) walks the JS object here, validating every
// field; a bad shape throws an Error carrying a stable `code` with a message naming the
// field (the TS layer rewraps it as SwimError). The TS fast path falls back to it for any
// input it does not accept, so every encode error message comes from this one place.
// Decode failures are returned, not thrown, as { error: <reason name>, where: <field> } so
// the TS layer can attach the reason.
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "binding/addon.h"
#include "core/codec.h"

namespace swim_binding {

namespace {

// The largest datagram the encoder accepts as a budget: IPv4's UDP payload limit.
constexpr size_t kMaxBudget = 65507;
// The smallest member record the encoder emits; bounds how many can fit in a budget.
constexpr size_t kMinEncodedMember = 52;
constexpr double kMaxSafeInteger = 9007199254740991.0;

void ThrowCode(Napi::Env env, const char* code, const std::string& message) {
  Napi::Error err = Napi::Error::New(env, message);
  err.Value().Set("code", Napi::String::New(env, code));
  err.ThrowAsJavaScriptException();
}

void ThrowInvalid(Napi::Env env, const std::string& message) {
  ThrowCode(env, "ERR_SWIM_INVALID_ARG", message);
}

// Reads obj[key]; false when a getter threw (the exception stays pending).
bool GetProp(Napi::Env env, Napi::Object obj, const char* key, Napi::Value* out) {
  Napi::Value v = obj.Get(key);
  if (env.IsExceptionPending()) return false;
  *out = v;
  return true;
}

bool ToObject(Napi::Env env, Napi::Value v, const std::string& path, Napi::Object* out) {
  if (!v.IsObject() || v.IsArray()) {
    ThrowInvalid(env, path + " must be an object");
    return false;
  }
  *out = v.As<Napi::Object>();
  return true;
}

bool ToU64(Napi::Env env, Napi::Value v, const std::string& path, uint64_t* out) {
  if (v.IsBigInt()) {
    bool lossless = false;
    uint64_t x = v.As<Napi::BigInt>().Uint64Value(&lossless);
    if (!lossless) {
      ThrowInvalid(env, path + " must be a bigint in 0..2^64-1");
      return false;
    }
    *out = x;
    return true;
  }
  if (v.IsNumber()) {
    double d = v.As<Napi::Number>().DoubleValue();
    // NaN fails every comparison, so it is rejected here as well.
    if (d >= 0 && d <= kMaxSafeInteger && d == static_cast<double>(static_cast<uint64_t>(d))) {
      *out = static_cast<uint64_t>(d);
      return true;
    }
  }
  ThrowInvalid(env, path + " must be a non-negative integer (bigint, or a safe integer number)");
  return false;
}

bool ToIncarnation(Napi::Env env, Napi::Value v, const std::string& path, swim::Incarnation* out) {
  Napi::Object o;
  if (!ToObject(env, v, path, &o)) return false;
  Napi::Value g, ver;
  if (!GetProp(env, o, "generation", &g) || !ToU64(env, g, path + ".generation", &out->generation))
    return false;
  if (!GetProp(env, o, "version", &ver) || !ToU64(env, ver, path + ".version", &out->version))
    return false;
  return true;
}

bool ToUuid(Napi::Env env, Napi::Value v, const std::string& path, swim::Uuid* out) {
  if (v.IsString()) {
    std::string s = v.As<Napi::String>().Utf8Value();
    if (swim::uuid_parse(s.data(), s.size(), out)) {
      if (!out->is_nil()) return true;
      ThrowInvalid(env, path + " must not be the nil UUID");
      return false;
    }
  }
  ThrowInvalid(env, path + " must be a UUID string (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)");
  return false;
}

bool ToAddr(Napi::Env env, Napi::Value v, const std::string& path, swim::Addr* out) {
  if (v.IsString()) {
    std::string s = v.As<Napi::String>().Utf8Value();
    if (swim::addr_parse(s.data(), s.size(), out)) {
      if (out->ip != 0 && out->port != 0) return true;
      ThrowInvalid(env, path + " must have a non-zero IP and port");
      return false;
    }
  }
  ThrowInvalid(env, path + " must be an 'a.b.c.d:port' string");
  return false;
}

// Member payload bytes are copied: a later getter could detach or shrink the source.
struct MemberInput {
  swim::MemberRecord record;
  std::vector<uint8_t> payload;
};

bool ToMember(Napi::Env env, Napi::Value v, const std::string& path, MemberInput* out) {
  Napi::Object o;
  if (!ToObject(env, v, path, &o)) return false;
  Napi::Value status, uri, uuid, inc, payload;
  if (!GetProp(env, o, "status", &status)) return false;
  bool status_ok = false;
  if (status.IsString()) {
    std::string s = status.As<Napi::String>().Utf8Value();
    for (uint8_t i = 0; i < swim::kStatusCount; ++i) {
      if (s == swim::status_name(static_cast<swim::Status>(i))) {
        out->record.status = static_cast<swim::Status>(i);
        status_ok = true;
      }
    }
  }
  if (!status_ok) {
    ThrowInvalid(env, path + ".status must be 'alive', 'suspected', 'dead' or 'left'");
    return false;
  }
  if (!GetProp(env, o, "uri", &uri) || !ToAddr(env, uri, path + ".uri", &out->record.addr)) return false;
  if (!GetProp(env, o, "uuid", &uuid) || !ToUuid(env, uuid, path + ".uuid", &out->record.uuid)) return false;
  if (!GetProp(env, o, "incarnation", &inc) ||
      !ToIncarnation(env, inc, path + ".incarnation", &out->record.incarnation))
    return false;
  if (!GetProp(env, o, "payload", &payload)) return false;
  if (!payload.IsUndefined()) {
    if (!payload.IsTypedArray() || payload.As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array) {
      ThrowInvalid(env, path + ".payload must be a Uint8Array or Buffer");
      return false;
    }
    Napi::Uint8Array bytes = payload.As<Napi::Uint8Array>();
    size_t n = bytes.ByteLength();
    if (n > swim::kMaxPayloadSize) {
      ThrowCode(env, "ERR_SWIM_PAYLOAD_TOO_LARGE",
                path + ".payload is " + std::to_string(n) + " bytes; at most " +
                    std::to_string(swim::kMaxPayloadSize) + " are allowed");
      return false;
    }
    const uint8_t* data = bytes.Data();
    if (n != 0 && data != nullptr) out->payload.assign(data, data + n);
    else out->payload.assign(n, 0);
    out->record.has_payload = true;
  }
  return true;
}

bool ToMembers(Napi::Env env, Napi::Object packet, const char* key, size_t budget, bool* present,
               std::vector<MemberInput>* out) {
  Napi::Value v;
  if (!GetProp(env, packet, key, &v)) return false;
  *present = false;
  if (v.IsUndefined()) return true;
  std::string path = std::string("packet.") + key;
  if (!v.IsArray()) {
    ThrowInvalid(env, path + " must be an array of member records");
    return false;
  }
  Napi::Array arr = v.As<Napi::Array>();
  uint32_t length = arr.Length();
  // Refuse before touching the elements: a huge array could never fit anyway.
  size_t capacity = budget / kMinEncodedMember;
  if (length > capacity) {
    ThrowCode(env, "ERR_SWIM_ENCODE",
              path + " has " + std::to_string(length) + " records; at most " +
                  std::to_string(capacity) + " fit in " + std::to_string(budget) + " bytes");
    return false;
  }
  out->resize(length);
  for (uint32_t i = 0; i < length; ++i) {
    Napi::Value item = arr.Get(i);
    if (env.IsExceptionPending()) return false;
    if (!ToMember(env, item, path + "[" + std::to_string(i) + "]", &(*out)[i])) return false;
  }
  *present = true;
  return true;
}

bool ToMeta(Napi::Env env, Napi::Value v, swim::Meta* meta) {
  Napi::Object o;
  if (!ToObject(env, v, "packet.meta", &o)) return false;
  Napi::Value version, uri, route;
  if (!GetProp(env, o, "version", &version)) return false;
  double d = version.IsNumber() ? version.As<Napi::Number>().DoubleValue() : 0;
  if (!(d >= 1 && d <= 4294967295.0 && d == static_cast<double>(static_cast<uint32_t>(d)))) {
    ThrowInvalid(env, "packet.meta.version must be an integer in 1..2^32-1");
    return false;
  }
  meta->version = static_cast<uint32_t>(d);
  if (!GetProp(env, o, "uri", &uri) || !ToAddr(env, uri, "packet.meta.uri", &meta->src)) return false;
  if (!GetProp(env, o, "route", &route)) return false;
  if (!route.IsUndefined()) {
    Napi::Object r;
    if (!ToObject(env, route, "packet.meta.route", &r)) return false;
    Napi::Value src, dst;
    if (!GetProp(env, r, "src", &src) || !ToAddr(env, src, "packet.meta.route.src", &meta->route.src))
      return false;
    if (!GetProp(env, r, "dst", &dst) || !ToAddr(env, dst, "packet.meta.route.dst", &meta->route.dst))
      return false;
    meta->has_route = true;
  }
  return true;
}

// encodePacket(packet, maxSize?) -> Buffer
Napi::Value EncodePacket(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  size_t budget = swim::kMaxPacketSize;
  if (info.Length() > 1 && !info[1].IsUndefined()) {
    double d = info[1].IsNumber() ? info[1].As<Napi::Number>().DoubleValue() : -1;
    if (!(d >= 1 && d <= static_cast<double>(kMaxBudget) && d == static_cast<double>(static_cast<size_t>(d)))) {
      ThrowInvalid(env, "maxSize must be an integer in 1.." + std::to_string(kMaxBudget));
      return env.Undefined();
    }
    budget = static_cast<size_t>(d);
  }
  Napi::Object obj;
  if (!ToObject(env, info.Length() > 0 ? info[0] : env.Undefined(), "packet", &obj)) return env.Undefined();

  swim::Packet p;
  Napi::Value meta, source, fd, quit;
  if (!GetProp(env, obj, "meta", &meta) || !ToMeta(env, meta, &p.meta)) return env.Undefined();
  if (!GetProp(env, obj, "source", &source) || !ToUuid(env, source, "packet.source", &p.source))
    return env.Undefined();
  if (!GetProp(env, obj, "failureDetection", &fd)) return env.Undefined();
  if (!fd.IsUndefined()) {
    Napi::Object f;
    if (!ToObject(env, fd, "packet.failureDetection", &f)) return env.Undefined();
    Napi::Value type, inc;
    if (!GetProp(env, f, "type", &type)) return env.Undefined();
    std::string t = type.IsString() ? type.As<Napi::String>().Utf8Value() : std::string();
    if (t == "ping") p.failure_detection.type = swim::FdType::Ping;
    else if (t == "ack") p.failure_detection.type = swim::FdType::Ack;
    else {
      ThrowInvalid(env, "packet.failureDetection.type must be 'ping' or 'ack'");
      return env.Undefined();
    }
    if (!GetProp(env, f, "incarnation", &inc) ||
        !ToIncarnation(env, inc, "packet.failureDetection.incarnation", &p.failure_detection.incarnation))
      return env.Undefined();
    p.has_failure_detection = true;
  }
  std::vector<MemberInput> diss, ae;
  if (!ToMembers(env, obj, "dissemination", budget, &p.has_dissemination, &diss)) return env.Undefined();
  if (!ToMembers(env, obj, "antiEntropy", budget, &p.has_anti_entropy, &ae)) return env.Undefined();
  if (!GetProp(env, obj, "quit", &quit)) return env.Undefined();
  if (!quit.IsUndefined()) {
    if (!ToIncarnation(env, quit, "packet.quit", &p.quit)) return env.Undefined();
    p.has_quit = true;
  }

  // Payload views are taken only now: the inputs no longer move.
  auto attach = [](std::vector<MemberInput>& in, std::vector<swim::MemberRecord>* out) {
    out->reserve(in.size());
    for (MemberInput& m : in) {
      m.record.payload.data = m.payload.data();
      m.record.payload.size = static_cast<uint32_t>(m.payload.size());
      out->push_back(m.record);
    }
  };
  attach(diss, &p.dissemination);
  attach(ae, &p.anti_entropy);

  std::vector<uint8_t> buf(budget);
  swim::EncodeResult res = swim::encode_packet(p, buf.data(), budget);
  if (!res.ok || res.dissemination_fitted != p.dissemination.size() ||
      res.anti_entropy_fitted != p.anti_entropy.size()) {
    ThrowCode(env, "ERR_SWIM_ENCODE",
              "packet does not fit in " + std::to_string(budget) + " bytes");
    return env.Undefined();
  }
  return Napi::Buffer<uint8_t>::Copy(env, buf.data(), res.size);
}

// ---------------------------------------------------------------------------------------
// Scratch layouts shared with src/codec.ts. Words are uint32; a u64 field occupies two
// words at an even index (the TS side reads it through a BigUint64Array on the same
// buffer); host byte order on both sides.

// Decode output. Text order: meta uri, route src, route dst, source uuid, then per member
// uuid and uri (UUIDs are always 36 characters, URI lengths are in the words).
enum DecodeWord : uint32_t {
  kDFlags = 0,
  kDVersion = 1,
  kDDissCount = 2,
  kDAeCount = 3,
  kDUriLen = 4,
  kDRouteSrcLen = 5,
  kDRouteDstLen = 6,
  kDFdGeneration = 8,
  kDFdVersion = 10,
  kDQuitGeneration = 12,
  kDQuitVersion = 14,
  kDHeader = 16,
  // per member, from kDHeader + i * kDMember
  kDMStatus = 0,
  kDMUriLen = 1,
  kDMPayloadLen = 2,  // kNoPayload when absent
  kDMGeneration = 4,
  kDMVersion = 6,
  kDMPayloadOffset = 8,      // into the decoded view: low 32 bits,
  kDMPayloadOffsetHigh = 9,  // high bits (views may outgrow 4 GiB on newer Node)
  kDMember = 10,
};

// Encode input.
enum EncodeWord : uint32_t {
  kEFlags = 0,
  kEVersion = 1,
  kEIp = 2,
  kEPort = 3,
  kERouteSrcIp = 4,
  kERouteSrcPort = 5,
  kERouteDstIp = 6,
  kERouteDstPort = 7,
  kEDissCount = 8,
  kEAeCount = 9,
  kEFdGeneration = 12,
  kEFdVersion = 14,
  kEQuitGeneration = 16,
  kEQuitVersion = 18,
  kESource = 20,  // 16 bytes, canonical order
  kEHeader = 24,
  // per member, from kEHeader + i * kEMember
  kEMStatus = 0,
  kEMIp = 1,
  kEMPort = 2,
  kEMPayloadLen = 3,     // kNoPayload when absent
  kEMPayloadOffset = 4,  // into the payloads array
  kEMGeneration = 6,
  kEMVersion = 8,
  kEMUuid = 10,  // 16 bytes, canonical order
  kEMember = 14,
};

enum Flag : uint32_t {
  kFRoute = 1,
  kFFailureDetection = 2,
  kFAck = 4,
  kFDissemination = 8,
  kFAntiEntropy = 16,
  kFQuit = 32,
};

constexpr uint32_t kNoPayload = 0xffffffffu;

// A typed array argument of the wanted type, by raw N-API: one call for the check and
// one for the view (node-addon-api's accessors make one call each).
bool GetTypedArray(napi_env env, napi_value v, napi_typedarray_type want, void** data, size_t* length) {
  bool is = false;
  if (napi_is_typedarray(env, v, &is) != napi_ok || !is) return false;
  napi_typedarray_type type;
  if (napi_get_typedarray_info(env, v, &type, length, data, nullptr, nullptr) != napi_ok) return false;
  if (type != want) return false;
  if (*length == 0) *data = nullptr;  // a zero-length (or detached) view may report any pointer
  return true;
}

// A non-empty uint32 scratch array (u64 slots go through memcpy: no alignment assumed).
bool GetWords(napi_env env, napi_value v, uint32_t** words, size_t* count) {
  void* data = nullptr;
  if (!GetTypedArray(env, v, napi_uint32_array, &data, count)) return false;
  if (*count == 0) return false;
  *words = static_cast<uint32_t*>(data);
  return true;
}

void PutU64(uint32_t* words, uint32_t at, uint64_t v) { std::memcpy(words + at, &v, sizeof v); }
uint64_t GetU64(const uint32_t* words, uint32_t at) {
  uint64_t v;
  std::memcpy(&v, words + at, sizeof v);
  return v;
}

// Writes v in decimal at out, returns the end. Same text as addr_format's "%u", without
// snprintf's cost (a third of a whole decode when every URI went through it).
char* PutDecimal(char* out, uint32_t v) {
  char tmp[10];
  int n = 0;
  do {
    tmp[n++] = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v != 0);
  while (n > 0) *out++ = tmp[--n];
  return out;
}

// Writes 'a.b.c.d:port' at out (at most 21 characters, as addr_format); returns the end.
char* PutAddr(char* out, const swim::Addr& a, uint32_t* len) {
  char* o = out;
  for (int shift = 24; shift >= 0; shift -= 8) {
    o = PutDecimal(o, (a.ip >> shift) & 0xff);
    *o++ = shift != 0 ? '.' : ':';
  }
  o = PutDecimal(o, a.port);
  *len = static_cast<uint32_t>(o - out);
  return o;
}

// Writes the 36 characters of a UUID at out; out must have room for 37 (uuid_format adds
// a NUL, overwritten by whatever comes next).
char* PutUuid(char* out, const swim::Uuid& u) {
  swim::uuid_format(u, out);
  return out + 36;
}

// Longest texts of an address ("255.255.255.255:65535") and of a UUID.
constexpr size_t kMaxAddrChars = 21;
constexpr size_t kUuidChars = 36;

char* PutMembers(const std::vector<swim::MemberRecord>& list, const uint8_t* base, uint32_t* words, char* text) {
  for (const swim::MemberRecord& m : list) {
    words[kDMStatus] = static_cast<uint32_t>(m.status);
    text = PutUuid(text, m.uuid);
    text = PutAddr(text, m.addr, &words[kDMUriLen]);
    if (m.has_payload) {
      // The decoder's payload views point into the datagram it was given.
      uint64_t offset = m.payload.size == 0 ? 0 : static_cast<uint64_t>(m.payload.data - base);
      words[kDMPayloadOffset] = static_cast<uint32_t>(offset);
      words[kDMPayloadOffsetHigh] = static_cast<uint32_t>(offset >> 32);
      words[kDMPayloadLen] = m.payload.size;
    } else {
      words[kDMPayloadLen] = kNoPayload;
    }
    PutU64(words, kDMGeneration, m.incarnation.generation);
    PutU64(words, kDMVersion, m.incarnation.version);
    words += kDMember;
  }
  return text;
}

// decodeScratch(buf, words) -> string (success: the text; numbers are in `words`), or a
// number (`words` needs at least that many elements: grow it and call again), or
// { error, where } when the datagram is rejected.
Napi::Value DecodeScratch(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  void* data = nullptr;
  size_t size = 0;
  if (info.Length() < 2 || !GetTypedArray(env, info[0], napi_uint8_array, &data, &size)) {
    ThrowInvalid(env, "decodePacket expects a Uint8Array or Buffer");
    return env.Undefined();
  }
  uint32_t* words = nullptr;
  size_t capacity = 0;
  if (!GetWords(env, info[1], &words, &capacity)) {
    ThrowInvalid(env, "decodeScratch: bad scratch array");
    return env.Undefined();
  }
  AddonData* addon = env.GetInstanceData<AddonData>();
  swim::Packet& p = addon->codec_packet;
  const uint8_t* bytes = static_cast<const uint8_t*>(data);
  swim::DecodeResult r = swim::decode_packet(bytes, size, &p);
  if (!r.ok()) {
    Napi::Object err = Napi::Object::New(env);
    err.Set("error", Napi::String::New(env, swim::decode_error_name(r.error)));
    err.Set("where", Napi::String::New(env, r.where));
    return err;
  }
  size_t members = p.dissemination.size() + p.anti_entropy.size();
  size_t needed = kDHeader + members * kDMember;
  if (needed > capacity) return Napi::Number::New(env, static_cast<double>(needed));

  // Room for every string at its longest, plus uuid_format's NUL.
  std::string& text = addon->codec_text;
  size_t room = (3 + members) * kMaxAddrChars + (1 + members) * kUuidChars + 1;
  if (text.size() < room) text.resize(room);
  char* const start = &text[0];
  char* o = start;
  uint32_t flags = 0;
  words[kDVersion] = p.meta.version;
  o = PutAddr(o, p.meta.src, &words[kDUriLen]);
  if (p.meta.has_route) {
    flags |= kFRoute;
    o = PutAddr(o, p.meta.route.src, &words[kDRouteSrcLen]);
    o = PutAddr(o, p.meta.route.dst, &words[kDRouteDstLen]);
  }
  o = PutUuid(o, p.source);
  if (p.has_failure_detection) {
    flags |= kFFailureDetection;
    if (p.failure_detection.type == swim::FdType::Ack) flags |= kFAck;
    PutU64(words, kDFdGeneration, p.failure_detection.incarnation.generation);
    PutU64(words, kDFdVersion, p.failure_detection.incarnation.version);
  }
  if (p.has_dissemination) flags |= kFDissemination;
  if (p.has_anti_entropy) flags |= kFAntiEntropy;
  words[kDDissCount] = static_cast<uint32_t>(p.dissemination.size());
  words[kDAeCount] = static_cast<uint32_t>(p.anti_entropy.size());
  o = PutMembers(p.dissemination, bytes, words + kDHeader, o);
  o = PutMembers(p.anti_entropy, bytes, words + kDHeader + p.dissemination.size() * kDMember, o);
  if (p.has_quit) {
    flags |= kFQuit;
    PutU64(words, kDQuitGeneration, p.quit.generation);
    PutU64(words, kDQuitVersion, p.quit.version);
  }
  words[kDFlags] = flags;
  napi_value out;
  if (napi_create_string_latin1(env, start, static_cast<size_t>(o - start), &out) != napi_ok) {
    // Only a datagram of millions of records makes the text longer than V8 strings go.
    if (!env.IsExceptionPending()) ThrowCode(env, "ERR_SWIM_NATIVE", "decoded packet too large to convert");
    return env.Undefined();
  }
  return Napi::Value(env, out);
}

// Reads `count` member records of the encode scratch; false on data no valid flattening
// produces (the TS layer validated the packet; this only keeps a bug from reading out of
// bounds or encoding garbage).
bool TakeMembers(const uint32_t* words, uint32_t count, const uint8_t* payloads, size_t payloads_size,
                 std::vector<swim::MemberRecord>* out) {
  out->resize(count);
  for (uint32_t i = 0; i < count; ++i, words += kEMember) {
    swim::MemberRecord& m = (*out)[i];
    if (words[kEMStatus] >= swim::kStatusCount || words[kEMPort] > 0xffff) return false;
    m.status = static_cast<swim::Status>(words[kEMStatus]);
    m.addr.ip = words[kEMIp];
    m.addr.port = static_cast<uint16_t>(words[kEMPort]);
    std::memcpy(m.uuid.bytes, words + kEMUuid, swim::kUuidSize);
    m.incarnation.generation = GetU64(words, kEMGeneration);
    m.incarnation.version = GetU64(words, kEMVersion);
    uint32_t len = words[kEMPayloadLen];
    if (len == kNoPayload) {
      m.has_payload = false;
      m.payload = swim::Bytes();
      continue;
    }
    uint32_t off = words[kEMPayloadOffset];
    if (len > swim::kMaxPayloadSize || off > payloads_size || len > payloads_size - off) return false;
    m.has_payload = true;
    m.payload.data = len == 0 ? nullptr : payloads + off;
    m.payload.size = len;
  }
  return true;
}

enum StringKind : uint32_t { kAddrText = 0, kUuidText = 1 };

enum class Strings { Parsed, Rejected, BadArgs };

// Parses the URIs and UUIDs the TS walk concatenated into `text`: entry i of `table` is
// (destination word << 1 | kind, length). An address goes to words[dest] (ip) and
// words[dest + 1] (port), a UUID's 16 canonical bytes to words[dest..dest + 4). Rejected
// means the checked path would refuse one of them (bad text, nil UUID, zero ip or port).
Strings ParseStrings(napi_env env, napi_value table_value, napi_value count_value, napi_value text_value,
                     uint32_t* words, size_t capacity, std::string* scratch) {
  void* tdata = nullptr;
  size_t tsize = 0;
  uint32_t count = 0;
  size_t len = 0;
  if (!GetTypedArray(env, table_value, napi_uint32_array, &tdata, &tsize) ||
      napi_get_value_uint32(env, count_value, &count) != napi_ok || count > tsize / 2 ||
      napi_get_value_string_utf16(env, text_value, nullptr, 0, &len) != napi_ok)  // O(1): the length
    return Strings::BadArgs;
  // The table holds UTF-16 lengths and the parsers accept ASCII only, where UTF-16 units and
  // UTF-8 bytes coincide. Any other character takes two or more UTF-8 bytes, so either the
  // text does not fit `len` bytes (copied < len), or its first `len` bytes hold a byte >= 0x80
  // that makes the parse of whichever string it falls in fail: a text with anything but
  // ASCII is always Rejected, as the checked path would reject it.
  scratch->resize(len + 1);  // the copy always ends with a NUL
  size_t copied = 0;
  if (napi_get_value_string_utf8(env, text_value, &(*scratch)[0], len + 1, &copied) != napi_ok) return Strings::BadArgs;
  if (copied != len) return Strings::Rejected;
  const uint32_t* table = static_cast<const uint32_t*>(tdata);
  size_t total = 0;
  for (uint32_t i = 0; i < count; ++i) total += table[2 * i + 1];
  if (total != len) return Strings::BadArgs;
  const char* text = scratch->data();
  size_t pos = 0;
  for (uint32_t i = 0; i < count; ++i) {
    uint32_t dest = table[2 * i] >> 1;
    uint32_t kind = table[2 * i] & 1;
    uint32_t n = table[2 * i + 1];
    if (dest > capacity || (kind == kUuidText ? 4 : 2) > capacity - dest) return Strings::BadArgs;
    const char* t = text + pos;
    pos += n;
    if (kind == kUuidText) {
      swim::Uuid u;
      if (!swim::uuid_parse(t, n, &u) || u.is_nil()) return Strings::Rejected;
      std::memcpy(words + dest, u.bytes, swim::kUuidSize);
    } else {
      swim::Addr a;
      if (!swim::addr_parse(t, n, &a) || a.ip == 0 || a.port == 0) return Strings::Rejected;
      words[dest] = a.ip;
      words[dest + 1] = a.port;
    }
  }
  return Strings::Parsed;
}

// checkStrings(words, table, count, text) -> whether every queued string parses (see
// ParseStrings); for when the walk was cut short by a throwing getter.
Napi::Value CheckStrings(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  uint32_t* words = nullptr;
  size_t capacity = 0;
  Strings r = Strings::BadArgs;
  if (info.Length() >= 4 && GetWords(env, info[0], &words, &capacity)) {
    r = ParseStrings(env, info[1], info[2], info[3], words, capacity, &env.GetInstanceData<AddonData>()->codec_text);
  }
  if (r == Strings::BadArgs) {
    ThrowInvalid(env, "checkStrings: bad arguments");
    return env.Undefined();
  }
  return Napi::Boolean::New(env, r == Strings::Parsed);
}

// encodeScratch(words, payloads, budget, table, count, text) -> Buffer, or null when a
// queued string does not parse (the TS layer then takes the checked path); throws
// ERR_SWIM_ENCODE when the packet does not fit in `budget` bytes.
Napi::Value EncodeScratch(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  uint32_t* words = nullptr;
  size_t capacity = 0;
  void* pdata = nullptr;
  size_t psize = 0;
  if (info.Length() < 6 || !GetWords(env, info[0], &words, &capacity) ||
      !GetTypedArray(env, info[1], napi_uint8_array, &pdata, &psize) || !info[2].IsNumber()) {
    ThrowInvalid(env, "encodeScratch: bad arguments");
    return env.Undefined();
  }
  AddonData* addon = env.GetInstanceData<AddonData>();
  Strings parsed = ParseStrings(env, info[3], info[4], info[5], words, capacity, &addon->codec_text);
  if (parsed == Strings::BadArgs) {
    ThrowInvalid(env, "encodeScratch: bad arguments");
    return env.Undefined();
  }
  if (parsed == Strings::Rejected) return env.Null();
  double d = info[2].As<Napi::Number>().DoubleValue();
  if (!(d >= 1 && d <= static_cast<double>(kMaxBudget))) {
    ThrowInvalid(env, "encodeScratch: bad budget");
    return env.Undefined();
  }
  size_t budget = static_cast<size_t>(d);
  swim::Packet& p = addon->codec_packet;
  p.clear();
  bool ok = capacity >= kEHeader;
  uint32_t flags = 0, ndiss = 0, nae = 0;
  if (ok) {
    flags = words[kEFlags];
    ndiss = words[kEDissCount];
    nae = words[kEAeCount];
    ok = (static_cast<uint64_t>(ndiss) + nae) * kEMember <= capacity - kEHeader && words[kEPort] <= 0xffff &&
         words[kERouteSrcPort] <= 0xffff && words[kERouteDstPort] <= 0xffff;
  }
  const uint8_t* payloads = static_cast<const uint8_t*>(pdata);
  if (ok) {
    p.meta.version = words[kEVersion];
    p.meta.src = {words[kEIp], static_cast<uint16_t>(words[kEPort])};
    if (flags & kFRoute) {
      p.meta.has_route = true;
      p.meta.route.src = {words[kERouteSrcIp], static_cast<uint16_t>(words[kERouteSrcPort])};
      p.meta.route.dst = {words[kERouteDstIp], static_cast<uint16_t>(words[kERouteDstPort])};
    }
    std::memcpy(p.source.bytes, words + kESource, swim::kUuidSize);
    if (flags & kFFailureDetection) {
      p.has_failure_detection = true;
      p.failure_detection.type = (flags & kFAck) ? swim::FdType::Ack : swim::FdType::Ping;
      p.failure_detection.incarnation = {GetU64(words, kEFdGeneration), GetU64(words, kEFdVersion)};
    }
    p.has_dissemination = (flags & kFDissemination) != 0;
    p.has_anti_entropy = (flags & kFAntiEntropy) != 0;
    if (!p.has_dissemination) ndiss = 0;
    if (!p.has_anti_entropy) nae = 0;
    ok = TakeMembers(words + kEHeader, ndiss, payloads, psize, &p.dissemination) &&
         TakeMembers(words + kEHeader + ndiss * kEMember, nae, payloads, psize, &p.anti_entropy);
    if (flags & kFQuit) {
      p.has_quit = true;
      p.quit = {GetU64(words, kEQuitGeneration), GetU64(words, kEQuitVersion)};
    }
  }
  if (!ok) {
    ThrowInvalid(env, "encodeScratch: malformed scratch");
    return env.Undefined();
  }
  std::vector<uint8_t>& buf = addon->codec_bytes;
  if (buf.size() < budget) buf.resize(budget);
  swim::EncodeResult res = swim::encode_packet(p, buf.data(), budget);
  if (!res.ok || res.dissemination_fitted != p.dissemination.size() ||
      res.anti_entropy_fitted != p.anti_entropy.size()) {
    ThrowCode(env, "ERR_SWIM_ENCODE", "packet does not fit in " + std::to_string(budget) + " bytes");
    return env.Undefined();
  }
  return Napi::Buffer<uint8_t>::Copy(env, buf.data(), res.size);
}

}  // namespace

void InitCodec(Napi::Env env, Napi::Object exports) {
  exports.Set("encodePacket", Napi::Function::New(env, EncodePacket, "encodePacket"));
  exports.Set("decodeScratch", Napi::Function::New(env, DecodeScratch, "decodeScratch"));
  exports.Set("encodeScratch", Napi::Function::New(env, EncodeScratch, "encodeScratch"));
  exports.Set("checkStrings", Napi::Function::New(env, CheckStrings, "checkStrings"));
  Napi::Object layout = Napi::Object::New(env);
  const std::pair<const char*, uint32_t> fields[] = {
      {"dFlags", kDFlags}, {"dVersion", kDVersion}, {"dDissCount", kDDissCount}, {"dAeCount", kDAeCount},
      {"dUriLen", kDUriLen}, {"dRouteSrcLen", kDRouteSrcLen}, {"dRouteDstLen", kDRouteDstLen},
      {"dFdGeneration", kDFdGeneration}, {"dFdVersion", kDFdVersion}, {"dQuitGeneration", kDQuitGeneration},
      {"dQuitVersion", kDQuitVersion}, {"dHeader", kDHeader}, {"dmStatus", kDMStatus}, {"dmUriLen", kDMUriLen},
      {"dmPayloadOffset", kDMPayloadOffset}, {"dmPayloadOffsetHigh", kDMPayloadOffsetHigh}, {"dmPayloadLen", kDMPayloadLen}, {"dmGeneration", kDMGeneration},
      {"dmVersion", kDMVersion}, {"dMember", kDMember},
      {"eFlags", kEFlags}, {"eVersion", kEVersion}, {"eIp", kEIp}, {"ePort", kEPort},
      {"eRouteSrcIp", kERouteSrcIp}, {"eRouteSrcPort", kERouteSrcPort}, {"eRouteDstIp", kERouteDstIp},
      {"eRouteDstPort", kERouteDstPort}, {"eDissCount", kEDissCount}, {"eAeCount", kEAeCount},
      {"eFdGeneration", kEFdGeneration}, {"eFdVersion", kEFdVersion}, {"eQuitGeneration", kEQuitGeneration},
      {"eQuitVersion", kEQuitVersion}, {"eSource", kESource}, {"eHeader", kEHeader}, {"emStatus", kEMStatus},
      {"emIp", kEMIp}, {"emPort", kEMPort}, {"emPayloadLen", kEMPayloadLen}, {"emPayloadOffset", kEMPayloadOffset},
      {"emGeneration", kEMGeneration}, {"emVersion", kEMVersion}, {"emUuid", kEMUuid}, {"eMember", kEMember},
      {"fRoute", kFRoute}, {"fFailureDetection", kFFailureDetection}, {"fAck", kFAck},
      {"fDissemination", kFDissemination}, {"fAntiEntropy", kFAntiEntropy}, {"fQuit", kFQuit},
      {"noPayload", kNoPayload}, {"minEncodedMember", static_cast<uint32_t>(kMinEncodedMember)},
      {"maxBudget", static_cast<uint32_t>(kMaxBudget)},
  };
  for (const auto& f : fields) layout.Set(f.first, Napi::Number::New(env, f.second));
  exports.Set("codecLayout", layout);
  Napi::Array names = Napi::Array::New(env, swim::kDecodeErrorCount - 1);
  for (size_t i = 1; i < swim::kDecodeErrorCount; ++i)
    names.Set(static_cast<uint32_t>(i - 1),
              Napi::String::New(env, swim::decode_error_name(static_cast<swim::DecodeError>(i))));
  exports.Set("decodeErrorNames", names);
  exports.Set("maxPacketSize", Napi::Number::New(env, static_cast<double>(swim::kMaxPacketSize)));
  exports.Set("maxPayloadSize", Napi::Number::New(env, static_cast<double>(swim::kMaxPayloadSize)));
}

}  // namespace swim_binding
