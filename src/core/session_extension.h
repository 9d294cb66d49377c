#pragma once
// A slot in each core Session for state an adapter keeps per control connection (the live
// daemon: conntrack identity, NAT mapping, installed expectations, sequence adjustments, held
// segments, remembered rewrites). Owned by the Session, so it lives and dies with the control
// connection: one home per session, cleaned up in one place (as Zeek hangs c$ftp off the
// connection record and the kernel keeps helper state in the conntrack extension).
namespace ftpgate {

class SessionExtension {
 public:
  virtual ~SessionExtension() = default;
};

}  // namespace ftpgate
