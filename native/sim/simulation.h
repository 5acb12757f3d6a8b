// Deterministic simulator: many swim::Engine instances on one virtual clock over a fake
// network (loss, delay, blocked I/O, cut links, partitions). For tests and benchmarks.
//
// Nodes are numbered 1..N. Node i is configured with URI 127.0.0.1:i and UUID
// 00000000-0000-1000-8000-<i as 12 hex digits>. The clock (microseconds) jumps from one
// event to the next: an engine deadline or a packet delivery. Events at the same instant
// run in the order they were scheduled, so a run depends only on the seed and the calls
// made: same seed, same run, bit for bit.
//
// Network model:
//  - A datagram goes to whichever running node currently has `to` as its URI; none: lost.
//  - Out-drop, cut links and partitions are decided when the datagram is sent; in-drop when
//    it is delivered. Delivery is at send time + delay (fixed + uniform jitter), default 0:
//    delivered at the same virtual instant, after what is already queued for it.
//  - A blocked node keeps running its timers but its I/O is frozen: what it sends and what
//    reaches it is held, in order, and released by unblock().
//  - Broadcast: simulated hosts differ by port (127.0.0.1:i), so a broadcast on port p goes
//    to every running node whose URI port is p; on the sender's own port (the engine's
//    default: "the port every host of the cluster uses") or on port 0 it goes to every
//    running node. The sender gets its own copy, as with a real broadcast.
//  - kill(i): silent stop, nothing more is sent or processed. quit(i): engine quit, its
//    outbox (the quit packets) is flushed even when blocked, then the node stops.
//    restart(i): a fresh engine, same URI/UUID/configuration, generation + 1. The engine of a
//    stopped node is kept, frozen, so its last view can still be read.
//
// No Node headers: the binding (native/binding/sim_binding.cc) wraps this for JavaScript.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <queue>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "core/engine.h"
#include "core/rng.h"

namespace swim {
namespace sim {

constexpr uint32_t kLoopback = 0x7F000001u;  // 127.0.0.1

enum class Direction : uint8_t { In = 1, Out = 2, Both = 3 };

struct SimConfig {
  uint32_t nodes = 0;
  uint64_t seed = 0;
  // Applied to every node at creation and on restart; has_* false keeps the engine default.
  ConfigPatch base;
  // Configure each node with its URI/UUID at creation. false: engines start unconfigured
  // and the caller configures them (to test first-configure errors).
  bool configure = true;
  // Keep member events in the engines until events() drains them. false: discard them as
  // they come (benchmarks: undrained events of a big cluster cost memory).
  bool keep_events = true;
};

// Network-level counters of one node (the engine keeps its own protocol counters).
struct NodeStats {
  uint64_t packets_sent = 0, bytes_sent = 0;          // datagrams the engine emitted
  uint64_t packets_received = 0, bytes_received = 0;  // handed to the engine
  uint64_t dropped_out = 0;  // lost on send: out-drop rate, cut link, partition
  uint64_t dropped_in = 0;   // lost on delivery: in-drop rate
  uint64_t undeliverable = 0;  // sent to an address no running node has
  // How many times other nodes saw this node (by its initial UUID) enter a status: one per
  // member event with the status bit. Counted only with keep_events false, where events are
  // taken after every engine call, so no transition is merged away.
  uint64_t seen_suspected = 0, seen_dead = 0, seen_alive = 0;
};

// A condition on one member as seen from some node(s), for run_until.
struct MemberCheck {
  Uuid uuid;                // the member looked up
  uint32_t member_node = 0;  // its node, excluded from everywhere/anywhere (0: none)
  enum class Where : uint8_t { Everywhere, Anywhere, On } where = Where::Everywhere;
  uint32_t on = 0;  // Where::On: the viewing node
  bool check_status = false;
  int status = 0;  // 0..3 as Status, kAbsent: not in the member table
  bool check_incarnation = false;
  Incarnation incarnation;
  bool check_payload = false;
  bool payload_present = false;
  std::vector<uint8_t> payload;
};
constexpr int kAbsent = 4;

// A MemberCheck evaluated repeatedly (a run_until condition): after a first full pass, each
// evaluation re-checks only the nodes whose engine ran since the previous one, so waiting
// for "dead everywhere" in a big cluster costs O(nodes touched), not O(N), per instant.
struct MemberWatch {
  MemberCheck check;
  std::vector<uint8_t> state;  // per node: 0 not a viewer, 1 viewer not matching, 2 matching
  uint32_t viewers = 0, matching = 0;
  uint64_t serial = 0;  // the simulation's touch serial it is up to date with (0: never)
};

class Simulation {
 public:
  explicit Simulation(const SimConfig& cfg);
  ~Simulation();
  Simulation(const Simulation&) = delete;
  Simulation& operator=(const Simulation&) = delete;

