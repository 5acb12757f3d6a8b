// The worker thread: see worker.h for the threading model.
#include "io/worker.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

namespace swim_io {

namespace {

sockaddr_in ToSockaddr(swim::Addr a) {
  sockaddr_in sa;
  std::memset(&sa, 0, sizeof(sa));
  sa.sin_family = AF_INET;
  sa.sin_port = htons(a.port);
  sa.sin_addr.s_addr = htonl(a.ip);
  return sa;
}

swim::Addr FromSockaddr(const sockaddr_in& sa) {
  swim::Addr a;
  a.ip = ntohl(sa.sin_addr.s_addr);
  a.port = ntohs(sa.sin_port);
  return a;
}

std::string UvMessage(const char* what, int code) {
  std::string m = what;
  m += ": ";
  m += uv_err_name(code);
  m += " (";
  m += uv_strerror(code);
  m += ")";
  return m;
}

// A socket bound on the caller's thread (Configure), handed to the loop afterwards.
int BindFd(swim::Addr addr, swim::Addr* bound, WorkerError* err) {
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  if (fd < 0) {
    err->uv_code = uv_translate_sys_error(errno);
    err->message = UvMessage("socket", err->uv_code);
    return -1;
  }
  // Non-blocking and close-on-exec, like the sockets libuv makes.
  int fl = fcntl(fd, F_GETFL);
  if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0 || fcntl(fd, F_SETFD, FD_CLOEXEC) < 0) {
    err->uv_code = uv_translate_sys_error(errno);
    err->message = UvMessage("fcntl", err->uv_code);
    close(fd);
    return -1;
  }
  sockaddr_in sa = ToSockaddr(addr);
  if (bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) != 0) {
    err->uv_code = uv_translate_sys_error(errno);
    err->message = UvMessage("bind", err->uv_code);
    close(fd);
    return -1;
  }
  socklen_t len = sizeof(sa);
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len) != 0) {
    err->uv_code = uv_translate_sys_error(errno);
    err->message = UvMessage("getsockname", err->uv_code);
    close(fd);
    return -1;
  }
  *bound = FromSockaddr(sa);
  return fd;
}

}  // namespace

// A UDP handle on the heap: closing is asynchronous, so an old socket may still be
// closing while its replacement is already receiving.
struct Worker::Socket {
  uv_udp_t handle;
  Worker* owner;
};

// A datagram that could not be sent at once (EAGAIN): owns a copy of its bytes.
struct Worker::SendReq {
  uv_udp_send_t req;
  std::vector<uint8_t> bytes;
  Worker* owner;
};

void Worker::OnHandleClosed(uv_handle_t* h) {
  // Sockets are heap objects; the async and the timers are members of the Worker.
  if (h->type == UV_UDP) delete static_cast<Worker::Socket*>(h->data);
}

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
  if (!w->OpenSocketOnLoop(cfg.bind, &bound, err)) return nullptr;  // ~Worker closes the loop

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

bool Worker::OpenSocketOnLoop(swim::Addr bind, swim::Addr* bound, WorkerError* err) {
  Socket* s = new Socket;
  s->owner = this;
  s->handle.data = s;
  int r = uv_udp_init(&loop_, &s->handle);
  if (r != 0) {
    delete s;
    err->uv_code = r;
    err->message = UvMessage("uv_udp_init", r);
    return false;
  }
  socket_ = s;  // from here on the handle is closed with the loop
  sockaddr_in sa = ToSockaddr(bind);
  // No UV_UDP_REUSEADDR: a port in use must fail with EADDRINUSE.
  r = uv_udp_bind(&s->handle, reinterpret_cast<const sockaddr*>(&sa), 0);
  if (r != 0) {
    err->uv_code = r;
    err->message = UvMessage("bind", r);
    return false;
  }
  uv_udp_set_broadcast(&s->handle, 1);
  int len = sizeof(sa);
  r = uv_udp_getsockname(&s->handle, reinterpret_cast<sockaddr*>(&sa), &len);
  if (r != 0) {
    err->uv_code = r;
    err->message = UvMessage("getsockname", r);
    return false;
  }
  *bound = FromSockaddr(sa);
  return true;
}

void Worker::CloseLoopSynchronously() {
  if (!loop_inited_) return;
  {
    std::lock_guard<std::mutex> lock(cmd_mu_);
    async_open_ = false;
  }
  uv_walk(
      &loop_,
      [](uv_handle_t* h, void*) {
        if (!uv_is_closing(h)) uv_close(h, OnHandleClosed);
      },
      nullptr);
  uv_run(&loop_, UV_RUN_DEFAULT);  // only close callbacks are left to run
  uv_loop_close(&loop_);
  loop_inited_ = false;
  socket_ = nullptr;
}

