// Internal consistency of an engine, verified after every entry point when built with
// -DSWIM_ENGINE_CHECKS (native/core/test/run.sh does): aborts with the first broken
// invariant. O(N * waits) per call, so compiled out of production builds.
#include <cstdio>
#include <cstdlib>

#include "core/engine_impl.h"

#ifdef SWIM_ENGINE_CHECKS

namespace swim {

void Engine::Impl::check_invariants(const char* where) const {
  auto fail = [where](const char* what) {
    std::fprintf(stderr, "engine invariant broken after %s: %s\n", where, what);
    std::abort();
  };
  uint32_t live = 0, confirmed_members = 0;
  for (uint32_t s = 0; s < table.capacity(); ++s) {
    const Member& x = table.at(s);
    if (!x.live()) {
      if (x.flags != 0 || x.payload != nullptr) fail("free slot not clean");
      continue;
    }
    ++live;
    if (x.has(MemberFlag::Confirmed)) ++confirmed_members;
    if (s == self && x.has(MemberFlag::Confirmed)) fail("self confirmed");
    if (table.find(x.uuid) != s) fail("index does not find a member");
    if ((x.payload == nullptr) != (x.payload_size == 0)) fail("payload pointer/size mismatch");
    if (x.has(MemberFlag::WaitingAck) && !quitting && !waits.contains(s, x.ping_deadline))
      fail("waiting without a heap entry");
    if (x.has(MemberFlag::Suspicion) != suspicions.contains(s)) fail("suspicion flag and record disagree");
    if (!quitting && x.has(MemberFlag::Suspicion) != (x.status == Status::Suspected && s != self))
      fail("suspicion record without a suspected member (or the reverse)");
    if (x.has(MemberFlag::Suspicion) && suspicions.find(s)->incarnation != x.incarnation)
      fail("suspicion of another incarnation");
  }
  if (live != table.size()) fail("size mismatch");
  if (suspicions.size() > table.size()) fail("suspicions of members that are gone");
  if (confirmed_members != confirmed) fail("confirmed count mismatch");
  if (const char* bad = dissemination.check()) fail(bad);
  if (recent_n > kRecent) fail("too many recent changes");
  for (uint32_t i = 0; i < recent_n; ++i) {
    if (recent[i] >= table.capacity() || !table.at(recent[i]).live()) fail("a recent change of a member that is gone");
    for (uint32_t j = 0; j < i; ++j)
      if (recent[j] == recent[i]) fail("a recent change listed twice");
  }
  if (const char* bad = events.check(table)) fail(bad);
  if (const char* bad = pending.check()) fail(bad);
  if (const char* bad = contacts.check()) fail(bad);
  if (pending.size() > 0)
    for (uint32_t s = 0; s < table.capacity(); ++s)
      if (table.at(s).live() && pending.contains(table.at(s).uuid)) fail("a known member waits for a probe");
  if (quitting && pending.size() != 0) fail("probes pending after quit");
  if (configured()) {
    const Member& me = table.at(self);
    if (!me.live() || !me.has(MemberFlag::PayloadFresh)) fail("self missing or stale");
    if (!quitting && me.status != Status::Alive) fail("self not alive");
  }
}

}  // namespace swim

#endif  // SWIM_ENGINE_CHECKS
