// Uniform draws without replacement from slot numbers 0..n-1: a partial Fisher-Yates
// shuffle over a permutation kept between uses. Each begin() starts a fresh sample; each
// next() costs O(1) and is uniform over the slots not drawn yet, whatever order the kept
// permutation is in. Used for the k indirect-ping proxies, so every member is equally
// likely (a run of neighbouring slots from a random start favours the slots after a gap of
// free ones and always picks neighbours together).
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include "core/member_table.h"
#include "core/rng.h"

namespace swim {

class Sampler {
 public:
  void begin(uint32_t n) {
    if (perm_.size() > n) perm_.clear();
    for (uint32_t i = static_cast<uint32_t>(perm_.size()); i < n; ++i) perm_.push_back(i);
    pos_ = 0;
  }
  // The next slot of the sample, or kNoSlot once all n were drawn.
  uint32_t next(Rng& rng) {
    uint32_t n = static_cast<uint32_t>(perm_.size());
    if (pos_ >= n) return kNoSlot;
    uint32_t j = pos_ + rng.below(n - pos_);
    std::swap(perm_[pos_], perm_[j]);
    return perm_[pos_++];
  }

 private:
  std::vector<uint32_t> perm_;
  uint32_t pos_ = 0;
};

}  // namespace swim
