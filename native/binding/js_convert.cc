// See js_convert.h.
#include "binding/js_convert.h"

#include <cmath>
#include <string>

namespace swim_binding {

namespace {

constexpr double kMaxSafeInteger = 9007199254740991.0;

// The UTF-8 text of a string value; false for anything else.
bool Text(const Napi::Value& v, std::string* out) {
  if (!v.IsString()) return false;
  *out = v.As<Napi::String>().Utf8Value();
  return true;
}

Napi::Number Count(Napi::Env env, uint64_t v) { return Napi::Number::New(env, static_cast<double>(v)); }

}  // namespace

Napi::String UuidToJs(Napi::Env env, const swim::Uuid& uuid) {
  char text[37];
  swim::uuid_format(uuid, text);
  return Napi::String::New(env, text);
}

Napi::String AddrToJs(Napi::Env env, const swim::Addr& addr) {
  char text[22];
  swim::addr_format(addr, text);
  return Napi::String::New(env, text);
}

Napi::String StatusToJs(Napi::Env env, swim::Status status) {
  return Napi::String::New(env, swim::status_name(status));
}

Napi::String GcModeToJs(Napi::Env env, swim::GcMode mode) {
  return Napi::String::New(env, mode == swim::GcMode::On ? "on" : "off");
}

Napi::Object IncarnationToJs(Napi::Env env, const swim::Incarnation& inc) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("generation", Napi::BigInt::New(env, inc.generation));
  o.Set("version", Napi::BigInt::New(env, inc.version));
  return o;
}

bool UuidFromJs(const Napi::Value& v, swim::Uuid* out) {
  std::string s;
  return Text(v, &s) && swim::uuid_parse(s.data(), s.size(), out);
}

bool AddrFromJs(const Napi::Value& v, swim::Addr* out) {
  std::string s;
  return Text(v, &s) && swim::addr_parse(s.data(), s.size(), out);
}

bool AddrListFromJs(const Napi::Value& v, std::vector<swim::Addr>* out) {
  out->clear();
  if (!v.IsArray()) return false;
  Napi::Array a = v.As<Napi::Array>();
  for (uint32_t i = 0; i < a.Length(); ++i) {
    swim::Addr x;
    if (!AddrFromJs(a.Get(i), &x)) return false;
    out->push_back(x);
  }
  return true;
}

bool StatusFromJs(const Napi::Value& v, swim::Status* out) {
  std::string s;
  if (!Text(v, &s)) return false;
  for (uint8_t i = 0; i < swim::kStatusCount; ++i) {
    if (s == swim::status_name(static_cast<swim::Status>(i))) {
      *out = static_cast<swim::Status>(i);
      return true;
    }
  }
  return false;
}

bool GcModeFromJs(const Napi::Value& v, swim::GcMode* out) {
  std::string s;
  if (!Text(v, &s) || (s != "on" && s != "off")) return false;
  *out = s == "on" ? swim::GcMode::On : swim::GcMode::Off;
  return true;
}

bool U64FromJs(const Napi::Value& v, uint64_t* out) {
  if (v.IsBigInt()) {
    bool lossless = false;
    *out = v.As<Napi::BigInt>().Uint64Value(&lossless);
    return lossless;
  }
  if (!v.IsNumber()) return false;
  double d = v.As<Napi::Number>().DoubleValue();
  // NaN fails every comparison, so it is refused here as well.
  if (!(d >= 0 && d <= kMaxSafeInteger) || std::floor(d) != d) return false;
  *out = static_cast<uint64_t>(d);
  return true;
}

bool U32FromJs(const Napi::Value& v, uint32_t max, uint32_t* out) {
  uint64_t x;
  if (!v.IsNumber() || !U64FromJs(v, &x) || x > max) return false;
  *out = static_cast<uint32_t>(x);
  return true;
}

bool SecondsFromJs(const Napi::Value& v, double* out) {
  if (!v.IsNumber()) return false;
  double d = v.As<Napi::Number>().DoubleValue();
  if (!(d > 0) || !std::isfinite(d)) return false;
  *out = d;
  return true;
}

