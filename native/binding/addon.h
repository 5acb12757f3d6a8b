// Per-environment state of the addon. Everything mutable lives here, never in statics,
// so the addon loads in any number of worker_threads at once (context-aware).
#pragma once

#include <napi.h>

#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

namespace swim {
namespace io {
struct CipherConfig;
}  // namespace io
}  // namespace swim

namespace swim_binding {

struct SwimInstance;  // swim_binding.cc: one native Swim (worker + thread-safe function)

// What became of this env's Swims, tallied when each worker thread is joined (tests check
// that exactly one stopper won RUNNING -> STOPPING per instance and every thread was joined once).
struct SwimLifecycleCounters {
  uint64_t started = 0;        // worker threads started
  uint64_t joined = 0;         // worker threads joined
  uint64_t stop_requests = 0;  // stops asked by a stopper that had won the state word
  uint64_t self_stops = 0;     // workers that won it themselves (quit sent, fatal error)
  uint64_t anomalies = 0;      // joined with no winner, two winners, or a word not TERMINATED
};

struct AddonData {
  // Constructors and per-env registries are added here by the classes that need them.
  Napi::FunctionReference swim_ctor;
  // Every Swim of this env whose worker thread has not been joined yet. The env cleanup
  // hook (registered by InitSwim) stops and joins them before the env is torn down.
  std::unordered_map<SwimInstance*, std::shared_ptr<SwimInstance>> live_swims;
  SwimLifecycleCounters swim_counters;
  // The interned names of js_convert.h, in JsName order; created on first use.
  Napi::Reference<Napi::Array> js_names;
};

// Each JS-facing area registers its exports here; one file per area.
void InitCodec(Napi::Env env, Napi::Object exports);
void InitCrypto(Napi::Env env, Napi::Object exports);
void InitSwim(Napi::Env env, Napi::Object exports);

// Reads a codec config normalized by src/crypto.ts (normalizeCodecConfig) into *out.
// False with a message in *error when malformed (nothing is thrown); a JS exception may be
// pending if a getter threw. Build the cipher with swim::io::make_cipher (io/crypto.h).
bool ParseCipherConfig(Napi::Value value, swim::io::CipherConfig* out, std::string* error);
void InitSim(Napi::Env env, Napi::Object exports);

}  // namespace swim_binding
