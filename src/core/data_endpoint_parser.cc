#include "core/data_endpoint_parser.h"

namespace ftpgate {
namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Reads one decimal field of 1-3 digits at text[i]. Returns -1 if there is no digit, -2 if the
// run of digits is longer than 3 (a value that cannot be an octet).
int read_field(std::string_view text, size_t& i) {
  size_t start = i;
  int value = 0;
  while (i < text.size() && is_digit(text[i])) {
    if (i - start == 3) return -2;
    value = value * 10 + (text[i] - '0');
    ++i;
  }
  return i == start ? -1 : value;
}

bool only_spaces_from(std::string_view text, size_t i) {
  for (; i < text.size(); ++i)
    if (text[i] != ' ') return false;
  return true;
}

// Reads `count` comma-separated fields starting at text[i]. Fills values; on success, i points
// just past the last field. Returns kOk, kMalformed or kOutOfRange (a field > 255 or > 3 digits).
ParseStatus read_fields(std::string_view text, size_t& i, int* values, int count) {
  bool out_of_range = false;
  for (int f = 0; f < count; ++f) {
    if (f > 0) {
      if (i >= text.size() || text[i] != ',') return ParseStatus::kMalformed;
      ++i;
    }
    int v = read_field(text, i);
    if (v == -1) return ParseStatus::kMalformed;
    if (v == -2) {
      out_of_range = true;
      while (i < text.size() && is_digit(text[i])) ++i;
    } else if (v > 255) {
      out_of_range = true;
    }
    values[f] = v;
  }
  return out_of_range ? ParseStatus::kOutOfRange : ParseStatus::kOk;
}

DataEndpoint with_status(ParseStatus s) {
  DataEndpoint e;
  e.status = s;
  return e;
}

// Six fields h1..h4,p1,p2 already read and in range: build the endpoint.
DataEndpoint endpoint_from_six(const int* v, size_t begin, size_t end) {
  DataEndpoint e;
  uint16_t port = static_cast<uint16_t>(v[4] * 256 + v[5]);
  if (port == 0) return with_status(ParseStatus::kOutOfRange);
  uint8_t a[4] = {static_cast<uint8_t>(v[0]), static_cast<uint8_t>(v[1]),
                  static_cast<uint8_t>(v[2]), static_cast<uint8_t>(v[3])};
  e.status = ParseStatus::kOk;
  e.has_address = true;
  e.address = IpAddress::v4_bytes(a);
  e.port = port;
  e.begin = begin;
  e.end = end;
  return e;
}

// af,hal,h1..hn,pal,p1,p2 starting at text[i]. On success i points past the last field.
DataEndpoint read_long_tuple(std::string_view text, size_t& i) {
  const size_t begin = i;
  int head[2] = {};
  ParseStatus s = read_fields(text, i, head, 2);
  if (s != ParseStatus::kOk) return with_status(s);
  const int af = head[0], hal = head[1];
  if (!((af == 4 && hal == 4) || (af == 6 && hal == 16)))
    return with_status(ParseStatus::kUnsupportedFamily);
  // ",h1..hn" then ",pal,p1,p2"
  int values[16 + 3] = {};
  if (i >= text.size() || text[i] != ',') return with_status(ParseStatus::kMalformed);
  ++i;
  s = read_fields(text, i, values, hal + 3);
  if (s != ParseStatus::kOk) return with_status(s);
  if (values[hal] != 2) return with_status(ParseStatus::kMalformed);
  uint8_t bytes[16];
  for (int k = 0; k < hal; ++k) bytes[k] = static_cast<uint8_t>(values[k]);
  const uint16_t port = static_cast<uint16_t>(values[hal + 1] * 256 + values[hal + 2]);
  if (port == 0) return with_status(ParseStatus::kOutOfRange);
  DataEndpoint e;
  e.status = ParseStatus::kOk;
  e.has_address = true;
  e.address = af == 4 ? IpAddress::v4_bytes(bytes) : IpAddress::v6_bytes(bytes);
  e.port = port;
  e.begin = begin;
  e.end = i;
  return e;
}

// Parses a decimal port of 1-5 digits, 1-65535, filling `status` on failure.
ParseStatus read_port(std::string_view text, size_t& i, uint16_t& port) {
  size_t start = i;
  uint32_t value = 0;
  while (i < text.size() && is_digit(text[i])) {
    if (i - start == 5) return ParseStatus::kOutOfRange;
    value = value * 10 + static_cast<uint32_t>(text[i] - '0');
    ++i;
  }
  if (i == start) return ParseStatus::kMalformed;
  if (value == 0 || value > 65535) return ParseStatus::kOutOfRange;
  port = static_cast<uint16_t>(value);
  return ParseStatus::kOk;
}

// A candidate tuple starts at a digit that does not continue a number or a comma list, so
// "(10,0,2,2,195,80,1)" is not re-read from its second field as "0,2,2,195,80,1".
bool starts_number_run(std::string_view text, size_t i) {
  if (!is_digit(text[i])) return false;
  return i == 0 || (!is_digit(text[i - 1]) && text[i - 1] != ',');
}

bool is_extended_delimiter(char c) { return c >= 33 && c <= 126 && !is_digit(c); }

}  // namespace

