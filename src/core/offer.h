#pragma once
// A data endpoint a control line announced (an offer), and the policy's judgement of it: a
// pure function of the offer, the control connection and the policy.
#include <cstdint>
#include <string_view>

#include "core/action.h"
#include "core/data_endpoint_parser.h"
#include "core/endpoint_forms.h"
#include "core/flow.h"
#include "core/policy.h"
#include "core/reason.h"

namespace ftpgate {

struct Offer {
  const EndpointForm* form = nullptr;
  DataEndpoint endpoint;   // as parsed (possibly not ok)
  uint64_t text_at = 0;    // stream position of the endpoint text's first byte
  std::string_view text;   // the endpoint text itself ("198,51,100,2,4,1", "|||50000|" -> "50000")
  std::string_view line;   // the announcing line
};

// What the policy makes of an offer: the data connection to admit, or why not.
struct Judgement {
  bool admitted = false;
  Reason refusal = Reason::kCount;  // when not admitted
  DataMode mode = DataMode::kActive;
  IpAddress src;                    // any source port
  IpAddress dst;
  uint16_t dport = 0;
};

// Active (PORT/EPRT/LPRT): the server connects from its own address to the announced endpoint,
// which must be the client's. Passive (227/228/229): the client connects to the announced
// endpoint, which must be the server's (229: it is). Checked in this order: the text parses,
// IPv4-only syntax on IPv6, the address family, the address (policy.require_peer_address), the
// port (policy.min_data_port).
Judgement judge_offer(const Offer& offer, const ControlFlow& flow, const Policy& policy);

}  // namespace ftpgate
