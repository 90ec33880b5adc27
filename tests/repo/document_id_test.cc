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
