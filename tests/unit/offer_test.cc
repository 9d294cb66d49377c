// judge_offer, table-driven: each form against each check, in the documented order.
#include "core/offer.h"

#include <gtest/gtest.h>

#include "test_support.h"

namespace ftpgate {
namespace {

using testing::ip;

struct Case {
  const char* name;
  Announcement form;
  const char* text;    // the argument (active) or reply text (passive)
  bool v6;             // the control connection's family
  Reason refusal;      // kCount: admitted
};

const Case kCases[] = {
    {"port ok", Announcement::kPort, "10,0,1,2,4,1", false, Reason::kCount},
    {"port malformed", Announcement::kPort, "10,0,1,2,4", false, Reason::kMalformedPort},
    {"port octet out of range", Announcement::kPort, "10,0,1,256,4,1", false, Reason::kOutOfRange},
    {"port bounce", Announcement::kPort, "10,0,9,9,4,1", false, Reason::kBounceAddress},
    {"port privileged", Announcement::kPort, "10,0,1,2,0,22", false, Reason::kPrivilegedPort},
    {"port on ipv6", Announcement::kPort, "10,0,1,2,4,1", true, Reason::kIpv4TupleOnIpv6},
    {"eprt ok v4", Announcement::kEprt, "|1|10.0.1.2|1025|", false, Reason::kCount},
    {"eprt ok v6", Announcement::kEprt, "|2|2001:db8:1::2|1025|", true, Reason::kCount},
    {"eprt family", Announcement::kEprt, "|2|2001:db8:1::2|1025|", false, Reason::kFamilyMismatch},
    {"eprt net-prt 3", Announcement::kEprt, "|3|10.0.1.2|1025|", false, Reason::kUnsupportedFamily},
    {"lprt ok", Announcement::kLprt, "4,4,10,0,1,2,2,4,1", false, Reason::kCount},
    {"227 ok", Announcement::k227, "Entering Passive Mode (10,0,2,2,195,80)", false, Reason::kCount},
    {"227 bounce", Announcement::k227, "(10,0,9,9,195,80)", false, Reason::kBounceAddress},
    {"227 on ipv6", Announcement::k227, "(10,0,2,2,195,80)", true, Reason::kIpv4TupleOnIpv6},
    {"227 malformed", Announcement::k227, "Entering Passive Mode", false, Reason::kMalformed227},
    {"228 ok", Announcement::k228, "(4,4,10,0,2,2,2,195,80)", false, Reason::kCount},
    {"229 ok v4", Announcement::k229, "(|||50000|)", false, Reason::kCount},
    {"229 ok v6", Announcement::k229, "(|||50000|)", true, Reason::kCount},
    {"229 privileged", Announcement::k229, "(|||21|)", false, Reason::kPrivilegedPort},
    {"229 malformed", Announcement::k229, "(|||x|)", false, Reason::kMalformed229},
};

TEST(JudgeOffer, EachFormAgainstEachCheck) {
  for (const Case& c : kCases) {
    const ControlFlow flow = c.v6 ? ControlFlow{ip("2001:db8:1::2"), ip("2001:db8:2::2"), 40000, 21}
                                  : ControlFlow{ip("10.0.1.2"), ip("10.0.2.2"), 40000, 21};
    Offer o;
    o.form = &form_of(c.form);
    o.endpoint = o.form->parse(c.text);
    const Judgement j = judge_offer(o, flow, Policy{});
    EXPECT_EQ(j.admitted, c.refusal == Reason::kCount) << c.name;
    if (!j.admitted) {
      EXPECT_EQ(reason_name(j.refusal), reason_name(c.refusal)) << c.name;
      continue;
    }
    const bool active = o.form->mode == DataMode::kActive;
    EXPECT_EQ(j.src, active ? flow.server : flow.client) << c.name;
    EXPECT_EQ(j.dst, active ? flow.client : flow.server) << c.name;
  }
}

TEST(JudgeOffer, LooseAdmitsAThirdPartyAddressAndZeroMinPortAPrivilegedOne) {
  Policy p;
  p.require_peer_address = false;
  p.min_data_port = 0;
  const ControlFlow flow{ip("10.0.1.2"), ip("10.0.2.2"), 40000, 21};
  Offer o;
  o.form = &form_of(Announcement::kPort);
  o.endpoint = o.form->parse("10,0,9,9,0,22");
  const Judgement j = judge_offer(o, flow, p);
  ASSERT_TRUE(j.admitted);
  EXPECT_EQ(j.dst, ip("10.0.9.9"));
  EXPECT_EQ(j.dport, 22);
}

TEST(EndpointForms, TheTableNamesEachFormOnce) {
  EXPECT_EQ(form_of_command(Verb::kPort)->announcement, Announcement::kPort);
  EXPECT_EQ(form_of_command(Verb::kEprt)->announcement, Announcement::kEprt);
  EXPECT_EQ(form_of_command(Verb::kLprt)->announcement, Announcement::kLprt);
  EXPECT_EQ(form_of_command(Verb::kPasv), nullptr);
  EXPECT_EQ(form_of_reply(227)->verb, Verb::kPasv);
  EXPECT_EQ(form_of_reply(228)->verb, Verb::kLpsv);
  EXPECT_EQ(form_of_reply(229)->verb, Verb::kEpsv);
  EXPECT_EQ(form_of_reply(226), nullptr);
  EXPECT_EQ(form_of_reply(0), nullptr);
  EXPECT_EQ(announcement_name(Announcement::k229), "229");
}

}  // namespace
}  // namespace ftpgate
