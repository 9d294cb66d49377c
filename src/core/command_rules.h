#pragma once
// The policy's command rules in the order written, and how often each matched. The first rule
// that matches a command decides it; a command no rule matches is allowed. Hit counters live
// here (one engine thread); a reload makes a new set, so they start at zero with their rules.
#include <cstdint>
#include <vector>

#include "core/command_rule.h"

namespace ftpgate {

class CommandRules {
 public:
  // Rules one policy may hold (each command is matched against them in order).
  static constexpr size_t kMaxRules = 1024;

  void add(CommandRule rule) {
    rules_.push_back(std::move(rule));
    hits_.push_back(0);
  }
  // The first rule matching `f`, its hit counted; null when none does.
  const CommandRule* judge(const CommandFacts& f) const {
    for (size_t i = 0; i < rules_.size(); ++i) {
      if (!rules_[i].matches(f)) continue;
      ++hits_[i];
      return &rules_[i];
    }
    return nullptr;
  }
  // The first rule matching `f`, not counted (Session judges several readings of one command,
  // then counts the rule that decided it).
  const CommandRule* first_match(const CommandFacts& f) const {
    for (const CommandRule& r : rules_)
      if (r.matches(f)) return &r;
    return nullptr;
  }
  void count_hit(const CommandRule* rule) const {
    if (rule != nullptr) ++hits_[static_cast<size_t>(rule - rules_.data())];
  }
  bool has_deny() const {
    for (const CommandRule& r : rules_)
      if (r.action == RuleAction::kDeny) return true;
    return false;
  }
  bool empty() const { return rules_.empty(); }
  size_t size() const { return rules_.size(); }
  const CommandRule& rule(size_t i) const { return rules_[i]; }
  uint64_t hits(size_t i) const { return hits_[i]; }
  // Adds the hits another copy of the same rules counted (the daemon's workers each judge with
  // their own copy).
  void add_hits(const CommandRules& other) {
    for (size_t i = 0; i < hits_.size() && i < other.hits_.size(); ++i) hits_[i] += other.hits_[i];
  }

 private:
  std::vector<CommandRule> rules_;
  mutable std::vector<uint64_t> hits_;
};

}  // namespace ftpgate
