// A tiny deterministic harness for the engine tests: N engines at 127.0.0.1:1..N on a
// virtual clock, an in-memory network with per-node drop rates, blocked I/O and cut links.
// Not the simulator (native/sim); just enough to check protocol behaviour from C++.
#pragma once

#include <cstdint>
#include <cstdio>
#include <memory>
#include <queue>
#include <vector>

#include "core/engine.h"
#include "core/rng.h"

namespace swim_test {

using namespace swim;

inline Uuid node_uuid(uint32_t i) {  // i is 0-based; UUID ...0001 for node 0
  Uuid u;
  u.bytes[6] = 0x10;
  u.bytes[8] = 0x80;
  u.bytes[14] = static_cast<uint8_t>((i + 1) >> 8);
  u.bytes[15] = static_cast<uint8_t>(i + 1);
  return u;
}

inline Addr node_addr(uint32_t i) {
  Addr a;
  a.ip = 0x7f000001;
  a.port = static_cast<uint16_t>(i + 1);
  return a;
}

class Cluster {
 public:
  Cluster(uint32_t n, uint64_t seed, double ack_timeout = 1.0, GcMode gc = GcMode::On)
      : rng_(seed ^ 0xabcdef), seed_(seed), n_(n) {
    nodes_.resize(n);
    for (uint32_t i = 0; i < n; ++i) start(i, 0, ack_timeout, gc);
  }

  void start(uint32_t i, uint64_t generation, double ack_timeout, GcMode gc) {
    Node& nd = nodes_[i];
    nd.engine.reset(new Engine(seed_ * 1000003 + i * 7919 + generation));
    nd.generation = generation;
    nd.scheduled = kNever;
    ConfigPatch c;
    c.has_uri = true;
    c.uri = node_addr(i);
    c.has_uuid = true;
    c.uuid = node_uuid(i);
    c.has_generation = true;
    c.generation = generation;
    c.has_ack_timeout = true;
    c.ack_timeout = ack_timeout;
    c.has_gc_mode = true;
    c.gc_mode = gc;
    if (nd.engine->configure(c, now_) != CommandError::Ok) std::abort();
    nd.alive = true;
    after_input(i);
  }

  Engine& e(uint32_t i) { return *nodes_[i].engine; }
  Time now() const { return now_; }
  double seconds() const { return static_cast<double>(now_) / kSecond; }
  uint32_t size() const { return n_; }

  void add_link(uint32_t from, uint32_t to) {
    e(from).add_member(node_addr(to), node_uuid(to), now_);
    after_input(from);
  }
  void interconnect(uint32_t a, uint32_t b) {
    add_link(a, b);
    add_link(b, a);
  }

  void set_drop(uint32_t i, double in, double out) {
    nodes_[i].drop_in = in;
    nodes_[i].drop_out = out;
  }
  // Blocked I/O holds packets (as Tarantool's fake network) until unblocked.
  void block(uint32_t i, bool on) {
    nodes_[i].blocked = on;
    if (on) return;
    std::vector<InFlight> held;
    held.swap(held_);
    for (InFlight& p : held) {
      if (nodes_[p.to].blocked || nodes_[p.from.port - 1].blocked) {
        held_.push_back(std::move(p));
      } else {
        p.t = now_;
        p.seq = seq_++;
        packets_.push(std::move(p));
      }
    }
  }
  void cut(uint32_t a, uint32_t b) { cuts_.push_back({a, b}); }
  void kill(uint32_t i) { nodes_[i].alive = false; }
  void restart(uint32_t i, double ack_timeout = 1.0, GcMode gc = GcMode::On) {
    start(i, nodes_[i].generation + 1, ack_timeout, gc);
  }
  void quit(uint32_t i) {
    e(i).quit(now_);
    after_input(i);
    nodes_[i].alive = false;
  }
  void after_input(uint32_t i) {
    Node& nd = nodes_[i];
    out_.clear();
    nd.engine->take_outbox(&out_);
    for (Datagram& d : out_) send(i, d);
    if (nd.drain_events) {
      events_.clear();
      nd.engine->take_events(&events_);
    }
    Time t = nd.engine->next_deadline();
    if (t != nd.scheduled) {
      nd.scheduled = t;
      if (t != kNever) timers_.push(Timer{t, seq_++, i});
    }
  }

  // Runs until `pred()` holds (checked after every event, at most once per virtual ms)
  // or `seconds` pass. Returns the virtual seconds taken, or -1.
  template <class Pred>
  double run_until(Pred pred, double seconds) {
    Time start = now_;
    Time deadline = now_ + static_cast<Time>(seconds * kSecond);
    if (pred()) return 0;
    Time last_check = now_;
    for (;;) {
      Time t = next_event_time();
      if (t > deadline) {
        now_ = deadline;
        return pred() ? static_cast<double>(now_ - start) / kSecond : -1;
      }
      now_ = t;
      step_one();
      if (now_ != last_check || packets_.empty()) {
        if (pred()) return static_cast<double>(now_ - start) / kSecond;
        last_check = now_;
      }
    }
  }
  void run_for(double seconds) {
    run_until([] { return false; }, seconds);
  }

