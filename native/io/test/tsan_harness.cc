// ThreadSanitizer harness for native/io without Node (scripts/tsan.sh builds and runs it):
// the core, the worker, the UDP socket and the ciphers linked against the system's libuv and
// OpenSSL, built with -fsanitize=thread.
//
//   1. The socket: SO_BROADCAST is off on a bound socket and on an adopted one (it is set
//      only inside UdpSocket::Broadcast()).
//   2. Several workers on 127.0.0.1 with an AES-GCM codec mesh (chain bootstrap) while other
//      threads hammer them: reads (GetInfo, Members, Member, Self, GetStats), TakeEvents,
//      commands (AddMember/RemoveMember of made-up members, SetPayload, ProbeMember,
//      Configure of the heartbeat and of a new uri, which rebinds the socket), SetCipher
//      with the same ring. The mesh must form (every worker sees every other alive).
//   3. Stop/join races: RequestStop from several threads at once, Join from several
//      threads at once, reads still running; one worker stops itself through Quit().
//   4. Workers destroyed without an explicit stop (the destructor stops and joins), and one
//      destroyed before Start().
// Exit status 0 and "tsan_harness: ok" on success; any TSan report fails the run
// (scripts/tsan.sh sets halt_on_error=1 and checks the output too).
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "io/crypto.h"
#include "io/udp_socket.h"
#include "io/worker.h"

