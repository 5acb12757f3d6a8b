// An IPv4 UDP socket on a libuv loop, for the worker: bind, receive, send (queued when the
// socket buffer is full) and broadcast to every interface. Knows nothing of SWIM.
// Everything but BindUdpFd runs on the thread that runs the loop.
#pragma once

#include <uv.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>

#include "core/types.h"

namespace swim_io {

// Largest datagram accepted: 1500 MTU - 20 IPv4 - 8 UDP (swim::io::kUdpPacketSize). Longer
// ones are dropped on arrival, before anything looks at their bytes, and counted (oversize).
constexpr size_t kMaxDatagramSize = 1472;

// Counters that outlive any one socket (a rebind replaces the socket); read from any thread.
struct UdpCounters {
  std::atomic<uint64_t> send_errors{0};     // sends that failed (unreachable, EPERM...)
  std::atomic<uint64_t> send_queued{0};     // sends that had to wait for the socket (EAGAIN)
  std::atomic<uint64_t> receive_errors{0};  // recv errors, non-IPv4 datagrams
  std::atomic<uint64_t> oversize{0};        // datagrams over kMaxDatagramSize, dropped unread
};

// "what: NAME (description)" for a libuv error code.
std::string UvMessage(const char* what, int code);

// Binds a non-blocking, close-on-exec datagram socket on the calling thread, for
// UdpSocket::Adopt on the loop's thread later. Returns the fd, or a negative libuv error
// code with *message set.
int BindUdpFd(swim::Addr addr, swim::Addr* bound, std::string* message);

class UdpSocket {
 public:
  // Told on the loop's thread.
  class Receiver {
   public:
    virtual void OnDatagram(UdpSocket* socket, const uint8_t* data, size_t size, swim::Addr from) = 0;
    // A queued send completed, failed or was cancelled.
    virtual void OnSendDone() = 0;

   protected:
    ~Receiver() = default;
  };

  // The functions below return 0 or a libuv error code (then *message says what failed).
  // A socket lives on the heap and deletes itself once closed; on failure nothing is left
  // but what closing the loop releases.

  // Binds a new socket on `loop`; receiving starts with StartReceiving(). No
  // SO_REUSEADDR: a port in use fails with EADDRINUSE.
  static int Bind(uv_loop_t* loop, swim::Addr addr, Receiver* receiver, UdpCounters* counters,
                  UdpSocket** out, swim::Addr* bound, std::string* message);
  // Takes over a socket from BindUdpFd (closing the fd on failure) and starts receiving.
  static int Adopt(uv_loop_t* loop, int fd, Receiver* receiver, UdpCounters* counters,
                   UdpSocket** out, std::string* message);
  int StartReceiving(std::string* message);

  void Send(swim::Addr to, const uint8_t* data, size_t size);
  // Sends to the broadcast address of every IPv4 interface that has one (IFF_BROADCAST);
  // *targets says how many. False (a send error) when the interfaces cannot be listed.
  // SO_BROADCAST is on only during this call (off on a socket otherwise, so no member
  // address can make a plain Send() reach a broadcast address); hence broadcast sends are
  // never queued: one the socket cannot take at once counts as a send error.
  bool Broadcast(uint16_t port, const uint8_t* data, size_t size, uint64_t* targets);
  // Sends still waiting for the socket.
  size_t QueuedSends() const;
  // SO_BROADCAST as the kernel has it (0 or 1), or a negative libuv error; for tests.
  int BroadcastOption() const;
  // Stops receiving and closes; queued sends complete with UV_ECANCELED first.
  void Close();

 private:
  struct SendReq;
  UdpSocket(Receiver* receiver, UdpCounters* counters);
  static int Init(uv_loop_t* loop, Receiver* receiver, UdpCounters* counters, UdpSocket** out,
                  std::string* message);
  static void OnAlloc(uv_handle_t* h, size_t suggested, uv_buf_t* buf);
  static void OnRecv(uv_udp_t* h, ssize_t nread, const uv_buf_t* buf, const struct sockaddr* addr,
                     unsigned flags);
  static void OnSendDone(uv_udp_send_t* req, int status);
  static void OnClosed(uv_handle_t* h);
  int TrySend(swim::Addr to, const uint8_t* data, size_t size);

  uv_udp_t handle_;
  Receiver* receiver_;
  UdpCounters* counters_;
  // One byte more than the largest datagram accepted: anything longer arrives truncated
  // (UV_UDP_PARTIAL) or fills it, and is dropped as oversize.
  alignas(8) uint8_t recv_buf_[kMaxDatagramSize + 64];
};

}  // namespace swim_io
