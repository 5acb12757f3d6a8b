// bench/codec: the core codec alone, in C++ (no JavaScript, no N-API): decode + re-encode
// of one datagram in a loop. Built by bench/codec.mjs with the addon's optimisation level.
// Usage: codec_core FILE SECONDS  -> one JSON line of ns/op figures.
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "core/codec.h"

namespace {

using Clock = std::chrono::steady_clock;

template <typename F>
double best_ns_per_op(double seconds, F&& op) {
  // Batches of a fixed size; the best batch is the figure (least disturbed by the other
  // processes sharing the machine).
  const int batch = 2000;
  double best = 1e300;
  auto end = Clock::now() + std::chrono::duration<double>(seconds);
  while (Clock::now() < end) {
    auto t0 = Clock::now();
    for (int i = 0; i < batch; ++i) op();
    double ns = std::chrono::duration<double, std::nano>(Clock::now() - t0).count() / batch;
    if (ns < best) best = ns;
  }
  return best;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: codec_core FILE SECONDS\n");
    return 2;
  }
  std::vector<uint8_t> in;
  if (FILE* f = std::fopen(argv[1], "rb")) {
    uint8_t buf[4096];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) in.insert(in.end(), buf, buf + n);
    std::fclose(f);
  }
  double seconds = std::atof(argv[2]);
  swim::Packet p;
  if (!swim::decode_packet(in.data(), in.size(), &p).ok()) {
    std::fprintf(stderr, "codec_core: input does not decode\n");
    return 1;
  }
  uint8_t out[swim::kMaxPacketSize];
  volatile size_t sink = 0;  // keeps the loops' results alive
  bool mismatch = false;

  double decode_ns = best_ns_per_op(seconds / 3, [&] {
    p.clear();
    swim::decode_packet(in.data(), in.size(), &p);
    sink = sink + p.anti_entropy.size();
  });
  double encode_ns = best_ns_per_op(seconds / 3, [&] {
    swim::EncodeResult r = swim::encode_packet(p, out, sizeof out);
    sink = sink + r.size;
  });
  double round_ns = best_ns_per_op(seconds / 3, [&] {
    p.clear();
    swim::decode_packet(in.data(), in.size(), &p);
    swim::EncodeResult r = swim::encode_packet(p, out, sizeof out);
    if (r.size != in.size()) mismatch = true;
    sink = sink + r.size;
  });
  if (mismatch || std::memcmp(out, in.data(), in.size()) != 0) {
    std::fprintf(stderr, "codec_core: re-encoding differs from the input\n");
    return 1;
  }
  std::printf("{\"decodeNs\":%.2f,\"encodeNs\":%.2f,\"roundTripNs\":%.2f}\n", decode_ns, encode_ns, round_ns);
  return 0;
}
