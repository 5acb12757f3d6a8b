// PacketCipher for JavaScript (tests, benchmarks, custom transports), and the config parser
// the Swim binding shares for `codec` / setCodec(). src/crypto.ts validates and normalizes
// the user's config first; this side re-checks everything it relies on.
#include <chrono>
#include <string>
#include <vector>

#include "binding/addon.h"
#include "core/codec.h"
#include "io/crypto.h"

namespace swim_binding {

namespace {

bool ParseAlgo(const std::string& s, swim::io::CipherAlgo* out) {
  using A = swim::io::CipherAlgo;
  if (s == "none") *out = A::None;
  else if (s == "aes128") *out = A::Aes128;
  else if (s == "aes192") *out = A::Aes192;
  else if (s == "aes256") *out = A::Aes256;
  else if (s == "aes-gcm") *out = A::AesGcm;
  else return false;
  return true;
}

bool ParseMode(const std::string& s, swim::io::CipherMode* out) {
  using M = swim::io::CipherMode;
  if (s == "ecb") *out = M::Ecb;
  else if (s == "cbc") *out = M::Cbc;
  else if (s == "cfb") *out = M::Cfb;
  else if (s == "ofb") *out = M::Ofb;
  else return false;
  return true;
}

void ThrowConfig(Napi::Env env, const std::string& message) {
  Napi::Error err = Napi::TypeError::New(env, message);
  err.Set("code", Napi::String::New(env, "ERR_SWIM_CONFIG"));
  err.ThrowAsJavaScriptException();
}

// A Uint8Array view's bytes, or false.
bool BytesOf(Napi::Value v, const uint8_t** data, size_t* size) {
  if (!v.IsTypedArray()) return false;
  Napi::TypedArray ta = v.As<Napi::TypedArray>();
  if (ta.TypedArrayType() != napi_uint8_array) return false;
  Napi::Uint8Array u8 = v.As<Napi::Uint8Array>();
  *data = u8.Data();
  *size = u8.ByteLength();
  return true;
}

class CipherWrap : public Napi::ObjectWrap<CipherWrap> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "PacketCipher",
                       {InstanceMethod<&CipherWrap::Seal>("seal"),
                        InstanceMethod<&CipherWrap::Open>("open"),
                        InstanceAccessor<&CipherWrap::Overhead>("overhead"),
                        InstanceAccessor<&CipherWrap::Name>("name")});
  }

  explicit CipherWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<CipherWrap>(info) {
    Napi::Env env = info.Env();
    swim::io::CipherConfig config;
    std::string error;
    if (!ParseCipherConfig(info[0], &config, &error)) {
      if (!env.IsExceptionPending()) ThrowConfig(env, error);  // a throwing getter wins
      return;
    }
    cipher_ = swim::io::make_cipher(config, &error);
    for (auto& k : config.keys) std::fill(k.begin(), k.end(), 0);
    if (!cipher_) ThrowConfig(env, error);
  }

 private:
  // seal(plain: Uint8Array): Buffer
  Napi::Value Seal(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    const uint8_t* data = nullptr;
    size_t size = 0;
    if (!BytesOf(info[0], &data, &size)) {
      Napi::TypeError::New(env, "seal() expects a Uint8Array").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    if (!cipher_->seal(data, size, &scratch_)) {
      Napi::Error::New(env, "OpenSSL failed to encrypt the packet").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    return Napi::Buffer<uint8_t>::Copy(env, scratch_.data(), scratch_.size());
  }

  // open(datagram: Uint8Array): Buffer | string — the drop reason when rejected.
  Napi::Value Open(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    const uint8_t* data = nullptr;
    size_t size = 0;
    if (!BytesOf(info[0], &data, &size)) {
      Napi::TypeError::New(env, "open() expects a Uint8Array").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    swim::io::CipherDrop drop = cipher_->open(data, size, &scratch_);
    if (drop != swim::io::CipherDrop::Ok)
      return Napi::String::New(env, swim::io::cipher_drop_name(drop));
    return Napi::Buffer<uint8_t>::Copy(env, scratch_.data(), scratch_.size());
  }

  Napi::Value Overhead(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), static_cast<double>(cipher_->overhead()));
  }

  Napi::Value Name(const Napi::CallbackInfo& info) { return Napi::String::New(info.Env(), cipher_->name()); }

  std::unique_ptr<swim::io::PacketCipher> cipher_;  // never null once constructed
  std::vector<uint8_t> scratch_;
};

