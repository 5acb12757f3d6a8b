// Addon entry: per-env instance data, then each area's exports.
#include "binding/addon.h"

static Napi::Object InitAddon(Napi::Env env, Napi::Object exports) {
  // Freed by Node when this environment is torn down (main thread exit, worker end).
  env.SetInstanceData<swim_binding::AddonData>(new swim_binding::AddonData());
  swim_binding::InitCodec(env, exports);
  swim_binding::InitSwim(env, exports);
  swim_binding::InitCrypto(env, exports);
  swim_binding::InitSim(env, exports);
  return exports;
}

NODE_API_MODULE(swim_native, InitAddon)
