#pragma once
// Userspace conntrack helper registration (nfnetlink_cthelper, NFNL_SUBSYS_CTHELPER): registers
// a helper named "ftpgate" with its expectation policy, without NFCT_HELPER_STATUS_ENABLED, so it
// only holds the policy; ftpgate's own queue rule feeds it the packets. Kernels without
// CONFIG_NF_CT_NETLINK_HELPER answer EOPNOTSUPP: then the carrier binding is used.
#include <cstdint>
#include <string>

namespace ftpgate {

inline constexpr const char* kUserspaceHelperName = "ftpgate";

struct CthelperPolicy {
  uint32_t max_expected = 1;
  uint32_t timeout_s = 30;
};

// Returns 0 or -errno. Registering again (after a restart) updates the policy.
int register_userspace_helper(const CthelperPolicy& policy);
// Returns 0 or -errno (-ENOENT if not registered).
int unregister_userspace_helper();
// 0 if the kernel answers cthelper requests at all, else -errno.
int probe_userspace_helpers();

}  // namespace ftpgate
