#pragma once
// A netlink socket (libmnl) as a move-only owner, with one place that turns netlink errors into
// errno values: request() sends a message and waits for its ACK, checking port id and sequence.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

struct mnl_socket;
struct nlmsghdr;

namespace ftpgate {

// Large enough for a 64 KiB packet plus netlink and NFQUEUE attribute overhead.
inline constexpr size_t kNetlinkBufferSize = 0xffff + 8192;

class NetlinkSocket {
 public:
  // Throws std::system_error with a readable message (start-up only).
  explicit NetlinkSocket(int bus);
  NetlinkSocket(NetlinkSocket&&) noexcept = default;
  NetlinkSocket& operator=(NetlinkSocket&&) noexcept = default;

  int fd() const;
  uint32_t portid() const { return portid_; }
  uint32_t next_seq() { return ++seq_; }

  // Sends one message (its nlmsg_seq must come from next_seq()); returns 0 or -errno.
  int send(const nlmsghdr* nlh);
  // Sends several messages laid end to end in one sendmsg; returns 0 or -errno.
  int send_bytes(const void* messages, size_t len);
  // Sends a message that carries NLM_F_ACK and waits for the ACK or error of that sequence.
  // Data replies before it are passed to on_reply (may be empty). Returns 0 or -errno.
  int request(nlmsghdr* nlh, const std::function<void(const nlmsghdr*)>& on_reply = {});
  // Requests made (each one netlink round trip).
  uint64_t requests() const { return requests_; }
  // Receives into `buf` (non-blocking if the socket is); returns bytes, or -errno.
  long receive(void* buf, size_t len);

  // setsockopt helpers; return 0 or -errno.
  int set_receive_buffer(int bytes);
  int set_no_enobufs(bool on);
  int set_nonblocking(bool on);
  // Joins a multicast group (NETLINK_ADD_MEMBERSHIP): events are then received.
  int add_membership(unsigned group);

 private:
  struct Closer {
    void operator()(mnl_socket* s) const;
  };
  std::unique_ptr<mnl_socket, Closer> sock_;
  std::vector<char> reply_buf_;  // request()'s replies: allocated once, not per request
  uint32_t portid_ = 0;
  uint32_t seq_ = 0;
  uint64_t requests_ = 0;
};

// "EOPNOTSUPP" -> "operation not supported (EOPNOTSUPP)".
std::string errno_text(int err);

}  // namespace ftpgate
