// The worker's UDP socket: see udp_socket.h.
#include "io/udp_socket.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

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

// The current errno as a libuv code, with *message naming the call that failed.
int SysError(const char* what, std::string* message) {
  int code = uv_translate_sys_error(errno);
  *message = UvMessage(what, code);
  return code;
}

}  // namespace

std::string UvMessage(const char* what, int code) {
  std::string m = what;
  m += ": ";
  m += uv_err_name(code);
  m += " (";
  m += uv_strerror(code);
  m += ")";
  return m;
}

int BindUdpFd(swim::Addr addr, swim::Addr* bound, std::string* message) {
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  if (fd < 0) return SysError("socket", message);
  int code = 0;
  // Non-blocking and close-on-exec, like the sockets libuv makes.
  int fl = fcntl(fd, F_GETFL);
  sockaddr_in sa = ToSockaddr(addr);
  socklen_t len = sizeof(sa);
  if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0 || fcntl(fd, F_SETFD, FD_CLOEXEC) < 0)
    code = SysError("fcntl", message);
  else if (bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) != 0)
    code = SysError("bind", message);
  else if (getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len) != 0)
    code = SysError("getsockname", message);
  if (code != 0) {
    close(fd);
    return code;
  }
  *bound = FromSockaddr(sa);
  return fd;
}

// A datagram that could not be sent at once (EAGAIN): owns a copy of its bytes.
struct UdpSocket::SendReq {
  uv_udp_send_t req;
  std::vector<uint8_t> bytes;
  UdpSocket* socket;
};

UdpSocket::UdpSocket(Receiver* receiver, UdpCounters* counters)
    : receiver_(receiver), counters_(counters) {
  handle_.data = this;
}

int UdpSocket::Init(uv_loop_t* loop, Receiver* receiver, UdpCounters* counters, UdpSocket** out,
                    std::string* message) {
  UdpSocket* s = new UdpSocket(receiver, counters);
  int r = uv_udp_init(loop, &s->handle_);
  if (r != 0) {
    delete s;
    *message = UvMessage("uv_udp_init", r);
    return r;
  }
  *out = s;
  return 0;
}

int UdpSocket::Bind(uv_loop_t* loop, swim::Addr addr, Receiver* receiver, UdpCounters* counters,
                    UdpSocket** out, swim::Addr* bound, std::string* message) {
  UdpSocket* s = nullptr;
  int r = Init(loop, receiver, counters, &s, message);
  if (r != 0) return r;
  sockaddr_in sa = ToSockaddr(addr);
  int len = sizeof(sa);
  r = uv_udp_bind(&s->handle_, reinterpret_cast<const sockaddr*>(&sa), 0);
  if (r != 0) {
    *message = UvMessage("bind", r);
  } else {
    r = uv_udp_getsockname(&s->handle_, reinterpret_cast<sockaddr*>(&sa), &len);
    if (r != 0) *message = UvMessage("getsockname", r);
  }
  if (r != 0) {
    s->Close();
    return r;
  }
  *bound = FromSockaddr(sa);
  *out = s;
  return 0;
}

int UdpSocket::Adopt(uv_loop_t* loop, int fd, Receiver* receiver, UdpCounters* counters,
                     UdpSocket** out, std::string* message) {
  UdpSocket* s = nullptr;
  int r = Init(loop, receiver, counters, &s, message);
  if (r != 0) {
    close(fd);
    return r;
  }
  r = uv_udp_open(&s->handle_, fd);
  if (r != 0) {
    close(fd);  // uv_udp_open did not take it
  } else {
    r = uv_udp_recv_start(&s->handle_, OnAlloc, OnRecv);
  }
  if (r != 0) {
    *message = UvMessage("switching socket", r);
    s->Close();
    return r;
  }
  *out = s;
  return 0;
}

int UdpSocket::StartReceiving(std::string* message) {
  int r = uv_udp_recv_start(&handle_, OnAlloc, OnRecv);
  if (r != 0) *message = UvMessage("uv_udp_recv_start", r);
  return r;
}

void UdpSocket::Close() {
  if (uv_is_closing(reinterpret_cast<uv_handle_t*>(&handle_))) return;
  uv_udp_recv_stop(&handle_);
  uv_close(reinterpret_cast<uv_handle_t*>(&handle_), OnClosed);
}

void UdpSocket::OnClosed(uv_handle_t* h) { delete static_cast<UdpSocket*>(h->data); }

void UdpSocket::OnAlloc(uv_handle_t* h, size_t, uv_buf_t* buf) {
  UdpSocket* s = static_cast<UdpSocket*>(h->data);
  *buf = uv_buf_init(reinterpret_cast<char*>(s->recv_buf_), sizeof(s->recv_buf_));
}

