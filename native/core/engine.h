// The SWIM protocol as a sans-IO state machine (see docs/architecture.md).
//
// It owns no thread, no socket and no clock. A driver (the native/io worker, the native/sim
// simulator) feeds it datagrams and timer ticks with the current time, and drains what it
// produced: datagrams to send, member events, the next deadline. Deterministic given the
// seed and the sequence of inputs.
//
// This header is the contract between the core and its drivers; keep it stable.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "core/codec.h"
#include "core/types.h"

namespace swim {

// Monotonic time in microseconds, as the driver sees it. Only differences matter.
using Time = int64_t;
constexpr Time kNever = INT64_MAX;
constexpr Time kSecond = 1000000;

enum class GcMode : uint8_t { On = 0, Off = 1 };

// Default bound on the member table (self included), see ConfigPatch::max_members.
constexpr uint32_t kDefaultMaxMembers = 4096;

// Event mask bits: exactly Tarantool's swim_ev_type values.
enum EventBits : uint32_t {
  kEvNew = 1u << 0,
  kEvNewStatus = 1u << 1,
  kEvNewUri = 1u << 2,
  kEvNewGeneration = 1u << 3,
  kEvNewVersion = 1u << 4,
  kEvNewIncarnation = kEvNewGeneration | kEvNewVersion,
  kEvNewPayload = 1u << 5,
  kEvUpdate = kEvNewStatus | kEvNewUri | kEvNewIncarnation | kEvNewPayload,
  kEvDrop = 1u << 6,
};

// A partial configuration: fields with has_* false keep their current value. The first
// configure() of an engine must set uri and uuid.
struct ConfigPatch {
  bool has_uri = false;
  Addr uri;  // port must be non-zero by the time it reaches the core (the driver binds first)
  bool has_uuid = false;
  Uuid uuid;  // changing it leaves the old self behind as a 'left' member
  bool has_generation = false;
  uint64_t generation = 0;  // only honoured by the first configure()
  bool has_heartbeat_rate = false;
  double heartbeat_rate = 1.0;  // seconds between round steps, > 0
  bool has_ack_timeout = false;
  double ack_timeout = 30.0;  // seconds, > 0
  bool has_gc_mode = false;
  GcMode gc_mode = GcMode::On;
  bool has_indirect_ping_count = false;
  uint32_t indirect_ping_count = 2;  // k proxies for an indirect ping, >= 1
  // Lifeguard (docs/protocol.md#lifeguard): local health, dynamic suspicion, buddy system.
  // Local rules only: the wire stays Tarantool's. The engine's default is off (Tarantool's
  // timing); the JS layer turns it on by default (src/config.ts).
  bool has_lifeguard = false;
  bool lifeguard = false;
  bool has_max_members = false;
  // Most members (self included) the wire may fill the table with, 2..2^24. A full table
  // takes a new member only in place of a dead or left one (evicted); add_member() and a
  // UUID change are exempt. Lowering it evicts nobody. See docs/protocol.md.
  uint32_t max_members = kDefaultMaxMembers;
};

enum class CommandError : uint8_t {
  Ok = 0,
  NotConfigured,    // a command before the first successful configure()
  BadConfig,        // missing uri/uuid on first configure, rate/timeout <= 0, nil uuid...
  UuidInUse,        // configure(uuid) to a UUID another member already has
  SelfMember,       // add/remove of self
  DuplicateMember,  // add of a UUID already present
  UnknownMember,    // remove of a UUID not present
  PayloadTooLarge,  // > kMaxPayloadSize
  BadAddress,       // ip 0 / port 0 where a peer address is required
  Quitting,         // any command after quit()
  Count_
};
const char* command_error_name(CommandError e);

// A datagram the driver must send. Plain text; the driver applies encryption if any.
struct Datagram {
  Addr to;
  bool broadcast = false;  // to.ip is meaningless: send to the broadcast address(es) on to.port
  std::vector<uint8_t> bytes;
};

// A member as of the moment it is read. Payload is copied.
struct MemberSnapshot {
  Uuid uuid;
  Addr addr;
  Status status = Status::Alive;
  Incarnation incarnation;
  bool has_payload = false;
  std::vector<uint8_t> payload;
  bool is_self = false;
};

// Merged changes of one member since its last delivered event. For a drop, `member` is the
// last state the member had.
struct MemberEvent {
  uint32_t mask = 0;
  MemberSnapshot member;
};

struct Stats {
  uint64_t packets_sent = 0, bytes_sent = 0;
  uint64_t packets_received = 0, bytes_received = 0;
  uint64_t packets_dropped = 0;  // total of the below
  uint64_t drops[kDecodeErrorCount] = {};  // by decode reason (index Ok unused)
  uint64_t drops_wrong_destination = 0;    // routed packet not for us and we are not its proxy
  uint64_t drops_self_source = 0;          // our own UUID from a different URI... (ignored)
  // A meta source or route naming no peer (broadcast, multicast, 0/8, 240/4: addr_is_peer);
  // also counts each member record skipped for that reason, which packets_dropped does not.
  uint64_t drops_bad_address = 0;
  uint64_t pings_sent = 0, acks_sent = 0;
  uint64_t pings_received = 0, acks_received = 0;
  uint64_t indirect_pings_sent = 0;     // requests we asked proxies to forward
  uint64_t indirect_pings_forwarded = 0;  // as a proxy
  uint64_t ack_timeouts = 0;
  // Lifeguard: missed acks charged to ourselves (nobody answered us meanwhile), not to the
  // member; and the local health score now (0..8), which stretches our timeouts.
  uint64_t ack_timeouts_self = 0;
  uint32_t awareness = 0;
  // Hostile-input counters (docs/protocol.md), not part of packets_dropped:
  uint64_t contacts_deferred = 0;  // unknown direct senders over the pacing: probed later instead
  uint64_t members_refused = 0;    // new members refused: the table was full
  uint64_t members_evicted = 0;    // dead or left members evicted to make room
  uint64_t minimal_sent = 0;       // pings and acks sent without gossip (unconfirmed address)
  uint64_t heal_probes = 0;  // pings to seeds and lost members' addresses (healing, join)
  uint64_t conflicts = 0;    // packets or gossip of another claimant of our UUID (all, not rate-limited)
  uint64_t suspicions = 0;   // members our own failure detection declared suspected
  uint64_t deaths = 0;       // members our own failure detection declared dead
  uint64_t refutations = 0;  // rumours of our suspicion, death or quit refuted (self version bumped)
};

// Someone else claims our UUID: a packet with our UUID as its source from another address,
// or gossip of our UUID at another address with a newer incarnation than ours.
struct Conflict {
  Uuid uuid;  // ours
  Addr addr;  // the other claimant's
};

class Engine {
 public:
  // seed: the only source of randomness (shuffles, proxy choice, anti-entropy start).
  explicit Engine(uint64_t seed);
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // --- commands (from the API) ---
  CommandError configure(const ConfigPatch& cfg, Time now);
  CommandError add_member(Addr uri, const Uuid& uuid, Time now);
  CommandError remove_member(const Uuid& uuid, Time now);
  CommandError probe_member(Addr uri, Time now);  // a ping; the member is added if it acks
  CommandError broadcast(uint16_t port, Time now);
  // Replaces the seeds (at most 64; bad_address if one has ip or port 0) and probes each of
  // them now. Seeds are probed again by the healing rule (docs/protocol.md#healing).
  CommandError set_seeds(const std::vector<Addr>& seeds, Time now);
  // present=false clears the payload. Bumps self version.
  CommandError set_payload(const uint8_t* data, size_t size, bool present, Time now);
  // Queues a quit packet to every member; afterwards every command returns Quitting and
  // timers stop. The driver stops once it has sent the outbox.
  CommandError quit(Time now);

