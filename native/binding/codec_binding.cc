// encodePacket / decodePacket for JavaScript. (Filled by the codec work.)
#include "binding/addon.h"

namespace swim_binding {

void InitCodec(Napi::Env env, Napi::Object exports) {}

}  // namespace swim_binding
