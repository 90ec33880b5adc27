// Tests for repo/version.h.
#include "repo/version.h"

#include <boost/test/unit_test.hpp>

namespace strata {

BOOST_AUTO_TEST_SUITE(repo)
BOOST_AUTO_TEST_SUITE(version)

BOOST_AUTO_TEST_CASE(message_and_labels_round_trip) {
  struct Case {
    std::string message;
    std::vector<std::string> labels;
  };
  const Case cases[] = {
      {"set a /b", {}},
      {"one line", {"ui-change"}},
      {"two\n\nparagraphs", {"a", "b/c", "v1.2:rc"}},
      {"mentions Label: inline", {}},
  };
  for (const Case& c : cases) {
    std::string raw = ComposeMessage(c.message, c.labels);
    std::string message;
    std::vector<std::string> labels;
    SplitMessage(raw, &message, &labels);
    BOOST_TEST(message == c.message);
    BOOST_TEST(labels == c.labels, boost::test_tools::per_element());
  }
  BOOST_TEST(ComposeMessage("m", {"x", "y"}) == "m\n\nLabel: x\nLabel: y\n");
}

BOOST_AUTO_TEST_CASE(a_last_paragraph_that_is_not_all_labels_is_message) {
  std::string message;
  std::vector<std::string> labels;
  SplitMessage("m\n\nLabel: x\nnot a label\n", &message, &labels);
  BOOST_TEST(labels.empty());
  BOOST_TEST(message == "m\n\nLabel: x\nnot a label");
}

BOOST_AUTO_TEST_CASE(labels_are_validated) {
  BOOST_TEST(ValidateLabel("ui-change").ok());
  BOOST_TEST(ValidateLabel("team/a:b.c_d").ok());
  for (const char* bad : {"", "has space", "new\nline", "é"}) {
    BOOST_TEST(!ValidateLabel(bad).ok(), bad);
  }
}

BOOST_AUTO_TEST_CASE(signatures_parse) {
  Signature s = Signature::Parse("Ada Lovelace <ada@example.com>").value();
  BOOST_TEST(s.name == "Ada Lovelace");
  BOOST_TEST(s.email == "ada@example.com");
  BOOST_TEST(s.ToString() == "Ada Lovelace <ada@example.com>");
  for (const char* bad : {"no email", "<only@email>", "a <b> trailing", "a <b<c>"}) {
    BOOST_TEST(!Signature::Parse(bad).ok(), bad);
  }
}

BOOST_AUTO_TEST_CASE(times_print_in_iso_8601) {
  BOOST_TEST(FormatUtcTime(0) == "1970-01-01T00:00:00Z");
  BOOST_TEST(FormatTime(1700000000, 60) == "2023-11-14T23:13:20+01:00");
  BOOST_TEST(FormatTime(1700000000, -330) == "2023-11-14T16:43:20-05:30");
}

BOOST_AUTO_TEST_CASE(times_parse_for_at) {
  struct Case {
    const char* text;
    std::int64_t seconds;
  };
  const Case cases[] = {
      {"1970-01-01", 0},
      {"2023-11-14T22:13:20Z", 1700000000},
      {"2023-11-14 22:13:20", 1700000000},
      {"2023-11-14T23:13:20+01:00", 1700000000},
      {"2023-11-14T16:43:20-05:30", 1700000000},
      {"2023-11-14T22:13", 1699999980},
      {"2000-02-29", 951782400},
      {"@1700000000", 1700000000},
  };
  for (const Case& c : cases) {
    Result<std::int64_t> t = ParseTime(c.text);
    BOOST_REQUIRE_MESSAGE(t.ok(), c.text);
    BOOST_TEST(*t == c.seconds, c.text);
  }
  for (const char* bad :
       {"", "yesterday", "2023-13-01", "2023-11-14T25:00", "2023-11-14X", "@", "@12a"}) {
    BOOST_TEST(!ParseTime(bad).ok(), bad);
  }
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE_END()

}  // namespace strata