  static Uuid node_uuid(uint32_t i);
  // The node whose initial UUID this is, or 0.
  uint32_t node_of(const Uuid& uuid) const;
  static Addr node_addr(uint32_t i);

  uint32_t size() const { return static_cast<uint32_t>(nodes_.size() - 1); }
  bool valid(uint32_t i) const { return i >= 1 && i < nodes_.size(); }
  Time now() const { return now_; }
  uint64_t seed() const { return seed_; }
  // Non-empty after an engine misbehaved (e.g. a deadline that never advances); runs stop.
  const std::string& error() const { return error_; }

  // --- nodes ---
  Engine& engine(uint32_t i) { return *nodes_[i].engine; }
  const Engine& engine(uint32_t i) const { return *nodes_[i].engine; }
  bool running(uint32_t i) const { return nodes_[i].running; }
  bool blocked(uint32_t i) const { return nodes_[i].blocked; }
  Uuid uuid(uint32_t i) const { return nodes_[i].engine->uuid(); }
  Addr uri(uint32_t i) const { return nodes_[i].engine->uri(); }
  uint64_t generation(uint32_t i) const { return nodes_[i].generation; }
  const NodeStats& node_stats(uint32_t i) const { return nodes_[i].stats; }
  NodeStats total_stats() const;

  // --- commands, passed to node i's engine at the current virtual time ---
  // Status codes beyond CommandError that only the simulator produces.
  enum class SimError : uint8_t { Ok = 0, NotRunning, AddressInUse };
  struct Result {
    CommandError command = CommandError::Ok;
    SimError sim = SimError::Ok;
    bool ok() const { return command == CommandError::Ok && sim == SimError::Ok; }
  };
  // A URI change is refused with AddressInUse when another node already has that URI
  // (as bind() would); on success the node becomes reachable at its new URI only.
  Result configure(uint32_t i, const ConfigPatch& patch);
  Result add_member(uint32_t i, uint32_t j);  // i learns j's URI and UUID
  Result add_member(uint32_t i, Addr uri, const Uuid& uuid);
  Result remove_member(uint32_t i, const Uuid& uuid);
  Result probe(uint32_t i, Addr uri);
  Result broadcast(uint32_t i, uint16_t port);
  Result set_seeds(uint32_t i, const std::vector<Addr>& seeds);
  Result set_payload(uint32_t i, const uint8_t* data, size_t size, bool present);
  Result quit(uint32_t i);
  void kill(uint32_t i);
  // seed_member != 0: the new engine learns that node (the usual way a process rejoins).
  Result restart(uint32_t i, uint32_t seed_member = 0);
  void take_events(uint32_t i, std::vector<MemberEvent>* out);

  // --- network ---
  void set_drop(uint32_t i, double rate, Direction dir);  // rate in [0, 1]
  // Delay of datagrams sent by node i (0: the default for all nodes) = fixed + U[0, jitter].
  void set_delay(uint32_t i, Time fixed, Time jitter);
  // How late every node's timers fire after their deadline = fixed + U[0, jitter] (default
  // 0: exactly on time). A real event loop's timers fire a millisecond or so late.
  void set_timer_lateness(Time fixed, Time jitter);
  void block(uint32_t i);
  void unblock(uint32_t i);
  void cut(uint32_t i, uint32_t j);
  void uncut(uint32_t i, uint32_t j);
  void partition(const std::vector<uint32_t>& a, const std::vector<uint32_t>& b);
  void heal();  // every cut link and partition is gone (drop rates and blocks stay)
  // A raw datagram to node i as if sent from `from` (anyone, not a node): delivered at the
  // current instant, after what is already queued, subject to node i's in-drop and block.
  // For hostile-input tests (forged packets, floods).
  void inject(uint32_t i, Addr from, const uint8_t* data, size_t size);

