// The worker: one native thread per Swim instance that drives the sans-IO engine with a
// private libuv loop (UDP socket in io/udp_socket.h, deadline timer, wake-up async). No
// N-API here; the binding talks to it through WorkerListener and the methods below.
//
// Threading model
// - The engine is guarded by engine_mu_. The worker thread holds it only while calling
//   into the engine (one datagram, one timer tick), never across a send or a receive.
//   Commands (addMember, setPayload, quit...) and reads (members, stats...) run on the
//   caller's (JS) thread under the same lock, so they see and change a consistent state
//   and return the engine's error synchronously; then they wake the worker, which sends
//   what the command produced and re-arms its timer.
// - Member events stay in the engine, which merges them per member, until the JS side
//   takes them (TakeEvents, under the engine lock). The worker keeps no copy: after a turn
//   that leaves the engine with events it tells the listener, once until they are taken,
//   and never waits for it. Conflicts (another claimant of our UUID) take the same path:
//   the engine keeps at most 16, rate-limited; TakeConflicts takes them.
// - Lifecycle: a shared 32-bit state word NEW -> RUNNING -> STOPPING -> TERMINATED
//   (docs/architecture.md). RequestStop() and Join() are idempotent under their own locks;
//   the worker thread writes TERMINATED as its very last act.
#pragma once

#include <uv.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/engine.h"
#include "io/crypto.h"
#include "io/udp_socket.h"

namespace swim_io {

enum : uint32_t {
  kStateNew = 0,
  kStateRunning = 1,
  kStateStopping = 2,
  kStateTerminated = 3,
};

// The lifecycle word shared by the worker thread, the binding and JavaScript (through an
// external ArrayBuffer over `word`). Reference-counted so it outlives whichever side
// lets go last.
struct StateCell {
  std::atomic<uint32_t> word{kStateNew};
  uint32_t load() const { return word.load(std::memory_order_seq_cst); }
  void store(uint32_t v) { word.store(v, std::memory_order_seq_cst); }
  bool cas(uint32_t expect, uint32_t desired) {
    return word.compare_exchange_strong(expect, desired, std::memory_order_seq_cst);
  }
};
static_assert(sizeof(std::atomic<uint32_t>) == 4, "the state word must be 32 bits");

// Told about work for the JS thread. Called on the worker thread; must never block.
class WorkerListener {
 public:
  virtual ~WorkerListener() = default;
  // The engine has events for the JS side. Not called again until TakeEvents().
  virtual void OnEventsPending() = 0;
  // The engine has conflicts (another claimant of our UUID) for the JS side. Not called
  // again until TakeConflicts().
  virtual void OnConflictsPending() {}
  // The loop has ended and every handle is closed; the next and last thing the worker
  // thread does is to store TERMINATED.
  virtual void OnWorkerExit() = 0;
};

struct WorkerConfig {
  swim::Addr bind;  // port 0: any free port
  // The address the engine announces (our uri): ip 0 takes the bound ip, port 0 the bound
  // port. Every address check of the core uses it, never the bound one.
  swim::Addr announce;
  swim::Uuid uuid;
  bool has_generation = false;
  uint64_t generation = 0;
  // Always set by the binding: the defaults are policy and live in src/config.ts.
  double heartbeat_rate = 0;
  double ack_timeout = 0;
  swim::GcMode gc_mode = swim::GcMode::On;
  bool lifeguard = false;
  uint32_t max_members = swim::kDefaultMaxMembers;
  bool has_payload = false;
  std::vector<uint8_t> payload;
  uint64_t seed = 0;  // 0: random
};

struct WorkerError {
  int uv_code = 0;  // libuv error (negative errno on Unix), when the failure is a system call
  swim::CommandError command = swim::CommandError::Ok;  // when the engine refused
  std::string message;
};

// Counters the worker keeps besides the engine's.
struct WorkerStats {
  uint64_t send_errors = 0;       // sends that failed (unreachable, EPERM...)
  uint64_t send_queued = 0;       // sends that had to wait for the socket (EAGAIN)
  uint64_t receive_errors = 0;    // recv errors reported by the socket
  uint64_t oversize = 0;          // datagrams over 1472 bytes, dropped before the cipher (drops.oversize)
  uint64_t transform_drops = 0;   // datagrams the cipher refused either way (total of the two below)
  uint64_t cipher_drops[swim::io::kCipherDropCount] = {};  // received, by CipherDrop (index Ok unused)
  uint64_t seal_errors = 0;       // outgoing datagrams OpenSSL failed to encrypt (not sent)
  uint64_t broadcast_targets = 0; // broadcast addresses the last broadcast went to
  uint64_t pending_events = 0;    // member events the engine holds for the JS side (a gauge)
};

class Worker final : private UdpSocket::Receiver {
 public:
  // Creates the loop and the socket and binds it on the caller's thread, then configures
  // the engine with the bound address. Returns null and fills *err on failure. The
  // listener must outlive the thread (until Join() returned).
  static std::unique_ptr<Worker> Open(const WorkerConfig& cfg, std::shared_ptr<StateCell> state,
                                      WorkerListener* listener, WorkerError* err);
  ~Worker();  // stops and joins if the caller did not
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  // Stores RUNNING and starts the thread. On failure the state goes to TERMINATED.
  bool Start(WorkerError* err);

