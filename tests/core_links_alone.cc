// Linked with every object of ftpgate_core (whole archive) and nothing else: if the core called
// into libmnl, libnetfilter_* or libpcap, this would not link. Runs one packet through it.
#include <string>

#include "core/engine.h"

namespace {
class NoSink : public ftpgate::ActionSink {
 public:
  void on_action(const ftpgate::Action&) override {}
};
}  // namespace

int main() {
  NoSink sink;
  ftpgate::Engine engine(ftpgate::Policy{}, {21}, sink);
  return engine.on_packet(std::string(20, '\0'), 0) == ftpgate::DecodeStatus::kOk ? 1 : 0;
}
