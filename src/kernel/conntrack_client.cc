#include "kernel/conntrack_client.h"

#include <linux/netlink.h>
#include <linux/netfilter/nfnetlink.h>

namespace ftpgate {

ConntrackClient::ConntrackClient() : sock_(NETLINK_NETFILTER) {}

std::optional<ConntrackInfo> ConntrackClient::lookup(const CtTuple& orig, int& err) {
  std::optional<ConntrackInfo> found;
  nlmsghdr* nlh = build_conntrack_get(buf_, sock_.next_seq(), orig);
  err = sock_.request(nlh, [&](const nlmsghdr* reply) {
    if (!found) found = parse_conntrack(reply);
  });
  if (err == 0 && !found) err = -EBADMSG;
  return err == 0 ? found : std::nullopt;
}

int ConntrackClient::install(const ExpectationRequest& req) {
  if (int rc = sock_.request(build_expect_new(buf_, sock_.next_seq(), req, true)); rc != 0) return rc;
  return sock_.request(build_expect_new(buf_, sock_.next_seq(), req, false));
}

int ConntrackClient::remove(const CtTuple& tuple) {
  return sock_.request(build_expect_delete(buf_, sock_.next_seq(), tuple));
}

}  // namespace ftpgate