bool PatchFromJs(const Napi::Object& o, swim::ConfigPatch* p) {
  Napi::Value v = o.Get("uri");
  if (!v.IsUndefined() && !(p->has_uri = AddrFromJs(v, &p->uri))) return false;
  v = o.Get("uuid");
  if (!v.IsUndefined() && !(p->has_uuid = UuidFromJs(v, &p->uuid))) return false;
  v = o.Get("heartbeatRate");
  if (!v.IsUndefined() && !(p->has_heartbeat_rate = SecondsFromJs(v, &p->heartbeat_rate))) return false;
  v = o.Get("ackTimeout");
  if (!v.IsUndefined() && !(p->has_ack_timeout = SecondsFromJs(v, &p->ack_timeout))) return false;
  v = o.Get("gcMode");
  if (!v.IsUndefined() && !(p->has_gc_mode = GcModeFromJs(v, &p->gc_mode))) return false;
  v = o.Get("indirectPingCount");
  if (!v.IsUndefined() &&
      !(p->has_indirect_ping_count = U32FromJs(v, UINT32_MAX, &p->indirect_ping_count)))
    return false;
  v = o.Get("generation");
  if (!v.IsUndefined() && !(p->has_generation = U64FromJs(v, &p->generation))) return false;
  return true;
}

Napi::Object RecordToJs(Napi::Env env, swim::Status status, const swim::Addr& addr, const swim::Uuid& uuid,
                        const swim::Incarnation& inc, bool has_payload, const uint8_t* payload, size_t size) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("status", StatusToJs(env, status));
  o.Set("uri", AddrToJs(env, addr));
  o.Set("uuid", UuidToJs(env, uuid));
  o.Set("incarnation", IncarnationToJs(env, inc));
  if (has_payload) o.Set("payload", Napi::Buffer<uint8_t>::Copy(env, payload, size));
  return o;
}

Napi::Object MemberToJs(Napi::Env env, const swim::MemberSnapshot& m) {
  Napi::Object o = RecordToJs(env, m.status, m.addr, m.uuid, m.incarnation, m.has_payload, m.payload.data(),
                              m.payload.size());
  o.Set("isSelf", Napi::Boolean::New(env, m.is_self));
  return o;
}

Napi::Array MembersToJs(Napi::Env env, const std::vector<swim::MemberSnapshot>& list) {
  Napi::Array arr = Napi::Array::New(env, list.size());
  for (size_t i = 0; i < list.size(); ++i) arr.Set(static_cast<uint32_t>(i), MemberToJs(env, list[i]));
  return arr;
}

Napi::Array EventsToJs(Napi::Env env, const std::vector<swim::MemberEvent>& events) {
  Napi::Array arr = Napi::Array::New(env, events.size());
  for (size_t i = 0; i < events.size(); ++i) {
    Napi::Object ev = Napi::Object::New(env);
    ev.Set("mask", Napi::Number::New(env, events[i].mask));
    ev.Set("member", MemberToJs(env, events[i].member));
    arr.Set(static_cast<uint32_t>(i), ev);
  }
  return arr;
}

Napi::Object EngineStatsToJs(Napi::Env env, const swim::Stats& s) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("packetsSent", Count(env, s.packets_sent));
  o.Set("bytesSent", Count(env, s.bytes_sent));
  o.Set("packetsReceived", Count(env, s.packets_received));
  o.Set("bytesReceived", Count(env, s.bytes_received));
  o.Set("packetsDropped", Count(env, s.packets_dropped));
  Napi::Object drops = Napi::Object::New(env);
  for (size_t i = 1; i < swim::kDecodeErrorCount; ++i)
    drops.Set(swim::decode_error_name(static_cast<swim::DecodeError>(i)), Count(env, s.drops[i]));
  drops.Set("wrong_destination", Count(env, s.drops_wrong_destination));
  drops.Set("self_source", Count(env, s.drops_self_source));
  o.Set("drops", drops);
  o.Set("pingsSent", Count(env, s.pings_sent));
  o.Set("acksSent", Count(env, s.acks_sent));
  o.Set("pingsReceived", Count(env, s.pings_received));
  o.Set("acksReceived", Count(env, s.acks_received));
  o.Set("indirectPingsSent", Count(env, s.indirect_pings_sent));
  o.Set("indirectPingsForwarded", Count(env, s.indirect_pings_forwarded));
  o.Set("ackTimeouts", Count(env, s.ack_timeouts));
  o.Set("healProbes", Count(env, s.heal_probes));
  o.Set("conflicts", Count(env, s.conflicts));
  o.Set("suspicions", Count(env, s.suspicions));
  o.Set("deaths", Count(env, s.deaths));
  o.Set("refutations", Count(env, s.refutations));
  return o;
}

Napi::Value CommandErrorToJs(Napi::Env env, swim::CommandError e) {
  if (e == swim::CommandError::Ok) return env.Undefined();
  return Napi::String::New(env, swim::command_error_name(e));
}

}  // namespace swim_binding
