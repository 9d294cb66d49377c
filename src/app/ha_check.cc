// ftpgate ha check (also `ftpgate check --ha`): what an HA node needs for FTP to survive a
// failover, read from the running system:
//   - conntrackd answers on its UNIX socket (`conntrackd -C FILE -s`);
//   - its Sync { Options { ExpectationSync ... } } covers the helper the loaded rules attach
//     ("ExpectationSync On", or a list naming it: `{ ftp }` alone syncs none of ftpgate's);
//   - the loaded ruleset admits related connections by the conntrack mark bit (which conntrackd
//     syncs with the conntrack) and sets it on control connections;
//   - keepalived's configuration, or a notify script it names, runs `ftpgate ha takeover`.
#include <cstdio>
#include <fstream>
#include <iostream>
#include <regex>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "app/daemon_commands.h"

namespace ftpgate {
namespace {

const char kUsage[] =
    "usage: ftpgate ha check [--conntrackd-config FILE] [--keepalived-config FILE]\n"
    "Defaults: /etc/conntrackd/conntrackd.conf, /etc/keepalived/keepalived.conf. Needs root.\n";

// A command's standard output and whether it exited 0.
bool run(const std::string& cmd, std::string& out) {
  out.clear();
  FILE* p = popen((cmd + " 2>/dev/null").c_str(), "r");
  if (p == nullptr) return false;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), p)) > 0) out.append(buf, n);
  return pclose(p) == 0;
}

std::string read_file(const std::string& path, bool& ok) {
  std::ifstream in(path);
  ok = static_cast<bool>(in);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The file without its '#' comments.
std::string without_comments(const std::string& text) {
  std::string out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out += line.substr(0, line.find('#')) + '\n';
  return out;
}

// conntrackd.conf's ExpectationSync: {"*"} for On, the listed helper names, or none.
std::vector<std::string> expectation_sync(const std::string& conf) {
  std::smatch m;
  const std::string text = without_comments(conf);
  if (std::regex_search(text, m, std::regex(R"(ExpectationSync\s+(on|On|ON)\b)"))) return {"*"};
  std::vector<std::string> names;
  if (std::regex_search(text, m, std::regex(R"(ExpectationSync\s*\{([^}]*)\})"))) {
    std::istringstream in(m[1].str());
    for (std::string w; in >> w;) names.push_back(w);
  }
  return names;
}

void report(bool ok, const std::string& what, const std::string& detail, bool& all) {
  std::cout << (ok ? "  ok       " : "  missing  ") << what;
  if (!detail.empty()) std::cout << " — " << detail;
  std::cout << '\n';
  all = all && ok;
}

}  // namespace

int ha_check(int argc, char** argv) {
  std::string conntrackd_conf = "/etc/conntrackd/conntrackd.conf";
  std::string keepalived_conf = "/etc/keepalived/keepalived.conf";
  for (int i = 0; i < argc; ++i) {
    const std::string_view a = argv[i];
    if (a == "-h" || a == "--help") {
      std::cout << kUsage;
      return 0;
    }
    if (i + 1 < argc && a == "--conntrackd-config") {
      conntrackd_conf = argv[++i];
    } else if (i + 1 < argc && a == "--keepalived-config") {
      keepalived_conf = argv[++i];
    } else {
      std::cerr << "ftpgate ha check: unknown option '" << a << "'\n" << kUsage;
      return 2;
    }
  }
  bool all = true;
  std::cout << "ftpgate ha check: what this node needs for FTP across a failover\n";
  std::string out;
  report(run("conntrackd -C '" + conntrackd_conf + "' -s", out), "conntrackd answers (" + conntrackd_conf + ")",
         out.empty() ? "start conntrackd with this configuration" : "", all);

  std::string rules;
  const bool loaded = run("nft list table inet ftpgate", rules);
  report(loaded, "ftpgate's rules are loaded", loaded ? "" : "scripts/rules.sh load", all);
  std::smatch m;
  const std::string helper =
      std::regex_search(rules, m, std::regex("type \"([^\"]+)\" protocol tcp")) ? m[1].str() : "";
  bool readable = false;
  const std::vector<std::string> synced = expectation_sync(read_file(conntrackd_conf, readable));
  bool covered = false;
  for (const std::string& n : synced) covered = covered || n == "*" || n == helper;
  std::string listed;
  for (const std::string& n : synced) listed += (listed.empty() ? "" : " ") + n;
  report(!helper.empty() && covered,
         "ExpectationSync covers the helper the rules attach ('" + helper + "')",
         helper.empty() ? "no ct helper in the loaded rules"
         : covered      ? ""
         : !readable    ? "cannot read " + conntrackd_conf
                                  : "ExpectationSync is {" + listed + "}: add '" + helper +
                                        "' (Sync { Options { ExpectationSync { ftp " + helper + " } } })",
         all);
  const bool marks = std::regex_search(rules, std::regex(R"(ct mark set ct mark \| (0x[0-9a-f]+))")) &&
                     std::regex_search(rules, std::regex(R"(ct state related ct mark & 0x[0-9a-f]+ == 0x[0-9a-f]+ accept)"));
  report(marks, "conntrack mark bit set on control connections and required of related ones",
         marks ? "" : "load the shipped rules (scripts/rules.sh load)", all);

  bool have_keepalived = false;
  const std::string ka = read_file(keepalived_conf, have_keepalived);
  bool takes_over = ka.find("ftpgate ha takeover") != std::string::npos;
  // ... or in a notify script it names.
  const std::regex notify(R"(notify(_master)?\s+\"?([^\s\"]+))");
  for (auto it = std::sregex_iterator(ka.begin(), ka.end(), notify); !takes_over && it != std::sregex_iterator(); ++it) {
    bool ok = false;
    takes_over = read_file((*it)[2].str(), ok).find("ha takeover") != std::string::npos;
  }
  report(takes_over, "keepalived's notify runs `ftpgate ha takeover` after `conntrackd -c`",
         !have_keepalived ? "cannot read " + keepalived_conf : takes_over ? "" : "see scripts/ha/ftpgate-ha-notify.sh",
         all);
  return all ? 0 : 1;
}

}  // namespace ftpgate
