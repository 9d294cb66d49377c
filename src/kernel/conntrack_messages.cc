#include "kernel/conntrack_messages.h"

#include <endian.h>

#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstring>

#include "kernel/nfnetlink_header.h"

namespace ftpgate {
namespace {

nlmsghdr* put_header(char* buf, uint16_t subsys, uint16_t msg, uint16_t flags, uint32_t seq,
                     Family family) {
  return put_nfnetlink_header(buf, subsys, msg, flags, seq, family == Family::kV6 ? AF_INET6 : AF_INET);
}

void put_address(nlmsghdr* nlh, uint16_t v4_type, uint16_t v6_type, const IpAddress& a) {
  if (a.is_v6()) {
    mnl_attr_put(nlh, v6_type, 16, a.bytes());
  } else {
    uint32_t v;
    std::memcpy(&v, a.bytes(), 4);  // already network order
    mnl_attr_put_u32(nlh, v4_type, v);
  }
}

// CTA_TUPLE_* { CTA_TUPLE_IP { src, dst }, CTA_TUPLE_PROTO { num, sport, dport } }
void put_tuple(nlmsghdr* nlh, uint16_t type, const CtTuple& t) {
  nlattr* outer = mnl_attr_nest_start(nlh, type);
  nlattr* ip = mnl_attr_nest_start(nlh, CTA_TUPLE_IP);
  put_address(nlh, CTA_IP_V4_SRC, CTA_IP_V6_SRC, t.src);
  put_address(nlh, CTA_IP_V4_DST, CTA_IP_V6_DST, t.dst);
  mnl_attr_nest_end(nlh, ip);
  nlattr* proto = mnl_attr_nest_start(nlh, CTA_TUPLE_PROTO);
  mnl_attr_put_u8(nlh, CTA_PROTO_NUM, IPPROTO_TCP);
  mnl_attr_put_u16(nlh, CTA_PROTO_SRC_PORT, htons(t.sport));
  mnl_attr_put_u16(nlh, CTA_PROTO_DST_PORT, htons(t.dport));
  mnl_attr_nest_end(nlh, proto);
  mnl_attr_nest_end(nlh, outer);
}

IpAddress all_ones(Family f) {
  uint8_t ones[16];
  std::memset(ones, 0xff, sizeof(ones));
  return f == Family::kV6 ? IpAddress::v6_bytes(ones) : IpAddress::v4_bytes(ones);
}

// --- parsing -------------------------------------------------------------------------------
struct Attrs {
  const nlattr* tb[CTA_MAX + 1 > CTA_EXPECT_MAX + 1 ? CTA_MAX + 1 : CTA_EXPECT_MAX + 1] = {};
  int max;
};

int collect(const nlattr* attr, void* data) {
  auto* a = static_cast<Attrs*>(data);
  const int type = mnl_attr_get_type(attr);
  if (type >= 0 && type <= a->max) a->tb[type] = attr;
  return MNL_CB_OK;
}

bool parse_nested(const nlattr* nest, Attrs& out, int max) {
  out.max = max;
  return mnl_attr_parse_nested(nest, collect, &out) >= 0;
}

std::optional<IpAddress> get_address(const Attrs& ip, int v4_type, int v6_type) {
  if (ip.tb[v4_type] && mnl_attr_get_payload_len(ip.tb[v4_type]) == 4)
    return IpAddress::v4_bytes(static_cast<const uint8_t*>(mnl_attr_get_payload(ip.tb[v4_type])));
  if (ip.tb[v6_type] && mnl_attr_get_payload_len(ip.tb[v6_type]) == 16)
    return IpAddress::v6_bytes(static_cast<const uint8_t*>(mnl_attr_get_payload(ip.tb[v6_type])));
  return std::nullopt;
}

std::optional<CtTuple> parse_tuple(const nlattr* nest) {
  Attrs t;
  if (!parse_nested(nest, t, CTA_TUPLE_MAX) || !t.tb[CTA_TUPLE_IP] || !t.tb[CTA_TUPLE_PROTO])
    return std::nullopt;
  Attrs ip, proto;
  if (!parse_nested(t.tb[CTA_TUPLE_IP], ip, CTA_IP_MAX)) return std::nullopt;
  if (!parse_nested(t.tb[CTA_TUPLE_PROTO], proto, CTA_PROTO_MAX)) return std::nullopt;
  CtTuple out;
  auto src = get_address(ip, CTA_IP_V4_SRC, CTA_IP_V6_SRC);
  auto dst = get_address(ip, CTA_IP_V4_DST, CTA_IP_V6_DST);
  if (!src || !dst) return std::nullopt;
  out.src = *src;
  out.dst = *dst;
  if (proto.tb[CTA_PROTO_SRC_PORT] && mnl_attr_get_payload_len(proto.tb[CTA_PROTO_SRC_PORT]) == 2)
    out.sport = ntohs(mnl_attr_get_u16(proto.tb[CTA_PROTO_SRC_PORT]));
  if (proto.tb[CTA_PROTO_DST_PORT] && mnl_attr_get_payload_len(proto.tb[CTA_PROTO_DST_PORT]) == 2)
    out.dport = ntohs(mnl_attr_get_u16(proto.tb[CTA_PROTO_DST_PORT]));
  return out;
}

bool parse_top(const nlmsghdr* nlh, Attrs& a, int max) {
  a.max = max;
  return mnl_attr_parse(nlh, sizeof(nfgenmsg), collect, &a) >= 0;
}

}  // namespace

void put_expectation_body(nlmsghdr* nlh, const ExpectationRequest& req) {
  CtTuple expected = req.tuple;
  expected.sport = 0;
  put_tuple(nlh, CTA_EXPECT_TUPLE, expected);
  // Mask: source address exact, source port any. (Destination is always matched exactly.)
  CtTuple mask{all_ones(req.tuple.src.family()), all_ones(req.tuple.dst.family()), 0, 0xffff};
  put_tuple(nlh, CTA_EXPECT_MASK, mask);
  mnl_attr_put_u32(nlh, CTA_EXPECT_TIMEOUT, htonl(req.timeout_s));
  if (req.nat) {
    nlattr* nat = mnl_attr_nest_start(nlh, CTA_EXPECT_NAT);
    mnl_attr_put_u32(nlh, CTA_EXPECT_NAT_DIR, htonl(req.nat_dir));
    // The kernel takes the saved address and port from the tuple's source part.
    put_tuple(nlh, CTA_EXPECT_NAT_TUPLE,
              CtTuple{req.nat_to, req.nat_to, req.nat_to_port, req.nat_to_port});
    mnl_attr_nest_end(nlh, nat);
    mnl_attr_put_strz(nlh, CTA_EXPECT_FN, "nat-follow-master");
  }
}

nlmsghdr* build_expect_new(char* buf, uint32_t seq, const ExpectationRequest& req, ExpectWrite how) {
  const uint16_t flags = how == ExpectWrite::kCreate ? NLM_F_CREATE | NLM_F_EXCL : 0;
  nlmsghdr* nlh = put_header(buf, NFNL_SUBSYS_CTNETLINK_EXP, IPCTNL_MSG_EXP_NEW,
                             static_cast<uint16_t>(NLM_F_ACK | flags), seq, req.master.src.family());
  put_tuple(nlh, CTA_EXPECT_MASTER, req.master);
  put_expectation_body(nlh, req);
  return nlh;
}

namespace {
// An expectation request that names the expectation by its tuple (source port wildcarded).
nlmsghdr* build_expect_by_tuple(char* buf, uint32_t seq, uint16_t msg, const CtTuple& tuple) {
  nlmsghdr* nlh = put_header(buf, NFNL_SUBSYS_CTNETLINK_EXP, msg, NLM_F_ACK, seq, tuple.src.family());
  CtTuple t = tuple;
  t.sport = 0;
  put_tuple(nlh, CTA_EXPECT_TUPLE, t);
  return nlh;
}
}  // namespace

nlmsghdr* build_expect_get(char* buf, uint32_t seq, const CtTuple& tuple) {
  return build_expect_by_tuple(buf, seq, IPCTNL_MSG_EXP_GET, tuple);
}

nlmsghdr* build_expect_delete(char* buf, uint32_t seq, const CtTuple& tuple, uint32_t id) {
  nlmsghdr* nlh = build_expect_by_tuple(buf, seq, IPCTNL_MSG_EXP_DELETE, tuple);
  mnl_attr_put_u32(nlh, CTA_EXPECT_ID, htonl(id));
  return nlh;
}

nlmsghdr* build_expect_dump(char* buf, uint32_t seq, Family family, const CtTuple* master) {
  nlmsghdr* nlh = put_header(buf, NFNL_SUBSYS_CTNETLINK_EXP, IPCTNL_MSG_EXP_GET, NLM_F_DUMP, seq, family);
  if (master != nullptr) put_tuple(nlh, CTA_EXPECT_MASTER, *master);
  return nlh;
}

nlmsghdr* build_conntrack_get(char* buf, uint32_t seq, const CtTuple& t, bool by_reply) {
  nlmsghdr* nlh = put_header(buf, NFNL_SUBSYS_CTNETLINK, IPCTNL_MSG_CT_GET, NLM_F_ACK, seq,
                             t.src.family());
  put_tuple(nlh, by_reply ? CTA_TUPLE_REPLY : CTA_TUPLE_ORIG, t);
  return nlh;
}

nlmsghdr* build_conntrack_dump(char* buf, uint32_t seq, Family family) {
  return put_header(buf, NFNL_SUBSYS_CTNETLINK, IPCTNL_MSG_CT_GET, NLM_F_DUMP, seq, family);
}

nlmsghdr* build_conntrack_seq_adjust(char* buf, uint32_t seq, const CtTuple& orig,
                                     bool reply_direction, const SequenceAdjustment& adj) {
  nlmsghdr* nlh = put_header(buf, NFNL_SUBSYS_CTNETLINK, IPCTNL_MSG_CT_NEW, NLM_F_ACK, seq,
                             orig.src.family());
  put_tuple(nlh, CTA_TUPLE_ORIG, orig);
  nlattr* nest = mnl_attr_nest_start(nlh, reply_direction ? CTA_SEQ_ADJ_REPLY : CTA_SEQ_ADJ_ORIG);
  mnl_attr_put_u32(nlh, CTA_SEQADJ_CORRECTION_POS, htonl(adj.correction_pos));
  mnl_attr_put_u32(nlh, CTA_SEQADJ_OFFSET_BEFORE, htonl(static_cast<uint32_t>(adj.offset_before)));
  mnl_attr_put_u32(nlh, CTA_SEQADJ_OFFSET_AFTER, htonl(static_cast<uint32_t>(adj.offset_after)));
  mnl_attr_nest_end(nlh, nest);
  return nlh;
}

nlmsghdr* build_conntrack_mark(char* buf, uint32_t seq, const CtTuple& orig, uint32_t mark,
                               uint32_t mask) {
  nlmsghdr* nlh = put_header(buf, NFNL_SUBSYS_CTNETLINK, IPCTNL_MSG_CT_NEW, NLM_F_ACK, seq,
                             orig.src.family());
  put_tuple(nlh, CTA_TUPLE_ORIG, orig);
  mnl_attr_put_u32(nlh, CTA_MARK, htonl(mark & mask));
  mnl_attr_put_u32(nlh, CTA_MARK_MASK, htonl(mask));
  return nlh;
}

namespace {
// A conntrack's attributes (CTA_*), from a message or from NFQA_CT.
std::optional<ConntrackInfo> conntrack_from(const Attrs& a) {
  if (!a.tb[CTA_TUPLE_ORIG] || !a.tb[CTA_TUPLE_REPLY]) return std::nullopt;
  ConntrackInfo info;
  auto orig = parse_tuple(a.tb[CTA_TUPLE_ORIG]);
  auto reply = parse_tuple(a.tb[CTA_TUPLE_REPLY]);
  if (!orig || !reply) return std::nullopt;
  info.orig = *orig;
  info.reply = *reply;
  if (a.tb[CTA_STATUS] && mnl_attr_get_payload_len(a.tb[CTA_STATUS]) == 4)
    info.status = ntohl(mnl_attr_get_u32(a.tb[CTA_STATUS]));
  const int counter_attr[2] = {CTA_COUNTERS_ORIG, CTA_COUNTERS_REPLY};
  for (int d = 0; d < 2; ++d) {
    Attrs c;
    if (!a.tb[counter_attr[d]] || !parse_nested(a.tb[counter_attr[d]], c, CTA_COUNTERS_MAX)) continue;
    if (!c.tb[CTA_COUNTERS_PACKETS] || !c.tb[CTA_COUNTERS_BYTES]) continue;
    info.has_counters = true;
    info.packets[d] = be64toh(mnl_attr_get_u64(c.tb[CTA_COUNTERS_PACKETS]));
    info.bytes[d] = be64toh(mnl_attr_get_u64(c.tb[CTA_COUNTERS_BYTES]));
  }
  if (a.tb[CTA_MARK] && mnl_attr_get_payload_len(a.tb[CTA_MARK]) == 4)
    info.mark = ntohl(mnl_attr_get_u32(a.tb[CTA_MARK]));
  if (a.tb[CTA_HELP]) {
    Attrs h;
    if (parse_nested(a.tb[CTA_HELP], h, CTA_HELP_MAX) && h.tb[CTA_HELP_NAME])
      info.helper = mnl_attr_get_str(h.tb[CTA_HELP_NAME]);
  }
  const int seq_adj_attr[2] = {CTA_SEQ_ADJ_ORIG, CTA_SEQ_ADJ_REPLY};
  for (int d = 0; d < 2; ++d) {
    Attrs adj;
    if (!a.tb[seq_adj_attr[d]] || !parse_nested(a.tb[seq_adj_attr[d]], adj, CTA_SEQADJ_MAX)) continue;
    auto u32 = [&](int type) -> uint32_t {
      return adj.tb[type] && mnl_attr_get_payload_len(adj.tb[type]) == 4
                 ? ntohl(mnl_attr_get_u32(adj.tb[type])) : 0;
    };
    SequenceAdjustment v;
    v.correction_pos = u32(CTA_SEQADJ_CORRECTION_POS);
    v.offset_before = static_cast<int32_t>(u32(CTA_SEQADJ_OFFSET_BEFORE));
    v.offset_after = static_cast<int32_t>(u32(CTA_SEQADJ_OFFSET_AFTER));
    info.seq_adj[d] = v;
  }
  return info;
}
}  // namespace

std::optional<ConntrackInfo> parse_conntrack(const nlmsghdr* nlh) {
  Attrs a;
  if (!parse_top(nlh, a, CTA_MAX)) return std::nullopt;
  return conntrack_from(a);
}

std::optional<ConntrackInfo> parse_conntrack_nested(const nlattr* nest) {
  Attrs a;
  if (nest == nullptr || !parse_nested(nest, a, CTA_MAX)) return std::nullopt;
  return conntrack_from(a);
}

bool keeps_seq_adjust(const ConntrackInfo& info, bool reply_direction, const SequenceAdjustment& wanted) {
  const auto& kept = info.seq_adj[reply_direction ? 1 : 0];
  return kept && kept->correction_pos == wanted.correction_pos &&
         kept->offset_before == wanted.offset_before && kept->offset_after == wanted.offset_after;
}

namespace {
std::optional<CtTuple> parse_expect_part(const nlmsghdr* nlh, int which) {
  Attrs a;
  if (!parse_top(nlh, a, CTA_EXPECT_MAX) || !a.tb[which]) return std::nullopt;
  return parse_tuple(a.tb[which]);
}
}  // namespace

std::optional<ExpectationInfo> parse_expectation(const nlmsghdr* nlh) {
  Attrs a;
  if (!parse_top(nlh, a, CTA_EXPECT_MAX) || !a.tb[CTA_EXPECT_MASTER] || !a.tb[CTA_EXPECT_TUPLE])
    return std::nullopt;
  auto master = parse_tuple(a.tb[CTA_EXPECT_MASTER]);
  auto tuple = parse_tuple(a.tb[CTA_EXPECT_TUPLE]);
  if (!master || !tuple) return std::nullopt;
  ExpectationInfo e;
  e.master = *master;
  e.tuple = *tuple;
  auto u32 = [&](int type) -> uint32_t {
    return a.tb[type] && mnl_attr_get_payload_len(a.tb[type]) == 4 ? ntohl(mnl_attr_get_u32(a.tb[type])) : 0;
  };
  e.id = u32(CTA_EXPECT_ID);
  e.timeout_s = u32(CTA_EXPECT_TIMEOUT);
  if (a.tb[CTA_EXPECT_HELP_NAME]) e.helper = mnl_attr_get_str(a.tb[CTA_EXPECT_HELP_NAME]);
  e.has_nat = a.tb[CTA_EXPECT_NAT] != nullptr;
  return e;
}

std::optional<CtTuple> parse_expect_tuple(const nlmsghdr* nlh) {
  return parse_expect_part(nlh, CTA_EXPECT_TUPLE);
}

std::optional<CtTuple> parse_expect_master(const nlmsghdr* nlh) {
  return parse_expect_part(nlh, CTA_EXPECT_MASTER);
}

std::optional<uint32_t> parse_expect_id(const nlmsghdr* nlh) {
  Attrs a;
  if (!parse_top(nlh, a, CTA_EXPECT_MAX) || !a.tb[CTA_EXPECT_ID] ||
      mnl_attr_get_payload_len(a.tb[CTA_EXPECT_ID]) != 4)
    return std::nullopt;
  return ntohl(mnl_attr_get_u32(a.tb[CTA_EXPECT_ID]));
}

}  // namespace ftpgate
