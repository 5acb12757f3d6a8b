// The worker thread: see worker.h for the threading model.
#include "io/worker.h"

#include <pthread.h>
#include <unistd.h>

#include <utility>

namespace swim_io {

static_assert(kMaxDatagramSize == swim::io::kUdpPacketSize, "one datagram limit for the socket and the ciphers");

Worker::Worker(std::shared_ptr<StateCell> state, WorkerListener* listener, uint64_t seed)
    : state_(std::move(state)), listener_(listener), engine_(seed) {}

swim::Time Worker::Now() { return static_cast<swim::Time>(uv_hrtime() / 1000); }

std::unique_ptr<Worker> Worker::Open(const WorkerConfig& cfg, std::shared_ptr<StateCell> state,
                                     WorkerListener* listener, WorkerError* err) {
  uint64_t seed = cfg.seed;
  if (seed == 0) {
    // The engine's only randomness; differing seeds keep a cluster's rounds uncorrelated.
    if (uv_random(nullptr, nullptr, &seed, sizeof(seed), 0, nullptr) != 0 || seed == 0)
      seed = uv_hrtime() ^ reinterpret_cast<uintptr_t>(&seed);
  }
  std::unique_ptr<Worker> w(new Worker(std::move(state), listener, seed));
  if (!w->InitLoop(err)) return nullptr;
  swim::Addr bound;
  err->uv_code = UdpSocket::Bind(&w->loop_, cfg.bind, w.get(), &w->udp_counters_, &w->socket_,
                                 &bound, &err->message);
  if (err->uv_code != 0) return nullptr;  // ~Worker closes the loop

  w->bound_ = bound;
  swim::ConfigPatch p;
  p.has_uri = true;
  p.uri = cfg.announce;
  if (p.uri.ip == 0) p.uri.ip = bound.ip;
  if (p.uri.port == 0) p.uri.port = bound.port;
  p.has_uuid = true;
  p.uuid = cfg.uuid;
  p.has_generation = cfg.has_generation;
  p.generation = cfg.generation;
  p.has_heartbeat_rate = true;
  p.heartbeat_rate = cfg.heartbeat_rate;
  p.has_ack_timeout = true;
  p.ack_timeout = cfg.ack_timeout;
  p.has_gc_mode = true;
  p.gc_mode = cfg.gc_mode;
  p.has_lifeguard = true;
  p.lifeguard = cfg.lifeguard;
  p.has_max_members = true;
  p.max_members = cfg.max_members;
  swim::CommandError e = w->engine_.configure(p, Now());
  if (e == swim::CommandError::Ok && cfg.has_payload)
    e = w->engine_.set_payload(cfg.payload.data(), cfg.payload.size(), true, Now());
  if (e != swim::CommandError::Ok) {
    err->command = e;
    err->message = swim::command_error_name(e);
    return nullptr;
  }
  return w;
}

Worker::~Worker() {
  RequestStop();
  Join();
  // Never started (or failed to start): nobody ran the loop, close it here.
  CloseLoopSynchronously();
  std::lock_guard<std::mutex> lock(cmd_mu_);
  if (pending_fd_ >= 0) close(pending_fd_);
  pending_fd_ = -1;
}

bool Worker::InitLoop(WorkerError* err) {
  int r = uv_loop_init(&loop_);
  if (r != 0) {
    err->uv_code = r;
    err->message = UvMessage("uv_loop_init", r);
    return false;
  }
  loop_inited_ = true;
  uv_async_init(&loop_, &async_, OnAsync);
  async_.data = this;
  uv_timer_init(&loop_, &timer_);
  timer_.data = this;
  uv_timer_init(&loop_, &quit_guard_);
  quit_guard_.data = this;
  std::lock_guard<std::mutex> lock(cmd_mu_);
  async_open_ = true;
  return true;
}

void Worker::CloseLoopSynchronously() {
  if (!loop_inited_) return;
  {
    std::lock_guard<std::mutex> lock(cmd_mu_);
    async_open_ = false;
  }
  CloseHandles();
  uv_run(&loop_, UV_RUN_DEFAULT);  // only close callbacks are left to run
  uv_loop_close(&loop_);
  loop_inited_ = false;
}

// Closes the socket (which frees itself) and the Worker's own handles: uv_run then ends.
void Worker::CloseHandles() {
  if (socket_ != nullptr) socket_->Close();
  socket_ = nullptr;
  uv_walk(
      &loop_,
      [](uv_handle_t* h, void*) {
        if (!uv_is_closing(h)) uv_close(h, nullptr);
      },
      nullptr);
}

bool Worker::Start(WorkerError* err) {
  std::lock_guard<std::mutex> lock(join_mu_);
  if (started_) return true;
  // RUNNING before the thread exists: the thread may itself CAS RUNNING -> STOPPING.
  state_->store(kStateRunning);
  // The worker needs little stack (its buffers are on the heap); a small reservation keeps
  // thousands of instances cheap in address space.
  uv_thread_options_t opts;
  opts.flags = UV_THREAD_HAS_STACK_SIZE;
  opts.stack_size = 1024 * 1024;
  int r = uv_thread_create_ex(&thread_, &opts, ThreadMain, this);
  if (r != 0) {
    state_->store(kStateTerminated);
    err->uv_code = r;
    err->message = UvMessage("uv_thread_create", r);
    return false;
  }
  started_ = true;
  return true;
}

void Worker::ThreadMain(void* arg) {
#ifdef __linux__
  pthread_setname_np(pthread_self(), "swim-worker");  // shows in top -H, gdb, /proc
#endif
  static_cast<Worker*>(arg)->Run();
}

void Worker::Run() {
  std::string message;
  if (socket_->StartReceiving(&message) != 0) {
    Fail(message);
  } else {
    ApplyPendingCipher();  // a codec given at construction covers the very first packet
    Step(nullptr, 0, nullptr);  // send what configure produced, arm the first deadline
  }
  uv_run(&loop_, UV_RUN_DEFAULT);
  // Every handle is closed (BeginShutdown) or the loop would still be running.
  uv_loop_close(&loop_);
  loop_inited_ = false;
  listener_->OnWorkerExit();
  // The last act: after this store the thread touches nothing of the Worker.
  state_->store(kStateTerminated);
}

void Worker::Wake() {
  std::lock_guard<std::mutex> lock(cmd_mu_);
  if (async_open_) uv_async_send(&async_);
}

// --- commands -------------------------------------------------------------------

template <typename F>
swim::CommandError Worker::Command(F f) {
  swim::CommandError e;
  {
    std::lock_guard<std::mutex> lock(engine_mu_);
    e = f(engine_, Now());
  }
  Wake();
  return e;
}

swim::CommandError Worker::AddMember(swim::Addr uri, const swim::Uuid& uuid) {
  return Command([&](swim::Engine& e, swim::Time now) { return e.add_member(uri, uuid, now); });
}

swim::CommandError Worker::RemoveMember(const swim::Uuid& uuid) {
  return Command([&](swim::Engine& e, swim::Time now) { return e.remove_member(uuid, now); });
}

swim::CommandError Worker::ProbeMember(swim::Addr uri) {
  return Command([&](swim::Engine& e, swim::Time now) { return e.probe_member(uri, now); });
}

swim::CommandError Worker::Broadcast(uint16_t port) {
  return Command([&](swim::Engine& e, swim::Time now) { return e.broadcast(port, now); });
}

swim::CommandError Worker::SetSeeds(const std::vector<swim::Addr>& seeds) {
  return Command([&](swim::Engine& e, swim::Time now) { return e.set_seeds(seeds, now); });
}

swim::CommandError Worker::SetPayload(const uint8_t* data, size_t size, bool present) {
  return Command([&](swim::Engine& e, swim::Time now) { return e.set_payload(data, size, present, now); });
}

swim::CommandError Worker::Quit() {
  return Command([&](swim::Engine& e, swim::Time now) { return e.quit(now); });
}

bool Worker::Configure(const swim::ConfigPatch& patch, const swim::Addr* rebind, WorkerError* err) {
  swim::ConfigPatch p = patch;
  int fd = -1;
  swim::Addr bound;
  {
    std::lock_guard<std::mutex> lock(engine_mu_);  // bound_ is read under it (GetInfo)
    bound = bound_;
  }
  if (rebind != nullptr && *rebind != bound) {  // port 0: a new free port
    fd = BindUdpFd(*rebind, &bound, &err->message);
    if (fd < 0) {
      err->uv_code = fd;
      return false;
    }
  }
  if (p.has_uri) {
    if (p.uri.ip == 0) p.uri.ip = bound.ip;
    if (p.uri.port == 0) p.uri.port = bound.port;
  }
  swim::CommandError e;
  {
    std::lock_guard<std::mutex> lock(engine_mu_);
    e = engine_.configure(p, Now());
    if (e == swim::CommandError::Ok) bound_ = bound;
  }
  if (e != swim::CommandError::Ok) {
    if (fd >= 0) close(fd);
    err->command = e;
    err->message = swim::command_error_name(e);
    return false;
  }
  if (fd >= 0) {
    std::lock_guard<std::mutex> lock(cmd_mu_);
    if (!async_open_) {
      close(fd);  // the worker is gone or going; nothing will use the socket
    } else {
      if (pending_fd_ >= 0) close(pending_fd_);
      pending_fd_ = fd;
    }
  }
  Wake();
  return true;
}

void Worker::SetCipher(std::unique_ptr<swim::io::PacketCipher> cipher) {
  std::unique_ptr<swim::io::PacketCipher> replaced;  // a previous one never taken over
  if (cipher) swim::io::arm_openssl_exit_gate();
  {
    std::lock_guard<std::mutex> lock(cmd_mu_);
    replaced = std::move(pending_cipher_);
    pending_cipher_ = std::move(cipher);
    has_pending_cipher_ = true;
  }
  Wake();
  // `replaced` (and its keys, wiped by its destructor) goes here, outside the lock.
}

// --- reads ----------------------------------------------------------------------

Worker::Info Worker::GetInfo() const {
  Info i;
  std::lock_guard<std::mutex> lock(engine_mu_);
  i.uri = engine_.uri();
  i.bind = bound_;
  i.uuid = engine_.uuid();
  i.heartbeat_rate = engine_.heartbeat_rate();
  i.ack_timeout = engine_.ack_timeout();
  i.gc_mode = engine_.gc_mode();
  i.lifeguard = engine_.lifeguard();
  i.size = engine_.size();
  return i;
}

void Worker::Members(std::vector<swim::MemberSnapshot>* out) const {
  std::lock_guard<std::mutex> lock(engine_mu_);
  engine_.members(out);
}

bool Worker::Member(const swim::Uuid& uuid, swim::MemberSnapshot* out) const {
  std::lock_guard<std::mutex> lock(engine_mu_);
  return engine_.member(uuid, out);
}

void Worker::Self(swim::MemberSnapshot* out) const {
  std::lock_guard<std::mutex> lock(engine_mu_);
  engine_.self(out);
}

void Worker::GetStats(swim::Stats* engine, WorkerStats* worker) const {
  {
    std::lock_guard<std::mutex> lock(engine_mu_);
    *engine = engine_.stats();
    worker->pending_events = engine_.pending_events();
  }
  worker->send_errors = udp_counters_.send_errors.load(std::memory_order_relaxed);
  worker->send_queued = udp_counters_.send_queued.load(std::memory_order_relaxed);
  worker->receive_errors = udp_counters_.receive_errors.load(std::memory_order_relaxed);
  worker->oversize = udp_counters_.oversize.load(std::memory_order_relaxed);
  uint64_t drops = 0;
  for (size_t i = 1; i < swim::io::kCipherDropCount; ++i) {
    worker->cipher_drops[i] = cipher_drops_[i].load(std::memory_order_relaxed);
    drops += worker->cipher_drops[i];
  }
  worker->seal_errors = seal_errors_.load(std::memory_order_relaxed);
  worker->transform_drops = drops + worker->seal_errors;
  worker->broadcast_targets = broadcast_targets_.load(std::memory_order_relaxed);
}

void Worker::HeardFrom(const std::vector<swim::Addr>& addrs, std::vector<uint64_t>* out, uint64_t* clock) const {
  out->clear();
  std::lock_guard<std::mutex> lock(engine_mu_);
  for (const swim::Addr& a : addrs) out->push_back(engine_.heard_from(a));
  *clock = engine_.heard_clock();
}

void Worker::TakeConflicts(std::vector<swim::Conflict>* out) {
  out->clear();
  std::lock_guard<std::mutex> lock(engine_mu_);
  engine_.take_conflicts(out);  // the engine keeps at most 16, rate-limited (note_conflict)
  conflicts_told_ = false;
}

void Worker::TakeEvents(std::vector<swim::MemberEvent>* out) {
  out->clear();
  std::lock_guard<std::mutex> lock(engine_mu_);
  engine_.take_events(out);
  events_told_ = false;
}

// --- lifecycle ------------------------------------------------------------------

void Worker::RequestStop() {
  std::lock_guard<std::mutex> lock(cmd_mu_);
  stop_requested_ = true;
  if (async_open_) uv_async_send(&async_);
}

bool Worker::Join() {
  std::lock_guard<std::mutex> lock(join_mu_);
  if (!started_ || joined_) return false;
  uv_thread_join(&thread_);
  joined_ = true;
  return true;
}

std::string Worker::FatalError() const {
  std::lock_guard<std::mutex> lock(cmd_mu_);
  return fatal_;
}

#ifdef SWIM_TEST_HOOKS
void Worker::InjectFatal(const std::string& why) {
  std::lock_guard<std::mutex> lock(cmd_mu_);
  injected_fatal_ = why.empty() ? std::string("injected fatal error") : why;
  if (async_open_) uv_async_send(&async_);
}
#endif  // SWIM_TEST_HOOKS

// --- worker thread ----------------------------------------------------------------

void Worker::OnAsync(uv_async_t* h) {
  Worker* w = static_cast<Worker*>(h->data);
  bool stop;
  int fd;
  std::string fatal;
  {
    std::lock_guard<std::mutex> lock(w->cmd_mu_);
    stop = w->stop_requested_;
    fd = w->pending_fd_;
    w->pending_fd_ = -1;
#ifdef SWIM_TEST_HOOKS
    fatal.swap(w->injected_fatal_);
#endif  // SWIM_TEST_HOOKS
  }
  if (stop) {
    if (fd >= 0) close(fd);
    w->BeginShutdown();
    return;
  }
  if (!fatal.empty()) {
    if (fd >= 0) close(fd);
    w->Fail(fatal);
    return;
  }
  w->ApplyPendingCipher();
  if (fd >= 0) w->SwapSocket(fd);
  w->Step(nullptr, 0, nullptr);
}

void Worker::OnTimer(uv_timer_t* h) {
  Worker* w = static_cast<Worker*>(h->data);
  if (h == &w->quit_guard_) {
    // quit() could not flush its packets in time (socket stuck): stop anyway.
    w->ClaimStop();
    w->BeginShutdown();
    return;
  }
  w->Step(nullptr, 0, nullptr);
}

void Worker::OnDatagram(UdpSocket* socket, const uint8_t* data, size_t size, swim::Addr from) {
  if (socket != socket_) return;  // an old socket still draining after a rebind
  Step(data, size, &from);
}

void Worker::Step(const uint8_t* data, size_t size, const swim::Addr* from) {
  if (shutting_down_) return;
  if (from != nullptr && cipher_) {
    swim::io::CipherDrop drop;
    {
      swim::io::OpenSslUse use;  // only around OpenSSL: the exit handler waits for it
      if (!use) return;          // the process is exiting
      drop = cipher_->open(data, size, &opened_);
    }
    if (drop != swim::io::CipherDrop::Ok) {
      // Counted, never logged: a member with the wrong key must not flood anything.
      cipher_drops_[static_cast<size_t>(drop)].fetch_add(1, std::memory_order_relaxed);
      return;
    }
    data = opened_.data();
    size = opened_.size();
  }
  bool tell = false, tell_conflicts = false;
  swim::Time now;
  {
    std::lock_guard<std::mutex> lock(engine_mu_);
    now = Now();
    if (from != nullptr) engine_.on_datagram(data, size, *from, now);
    if (now >= engine_.next_deadline()) engine_.on_timer(now);
    engine_.take_outbox(&outbox_);
    // Commands on the JS thread add events and conflicts too; they wake us, so this turn
    // sees them.
    if (!events_told_ && engine_.has_events()) events_told_ = tell = true;
    if (!conflicts_told_ && engine_.has_conflicts()) conflicts_told_ = tell_conflicts = true;
    deadline_ = engine_.next_deadline();
    quitting_ = engine_.quitting();
  }
  if (tell) listener_->OnEventsPending();
  if (tell_conflicts) listener_->OnConflictsPending();
  SendAll();
  if (shutting_down_) return;
  ArmTimer(now);
  MaybeFinishQuit();
}

// Most turns (a datagram that changed no deadline) leave the deadline as it was: the armed
// timer then stays, with no clock read and no timer-heap update.
void Worker::ArmTimer(swim::Time now) {
  if (deadline_ == armed_deadline_ && uv_is_active(reinterpret_cast<uv_handle_t*>(&timer_))) return;
  armed_deadline_ = deadline_;
  if (deadline_ == swim::kNever) {
    uv_timer_stop(&timer_);
    return;
  }
  // `now` was read under the engine lock; the sends since took microseconds. The loop's
  // clock, which the timer counts from, was updated when this turn's callback began.
  uint64_t delay_ms = deadline_ <= now ? 0 : static_cast<uint64_t>((deadline_ - now + 999) / 1000);
  uv_timer_start(&timer_, OnTimer, delay_ms, 0);
}

void Worker::SendAll() {
  if (socket_ == nullptr) {  // shutting down
    outbox_.clear();
    return;
  }
  for (swim::Datagram& d : outbox_) {
    const uint8_t* data = d.bytes.data();
    size_t size = d.bytes.size();
    if (cipher_) {
      swim::io::OpenSslUse use;
      if (!use) break;  // the process is exiting
      if (!cipher_->seal(data, size, &sealed_)) {
        seal_errors_.fetch_add(1, std::memory_order_relaxed);
        continue;
      }
      data = sealed_.data();
      size = sealed_.size();
    }
    uint64_t targets = 0;
    if (!d.broadcast)
      socket_->Send(d.to, data, size);
    else if (socket_->Broadcast(d.to.port, data, size, &targets))
      broadcast_targets_.store(targets, std::memory_order_relaxed);
  }
  outbox_.clear();
}

void Worker::OnSendDone() { MaybeFinishQuit(); }

void Worker::ApplyPendingCipher() {
  // Destroying the old cipher frees EVP contexts.
  swim::io::OpenSslUse use;
  if (!use) return;  // the process is exiting
  std::unique_ptr<swim::io::PacketCipher> next;
  {
    std::lock_guard<std::mutex> lock(cmd_mu_);
    if (!has_pending_cipher_) return;
    next = std::move(pending_cipher_);
    has_pending_cipher_ = false;
  }
  // Between two datagrams: everything sent or opened from here on uses the new codec. The
  // old cipher is destroyed here, on the only thread that ever used it.
  cipher_ = std::move(next);
  if (cipher_) {
    if (!replay_) replay_.reset(new swim::io::ReplayWindow());
    cipher_->set_replay_window(replay_.get());
  }
}

void Worker::SwapSocket(int fd) {
  UdpSocket* next = nullptr;
  std::string message;
  if (UdpSocket::Adopt(&loop_, fd, this, &udp_counters_, &next, &message) != 0) {
    Fail(message);
    return;
  }
  if (socket_ != nullptr) socket_->Close();
  socket_ = next;
}

void Worker::MaybeFinishQuit() {
  if (!quitting_ || shutting_down_) return;
  bool flushed = outbox_.empty() && (socket_ == nullptr || socket_->QueuedSends() == 0);
  if (flushed) {
    ClaimStop();
    BeginShutdown();
    return;
  }
  if (!quit_guard_armed_) {
    quit_guard_armed_ = true;
    uv_timer_start(&quit_guard_, OnTimer, 1000, 0);
  }
}

void Worker::Fail(const std::string& why) {
  {
    std::lock_guard<std::mutex> lock(cmd_mu_);
    if (fatal_.empty()) fatal_ = why;
  }
  ClaimStop();
  BeginShutdown();
}

void Worker::ClaimStop() {
  // The worker ending on its own is a stopper like any other: it may lose to close().
  if (state_->cas(kStateRunning, kStateStopping)) stopped_itself_.store(true, std::memory_order_release);
}

void Worker::BeginShutdown() {
  if (shutting_down_) return;
  shutting_down_ = true;
  {
    std::lock_guard<std::mutex> lock(cmd_mu_);
    async_open_ = false;  // no uv_async_send may race with the close below
    if (pending_fd_ >= 0) close(pending_fd_);
    pending_fd_ = -1;
  }
  // Closing every handle ends uv_run; queued sends complete with ECANCELED first.
  CloseHandles();
}

}  // namespace swim_io
