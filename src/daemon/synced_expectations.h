#pragma once
// Expectations another router made, as they arrive here through conntrackd's ExpectationSync
// after an HA failover, made complete again. The sync loses two things on the way:
//   - the NAT part: conntrackd sends CTA_EXPECT_NAT and CTA_EXPECT_FN "nat-follow-master", but
//     the receiving side creates the expectation without them, silently, so a data connection
//     of a NATed control connection would arrive untranslated;
//   - the timeout: a synced expectation gets its helper's default (the carrier 'sane': 300 s)
//     instead of ftpgate's expectation_timeout.
// A complete expectation is rebuilt from the master's conntrack (which the sync keeps whole):
// the data connection was announced toward the address this side is known by, so
//   tuple.dst == master.reply.dst (the client's translated address: PORT/EPRT from the client)
//     -> NAT dir REPLY, to master.orig.src (the client's own address);
//   tuple.dst == master.orig.dst (the server's public address: 227/229 from the server)
//     -> NAT dir ORIGINAL, to master.reply.src (the server's own address);
// and the port the data connection is translated to is the expected one (what ftpgate chooses
// unless that port was taken on the first router: then the inside port is not known here).
// Run for one master when the daemon picks up a control connection, and for the whole table by
// `ftpgate ha takeover` (keepalived's notify script, after conntrackd's commit).
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/counter_list.h"
#include "daemon/conntrack_port.h"

namespace ftpgate {

// X(field, "metric_name")
#define FTPGATE_SYNC_REPAIR_COUNTERS(X)                                                         \
  X(checked, "synced_expectations_checked_total")      /* expectations looked at */           \
  X(nat_restored, "synced_expectations_nat_restored_total") /* replaced with their NAT part */ \
  X(retimed, "synced_expectations_retimed_total")      /* timeout cut to ftpgate's */         \
  /* NATed master, no NAT part, and no address of the master to translate to: left as is */   \
  X(unrepairable, "synced_expectations_unrepairable_total")                                    \
  X(errors, "synced_expectations_repair_errors_total") /* the kernel refused a change */

struct SyncRepairCounters {
  FTPGATE_COUNTERS_OF(FTPGATE_SYNC_REPAIR_COUNTERS)
};

// What a takeover's repair says, from the daemon or from `ftpgate ha takeover` alone: "ok" or
// "failed", then the counters as name=value, and why the table could not be read (rc != 0).
std::string repair_report(const SyncRepairCounters& c, int rc);

// What a synced expectation needs. Pure.
struct ExpectationRepair {
  bool restore_nat = false;           // replace it by `request`, which has the NAT part
  bool retime = false;                // set its timeout to request.timeout_s
  bool unrepairable = false;
  ExpectationRequest request;         // the complete expectation
};
// For `e` of `master`, with ftpgate's timeout; nothing to do when neither flag is set.
// The conntrack mark bit the gateway sets on a NATed control connection once it announced a
// data port other than the one the peer sent (the announced one was expected already): the
// other router of an HA pair cannot know the inside port of that connection's synced
// expectations (conntrackd drops the saved one), so it leaves them closed. Keep it free in the
// ruleset, as CTMARK (0x01000000) and enforce_mark (0x40000000).
inline constexpr uint32_t kPortMovedMark = 0x20000000;

ExpectationRepair plan_expectation_repair(const ExpectationInfo& e, const ConntrackInfo& master,
                                          uint32_t timeout_s);

class SyncedExpectations {
 public:
  // `helpers`: the helper names whose expectations are ftpgate's (the binding's); `timeout_s`:
  // policy.expectation_timeout.
  SyncedExpectations(ConntrackPort& ct, std::vector<std::string> helpers, uint32_t timeout_s)
      : ct_(ct), helpers_(std::move(helpers)), timeout_s_(timeout_s) {}
  void set_timeout(uint32_t timeout_s) { timeout_s_ = timeout_s; }
  void set_helpers(std::vector<std::string> helpers) { helpers_ = std::move(helpers); }

  // The expectations of one control connection (a session just picked up), whatever their
  // helper. 0 or -errno.
  int repair_master(const ConntrackInfo& master);
  // Every expectation of both families whose helper is ftpgate's. 0 or -errno.
  int repair_all();
  const SyncRepairCounters& counters() const { return counters_; }

 private:
  bool ours(const ExpectationInfo& e) const;
  void repair(const ExpectationInfo& e, const ConntrackInfo& master);

  ConntrackPort& ct_;
  std::vector<std::string> helpers_;
  uint32_t timeout_s_;
  SyncRepairCounters counters_;
};

}  // namespace ftpgate
