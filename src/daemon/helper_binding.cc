#include "daemon/helper_binding.h"

#include <cerrno>
#include <iostream>

#include "kernel/cthelper.h"
#include "kernel/netlink_socket.h"

namespace ftpgate {

HelperBinding bind_helper(HelperMode mode, const Policy& policy) {
  CthelperPolicy p{policy.max_expectations_per_session,
                   static_cast<uint32_t>(policy.expectation_timeout / 1'000'000)};
  if (mode != HelperMode::kCthelper) {
    std::cerr << "ftpgate: helper mode " << helper_mode_name(mode)
              << ": the ruleset must attach the inert 'sane' helper to control connections "
                 "(scripts/rules.sh load --helper sane, or --helper auto)\n";
    return HelperBinding::kCarrier;
  }
  const int rc = register_userspace_helper(p);
  if (rc == 0) {
    std::cerr << "ftpgate: helper mode cthelper: registered userspace helper '"
              << kUserspaceHelperName << "' (the ruleset must attach it: scripts/rules.sh load "
              << "--helper ftpgate)\n";
    return HelperBinding::kRegistered;
  }
  std::cerr << "ftpgate: helper mode cthelper needs userspace conntrack helpers "
               "(nfnetlink_cthelper), which this kernel does not offer ("
            << errno_text(rc) << "); use --helper-mode carrier with rules that attach 'sane'.\n";
  return HelperBinding::kFailed;
}

int release_helper() {
  const int rc = unregister_userspace_helper();
  if (rc == 0) {
    std::cerr << "ftpgate: unregistered userspace helper '" << kUserspaceHelperName << "'\n";
  } else if (rc == -ENOENT) {
    std::cerr << "ftpgate: userspace helper '" << kUserspaceHelperName << "' was not registered\n";
  } else {
    std::cerr << "ftpgate: userspace helper '" << kUserspaceHelperName << "' stays registered ("
              << errno_text(rc) << (rc == -EBUSY ? "; the loaded ruleset still references it" : "")
              << "); the next start takes it over\n";
  }
  return rc;
}

std::vector<std::string> expectation_helpers(HelperMode mode) {
  switch (mode) {
    case HelperMode::kCarrier: return {"sane"};
    case HelperMode::kCthelper: return {"ftpgate"};
    case HelperMode::kAuto: break;
  }
  return {"sane", "ftpgate"};
}

}  // namespace ftpgate
