// Conversions between core values and JavaScript, shared by every binding (swim, sim,
// codec), so each value has one JS form and one parsing rule:
//   UUID     canonical text 'xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx' (parsed in any case)
//   address  'a.b.c.d:port'
//   status   'alive' | 'suspected' | 'dead' | 'left'
//   gc mode  'on' | 'off'
//   u64      a bigint in [0, 2^64) or a non-negative safe-integer number (bigint out)
//   seconds  a finite number > 0
// The parsers return false on anything else and never throw: the TypeScript layer has
// validated the input already (src/config.ts); a binding only has to refuse, not explain.
#pragma once

#include <napi.h>

#include <vector>

#include "core/engine.h"

namespace swim_binding {

// The property names and constant strings of these shapes, and two functions making the
// per-member objects from object literals. All are made once per env by one small script
// (its string literals come out interned; AddonData keeps the array) and fetched at most
// once per call through a JsNames, so building or reading an object never creates and
// interns a key string per property. Statuses come first, in swim::Status order.
enum JsName : uint8_t {
  kAlive, kSuspected, kDead, kLeft, kPing, kAck,
  kStatus, kUri, kUuid, kIncarnation, kPayload, kGeneration, kVersion, kIsSelf, kMask, kMember,
  kMeta, kRoute, kSrc, kDst, kSource, kFailureDetection, kType, kDissemination, kAntiEntropy,
  kQuit, kError, kWhere,
  // Not names: functions making a record and an incarnation (JsNames::Make).
  kMakeRecord, kMakeIncarnation,
  kJsNameCount
};

class JsNames {
 public:
  explicit JsNames(napi_env env) : env_(env) {}
  napi_env env() const { return env_; }
  // nullptr only if the engine failed (an exception may be pending).
  napi_value operator[](JsName n) { return values_[n] != nullptr ? values_[n] : Load(n); }
  // Calls the kMake* function `shape`; nullptr if an argument is nullptr or the call failed.
  napi_value Make(JsName shape, size_t argc, const napi_value* argv);

 private:
  napi_value Load(JsName n);
  napi_env env_;
  napi_value list_ = nullptr;  // AddonData::js_names
  napi_value values_[kJsNameCount] = {};
};

// The data properties of a new plain object, in order; Build makes it with one
// napi_define_properties call. Builders on raw napi_values return nullptr when an N-API
// call failed (or a value given to them was nullptr).
struct JsFields {
  static constexpr size_t kMax = 8;
  JsName keys[kMax];
  napi_value values[kMax];
  size_t count = 0;
  JsFields& Add(JsName key, napi_value value) {
    if (count < kMax) {
      keys[count] = key;
      values[count] = value;
    }
    ++count;
    return *this;
  }
  napi_value Build(JsNames& n) const;
};
napi_value IncarnationToJs(JsNames& n, const swim::Incarnation& inc);
// The record is also appended to the array `list` unless that is nullptr.
napi_value RecordToJs(JsNames& n, napi_value list, swim::Status status, const swim::Addr& addr,
                      const swim::Uuid& uuid, const swim::Incarnation& inc, bool has_payload,
                      const uint8_t* payload, size_t size);
// An ASCII string (created as Latin-1: no UTF-8 decoding).
napi_value AsciiToJs(napi_env env, const char* text, size_t len = NAPI_AUTO_LENGTH);

Napi::String UuidToJs(Napi::Env env, const swim::Uuid& uuid);
Napi::String AddrToJs(Napi::Env env, const swim::Addr& addr);
Napi::String StatusToJs(Napi::Env env, swim::Status status);
Napi::String GcModeToJs(Napi::Env env, swim::GcMode mode);
Napi::Object IncarnationToJs(Napi::Env env, const swim::Incarnation& inc);

// The parsers read strings into a stack buffer (no valid token is longer than 36 bytes).
bool UuidFromJs(const Napi::Value& v, swim::Uuid* out);
bool AddrFromJs(const Napi::Value& v, swim::Addr* out);
bool StatusFromJs(const Napi::Value& v, swim::Status* out);
bool GcModeFromJs(const Napi::Value& v, swim::GcMode* out);
bool U64FromJs(const Napi::Value& v, uint64_t* out);
bool U32FromJs(const Napi::Value& v, uint32_t max, uint32_t* out);
bool SecondsFromJs(const Napi::Value& v, double* out);

// The fields of a configuration object present in `o` (uri, uuid, heartbeatRate,
// ackTimeout, gcMode, indirectPingCount, generation) into *out; false if one is malformed.
bool PatchFromJs(const Napi::Object& o, swim::ConfigPatch* out);

// { status, uri, uuid, incarnation, payload? }: a codec MemberRecord. The payload is copied.
Napi::Object RecordToJs(Napi::Env env, swim::Status status, const swim::Addr& addr, const swim::Uuid& uuid,
                        const swim::Incarnation& inc, bool has_payload, const uint8_t* payload, size_t size);
// A record plus isSelf: what memberFromNative (src/member.ts) turns into a Member.
Napi::Object MemberToJs(Napi::Env env, const swim::MemberSnapshot& m);
Napi::Array MembersToJs(Napi::Env env, const std::vector<swim::MemberSnapshot>& list);
// [{ mask, member }], for eventFromNative (src/member.ts).
Napi::Array EventsToJs(Napi::Env env, const std::vector<swim::MemberEvent>& events);
// The engine's counters, with the keys of SwimStats (src/swim.ts) that the engine keeps.
// An array of 'a.b.c.d:port' strings.
bool AddrListFromJs(const Napi::Value& v, std::vector<swim::Addr>* out);
// `oversize`: datagrams the driver dropped for their size before the engine saw them
// (drops.oversize, and part of packetsDropped); the simulator carries none.
Napi::Object EngineStatsToJs(Napi::Env env, const swim::Stats& s, uint64_t oversize = 0);
// undefined for Ok, else the engine's error name; src/errors.ts maps names to codes.
Napi::Value CommandErrorToJs(Napi::Env env, swim::CommandError e);

}  // namespace swim_binding
