#include "daemon/kernel_ftp_helper.h"

#include <algorithm>
#include <cctype>
#include <regex>
#include <set>
#include <sstream>

namespace ftpgate {
namespace {

std::vector<std::string> lines_of(std::string_view text) {
  std::vector<std::string> out;
  std::string line;
  std::istringstream in{std::string(text)};
  while (std::getline(in, line)) out.push_back(line);
  return out;
}

std::string trimmed(const std::string& s) {
  const auto b = s.find_first_not_of(" \t");
  const auto e = s.find_last_not_of(" \t\r");
  return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
}

// Every port number in TEXT after KEY ("dport 21", "dport { 21, 2121 }", "--dport 21",
// "--dports 21,2121"); ranges "a-b"/"a:b" are taken whole when they are short.
std::vector<uint16_t> ports_after(const std::string& text, const std::regex& key) {
  std::vector<uint16_t> out;
  std::smatch m;
  if (!std::regex_search(text, m, key)) return out;
  std::string rest = m.suffix();
  const auto brace = rest.find_first_not_of(" ");
  std::string list;
  if (brace != std::string::npos && rest[brace] == '{') {
    list = rest.substr(brace + 1, rest.find('}', brace) - brace - 1);
  } else {
    std::istringstream in(rest);
    in >> list;
  }
  static const std::regex number_or_range(R"((\d+)(?:\s*[-:]\s*(\d+))?)");
  for (auto it = std::sregex_iterator(list.begin(), list.end(), number_or_range); it != std::sregex_iterator(); ++it) {
    const unsigned long lo = std::stoul((*it)[1]);
    const unsigned long hi = (*it)[2].matched ? std::stoul((*it)[2]) : lo;
    if (hi > 65535 || lo > hi) continue;
    if (hi - lo > 64) {  // a wide range: stands for "these ports", keep its ends
      out.push_back(static_cast<uint16_t>(lo));
      out.push_back(static_cast<uint16_t>(hi));
      continue;
    }
    for (unsigned long p = lo; p <= hi; ++p) out.push_back(static_cast<uint16_t>(p));
  }
  return out;
}

bool meets(const std::vector<uint16_t>& rule_ports, const std::vector<uint16_t>& ports) {
  if (rule_ports.empty()) return true;  // no port named: any port
  return std::any_of(rule_ports.begin(), rule_ports.end(),
                     [&](uint16_t p) { return std::find(ports.begin(), ports.end(), p) != ports.end(); });
}

}  // namespace

std::vector<KernelFtpHelperUse> find_kernel_ftp_helper(std::string_view nft_ruleset, std::string_view iptables_save,
                                                       const std::vector<uint16_t>& ports) {
  std::vector<KernelFtpHelperUse> out;
  // nft: ct helper NAME { type "ftp" protocol tcp ... } and the rules that `ct helper set "NAME"`.
  const std::vector<std::string> nft = lines_of(nft_ruleset);
  static const std::regex object(R"(^\s*ct helper\s+("?)([A-Za-z0-9_.-]+)\1\s*\{)");
  static const std::regex type_ftp(R"(type\s+"ftp"(\s|;|$))");
  std::set<std::string> ftp_objects;
  for (std::size_t i = 0; i < nft.size(); ++i) {
    std::smatch m;
    if (!std::regex_search(nft[i], m, object)) continue;
    for (std::size_t j = i; j < nft.size() && j < i + 6; ++j) {
      if (std::regex_search(nft[j], type_ftp)) {
        ftp_objects.insert(m[2]);
        break;
      }
      if (j > i && nft[j].find('}') != std::string::npos) break;
    }
  }
  static const std::regex nft_dport(R"((?:tcp\s+)?dport\s)");
  for (const std::string& name : ftp_objects) {
    bool used = false;
    for (const std::string& line : nft) {
      if (line.find("ct helper set \"" + name + "\"") == std::string::npos &&
          line.find("ct helper set " + name) == std::string::npos)
        continue;
      used = true;
      std::vector<uint16_t> p = ports_after(line, nft_dport);
      if (meets(p, ports)) out.push_back({"nft: " + trimmed(line) + "  (ct helper \"" + name + "\" of type \"ftp\")", p});
    }
    if (!used) out.push_back({"nft: ct helper \"" + name + "\" of type \"ftp\" (no rule found that sets it)", {}});
  }
  // iptables: -A CHAIN ... -j CT --helper ftp
  static const std::regex ct_ftp(R"(-j CT\b.*--helper\s+ftp(\s|$))");
  static const std::regex ipt_dport(R"(--dports?\s)");
  for (const std::string& line : lines_of(iptables_save)) {
    if (!std::regex_search(line, ct_ftp)) continue;
    std::vector<uint16_t> p = ports_after(line, ipt_dport);
    if (meets(p, ports)) out.push_back({"iptables: " + trimmed(line), p});
  }
  return out;
}

std::string kernel_ftp_helper_warning(const std::vector<KernelFtpHelperUse>& uses) {
  if (uses.empty()) return {};
  std::string s = "  warning  the kernel's FTP helper (nf_conntrack_ftp) is still attached to FTP control connections:\n";
  for (const auto& u : uses) s += "             " + u.where + "\n";
  s += "           A connection carries one helper: it and ftpgate must not share a port. To migrate,\n"
       "           remove those rules (nft: the `ct helper set` rule and its `ct helper` object;\n"
       "           iptables: the `-j CT --helper ftp` rule in the raw table), keep your\n"
       "           `ct state related accept`, then load ftpgate's rules (README, Migrating).\n";
  return s;
}

}  // namespace ftpgate