  // -1: absent.
  int status(uint32_t viewer, uint32_t member) {
    MemberSnapshot s;
    if (!e(viewer).member(node_uuid(member), &s)) return -1;
    return static_cast<int>(s.status);
  }
  bool fullmesh() {
    for (uint32_t i = 0; i < n_; ++i) {
      if (!nodes_[i].alive) continue;
      if (e(i).size() != n_) return false;
      for (uint32_t j = 0; j < n_; ++j)
        if (status(i, j) != 0) return false;
    }
    return true;
  }
  bool status_everywhere(uint32_t member, int st) {
    for (uint32_t i = 0; i < n_; ++i)
      if (i != member && nodes_[i].alive && status(i, member) != st) return false;
    return true;
  }
  bool status_anywhere(uint32_t member, int st) {
    for (uint32_t i = 0; i < n_; ++i)
      if (i != member && nodes_[i].alive && status(i, member) == st) return true;
    return false;
  }

  uint64_t packets() const { return packets_sent_; }
  bool drain_events = true;  // applied to nodes created later too
  void keep_events(uint32_t i) { nodes_[i].drain_events = false; }

 private:
  struct Node {
    std::unique_ptr<Engine> engine;
    uint64_t generation = 0;
    Time scheduled = kNever;
    double drop_in = 0, drop_out = 0;
    bool blocked = false, alive = true, drain_events = true;
  };
  struct Timer {
    Time t;
    uint64_t seq;
    uint32_t node;
    bool operator>(const Timer& o) const { return t != o.t ? t > o.t : seq > o.seq; }
  };
  struct InFlight {
    Time t;
    uint64_t seq;
    uint32_t to;
    Addr from;
    std::vector<uint8_t> bytes;
    bool operator>(const InFlight& o) const { return t != o.t ? t > o.t : seq > o.seq; }
  };

  bool chance(double p) { return p > 0 && (p >= 1 || rng_.next() % 1000000 < p * 1000000); }
  bool is_cut(uint32_t a, uint32_t b) const {
    for (auto& c : cuts_)
      if ((c.first == a && c.second == b) || (c.first == b && c.second == a)) return true;
    return false;
  }

  void send(uint32_t from, Datagram& d) {
    ++packets_sent_;
    if (d.broadcast) {
      for (uint32_t j = 0; j < n_; ++j)
        if (node_addr(j).port == d.to.port) deliver_later(from, j, d.bytes);
      return;
    }
    if (d.to.ip != 0x7f000001 || d.to.port == 0 || d.to.port > n_) return;
    deliver_later(from, d.to.port - 1, d.bytes);
  }
  void deliver_later(uint32_t from, uint32_t to, const std::vector<uint8_t>& bytes) {
    if (chance(nodes_[from].drop_out) || is_cut(from, to)) return;
    if (nodes_[from].blocked) {
      held_.push_back(InFlight{now_, seq_++, to, node_addr(from), bytes});
      return;
    }
    packets_.push(InFlight{now_, seq_++, to, node_addr(from), bytes});
  }

  Time next_event_time() {
    while (!timers_.empty()) {
      const Timer& t = timers_.top();
      if (t.t != nodes_[t.node].scheduled) {
        timers_.pop();
        continue;
      }
      break;
    }
    Time t = kNever;
    if (!timers_.empty()) t = timers_.top().t;
    if (!packets_.empty() && packets_.top().t <= t) t = packets_.top().t;
    return t;
  }

  void step_one() {
    if (!packets_.empty() && packets_.top().t <= now_) {
      InFlight p = packets_.top();
      packets_.pop();
      Node& nd = nodes_[p.to];
      if (nd.blocked) {
        held_.push_back(std::move(p));
        return;
      }
      if (!nd.alive || chance(nd.drop_in)) return;
      nd.engine->on_datagram(p.bytes.data(), p.bytes.size(), p.from, now_);
      after_input(p.to);
      return;
    }
    Timer t = timers_.top();
    timers_.pop();
    Node& nd = nodes_[t.node];
    nd.scheduled = kNever;
    if (!nd.alive) return;
    nd.engine->on_timer(now_);
    after_input(t.node);
  }

  Rng rng_;
  uint64_t seed_;
  uint32_t n_;
  Time now_ = 0;
  uint64_t seq_ = 0;
  uint64_t packets_sent_ = 0;
  std::vector<Node> nodes_;
  std::vector<std::pair<uint32_t, uint32_t>> cuts_;
  std::priority_queue<Timer, std::vector<Timer>, std::greater<Timer>> timers_;
  std::priority_queue<InFlight, std::vector<InFlight>, std::greater<InFlight>> packets_;
  std::vector<InFlight> held_;
  std::vector<Datagram> out_;
  std::vector<MemberEvent> events_;
};

}  // namespace swim_test
