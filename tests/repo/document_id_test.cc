// Tests for repo/document_id.h.
#include "repo/document_id.h"

#include <boost/test/unit_test.hpp>

namespace strata {

BOOST_AUTO_TEST_SUITE(repo)
BOOST_AUTO_TEST_SUITE(document_id)

BOOST_AUTO_TEST_CASE(valid_and_invalid_ids) {
  for (const char* ok : {"a", "config/app1", ".perspectives", "sessions/u42", "é/ü", "a.b-c_d"}) {
    BOOST_TEST(ValidateDocumentId(ok).ok(), ok);
  }
  for (const char* bad : {"", "/a", "a/", "a//b", "a/./b", "..", "a b", "a@b", "a\tb", "a\x01"}) {
    Status s = ValidateDocumentId(bad);
    BOOST_TEST(!s.ok(), bad);
    BOOST_TEST((s.code() == Code::kInvalidArgument));
  }
}

// Ids become paths on export: none may name git's folder, or hold a Windows
// path separator.
BOOST_AUTO_TEST_CASE(git_folder_and_backslashes_are_refused) {
  struct Case {
    std::string id;
    std::string why;  // a part of the message
  };
  const Case cases[] = {
      {".git", "'.git' cannot be a segment"},
      {".git/config", "'.git' cannot be a segment"},
      {"a/.GIT/x", "'.GIT' cannot be a segment"},
      {"a/.Git", "'.Git' cannot be a segment"},
      {"a/.git.", "'.git.' cannot be a segment"},
      {"GIT~1/config", "'GIT~1' cannot be a segment"},
      {"a\\b", "'\\'"},
      {"\\", "'\\'"},
      {"a/b\\", "'\\'"},
      {"a\\.git", "'\\'"},
  };
  for (const Case& c : cases) {
    Status s = ValidateDocumentId(c.id);
    BOOST_TEST_CONTEXT("id '" << c.id << "'") {
      BOOST_TEST((s.code() == Code::kInvalidArgument));
      BOOST_TEST(s.message().find(c.why) != std::string::npos, s.message());
    }
  }
  for (const char* ok : {"a/b.git", "a/git", "git~2", "a/.gitx"}) {
    BOOST_TEST(ValidateDocumentId(ok).ok(), ok);
  }
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

BOOST_AUTO_TEST_SUITE_END()
BOOST_AUTO_TEST_SUITE_END()

}  // namespace strata
