// The floor for any NFQUEUE daemon on this machine: receive each packet and accept it at once,
// with the same socket setup as ftpgate (libmnl + libnetfilter_queue, copy packet, GSO).
//   trivial_consumer QUEUE
#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink_queue.h>
#include <libnetfilter_queue/libnetfilter_queue.h>

#include <cstdio>
#include <cstdlib>
#include <vector>

static mnl_socket* nl;
static unsigned queue_num;

static int on_packet(const nlmsghdr* nlh, void*) {
  nlattr* attr[NFQA_MAX + 1] = {};
  if (nfq_nlmsg_parse(nlh, attr) < 0 || !attr[NFQA_PACKET_HDR]) return MNL_CB_OK;
  auto* ph = static_cast<nfqnl_msg_packet_hdr*>(mnl_attr_get_payload(attr[NFQA_PACKET_HDR]));
  char buf[MNL_SOCKET_BUFFER_SIZE];
  nlmsghdr* v = nfq_nlmsg_put(buf, NFQNL_MSG_VERDICT, queue_num);
  nfq_nlmsg_verdict_put(v, ntohl(ph->packet_id), NF_ACCEPT);
  mnl_socket_sendto(nl, v, v->nlmsg_len);
  return MNL_CB_OK;
}

int main(int argc, char** argv) {
  queue_num = argc > 1 ? static_cast<unsigned>(std::atoi(argv[1])) : 0;
  nl = mnl_socket_open(NETLINK_NETFILTER);
  if (!nl || mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) return perror("netlink"), 1;
  char buf[MNL_SOCKET_BUFFER_SIZE];
  nlmsghdr* nlh = nfq_nlmsg_put(buf, NFQNL_MSG_CONFIG, queue_num);
  nfq_nlmsg_cfg_put_cmd(nlh, AF_INET, NFQNL_CFG_CMD_BIND);
  if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0) return perror("bind"), 1;
  nlh = nfq_nlmsg_put(buf, NFQNL_MSG_CONFIG, queue_num);
  nfq_nlmsg_cfg_put_params(nlh, NFQNL_COPY_PACKET, 0xffff);
  mnl_attr_put_u32(nlh, NFQA_CFG_FLAGS, htonl(NFQA_CFG_F_GSO));
  mnl_attr_put_u32(nlh, NFQA_CFG_MASK, htonl(NFQA_CFG_F_GSO));
  if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0) return perror("config"), 1;
  std::fprintf(stderr, "trivial_consumer: bound to queue %u\n", queue_num);
  std::vector<char> rx(0xffff + 8192);
  const unsigned portid = mnl_socket_get_portid(nl);
  for (;;) {
    const ssize_t n = mnl_socket_recvfrom(nl, rx.data(), rx.size());
    if (n < 0) continue;
    mnl_cb_run(rx.data(), static_cast<size_t>(n), 0, portid, on_packet, nullptr);
  }
}
