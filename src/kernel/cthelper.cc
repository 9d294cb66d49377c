#include "kernel/cthelper.h"

#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_cthelper.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <system_error>

#include "kernel/netlink_socket.h"
#include "kernel/nfnetlink_header.h"

namespace ftpgate {
namespace {

nlmsghdr* put_header(char* buf, uint16_t msg, uint16_t flags, uint32_t seq) {
  return put_nfnetlink_header(buf, NFNL_SUBSYS_CTHELPER, msg, static_cast<uint16_t>(NLM_F_ACK | flags),
                              seq, AF_UNSPEC);
}

// The kernel keys a helper by name and (l3, l4) protocol: one registration per family. The nft
// `ct helper` object with `l3proto inet` attaches the IPv4 one to IPv4 connections and the
// IPv6 one to IPv6 connections; a family without a registration gets no helper at all.
constexpr uint16_t kFamilies[] = {AF_INET, AF_INET6};

void put_name_and_tuple(nlmsghdr* nlh, uint16_t family) {
  mnl_attr_put_strz(nlh, NFCTH_NAME, kUserspaceHelperName);
  nlattr* tuple = mnl_attr_nest_start(nlh, NFCTH_TUPLE);
  mnl_attr_put_u16(nlh, NFCTH_TUPLE_L3PROTONUM, htons(family));
  mnl_attr_put_u8(nlh, NFCTH_TUPLE_L4PROTONUM, IPPROTO_TCP);
  mnl_attr_nest_end(nlh, tuple);
}

using Builder = nlmsghdr* (*)(char*, uint32_t, const CthelperPolicy&, uint16_t family);

// One request per family; the first error wins (both are tried).
int request(Builder build, const CthelperPolicy& p) {
  try {
    NetlinkSocket sock(NETLINK_NETFILTER);
    char buf[MNL_SOCKET_BUFFER_SIZE];
    int first_error = 0;
    for (uint16_t family : kFamilies) {
      const int rc = sock.request(build(buf, sock.next_seq(), p, family));
      if (rc != 0 && first_error == 0) first_error = rc;
    }
    return first_error;
  } catch (const std::system_error& e) {
    return -e.code().value();
  }
}

}  // namespace

int register_userspace_helper(const CthelperPolicy& policy) {
  return request(
      [](char* buf, uint32_t seq, const CthelperPolicy& p, uint16_t family) {
        nlmsghdr* nlh = put_header(buf, NFNL_MSG_CTHELPER_NEW, NLM_F_CREATE, seq);
        put_name_and_tuple(nlh, family);
        mnl_attr_put_u32(nlh, NFCTH_QUEUE_NUM, htonl(0));
        mnl_attr_put_u32(nlh, NFCTH_PRIV_DATA_LEN, htonl(0));
        mnl_attr_put_u32(nlh, NFCTH_STATUS, htonl(NFCT_HELPER_STATUS_DISABLED));
        nlattr* pol = mnl_attr_nest_start(nlh, NFCTH_POLICY);
        mnl_attr_put_u32(nlh, NFCTH_POLICY_SET_NUM, htonl(1));
        nlattr* set = mnl_attr_nest_start(nlh, NFCTH_POLICY_SET1);
        mnl_attr_put_strz(nlh, NFCTH_POLICY_NAME, kUserspaceHelperName);
        mnl_attr_put_u32(nlh, NFCTH_POLICY_EXPECT_MAX, htonl(p.max_expected));
        mnl_attr_put_u32(nlh, NFCTH_POLICY_EXPECT_TIMEOUT, htonl(p.timeout_s));
        mnl_attr_nest_end(nlh, set);
        mnl_attr_nest_end(nlh, pol);
        return nlh;
      },
      policy);
}

int unregister_userspace_helper() {
  return request(
      [](char* buf, uint32_t seq, const CthelperPolicy&, uint16_t family) {
        nlmsghdr* nlh = put_header(buf, NFNL_MSG_CTHELPER_DEL, 0, seq);
        put_name_and_tuple(nlh, family);
        return nlh;
      },
      CthelperPolicy{});
}

int probe_userspace_helpers() {
  return request(
      [](char* buf, uint32_t seq, const CthelperPolicy&, uint16_t) {
        return put_header(buf, NFNL_MSG_CTHELPER_GET, NLM_F_DUMP, seq);
      },
      CthelperPolicy{});
}

}  // namespace ftpgate
