// Lifeguard's local health ("awareness", memberlist's awareness.go): a score 0..kMax of how
// much this member doubts its own ability to reach others. It rises when a missed ack is
// more likely our fault than the target's (nobody answered us at all meanwhile) and when we
// must refute a suspicion of ourselves; it falls with every answered probe. The engine
// stretches its round interval and ack timeouts by (score + 1), so a member that can reach
// nobody slows down and doubts itself before it accuses anyone. Local only: nothing of it
// travels on the wire. See docs/protocol.md#lifeguard.
#pragma once

#include <cstdint>

namespace swim {

class Awareness {
 public:
  static constexpr int kMax = 8;  // memberlist's AwarenessMaxMultiplier - 1: up to 9x slower

  int score() const { return score_; }
  bool at_max() const { return score_ >= kMax; }
  void apply(int delta) {
    int s = score_ + delta;
    score_ = s < 0 ? 0 : (s > kMax ? kMax : s);
  }
  void reset() { score_ = 0; }
  // A duration stretched by the score: t * (score + 1).
  int64_t scale(int64_t t) const { return t * (score_ + 1); }

 private:
  int score_ = 0;
};

}  // namespace swim