  // --- commands (any thread; run under the engine lock, then wake the worker) ---
  swim::CommandError AddMember(swim::Addr uri, const swim::Uuid& uuid);
  swim::CommandError RemoveMember(const swim::Uuid& uuid);
  swim::CommandError ProbeMember(swim::Addr uri);
  swim::CommandError Broadcast(uint16_t port);
  swim::CommandError SetSeeds(const std::vector<swim::Addr>& seeds);
  swim::CommandError SetPayload(const uint8_t* data, size_t size, bool present);
  // Tells every member we leave; the worker stops by itself once that is sent.
  swim::CommandError Quit();
  // A new uri binds a new socket first (synchronously, so EADDRINUSE is reported here);
  // the worker switches to it on its next wake-up. False and *err on failure.
  // `rebind` (optional): the address to listen on from now on; a new one binds a new
  // socket. A patch uri with port 0 takes the bound port.
  bool Configure(const swim::ConfigPatch& patch, const swim::Addr* rebind, WorkerError* err);
  // Replaces the packet cipher (null: plain text). The worker thread takes it over between
  // two datagrams (before its first one when called before Start()); from then on only
  // that thread touches it. Never blocks.
  void SetCipher(std::unique_ptr<swim::io::PacketCipher> cipher);

  // --- reads (any thread; a consistent view of the engine at one instant) ---
  struct Info {
    swim::Addr uri;   // announced
    swim::Addr bind;  // where the socket listens
    swim::Uuid uuid;
    double heartbeat_rate = 0, ack_timeout = 0;
    swim::GcMode gc_mode = swim::GcMode::On;
    bool lifeguard = false;
    size_t size = 0;
  };
  Info GetInfo() const;
  void Members(std::vector<swim::MemberSnapshot>* out) const;
  bool Member(const swim::Uuid& uuid, swim::MemberSnapshot* out) const;
  void Self(swim::MemberSnapshot* out) const;
  void GetStats(swim::Stats* engine, WorkerStats* worker) const;
  // For each address, the engine's heard_from (see engine.h); *clock gets heard_clock().
  void HeardFrom(const std::vector<swim::Addr>& addrs, std::vector<uint64_t>* out, uint64_t* clock) const;
  // Moves out the conflicts reported since the last call (JS thread).
  void TakeConflicts(std::vector<swim::Conflict>* out);

  // Replaces *out with the engine's events (merged per member since the last call), and
  // lets the worker tell the listener about the next ones (JS thread).
  void TakeEvents(std::vector<swim::MemberEvent>* out);

  // --- lifecycle ---
  // Asks the thread to stop. Does not consult or change the state word (the caller won
  // the CAS, or is a test). Idempotent, never blocks, safe from any thread.
  void RequestStop();
  // Waits for the thread to end. Idempotent; must not be called from the worker thread.
  // True only for the call that joined it.
  bool Join();
  // Non-empty when the worker ended because of an error (not close/quit).
  std::string FatalError() const;
  // True when the worker itself won RUNNING -> STOPPING (quit completed, fatal error).
  bool StoppedItself() const { return stopped_itself_.load(std::memory_order_acquire); }
#ifdef SWIM_TEST_HOOKS
  // Makes the worker fail as if its socket broke.
  void InjectFatal(const std::string& why);
#endif  // SWIM_TEST_HOOKS

