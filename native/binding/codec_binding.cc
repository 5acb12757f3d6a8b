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
  if (U64FromJs(v, out)) return true;
  ThrowInvalid(env, path + " must be a non-negative integer (a bigint below 2^64, or a safe integer number)");
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
  if (UuidFromJs(v, out)) {
    if (!out->is_nil()) return true;
    ThrowInvalid(env, path + " must not be the nil UUID");
    return false;
  }
  ThrowInvalid(env, path + " must be a UUID string (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)");
  return false;
}

bool ToAddr(Napi::Env env, Napi::Value v, const std::string& path, swim::Addr* out) {
  if (AddrFromJs(v, out)) {
    if (out->ip != 0 && out->port != 0) return true;
    ThrowInvalid(env, path + " must have a non-zero IP and port");
    return false;
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
  if (!StatusFromJs(status, &out->record.status)) {
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

Napi::Array RecordsToJs(Napi::Env env, const std::vector<swim::MemberRecord>& list) {
  Napi::Array arr = Napi::Array::New(env, list.size());
  for (size_t i = 0; i < list.size(); ++i) {
    const swim::MemberRecord& m = list[i];
    arr.Set(static_cast<uint32_t>(i),
            RecordToJs(env, m.status, m.addr, m.uuid, m.incarnation, m.has_payload, m.payload.data, m.payload.size));
  }
  return arr;
}

// decodePacket(buf) -> packet object, or { error, where } when the datagram is rejected.
Napi::Value DecodePacket(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsTypedArray() ||
      info[0].As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array) {
    ThrowInvalid(env, "decodePacket expects a Uint8Array or Buffer");
    return env.Undefined();
  }
  Napi::Uint8Array bytes = info[0].As<Napi::Uint8Array>();
  swim::Packet p;
  swim::DecodeResult r = swim::decode_packet(bytes.ByteLength() == 0 ? nullptr : bytes.Data(), bytes.ByteLength(), &p);
  if (!r.ok()) {
    Napi::Object err = Napi::Object::New(env);
    err.Set("error", Napi::String::New(env, swim::decode_error_name(r.error)));
    err.Set("where", Napi::String::New(env, r.where));
    return err;
  }
  Napi::Object out = Napi::Object::New(env);
  Napi::Object meta = Napi::Object::New(env);
  meta.Set("version", Napi::Number::New(env, p.meta.version));
  meta.Set("uri", AddrToJs(env, p.meta.src));
  if (p.meta.has_route) {
    Napi::Object route = Napi::Object::New(env);
    route.Set("src", AddrToJs(env, p.meta.route.src));
    route.Set("dst", AddrToJs(env, p.meta.route.dst));
    meta.Set("route", route);
  }
  out.Set("meta", meta);
  out.Set("source", UuidToJs(env, p.source));
  if (p.has_failure_detection) {
    Napi::Object fd = Napi::Object::New(env);
    fd.Set("type", Napi::String::New(env, p.failure_detection.type == swim::FdType::Ping ? "ping" : "ack"));
    fd.Set("incarnation", IncarnationToJs(env, p.failure_detection.incarnation));
    out.Set("failureDetection", fd);
  }
  if (p.has_dissemination) out.Set("dissemination", RecordsToJs(env, p.dissemination));
  if (p.has_anti_entropy) out.Set("antiEntropy", RecordsToJs(env, p.anti_entropy));
  if (p.has_quit) out.Set("quit", IncarnationToJs(env, p.quit));
  return out;
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