  // --- running ---
  // Processes every event at the earliest pending instant (which may be now). False when
  // nothing is pending.
  bool step();
  // Earliest pending event time, or kNever.
  Time next_event_time();
  // Runs until pred() holds or `timeout` of virtual time has passed. Events due at or
  // before the deadline are processed; pred is checked once nothing more is due at the
  // current instant. Returns the virtual time taken, or -1 (then now = start + timeout).
  Time run_until(const std::function<bool()>& pred, Time timeout);
  void run(Time duration) { run_until([] { return false; }, duration); }

  // --- conditions ---
  // Every running node has every other running node in its table, alive.
  bool fullmesh();
  bool check(const MemberCheck& c) const;
  bool check(MemberWatch* w);
  // Members of node i's table, sorted by UUID.
  void view(uint32_t i, std::vector<MemberSnapshot>* out) const;

 private:
  struct Packet {
    Addr from, to;
    uint32_t src = 0;  // sending node
    std::vector<uint8_t> bytes;
  };
  struct Event {
    Time at;
    uint64_t seq;
    uint32_t node;    // timer: the node; packet: unused
    uint32_t packet;  // kTimer for a timer
    bool operator>(const Event& o) const { return at != o.at ? at > o.at : seq > o.seq; }
  };
  static constexpr uint32_t kTimer = UINT32_MAX;
  struct Node {
    std::unique_ptr<Engine> engine;
    bool running = false;
    bool blocked = false;
    uint64_t generation = 0;
    uint32_t restarts = 0;
    ConfigPatch cfg;  // durable part of the configuration (rate, timeout, gc, k)
    double drop_in = 0, drop_out = 0;
    bool has_delay = false;
    Time delay = 0, jitter = 0;
    Time timer_at = kNever;
    uint64_t timer_seq = 0;
    std::vector<uint32_t> held_in, held_out;  // packet slots held while blocked
    NodeStats stats;
  };

  uint64_t engine_seed(uint32_t i, uint32_t restarts) const;
  void make_engine(uint32_t i);
  Result finish(uint32_t i, CommandError e);
  void after_engine(uint32_t i);
  void schedule_timer(uint32_t i);
  void send(uint32_t i, Datagram&& d, bool ignore_block);
  void transmit(uint32_t slot);
  void route(uint32_t slot, uint32_t dst);
  void deliver(uint32_t slot);
  void process(const Event& e);
  void drain_stale();
  uint32_t alloc_packet();
  void free_packet(uint32_t slot);
  uint32_t node_at(Addr a) const;
  bool matches(const MemberCheck& c, uint32_t viewer) const;
  void touch(uint32_t i) {
    if (touched_mark_[i]) return;
    touched_mark_[i] = 1;
    touched_.push_back(i);
  }
  void bind(Addr a, uint32_t i);
  void rebind(uint32_t i, Addr old_addr);
  bool is_cut(uint32_t i, uint32_t j) const;
  double uniform();
  Time draw_jitter(Time jitter);  // U[0, jitter]; draws nothing when jitter is 0
  static uint64_t link_key(uint32_t i, uint32_t j);
  static uint64_t addr_key(Addr a) { return (uint64_t(a.ip) << 16) | a.port; }

  uint64_t seed_;
  Rng net_rng_;  // the network's draws (loss, jitter), apart from the engines' own
  Time now_ = 0;
  uint64_t seq_ = 0;
  bool keep_events_ = true;
  Time delay_ = 0, jitter_ = 0;
  Time late_ = 0, late_jitter_ = 0;
  std::string error_;
  std::vector<Node> nodes_;  // [0] unused
  uint32_t running_count_ = 0;  // nodes with running set
  std::priority_queue<Event, std::vector<Event>, std::greater<Event>> queue_;
  std::vector<Packet> packets_;
  std::vector<uint32_t> free_packets_;
  std::unordered_map<uint64_t, uint32_t> by_addr_;  // who is bound at an address
  std::vector<uint32_t> by_port_;  // the same for 127.0.0.1:port, by port (0: nobody)
  std::unordered_set<uint64_t> cuts_;
  std::vector<Datagram> outbox_;     // scratch
  std::vector<MemberEvent> events_;  // scratch
  uint32_t mesh_hint_ = 1;           // where the last failed fullmesh check failed
  // Nodes whose engine ran or that stopped/started since the last MemberWatch evaluation.
  std::vector<uint32_t> touched_;
  std::vector<uint8_t> touched_mark_;
  uint64_t touch_serial_ = 1;  // bumped each time a MemberWatch consumes touched_
};

const char* direction_name(Direction d);

}  // namespace sim
}  // namespace swim
