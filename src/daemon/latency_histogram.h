#pragma once
// A fixed-bucket histogram of verdict latencies (microseconds), exported as a Prometheus
// histogram in seconds: ftpgate_verdict_latency_seconds_bucket{le="..."}, _sum, _count.
#include <array>
#include <cstdint>
#include <string>

namespace ftpgate {

class LatencyHistogram {
 public:
  // Upper bounds in microseconds; the last bucket (+Inf) is implicit.
  static constexpr std::array<uint32_t, 13> kBoundsMicros = {5,    10,   25,    50,    100,
                                                             250,  500,  1000,  2500,  5000,
                                                             10000, 25000, 100000};
  void observe(uint64_t micros) {
    size_t i = 0;
    while (i < kBoundsMicros.size() && micros > kBoundsMicros[i]) ++i;
    ++counts_[i];
    sum_micros_ += micros;
  }
  // Adds another histogram's observations (the same buckets).
  void add(const LatencyHistogram& o) {
    for (size_t i = 0; i < counts_.size(); ++i) counts_[i] += o.counts_[i];
    sum_micros_ += o.sum_micros_;
  }
  // Appends the Prometheus lines for metric `name` (cumulative buckets).
  void append_prometheus(std::string& out, const char* name) const;
  uint64_t count() const {
    uint64_t n = 0;
    for (uint64_t c : counts_) n += c;
    return n;
  }

 private:
  std::array<uint64_t, kBoundsMicros.size() + 1> counts_{};
  uint64_t sum_micros_ = 0;
};

}  // namespace ftpgate
