// ftpgate check's warning: the kernel's FTP helper still attached to ftpgate's control ports,
// found in the text of `nft list ruleset` and `iptables-save -t raw`.
#include "daemon/kernel_ftp_helper.h"

#include <gtest/gtest.h>

namespace ftpgate {
namespace {

const char kNftWithFtpHelper[] = R"(table inet filter {
	ct helper ftp-standard {
		type "ftp" protocol tcp
		l3proto inet
	}

	ct helper other {
		type "sane" protocol tcp
		l3proto inet
	}

	chain pre {
		type filter hook prerouting priority filter; policy accept;
		tcp dport { 21, 2121 } ct helper set "ftp-standard"
		tcp dport 6566 ct helper set "other"
	}
}
)";

TEST(KernelFtpHelper, NftObjectOfTypeFtpSetOnOurPort) {
  const auto uses = find_kernel_ftp_helper(kNftWithFtpHelper, "", {21});
  ASSERT_EQ(uses.size(), 1u);
  EXPECT_NE(uses[0].where.find("ct helper set \"ftp-standard\""), std::string::npos) << uses[0].where;
  EXPECT_EQ(uses[0].ports, (std::vector<uint16_t>{21, 2121}));
  const std::string warning = kernel_ftp_helper_warning(uses);
  EXPECT_NE(warning.find("nf_conntrack_ftp"), std::string::npos);
  EXPECT_NE(warning.find("To migrate"), std::string::npos);
}

TEST(KernelFtpHelper, OtherPortsAndOtherHelperTypesAreNoConflict) {
  EXPECT_TRUE(find_kernel_ftp_helper(kNftWithFtpHelper, "", {990}).empty());
  // ftpgate's own rules: the 'sane' carrier is no FTP helper.
  const char ours[] = R"(table inet ftpgate {
	ct helper ftp-control {
		type "sane" protocol tcp
		l3proto inet
	}
	chain prerouting {
		tcp dport @ftp_ports ct state new ct helper set "ftp-control" ct mark set ct mark | 0x01000000
	}
})";
  EXPECT_TRUE(find_kernel_ftp_helper(ours, "", {21}).empty());
  EXPECT_EQ(kernel_ftp_helper_warning({}), "");
}

TEST(KernelFtpHelper, NftRuleWithoutPortCoversEveryPort) {
  const char any_port[] = R"(table ip raw {
	ct helper ftp {
		type "ftp" protocol tcp
		l3proto ip
	}
	chain pre {
		type filter hook prerouting priority raw; policy accept;
		ip daddr 192.0.2.10 ct helper set "ftp"
	}
})";
  const auto uses = find_kernel_ftp_helper(any_port, "", {2121});
  ASSERT_EQ(uses.size(), 1u);
  EXPECT_TRUE(uses[0].ports.empty());
}

TEST(KernelFtpHelper, IptablesCtTarget) {
  const char raw[] = "*raw\n:PREROUTING ACCEPT [0:0]\n"
                     "-A PREROUTING -p tcp -m tcp --dport 21 -j CT --helper ftp\n"
                     "-A PREROUTING -p tcp -m multiport --dports 2121,2122 -j CT --helper ftp\n"
                     "-A PREROUTING -p udp -m udp --dport 69 -j CT --helper tftp\n"
                     "COMMIT\n";
  auto uses = find_kernel_ftp_helper("", raw, {21});
  ASSERT_EQ(uses.size(), 1u);
  EXPECT_NE(uses[0].where.find("--dport 21 -j CT --helper ftp"), std::string::npos);
  uses = find_kernel_ftp_helper("", raw, {21, 2122});
  ASSERT_EQ(uses.size(), 2u);
  EXPECT_EQ(uses[1].ports, (std::vector<uint16_t>{2121, 2122}));
  EXPECT_TRUE(find_kernel_ftp_helper("", raw, {69}).empty());  // tftp is not ftp
}

}  // namespace
}  // namespace ftpgate
