// Tests for strata/document_id.h.
#include "strata/document_id.h"

#include <boost/test/unit_test.hpp>

namespace strata {

BOOST_AUTO_TEST_SUITE(repo)
BOOST_AUTO_TEST_SUITE(document_id)

BOOST_AUTO_TEST_CASE(valid_ids) {
  for (const char* ok : {
           "a",
           "config/app1",
           "sessions/u42",
           "a.b-c_d",
           "a/b.git",  // .git only as a whole segment
           "a/git",
           "git~2",
           "\xc3\xa9/\xc3\xbc",         // é/ü, composed (NFC)
           "caf\xc3\xa9",               // café, NFC
           "\xe6\x97\xa5\xe6\x9c\xac",  // 日本
           "\xf0\x9f\x98\x80",          // an emoji (So), outside the BMP
           "a~b%c:d",
       }) {
    Status s = ValidateDocumentId(ok);
    BOOST_TEST(s.ok(), ok << ": " << s.message());
  }
}

// Regression: the error for a 10,000-byte id quoted all of it, a 10 KB line.
// It names the id by its first 64 bytes (never splitting a UTF-8 sequence).
BOOST_AUTO_TEST_CASE(long_ids_are_named_by_their_start) {
  BOOST_TEST(ValidateDocumentId(std::string(1024, 'x')).ok());
  BOOST_TEST(ValidateDocumentId(std::string(1025, 'x')).message() ==
             "invalid document id '" + std::string(64, 'x') +
                 "...' (1025 bytes): it is longer than 1024 bytes");
  BOOST_TEST(ValidateDocumentId(std::string(10000, 'x')).message() ==
             "invalid document id '" + std::string(64, 'x') +
                 "...' (10000 bytes): it is longer than 1024 bytes");
  // 63 ASCII bytes, then 2-byte characters: the 64th byte starts one, kept whole below it
  std::string id = std::string(63, 'a');
  for (int i = 0; i < 600; ++i) id += "\xc3\xa9";
  BOOST_TEST(ValidateDocumentId(id).message() ==
             "invalid document id '" + std::string(63, 'a') +
                 "...' (1263 bytes): it is longer than 1024 bytes");
}

BOOST_AUTO_TEST_CASE(invalid_ids_say_why) {
  struct Case {
    std::string id;
    std::string why;  // a part of the message
  };
  const std::string kReserved = "reserved for the repository's settings documents";
  const Case cases[] = {
      // Shape.
      {"", "it is empty"},
      // (longer than 1024 bytes: long_ids_are_named_by_their_start)
      {"/a", "empty segment"},
      {"a/", "empty segment"},
      {"a//b", "empty segment"},
      {"a/./b", "'.' and '..' cannot be segments"},
      {"..", "'.' and '..' cannot be segments"},
      {"../a", "'.' and '..' cannot be segments"},
      {"a@b", "'@' separates a document from a revision"},
      // .git in any letter case, and what file systems take for it.
      {".git", "'.git' cannot be a segment"},
      {".git/config", "'.git' cannot be a segment"},
      {"a/.GIT/x", "'.GIT' cannot be a segment"},
      {"a/.Git", "'.Git' cannot be a segment"},
      {"a/.git.", "'.git.' cannot be a segment"},
      {"GIT~1/config", "'GIT~1' cannot be a segment"},
      // Backslashes anywhere.
      {"a\\b", "'\\'"},
      {"\\", "'\\'"},
      {"a/b\\", "'\\'"},
      {"a\\.git", "'\\'"},
      // Whitespace and control characters, ASCII or not.
      {"a b", "whitespace (U+0020)"},
      {"a\tb", "whitespace (U+0009)"},
      {"a\nb", "whitespace (U+000A)"},
      {"a\x01", "control character (U+0001)"},
      {"a\x7f", "control character (U+007F)"},
      {"a\xc2\x80", "control character (U+0080)"},
      {"a\xc2\x85", "whitespace (U+0085)"},
      {"a\xc2\xa0"
       "b",
       "whitespace (U+00A0)"},
      {"a\xe3\x80\x80", "whitespace (U+3000)"},
      {"a\xe2\x80\xa8", "whitespace (U+2028)"},
      {"a\xe2\x80\xa9", "whitespace (U+2029)"},
      {"a\xe2\x80\x83", "whitespace (U+2003)"},  // em space (Zs)
      // Invisible format characters (category Cf).
      {"a\xe2\x80\x8b"
       "b",
       "invisible format character (U+200B)"},
      {"a\xe2\x80\x8c", "invisible format character (U+200C)"},
      {"a\xe2\x80\x8d", "invisible format character (U+200D)"},
      {"a\xe2\x81\xa0", "invisible format character (U+2060)"},
      {"\xef\xbb\xbf"
       "a",
       "invisible format character (U+FEFF)"},
      {"a/\xef\xbb\xbf", "invisible format character (U+FEFF)"},
      {"a\xc2\xad", "invisible format character (U+00AD)"},      // soft hyphen
      {"a\xe2\x80\xae", "invisible format character (U+202E)"},  // right-to-left override
      {"\xe2\x80\x8c.git", "invisible format character (U+200C)"},
      // Not NFC: café spelt e + U+0301 COMBINING ACUTE ACCENT; the message gives the NFC form.
      {"cafe\xcc\x81", "not in Unicode NFC (composed characters); its NFC form is 'caf\xc3\xa9'"},
      {"x/\xe1\x84\x92\xe1\x85\xa1\xe1\x86\xab",  // 한 as conjoining jamo
       "its NFC form is 'x/\xed\x95\x9c'"},
      // Invalid UTF-8.
      {"a\xff", "not valid UTF-8 (at byte 1)"},
      {"\xc3", "not valid UTF-8 (at byte 0)"},              // truncated
      {"ab\xc0\xaf", "not valid UTF-8 (at byte 2)"},        // overlong '/'
      {"\xed\xa0\x80", "not valid UTF-8 (at byte 0)"},      // a UTF-16 surrogate
      {"\xf4\x90\x80\x80", "not valid UTF-8 (at byte 0)"},  // beyond U+10FFFF
      {"a\x80"
       "b",
       "not valid UTF-8 (at byte 1)"},
      // Ids starting with '.' are settings documents: .merge, .perspectives, .schemas.
      {".secrets", kReserved + ", which are .merge, .perspectives, .schemas"},
      {".perspectives/x", kReserved},
      {".merge/x", kReserved},
      {".schemas/x", kReserved},
      {".hidden/x", kReserved},
      // Only the first segment may start with '.'.
      {"a/.hidden", "only the first segment may start with '.' ('.hidden')"},
      {"a/.x/b", "only the first segment may start with '.' ('.x')"},
  };
  for (const Case& c : cases) {
    Status s = ValidateDocumentId(c.id);
    BOOST_TEST_CONTEXT("id '" << c.id << "'") {
      BOOST_TEST(!s.ok());
      BOOST_TEST((s.code() == Code::kInvalidArgument));
      BOOST_TEST(s.message().find("invalid document id '" + c.id + "': ") == 0u, s.message());
      BOOST_TEST(s.message().find(c.why) != std::string::npos, s.message());
    }
  }
}

BOOST_AUTO_TEST_CASE(settings_documents) {
  // .merge, .perspectives and .schemas have landed; every other '.'-id is refused.
  BOOST_TEST((SettingsDocumentNames() ==
              std::vector<std::string_view>{".merge", ".perspectives", ".schemas"}));
  BOOST_TEST(IsSettingsDocumentId(".merge"));
  BOOST_TEST(IsSettingsDocumentId(".x/y"));
  BOOST_TEST(!IsSettingsDocumentId("config/.x"));
  BOOST_TEST(!IsSettingsDocumentId(""));
  json::value v = json::object{{"a", 1}};
  BOOST_TEST(ValidateSettingsDocument("config/app1", v).ok());
  Status s = ValidateSettingsDocument(".nope", v);
  BOOST_TEST((s.code() == Code::kInvalidArgument));
  BOOST_TEST(
      s.message().find("reserved for the repository's settings documents") != std::string::npos,
      s.message());
  // .merge must hold valid merge policies (merge/policy.h), and says why not.
  s = ValidateSettingsDocument(".merge", v);
  BOOST_TEST((s.code() == Code::kInvalidArgument));
  BOOST_TEST(s.message() ==
                 "settings document '.merge': unknown member 'a' (the only member is 'policies')",
             s.message());
  json::value policies = json::object{
      {"policies", json::array{json::object{{"doc", "**"}, {"path", "/a"}, {"strategy", "max"}}}}};
  BOOST_TEST(ValidateSettingsDocument(".merge", policies).ok());
  // .perspectives must define valid perspectives (strata/perspective.h).
  s = ValidateSettingsDocument(".perspectives", v);
  BOOST_TEST((s.code() == Code::kInvalidArgument));
  BOOST_TEST(s.message() ==
                 "settings document '.perspectives': unknown member 'a' (the only member is "
                 "'perspectives')",
             s.message());
  json::value perspectives = json::object{
      {"perspectives", json::object{{"p", json::object{{"docs", json::array{"**"}}}}}}};
  BOOST_TEST(ValidateSettingsDocument(".perspectives", perspectives).ok());
  // .schemas must hold {"schemas": [...]} (strata/schemas.h).
  BOOST_TEST(ValidateSettingsDocument(".schemas", v).message() ==
             "settings document '.schemas': unknown member \"a\" (only \"schemas\" is defined)");
  BOOST_TEST((ValidateSettingsDocument("a//b", v).code() == Code::kInvalidArgument));
}

BOOST_AUTO_TEST_CASE(doc_revision_split_at_the_first_at) {
  DocRevision a = SplitDocRevision("config/app1@HEAD~2");
  BOOST_TEST(a.doc == "config/app1");
  BOOST_TEST(a.rev == "HEAD~2");
  DocRevision b = SplitDocRevision("config/app1");
  BOOST_TEST(b.rev == "HEAD");
  DocRevision c = SplitDocRevision("d@main@{2026-11-01}");
  BOOST_TEST(c.doc == "d");
  BOOST_TEST(c.rev == "main@{2026-11-01}");
}

BOOST_AUTO_TEST_CASE(fold_case_as_a_case_insensitive_file_system) {
  struct Case {
    std::string in, folded;
  } cases[] = {
      {"config/app", "config/app"},
      {"Config/APP", "config/app"},
      {"a\x01Z", "a\x01z"},
      {"\xc3\x89t\xc3\xa9", "\xc3\xa9t\xc3\xa9"},  // Été -> été
      {"Stra\xc3\x9f"
       "e",
       "strasse"},                               // ß folds to ss
      {"cafe\xcc\x81", "caf\xc3\xa9"},           // NFD composed
      {"\xce\xa3\xce\x99", "\xcf\x83\xce\xb9"},  // ΣΙ -> σι
  };
  for (const Case& c : cases) {
    BOOST_TEST_CONTEXT(c.in) { BOOST_TEST(FoldCase(c.in).value() == c.folded); }
  }
  BOOST_TEST((FoldCase("a\xff").status().code() == Code::kInvalidArgument));
}

BOOST_AUTO_TEST_CASE(segments_a_file_system_may_take_for_dot_git) {
  for (const char* s : {".git", ".GIT", ".Git", ".git.", ".git..", "git~1", "GIT~1"}) {
    BOOST_TEST_CONTEXT(s) { BOOST_TEST(LooksLikeDotGit(s)); }
  }
  for (const char* s : {"git", ".gitx", "x.git", ".git~1", "git~2", ".gi", ""}) {
    BOOST_TEST_CONTEXT(s) { BOOST_TEST(!LooksLikeDotGit(s)); }
  }
}

BOOST_AUTO_TEST_SUITE_END()
BOOST_AUTO_TEST_SUITE_END()

}  // namespace strata
