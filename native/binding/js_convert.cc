// See js_convert.h.
#include "binding/js_convert.h"

#include <cmath>
#include <cstring>
#include <string>

#include "binding/addon.h"

namespace swim_binding {

namespace {

constexpr double kMaxSafeInteger = 9007199254740991.0;

const char* const kJsNameText[] = {
    "alive", "suspected", "dead", "left", "ping", "ack",
    "status", "uri", "uuid", "incarnation", "payload", "generation", "version", "isSelf", "mask", "member",
    "meta", "route", "src", "dst", "source", "failureDetection", "type", "dissemination", "antiEntropy",
    "quit", "error", "where"};
static_assert(sizeof(kJsNameText) / sizeof(kJsNameText[0]) == kMakeRecord, "one text per name");

// The two shapes made per member, as object literals: V8 builds those from a boilerplate,
// several times faster than adding the properties one by one through Node-API.
// A record is appended to `list` when one is given (cheaper than napi_set_element).
constexpr char kShapesJs[] = R"JS(
  (list, s, u, i, g, v, p, self) => {
    const o = { status: s, uri: u, uuid: i, incarnation: { generation: g, version: v } };
    if (p !== void 0) o.payload = p;
    if (self !== void 0) o.isSelf = self;
    if (list !== void 0) list[list.length] = o;
    return o;
  },
  (g, v) => ({ generation: g, version: v })])JS";

// A string's UTF-8 bytes in buf, without allocating; false for anything else. Texts of 60
// bytes or more are refused too (the buffer may have cut them): no token these parsers
// accept is longer than a UUID's 36 bytes, so the answer is the same as for the whole text.
constexpr size_t kTextBuf = 64;
bool Text(const Napi::Value& v, char (&buf)[kTextBuf], size_t* len) {
  // Anything but a string fails with napi_string_expected (nothing is thrown).
  return napi_get_value_string_utf8(v.Env(), v, buf, kTextBuf, len) == napi_ok && *len < kTextBuf - 4;
}

Napi::Number Count(Napi::Env env, uint64_t v) { return Napi::Number::New(env, static_cast<double>(v)); }

// A record, with isSelf when is_self is not nullptr, appended to list if that is not nullptr.
napi_value Record(JsNames& n, napi_value list, swim::Status status, const swim::Addr& addr, const swim::Uuid& uuid,
                  const swim::Incarnation& inc, bool has_payload, const uint8_t* payload, size_t size,
                  napi_value is_self) {
  char uri[22], id[37];
  swim::addr_format(addr, uri);
  swim::uuid_format(uuid, id);
  napi_value argv[8] = {list, n[static_cast<JsName>(status)], AsciiToJs(n.env(), uri), AsciiToJs(n.env(), id, 36)};
  napi_value undefined = nullptr;
  napi_get_undefined(n.env(), &undefined);
  if (list == nullptr) argv[0] = undefined;
  argv[6] = undefined;
  argv[7] = is_self != nullptr ? is_self : undefined;
  if (napi_create_bigint_uint64(n.env(), inc.generation, &argv[4]) != napi_ok ||
      napi_create_bigint_uint64(n.env(), inc.version, &argv[5]) != napi_ok ||
      (has_payload && napi_create_buffer_copy(n.env(), size, payload, nullptr, &argv[6]) != napi_ok))
    return nullptr;
  return n.Make(kMakeRecord, 8, argv);
}

napi_value MemberValue(JsNames& n, const swim::MemberSnapshot& m, napi_value list = nullptr) {
  napi_value is_self = nullptr;
  if (napi_get_boolean(n.env(), m.is_self, &is_self) != napi_ok) return nullptr;
  return Record(n, list, m.status, m.addr, m.uuid, m.incarnation, m.has_payload, m.payload.data(), m.payload.size(),
                is_self);
}

}  // namespace

napi_value JsNames::Load(JsName name) {
  if (list_ == nullptr) {
    void* data = nullptr;
    if (napi_get_instance_data(env_, &data) != napi_ok || data == nullptr) return nullptr;
    Napi::Reference<Napi::Array>& ref = static_cast<AddonData*>(data)->js_names;
    if (ref.IsEmpty()) {
      // Strings cannot be referenced before Node-API 10, so the env keeps them in an array,
      // made by a script: its string literals are interned, which lets V8 look a key up
      // without hashing or comparing it.
      std::string js = "[";
      for (const char* text : kJsNameText) js += std::string("'") + text + "',";
      js += kShapesJs;
      napi_value source, list;
      if (napi_create_string_latin1(env_, js.data(), js.size(), &source) != napi_ok ||
          napi_run_script(env_, source, &list) != napi_ok)
        return nullptr;
      ref = Napi::Persistent(Napi::Array(env_, list));
    }
    list_ = ref.Value();
  }
  if (napi_get_element(env_, list_, name, &values_[name]) != napi_ok) values_[name] = nullptr;
  return values_[name];
}

