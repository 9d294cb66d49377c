#include "core/endpoint_forms.h"

#include <array>

namespace ftpgate {
namespace {

constexpr std::array<EndpointForm, 6> kForms = {{
    {Announcement::kPort, "PORT", DataMode::kActive, Verb::kPort, 0, parse_port_argument,
     Reason::kMalformedPort, true, true},
    {Announcement::kEprt, "EPRT", DataMode::kActive, Verb::kEprt, 0, parse_eprt_argument,
     Reason::kMalformedEprt, false, true},
    {Announcement::kLprt, "LPRT", DataMode::kActive, Verb::kLprt, 0, parse_lprt_argument,
     Reason::kMalformedLprt, false, true},
    {Announcement::k227, "227", DataMode::kPassive, Verb::kPasv, 227, parse_227_text,
     Reason::kMalformed227, true, true},
    {Announcement::k228, "228", DataMode::kPassive, Verb::kLpsv, 228, parse_228_text,
     Reason::kMalformed228, false, true},
    {Announcement::k229, "229", DataMode::kPassive, Verb::kEpsv, 229, parse_229_text,
     Reason::kMalformed229, false, false},
}};

constexpr bool in_announcement_order() {
  for (size_t i = 0; i < kForms.size(); ++i)
    if (static_cast<size_t>(kForms[i].announcement) != i) return false;
  return true;
}
static_assert(in_announcement_order(), "kForms is indexed by Announcement");

}  // namespace

const EndpointForm* form_of_command(Verb verb) {
  for (const EndpointForm& f : kForms)
    if (f.mode == DataMode::kActive && f.verb == verb) return &f;
  return nullptr;
}

const EndpointForm* form_of_reply(uint16_t code) {
  for (const EndpointForm& f : kForms)
    if (f.reply_code == code && code != 0) return &f;
  return nullptr;
}

const EndpointForm& form_of(Announcement announcement) {
  return kForms[static_cast<size_t>(announcement)];
}

std::string_view announcement_name(Announcement a) { return form_of(a).name; }

}  // namespace ftpgate