  const std::shared_ptr<StateCell>& state() const { return state_; }

 private:
  Worker(std::shared_ptr<StateCell> state, WorkerListener* listener, uint64_t seed);
  static swim::Time Now();

  bool InitLoop(WorkerError* err);
  void CloseLoopSynchronously();  // only while no thread runs the loop
  void Wake();
  // Runs f(engine, now) under the engine lock, then wakes the worker to act on it.
  template <typename F>
  swim::CommandError Command(F f);

  static void ThreadMain(void* arg);
  void Run();

  // Worker-thread side.
  static void OnAsync(uv_async_t* h);
  static void OnTimer(uv_timer_t* h);
  void OnDatagram(UdpSocket* socket, const uint8_t* data, size_t size, swim::Addr from) override;
  void OnSendDone() override;
  // One turn of work: feed a datagram (if any), run due timers, take the engine's outbox
  // and see whether it has events, under its lock; then tell the listener, send, and
  // re-arm the timer unlocked.
  void Step(const uint8_t* data, size_t size, const swim::Addr* from);
  void SendAll();
  // (Re-)arms the timer for deadline_ unless it is already armed for it.
  void ArmTimer(swim::Time now);
  void SwapSocket(int fd);
  void CloseHandles();
  void ApplyPendingCipher();
  void Fail(const std::string& why);
  void BeginShutdown();
  void MaybeFinishQuit();
  // The worker's own bid for RUNNING -> STOPPING (it may lose to close() and the like).
  void ClaimStop();

  // --- guarded by engine_mu_ (set by Open before any other thread sees the worker) ---
  swim::Addr bound_;  // where the current socket listens

  // --- shared, immutable after Open ---
  std::shared_ptr<StateCell> state_;
  WorkerListener* listener_;

  // --- engine, guarded by engine_mu_ ---
  mutable std::mutex engine_mu_;
  swim::Engine engine_;
  bool events_told_ = false;  // the listener knows of the engine's events; not yet taken
  bool conflicts_told_ = false;  // likewise for its conflicts (TakeConflicts)

  // --- commands to the worker thread, guarded by cmd_mu_ ---
  mutable std::mutex cmd_mu_;
  bool async_open_ = false;  // the async handle accepts uv_async_send
  bool stop_requested_ = false;
  int pending_fd_ = -1;  // a socket bound by Configure(), for the worker to switch to
#ifdef SWIM_TEST_HOOKS
  std::string injected_fatal_;
#endif  // SWIM_TEST_HOOKS
  std::unique_ptr<swim::io::PacketCipher> pending_cipher_;
  bool has_pending_cipher_ = false;
  std::string fatal_;

  // --- thread, guarded by join_mu_ ---
  mutable std::mutex join_mu_;
  uv_thread_t thread_{};
  bool started_ = false;
  bool joined_ = false;
  std::atomic<bool> stopped_itself_{false};

  // --- worker-thread only (or the constructing thread before Start) ---
  uv_loop_t loop_{};
  bool loop_inited_ = false;
  uv_async_t async_{};
  uv_timer_t timer_{};
  uv_timer_t quit_guard_{};
  UdpSocket* socket_ = nullptr;  // the current one; a replaced one closes by itself
  bool shutting_down_ = false;
  bool quit_guard_armed_ = false;
  std::unique_ptr<swim::io::PacketCipher> cipher_;  // null: plain text
  // AES-GCM datagrams already opened; outlives cipher swaps, so a setCodec() that keeps a
  // key keeps its replays out. Made with the first cipher.
  std::unique_ptr<swim::io::ReplayWindow> replay_;
  std::vector<swim::Datagram> outbox_;
  std::vector<uint8_t> sealed_, opened_;
  swim::Time deadline_ = swim::kNever;
  swim::Time armed_deadline_ = swim::kNever;  // what timer_ was last started for
  bool quitting_ = false;

  // --- counters: written by the worker thread, read anywhere ---
  UdpCounters udp_counters_;
  std::atomic<uint64_t> seal_errors_{0}, broadcast_targets_{0};
  std::atomic<uint64_t> cipher_drops_[swim::io::kCipherDropCount] = {};
};

}  // namespace swim_io
