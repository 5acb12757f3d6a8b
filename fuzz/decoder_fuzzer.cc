// libFuzzer target over the datagram decoder (scripts/fuzz.sh builds and runs it).
//
// Any input: decode_packet must return, without reading past the input (ASan) or hitting
// undefined behaviour (UBSan). When it accepts the input, the packet must survive
// encode -> decode unchanged, and encoding that result again must give the same bytes
// (the encoder is deterministic and the decoder loses nothing it accepted).
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "core/codec.h"

namespace {

[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "decoder_fuzzer: round-trip mismatch: %s\n", what);
  std::abort();
}

bool same_bytes(const swim::Bytes& a, const swim::Bytes& b) {
  return a.size == b.size && (a.size == 0 || std::memcmp(a.data, b.data, a.size) == 0);
}

void check_members(const std::vector<swim::MemberRecord>& a, const std::vector<swim::MemberRecord>& b,
                   const char* section) {
  if (a.size() != b.size()) fail(section);
  for (size_t i = 0; i < a.size(); ++i) {
    const swim::MemberRecord& x = a[i];
    const swim::MemberRecord& y = b[i];
    if (x.status != y.status || x.addr != y.addr || x.uuid != y.uuid || x.incarnation != y.incarnation ||
        x.has_payload != y.has_payload || (x.has_payload && !same_bytes(x.payload, y.payload)))
      fail(section);
  }
}

void check_equal(const swim::Packet& a, const swim::Packet& b) {
  if (a.meta.version != b.meta.version || a.meta.src != b.meta.src) fail("meta");
  if (a.meta.has_route != b.meta.has_route) fail("meta.route presence");
  if (a.meta.has_route && (a.meta.route.src != b.meta.route.src || a.meta.route.dst != b.meta.route.dst))
    fail("meta.route");
  if (a.source != b.source) fail("source uuid");
  if (a.has_failure_detection != b.has_failure_detection) fail("failure detection presence");
  if (a.has_failure_detection && (a.failure_detection.type != b.failure_detection.type ||
                                  a.failure_detection.incarnation != b.failure_detection.incarnation))
    fail("failure detection");
  // An empty member array may be dropped by the encoder (it writes no empty sections).
  if (!a.dissemination.empty() || !b.dissemination.empty()) {
    if (a.has_dissemination != b.has_dissemination) fail("dissemination presence");
    check_members(a.dissemination, b.dissemination, "dissemination");
  }
  if (!a.anti_entropy.empty() || !b.anti_entropy.empty()) {
    if (a.has_anti_entropy != b.has_anti_entropy) fail("anti-entropy presence");
    check_members(a.anti_entropy, b.anti_entropy, "anti-entropy");
  }
  if (a.has_quit != b.has_quit) fail("quit presence");
  if (a.has_quit && a.quit != b.quit) fail("quit");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  swim::Packet first;
  swim::DecodeResult r = swim::decode_packet(data, size, &first);
  if (!r.ok()) {
    if (swim::decode_error_name(r.error) == nullptr) fail("unnamed decode error");
    return 0;
  }
  // A decoded packet can be larger than one datagram (the fuzzer's inputs are), so
  // re-encode with room for everything it holds.
  std::vector<uint8_t> buf(size * 2 + 4096);
  swim::EncodeResult e1 = swim::encode_packet(first, buf.data(), buf.size());
  if (!e1.ok || e1.size > buf.size()) fail("encode of a decoded packet failed");
  if (e1.dissemination_fitted != first.dissemination.size() || e1.anti_entropy_fitted != first.anti_entropy.size())
    fail("not every record re-encoded");

  swim::Packet second;
  swim::DecodeResult r2 = swim::decode_packet(buf.data(), e1.size, &second);
  if (!r2.ok()) {
    std::fprintf(stderr, "re-decode failed: %s at %s\n", swim::decode_error_name(r2.error), r2.where);
    fail("decode of our own encoding");
  }
  check_equal(first, second);

  std::vector<uint8_t> buf2(buf.size());
  swim::EncodeResult e2 = swim::encode_packet(second, buf2.data(), buf2.size());
  if (!e2.ok || e2.size != e1.size || std::memcmp(buf.data(), buf2.data(), e1.size) != 0)
    fail("encoding is not deterministic");
  return 0;
}