#ifdef SWIM_TEST_HOOKS
// _benchCodecCipher(config, plainDatagram, iterations) -> [encodeSealNs, openDecodeNs]
// Benchmark hook (bench/crypto.mjs; test build only): the worker's per-datagram path
// without JavaScript in the loop: encode_packet + seal, then open + decode_packet,
// `iterations` times each. The bench calls it in small batches so the JS thread is never
// held for long.
// algo 'none' measures the plain codec alone (no cipher call at all).
Napi::Value BenchCodecCipher(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  swim::io::CipherConfig config;
  std::string error;
  const uint8_t* data = nullptr;
  size_t size = 0;
  if (!ParseCipherConfig(info[0], &config, &error) || !BytesOf(info[1], &data, &size) ||
      !info[2].IsNumber()) {
    if (!env.IsExceptionPending()) ThrowConfig(env, error.empty() ? "bad arguments" : error);
    return env.Undefined();
  }
  std::unique_ptr<swim::io::PacketCipher> cipher;
  if (config.algo != swim::io::CipherAlgo::None) {
    cipher = swim::io::make_cipher(config, &error);
    if (!cipher) {
      ThrowConfig(env, error);
      return env.Undefined();
    }
  }
  int64_t iterations = info[2].As<Napi::Number>().Int64Value();
  std::vector<uint8_t> source(data, data + size);  // payload views of `packet` point here
  swim::Packet packet;
  if (!swim::decode_packet(source.data(), source.size(), &packet).ok()) {
    Napi::TypeError::New(env, "not a valid plain datagram").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  std::vector<uint8_t> plain(swim::kMaxPacketSize), wire, opened;
  swim::Packet decoded;
  size_t checksum = 0;  // keeps the loops observable to the optimizer

  auto t0 = std::chrono::steady_clock::now();
  for (int64_t i = 0; i < iterations; ++i) {
    swim::EncodeResult r = swim::encode_packet(packet, plain.data(), plain.size());
    if (!r.ok) break;
    if (cipher) {
      if (!cipher->seal(plain.data(), r.size, &wire)) break;
      checksum += wire.size();
    } else {
      checksum += r.size;
    }
  }
  auto t1 = std::chrono::steady_clock::now();
  // The datagram to open: sealed once more outside the timed loop.
  swim::EncodeResult r = swim::encode_packet(packet, plain.data(), plain.size());
  if (cipher) cipher->seal(plain.data(), r.size, &wire);
  else wire.assign(plain.begin(), plain.begin() + r.size);
  auto t2 = std::chrono::steady_clock::now();
  for (int64_t i = 0; i < iterations; ++i) {
    const uint8_t* p = wire.data();
    size_t n = wire.size();
    if (cipher) {
      if (cipher->open(wire.data(), wire.size(), &opened) != swim::io::CipherDrop::Ok) break;
      p = opened.data();
      n = opened.size();
    }
    if (!swim::decode_packet(p, n, &decoded).ok()) break;
    checksum += decoded.dissemination.size();
  }
  auto t3 = std::chrono::steady_clock::now();
  using ns = std::chrono::nanoseconds;
  Napi::Array out = Napi::Array::New(env, 3);
  out.Set(0u, Napi::Number::New(env, static_cast<double>(std::chrono::duration_cast<ns>(t1 - t0).count())));
  out.Set(1u, Napi::Number::New(env, static_cast<double>(std::chrono::duration_cast<ns>(t3 - t2).count())));
  out.Set(2u, Napi::Number::New(env, static_cast<double>(checksum)));
  return out;
}
#endif  // SWIM_TEST_HOOKS

}  // namespace

bool ParseCipherConfig(Napi::Value value, swim::io::CipherConfig* out, std::string* error) {
  if (!value.IsObject()) {
    *error = "codec config must be an object";
    return false;
  }
  Napi::Object obj = value.As<Napi::Object>();
  Napi::Value algo = obj.Get("algo");
  if (!algo.IsString() || !ParseAlgo(algo.As<Napi::String>().Utf8Value(), &out->algo)) {
    *error = "unknown codec algo (expected 'none', 'aes128', 'aes192', 'aes256' or 'aes-gcm')";
    return false;
  }
  using A = swim::io::CipherAlgo;
  if (out->algo == A::Aes128 || out->algo == A::Aes192 || out->algo == A::Aes256) {
    Napi::Value mode = obj.Get("mode");
    if (!mode.IsString() || !ParseMode(mode.As<Napi::String>().Utf8Value(), &out->mode)) {
      *error = "unknown codec mode (expected 'ecb', 'cbc', 'cfb' or 'ofb')";
      return false;
    }
  }
  out->keys.clear();
  if (out->algo == A::None) return true;
  Napi::Value keys = obj.Get("keys");
  if (!keys.IsArray()) {
    *error = "codec keys must be an array of Uint8Array";
    return false;
  }
  Napi::Array arr = keys.As<Napi::Array>();
  uint32_t n = arr.Length();
  if (n > swim::io::kMaxRingKeys) {
    *error = "too many codec keys";
    return false;
  }
  for (uint32_t i = 0; i < n; ++i) {
    const uint8_t* data = nullptr;
    size_t size = 0;
    if (!BytesOf(arr.Get(i), &data, &size)) {
      *error = "codec key " + std::to_string(i) + " must be a Uint8Array";
      return false;
    }
    out->keys.emplace_back(data, data + size);
  }
  return true;
}

void InitCrypto(Napi::Env env, Napi::Object exports) {
  exports.Set("PacketCipher", CipherWrap::Define(env));
#ifdef SWIM_TEST_HOOKS
  exports.Set("_benchCodecCipher", Napi::Function::New(env, BenchCodecCipher, "_benchCodecCipher"));
#endif  // SWIM_TEST_HOOKS
}

}  // namespace swim_binding
