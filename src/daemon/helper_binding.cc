#include "daemon/helper_binding.h"

#include <cerrno>
#include <string>

#include "daemon/daemon_log.h"

#include "kernel/cthelper.h"
#include "kernel/netlink_socket.h"

namespace ftpgate {

HelperBinding bind_helper(HelperMode mode, const Policy& policy) {
  CthelperPolicy p{policy.max_expectations_per_session,
                   static_cast<uint32_t>(policy.expectation_timeout / 1'000'000)};
  if (mode != HelperMode::kCthelper) {
    process_log().write(Level::kInfo, "helper",
                        "helper mode " + std::string(helper_mode_name(mode)) +
                            ": the ruleset must attach the inert 'sane' helper to control connections "
                            "(scripts/rules.sh load --helper sane, or --helper auto)");
    return HelperBinding::kCarrier;
  }
  const int rc = register_userspace_helper(p);
  if (rc == 0) {
    process_log().write(Level::kInfo, "helper",
                        "helper mode cthelper: registered userspace helper '" + std::string(kUserspaceHelperName) +
                            "' (the ruleset must attach it: scripts/rules.sh load --helper ftpgate)");
    return HelperBinding::kRegistered;
  }
  process_log().write(Level::kError, "helper_failed",
                      "helper mode cthelper needs userspace conntrack helpers (nfnetlink_cthelper), which "
                      "this kernel does not offer (" + errno_text(rc) +
                          "); use --helper-mode carrier with rules that attach 'sane'.");
  return HelperBinding::kFailed;
}

int release_helper() {
  const int rc = unregister_userspace_helper();
  if (rc == 0) {
    process_log().write(Level::kInfo, "helper", "unregistered userspace helper '" + std::string(kUserspaceHelperName) + "'");
  } else if (rc == -ENOENT) {
    process_log().write(Level::kInfo, "helper", "userspace helper '" + std::string(kUserspaceHelperName) + "' was not registered");
  } else {
    process_log().write(Level::kWarning, "helper",
                        "userspace helper '" + std::string(kUserspaceHelperName) + "' stays registered (" +
                            errno_text(rc) + (rc == -EBUSY ? "; the loaded ruleset still references it" : "") +
                            "); the next start takes it over");
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
