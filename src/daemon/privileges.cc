#include "daemon/privileges.h"

#include <grp.h>
#include <linux/capability.h>
#include <pwd.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>

namespace ftpgate {
namespace {

int last_cap() {
  std::ifstream in("/proc/sys/kernel/cap_last_cap");
  int n = 40;
  in >> n;
  return n;
}

std::string failed(const char* what) { return std::string(what) + ": " + std::strerror(errno); }

}  // namespace

bool has_cap_net_admin() {
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3]{};
  if (syscall(SYS_capget, &header, data) != 0) return true;  // unknown: let the kernel say
  return (data[CAP_TO_INDEX(CAP_NET_ADMIN)].effective & CAP_TO_MASK(CAP_NET_ADMIN)) != 0;
}

std::string needs_cap_net_admin(std::string_view command) {
  return "'ftpgate " + std::string(command) +
         "' needs CAP_NET_ADMIN: run it as root, or give it the capability (systemd "
         "AmbientCapabilities=CAP_NET_ADMIN, or setcap cap_net_admin+ep)";
}

std::optional<std::string> drop_privileges(const std::string& user) {
  // Bounding set: drop everything but CAP_NET_ADMIN (only what is still there; under systemd's
  // CapabilityBoundingSet the rest is gone already and dropping needs CAP_SETPCAP).
  for (int cap = 0; cap <= last_cap(); ++cap) {
    if (cap == CAP_NET_ADMIN || prctl(PR_CAPBSET_READ, cap, 0, 0, 0) != 1) continue;
    if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0) return failed("dropping capabilities");
  }
  if (!user.empty()) {
    const passwd* pw = getpwnam(user.c_str());
    if (pw == nullptr) return "no such user '" + user + "' to run as";
    if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) != 0) return failed("keeping capabilities");
    if (setgroups(0, nullptr) != 0 || setgid(pw->pw_gid) != 0 || setuid(pw->pw_uid) != 0)
      return failed(("becoming user " + user).c_str());
  }
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2] = {};
  data[0].effective = data[0].permitted = 1u << CAP_NET_ADMIN;  // CAP_NET_ADMIN is 12 (< 32)
  if (syscall(SYS_capset, &header, data) != 0) return failed("setting capabilities");
  prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return failed("setting no_new_privs");
  return std::nullopt;
}

}  // namespace ftpgate