namespace {

using Clock = std::chrono::steady_clock;

[[noreturn]] void die(const std::string& what) {
  std::fprintf(stderr, "tsan_harness: FAILED: %s\n", what.c_str());
  std::fflush(nullptr);
  _exit(1);  // other threads are still running: no static destructors, no atexit
}

swim::Addr loopback(uint16_t port) {
  swim::Addr a;
  a.ip = 0x7F000001;
  a.port = port;
  return a;
}

swim::Uuid make_uuid(uint32_t n) {
  swim::Uuid u;
  u.bytes[6] = 0x10;
  std::memcpy(u.bytes + 12, &n, 4);
  return u;
}

class Listener final : public swim_io::WorkerListener {
 public:
  void OnEventsPending() override { pending.fetch_add(1, std::memory_order_relaxed); }
  void OnWorkerExit() override { exits.fetch_add(1, std::memory_order_relaxed); }
  std::atomic<uint64_t> pending{0};
  std::atomic<uint32_t> exits{0};
};

std::unique_ptr<swim::io::PacketCipher> gcm(const std::vector<uint8_t>& key) {
  swim::io::CipherConfig c;
  c.algo = swim::io::CipherAlgo::AesGcm;
  c.keys.push_back(key);
  std::string error;
  std::unique_ptr<swim::io::PacketCipher> p = swim::io::make_cipher(c, &error);
  if (!p) die("make_cipher: " + error);
  return p;
}

struct Node {
  Listener listener;
  std::shared_ptr<swim_io::StateCell> state = std::make_shared<swim_io::StateCell>();
  std::unique_ptr<swim_io::Worker> worker;
  swim::Uuid uuid;
};

std::unique_ptr<Node> open_node(uint32_t n, const std::vector<uint8_t>& key) {
  std::unique_ptr<Node> node(new Node());
  node->uuid = make_uuid(n);
  swim_io::WorkerConfig cfg;
  cfg.bind = loopback(0);
  cfg.uuid = node->uuid;
  cfg.heartbeat_rate = 0.05;
  cfg.ack_timeout = 0.5;
  cfg.seed = 1000 + n;
  swim_io::WorkerError err;
  node->worker = swim_io::Worker::Open(cfg, node->state, &node->listener, &err);
  if (!node->worker) die("Worker::Open: " + err.message);
  node->worker->SetCipher(gcm(key));
  return node;
}

void check_socket_options() {
  uv_loop_t loop;
  if (uv_loop_init(&loop) != 0) die("uv_loop_init");
  struct Sink final : swim_io::UdpSocket::Receiver {
    void OnDatagram(swim_io::UdpSocket*, const uint8_t*, size_t, swim::Addr) override {}
    void OnSendDone() override {}
  } sink;
  swim_io::UdpCounters counters;
  swim_io::UdpSocket* bound = nullptr;
  swim::Addr addr;
  std::string message;
  if (swim_io::UdpSocket::Bind(&loop, loopback(0), &sink, &counters, &bound, &addr, &message) != 0)
    die("Bind: " + message);
  if (bound->BroadcastOption() != 0) die("SO_BROADCAST is on after Bind()");
  int fd = swim_io::BindUdpFd(loopback(0), &addr, &message);
  if (fd < 0) die("BindUdpFd: " + message);
  swim_io::UdpSocket* adopted = nullptr;
  if (swim_io::UdpSocket::Adopt(&loop, fd, &sink, &counters, &adopted, &message) != 0) die("Adopt: " + message);
  if (adopted->BroadcastOption() != 0) die("SO_BROADCAST is on after Adopt()");
  // The kernel agrees: without SO_BROADCAST a send to the limited broadcast address is
  // refused before anything leaves (EACCES). Only tried once the option is known to be off.
  int raw = socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(9);
  to.sin_addr.s_addr = htonl(0xFFFFFFFF);
  int on = -1;
  socklen_t len = sizeof(on);
  if (getsockopt(raw, SOL_SOCKET, SO_BROADCAST, &on, &len) != 0 || on != 0) die("a fresh socket has SO_BROADCAST");
  if (sendto(raw, "x", 1, 0, reinterpret_cast<sockaddr*>(&to), sizeof(to)) >= 0 || errno != EACCES)
    die("a send to 255.255.255.255 without SO_BROADCAST was not refused with EACCES");
  close(raw);
  bound->Close();
  adopted->Close();
  uv_run(&loop, UV_RUN_DEFAULT);
  if (uv_loop_close(&loop) != 0) die("loop not empty after closing the sockets");
  std::printf("tsan_harness: SO_BROADCAST off after Bind() and Adopt()\n");
}

// The replay window on its own: remembers at least the last kReplayWindow pairs and forgets
// what is older than 2 * kReplayWindow; the key id is part of the pair.
void check_replay_window() {
  swim::io::ReplayWindow w;
  const uint8_t id[3] = {1, 2, 3}, other_id[3] = {1, 2, 4};
  auto nonce = [](uint32_t i, uint8_t out[12]) {
    std::memset(out, 0, 12);
    uint64_t x = (i + 1) * 0x9E3779B97F4A7C15ull;  // distinct, nonce-like bits
    std::memcpy(out, &x, 8);
    std::memcpy(out + 8, &i, 4);
  };
  const uint32_t n = swim::io::kReplayWindow;
  uint8_t b[12];
  for (uint32_t i = 0; i < n; ++i) {
    nonce(i, b);
    if (w.seen(id, b)) die("replay window: a new nonce was seen");
  }
  for (uint32_t i = 0; i < n; ++i) {
    nonce(i, b);
    if (!w.seen(id, b)) die("replay window: forgot a nonce within the window");
    if (w.seen(other_id, b)) die("replay window: the key id is not part of the pair");
  }
  // other_id filled the rest: the first n pairs are now the older table, still remembered...
  for (uint32_t i = 0; i < n; ++i) {
    nonce(i, b);
    if (!w.seen(id, b)) die("replay window: forgot one of the last 2n pairs too early");
  }
  // ...until n newer pairs push them out.
  for (uint32_t i = n; i < 2 * n; ++i) {
    nonce(i, b);
    if (w.seen(id, b)) die("replay window: a new nonce was seen");
  }
  uint32_t remembered = 0;
  for (uint32_t i = 0; i < n; ++i) {
    nonce(i, b);
    remembered += w.seen(id, b);
  }
  if (remembered != 0) die("replay window: kept pairs older than 2n");
  std::printf("tsan_harness: replay window remembers the last %u..%u pairs\n", n, 2 * n);
}

bool fullmesh(const std::vector<std::unique_ptr<Node>>& nodes) {
  for (auto& n : nodes) {
    if (n->worker->GetInfo().size < nodes.size()) return false;
    for (auto& o : nodes) {
      swim::MemberSnapshot m;
      if (!n->worker->Member(o->uuid, &m) || m.status != swim::Status::Alive) return false;
    }
  }
  return true;
}

void run_cluster(size_t count) {
  std::vector<uint8_t> key(32, 0x5A);
  std::vector<std::unique_ptr<Node>> nodes;
  for (size_t i = 0; i < count; ++i) nodes.push_back(open_node(static_cast<uint32_t>(i + 1), key));
  for (auto& n : nodes) {
    swim_io::WorkerError err;
    if (!n->worker->Start(&err)) die("Start: " + err.message);
  }
  for (size_t i = 1; i < count; ++i) {
    swim::CommandError e = nodes[i]->worker->AddMember(nodes[i - 1]->worker->GetInfo().uri, nodes[i - 1]->uuid);
    if (e != swim::CommandError::Ok) die("AddMember");
  }

  std::atomic<bool> stop{false};
  std::atomic<uint64_t> reads{0}, events{0}, commands{0};
  std::vector<std::thread> threads;
  // Readers.
  for (int r = 0; r < 2; ++r) {
    threads.emplace_back([&] {
      std::vector<swim::MemberSnapshot> ms;
      while (!stop.load()) {
        for (auto& n : nodes) {
          swim_io::Worker::Info info = n->worker->GetInfo();
          n->worker->Members(&ms);
          swim::MemberSnapshot m;
          n->worker->Self(&m);
          n->worker->Member(nodes[0]->uuid, &m);
          swim::Stats s;
          swim_io::WorkerStats w;
          n->worker->GetStats(&s, &w);
          (void)info;
          (void)n->state->load();
          reads.fetch_add(1, std::memory_order_relaxed);
        }
      }
    });
  }
  // The event consumer (the JS thread's role).
  threads.emplace_back([&] {
    std::vector<swim::MemberEvent> evs;
    while (!stop.load()) {
      for (auto& n : nodes) {
        if (n->listener.pending.load() == 0) continue;
        n->worker->TakeEvents(&evs);
        events.fetch_add(evs.size(), std::memory_order_relaxed);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  });
  // Commands from two threads.
  for (int c = 0; c < 2; ++c) {
    threads.emplace_back([&, c] {
      uint32_t i = 0;
      while (!stop.load()) {
        Node& n = *nodes[(i + c) % nodes.size()];
        swim::Uuid ghost = make_uuid(100000 + i % 64 + 64 * c);
        n.worker->AddMember(loopback(static_cast<uint16_t>(40000 + i % 64)), ghost);
        uint8_t payload[32];
        std::memset(payload, static_cast<int>(i), sizeof(payload));
        n.worker->SetPayload(payload, 1 + i % sizeof(payload), true);
        n.worker->RemoveMember(ghost);
        if (i % 16 == 0) n.worker->ProbeMember(nodes[(i + c + 1) % nodes.size()]->worker->GetInfo().uri);
        if (i % 32 == 0) {
          swim::ConfigPatch p;
          p.has_heartbeat_rate = true;
          p.heartbeat_rate = 0.04 + 0.01 * (i % 3);
          swim_io::WorkerError err;
          n.worker->Configure(p, nullptr, &err);
        }
        if (i % 64 == 0) n.worker->SetCipher(gcm(key));  // same ring: traffic goes on
        commands.fetch_add(1, std::memory_order_relaxed);
        ++i;
        std::this_thread::sleep_for(std::chrono::microseconds(300));
      }
    });
  }

  // A rebind while all that runs: node 0 moves to a new port; the others learn it.
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  {
    swim::ConfigPatch p;
    p.has_uri = true;
    p.uri = loopback(0);
    swim_io::WorkerError err;
    swim::Addr listen = loopback(0);  // listen where we announce: a new free port
    if (!nodes[0]->worker->Configure(p, &listen, &err)) die("Configure(uri): " + err.message);
  }
  Clock::time_point deadline = Clock::now() + std::chrono::seconds(30);
  while (!fullmesh(nodes)) {
    if (Clock::now() > deadline) die("no full mesh within 30 s");
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  std::printf("tsan_harness: %zu workers meshed\n", count);
  std::this_thread::sleep_for(std::chrono::milliseconds(500));  // a few more rounds under load
  uint64_t acks = 0;
  for (auto& n : nodes) {
    swim::Stats s;
    swim_io::WorkerStats w;
    n->worker->GetStats(&s, &w);
    acks += s.acks_received;
    if (s.drops_self_source != 0) die("a worker heard itself");
    if (w.transform_drops != 0 && w.transform_drops != w.cipher_drops[static_cast<size_t>(swim::io::CipherDrop::Replay)])
      die("datagrams rejected by the cipher in a cluster with one key");
  }
  if (acks == 0) die("no acks received");

  // Node 1 quits: it stops by itself once its goodbyes are sent.
  if (nodes[1]->worker->Quit() != swim::CommandError::Ok) die("Quit");
  deadline = Clock::now() + std::chrono::seconds(10);
  while (nodes[1]->state->load() != swim_io::kStateTerminated) {
    if (Clock::now() > deadline) die("quit did not stop the worker");
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  if (!nodes[1]->worker->StoppedItself()) die("a quit worker did not claim its own stop");

  // Stop and join races, with the readers and the commands still running.
  std::vector<std::thread> stoppers;
  for (size_t i = 0; i < count; ++i) {
    if (i == 1 || i == count - 1) continue;  // 1 quit; the last is left to its destructor
    swim_io::Worker* w = nodes[i]->worker.get();
    std::shared_ptr<swim_io::StateCell> state = nodes[i]->state;
    for (int t = 0; t < 3; ++t)
      stoppers.emplace_back([w, state] {
        // As the binding does: only the CAS winner asks; the others ask anyway (idempotent).
        state->cas(swim_io::kStateRunning, swim_io::kStateStopping);
        w->RequestStop();
      });
  }
  std::atomic<int> joined{0};
  for (size_t i = 0; i < count - 1; ++i) {
    swim_io::Worker* w = nodes[i]->worker.get();
    for (int t = 0; t < 3; ++t)
      stoppers.emplace_back([w, &joined] {
        if (w->Join()) joined.fetch_add(1);
      });
  }
  for (auto& t : stoppers) t.join();
  if (joined.load() != static_cast<int>(count - 1)) die("Join() returned true other than once per worker");
  for (size_t i = 0; i < count - 1; ++i)
    if (nodes[i]->state->load() != swim_io::kStateTerminated || nodes[i]->listener.exits.load() != 1)
      die("a joined worker is not TERMINATED exactly once");

  stop.store(true);
  for (auto& t : threads) t.join();
  std::printf("tsan_harness: %llu reads, %llu events, %llu commands under load\n",
              static_cast<unsigned long long>(reads.load()), static_cast<unsigned long long>(events.load()),
              static_cast<unsigned long long>(commands.load()));
  // The last one: the destructor stops and joins it.
  nodes.clear();
}

void destroy_unstarted() {
  std::vector<uint8_t> key(16, 1);
  std::unique_ptr<Node> n = open_node(500, key);
  n->worker->AddMember(loopback(1234), make_uuid(501));
  n->worker.reset();  // never started: closes its loop on this thread
}

}  // namespace

int main() {
  check_socket_options();
  check_replay_window();
  destroy_unstarted();
  for (int round = 0; round < 2; ++round) run_cluster(4);
  std::printf("tsan_harness: ok\n");
  return 0;
}
