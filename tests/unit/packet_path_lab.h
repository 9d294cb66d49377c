#pragma once
// The daemon half wired as the daemon wires it (fake conntrack, gateway, packet path), and one
// TCP connection as the router's forward path sees it: for the packet-path and pickup tests.
#include <sstream>
#include <string>

#include "core/packet_decoder.h"
#include "daemon/packet_path.h"
#include "fake_conntrack.h"
#include "packet_builder.h"

namespace ftpgate::testing {

// The gateway's parts wired as the daemon wires them.
struct Lab {
  explicit Lab(Policy p = Policy{}, NatSettings n = NatSettings{})
      : policy(p), nat(n), gateway(ct, policy, nat, log), path(policy, {21}, gateway, nat) {}
  std::string log_text() {
    log.flush();
    return log_out.str();
  }
  FakeConntrack ct;
  std::ostringstream log_out;
  DecisionLog log{log_out, LogFormat::kText};
  Policy policy;
  NatSettings nat;
  Gateway gateway;
  PacketPath path;
  uint32_t next_id = 1;
  Micros now = 1'000'000;
};

// One TCP connection as the router's forward path sees it, packet by packet, with correct
// sequence numbers; each packet is judged by the lab's packet path.
class Wire {
 public:
  Wire(Lab& lab, const char* client, const char* server, uint16_t cport = 40000)
      : lab_(lab), client_(ip(client)), server_(ip(server)), cport_(cport) {
    send(true, "", tcp_flags::kSyn);
    send(false, "", tcp_flags::kSyn | tcp_flags::kAck);
    send(true, "", tcp_flags::kAck);
  }
  // A connection whose opening this router never saw (a failover, a restart): the next bytes
  // are at these sequence numbers.
  struct MidStream {
    uint32_t client_seq;
    uint32_t server_seq;
  };
  Wire(Lab& lab, const char* client, const char* server, MidStream at, uint16_t cport = 40000)
      : lab_(lab), client_(ip(client)), server_(ip(server)), cport_(cport),
        cseq_(at.client_seq), sseq_(at.server_seq) {}
  PacketDecision send(bool to_server, const std::string& payload,
                      uint8_t flags = tcp_flags::kAck | tcp_flags::kPsh) {
    uint32_t& seq = to_server ? cseq_ : sseq_;
    PacketDecision d = send_at(to_server, seq, payload, flags);
    seq += static_cast<uint32_t>(payload.size()) + ((flags & (tcp_flags::kSyn | tcp_flags::kFin)) ? 1 : 0);
    return d;
  }
  // A segment at an explicit sequence number (a retransmission), not advancing the stream.
  PacketDecision send_at(bool to_server, uint32_t seq, const std::string& payload,
                         uint8_t flags = tcp_flags::kAck | tcp_flags::kPsh) {
    // The peer's ACK as the router sees it before the kernel's seqadj: in the receiver's numbering.
    uint32_t ack = (flags & tcp_flags::kAck) ? (to_server ? sseq_ : cseq_) : 0;
    if (flags & tcp_flags::kAck) ack += static_cast<uint32_t>(to_server ? server_shift : client_shift);
    const std::string pkt = to_server
        ? testing::build_tcp_packet(client_, server_, cport_, 21, seq, ack, flags, payload)
        : testing::build_tcp_packet(server_, client_, 21, cport_, seq, ack, flags, payload);
    last_id_ = QueuedId{0, lab_.next_id++};
    PacketDecision d;
    lab_.path.judge(last_id_, pkt, lab_.now, d);
    return d;
  }
  // What the receiver of each direction sees after rewrites changed lengths (the kernel's
  // seqadj): its ACKs carry the shift.
  int32_t client_shift = 0, server_shift = 0;
  uint32_t client_seq() const { return cseq_; }
  uint32_t server_seq() const { return sseq_; }
  QueuedId last_id() const { return last_id_; }

 private:
  Lab& lab_;
  IpAddress client_, server_;
  uint16_t cport_;
  uint32_t cseq_ = 1000, sseq_ = 5000;
  QueuedId last_id_;
};

// The payload of a rebuilt packet.
inline std::string payload_of(const std::string& packet) {
  const DecodeResult d = decode_ip_packet(packet);
  EXPECT_EQ(d.status, DecodeStatus::kOk);
  return std::string(d.segment.payload);
}

// Masquerade: inside client 198.51.100.2 leaves as 203.0.113.1; server 203.0.113.2.
const CtTuple kMasqOrig{ip("198.51.100.2"), ip("203.0.113.2"), 40000, 21};
const CtTuple kMasqReply{ip("203.0.113.2"), ip("203.0.113.1"), 21, 40000};
// DNAT: outside client 203.0.113.9 reaches 203.0.113.1:21, served by inside 198.51.100.3.
const CtTuple kDnatOrig{ip("203.0.113.9"), ip("203.0.113.1"), 40000, 21};
const CtTuple kDnatReply{ip("198.51.100.3"), ip("203.0.113.9"), 21, 40000};

}  // namespace ftpgate::testing
