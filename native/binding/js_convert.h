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

Napi::String UuidToJs(Napi::Env env, const swim::Uuid& uuid);
Napi::String AddrToJs(Napi::Env env, const swim::Addr& addr);
Napi::String StatusToJs(Napi::Env env, swim::Status status);
Napi::String GcModeToJs(Napi::Env env, swim::GcMode mode);
Napi::Object IncarnationToJs(Napi::Env env, const swim::Incarnation& inc);

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
Napi::Object EngineStatsToJs(Napi::Env env, const swim::Stats& s);
// undefined for Ok, else the engine's error name; src/errors.ts maps names to codes.
Napi::Value CommandErrorToJs(Napi::Env env, swim::CommandError e);

}  // namespace swim_binding