  // --- I/O inputs ---
  void on_datagram(const uint8_t* data, size_t size, Addr from, Time now);
  // Runs everything due at or before `now`.
  void on_timer(Time now);
  // Earliest time at which on_timer has work, or kNever.
  Time next_deadline() const;

  // --- outputs (moved out; the engine keeps nothing of them) ---
  void take_outbox(std::vector<Datagram>* out);
  // Appends the pending member events, oldest first, merged as event_log.h describes.
  void take_events(std::vector<MemberEvent>* out);
  bool has_events() const;
  size_t pending_events() const;  // how many events take_events would append now
  // Other claimants of our UUID, at most one per claimant address per 10 s (at most 16
  // waiting; more are counted in stats().conflicts only).
  void take_conflicts(std::vector<Conflict>* out);
  bool has_conflicts() const;

  // --- reads ---
  bool configured() const;
  bool quitting() const;
  Addr uri() const;
  Uuid uuid() const;
  GcMode gc_mode() const;
  double heartbeat_rate() const;
  double ack_timeout() const;
  bool lifeguard() const;
  uint32_t max_members() const;
  size_t size() const;  // members including self
  bool member(const Uuid& uuid, MemberSnapshot* out) const;
  void self(MemberSnapshot* out) const;
  void members(std::vector<MemberSnapshot>* out) const;  // self included, any order
  const Stats& stats() const;
  // Whether an address answered: for a seed, the address of a member removed after it died,
  // or one of the 32 addresses most recently probed with probe_member, the value of
  // heard_clock() when a valid packet (not our own) last came from it (as its UDP source or
  // its announced address); 0 when never or when the address is none of those.
  // heard_clock() only grows: compare with a value read before probing.
  uint64_t heard_from(Addr addr) const;
  uint64_t heard_clock() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace swim