void UdpSocket::OnRecv(uv_udp_t* h, ssize_t nread, const uv_buf_t* buf, const struct sockaddr* addr,
                       unsigned flags) {
  UdpSocket* s = static_cast<UdpSocket*>(h->data);
  if (nread < 0) {
    // Transient on UDP (ICMP errors...); the protocol copes with loss.
    s->counters_->receive_errors.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  if (addr == nullptr) return;  // nothing more to read now
  if ((flags & UV_UDP_PARTIAL) || static_cast<size_t>(nread) > kMaxDatagramSize) {
    s->counters_->oversize.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  if (addr->sa_family != AF_INET) {
    s->counters_->receive_errors.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  swim::Addr from = FromSockaddr(*reinterpret_cast<const sockaddr_in*>(addr));
  s->receiver_->OnDatagram(s, reinterpret_cast<const uint8_t*>(buf->base), static_cast<size_t>(nread),
                           from);
}

int UdpSocket::TrySend(swim::Addr to, const uint8_t* data, size_t size) {
  sockaddr_in sa = ToSockaddr(to);
  uv_buf_t b = uv_buf_init(const_cast<char*>(reinterpret_cast<const char*>(data)),
                           static_cast<unsigned>(size));
  return uv_udp_try_send(&handle_, &b, 1, reinterpret_cast<const sockaddr*>(&sa));
}

void UdpSocket::Send(swim::Addr to, const uint8_t* data, size_t size) {
  int r = TrySend(to, data, size);
  if (r >= 0) return;
  if (r != UV_EAGAIN && r != UV_ENOSYS) {
    counters_->send_errors.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  // The socket buffer is full (or earlier sends are queued): keep a copy and queue it.
  sockaddr_in sa = ToSockaddr(to);
  SendReq* req = new SendReq;
  req->socket = this;
  req->bytes.assign(data, data + size);
  req->req.data = req;
  uv_buf_t qb = uv_buf_init(reinterpret_cast<char*>(req->bytes.data()),
                            static_cast<unsigned>(req->bytes.size()));
  r = uv_udp_send(&req->req, &handle_, &qb, 1, reinterpret_cast<const sockaddr*>(&sa), OnSendDone);
  if (r != 0) {
    delete req;
    counters_->send_errors.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  counters_->send_queued.fetch_add(1, std::memory_order_relaxed);
}

void UdpSocket::OnSendDone(uv_udp_send_t* r, int status) {
  SendReq* req = static_cast<SendReq*>(r->data);
  UdpSocket* s = req->socket;  // alive: libuv completes sends before the close callback
  delete req;
  if (status < 0 && status != UV_ECANCELED)
    s->counters_->send_errors.fetch_add(1, std::memory_order_relaxed);
  s->receiver_->OnSendDone();
}

size_t UdpSocket::QueuedSends() const { return uv_udp_get_send_queue_count(&handle_); }

int UdpSocket::BroadcastOption() const {
  uv_os_fd_t fd;
  int r = uv_fileno(reinterpret_cast<const uv_handle_t*>(&handle_), &fd);
  if (r != 0) return r;
  int on = 0;
  socklen_t len = sizeof(on);
  if (getsockopt(fd, SOL_SOCKET, SO_BROADCAST, &on, &len) != 0) return uv_translate_sys_error(errno);
  return on != 0 ? 1 : 0;
}

// A loopback-only host has no broadcast address: nothing is sent and *targets is 0.
bool UdpSocket::Broadcast(uint16_t port, const uint8_t* data, size_t size, uint64_t* targets) {
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) != 0) {
    counters_->send_errors.fetch_add(1, std::memory_order_relaxed);
    return false;
  }
  uint64_t n = 0;
  bool on = false;  // SO_BROADCAST, set before the first target and cleared after the last
  for (ifaddrs* i = list; i != nullptr; i = i->ifa_next) {
    if (i->ifa_addr == nullptr || i->ifa_addr->sa_family != AF_INET) continue;
    if (!(i->ifa_flags & IFF_UP) || !(i->ifa_flags & IFF_BROADCAST)) continue;
    if (i->ifa_broadaddr == nullptr || i->ifa_broadaddr->sa_family != AF_INET) continue;
    swim::Addr to = FromSockaddr(*reinterpret_cast<const sockaddr_in*>(i->ifa_broadaddr));
    to.port = port;
    if (!on && uv_udp_set_broadcast(&handle_, 1) != 0) {
      counters_->send_errors.fetch_add(1, std::memory_order_relaxed);
      break;
    }
    on = true;
    // Not queued: a queued send would go out after SO_BROADCAST is cleared again.
    if (TrySend(to, data, size) < 0) counters_->send_errors.fetch_add(1, std::memory_order_relaxed);
    ++n;
  }
  if (on) uv_udp_set_broadcast(&handle_, 0);
  freeifaddrs(list);
  *targets = n;
  return true;
}

}  // namespace swim_io
