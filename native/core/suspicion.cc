#include "core/suspicion.h"

#include <cmath>

namespace swim {

void Suspicions::start(uint32_t slot, const Incarnation& inc, int64_t now, uint64_t from) {
  Entry& e = entries_[slot];
  e = Entry();
  e.incarnation = inc;
  e.start = now;
  e.from = from;
}

const Suspicions::Entry* Suspicions::find(uint32_t slot) const {
  auto it = entries_.find(slot);
  return it == entries_.end() ? nullptr : &it->second;
}

bool Suspicions::confirm(uint32_t slot, const Incarnation& inc, uint64_t who) {
  auto it = entries_.find(slot);
  if (it == entries_.end()) return false;
  Entry& e = it->second;
  if (e.incarnation != inc || who == e.from || e.confirmations >= kMaxConfirmations) return false;
  for (uint32_t i = 0; i < e.confirmations; ++i)
    if (e.confirmers[i] == who) return false;
  e.confirmers[e.confirmations++] = who;
  return true;
}

int64_t Suspicions::timeout(int64_t min, int64_t max, uint32_t confirmations, uint32_t expected) {
  if (expected == 0 || confirmations >= expected || max <= min) return min;
  double frac = std::log(static_cast<double>(confirmations) + 1) / std::log(static_cast<double>(expected) + 1);
  int64_t t = max - static_cast<int64_t>(std::floor(static_cast<double>(max - min) * frac));
  return t < min ? min : t;
}

}  // namespace swim
