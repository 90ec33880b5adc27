// Tests for strata/version.h.
#include "strata/version.h"

#include <boost/test/unit_test.hpp>
#include <cstdlib>
#include <ctime>

namespace strata {

BOOST_AUTO_TEST_SUITE(repo)
BOOST_AUTO_TEST_SUITE(version)

// Every message ValidateMessage accepts comes back byte for byte, with every
// set of labels.
BOOST_AUTO_TEST_CASE(message_and_labels_round_trip_exactly) {
  const std::string messages[] = {
      "set a /b",
      "",
      "one line\n",
      "  leading blanks",
      "trailing blanks  ",
      "\n\nstarts with blank lines",
      "ends with blank lines\n\n\n",
      "two\n\nparagraphs",
      "mentions Label: inline",
      "subject\n\nsee Label: x in the middle of a line",
      "subject\n\nLabels: is another word",
      "subject\n\nLabelled: too",
      "subject\n\nthe label: lower case, mid-line",
      "Fixes: a subject that looks like a trailer",
      "fix\n\nSigned-off-by: A U Thor <a@example.com>",
      "fix\n\nSigned-off-by: A <a@example.com>\nCo-authored-by: B <b@example.com>",
      "fix\n\nReviewed-by: A <a@example.com>\n  a continuation line",
      "fix\n\nSigned-off-by: A <a@example.com>\n",
      "fix\n\nSigned-off-by: A <a@example.com>\n\n",
      "fix\n\nbody\nSigned-off-by: A <a@example.com>",
      "crlf\r\n\r\nbody\r\n",
      "caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac",
      "x\n\n\n\ny",
      "a\n\n-: not a token",
  };
  const std::vector<std::string> label_sets[] = {{}, {"ui-change"}, {"a", "b/c", "v1.2:rc"}};
  for (const std::string& m : messages) {
    BOOST_TEST_CONTEXT("message '" << m << "'") {
      BOOST_REQUIRE(ValidateMessage(m).ok());
      for (const auto& labels : label_sets) {
        std::string raw = ComposeMessage(m, labels);
        std::string message;
        std::vector<std::string> read_labels = {"stale"};
        SplitMessage(raw, &message, &read_labels);
        BOOST_TEST(message == m, "raw '" << raw << "'");
        BOOST_TEST(read_labels == labels, boost::test_tools::per_element());
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(composed_messages_read_as_git_reads_trailers) {
  BOOST_TEST(ComposeMessage("m", {}) == "m\n");
  BOOST_TEST(ComposeMessage("m", {"x", "y"}) == "m\n\nLabel: x\nLabel: y\n");
  // Labels join the message's own trailers, so git reads one trailer block.
  BOOST_TEST(ComposeMessage("fix\n\nSigned-off-by: A <a@b>", {"x"}) ==
             "fix\n\nSigned-off-by: A <a@b>\nLabel: x\n");
  // A subject is never trailers; a paragraph that is not all trailers is body.
  BOOST_TEST(ComposeMessage("Fixes: y", {"x"}) == "Fixes: y\n\nLabel: x\n");
  BOOST_TEST(ComposeMessage("fix\n\nbody\nA-b: c", {"x"}) == "fix\n\nbody\nA-b: c\n\nLabel: x\n");
}

// Before ValidateMessage, "-m 'm\n\nLabel: x'" gave a version labelled x, even
// with a label --label refuses. Labels now come only from --label.
BOOST_AUTO_TEST_CASE(a_message_cannot_forge_labels) {
  for (const char* forged : {
           "Label: x",
           "m\n\nLabel: x",
           "m\n\nLabel: has space",
           "m\n\nlabel: x",
           "m\n\nLABEL:x",
           "m\n\n  Label: indented",
           "m\n\n\tLabel: tabbed",
           "m\n\nLabel : spaced before the colon",
           "m\n\nLabel:",
           "a\nLabel: x\nb",
           "m\n\nLabel: x\n",
           "m\r\n\r\nLabel: x\r\n",
       }) {
    Status s = ValidateMessage(forged);
    BOOST_TEST_CONTEXT("message '" << forged << "'") {
      BOOST_TEST((s.code() == Code::kInvalidArgument));
      BOOST_TEST(s.message().find("would be read as a label; give labels with --label") !=
                     std::string::npos,
                 s.message());
    }
  }
  BOOST_TEST(ValidateMessage("a\nLabel: x\nb").message().find("line 2 of the message") == 0u);
}

// A default message quotes keys, and a key may hold "\n\nLabel: x": as a
// message that made a label. SummaryLine keeps it one line.
BOOST_AUTO_TEST_CASE(summary_lines_cannot_forge_labels) {
  std::string line = SummaryLine("set d /a\n\nLabel: evil", 100);
  BOOST_TEST(line == "set d /a\\n\\nLabel: evil");
  BOOST_TEST(ValidateMessage(line).ok());
  std::string message;
  std::vector<std::string> labels;
  SplitMessage(ComposeMessage(line, {}), &message, &labels);
  BOOST_TEST(labels.empty());
  BOOST_TEST(message == line);
  BOOST_TEST(SummaryLine("a\tb\rc\x01\x7f", 100) == "a\\tb\\rc\\x01\\x7f");
}

BOOST_AUTO_TEST_CASE(summary_lines_are_cut_between_characters) {
  BOOST_TEST(SummaryLine("0123456789", 10) == "0123456789");
  BOOST_TEST(SummaryLine("0123456789a", 10) == "0123456...");
  // "\xc3\xa9" is one character: never cut in two (which is not UTF-8).
  std::string cut = SummaryLine(
      "012345\xc3\xa9"
      "89abc",
      10);
  BOOST_TEST(cut == "012345...");
  BOOST_TEST(ValidateMessage(cut).ok());
  BOOST_TEST(SummaryLine("01234\xc3\xa9"
                         "89abc",
                         10) == "01234\xc3\xa9...");
}

BOOST_AUTO_TEST_CASE(messages_git_cannot_hold_are_refused) {
  Status nul = ValidateMessage(std::string("a\0b", 3));
  BOOST_TEST((nul.code() == Code::kInvalidArgument));
  BOOST_TEST(nul.message().find("NUL") != std::string::npos, nul.message());
  Status utf8 = ValidateMessage("a\xff");
  BOOST_TEST((utf8.code() == Code::kInvalidArgument));
  BOOST_TEST(utf8.message().find("UTF-8") != std::string::npos, utf8.message());
}

BOOST_AUTO_TEST_CASE(a_last_paragraph_that_is_not_all_labels_is_message) {
  std::string message;
  std::vector<std::string> labels;
  SplitMessage("m\n\nLabel: x\nnot a label\n", &message, &labels);
  BOOST_TEST(labels.empty());
  BOOST_TEST(message == "m\n\nLabel: x\nnot a label");
  // Labels after a paragraph that is not trailers were never written by strata.
  SplitMessage("m\n\nbody\nLabel: x\n", &message, &labels);
  BOOST_TEST(labels.empty());
  BOOST_TEST(message == "m\n\nbody\nLabel: x");
}

// A version written before ValidateMessage may hold "Label: NAME" lines that
// --label would refuse; they are message, not labels.
BOOST_AUTO_TEST_CASE(labels_that_label_would_refuse_are_not_read) {
  std::string message;
  std::vector<std::string> labels;
  SplitMessage("m\n\nLabel: two words\n", &message, &labels);
  BOOST_TEST(labels.empty());
  BOOST_TEST(message == "m\n\nLabel: two words");
  SplitMessage("m\n\nLabel: ok\nLabel: \xc3\xa9\n", &message, &labels);
  BOOST_TEST(labels.empty());
  BOOST_TEST(message == "m\n\nLabel: ok\nLabel: \xc3\xa9");
}

// What strata wrote before (trimmed message, blank line, labels) reads the same.
BOOST_AUTO_TEST_CASE(older_versions_read_the_same) {
  std::string message;
  std::vector<std::string> labels;
  SplitMessage("m\n", &message, &labels);
  BOOST_TEST(message == "m");
  BOOST_TEST(labels.empty());
  SplitMessage("two\n\nparagraphs\n\nLabel: a\nLabel: b/c\n", &message, &labels);
  BOOST_TEST(message == "two\n\nparagraphs");
  BOOST_TEST(labels == (std::vector<std::string>{"a", "b/c"}), boost::test_tools::per_element());
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

// Regression: an author that was not valid UTF-8 passed Parse and was refused
// later, in the per-document metadata ("string that is not valid UTF-8 at
// '/updated/by'"), as if the document were at fault.
BOOST_AUTO_TEST_CASE(signatures_refuse_invalid_utf8) {
  for (const char* bad :
       {"N\xff <n@example.com>", "N <n\xc0\xaf@example.com>", "N\xed\xa0\x80 <n@example.com>"}) {
    Result<Signature> s = Signature::Parse(bad);
    BOOST_TEST(!s.ok());
    BOOST_TEST(s.status().message() == "the author is not valid UTF-8");
  }
  BOOST_TEST(Signature::Parse("Zo\xc3\xab <z@example.com>").value().name == "Zo\xc3\xab");
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
  for (const char* bad : {"", "tomorrow", "2 fortnights ago", "ago", "-1 days ago", "2023-13-01",
                          "2023-11-14T25:00", "2023-11-14X", "@", "@12a"}) {
    BOOST_TEST(!ParseTime(bad).ok(), bad);
  }
}

BOOST_AUTO_TEST_CASE(parse_time_relative_and_day_parts) {
  const TimeParseOptions at{1700000000, DayPart::kEnd};
  struct Case {
    const char* text;
    std::int64_t seconds;
  };
  const Case cases[] = {
      {"now", 1700000000},
      {"today", 1700000000},
      {"yesterday", 1700000000 - 86400},
      {"2 hours ago", 1700000000 - 7200},
      {"1 hour ago", 1700000000 - 3600},
      {"2.weeks.ago", 1700000000 - 14 * 86400},
      {"3 Days Ago", 1700000000 - 3 * 86400},
      {"1 month ago", 1700000000 - 30 * 86400},
      {"1 year ago", 1700000000 - 365 * 86400},
      {"45 seconds ago", 1700000000 - 45},
      {"1970-01-01", 86399},                      // end of the day
      {"2023-11-14T22:13:20Z", 1700000000},       // a time is a time
      {"2023-11-14T22:13:20+01:00", 1699996400},  // with its offset
  };
  for (const Case& c : cases) {
    Result<std::int64_t> t = ParseTime(c.text, at);
    BOOST_REQUIRE_MESSAGE(t.ok(), c.text);
    BOOST_TEST(*t == c.seconds, c.text);
  }
}

BOOST_AUTO_TEST_CASE(parse_time_local_zone) {
  // Without an offset a time is local: TZ decides.
  const char* old = std::getenv("TZ");
  std::string saved = old ? old : "";
  setenv("TZ", "CET-1CEST,M3.5.0,M10.5.0/3", 1);  // POSIX form: no tzdata needed
  tzset();
  Result<std::int64_t> winter = ParseTime("2023-11-14T23:13:20");
  Result<std::int64_t> summer = ParseTime("2023-07-01T02:00:00");
  Result<std::int64_t> day_end = ParseTime("2023-11-14", {1, DayPart::kEnd});
  if (old)
    setenv("TZ", saved.c_str(), 1);
  else
    unsetenv("TZ");
  tzset();
  BOOST_REQUIRE(winter.ok());
  BOOST_TEST(*winter == 1700000000);  // CET, +01:00
  BOOST_REQUIRE(summer.ok());
  BOOST_TEST(*summer == *ParseTime("2023-07-01T00:00:00Z"));  // CEST, +02:00
  BOOST_REQUIRE(day_end.ok());
  BOOST_TEST(*day_end == *ParseTime("2023-11-14T23:59:59+01:00"));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE_END()

}  // namespace strata
