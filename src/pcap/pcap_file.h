#pragma once
// A capture file opened with libpcap (pcap and pcapng), as a move-only owner of pcap_t.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

struct pcap;

namespace ftpgate {

struct CapturedFrame {
  int64_t micros = 0;           // capture timestamp
  std::string_view bytes;       // valid until the next read
  uint32_t original_length = 0; // length on the wire (bytes.size() is less when snapped)
};

class PcapFile {
 public:
  // Returns nullopt and fills `error` when the file cannot be opened or is not a capture.
  static std::optional<PcapFile> open(const std::string& path, std::string& error);

  PcapFile(PcapFile&&) noexcept = default;
  PcapFile& operator=(PcapFile&&) noexcept = default;

  int link_type() const { return link_type_; }

  enum class Read { kFrame, kEnd, kTruncated };
  // Reads the next frame. kTruncated: the file ends in the middle of a record (message in
  // error()).
  Read next(CapturedFrame& frame);
  const std::string& error() const { return error_; }

 private:
  struct Closer {
    void operator()(pcap* p) const;
  };
  explicit PcapFile(pcap* p);
  std::unique_ptr<pcap, Closer> handle_;
  int link_type_ = 0;
  int ts_divisor_ = 1;  // 1 for microsecond files, 1000 for nanosecond ones
  std::string error_;
};

}  // namespace ftpgate
