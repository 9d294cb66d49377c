#include "core/control_line.h"

#include <gtest/gtest.h>

namespace ftpgate {
namespace {

TEST(Command, VerbsAreCaseInsensitive) {
  EXPECT_EQ(parse_command("PORT 1,2,3,4,5,6").verb, Verb::kPort);
  EXPECT_EQ(parse_command("port 1,2,3,4,5,6").verb, Verb::kPort);  // kernel #2
  EXPECT_EQ(parse_command("PoRt 1").verb, Verb::kPort);
  EXPECT_EQ(parse_command("eprt |1|").verb, Verb::kEprt);
  EXPECT_EQ(parse_command("LPRT x").verb, Verb::kLprt);
  EXPECT_EQ(parse_command("pasv").verb, Verb::kPasv);
  EXPECT_EQ(parse_command("EPSV").verb, Verb::kEpsv);
  EXPECT_EQ(parse_command("EPSV ALL").verb, Verb::kEpsv);
  EXPECT_EQ(parse_command("LPSV").verb, Verb::kLpsv);
  EXPECT_EQ(parse_command("USER anonymous").verb, Verb::kUser);
  EXPECT_EQ(parse_command("ccc").verb, Verb::kCcc);
}

TEST(Command, AuthMechanisms) {
  EXPECT_EQ(parse_command("AUTH TLS").verb, Verb::kAuthTls);
  EXPECT_EQ(parse_command("auth ssl").verb, Verb::kAuthTls);
  EXPECT_EQ(parse_command("AUTH TLS-C").verb, Verb::kAuthTls);
  EXPECT_EQ(parse_command("AUTH TLS-P").verb, Verb::kAuthTls);
  EXPECT_EQ(parse_command("AUTH GSSAPI").verb, Verb::kOther);
}

TEST(Command, VerbMustStartTheLineAndStandAlone) {
  EXPECT_EQ(parse_command(" PORT 1,2,3,4,5,6").verb, Verb::kOther);  // kernel #16
  // Kernel #3 skips "XYZ" and parses; ftpgate does not take PORTXYZ for PORT.
  EXPECT_EQ(parse_command("PORTXYZ 10,0,1,2,4,1").verb, Verb::kOther);
  EXPECT_EQ(parse_command("RETR PORT 1,2,3,4,5,6").verb, Verb::kTransfer);  // a RETR, not a PORT
  EXPECT_EQ(parse_command("").verb, Verb::kOther);
  EXPECT_EQ(parse_command("POR").verb, Verb::kOther);
}

TEST(Command, ArgumentSkipsSpaces) {
  const Command c = parse_command("PORT  10,0,1,2,4,1");
  EXPECT_EQ(c.argument, "10,0,1,2,4,1");
  EXPECT_EQ(c.argument_offset, 6u);
  EXPECT_EQ(parse_command("PORT").argument, "");
}

TEST(Reply, Shapes) {
  ReplyLine r = parse_reply_line("227 Entering Passive Mode (1,2,3,4,5,6)");
  EXPECT_TRUE(r.is_reply_start);
  EXPECT_EQ(r.code, 227);
  EXPECT_FALSE(r.continues);
  EXPECT_EQ(r.text, "Entering Passive Mode (1,2,3,4,5,6)");
  r = parse_reply_line("227-first line");
  EXPECT_TRUE(r.continues);
  r = parse_reply_line("200");
  EXPECT_TRUE(r.is_reply_start);
  EXPECT_EQ(r.text, "");
  EXPECT_FALSE(parse_reply_line("227Entering").is_reply_start);
  EXPECT_FALSE(parse_reply_line("22").is_reply_start);
  EXPECT_FALSE(parse_reply_line(" 227 x").is_reply_start);
  EXPECT_FALSE(parse_reply_line("2x7 x").is_reply_start);
}

TEST(Reply, FinalCodes) {
  EXPECT_FALSE(is_final_code(150));
  EXPECT_TRUE(is_final_code(200));
  EXPECT_TRUE(is_final_code(550));
  EXPECT_FALSE(is_final_code(600));
}

}  // namespace
}  // namespace ftpgate

namespace ftpgate {
namespace {
TEST(Command, TransferVerbsAreKnownInAnyCase) {
  for (const char* line : {"RETR a", "stor b", "Stou", "APPE c", "LIST", "nlst -a", "MLSD /"})
    EXPECT_EQ(parse_command(line).verb, Verb::kTransfer) << line;
  for (const char* line : {"RETRX a", "SIZE a", "MLST a", "RET a"})
    EXPECT_NE(parse_command(line).verb, Verb::kTransfer) << line;
  EXPECT_EQ(parse_command("stor b").name, "stor");
}
}  // namespace
}  // namespace ftpgate
