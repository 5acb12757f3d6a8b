// Runs the engine's C++ checks over a range of seeds (see run.sh):
//   engine_checks [first-seed [seed-count [name-filter]]]
// Prints one line per test and seed, then "<n> checks, <f> failures over <s> seeds".
#include <cstdlib>
#include <cstring>

#include "core/test/check.h"

namespace swim_test {
int g_failures = 0;
int g_checks = 0;
uint64_t g_seed = 1;
}  // namespace swim_test

using namespace swim_test;

int main(int argc, char** argv) {
  uint64_t first = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 1;
  uint64_t seeds = argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 3;
  const char* only = argc > 3 ? argv[3] : nullptr;
  std::vector<Test> tests;
  scenario_tests(&tests);
  unit_tests(&tests);
  event_log_tests(&tests);
  lifeguard_tests(&tests);
  hostile_tests(&tests);
  healing_tests(&tests);
  for (uint64_t seed = first; seed < first + seeds; ++seed) {
    for (const Test& t : tests) {
      if (only != nullptr && std::strstr(t.name, only) == nullptr) continue;
      g_seed = seed;
      int before = g_failures;
      t.fn();
      std::printf("%s (seed %llu): %s\n", t.name, (unsigned long long)seed, g_failures != before ? "FAILED" : "ok");
      std::fflush(stdout);
    }
  }
  std::printf("%d checks, %d failures over %llu seeds\n", g_checks, g_failures, (unsigned long long)seeds);
  return g_failures == 0 ? 0 : 1;
}
