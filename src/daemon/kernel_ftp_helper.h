#pragma once
// Finds the kernel's own FTP helper (nf_conntrack_ftp) still attached to ftpgate's ports in a
// ruleset's text, for `ftpgate check`: a connection carries one helper, so the two must not
// meet on one port. Pure: the caller runs `nft list ruleset` and `iptables-save -t raw`.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace ftpgate {

// One finding: where it is and the ports it covers (empty: any port, none named in the rule).
struct KernelFtpHelperUse {
  std::string where;  // "nft ct helper object \"ftp-std\"" or "iptables: -A PREROUTING ..."
  std::vector<uint16_t> ports;
};

// nft_ruleset: `nft list ruleset`; iptables_save: `iptables-save -t raw` and/or ip6tables-save.
// Only uses whose ports meet `ports` (or that name no port) are returned.
std::vector<KernelFtpHelperUse> find_kernel_ftp_helper(std::string_view nft_ruleset,
                                                       std::string_view iptables_save,
                                                       const std::vector<uint16_t>& ports);

// The warning and how to migrate, one paragraph; empty when there is nothing to say.
std::string kernel_ftp_helper_warning(const std::vector<KernelFtpHelperUse>& uses);

}  // namespace ftpgate
