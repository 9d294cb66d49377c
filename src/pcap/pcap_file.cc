#include "pcap/pcap_file.h"

#include <pcap/pcap.h>

namespace ftpgate {

void PcapFile::Closer::operator()(pcap* p) const {
  if (p != nullptr) pcap_close(p);
}

PcapFile::PcapFile(pcap* p) : handle_(p), link_type_(pcap_datalink(p)) {
  if (pcap_get_tstamp_precision(p) == PCAP_TSTAMP_PRECISION_NANO) ts_divisor_ = 1000;
}

std::optional<PcapFile> PcapFile::open(const std::string& path, std::string& error) {
  char errbuf[PCAP_ERRBUF_SIZE] = {0};
  pcap* p = pcap_open_offline_with_tstamp_precision(path.c_str(), PCAP_TSTAMP_PRECISION_MICRO,
                                                    errbuf);
  if (p == nullptr) {
    error = errbuf;
    return std::nullopt;
  }
  return PcapFile(p);
}

PcapFile::Read PcapFile::next(CapturedFrame& frame) {
  pcap_pkthdr* hdr = nullptr;
  const u_char* data = nullptr;
  const int rc = pcap_next_ex(handle_.get(), &hdr, &data);
  if (rc == 1) {
    frame.micros = int64_t{hdr->ts.tv_sec} * 1'000'000 + hdr->ts.tv_usec / ts_divisor_;
    frame.bytes = std::string_view(reinterpret_cast<const char*>(data), hdr->caplen);
    frame.original_length = hdr->len;
    return Read::kFrame;
  }
  if (rc == PCAP_ERROR_BREAK) return Read::kEnd;
  error_ = pcap_geterr(handle_.get());
  return Read::kTruncated;
}

}  // namespace ftpgate
