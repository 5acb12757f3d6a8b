// The event merge rules of event_log.h, on the EventLog itself and through the Engine.
#include <string>

#include "core/event_log.h"
#include "core/member_table.h"
#include "core/test/check.h"
#include "core/test/sim_cluster.h"

namespace swim_test {

namespace {

// A member table and an event log kept side by side, as the engine keeps them.
struct LogFixture {
  MemberTable table;
  EventLog log;

  uint32_t add(uint32_t node) {
    uint32_t slot = table.insert(node_uuid(node));
    table.at(slot).set_addr(node_addr(node));
    log.record(slot, kEvNew);
    return slot;
  }
  void drop(uint32_t slot) {
    if (MemberSnapshot* last = log.drop(slot)) {
      last->uuid = table.at(slot).uuid;
      last->status = table.at(slot).status;
    }
    table.erase(slot);
  }
  std::vector<MemberEvent> take() {
    std::vector<MemberEvent> out;
    log.take(&out, [this](uint32_t slot, MemberSnapshot* m) {
      m->uuid = table.at(slot).uuid;
      m->status = table.at(slot).status;
    });
    return out;
  }
  void ok(const char* where) {
    const char* bad = log.check(table);
    CHECK(bad == nullptr, "%s: %s", where, bad);
  }
};

bool is(const MemberEvent& e, uint32_t node, uint32_t mask) { return e.member.uuid == node_uuid(node) && e.mask == mask; }

// Rule 1: changes merge into the undelivered entry: union of bits, latest state.
void test_log_merge() {
  LogFixture f;
  uint32_t a = f.add(1);
  uint32_t b = f.add(2);
  f.log.record(a, kEvNewStatus);
  f.table.at(a).status = Status::Suspected;
  f.log.record(a, kEvNewPayload);
  CHECK(f.log.pending() == 2 && f.log.pending_mask(a) == (kEvNew | kEvNewStatus | kEvNewPayload), "merged");
  f.ok("merge");
  std::vector<MemberEvent> ev = f.take();
  CHECK(ev.size() == 2 && is(ev[0], 1, kEvNew | kEvNewStatus | kEvNewPayload) && is(ev[1], 2, kEvNew),
        "one event per member, in creation order");
  CHECK(ev.size() == 2 && ev[0].member.status == Status::Suspected, "the latest state");
  CHECK(f.log.pending() == 0 && f.log.pending_mask(a) == 0 && f.log.stored() == 0, "delivered");
  f.log.record(b, kEvNewUri);
  f.log.record(a, kEvNewStatus);
  f.log.record(b, kEvNewVersion);
  ev = f.take();
  CHECK(ev.size() == 2 && is(ev[0], 2, kEvNewUri | kEvNewVersion) && is(ev[1], 1, kEvNewStatus),
        "order of first change, not of last");
  f.ok("merge end");
}

// Rule 2: added and dropped before delivery: no event at all.
void test_log_added_and_dropped() {
  LogFixture f;
  uint32_t a = f.add(1);
  uint32_t b = f.add(2);
  f.log.record(a, kEvNewStatus);
  f.drop(a);
  CHECK(f.log.pending() == 1 && f.log.pending_mask(a) == 0, "only the other member pends");
  f.ok("void");
  std::vector<MemberEvent> ev = f.take();
  CHECK(ev.size() == 1 && is(ev[0], 2, kEvNew), "no event for the dropped newcomer");
  (void)b;
}

// Rule 3: delivered, dropped, re-added with the same UUID before delivery: the drop (with
// the last state it had) and then the new member.
void test_log_drop_then_readd() {
  LogFixture f;
  uint32_t a = f.add(1);
  f.take();
  f.table.at(a).status = Status::Dead;
  f.log.record(a, kEvNewStatus);
  f.drop(a);
  uint32_t again = f.add(1);
  CHECK(again == a, "the slot is reused");
  CHECK(f.log.pending() == 2, "a drop and a new entry pend: %zu", f.log.pending());
  f.ok("drop then re-add");
  std::vector<MemberEvent> ev = f.take();
  CHECK(ev.size() == 2 && is(ev[0], 1, kEvNewStatus | kEvDrop) && is(ev[1], 1, kEvNew),
        "drop merged with the pending status, then new");
  CHECK(ev.size() == 2 && ev[0].member.status == Status::Dead && ev[1].member.status == Status::Alive,
        "the drop carries the last state");
  // Dropped again before delivery: the newcomer vanishes, the first drop stays.
  f.take();
  f.drop(again);
  again = f.add(1);
  f.drop(again);
  ev = f.take();
  CHECK(ev.size() == 1 && is(ev[0], 1, kEvDrop), "one drop for a member the driver knew");
}

// Rule 4 and the bound: a drop takes the place of the member's entry; churn without
// delivery keeps at most one entry per live member plus the drops, voids compacted.
void test_log_bounded() {
  LogFixture f;
  std::vector<uint32_t> known;
  for (uint32_t i = 0; i < 100; ++i) known.push_back(f.add(i));
  f.take();
  f.log.record(known[10], kEvNewUri);
  f.log.record(known[20], kEvNewUri);
  f.drop(known[10]);
  std::vector<MemberEvent> ev = f.take();
  CHECK(ev.size() == 2 && is(ev[0], 10, kEvNewUri | kEvDrop) && is(ev[1], 20, kEvNewUri), "drop in place");
  known.erase(known.begin() + 10);
  uint32_t mark = 0;
  for (uint32_t round = 0; round < 2000; ++round) {
    uint32_t s = f.add(1000 + round);
    f.log.record(known[round % known.size()], kEvNewPayload);
    f.drop(s);
    if (round % 250 == 0) f.ok("churn");
    mark = std::max<uint32_t>(mark, static_cast<uint32_t>(f.log.stored()));
  }
  CHECK(f.log.pending() == known.size(), "one entry per changed member: %zu", f.log.pending());
  CHECK(mark <= 2 * known.size() + 64, "storage bounded: at most %u entries held", mark);
  for (uint32_t i = 0; i < 30; ++i) f.drop(known[i]);
  CHECK(f.log.pending() == known.size(), "drops replace pending entries: %zu", f.log.pending());
  f.ok("bounded");
  ev = f.take();
  CHECK(ev.size() == known.size() && (ev[0].mask & kEvDrop) && !(ev.back().mask & kEvDrop),
        "entries keep their place: %zu", ev.size());
}

// The same rules through the Engine's commands.
void test_engine_event_rules() {
  Engine e(g_seed);
  ConfigPatch p = node_config(0);
  CHECK(e.configure(p, 0) == CommandError::Ok, "configure");
  e.add_member(node_addr(1), node_uuid(1), 0);
  e.set_payload(reinterpret_cast<const uint8_t*>("a"), 1, true, 0);
  e.set_payload(reinterpret_cast<const uint8_t*>("bc"), 2, true, 0);
  CHECK(e.pending_events() == 2, "self and one member: %zu", e.pending_events());
  std::vector<MemberEvent> ev;
  e.take_events(&ev);
  CHECK(ev.size() == 2 && ev[0].member.is_self && ev[0].mask == (kEvNew | kEvNewPayload | kEvNewVersion) &&
            std::string(ev[0].member.payload.begin(), ev[0].member.payload.end()) == "bc",
        "self: merged bits, latest payload");
  CHECK(ev.size() == 2 && is(ev[1], 1, kEvNew), "then the added member");
  e.add_member(node_addr(2), node_uuid(2), 0);
  e.remove_member(node_uuid(2), 0);
  CHECK(!e.has_events() && e.pending_events() == 0, "added and removed before delivery: nothing");
  e.remove_member(node_uuid(1), 0);
  e.add_member(node_addr(5), node_uuid(1), 0);
  ev.clear();
  e.take_events(&ev);
  CHECK(ev.size() == 2 && is(ev[0], 1, kEvDrop) && ev[0].member.addr == node_addr(1) && is(ev[1], 1, kEvNew) &&
            ev[1].member.addr == node_addr(5),
        "removed and re-added: the drop with the old state, then the new member");
  CHECK(!e.has_events(), "all delivered");
}

// Events as a cluster produces them: merged status + drop of a dead member.
void test_events() {
  SimCluster c(2, g_seed, 1);
  std::vector<MemberEvent> ev;
  c.take_events(0, &ev);
  ev.clear();
  c.add_member(0, node_addr(5), node_uuid(5));
  c.remove_member(0, node_uuid(5));
  CHECK(!c.e(0).has_events(), "added and dropped before delivery: nothing");
  c.take_events(0, &ev);
  CHECK(ev.empty(), "no events for it");
  c.interconnect(0, 1);
  c.take_events(0, &ev);
  CHECK(ev.size() == 1 && ev[0].mask == kEvNew && ev[0].member.uuid == node_uuid(1), "new member");
  ev.clear();
  c.set_payload(0, "123", 3, true);
  c.take_events(0, &ev);
  CHECK(ev.size() == 1 && ev[0].mask == (kEvNewPayload | kEvNewVersion) && ev[0].member.is_self,
        "self payload: payload + version");
  ev.clear();
  c.set_drop(1, 1, 1);
  CHECK(c.run_until([&] { return c.status(0, 1) == static_cast<int>(Status::Suspected); }, 3) >= 0, "suspected");
  c.take_events(0, &ev);
  CHECK(ev.size() == 1 && ev[0].mask == kEvNewStatus && ev[0].member.status == Status::Suspected, "status");
  ev.clear();
  CHECK(c.run_until([&] { return c.status(0, 1) == static_cast<int>(Status::Dead); }, 4) >= 0, "dead");
  CHECK(c.run_until([&] { return c.status(0, 1) == -1; }, 4) >= 0, "dropped");
  c.take_events(0, &ev);
  CHECK(ev.size() == 1 && ev[0].mask == (kEvNewStatus | kEvDrop) && ev[0].member.status == Status::Dead &&
            ev[0].member.uuid == node_uuid(1),
        "merged dead + drop with the last snapshot (%zu events, mask %u)", ev.size(),
        ev.empty() ? 0 : ev[0].mask);
}

}  // namespace

void event_log_tests(std::vector<Test>* out) {
  out->insert(out->end(), {
      {"log_merge", test_log_merge},
      {"log_added_and_dropped", test_log_added_and_dropped},
      {"log_drop_then_readd", test_log_drop_then_readd},
      {"log_bounded", test_log_bounded},
      {"engine_event_rules", test_engine_event_rules},
      {"events", test_events},
  });
}

}  // namespace swim_test
