#include "core/command_reading.h"

#include <gtest/gtest.h>

namespace ftpgate {
namespace {

struct Case {
  std::string line;
  std::string verb;
  std::string argument;
};

class LenientReading : public ::testing::TestWithParam<Case> {};

TEST_P(LenientReading, ReadsTheVerbAServerExecutes) {
  const CommandReading r = lenient_reading(GetParam().line);
  EXPECT_EQ(r.verb, GetParam().verb);
  EXPECT_EQ(r.argument, GetParam().argument);
}

INSTANTIATE_TEST_SUITE_P(
    Table, LenientReading,
    ::testing::Values(Case{"DELE x", "DELE", "x"}, Case{"DELE\tx", "DELE", "x"},
                      Case{"  DELE x", "DELE", "x"}, Case{"DE\xff\xf4LE x", "DELE", "x"},
                      Case{"\xff\xf4\xff\xf2" "ABOR", "ABOR", ""},
                      Case{"DEL\xff\xfd\x03" "E x", "DELE", "x"},         // IAC DO <option>
                      Case{"RETR a\xff\xff" "b", "RETR", "a\xff" "b"},   // IAC IAC: one 0xFF
                      Case{"NOOP\xff", "NOOP", ""},                      // a lone IAC at the end
                      Case{"PWD", "PWD", ""}, Case{"", "", ""}));

TEST(LineIsJudgeable, ControlBytesButTabAreNot) {
  EXPECT_TRUE(line_is_judgeable("RETR caf\xc3\xa9.txt"));  // UTF-8
  EXPECT_TRUE(line_is_judgeable("DELE\tx"));
  EXPECT_TRUE(line_is_judgeable("\xff\xf4\xff\xf2" "ABOR"));
  EXPECT_FALSE(line_is_judgeable(std::string("DELE a\0b", 8)));
  EXPECT_FALSE(line_is_judgeable("NOOP\rDELE x"));
  EXPECT_FALSE(line_is_judgeable("DELE \x1b" "x"));
  EXPECT_FALSE(line_is_judgeable("DELE \x7f"));
}

}  // namespace
}  // namespace ftpgate