bool Worker::Start(WorkerError* err) {
  std::lock_guard<std::mutex> lock(join_mu_);
  if (started_) return true;
  // RUNNING before the thread exists: the thread may itself CAS RUNNING -> STOPPING.
  state_->store(kStateRunning);
  // The worker needs little stack (buffers live in the Worker); a small reservation keeps
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
  int r = uv_udp_recv_start(&socket_->handle, OnAlloc, OnRecv);
  if (r != 0) {
    Fail(UvMessage("uv_udp_recv_start", r));
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

swim::CommandError Worker::AddMember(swim::Addr uri, const swim::Uuid& uuid) {
  swim::CommandError e;
  {
    std::lock_guard<std::mutex> lock(engine_mu_);
    e = engine_.add_member(uri, uuid, Now());
  }
  Wake();
  return e;
}

swim::CommandError Worker::RemoveMember(const swim::Uuid& uuid) {
  swim::CommandError e;
  {
    std::lock_guard<std::mutex> lock(engine_mu_);
    e = engine_.remove_member(uuid, Now());
  }
  Wake();
  return e;
}

swim::CommandError Worker::ProbeMember(swim::Addr uri) {
  swim::CommandError e;
  {
    std::lock_guard<std::mutex> lock(engine_mu_);
    e = engine_.probe_member(uri, Now());
  }
  Wake();
  return e;
}

swim::CommandError Worker::Broadcast(uint16_t port) {
  swim::CommandError e;
  {
    std::lock_guard<std::mutex> lock(engine_mu_);
    e = engine_.broadcast(port, Now());
  }
  Wake();
  return e;
}

swim::CommandError Worker::SetSeeds(const std::vector<swim::Addr>& seeds) {
  swim::CommandError e;
  {
    std::lock_guard<std::mutex> lock(engine_mu_);
    e = engine_.set_seeds(seeds, Now());
  }
  Wake();
  return e;
}

swim::CommandError Worker::SetPayload(const uint8_t* data, size_t size, bool present) {
  swim::CommandError e;
  {
    std::lock_guard<std::mutex> lock(engine_mu_);
    e = engine_.set_payload(data, size, present, Now());
  }
  Wake();
  return e;
}

swim::CommandError Worker::Quit() {
  swim::CommandError e;
  {
    std::lock_guard<std::mutex> lock(engine_mu_);
    e = engine_.quit(Now());
  }
  Wake();
  return e;
}

bool Worker::Configure(const swim::ConfigPatch& patch, const swim::Addr* rebind, WorkerError* err) {
  swim::ConfigPatch p = patch;
  int fd = -1;
  swim::Addr bound = bound_;
  if (rebind != nullptr && *rebind != bound_) {  // port 0: a new free port
    fd = BindFd(*rebind, &bound, err);
    if (fd < 0) return false;
  }
  if (p.has_uri) {
    if (p.uri.ip == 0) p.uri.ip = bound.ip;
    if (p.uri.port == 0) p.uri.port = bound.port;
  }
  swim::CommandError e;
  {
    std::lock_guard<std::mutex> lock(engine_mu_);
    e = engine_.configure(p, Now());
  }
  if (e != swim::CommandError::Ok) {
    if (fd >= 0) close(fd);
    err->command = e;
    err->message = swim::command_error_name(e);
    return false;
  }
  bound_ = bound;
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
  i.size = engine_.size();
  i.quitting = engine_.quitting();
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
  }
  worker->send_errors = send_errors_.load(std::memory_order_relaxed);
  worker->send_queued = send_queued_.load(std::memory_order_relaxed);
  worker->receive_errors = receive_errors_.load(std::memory_order_relaxed);
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
  std::lock_guard<std::mutex> lock(events_mu_);
  out->swap(pending_conflicts_);
  conflicts_told_ = false;
}

void Worker::TakeEvents(std::vector<swim::MemberEvent>* out) {
  out->clear();
  std::lock_guard<std::mutex> lock(events_mu_);
  out->swap(pending_events_);
  pending_index_.clear();
  listener_told_ = false;
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

bool Worker::Joined() const {
  std::lock_guard<std::mutex> lock(join_mu_);
  return joined_ || !started_;
}

std::string Worker::FatalError() const {
  std::lock_guard<std::mutex> lock(cmd_mu_);
  return fatal_;
}

void Worker::InjectFatal(const std::string& why) {
  std::lock_guard<std::mutex> lock(cmd_mu_);
  injected_fatal_ = why.empty() ? std::string("injected fatal error") : why;
  if (async_open_) uv_async_send(&async_);
}

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
    fatal.swap(w->injected_fatal_);
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

void Worker::OnAlloc(uv_handle_t* h, size_t, uv_buf_t* buf) {
  Worker* w = static_cast<Socket*>(h->data)->owner;
  *buf = uv_buf_init(reinterpret_cast<char*>(w->recv_buf_), sizeof(w->recv_buf_));
}

void Worker::OnRecv(uv_udp_t* h, ssize_t nread, const uv_buf_t* buf, const struct sockaddr* addr,
                    unsigned flags) {
  Socket* s = static_cast<Socket*>(h->data);
  Worker* w = s->owner;
  if (nread < 0) {
    // Transient on UDP (ICMP errors...); the protocol copes with loss.
    w->receive_errors_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  if (addr == nullptr) return;  // nothing more to read now
  if (addr->sa_family != AF_INET || (flags & UV_UDP_PARTIAL)) {
    w->receive_errors_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  if (s != w->socket_) return;  // an old socket still draining after a rebind
  swim::Addr from = FromSockaddr(*reinterpret_cast<const sockaddr_in*>(addr));
  w->Step(reinterpret_cast<const uint8_t*>(buf->base), static_cast<size_t>(nread), &from);
}

void Worker::Step(const uint8_t* data, size_t size, const swim::Addr* from) {
  if (shutting_down_) return;
  if (from != nullptr && cipher_) {
    swim::io::CipherDrop drop = cipher_->open(data, size, &opened_);
    if (drop != swim::io::CipherDrop::Ok) {
      // Counted, never logged: a member with the wrong key must not flood anything.
      cipher_drops_[static_cast<size_t>(drop)].fetch_add(1, std::memory_order_relaxed);
      return;
    }
    data = opened_.data();
    size = opened_.size();
  }
  {
    std::lock_guard<std::mutex> lock(engine_mu_);
    swim::Time now = Now();
    if (from != nullptr) engine_.on_datagram(data, size, *from, now);
    if (now >= engine_.next_deadline()) engine_.on_timer(now);
    engine_.take_outbox(&outbox_);
    if (engine_.has_events()) engine_.take_events(&events_);
    if (engine_.has_conflicts()) engine_.take_conflicts(&conflicts_);
    deadline_ = engine_.next_deadline();
    quitting_ = engine_.quitting();
  }
  PublishEvents();
  PublishConflicts();
  SendAll();
  if (shutting_down_) return;
  if (deadline_ == swim::kNever) {
    uv_timer_stop(&timer_);
  } else {
    swim::Time now = Now();
    uint64_t delay_ms = deadline_ <= now ? 0 : static_cast<uint64_t>((deadline_ - now + 999) / 1000);
    uv_update_time(&loop_);
    uv_timer_start(&timer_, OnTimer, delay_ms, 0);
  }
  MaybeFinishQuit();
}

void Worker::PublishEvents() {
  if (events_.empty()) return;
  bool tell = false;
  {
    std::lock_guard<std::mutex> lock(events_mu_);
    for (swim::MemberEvent& ev : events_) {
      std::string key(reinterpret_cast<const char*>(ev.member.uuid.bytes), swim::kUuidSize);
      auto it = pending_index_.find(key);
      if (it == pending_index_.end()) {
        pending_index_.emplace(std::move(key), pending_events_.size());
        pending_events_.push_back(std::move(ev));
        continue;
      }
      swim::MemberEvent& p = pending_events_[it->second];
      if ((p.mask & swim::kEvDrop) && (ev.mask & swim::kEvNew) && !(ev.mask & swim::kEvDrop)) {
        p = std::move(ev);  // dropped, then added again: only the new member is news
      } else {
        p.mask |= ev.mask;
        p.member = std::move(ev.member);
      }
    }
    if (!listener_told_ && !pending_events_.empty()) {
      listener_told_ = true;
      tell = true;
    }
  }
  events_.clear();
  if (tell) listener_->OnEventsPending();
}

// The engine rate-limits conflicts; this bound only matters while JavaScript is blocked.
constexpr size_t kMaxPendingConflicts = 64;

void Worker::PublishConflicts() {
  if (conflicts_.empty()) return;
  bool tell = false;
  {
    std::lock_guard<std::mutex> lock(events_mu_);
    for (const swim::Conflict& c : conflicts_)
      if (pending_conflicts_.size() < kMaxPendingConflicts) pending_conflicts_.push_back(c);
    if (!conflicts_told_ && !pending_conflicts_.empty()) {
      conflicts_told_ = true;
      tell = true;
    }
  }
  conflicts_.clear();
  if (tell) listener_->OnConflictsPending();
}

void Worker::SendAll() {
  for (swim::Datagram& d : outbox_) {
    const uint8_t* data = d.bytes.data();
    size_t size = d.bytes.size();
    if (cipher_) {
      if (!cipher_->seal(data, size, &sealed_)) {
        seal_errors_.fetch_add(1, std::memory_order_relaxed);
        continue;
      }
      data = sealed_.data();
      size = sealed_.size();
    }
    if (d.broadcast)
      BroadcastOne(d.to.port, data, size);
    else
      SendOne(d.to, data, size);
  }
  outbox_.clear();
}

void Worker::SendOne(const swim::Addr& to, const uint8_t* data, size_t size) {
  if (socket_ == nullptr) return;
  sockaddr_in sa = ToSockaddr(to);
  uv_buf_t b = uv_buf_init(const_cast<char*>(reinterpret_cast<const char*>(data)),
                           static_cast<unsigned>(size));
  int r = uv_udp_try_send(&socket_->handle, &b, 1, reinterpret_cast<const sockaddr*>(&sa));
  if (r >= 0) return;
  if (r != UV_EAGAIN && r != UV_ENOSYS) {
    send_errors_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  // The socket buffer is full (or earlier sends are queued): keep a copy and queue it.
  SendReq* req = new SendReq;
  req->owner = this;
  req->bytes.assign(data, data + size);
  req->req.data = req;
  uv_buf_t qb = uv_buf_init(reinterpret_cast<char*>(req->bytes.data()),
                            static_cast<unsigned>(req->bytes.size()));
  r = uv_udp_send(&req->req, &socket_->handle, &qb, 1, reinterpret_cast<const sockaddr*>(&sa),
                  OnSendDone);
  if (r != 0) {
    delete req;
    send_errors_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  send_queued_.fetch_add(1, std::memory_order_relaxed);
}

void Worker::OnSendDone(uv_udp_send_t* r, int status) {
  SendReq* req = static_cast<SendReq*>(r->data);
  Worker* w = req->owner;
  delete req;
  if (status < 0 && status != UV_ECANCELED) w->send_errors_.fetch_add(1, std::memory_order_relaxed);
  w->MaybeFinishQuit();
}

// Sends to the broadcast address of every IPv4 interface that has one (IFF_BROADCAST).
// A loopback-only host has none: nothing is sent and broadcast_targets reads 0.
void Worker::BroadcastOne(uint16_t port, const uint8_t* data, size_t size) {
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) != 0) {
    send_errors_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  uint64_t targets = 0;
  for (ifaddrs* i = list; i != nullptr; i = i->ifa_next) {
    if (i->ifa_addr == nullptr || i->ifa_addr->sa_family != AF_INET) continue;
    if (!(i->ifa_flags & IFF_UP) || !(i->ifa_flags & IFF_BROADCAST)) continue;
    if (i->ifa_broadaddr == nullptr || i->ifa_broadaddr->sa_family != AF_INET) continue;
    swim::Addr to = FromSockaddr(*reinterpret_cast<const sockaddr_in*>(i->ifa_broadaddr));
    to.port = port;
    SendOne(to, data, size);
    ++targets;
  }
  freeifaddrs(list);
  broadcast_targets_.store(targets, std::memory_order_relaxed);
}

void Worker::ApplyPendingCipher() {
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
}

void Worker::SwapSocket(int fd) {
  Socket* s = new Socket;
  s->owner = this;
  s->handle.data = s;
  int r = uv_udp_init(&loop_, &s->handle);
  if (r != 0) {
    delete s;
    close(fd);
    Fail(UvMessage("uv_udp_init", r));
    return;
  }
  r = uv_udp_open(&s->handle, fd);
  if (r == 0) {
    uv_udp_set_broadcast(&s->handle, 1);
    r = uv_udp_recv_start(&s->handle, OnAlloc, OnRecv);
  } else {
    close(fd);  // uv_udp_open did not take it
  }
  if (r != 0) {
    uv_close(reinterpret_cast<uv_handle_t*>(&s->handle), OnHandleClosed);
    Fail(UvMessage("switching socket", r));
    return;
  }
  Socket* old = socket_;
  socket_ = s;
  if (old != nullptr) {
    uv_udp_recv_stop(&old->handle);
    uv_close(reinterpret_cast<uv_handle_t*>(&old->handle), OnHandleClosed);
  }
}

void Worker::MaybeFinishQuit() {
  if (!quitting_ || shutting_down_) return;
  bool flushed = outbox_.empty() &&
                 (socket_ == nullptr || uv_udp_get_send_queue_count(&socket_->handle) == 0);
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
  socket_ = nullptr;
  // Closing every handle ends uv_run; queued sends complete with ECANCELED first.
  uv_walk(
      &loop_,
      [](uv_handle_t* h, void*) {
        if (!uv_is_closing(h)) uv_close(h, OnHandleClosed);
      },
      nullptr);
}

}  // namespace swim_io
