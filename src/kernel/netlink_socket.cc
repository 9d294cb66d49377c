#include "kernel/netlink_socket.h"

#include <fcntl.h>
#include <libmnl/libmnl.h>
#include <linux/netlink.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <system_error>
#include <vector>

namespace ftpgate {

void NetlinkSocket::Closer::operator()(mnl_socket* s) const {
  if (s != nullptr) mnl_socket_close(s);
}

NetlinkSocket::NetlinkSocket(int bus) {
  mnl_socket* s = mnl_socket_open(bus);
  if (s == nullptr) throw std::system_error(errno, std::generic_category(), "netlink socket");
  sock_.reset(s);
  if (mnl_socket_bind(s, 0, MNL_SOCKET_AUTOPID) < 0)
    throw std::system_error(errno, std::generic_category(), "netlink bind");
  portid_ = mnl_socket_get_portid(s);
  seq_ = static_cast<uint32_t>(time(nullptr));
}

int NetlinkSocket::fd() const { return mnl_socket_get_fd(sock_.get()); }

int NetlinkSocket::send(const nlmsghdr* nlh) { return send_bytes(nlh, nlh->nlmsg_len); }

int NetlinkSocket::send_bytes(const void* messages, size_t len) {
  if (mnl_socket_sendto(sock_.get(), messages, len) < 0) return -errno;
  return 0;
}

long NetlinkSocket::receive(void* buf, size_t len) {
  const ssize_t n = mnl_socket_recvfrom(sock_.get(), buf, len);
  return n < 0 ? -errno : n;
}

namespace {
struct RequestState {
  const std::function<void(const nlmsghdr*)>* on_reply;
};
int data_cb(const nlmsghdr* nlh, void* data) {
  auto* st = static_cast<RequestState*>(data);
  if (st->on_reply != nullptr && *st->on_reply) (*st->on_reply)(nlh);
  return MNL_CB_OK;
}
}  // namespace

int NetlinkSocket::request(nlmsghdr* nlh, const std::function<void(const nlmsghdr*)>& on_reply) {
  const uint32_t seq = nlh->nlmsg_seq;
  ++requests_;
  if (int rc = send(nlh); rc < 0) return rc;
  if (reply_buf_.empty()) reply_buf_.resize(kNetlinkBufferSize);  // once per socket
  std::vector<char>& buf = reply_buf_;
  RequestState st{&on_reply};
  for (;;) {
    const ssize_t n = mnl_socket_recvfrom(sock_.get(), buf.data(), buf.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return -errno;
    }
    // mnl_cb_run checks sequence and port id, calls data_cb for data and returns
    // MNL_CB_STOP on the ACK (an error message with error 0) or -1 with errno on an error.
    const int rc = mnl_cb_run(buf.data(), static_cast<size_t>(n), seq, portid_, data_cb, &st);
    if (rc == MNL_CB_STOP) return 0;
    if (rc < 0) {
      if (errno == ESRCH || errno == EPROTO) continue;  // another sequence: stale reply, skip
      return -errno;
    }
  }
}

int NetlinkSocket::set_receive_buffer(int bytes) {
  // SO_RCVBUFFORCE ignores rmem_max (we are root); fall back to SO_RCVBUF.
  if (setsockopt(fd(), SOL_SOCKET, SO_RCVBUFFORCE, &bytes, sizeof(bytes)) == 0) return 0;
  return setsockopt(fd(), SOL_SOCKET, SO_RCVBUF, &bytes, sizeof(bytes)) == 0 ? 0 : -errno;
}

int NetlinkSocket::set_no_enobufs(bool on) {
  int v = on ? 1 : 0;
  return setsockopt(fd(), SOL_NETLINK, NETLINK_NO_ENOBUFS, &v, sizeof(v)) == 0 ? 0 : -errno;
}

int NetlinkSocket::add_membership(unsigned group) {
  return mnl_socket_setsockopt(sock_.get(), NETLINK_ADD_MEMBERSHIP, &group, sizeof(group)) == 0 ? 0 : -errno;
}

int NetlinkSocket::set_nonblocking(bool on) {
  int flags = fcntl(fd(), F_GETFL);
  if (flags < 0) return -errno;
  flags = on ? (flags | O_NONBLOCK) : (flags & ~O_NONBLOCK);
  return fcntl(fd(), F_SETFL, flags) == 0 ? 0 : -errno;
}

std::string errno_text(int err) {
  if (err < 0) err = -err;
  const char* name = strerrordesc_np(err);
  const char* abbrev = strerrorname_np(err);
  std::string s = name ? name : "unknown error";
  if (!s.empty()) s[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(s[0])));
  if (abbrev) s += std::string(" (") + abbrev + ")";
  return s;
}

}  // namespace ftpgate
