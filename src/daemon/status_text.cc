#include "daemon/status_text.h"

#include <algorithm>
#include <cstdio>
#include <sstream>
#include <utility>

#include "daemon/version.h"
#include "util/json_writer.h"

namespace ftpgate {
namespace {

struct Help {
  std::string_view name;
  std::string_view text;
};
constexpr Help kHelp[] = {
#include "metric_help.inc"
};

std::string words(std::string_view name) {
  std::string s(name.substr(0, name.size() > 6 && name.ends_with("_total") ? name.size() - 6 : name.size()));
  std::replace(s.begin(), s.end(), '_', ' ');
  return s;
}

// "# HELP ftpgate_NAME text" and "# TYPE ftpgate_NAME counter|gauge|histogram".
void family(std::string& out, std::string_view n, std::string_view help, std::string_view type) {
  out += "# HELP ftpgate_";
  out += n;
  out += ' ';
  out += help;
  out += "\n# TYPE ftpgate_";
  out += n;
  out += ' ';
  out += type;
  out += '\n';
}

std::string_view type_of(std::string_view n) { return n.ends_with("_total") ? "counter" : "gauge"; }

// A label value: backslash, double quote and newline escaped (text format 0.0.4).
std::string label_value(std::string_view v) {
  std::string s;
  for (char c : v) {
    if (c == '\\' || c == '"') s += '\\';
    if (c == '\n') {
      s += "\\n";
      continue;
    }
    s += c;
  }
  return s;
}

void sample(std::string& out, std::string_view n, std::string_view labels, std::string_view value) {
  out += "ftpgate_";
  out += n;
  if (!labels.empty()) {
    out += '{';
    out += labels;
    out += '}';
  }
  out += ' ';
  out += value;
  out += '\n';
}

std::string seconds_text(int64_t micros) {
  char b[48];
  std::snprintf(b, sizeof(b), "%.6f", static_cast<double>(micros) / 1e6);
  return b;
}

// The gateway's expectation_install_<reason>_total counters, as one family by reason.
constexpr std::string_view kInstallPrefix = "expectation_install_";

}  // namespace

std::string_view metric_help(std::string_view name) {
  for (const Help& h : kHelp)
    if (h.name == name) return h.text;
  return {};
}

std::string format_status(const StatusSources& s) {
  std::string out;
  auto put = [&](std::string_view name, uint64_t v) {
    if (name.starts_with(kInstallPrefix)) return;  // below, as one family
    const std::string_view help = metric_help(name);
    family(out, name, help.empty() ? std::string_view(words(name)) : help, type_of(name));
    sample(out, name, {}, std::to_string(v));
  };
  family(out, "build_info", "the running ftpgate's version (always 1)", "gauge");
  sample(out, "build_info", "version=\"" + label_value(kVersion) + "\"", "1");
  family(out, "start_time_seconds", "when the daemon started, seconds since the epoch", "gauge");
  sample(out, "start_time_seconds", {}, seconds_text(s.info.start_time_micros));
  family(out, "config_last_reload_successful", "whether the last SIGHUP reload was applied (1; also before any)", "gauge");
  sample(out, "config_last_reload_successful", {}, s.info.last_reload_ok ? "1" : "0");
  family(out, "config_last_reload_success_timestamp_seconds",
         "when the configuration in use was loaded (start or SIGHUP), seconds since the epoch", "gauge");
  sample(out, "config_last_reload_success_timestamp_seconds", {},
         seconds_text(s.info.last_reload_success_micros != 0 ? s.info.last_reload_success_micros
                                                               : s.info.start_time_micros));
  family(out, "config_reloads_total", "SIGHUP reloads by result (failure: the running configuration kept)", "counter");
  sample(out, "config_reloads_total", "result=\"success\"", std::to_string(s.info.reloads_succeeded));
  sample(out, "config_reloads_total", "result=\"failure\"", std::to_string(s.info.reloads_failed));

  // Each queue's figures, labelled by its number.
  NfQueueStats{}.for_each([&](std::string_view name, uint64_t) {
    const std::string_view help = metric_help(name);
    family(out, name, help.empty() ? std::string_view(words(name)) : help, type_of(name));
    for (const NfQueueStats& q : s.queues) {
      q.for_each([&](std::string_view n, uint64_t v) {
        if (n == name) sample(out, name, "queue=\"" + std::to_string(q.queue) + "\"", std::to_string(v));
      });
    }
  });
  s.daemon.for_each(put);
  s.engine.for_each(put);
  s.gateway.for_each(put);
  s.sync_repair.for_each(put);
  s.path.for_each(put);
  s.audit.for_each(put);
  if (s.metrics_server != nullptr) s.metrics_server->for_each(put);
  put("held_segments", s.held_now);
  // The queue's cost per session: every packet the queues delivered over the sessions that
  // ended (closed, expired, released), 0 before the first one ends. Includes the packets of
  // sessions still open, so it reads high while many are.
  const uint64_t ended = s.engine.sessions_closed + s.engine.sessions_expired + s.engine.sessions_released;
  family(out, "queued_packets_per_ended_session",
         "packets received from the queues divided by the sessions ended (0 before any ended)", "gauge");
  char per[32];
  std::snprintf(per, sizeof(per), "%.2f", ended == 0 ? 0.0 : static_cast<double>(s.daemon.packets) / static_cast<double>(ended));
  sample(out, "queued_packets_per_ended_session", {}, per);
  family(out, "expectation_install_failures_total",
         "expectations the kernel refused, by reason: errors (EXP_NEW refused, see the log), no_helper "
         "(master without a helper), table_full (EMFILE/ENOSPC), busy (EBUSY: another master's tuple)",
         "counter");
  s.gateway.for_each([&](std::string_view name, uint64_t v) {
    if (!name.starts_with(kInstallPrefix)) return;
    std::string_view reason = name.substr(kInstallPrefix.size());
    reason.remove_suffix(reason.ends_with("_total") ? 6 : 0);
    sample(out, "expectation_install_failures_total", "reason=\"" + std::string(reason) + "\"", std::to_string(v));
  });
  family(out, "verdict_latency_seconds", "from reading a packet off the queue to its verdict", "histogram");
  s.latency.append_prometheus(out, "verdict_latency_seconds");
  family(out, "decision_verdict_latency_seconds",
         "from reading a packet to its verdict, for the packets that carried an expectation decision", "histogram");
  s.decision_latency.append_prometheus(out, "decision_verdict_latency_seconds");
  family(out, "refusals_total", "control lines refused or anomalies seen, by reason (README: Refusal reasons)", "counter");
  for (size_t i = 0; i < kReasonCount; ++i)
    sample(out, "refusals_total", "reason=\"" + std::string(reason_name(static_cast<Reason>(i))) + "\"",
           std::to_string(s.engine.reasons[i]));
  if (s.rules != nullptr && !s.rules->empty()) {
    // ftpgate_policy_rule_hits_total{rule="no-uploads",action="deny"} 3: by the rule's name
    // ("name NAME" in the rule, else its text), so editing other lines keeps the series.
    family(out, "policy_rule_hits_total", "commands each command rule matched, by rule name and action", "counter");
    for (size_t i = 0; i < s.rules->size(); ++i) {
      const CommandRule& r = s.rules->rule(i);
      const std::string& name = i < s.info.rule_names.size() ? s.info.rule_names[i] : r.text;
      sample(out, "policy_rule_hits_total",
             "rule=\"" + label_value(name) + "\",action=\"" + std::string(rule_action_name(r.action)) + "\"",
             std::to_string(s.rules->hits(i)));
    }
  }
  return out;
}

namespace {

// One sample of the Prometheus text: name, its first label's value (if any), value text.
struct Sample {
  std::string name;
  std::string label;
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
      size_t i = key.find('"', brace);
      for (++i; i < key.size() && key[i] != '"'; ++i) {
        if (key[i] == '\\' && i + 1 < key.size()) ++i;
        s.label += key[i];
      }
      key.resize(brace);
    }
    if (key.rfind("ftpgate_", 0) == 0) key.erase(0, 8);
    s.name = key;
    out.push_back(std::move(s));
  }
  return out;
}

}  // namespace

std::string status_table(const std::string& prometheus_text) {
  std::string out;
  for (const Sample& s : parse_samples(prometheus_text)) {
    if (s.value == "0" && !s.label.empty()) continue;  // the many zero reasons and buckets
    std::string name = s.name;
    if (!s.label.empty()) name += " (" + s.label + ")";
    out += name;
    out.append(name.size() < 48 ? 48 - name.size() : 1, ' ');
    out += s.value + '\n';
  }
  return out;
}

std::string status_json(const std::string& prometheus_text) {
  const std::vector<Sample> samples = parse_samples(prometheus_text);
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
    for (; i < samples.size() && samples[i].name == name; ++i) o.number_text(samples[i].label, samples[i].value);
    o.end();
  }
  o.close();
  return out;
}

}  // namespace ftpgate
