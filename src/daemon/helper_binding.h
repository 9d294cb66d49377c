#pragma once
// How control connections get the conntrack helper ctnetlink needs before it accepts
// expectations (shared/docs/kernel-notes.md):
//   carrier   the rules attach the kernel's inert 'sane' helper (every kernel here has it);
//   cthelper  ftpgate registers its own userspace helper "ftpgate" (nfnetlink_cthelper), for
//             IPv4 and IPv6, holding the expectation policy; the rules attach it by name, so
//             it must be registered before they load (`ftpgate helper register`, which the
//             unit runs first; the daemon registers again at start, an update). Only for
//             routers that do not NAT FTP: when NFQUEUE reinjects a packet whose conntrack has
//             a userspace helper, the kernel takes it as the helper's own queueing at the end
//             of postrouting and confirms the conntrack there and then (nf_conntrack_update ->
//             nf_confirm_cthelper). ftpgate queues in forward, before source NAT, so a
//             masqueraded control connection is confirmed untranslated, and a sequence
//             adjustment is applied twice (measured on Debian 12's kernel, tests/stock_kernel);
//   auto      carrier (the binding that is right with and without NAT).
#include <cstdint>
#include <string>
#include <vector>

#include "core/policy.h"
#include "daemon/config.h"

namespace ftpgate {

enum class HelperBinding : uint8_t { kFailed, kCarrier, kRegistered };

// Picks the binding (registering the helper for cthelper); kFailed with a sentence on stderr
// when it cannot work.
HelperBinding bind_helper(HelperMode mode, const Policy& policy);
// Unregisters the userspace helper. While a loaded ruleset's `ct helper` object still names it,
// the kernel refuses (EBUSY): it then stays registered, inert, until the rules are unloaded
// and this is called again (`ftpgate helper unregister`); a start registers it again (an
// update), so a helper left by a killed daemon never breaks a restart. 0 or -errno.
int release_helper();
// The helper names the expectations of this mode carry ("sane", "ftpgate", or both for auto:
// an HA peer may bind differently).
std::vector<std::string> expectation_helpers(HelperMode mode);

}  // namespace ftpgate
