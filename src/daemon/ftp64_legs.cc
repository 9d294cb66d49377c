#include "daemon/ftp64_legs.h"

#include "kernel/netlink_socket.h"

namespace ftpgate {

std::optional<ConntrackInfo> Ftp64Legs::v6_control(const ControlFlow& v4, int& err) {
  return ct_.find_by_destination(
      CtTuple{IpAddress{}, ftp64_embed(prefix_, v4.server), v4.client_port, v4.server_port}, err);
}

std::optional<IpAddress> Ftp64Legs::client_of(const ControlFlow& v4) {
  int err = 0;
  auto c = v6_control(v4, err);
  if (!c) return std::nullopt;
  return c->orig.src;
}

void attach_ftp64_legs(Policy& policy, ConntrackPort& ct) {
  if (!policy.ftp64) return;
  auto p = std::make_shared<Ftp64Policy>(*policy.ftp64);
  p->clients = std::make_shared<Ftp64Legs>(ct, p->prefix);
  policy.ftp64 = std::move(p);
}

int install_ftp64_twin(ConntrackPort& ct, const Policy& policy, const ControlFlow& v4,
                       const Expectation& e, uint32_t timeout_s, std::optional<CtTuple>& v6_master,
                       CtTuple& twin, std::string& detail) {
  if (!policy.ftp64) return -EINVAL;
  if (!v6_master) {
    // Found once per session (a table walk), kept in the session's state.
    int err = 0;
    const std::optional<ConntrackInfo> v6 = Ftp64Legs(ct, policy.ftp64->prefix).v6_control(v4, err);
    if (!v6) {
      detail = "ipv6 leg: control conntrack not found (" + errno_text(err) + ")";
      return err;
    }
    v6_master = v6->orig;
  }
  const IpAddress server6 = ftp64_embed(policy.ftp64->prefix, v4.server);
  ExpectationRequest req;
  req.master = *v6_master;
  req.timeout_s = timeout_s;
  req.tuple = e.mode == DataMode::kPassive ? CtTuple{v6_master->src, server6, 0, e.dport}
                                           : CtTuple{server6, v6_master->src, 0, e.dport};
  const int rc = ct.install(req);
  twin = req.tuple;
  detail = "ipv6 leg: " + address_port_text(req.tuple.src, 0) + " -> " +
           address_port_text(req.tuple.dst, req.tuple.dport) +
           (rc == 0 ? " expected" : " refused (" + errno_text(rc) + ")");
  return rc;
}

void remove_ftp64_twins(ConntrackPort& ct, ControlState& s, uint64_t id) {
  if (!s.ftp64_v6_master) return;
  std::erase_if(s.ftp64_v6_installed, [&](const InstalledExpectation& i) {
    if (id != 0 && i.id != id) return false;
    ct.remove(i.tuple, *s.ftp64_v6_master);
    return true;
  });
}

EndpointRewrite ftp64_line_rewrite(const Action& a) {
  EndpointRewrite r{a.direction,
                    a.line_edit.seq,
                    static_cast<uint32_t>(a.line_edit.old_text.size()),
                    std::string(a.line_edit.old_text),
                    std::string(a.line_edit.new_text),
                    CtTuple{},
                    ExpectationRecord(a, InstallOutcome{})};
  r.line_edit = true;
  r.server_view = a.line_edit.server_view;
  return r;
}

void compose_ftp64_edits(std::vector<EndpointRewrite>& rewrites) {
  for (EndpointRewrite& line : rewrites) {
    if (!line.line_edit) continue;
    for (EndpointRewrite& r : rewrites) {
      if (r.line_edit || r.direction != line.direction || r.text_length == 0) continue;
      const int64_t off = static_cast<int32_t>(r.text_seq - line.text_seq);
      const int64_t span =
          line.server_view ? static_cast<int64_t>(line.new_text.size()) : line.text_length;
      if (off < 0 || off + r.text_length > span) continue;
      if (line.server_view) {
        if (line.new_text.compare(static_cast<size_t>(off), r.text_length, r.old_text) != 0)
          continue;
        line.new_text.replace(static_cast<size_t>(off), r.text_length, r.new_text);
      }
      r.text_seq = line.text_seq;
      r.text_length = 0;
      r.old_text.clear();
      r.new_text.clear();
    }
  }
}

}  // namespace ftpgate
