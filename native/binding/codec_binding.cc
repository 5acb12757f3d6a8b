// encodePacket / decodePacket for JavaScript (a diagnostics API: tests, tooling, captured
// datagrams; the engine encodes and decodes natively and never comes here).
//
// encodePacket(packet, maxSize) walks the JS object, validating every field; a bad shape
// throws an Error carrying a stable `code` and a message naming the field (src/codec.ts
// rewraps it as a SwimError). decodePacket(buf) builds the packet object; a rejected
// datagram is returned, not thrown, as { error: <reason name>, where: <field> } so the TS
// layer can attach the reason. Values convert as everywhere else (js_convert.h).
#include <string>
#include <vector>

#include "binding/addon.h"
#include "binding/js_convert.h"
#include "core/codec.h"

namespace swim_binding {

namespace {

// The largest datagram the encoder accepts as a budget: IPv4's UDP payload limit.
constexpr size_t kMaxBudget = 65507;
// The smallest member record the encoder emits; bounds how many can fit in a budget.
constexpr size_t kMinEncodedMember = 52;

void ThrowCode(Napi::Env env, const char* code, const std::string& message) {
  Napi::Error err = Napi::Error::New(env, message);
  err.Value().Set("code", Napi::String::New(env, code));
  err.ThrowAsJavaScriptException();
}

void ThrowInvalid(Napi::Env env, const std::string& message) {
  ThrowCode(env, "ERR_SWIM_INVALID_ARG", message);
}

// Where a field sits in the packet ("packet.antiEntropy[3].uri"). Spelled out only for an
// error message, so a valid packet builds no strings.
struct Path {
  const Path* parent;
  const char* key;  // nullptr: element `index` of parent
  uint32_t index;
  std::string str() const {
    if (key == nullptr) return parent->str() + "[" + std::to_string(index) + "]";
    return parent != nullptr ? parent->str() + "." + key : std::string(key);
  }
};
Path Field(const Path& parent, const char* key) { return Path{&parent, key, 0}; }

// Reads obj[name] through the env's interned name; false when a getter threw (the
// exception stays pending).
bool GetProp(JsNames& n, const Napi::Object& obj, JsName name, Napi::Value* out) {
  napi_value v;
  if (napi_get_property(n.env(), obj, n[name], &v) != napi_ok) {
    Napi::Env env(n.env());
    if (!env.IsExceptionPending()) Napi::Error::New(env, "cannot read a packet property").ThrowAsJavaScriptException();
    return false;
  }
  *out = Napi::Value(n.env(), v);
  return true;
}

bool ToObject(Napi::Env env, Napi::Value v, const Path& path, Napi::Object* out) {
  napi_valuetype t = v.Type();
  if ((t != napi_object && t != napi_function) || v.IsArray()) {
    ThrowInvalid(env, path.str() + " must be an object");
    return false;
  }
  *out = v.As<Napi::Object>();
  return true;
}

bool ToU64(Napi::Env env, Napi::Value v, const Path& path, uint64_t* out) {
  if (U64FromJs(v, out)) return true;
  ThrowInvalid(env, path.str() + " must be a non-negative integer (a bigint below 2^64, or a safe integer number)");
  return false;
}

bool ToIncarnation(JsNames& n, Napi::Value v, const Path& path, swim::Incarnation* out) {
  Napi::Env env(n.env());
  Napi::Object o;
  if (!ToObject(env, v, path, &o)) return false;
  Napi::Value g, ver;
  if (!GetProp(n, o, kGeneration, &g) || !ToU64(env, g, Field(path, "generation"), &out->generation))
    return false;
  if (!GetProp(n, o, kVersion, &ver) || !ToU64(env, ver, Field(path, "version"), &out->version)) return false;
  return true;
}

bool ToUuid(Napi::Env env, Napi::Value v, const Path& path, swim::Uuid* out) {
  if (UuidFromJs(v, out)) {
    if (!out->is_nil()) return true;
    ThrowInvalid(env, path.str() + " must not be the nil UUID");
    return false;
  }
  ThrowInvalid(env, path.str() + " must be a UUID string (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)");
  return false;
}

bool ToAddr(Napi::Env env, Napi::Value v, const Path& path, swim::Addr* out) {
  if (AddrFromJs(v, out)) {
    if (out->ip != 0 && out->port != 0) return true;
    ThrowInvalid(env, path.str() + " must have a non-zero IP and port");
    return false;
  }
  ThrowInvalid(env, path.str() + " must be an 'a.b.c.d:port' string");
  return false;
}

// Member payload bytes are copied: a later getter could detach or shrink the source.
struct MemberInput {
  swim::MemberRecord record;
  std::vector<uint8_t> payload;
};

bool ToMember(JsNames& n, Napi::Value v, const Path& path, MemberInput* out) {
  Napi::Env env(n.env());
  Napi::Object o;
  if (!ToObject(env, v, path, &o)) return false;
  Napi::Value status, uri, uuid, inc, payload;
  if (!GetProp(n, o, kStatus, &status)) return false;
  if (!StatusFromJs(status, &out->record.status)) {
    ThrowInvalid(env, path.str() + ".status must be 'alive', 'suspected', 'dead' or 'left'");
    return false;
  }
  if (!GetProp(n, o, kUri, &uri) || !ToAddr(env, uri, Field(path, "uri"), &out->record.addr)) return false;
  if (!GetProp(n, o, kUuid, &uuid) || !ToUuid(env, uuid, Field(path, "uuid"), &out->record.uuid)) return false;
  if (!GetProp(n, o, kIncarnation, &inc) ||
      !ToIncarnation(n, inc, Field(path, "incarnation"), &out->record.incarnation))
    return false;
  if (!GetProp(n, o, kPayload, &payload)) return false;
  if (!payload.IsUndefined()) {
    bool typed = false;
    napi_typedarray_type type = napi_int8_array;
    size_t size = 0;
    void* data = nullptr;
    if (napi_is_typedarray(env, payload, &typed) != napi_ok || !typed ||
        napi_get_typedarray_info(env, payload, &type, &size, &data, nullptr, nullptr) != napi_ok ||
        type != napi_uint8_array) {
      ThrowInvalid(env, path.str() + ".payload must be a Uint8Array or Buffer");
      return false;
    }
    if (size > swim::kMaxPayloadSize) {
      ThrowCode(env, "ERR_SWIM_PAYLOAD_TOO_LARGE",
                path.str() + ".payload is " + std::to_string(size) + " bytes; at most " +
                    std::to_string(swim::kMaxPayloadSize) + " are allowed");
      return false;
    }
    const uint8_t* bytes = static_cast<const uint8_t*>(data);
    if (size != 0 && bytes != nullptr) out->payload.assign(bytes, bytes + size);
    else out->payload.assign(size, 0);
    out->record.has_payload = true;
  }
  return true;
}

bool ToMembers(JsNames& n, Napi::Object packet, JsName key, const Path& path, size_t budget, bool* present,
               std::vector<MemberInput>* out) {
  Napi::Env env(n.env());
  Napi::Value v;
  if (!GetProp(n, packet, key, &v)) return false;
  *present = false;
  if (v.IsUndefined()) return true;
  if (!v.IsArray()) {
    ThrowInvalid(env, path.str() + " must be an array of member records");
    return false;
  }
  uint32_t length = v.As<Napi::Array>().Length();
  // Refuse before touching the elements: a huge array could never fit anyway.
  size_t capacity = budget / kMinEncodedMember;
  if (length > capacity) {
    ThrowCode(env, "ERR_SWIM_ENCODE",
              path.str() + " has " + std::to_string(length) + " records; at most " +
                  std::to_string(capacity) + " fit in " + std::to_string(budget) + " bytes");
    return false;
  }
  out->resize(length);
  for (uint32_t i = 0; i < length; ++i) {
    napi_value item;
    if (napi_get_element(env, v, i, &item) != napi_ok) {
      if (!env.IsExceptionPending()) Napi::Error::New(env).ThrowAsJavaScriptException();
      return false;
    }
    if (!ToMember(n, Napi::Value(env, item), Path{&path, nullptr, i}, &(*out)[i])) return false;
  }
  *present = true;
  return true;
}

bool ToMeta(JsNames& n, Napi::Value v, const Path& packet, swim::Meta* meta) {
  Napi::Env env(n.env());
  Path path = Field(packet, "meta");
  Napi::Object o;
  if (!ToObject(env, v, path, &o)) return false;
  Napi::Value version, uri, route;
  if (!GetProp(n, o, kVersion, &version)) return false;
  double d = version.IsNumber() ? version.As<Napi::Number>().DoubleValue() : 0;
  if (!(d >= 1 && d <= 4294967295.0 && d == static_cast<double>(static_cast<uint32_t>(d)))) {
    ThrowInvalid(env, "packet.meta.version must be an integer in 1..2^32-1");
    return false;
  }
  meta->version = static_cast<uint32_t>(d);
  if (!GetProp(n, o, kUri, &uri) || !ToAddr(env, uri, Field(path, "uri"), &meta->src)) return false;
  if (!GetProp(n, o, kRoute, &route)) return false;
  if (!route.IsUndefined()) {
    Path route_path = Field(path, "route");
    Napi::Object r;
    if (!ToObject(env, route, route_path, &r)) return false;
    Napi::Value src, dst;
    if (!GetProp(n, r, kSrc, &src) || !ToAddr(env, src, Field(route_path, "src"), &meta->route.src)) return false;
    if (!GetProp(n, r, kDst, &dst) || !ToAddr(env, dst, Field(route_path, "dst"), &meta->route.dst)) return false;
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
  const Path root{nullptr, "packet", 0};
  Napi::Object obj;
  if (!ToObject(env, info.Length() > 0 ? info[0] : env.Undefined(), root, &obj)) return env.Undefined();

  JsNames n(env);
  swim::Packet p;
  Napi::Value meta, source, fd, quit;
  if (!GetProp(n, obj, kMeta, &meta) || !ToMeta(n, meta, root, &p.meta)) return env.Undefined();
  if (!GetProp(n, obj, kSource, &source) || !ToUuid(env, source, Field(root, "source"), &p.source))
    return env.Undefined();
  if (!GetProp(n, obj, kFailureDetection, &fd)) return env.Undefined();
  if (!fd.IsUndefined()) {
    Path fd_path = Field(root, "failureDetection");
    Napi::Object f;
    if (!ToObject(env, fd, fd_path, &f)) return env.Undefined();
    Napi::Value type, inc;
    if (!GetProp(n, f, kType, &type)) return env.Undefined();
    if (type.StrictEquals(Napi::Value(env, n[kPing]))) p.failure_detection.type = swim::FdType::Ping;
    else if (type.StrictEquals(Napi::Value(env, n[kAck]))) p.failure_detection.type = swim::FdType::Ack;
    else {
      ThrowInvalid(env, "packet.failureDetection.type must be 'ping' or 'ack'");
      return env.Undefined();
    }
    if (!GetProp(n, f, kIncarnation, &inc) ||
        !ToIncarnation(n, inc, Field(fd_path, "incarnation"), &p.failure_detection.incarnation))
      return env.Undefined();
    p.has_failure_detection = true;
  }
  std::vector<MemberInput> diss, ae;
  if (!ToMembers(n, obj, kDissemination, Field(root, "dissemination"), budget, &p.has_dissemination, &diss) ||
      !ToMembers(n, obj, kAntiEntropy, Field(root, "antiEntropy"), budget, &p.has_anti_entropy, &ae))
    return env.Undefined();
  if (!GetProp(n, obj, kQuit, &quit)) return env.Undefined();
  if (!quit.IsUndefined()) {
    if (!ToIncarnation(n, quit, Field(root, "quit"), &p.quit)) return env.Undefined();
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

napi_value RecordsToJs(JsNames& n, const std::vector<swim::MemberRecord>& list) {
  napi_value arr;
  if (napi_create_array(n.env(), &arr) != napi_ok) return nullptr;
  for (const swim::MemberRecord& m : list)
    if (!RecordToJs(n, arr, m.status, m.addr, m.uuid, m.incarnation, m.has_payload, m.payload.data, m.payload.size))
      return nullptr;
  return arr;
}

// decodePacket(buf) -> packet object, or { error, where } when the datagram is rejected.
Napi::Value DecodePacket(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  napi_typedarray_type type = napi_int8_array;
  size_t size = 0;
  void* data = nullptr;
  bool typed = false;
  if (info.Length() < 1 || napi_is_typedarray(env, info[0], &typed) != napi_ok || !typed ||
      napi_get_typedarray_info(env, info[0], &type, &size, &data, nullptr, nullptr) != napi_ok ||
      type != napi_uint8_array) {
    ThrowInvalid(env, "decodePacket expects a Uint8Array or Buffer");
    return env.Undefined();
  }
  JsNames n(env);
  swim::Packet p;
  swim::DecodeResult r = swim::decode_packet(size == 0 ? nullptr : static_cast<const uint8_t*>(data), size, &p);
  if (!r.ok()) {
    JsFields err;
    err.Add(kError, AsciiToJs(env, swim::decode_error_name(r.error))).Add(kWhere, Napi::String::New(env, r.where));
    return Napi::Value(env, err.Build(n));
  }
  JsFields meta, out;
  meta.Add(kVersion, Napi::Number::New(env, p.meta.version)).Add(kUri, AddrToJs(env, p.meta.src));
  if (p.meta.has_route) {
    JsFields route;
    route.Add(kSrc, AddrToJs(env, p.meta.route.src)).Add(kDst, AddrToJs(env, p.meta.route.dst));
    meta.Add(kRoute, route.Build(n));
  }
  out.Add(kMeta, meta.Build(n)).Add(kSource, UuidToJs(env, p.source));
  if (p.has_failure_detection) {
    JsFields fd;
    fd.Add(kType, n[p.failure_detection.type == swim::FdType::Ping ? kPing : kAck]);
    fd.Add(kIncarnation, IncarnationToJs(n, p.failure_detection.incarnation));
    out.Add(kFailureDetection, fd.Build(n));
  }
  if (p.has_dissemination) out.Add(kDissemination, RecordsToJs(n, p.dissemination));
  if (p.has_anti_entropy) out.Add(kAntiEntropy, RecordsToJs(n, p.anti_entropy));
  if (p.has_quit) out.Add(kQuit, IncarnationToJs(n, p.quit));
  return Napi::Value(env, out.Build(n));
}

}  // namespace

void InitCodec(Napi::Env env, Napi::Object exports) {
  exports.Set("encodePacket", Napi::Function::New(env, EncodePacket, "encodePacket"));
  exports.Set("decodePacket", Napi::Function::New(env, DecodePacket, "decodePacket"));
  Napi::Array names = Napi::Array::New(env, swim::kDecodeErrorCount - 1);
  for (size_t i = 1; i < swim::kDecodeErrorCount; ++i)
    names.Set(static_cast<uint32_t>(i - 1),
              Napi::String::New(env, swim::decode_error_name(static_cast<swim::DecodeError>(i))));
  exports.Set("decodeErrorNames", names);
  exports.Set("maxPacketSize", Napi::Number::New(env, static_cast<double>(swim::kMaxPacketSize)));
  exports.Set("maxPayloadSize", Napi::Number::New(env, static_cast<double>(swim::kMaxPayloadSize)));
}

}  // namespace swim_binding
