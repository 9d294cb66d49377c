// RFC 6384 (FTP ALG for IPv6-to-IPv4 translation), one table per requirement: each row is a
// dialogue of client commands (C) and server replies (S) as the translator sees them on the
// IPv4 leg, with what must reach the other side.
#include "core/ftp64_translator.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace ftpgate {
namespace {

IpAddress ip(const char* s) { return *IpAddress::parse(s); }

// The lab's addresses: client 2001:db8:1::2 reaches server 203.0.113.10 through NAT64, which
// gives it the pool address 192.168.255.2 on the IPv4 leg.
const IpAddress kClient6 = ip("2001:db8:1::2");
const IpAddress kClient4 = ip("192.168.255.2");
const IpAddress kServer4 = ip("203.0.113.10");

// What a line becomes: "=" unchanged, "-" removed, "!" teardown, otherwise the new text.
struct Step {
  char dir;  // 'C' command, 'S' reply
  std::string line;
  std::string out;
};

struct Case {
  const char* name;
  std::vector<Step> steps;
  Ftp64Settings settings = {};
};

std::string render(const Ftp64Edit& e) {
  switch (e.kind) {
    case Ftp64Edit::Kind::kPass:
      return "=";
    case Ftp64Edit::Kind::kRemove:
      return "-";
    case Ftp64Edit::Kind::kTeardown:
      return "!";
    case Ftp64Edit::Kind::kReplace:
      return e.text;
  }
  return "?";
}

void run(const std::vector<Case>& cases) {
  for (const Case& c : cases) {
    Ftp64KnownClient peers(kClient6);
    Ftp64Translator t(c.settings, peers, kClient4, kServer4);
    for (size_t i = 0; i < c.steps.size(); ++i) {
      const Step& s = c.steps[i];
      const Ftp64Edit e = s.dir == 'C' ? t.on_command(s.line) : t.on_reply(s.line);
      EXPECT_EQ(render(e), s.out) << c.name << ", step " << i << ": " << s.dir << " " << s.line;
      if (s.dir == 'C' && e.kind != Ftp64Edit::Kind::kTeardown) {
        // What the server executes: the new text, or the line itself.
        EXPECT_EQ(e.server_line, e.kind == Ftp64Edit::Kind::kReplace ? e.text : s.line) << c.name;
      }
    }
  }
}

// RFC 6384 section 6: EPSV (and EPSV 2) become PASV; the 227 answering it becomes a 229
// carrying the port alone; a 227 naming another address than the server's becomes 425 (or
// the address is ignored, by setting); other replies to the PASV pass.
TEST(Ftp64Translator, EpsvBecomesPasvAnd227Becomes229) {
  Ftp64Settings ignore_address;
  ignore_address.refuse_foreign_227 = false;
  run({
      {"example: EPSV, 227 (h,p) -> 229 (|||p|)",
       {{'C', "EPSV", "PASV"},
        {'S', "227 Entering Passive Mode (203,0,113,10,195,80)",
         "229 Entering Extended Passive Mode (|||50000|)"}}},
      {"EPSV 2 (RFC 2428 net-prt 2, IPv6)",
       {{'C', "EPSV 2", "PASV"},
        {'S', "227 Entering Passive Mode (203,0,113,10,25,38)",
         "229 Entering Extended Passive Mode (|||6438|)"}}},
      {"lower case, trailing space",
       {{'C', "epsv ", "PASV"},
        {'S', "227 =203,0,113,10,4,1", "229 Entering Extended Passive Mode (|||1025|)"}}},
      {"227 without parentheses (RFC 1123 4.1.2.6)",
       {{'C', "EPSV", "PASV"},
        {'S', "227 Entering Passive Mode 203,0,113,10,200,10",
         "229 Entering Extended Passive Mode (|||51210|)"}}},
      {"227 naming another host: 425",
       {{'C', "EPSV", "PASV"},
        {'S', "227 Entering Passive Mode (10,0,0,1,195,80)",
         "425 Server announced another address for the data connection"}}},
      {"227 naming another host, address ignored by setting",
       {{'C', "EPSV", "PASV"},
        {'S', "227 Entering Passive Mode (10,0,0,1,195,80)",
         "229 Entering Extended Passive Mode (|||50000|)"}},
       ignore_address},
      {"227 without an endpoint: 425",
       {{'C', "EPSV", "PASV"},
        {'S', "227 Entering Passive Mode", "425 Cannot parse the server's passive reply"}}},
      {"PASV refused: the refusal passes",
       {{'C', "EPSV", "PASV"}, {'S', "500 PASV not understood", "="}}},
      {"multi-line 227: its later lines go, the last carries the 229",
       {{'C', "EPSV", "PASV"},
        {'S', "227-Entering Passive Mode", "-"},
        {'S', " (203,0,113,10,195,80)", "-"},
        {'S', "227 OK", "229 Entering Extended Passive Mode (|||50000|)"}}},
      {"a 227 nobody asked for passes (the dialogue judges it)",
       {{'C', "PASV", "="}, {'S', "227 Entering Passive Mode (203,0,113,10,195,80)", "="}}},
      {"pipelined: EPSV, LIST; 227, 150, 226",
       {{'C', "EPSV", "PASV"},
        {'C', "LIST", "="},
        {'S', "227 Entering Passive Mode (203,0,113,10,195,80)",
         "229 Entering Extended Passive Mode (|||50000|)"},
        {'S', "150 Here comes the directory listing.", "="},
        {'S', "226 Directory send OK.", "="}}},
  });
}

// RFC 6384 section 6: EPSV ALL and EPSV <n> with n other than 2 are not passed on; the ALG
// answers them (504, 522) through the NOOP it sends instead (section 12).
TEST(Ftp64Translator, EpsvAllAndOtherProtocolsAreAnsweredByTheAlg) {
  run({
      {"EPSV ALL -> 504",
       {{'C', "EPSV ALL", "NOOP"},
        {'S', "200 NOOP ok.",
         "504 EPSV ALL is not supported through the IPv6-to-IPv4 translator"}}},
      {"epsv all (case)",
       {{'C', "epsv all", "NOOP"},
        {'S', "200 Zzz", "504 EPSV ALL is not supported through the IPv6-to-IPv4 translator"}}},
      {"EPSV 1 -> 522",
       {{'C', "EPSV 1", "NOOP"},
        {'S', "200 NOOP ok.", "522 Network protocol not supported, use (2)"}}},
      {"EPSV 3 -> 522",
       {{'C', "EPSV 3", "NOOP"},
        {'S', "200 NOOP ok.", "522 Network protocol not supported, use (2)"}}},
      {"EPSV x -> 501",
       {{'C', "EPSV x", "NOOP"}, {'S', "200 NOOP ok.", "501 Syntax error in EPSV argument"}}},
  });
}

// RFC 6384 section 7: EPRT naming the client's own IPv6 address becomes PORT with the
// client's IPv4 (pool) address and the same port; any other EPRT is answered by the ALG.
TEST(Ftp64Translator, EprtOfTheClientBecomesPort) {
  Ftp64Settings epsv_only;
  epsv_only.initial = epsv_only.enabled = Ftp64Mode::kEpsv;
  run({
      {"EPRT |2|client|6275| -> PORT pool,24,131",
       {{'C', "EPRT |2|2001:db8:1::2|6275|", "PORT 192,168,255,2,24,131"},
        {'S', "200 PORT command successful", "="}}},
      {"another delimiter (RFC 2428 lets the client choose)",
       {{'C', "EPRT !2!2001:db8:1::2!50000!", "PORT 192,168,255,2,195,80"}}},
      {"the uncompressed form of the same address",
       {{'C', "EPRT |2|2001:0db8:0001:0000:0000:0000:0000:0002|1025|", "PORT 192,168,255,2,4,1"}}},
      {"the server refuses the PORT: the refusal passes",
       {{'C', "EPRT |2|2001:db8:1::2|6275|", "PORT 192,168,255,2,24,131"},
        {'S', "500 Illegal PORT command.", "="}}},
      {"another host's address (RFC 2428's example address) -> 501",
       {{'C', "EPRT |2|1080::8:800:200C:417A|5282|", "NOOP"},
        {'S', "200 NOOP ok.", "501 EPRT address is not the client's own"}}},
      {"net-prt 1 from an IPv6-only client -> 522",
       {{'C', "EPRT |1|132.235.1.2|6275|", "NOOP"},
        {'S', "200 NOOP ok.", "522 Network protocol not supported, use (2)"}}},
      {"net-prt 3 -> 522",
       {{'C', "EPRT |3|foo|6275|", "NOOP"},
        {'S', "200 NOOP ok.", "522 Network protocol not supported, use (2)"}}},
      {"malformed: passed on, the server refuses it",
       {{'C', "EPRT |2|2001:db8:1::2|", "="}, {'S', "500 Syntax error", "="}}},
      {"mode EPSV: EPRT is not translated", {{'C', "EPRT |2|2001:db8:1::2|6275|", "="}}, epsv_only},
  });
}

// RFC 6384 section 11: ALGS STATUS64 / ENABLE64 / DISABLE64, answered 216 with the state; an
// unknown argument 504. DISABLE64 stops the translation, ENABLE64 brings it back.
TEST(Ftp64Translator, AlgsCommandReportsAndSwitchesTheTranslation) {
  Ftp64Settings epsv_only;
  epsv_only.initial = epsv_only.enabled = Ftp64Mode::kEpsv;
  Ftp64Settings starts_off;
  starts_off.initial = Ftp64Mode::kNone;
  run({
      {"STATUS64 -> 216 EPSVEPRT",
       {{'C', "ALGS STATUS64", "NOOP"}, {'S', "200 NOOP ok.", "216 EPSVEPRT"}}},
      {"DISABLE64 -> 216 NONE, then EPSV and EPRT pass",
       {{'C', "ALGS DISABLE64", "NOOP"},
        {'S', "200 NOOP ok.", "216 NONE"},
        {'C', "EPSV", "="},
        {'S', "500 EPSV not understood", "="},
        {'C', "EPRT |2|2001:db8:1::2|6275|", "="},
        {'C', "algs status64", "NOOP"},
        {'S', "500 Unknown command", "="},
        {'S', "200 NOOP ok.", "216 NONE"}}},
      {"ENABLE64 after DISABLE64",
       {{'C', "ALGS DISABLE64", "NOOP"},
        {'C', "ALGS ENABLE64", "NOOP"},
        {'S', "200 NOOP ok.", "216 NONE"},
        {'S', "200 NOOP ok.", "216 EPSVEPRT"},
        {'C', "EPSV", "PASV"}}},
      {"EPSV-only setting: STATUS64 -> 216 EPSV, ENABLE64 stays EPSV",
       {{'C', "ALGS STATUS64", "NOOP"},
        {'S', "200 NOOP ok.", "216 EPSV"},
        {'C', "ALGS ENABLE64", "NOOP"},
        {'S', "200 NOOP ok.", "216 EPSV"}},
       epsv_only},
      {"starts off: STATUS64 -> NONE, ENABLE64 -> EPSVEPRT",
       {{'C', "ALGS STATUS64", "NOOP"},
        {'S', "200 NOOP ok.", "216 NONE"},
        {'C', "ALGS ENABLE64", "NOOP"},
        {'S', "200 NOOP ok.", "216 EPSVEPRT"}},
       starts_off},
      {"unknown argument -> 504",
       {{'C', "ALGS FOO", "NOOP"},
        {'S', "200 NOOP ok.",
         "504 ALGS argument not implemented (STATUS64, ENABLE64, DISABLE64)"}}},
      {"no argument -> 504",
       {{'C', "ALGS", "NOOP"},
        {'S', "200 NOOP ok.",
         "504 ALGS argument not implemented (STATUS64, ENABLE64, DISABLE64)"}}},
  });
}

// RFC 6384 section 12: the NOOP's answer is replaced in place (never forged): a multi-line
// 200 shrinks to the ALG's line; anything but 200 tears the control connection down.
TEST(Ftp64Translator, NoopAnswerIsReplacedOrTheSessionTornDown) {
  run({
      {"multi-line 200 to the NOOP",
       {{'C', "ALGS STATUS64", "NOOP"}, {'S', "200-NOOP", "-"}, {'S', "200 ok", "216 EPSVEPRT"}}},
      {"421 to the NOOP: teardown", {{'C', "ALGS STATUS64", "NOOP"}, {'S', "421 Timeout.", "!"}}},
      {"530 to the NOOP: teardown",
       {{'C', "EPSV ALL", "NOOP"}, {'S', "530 Please login with USER and PASS.", "!"}}},
      {"multi-line 500 to the NOOP: teardown on its first line",
       {{'C', "ALGS STATUS64", "NOOP"}, {'S', "500-what", "!"}}},
      {"pipelined: NOOP answer replaced between others",
       {{'C', "PWD", "="},
        {'C', "ALGS STATUS64", "NOOP"},
        {'C', "EPSV", "PASV"},
        {'S', "257 \"/\"", "="},
        {'S', "200 NOOP ok.", "216 EPSVEPRT"},
        {'S', "227 Entering Passive Mode (203,0,113,10,195,80)",
         "229 Entering Extended Passive Mode (|||50000|)"}}},
      {"a preliminary 1xx does not pair",
       {{'C', "RETR f", "="},
        {'C', "ALGS STATUS64", "NOOP"},
        {'S', "150 Opening", "="},
        {'S', "226 Done", "="},
        {'S', "200 NOOP ok.", "216 EPSVEPRT"}}},
      {"the client's own NOOP is the client's: its 200 passes",
       {{'C', "NOOP", "="}, {'S', "200 NOOP ok.", "="}}},
  });
}

// RFC 6384 section 10: AUTH turns the translator into a transparent copy; a 4xx/5xx answering
// it turns translation back on. LANG and every other command pass unchanged.
TEST(Ftp64Translator, AuthLangAndEverythingElsePassUnchanged) {
  run({
      {"AUTH TLS accepted: transparent",
       {{'C', "AUTH TLS", "="}, {'S', "234 Proceed with negotiation.", "="}, {'C', "EPSV", "="}}},
      {"AUTH TLS refused: translating again",
       {{'C', "AUTH TLS", "="},
        {'S', "530 Please login with USER and PASS.", "="},
        {'C', "EPSV", "PASV"}}},
      {"AUTH GSSAPI refused (502)",
       {{'C', "AUTH GSSAPI", "="}, {'S', "502 not implemented", "="}, {'C', "EPSV", "PASV"}}},
      {"pipelined after AUTH: not translated until its answer",
       {{'C', "AUTH TLS", "="}, {'C', "EPSV", "="}, {'S', "504 no", "="}, {'C', "EPSV", "PASV"}}},
      {"LANG passes (the ALG's replies stay English)",
       {{'C', "LANG fr", "="}, {'S', "200 Le langage est fr", "="}, {'C', "EPSV", "PASV"}}},
      {"others pass",
       {{'C', "USER anonymous", "="},
        {'S', "331 Please specify the password.", "="},
        {'C', "PASS x", "="},
        {'S', "230 Login successful.", "="},
        {'C', "PASV", "="},
        {'C', "PORT 192,168,255,2,4,1", "="},
        {'C', "LPSV", "="},
        {'C', "FEAT", "="},
        {'S', "211-Features:", "="},
        {'S', " EPSV", "="},
        {'S', "211 End", "="}}},
  });
}

TEST(Ftp64Translator, LostPairingStopsTranslating) {
  Ftp64KnownClient peers(kClient6);
  Ftp64Translator t({}, peers, kClient4, kServer4);
  EXPECT_EQ(render(t.on_command("EPSV")), "PASV");
  t.lost_sync();
  EXPECT_EQ(render(t.on_reply("227 Entering Passive Mode (203,0,113,10,195,80)")), "=");
  EXPECT_EQ(render(t.on_command("EPSV")), "=");
}

TEST(Ftp64Translator, CountsWhatItDid) {
  Ftp64KnownClient peers(kClient6);
  Ftp64Translator t({}, peers, kClient4, kServer4);
  t.on_command("EPSV");
  t.on_reply("227 (203,0,113,10,195,80)");
  t.on_command("EPRT |2|2001:db8:1::2|6275|");
  t.on_command("ALGS STATUS64");
  t.on_reply("200 PORT ok");
  t.on_reply("421 bye");
  EXPECT_EQ(t.counts().epsv_translated, 1u);
  EXPECT_EQ(t.counts().replies_translated, 1u);
  EXPECT_EQ(t.counts().eprt_translated, 1u);
  EXPECT_EQ(t.counts().answered_by_alg, 1u);
  EXPECT_EQ(t.counts().teardowns, 1u);
}

}  // namespace
}  // namespace ftpgate