napi_value JsNames::Make(JsName shape, size_t argc, const napi_value* argv) {
  napi_value fn = (*this)[shape], undefined, out;
  for (size_t i = 0; i < argc; ++i)
    if (argv[i] == nullptr) return nullptr;
  if (fn == nullptr || napi_get_undefined(env_, &undefined) != napi_ok ||
      napi_call_function(env_, undefined, fn, argc, argv, &out) != napi_ok)
    return nullptr;
  return out;
}

napi_value AsciiToJs(napi_env env, const char* text, size_t len) {
  napi_value v;
  return napi_create_string_latin1(env, text, len, &v) == napi_ok ? v : nullptr;
}

napi_value JsFields::Build(JsNames& n) const {
  if (count > kMax) return nullptr;
  napi_property_descriptor d[kMax];
  for (size_t i = 0; i < count; ++i) {
    d[i] = {nullptr, n[keys[i]], nullptr, nullptr, nullptr, values[i], napi_default_jsproperty, nullptr};
    if (d[i].name == nullptr || values[i] == nullptr) return nullptr;
  }
  napi_value o;
  if (napi_create_object(n.env(), &o) != napi_ok || napi_define_properties(n.env(), o, count, d) != napi_ok)
    return nullptr;
  return o;
}

napi_value IncarnationToJs(JsNames& n, const swim::Incarnation& inc) {
  napi_value argv[2] = {};
  if (napi_create_bigint_uint64(n.env(), inc.generation, &argv[0]) != napi_ok ||
      napi_create_bigint_uint64(n.env(), inc.version, &argv[1]) != napi_ok)
    return nullptr;
  return n.Make(kMakeIncarnation, 2, argv);
}

napi_value RecordToJs(JsNames& n, napi_value list, swim::Status status, const swim::Addr& addr,
                      const swim::Uuid& uuid, const swim::Incarnation& inc, bool has_payload,
                      const uint8_t* payload, size_t size) {
  return Record(n, list, status, addr, uuid, inc, has_payload, payload, size, nullptr);
}

Napi::String UuidToJs(Napi::Env env, const swim::Uuid& uuid) {
  char text[37];
  swim::uuid_format(uuid, text);
  return Napi::String(env, AsciiToJs(env, text, 36));
}

Napi::String AddrToJs(Napi::Env env, const swim::Addr& addr) {
  char text[22];
  swim::addr_format(addr, text);
  return Napi::String(env, AsciiToJs(env, text));
}

Napi::String StatusToJs(Napi::Env env, swim::Status status) {
  return Napi::String::New(env, swim::status_name(status));
}

Napi::String GcModeToJs(Napi::Env env, swim::GcMode mode) {
  return Napi::String::New(env, mode == swim::GcMode::On ? "on" : "off");
}

Napi::Object IncarnationToJs(Napi::Env env, const swim::Incarnation& inc) {
  JsNames n(env);
  return Napi::Object(env, IncarnationToJs(n, inc));
}

bool UuidFromJs(const Napi::Value& v, swim::Uuid* out) {
  char s[kTextBuf];
  size_t len;
  return Text(v, s, &len) && swim::uuid_parse(s, len, out);
}

bool AddrFromJs(const Napi::Value& v, swim::Addr* out) {
  char s[kTextBuf];
  size_t len;
  return Text(v, s, &len) && swim::addr_parse(s, len, out);
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
  char s[kTextBuf];
  size_t len;
  if (!Text(v, s, &len)) return false;
  for (uint8_t i = 0; i < swim::kStatusCount; ++i) {
    const char* name = swim::status_name(static_cast<swim::Status>(i));
    if (std::strlen(name) == len && std::memcmp(s, name, len) == 0) {
      *out = static_cast<swim::Status>(i);
      return true;
    }
  }
  return false;
}

