// Engine scale check on the simulator: N nodes bootstrapped as a chain, run to fullmesh,
// kill one, run to its death everywhere, then up to 300 virtual s. Built by run.sh:
//   build/core-test/engine_bench N [seed]
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>

#include "core/test/sim_cluster.h"

using namespace swim_test;

static long rss_kib(const char* key) {
  std::ifstream f("/proc/self/status");
  std::string line;
  while (std::getline(f, line))
    if (line.compare(0, std::strlen(key), key) == 0) return std::atol(line.c_str() + std::strlen(key));
  return -1;
}

int main(int argc, char** argv) {
  uint32_t n = argc > 1 ? std::atoi(argv[1]) : 1000;
  uint64_t seed = argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 1;
  auto t0 = std::chrono::steady_clock::now();
  SimCluster c(n, seed, 1, GcMode::On, /*keep_events=*/false);
  for (uint32_t i = 0; i + 1 < n; ++i) c.add_link(i, i + 1);
  long base = rss_kib("VmRSS:");
  double fm = -1;
  for (int s = 0; s < 300 && fm < 0; ++s) {
    c.run_for(1);
    if (c.fullmesh()) fm = c.seconds();
  }
  long full = rss_kib("VmRSS:");
  uint32_t victim = n / 2;
  c.kill(victim);
  double killed_at = c.seconds();
  // Dead or already forgotten (gc on) by every other node: a mix of both counts.
  double dead = c.run_until(
      [&] {
        for (uint32_t i = 0; i < n; ++i)
          if (i != victim && c.status(i, victim) != 2 && c.status(i, victim) != -1) return false;
        return true;
      },
      300);
  double rest = 300 - c.seconds();
  uint64_t pk0 = 0, by0 = 0;
  double t_mid = c.seconds();
  for (uint32_t i = 0; i < n; ++i) {
    pk0 += c.e(i).stats().packets_sent;
    by0 += c.e(i).stats().bytes_sent;
  }
  if (rest > 0) c.run_for(rest);
  double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  uint64_t pk = 0, by = 0;
  for (uint32_t i = 0; i < n; ++i) {
    pk += c.e(i).stats().packets_sent;
    by += c.e(i).stats().bytes_sent;
  }
  std::printf("N=%u seed=%llu fullmesh=%.0fs dead-everywhere=%.0fs after kill at %.0fs (log2 N=%.1f)\n", n,
              (unsigned long long)seed, fm, dead, killed_at, std::log2(n));
  std::printf("virtual %.0fs, wall %.1fs (%.1f us per node-second), packets/node/s %.2f, bytes/node/s %.0f\n",
              c.seconds(), wall, wall * 1e6 / (n * c.seconds()), double(pk) / n / c.seconds(),
              double(by) / n / c.seconds());
  std::printf("steady state (%.0fs..%.0fs): packets/node/s %.2f, bytes/node/s %.0f\n", t_mid, c.seconds(),
              double(pk - pk0) / n / (c.seconds() - t_mid), double(by - by0) / n / (c.seconds() - t_mid));
  std::printf("RSS: %ld MiB before bootstrap, %ld MiB at fullmesh (%.0f B per member record incl. simulator), peak %ld MiB\n",
              base / 1024, full / 1024, (full - base) * 1024.0 / (double(n) * n), rss_kib("VmHWM:") / 1024);
  return 0;
}
