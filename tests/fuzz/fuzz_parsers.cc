// libFuzzer target: every control-line parser on arbitrary bytes. Invariants checked:
// a parsed endpoint lies inside its input, has a port of 1-65535, and the family is set.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "core/control_line.h"
#include "core/data_endpoint_parser.h"

using namespace ftpgate;

static void check(const DataEndpoint& e, std::string_view in) {
  if (!e.ok()) return;
  if (e.port == 0 || e.begin > e.end || e.end > in.size()) std::abort();
  if (e.has_address && e.address.family() == Family::kNone) std::abort();
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  check(parse_port_argument(in), in);
  check(parse_eprt_argument(in), in);
  check(parse_lprt_argument(in), in);
  check(parse_227_text(in), in);
  check(parse_228_text(in), in);
  check(parse_229_text(in), in);
  const Command c = parse_command(in);
  if (c.argument_offset > in.size()) std::abort();
  const ReplyLine r = parse_reply_line(in);
  if (r.is_reply_start && (r.code > 999 || r.text.data() + r.text.size() != in.data() + in.size())) std::abort();
  return 0;
}
