#include "util/json_writer.h"

#include <gtest/gtest.h>

namespace ftpgate {
namespace {

TEST(JsonWriter, EscapesEverythingUnprintable) {
  std::string out;
  append_json_string(out, std::string("a\"b\\c\r\n\t\x01\xff\0z", 12));
  EXPECT_EQ(out, "\"a\\\"b\\\\c\\r\\n\\t\\u0001\\u00ff\\u0000z\"");
}

TEST(JsonWriter, NestedObjectsAndNumbers) {
  std::string out;
  JsonObject o(out);
  o.str("event", "expect").fixed6("ts", 1234567).open("data").num("dport", 21).end();
  o.boolean("ok", true).close();
  EXPECT_EQ(out, R"({"event":"expect","ts":1.234567,"data":{"dport":21},"ok":true})");
}

}  // namespace
}  // namespace ftpgate
