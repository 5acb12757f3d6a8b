// Per-environment state of the addon. Everything mutable lives here, never in statics,
// so the addon loads in any number of worker_threads at once (context-aware).
#pragma once

#include <napi.h>

namespace swim_binding {

struct AddonData {
  // Constructors and per-env registries are added here by the classes that need them.
  Napi::FunctionReference swim_ctor;
  Napi::FunctionReference simulation_ctor;
};

// Each JS-facing area registers its exports here; one file per area.
void InitCodec(Napi::Env env, Napi::Object exports);
void InitSim(Napi::Env env, Napi::Object exports);

}  // namespace swim_binding
