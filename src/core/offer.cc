#include "core/offer.h"

namespace ftpgate {
namespace {

Judgement refused(Reason r) {
  Judgement j;
  j.refusal = r;
  return j;
}

Reason parse_failure_reason(ParseStatus status, Reason malformed) {
  switch (status) {
    case ParseStatus::kOutOfRange: return Reason::kOutOfRange;
    case ParseStatus::kUnsupportedFamily: return Reason::kUnsupportedFamily;
    default: return malformed;
  }
}

}  // namespace

Judgement judge_offer(const Offer& offer, const ControlFlow& flow, const Policy& policy) {
  const EndpointForm& form = *offer.form;
  const DataEndpoint& ep = offer.endpoint;
  const bool active = form.mode == DataMode::kActive;
  // The side that announced the endpoint, and the side that will connect to it.
  const IpAddress& announcer = active ? flow.client : flow.server;
  const IpAddress& connector = active ? flow.server : flow.client;
  if (!ep.ok()) return refused(parse_failure_reason(ep.status, form.malformed));
  if (form.ipv4_only && announcer.is_v6()) return refused(Reason::kIpv4TupleOnIpv6);
  const IpAddress& dst = form.names_address ? ep.address : announcer;
  if (dst.family() != announcer.family()) return refused(Reason::kFamilyMismatch);
  if (policy.require_peer_address && dst != announcer) return refused(Reason::kBounceAddress);
  if (ep.port < policy.min_data_port) return refused(Reason::kPrivilegedPort);
  Judgement j;
  j.admitted = true;
  j.mode = form.mode;
  j.src = connector;
  j.dst = dst;
  j.dport = ep.port;
  return j;
}

}  // namespace ftpgate
