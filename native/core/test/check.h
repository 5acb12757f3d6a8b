// Support for the engine's C++ checks (built and run by run.sh): the CHECK macro and its
// counters, the seed under test, node identities, and the list every test file registers in.
#pragma once

#include <cstdint>
#include <cstdio>
#include <vector>

#include "sim/simulation.h"

namespace swim_test {

using namespace swim;

extern int g_failures;
extern int g_checks;
extern uint64_t g_seed;

#define CHECK(cond, ...)                                                         \
  do {                                                                           \
    ++::swim_test::g_checks;                                                     \
    if (!(cond)) {                                                               \
      ++::swim_test::g_failures;                                                 \
      std::printf("  FAIL %s:%d (seed %llu): %s -- ", __FILE__, __LINE__,        \
                  static_cast<unsigned long long>(::swim_test::g_seed), #cond);  \
      std::printf(__VA_ARGS__);                                                  \
      std::printf("\n");                                                         \
    }                                                                            \
  } while (0)

// Tests number nodes from 0: node i is the simulator's node i + 1, URI 127.0.0.1:(i + 1).
inline Uuid node_uuid(uint32_t i) { return sim::Simulation::node_uuid(i + 1); }
inline Addr node_addr(uint32_t i) { return sim::Simulation::node_addr(i + 1); }
// A first configure for a lone engine playing node i.
inline ConfigPatch node_config(uint32_t i) {
  ConfigPatch p;
  p.has_uri = true;
  p.uri = node_addr(i);
  p.has_uuid = true;
  p.uuid = node_uuid(i);
  return p;
}

struct Test {
  const char* name;
  void (*fn)();
};
// Each test file appends its tests, in the order they run.
void scenario_tests(std::vector<Test>* out);
void unit_tests(std::vector<Test>* out);
void event_log_tests(std::vector<Test>* out);
void lifeguard_tests(std::vector<Test>* out);
void hostile_tests(std::vector<Test>* out);
void healing_tests(std::vector<Test>* out);

}  // namespace swim_test
