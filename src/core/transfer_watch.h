#pragma once
// The transfer audit: one record per data transfer, from the command that asked for it (RETR,
// STOR, STOU, APPE, LIST, NLST, MLSD) through the data connection it used to the final reply
// that ended it (226, 426, 550, ...). Who transferred which file, which way, how many bytes.
//
// The data connection is found by the expectation it used (the session's latest when the
// command came): its SYN, seen as the router forwards it, goes from the expectation's source to
// its destination and port (with NAT too: the forward path sees the data connection after
// DNAT, before SNAT, where the expectation's endpoints are). Its payload bytes each way are
// read from TCP sequence numbers, so only SYN, FIN and RST segments are needed (the daemon
// queues just those; a capture holds them all):
//   bytes sent by one side = sequence number of its FIN (after that segment's payload)
//                            - its SYN's sequence number - 1      (or its RST's, if reset)
// which counts each byte once, however often it was retransmitted. (Up to 4 GiB - 1 per
// direction: the figure is modulo 2^32.)
//
// A record is written when the final reply came and the data connection ended (FIN both ways,
// or RST), or policy.transfer_linger after the reply, or at once when no data connection came;
// a transfer never answered is written when its session ends (reply 0).
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/action.h"
#include "core/counters.h"
#include "core/flow.h"
#include "core/policy.h"
#include "core/tcp_segment.h"

namespace ftpgate {

enum class TransferKind : uint8_t { kDownload, kUpload, kListing };
std::string_view transfer_kind_name(TransferKind k);
// "RETR" -> download, "STOR"/"STOU"/"APPE" -> upload, "LIST"/"NLST"/"MLSD" -> listing.
TransferKind transfer_kind_of(std::string_view verb);

// What the router saw of one data connection.
struct DataConnectionSeen {
  bool seen = false;  // its SYN passed
  IpAddress opener, acceptor;
  uint16_t opener_port = 0, acceptor_port = 0;
  Micros opened = 0, closed = 0;  // the SYN; the FIN that completed the close, or the RST
  bool fin_from_opener = false, fin_from_acceptor = false, reset = false;
  // What each side sent, known once its FIN or RST was seen (with its ISN).
  bool counted_from_opener = false, counted_from_acceptor = false;
  uint64_t bytes_from_opener = 0, bytes_from_acceptor = 0;
  bool ended() const { return reset || (fin_from_opener && fin_from_acceptor); }
};

struct TransferRecord {
  ControlFlow control;
  uint64_t session_id = 0;
  std::string user;
  std::string command;  // upper case
  std::string argument;
  TransferKind kind = TransferKind::kDownload;
  bool expected = false;  // a data connection had been admitted for it
  // Asked while a PASV/EPSV/LPSV was unanswered (pipelined "PASV", "RETR f"): its data
  // connection is the one that reply admits, not the session's latest before it.
  bool awaits_passive = false;
  Expectation expectation;
  DataConnectionSeen data;
  Micros requested = 0, answered = 0;
  uint16_t reply_code = 0;  // 0: never answered (the session ended first)
  std::string reply_text;
  // The size the server announced in its 150/125 ("(34826629 bytes)"), if it did.
  std::optional<uint64_t> announced_size;
  // The payload bytes each way, by FTP role (passive: the client opened the data connection):
  // nullopt where unknown (that side's end was not seen; no data connection seen although the
  // reply says the transfer happened). 0 when the transfer failed without a data connection.
  std::optional<uint64_t> bytes_to_server() const;
  std::optional<uint64_t> bytes_to_client() const;
};

class TransferWatch {
 public:
  // --- from the sessions ---
  // The session admitted a data connection (its latest: the one a transfer command uses).
  void expected(uint64_t session_id, const Expectation& e);
  // `passive_pending`: a PASV/EPSV/LPSV of the session is not answered yet.
  void requested(const ControlFlow& control, uint64_t session_id, std::string_view user,
                 std::string_view verb, std::string_view argument, Micros now,
                 bool passive_pending, const Policy& policy, Counters& counters);
  // A final reply answered the session's oldest transfer command.
  // A preliminary reply (150/125) to the session's oldest transfer command.
  void started(uint64_t session_id, std::string_view text);
  void answered(uint64_t session_id, uint16_t code, std::string_view text, Micros now);
  // The session ended: its unanswered transfers are recorded as such.
  void session_ended(uint64_t session_id, Micros now);
  // Replies can no longer be paired with the session's commands (a stream gap): its
  // unanswered transfers are recorded now, reply 0.
  void unpaired(uint64_t session_id, Micros now);

  // --- from the engine ---
  // A segment of no control connection: a data connection's SYN, FIN or RST, or nothing of ours.
  void on_data_segment(const TcpSegment& seg, Micros now, const Policy& policy, Counters& counters);
  // Forgets expected endpoints whose expectation timed out, and ended data connections no
  // transfer claimed within policy.expectation_timeout.
  void expire(Micros now, const Policy& policy);
  // Hands the records that are ready to `sink` as Action::Kind::kTransfer.
  void emit_ready(Micros now, const Policy& policy, Counters& counters, ActionSink& sink);
  size_t watched_data_connections() const { return connections_.size(); }

 private:
  struct EndpointKey {  // an expectation: from src (any port) to dst:dport
    IpAddress src, dst;
    uint16_t dport;
    friend bool operator==(const EndpointKey&, const EndpointKey&) = default;
  };
  struct EndpointKeyHash {
    size_t operator()(const EndpointKey& k) const { return k.src.hash() * 31 + k.dst.hash() * 7 + k.dport; }
  };
  struct ConnectionKey {  // opener -> acceptor
    IpAddress opener, acceptor;
    uint16_t opener_port, acceptor_port;
    friend bool operator==(const ConnectionKey&, const ConnectionKey&) = default;
  };
  struct ConnectionKeyHash {
    size_t operator()(const ConnectionKey& k) const {
      return k.opener.hash() * 31 + k.acceptor.hash() * 7 + (size_t{k.opener_port} << 16 | k.acceptor_port);
    }
  };
  struct Connection {
    uint64_t expectation_id = 0;
    uint32_t opener_isn = 0, acceptor_isn = 0;
    bool acceptor_isn_known = false;
    DataConnectionSeen seen;
  };
  struct PerSession {
    uint64_t latest_expectation_id = 0;
    Expectation latest;
    std::deque<TransferRecord> requested;  // unanswered, oldest first
  };
  // The connection whose opener is (src, sport) and acceptor (dst, dport), either way round;
  // `from_opener` says which way `seg` goes.
  Connection* find_connection(const TcpSegment& seg, bool& from_opener);
  void forget_connection(uint64_t expectation_id);
  // A FIN or RST from one side: what that side has sent.
  static void count_bytes(Connection& c, const TcpSegment& seg, bool from_opener, Micros now);
  void record(TransferRecord r, Micros now);

  std::unordered_map<uint64_t, PerSession> sessions_;
  struct Expected {
    uint64_t expectation_id;
    Micros expires;
  };
  std::unordered_map<EndpointKey, Expected, EndpointKeyHash> expected_;
  std::unordered_map<ConnectionKey, Connection, ConnectionKeyHash> connections_;
  std::unordered_map<uint64_t, ConnectionKey> by_expectation_;
  std::vector<TransferRecord> answered_;  // waiting for their data connection to end
};

}  // namespace ftpgate
