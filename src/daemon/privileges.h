#pragma once
// Least privilege after start-up: once its netlink sockets are bound, the daemon keeps only
// CAP_NET_ADMIN (needed to talk to nfnetlink at all), empties the capability bounding set of
// everything else, optionally becomes an unprivileged user, and sets no_new_privs.
#include <optional>
#include <string>
#include <string_view>

namespace ftpgate {

// Whether this process holds CAP_NET_ADMIN in its effective set (nfnetlink refuses every
// queue bind and conntrack request without it, with EPERM).
bool has_cap_net_admin();
// The sentence for a command run without it ("ftpgate run needs CAP_NET_ADMIN ...").
std::string needs_cap_net_admin(std::string_view command);

// `user` empty: stay uid 0 but with CAP_NET_ADMIN only. Returns an error sentence or nullopt.
std::optional<std::string> drop_privileges(const std::string& user);

}  // namespace ftpgate