bool GcModeFromJs(const Napi::Value& v, swim::GcMode* out) {
  char s[kTextBuf];
  size_t len;
  if (!Text(v, s, &len)) return false;
  std::string text(s, len);
  if (text != "on" && text != "off") return false;
  *out = text == "on" ? swim::GcMode::On : swim::GcMode::Off;
  return true;
}

bool U64FromJs(const Napi::Value& v, uint64_t* out) {
  // Each getter fails with napi_bigint_expected / napi_number_expected on another type.
  bool lossless = false;
  napi_status s = napi_get_value_bigint_uint64(v.Env(), v, out, &lossless);
  if (s != napi_bigint_expected) return s == napi_ok && lossless;
  double d;
  if (napi_get_value_double(v.Env(), v, &d) != napi_ok) return false;
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
  v = o.Get("maxMembers");
  if (!v.IsUndefined() && !(p->has_max_members = U32FromJs(v, 1u << 24, &p->max_members))) return false;
  v = o.Get("generation");
  if (!v.IsUndefined() && !(p->has_generation = U64FromJs(v, &p->generation))) return false;
  v = o.Get("lifeguard");
  if (!v.IsUndefined()) {
    if (!v.IsBoolean()) return false;
    p->has_lifeguard = true;
    p->lifeguard = v.As<Napi::Boolean>().Value();
  }
  return true;
}

Napi::Object RecordToJs(Napi::Env env, swim::Status status, const swim::Addr& addr, const swim::Uuid& uuid,
                        const swim::Incarnation& inc, bool has_payload, const uint8_t* payload, size_t size) {
  JsNames n(env);
  return Napi::Object(env, RecordToJs(n, nullptr, status, addr, uuid, inc, has_payload, payload, size));
}

Napi::Object MemberToJs(Napi::Env env, const swim::MemberSnapshot& m) {
  JsNames n(env);
  return Napi::Object(env, MemberValue(n, m));
}

Napi::Array MembersToJs(Napi::Env env, const std::vector<swim::MemberSnapshot>& list) {
  JsNames n(env);
  Napi::Array arr = Napi::Array::New(env);
  for (const swim::MemberSnapshot& m : list)
    if (MemberValue(n, m, arr) == nullptr) break;
  return arr;
}

Napi::Array EventsToJs(Napi::Env env, const std::vector<swim::MemberEvent>& events) {
  JsNames n(env);
  Napi::Array arr = Napi::Array::New(env, events.size());
  for (size_t i = 0; i < events.size(); ++i) {
    JsFields ev;
    ev.Add(kMask, Napi::Number::New(env, events[i].mask)).Add(kMember, MemberValue(n, events[i].member));
    napi_set_element(env, arr, static_cast<uint32_t>(i), ev.Build(n));
  }
  return arr;
}

Napi::Object EngineStatsToJs(Napi::Env env, const swim::Stats& s, uint64_t oversize) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("packetsSent", Count(env, s.packets_sent));
  o.Set("bytesSent", Count(env, s.bytes_sent));
  o.Set("packetsReceived", Count(env, s.packets_received));
  o.Set("bytesReceived", Count(env, s.bytes_received));
  o.Set("packetsDropped", Count(env, s.packets_dropped + oversize));
  Napi::Object drops = Napi::Object::New(env);
  for (size_t i = 1; i < swim::kDecodeErrorCount; ++i)
    drops.Set(swim::decode_error_name(static_cast<swim::DecodeError>(i)), Count(env, s.drops[i]));
  drops.Set("wrong_destination", Count(env, s.drops_wrong_destination));
  drops.Set("self_source", Count(env, s.drops_self_source));
  drops.Set("bad_address", Count(env, s.drops_bad_address));
  drops.Set("oversize", Count(env, oversize));
  o.Set("drops", drops);
  o.Set("pingsSent", Count(env, s.pings_sent));
  o.Set("acksSent", Count(env, s.acks_sent));
  o.Set("pingsReceived", Count(env, s.pings_received));
  o.Set("acksReceived", Count(env, s.acks_received));
  o.Set("indirectPingsSent", Count(env, s.indirect_pings_sent));
  o.Set("indirectPingsForwarded", Count(env, s.indirect_pings_forwarded));
  o.Set("ackTimeouts", Count(env, s.ack_timeouts));
  o.Set("ackTimeoutsSelf", Count(env, s.ack_timeouts_self));
  o.Set("awareness", Napi::Number::New(env, s.awareness));
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
