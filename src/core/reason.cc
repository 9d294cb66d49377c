#include "core/reason.h"

#include <array>

namespace ftpgate {
namespace {
enum Kind : uint8_t { kReject, kAnomaly };
struct ReasonInfo {
  std::string_view name;
  Kind kind;
};
constexpr std::array<ReasonInfo, kReasonCount> kReasons = {{
#define FTPGATE_REASON_INFO(e, name, kind) {name, kind},
    FTPGATE_REASONS(FTPGATE_REASON_INFO)
#undef FTPGATE_REASON_INFO
}};
}  // namespace

std::string_view reason_name(Reason r) {
  auto i = static_cast<size_t>(r);
  return i < kReasons.size() ? kReasons[i].name : "unknown";
}

bool reason_is_rejection(Reason r) {
  auto i = static_cast<size_t>(r);
  return i < kReasons.size() && kReasons[i].kind == kReject;
}

}  // namespace ftpgate
