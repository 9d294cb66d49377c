#pragma once
// The header every nfnetlink request starts with: nlmsghdr (type = subsystem << 8 | message)
// followed by struct nfgenmsg { family, version NFNETLINK_V0, res_id 0 }.
#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink.h>

#include <cstdint>

namespace ftpgate {

inline nlmsghdr* put_nfnetlink_header(char* buf, uint16_t subsys, uint16_t msg, uint16_t flags,
                                      uint32_t seq, uint8_t family) {
  nlmsghdr* nlh = mnl_nlmsg_put_header(buf);
  nlh->nlmsg_type = static_cast<uint16_t>((subsys << 8) | msg);
  nlh->nlmsg_flags = static_cast<uint16_t>(NLM_F_REQUEST | flags);
  nlh->nlmsg_seq = seq;
  auto* nfg = static_cast<nfgenmsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(nfgenmsg)));
  nfg->nfgen_family = family;
  nfg->version = NFNETLINK_V0;
  nfg->res_id = 0;
  return nlh;
}

}  // namespace ftpgate
