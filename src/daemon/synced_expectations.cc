#include "daemon/synced_expectations.h"

#include <algorithm>
#include <cerrno>

#include "kernel/netlink_socket.h"

namespace ftpgate {

ExpectationRepair plan_expectation_repair(const ExpectationInfo& e, const ConntrackInfo& master,
                                          uint32_t timeout_s) {
  ExpectationRepair r;
  r.request.master = e.master;
  r.request.tuple = e.tuple;
  r.request.timeout_s = timeout_s;
  r.retime = e.timeout_s > timeout_s;
  if (!master.nated() || e.has_nat) return r;
  if ((master.mark & kPortMovedMark) != 0) {
    // The first router moved a port of this connection: the inside port is unknown here, and
    // the expectation's own port may be one the peer never announced. Left closed: a transfer
    // fails rather than reach a port nobody opened.
    r.unrepairable = true;
    return r;
  }
  if (e.tuple.dst == master.reply.dst) {
    // Announced by the client (PORT/EPRT): the data connection comes to the client's translated
    // address and is translated back to the client.
    r.request.nat_dir = 1;
    r.request.nat_to = master.orig.src;
  } else if (e.tuple.dst == master.orig.dst) {
    // Announced by the server (227/229): to the server's public address, translated to it.
    r.request.nat_dir = 0;
    r.request.nat_to = master.reply.src;
  } else {
    r.unrepairable = true;
    return r;
  }
  r.request.nat = true;
  r.request.nat_to_port = e.tuple.dport;
  r.restore_nat = true;
  return r;
}

std::string repair_report(const SyncRepairCounters& c, int rc) {
  std::string text = rc == 0 && c.errors == 0 ? "ok" : "failed";
  c.for_each([&](std::string_view name, uint64_t v) {
    text += ' ';
    text += name;
    text += '=' + std::to_string(v);
  });
  if (rc != 0) text += "; cannot read the expectation table: " + errno_text(rc);
  return text;
}

bool SyncedExpectations::ours(const ExpectationInfo& e) const {
  return std::find(helpers_.begin(), helpers_.end(), e.helper) != helpers_.end();
}

void SyncedExpectations::repair(const ExpectationInfo& e, const ConntrackInfo& master) {
  ++counters_.checked;
  const ExpectationRepair r = plan_expectation_repair(e, master, timeout_s_);
  if (r.unrepairable) ++counters_.unrepairable;
  if (r.restore_nat) {
    // An expectation's NAT part cannot be changed in place (ctnetlink updates only the
    // timeout): delete this one (by id, so nothing created meanwhile goes), create it whole.
    int rc = ct_.remove(e.tuple, e.master);
    if (rc == 0 || rc == -ENOENT) rc = ct_.install(r.request);
    ++(rc == 0 ? counters_.nat_restored : counters_.errors);
    return;
  }
  if (r.retime) ++(ct_.install(r.request) == 0 ? counters_.retimed : counters_.errors);
}

int SyncedExpectations::repair_master(const ConntrackInfo& master) {
  std::vector<ExpectationInfo> list;
  if (const int rc = ct_.list_expectations(master.orig.src.family(), &master.orig, list); rc != 0) return rc;
  // Every expectation of a control connection ftpgate inspects is its session's, whichever
  // helper the rules attach.
  for (const ExpectationInfo& e : list)
    if (e.master == master.orig) repair(e, master);
  return 0;
}

int SyncedExpectations::repair_all() {
  for (Family f : {Family::kV4, Family::kV6}) {
    std::vector<ExpectationInfo> list;
    if (const int rc = ct_.list_expectations(f, nullptr, list); rc != 0) return rc;
    for (const ExpectationInfo& e : list) {
      if (!ours(e)) continue;
      int err = 0;
      if (auto master = ct_.lookup(e.master, err)) repair(e, *master);
    }
  }
  return 0;
}

}  // namespace ftpgate
