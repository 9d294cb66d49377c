#pragma once
// ctnetlink messages built as values by pure functions (no socket here), and the parser of a
// conntrack reply. Unit-tested by decoding what they build.
#include <cstdint>
#include <optional>
#include <string>

#include "core/ip_address.h"
#include "core/sequence_adjustment.h"

struct nlmsghdr;
struct nlattr;

namespace ftpgate {

// A TCP conntrack tuple: src -> dst, ports.
struct CtTuple {
  IpAddress src;
  IpAddress dst;
  uint16_t sport = 0;
  uint16_t dport = 0;
  friend bool operator==(const CtTuple&, const CtTuple&) = default;
};

// What an expectation is in ctnetlink terms: on `master` (the control connection's original
// tuple), expect `tuple` with source port wildcarded (mask: source address exact, source port 0;
// the kernel always matches destination address and port exactly).
struct ExpectationRequest {
  CtTuple master;
  CtTuple tuple;           // sport is ignored (wildcard)
  uint32_t timeout_s = 0;  // CTA_EXPECT_TIMEOUT; ignored by the kernel on creation
  // Behind NAT: CTA_EXPECT_NAT { CTA_EXPECT_NAT_DIR nat_dir, CTA_EXPECT_NAT_TUPLE (src =
  // nat_to) } and CTA_EXPECT_FN "nat-follow-master": the kernel translates the data connection
  // to nat_to (the inside host and port the line announced) and its source as the master's.
  bool nat = false;
  uint32_t nat_dir = 0;    // IP_CT_DIR_ORIGINAL (0) or IP_CT_DIR_REPLY (1), as nf_nat_ftp sets it
  IpAddress nat_to;
  uint16_t nat_to_port = 0;
};

// IPCTNL_MSG_EXP_NEW, with an ACK. kCreate sets NLM_F_CREATE | NLM_F_EXCL: the kernel answers
// EEXIST if any expectation has this tuple, whoever its master (without EXCL it would silently
// update another control connection's expectation). kUpdate sets neither flag: it changes the
// existing expectation, which is how its timeout is set (CTA_EXPECT_TIMEOUT is ignored on create).
enum class ExpectWrite { kCreate, kUpdate };
nlmsghdr* build_expect_new(char* buf, uint32_t seq, const ExpectationRequest& req, ExpectWrite how);
// The attributes of an expectation after its master: CTA_EXPECT_TUPLE, CTA_EXPECT_MASK,
// CTA_EXPECT_TIMEOUT and, behind NAT, CTA_EXPECT_NAT + CTA_EXPECT_FN. What EXP_NEW carries, and
// what an NFQUEUE verdict nests as NFQA_EXP (the master is then the queued packet's conntrack).
void put_expectation_body(nlmsghdr* nlh, const ExpectationRequest& req);
// IPCTNL_MSG_EXP_GET of the expectation with this tuple.
nlmsghdr* build_expect_get(char* buf, uint32_t seq, const CtTuple& tuple);
// IPCTNL_MSG_EXP_DELETE of the expectation with this tuple and CTA_EXPECT_ID `id` (the kernel
// answers ENOENT when the expectation under that tuple has another id).
nlmsghdr* build_expect_delete(char* buf, uint32_t seq, const CtTuple& tuple, uint32_t id);
// IPCTNL_MSG_EXP_GET with NLM_F_DUMP: every expectation of the family, or (with `master`) only
// those of that control connection (the kernel walks the master's own list).
nlmsghdr* build_expect_dump(char* buf, uint32_t seq, Family family, const CtTuple* master = nullptr);
// IPCTNL_MSG_CT_GET of the conntrack whose original (or, with by_reply, reply) tuple is `t`.
nlmsghdr* build_conntrack_get(char* buf, uint32_t seq, const CtTuple& t, bool by_reply = false);
// IPCTNL_MSG_CT_GET with NLM_F_DUMP: every conntrack of the family.
nlmsghdr* build_conntrack_dump(char* buf, uint32_t seq, Family family);
// IPCTNL_MSG_CT_NEW without NLM_F_CREATE (an update of the conntrack whose original tuple is
// `orig`) setting CTA_SEQ_ADJ_ORIG (reply_direction false) or CTA_SEQ_ADJ_REPLY to `adj`.
nlmsghdr* build_conntrack_seq_adjust(char* buf, uint32_t seq, const CtTuple& orig,
                                     bool reply_direction, const SequenceAdjustment& adj);
// The same update setting the bits `mask` of CTA_MARK to those of `mark` (CTA_MARK_MASK; the
// kernel computes (old & ~mask) ^ mark, so `mark` must lie within `mask`).
nlmsghdr* build_conntrack_mark(char* buf, uint32_t seq, const CtTuple& orig, uint32_t mark,
                               uint32_t mask);

// The parts of a conntrack (IPCTNL_MSG_CT_NEW reply) the daemon needs.
struct ConntrackInfo {
  CtTuple orig;
  CtTuple reply;
  uint32_t status = 0;   // IPS_* bits
  std::string helper;    // CTA_HELP_NAME, empty if none
  // CTA_SEQ_ADJ_ORIG / _REPLY: present only when the conntrack has the seqadj extension and
  // an adjustment is set (IPS_SEQ_ADJUST).
  std::optional<SequenceAdjustment> seq_adj[2];
  uint32_t mark = 0;  // CTA_MARK
  // CTA_COUNTERS_ORIG / _REPLY (net.netfilter.nf_conntrack_acct = 1): IP bytes and packets.
  bool has_counters = false;
  uint64_t packets[2] = {0, 0}, bytes[2] = {0, 0};  // [0] original direction, [1] reply
  // Whether either side's address or port is translated.
  bool nated() const {
    return !(orig.src == reply.dst && orig.dst == reply.src && orig.sport == reply.dport &&
             orig.dport == reply.sport);
  }
};
std::optional<ConntrackInfo> parse_conntrack(const nlmsghdr* nlh);
// The same attributes nested in another message: NFQA_CT of a queued packet (the NFQUEUE
// conntrack glue, NFQA_CFG_F_CONNTRACK).
std::optional<ConntrackInfo> parse_conntrack_nested(const nlattr* nest);
// Whether a conntrack read back after setting `wanted` on one direction holds it: ctnetlink
// accepts CTA_SEQ_ADJ_* silently on a conntrack without the seqadj extension, and then dumps none.
bool keeps_seq_adjust(const ConntrackInfo& info, bool reply_direction, const SequenceAdjustment& wanted);
// An expectation as the kernel dumps it (IPCTNL_MSG_EXP_NEW in a GET reply or a dump).
struct ExpectationInfo {
  CtTuple master;         // CTA_EXPECT_MASTER: the control connection's original tuple
  CtTuple tuple;          // CTA_EXPECT_TUPLE (source port: the wildcard's 0)
  uint32_t id = 0;        // CTA_EXPECT_ID
  uint32_t timeout_s = 0; // CTA_EXPECT_TIMEOUT: seconds left
  std::string helper;     // CTA_EXPECT_HELP_NAME
  // CTA_EXPECT_NAT present: the data connection will be translated (dumped only where the
  // expectation has a saved address or port; conntrackd's sync drops it on the way).
  bool has_nat = false;
};
std::optional<ExpectationInfo> parse_expectation(const nlmsghdr* nlh);
// Parses an expectation message (EXP_NEW/GET reply): its tuple; for tests and `check`.
std::optional<CtTuple> parse_expect_tuple(const nlmsghdr* nlh);
// ... and its master's tuple (CTA_EXPECT_MASTER).
std::optional<CtTuple> parse_expect_master(const nlmsghdr* nlh);
// ... and its CTA_EXPECT_ID.
std::optional<uint32_t> parse_expect_id(const nlmsghdr* nlh);

}  // namespace ftpgate