DataEndpoint parse_port_argument(std::string_view arg) {
  size_t i = 0;
  int v[6] = {};
  ParseStatus s = read_fields(arg, i, v, 6);
  if (s == ParseStatus::kOk && !only_spaces_from(arg, i)) s = ParseStatus::kMalformed;
  if (s != ParseStatus::kOk) return with_status(s);
  return endpoint_from_six(v, 0, i);
}

DataEndpoint parse_eprt_argument(std::string_view arg) {
  // <d><net-prt><d><net-addr><d><tcp-port><d>
  if (arg.size() < 7 || !is_extended_delimiter(arg[0])) return with_status(ParseStatus::kMalformed);
  const char d = arg[0];
  const size_t af_end = arg.find(d, 1);
  if (af_end == std::string_view::npos) return with_status(ParseStatus::kMalformed);
  const size_t addr_end = arg.find(d, af_end + 1);
  if (addr_end == std::string_view::npos) return with_status(ParseStatus::kMalformed);
  const std::string_view af = arg.substr(1, af_end - 1);
  const std::string_view addr = arg.substr(af_end + 1, addr_end - af_end - 1);
  std::optional<IpAddress> ip;
  if (af == "1") {
    ip = IpAddress::parse_v4(addr);
  } else if (af == "2") {
    ip = IpAddress::parse_v6(addr);
  } else {
    return with_status(ParseStatus::kUnsupportedFamily);
  }
  if (!ip) return with_status(ParseStatus::kMalformed);
  size_t i = addr_end + 1;
  uint16_t port = 0;
  ParseStatus s = read_port(arg, i, port);
  if (s != ParseStatus::kOk) return with_status(s);
  if (i >= arg.size() || arg[i] != d || !only_spaces_from(arg, i + 1))
    return with_status(ParseStatus::kMalformed);
  DataEndpoint e;
  e.status = ParseStatus::kOk;
  e.has_address = true;
  e.address = *ip;
  e.port = port;
  e.begin = 0;
  e.end = i + 1;
  return e;
}

DataEndpoint parse_lprt_argument(std::string_view arg) {
  size_t i = 0;
  DataEndpoint e = read_long_tuple(arg, i);
  if (e.ok() && !only_spaces_from(arg, i)) return with_status(ParseStatus::kMalformed);
  return e;
}

DataEndpoint parse_227_text(std::string_view text) {
  // Try every run of digits that starts a number; the first exact six-field tuple wins.
  ParseStatus worst = ParseStatus::kMalformed;
  for (size_t start = 0; start < text.size(); ++start) {
    if (!starts_number_run(text, start)) continue;
    size_t i = start;
    int v[6] = {};
    ParseStatus s = read_fields(text, i, v, 6);
    // A seventh field means this is not the tuple: "1,2,3,4,5,6,7".
    if (s != ParseStatus::kMalformed && i < text.size() && (text[i] == ',' || is_digit(text[i])))
      s = ParseStatus::kMalformed;
    if (s == ParseStatus::kOk) {
      DataEndpoint e = endpoint_from_six(v, start, i);
      if (e.ok()) return e;
      s = e.status;
    }
    if (s == ParseStatus::kOutOfRange) worst = s;
  }
  return with_status(worst);
}

DataEndpoint parse_228_text(std::string_view text) {
  ParseStatus worst = ParseStatus::kMalformed;
  for (size_t start = 0; start < text.size(); ++start) {
    if (!starts_number_run(text, start)) continue;
    size_t i = start;
    DataEndpoint e = read_long_tuple(text, i);
    const bool more_fields = i < text.size() && (text[i] == ',' || is_digit(text[i]));
    if (e.ok() && !more_fields) return e;
    // Remember why a tuple-shaped candidate failed; a good tuple followed by more fields is
    // simply not the tuple (it must not leak out as kOk).
    if (e.status == ParseStatus::kOutOfRange || e.status == ParseStatus::kUnsupportedFamily)
      worst = e.status;
  }
  return with_status(worst);
}

DataEndpoint parse_229_text(std::string_view text) {
  const size_t open = text.find('(');
  if (open == std::string_view::npos) return with_status(ParseStatus::kMalformed);
  // (<d><d><d><tcp-port><d>)
  size_t i = open + 1;
  if (i + 3 > text.size() || !is_extended_delimiter(text[i])) return with_status(ParseStatus::kMalformed);
  const char d = text[i];
  if (text[i + 1] != d || text[i + 2] != d) return with_status(ParseStatus::kMalformed);
  i += 3;
  const size_t begin = i;
  uint16_t port = 0;
  ParseStatus s = read_port(text, i, port);
  if (s != ParseStatus::kOk) return with_status(s);
  if (i + 1 >= text.size() || text[i] != d || text[i + 1] != ')')
    return with_status(ParseStatus::kMalformed);
  DataEndpoint e;
  e.status = ParseStatus::kOk;
  e.has_address = false;
  e.port = port;
  e.begin = begin;
  e.end = i;
  return e;
}

}  // namespace ftpgate
