#include <cerrno>
#include <cstring>
#include <iostream>
#include <map>
#include <sstream>
#include <string>

#include "app/daemon_commands.h"
#include "app/status_socket_client.h"
#include "daemon/config.h"
#include "util/json_writer.h"

namespace ftpgate {
namespace {

const char kUsage[] = "usage: ftpgate status [--socket PATH] [--format prometheus|table|json]\n";

// One sample of the Prometheus text: name, optional single label value, value text.
struct Sample {
  std::string name;
  std::string label;  // the value of the sample's label ("bounce_address", "0.0001"), if any
  std::string value;
};

std::vector<Sample> parse_samples(const std::string& text) {
  std::vector<Sample> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    const size_t sp = line.rfind(' ');
    if (sp == std::string::npos) continue;
    Sample s;
    s.value = line.substr(sp + 1);
    std::string key = line.substr(0, sp);
    if (const size_t brace = key.find('{'); brace != std::string::npos) {
      const size_t q1 = key.find('"', brace), q2 = key.rfind('"');
      if (q1 != std::string::npos && q2 > q1) s.label = key.substr(q1 + 1, q2 - q1 - 1);
      key.resize(brace);
    }
    if (key.rfind("ftpgate_", 0) == 0) key.erase(0, 8);
    s.name = key;
    out.push_back(std::move(s));
  }
  return out;
}

std::string as_table(const std::vector<Sample>& samples) {
  std::string out;
  for (const Sample& s : samples) {
    if (s.value == "0" && !s.label.empty()) continue;  // the many zero reasons and buckets
    std::string name = s.name;
    if (!s.label.empty()) name += " (" + s.label + ")";
    out += name;
    out.append(name.size() < 48 ? 48 - name.size() : 1, ' ');
    out += s.value + '\n';
  }
  return out;
}

std::string as_json(const std::vector<Sample>& samples) {
  // Labelled samples become one object per metric: {"refusals_total": {"bounce_address": 3}}.
  std::string out;
  JsonObject o(out);
  for (size_t i = 0; i < samples.size();) {
    const Sample& s = samples[i];
    // Values are the daemon's own decimal numbers ("12", "0.000125"): valid JSON as they are.
    if (s.label.empty()) {
      o.number_text(s.name, s.value);
      ++i;
      continue;
    }
    o.open(s.name);
    const std::string name = s.name;
    for (; i < samples.size() && samples[i].name == name; ++i)
      o.number_text(samples[i].label, samples[i].value);
    o.end();
  }
  o.close();
  return out + '\n';
}

}  // namespace

int status_command(int argc, char** argv) {
  std::string path = DaemonConfig{}.status_socket;
  std::string format = "prometheus";
  for (int i = 0; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "-h" || a == "--help") {
      std::cout << kUsage;
      return 0;
    }
    if (a == "--socket" && i + 1 < argc) {
      path = argv[++i];
    } else if (a == "--format" && i + 1 < argc) {
      format = argv[++i];
      if (format != "prometheus" && format != "table" && format != "json") {
        std::cerr << kUsage;
        return 2;
      }
    } else {
      std::cerr << kUsage;
      return 2;
    }
  }
  std::string text;
  if (const int err = ask_daemon(path, {}, text); err != 0) {
    std::cerr << "ftpgate status: cannot reach the daemon at " << path << ": "
              << std::strerror(err) << " (is 'ftpgate run' running, and are you root?)\n";
    return 1;
  }
  if (format == "table") {
    std::cout << as_table(parse_samples(text));
  } else if (format == "json") {
    std::cout << as_json(parse_samples(text));
  } else {
    std::cout << text;
  }
  return 0;
}

}  // namespace ftpgate
