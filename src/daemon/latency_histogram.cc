#include "daemon/latency_histogram.h"

#include <cstdio>

namespace ftpgate {

void LatencyHistogram::append_prometheus(std::string& out, const char* name) const {
  const std::string n = std::string("ftpgate_") + name;
  out += "# TYPE " + n + " histogram\n";
  uint64_t cumulative = 0;
  char le[32];
  for (size_t i = 0; i <= kBoundsMicros.size(); ++i) {
    cumulative += counts_[i];
    if (i < kBoundsMicros.size()) {
      std::snprintf(le, sizeof(le), "%g", kBoundsMicros[i] / 1e6);
    } else {
      std::snprintf(le, sizeof(le), "+Inf");
    }
    out += n + "_bucket{le=\"" + le + "\"} " + std::to_string(cumulative) + '\n';
  }
  char sum[48];
  std::snprintf(sum, sizeof(sum), "%.6f", static_cast<double>(sum_micros_) / 1e6);
  out += n + "_sum " + sum + '\n';
  out += n + "_count " + std::to_string(cumulative) + '\n';
}

}  // namespace ftpgate
