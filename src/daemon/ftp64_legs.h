#pragma once
// NAT64 in the live daemon: the two legs of one translated control connection. ftpgate judges
// and rewrites the IPv4 leg (pool address -> server); conntrack also tracks the IPv6 leg
// (client -> NAT64 prefix + server, same ports: tayga keeps them). The IPv6 leg says who the
// client is (for EPRT, RFC 6384 section 7) and carries the data connection's second
// expectation, so the client's side of a forward chain with policy drop admits it as related.
#include <memory>
#include <optional>
#include <string>

#include "core/action.h"
#include "core/ftp64_translator.h"
#include "core/policy.h"
#include "daemon/conntrack_port.h"
#include "daemon/control_state.h"
#include "daemon/gateway.h"

namespace ftpgate {

class Ftp64Legs : public Ftp64ClientFinder {
 public:
  Ftp64Legs(ConntrackPort& ct, const AddressPrefix& prefix) : ct_(ct), prefix_(prefix) {}
  std::optional<IpAddress> client_of(const ControlFlow& v4) override;
  // The IPv6 leg's conntrack of the control connection shown as `v4` on the IPv4 leg.
  std::optional<ConntrackInfo> v6_control(const ControlFlow& v4, int& err);

 private:
  ConntrackPort& ct_;
  AddressPrefix prefix_;
};

// Gives the policy's NAT64 mode its view of the IPv6 legs (no-op without NAT64).
void attach_ftp64_legs(Policy& policy, ConntrackPort& ct);

// The expectation on the IPv6 leg matching `e` (admitted on the IPv4 leg): passive, from the
// client to prefix + server : port; active, from prefix + server to the client : port. 0 or
// -errno; `detail` says what was installed or why not. `v6_master`: the IPv6 leg's control
// conntrack (found by a table walk when empty, then kept); `twin`: the tuple expected there.
int install_ftp64_twin(ConntrackPort& ct, const Policy& policy, const ControlFlow& v4,
                       const Expectation& e, uint32_t timeout_s, std::optional<CtTuple>& v6_master,
                       CtTuple& twin, std::string& detail);

// Removes the IPv6 leg's expectation of engine expectation `id` (the server refused its PORT),
// or all of them (id 0: the session ended); ENOENT (used, expired) is fine.
void remove_ftp64_twins(ConntrackPort& ct, ControlState& s, uint64_t id);

// A kLineEdit action as a rewrite of the segment being judged (no expectation of its own).
EndpointRewrite ftp64_line_rewrite(const Action& a);

// Endpoint rewrites (NAT) that fall inside a translated line are made in its new text: a
// PORT translated from EPRT names the pool address, which NAT then rewrites (server view); an
// endpoint inside a replaced reply is dropped with the line it was in (the 229 carries the
// port). Each becomes an empty rewrite at the line's start, so its expectation is still made
// or withdrawn with the segment.
void compose_ftp64_edits(std::vector<EndpointRewrite>& rewrites);

}  // namespace ftpgate
