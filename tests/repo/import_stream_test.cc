// Tests for Repository::ImportFrom: the streaming import (issue 11, memory).
#include <git2.h>

#include <boost/test/unit_test.hpp>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "objects/git.h"
#include "repo/test_access.h"
#include "repo/transaction.h"
#include "tests/repo/repo_fixture.h"

namespace strata {
namespace {

using Docs = std::vector<std::pair<std::string, json::value>>;

// A source giving `docs` one at a time, as ForEachImportDocument does.
Repository::DocumentSource SourceOf(const Docs& docs) {
  return [&docs](const Repository::DocumentSink& sink) -> Status {
    for (const auto& [id, doc] : docs) STRATA_RETURN_IF_ERROR(sink(id, doc));
    return Status::Ok();
  };
}

Docs Generated(int count, std::size_t text_bytes, int salt) {
  Docs docs;
  for (int i = 0; i < count; ++i) {
    docs.emplace_back(
        "doc/" + std::to_string(i),
        json::object{{"i", i},
                     {"salt", salt},
                     {"text", std::string(text_bytes, static_cast<char>('a' + (i + salt) % 26))},
                     {"nested", json::object{{"list", json::array{i, salt, "x"}}}}});
  }
  return docs;
}

BOOST_AUTO_TEST_SUITE(repo)
BOOST_AUTO_TEST_SUITE(import_stream)

// The same documents give the same version, byte for byte (commit id), by
// Import and by ImportFrom: the same state, delta, metadata and message.
// "large" has a delta of more than 1 MiB of values (kept as paths only)
// and of more than 1 MiB of text (compressed from a temporary file, on a
// thread of its own).
BOOST_AUTO_TEST_CASE(import_from_writes_the_version_import_writes) {
  struct Step {
    Docs docs;
    bool prune;
  };
  struct Case {
    const char* name;
    std::vector<Step> steps;
  };
  const std::vector<Case> cases = {
      {"one document", {{{{"a", json::value(1)}}, false}}},
      {"small, then changed and pruned",
       {{Generated(300, 10, 1), false},
        {Generated(200, 10, 2), true},
        {Generated(200, 10, 2), false}}},
      {"large", {{Generated(3000, 4000, 3), false}, {Generated(3000, 4000, 4), false}}},
      // More than 4,096 documents added whole (one blob each): ImportFrom's
      // delta reads them ahead from its packs (objects/blob_prefetch.h),
      // Import's from the staging area; the second step mixes changes in.
      {"many documents stored whole",
       {{Generated(5000, 20, 5), false}, {Generated(10000, 20, 6), false}}},
  };
  for (const Case& c : cases) {
    BOOST_TEST_CONTEXT(c.name) {
      RepoFixture by_vector, by_source, in_small_batches;
      std::int64_t time = 1700000000;
      for (const Step& step : c.steps) {
        ImportOptions options;
        options.prune = step.prune;
        Result<WriteResult> a =
            by_vector.repo().Import(step.docs, RepoFixture::By("ann", time), options);
        Result<WriteResult> b =
            by_source.repo().ImportFrom(SourceOf(step.docs), RepoFixture::By("ann", time), options);
        // Batches of 64 KiB: the documents, and the version's trees as they
        // are built, reach the disk in many packs; the version is the same.
        options.batch_bytes = 64 << 10;
        Result<WriteResult> small = in_small_batches.repo().ImportFrom(
            SourceOf(step.docs), RepoFixture::By("ann", time), options);
        BOOST_TEST_REQUIRE((a.status().code() == b.status().code()));
        BOOST_TEST_REQUIRE((a.status().code() == small.status().code()));
        if (a.ok()) {
          BOOST_TEST(a->version.id == b->version.id);
          BOOST_TEST(a->version.id == small->version.id);
          BOOST_TEST(a->version.message == b->version.message);
          BOOST_TEST(a->operations == b->operations);
          // The documents' objects count, though written before the version.
          BOOST_TEST(a->objects_written == b->objects_written);
          BOOST_TEST(a->objects_written == small->objects_written);
          BOOST_TEST(a->bytes_written == b->bytes_written);
        }
        ++time;
      }
      BOOST_TEST(in_small_batches.repo().Verify().value().problems.empty());
      // The stored delta reads back whole, values included.
      Result<Snapshot> head = by_source.repo().Read("HEAD");
      BOOST_TEST_REQUIRE(head.ok());
      Result<Patch> delta = head->Delta();
      BOOST_TEST_REQUIRE(delta.ok());
      BOOST_TEST_REQUIRE(!delta->empty());
      const PatchOp& last = delta->back();
      if (last.kind == PatchOpKind::kAdd || last.kind == PatchOpKind::kReplace) {
        Result<json::value> now =
            head->Get(last.path.tokens()[0], last.path.Slice(1, last.path.tokens().size()));
        BOOST_TEST_REQUIRE(now.ok());
        BOOST_TEST(CanonicalJson(*now) == CanonicalJson(last.value));
      }
      BOOST_TEST(by_source.repo().Verify().value().problems.empty());
    }
  }
}

BOOST_FIXTURE_TEST_CASE(a_failed_import_from_writes_no_version, RepoFixture) {
  BOOST_REQUIRE(repo().ImportFrom(SourceOf({{"kept", json::value(1)}}), By("ann"), {}).ok());
  struct Case {
    const char* name;
    Repository::DocumentSource source;
    Code code;
    const char* message;
  };
  const std::vector<Case> cases = {
      {"no documents", [](const Repository::DocumentSink&) { return Status::Ok(); },
       Code::kInvalidArgument, "no documents to import"},
      {"the same id twice",
       [](const Repository::DocumentSink& sink) -> Status {
         STRATA_RETURN_IF_ERROR(sink("x", json::value(1)));
         return sink("x", json::value(2));
       },
       Code::kInvalidArgument, "document 'x' given twice"},
      {"a bad id",
       [](const Repository::DocumentSink& sink) { return sink("bad id", json::value(1)); },
       Code::kInvalidArgument, "bad id"},
      {"the source fails after documents were stored",
       [](const Repository::DocumentSink& sink) -> Status {
         for (int i = 0; i < 100; ++i)
           STRATA_RETURN_IF_ERROR(sink(std::string("d").append(std::to_string(i)), json::value(i)));
         return Status::IOError("cannot read in.jsonl");
       },
       Code::kIOError, "cannot read in.jsonl"},
  };
  for (const Case& c : cases) {
    BOOST_TEST_CONTEXT(c.name) {
      Result<WriteResult> w = repo().ImportFrom(c.source, By("ann"), {});
      BOOST_TEST_REQUIRE(!w.ok());
      BOOST_TEST((w.status().code() == c.code));
      BOOST_TEST(w.status().message().find(c.message) != std::string::npos, w.status().message());
      BOOST_TEST(LogSize(repo()) == 1u);
      BOOST_TEST(repo().Read("HEAD").value().Ids().value() == std::vector<std::string>{"kept"});
    }
  }
}

// Past 1 MiB of values, an added document stored as one blob goes into the
// delta as the blob's text (DeltaWriter::AddCanonical), not parsed and
// printed again: the stored delta must still hold every document, exactly.
// A pruning import whose branch another program moves under the lock builds
// its version again on the new head, from the list of changes it keeps
// (each attempt appends its removals to it and drops them after): the
// documents not given that are there are removed, the given ones set.
BOOST_FIXTURE_TEST_CASE(a_pruning_import_builds_again_when_the_branch_moved, RepoFixture) {
  BOOST_REQUIRE(
      repo()
          .ImportFrom(
              SourceOf({{"a", json::value(1)}, {"b", json::value(2)}, {"c", json::value(3)}}),
              By("ann"), {})
          .ok());
  const std::string older = repo().ResolveRevision("HEAD").value();
  BOOST_REQUIRE(repo().Set("c", P(""), json::value(30), By("bob")).ok());
  BOOST_REQUIRE(repo().Set("e", P(""), json::value(5), By("bob")).ok());

  // Moves main back to `older` once, as a program outside strata would,
  // right before strata's compare-and-swap of the ref.
  int moves = 0;
  TransactionHooks hooks;
  hooks.pre_commit = [&](const RefUpdate& u) -> Status {
    if (u.ref != "refs/heads/main" || moves++ > 0) return Status::Ok();
    git_repository* raw = nullptr;
    if (git_repository_open(&raw, repo().path().c_str()) != 0) return Status::IOError("open");
    git_oid id;
    git_oid_fromstr(&id, older.c_str());
    git_reference* ref = nullptr;
    const int error = git_reference_create(&ref, raw, "refs/heads/main", &id, 1, "test: moved");
    git_reference_free(ref);
    git_repository_free(raw);
    return error == 0 ? Status::Ok() : GitError(error, "move main");
  };
  RepositoryTestAccess::SetTransactionHooks(repo(), hooks);

  ImportOptions prune;
  prune.prune = true;
  Result<WriteResult> w =
      repo().ImportFrom(SourceOf({{"b", json::value(20)}, {"d", json::value(4)}}), By("cy"), prune);
  BOOST_REQUIRE_MESSAGE(w.ok(), w.status().message());
  BOOST_TEST(moves >= 2);
  BOOST_TEST(w->replayed);
  // Built on `older` (a, b, c): a and c were not given and are removed; e was
  // never there.
  for (const char* gone : {"a", "c", "e"}) {
    BOOST_TEST((repo().Get(gone).status().code() == Code::kNotFound), gone);
  }
  BOOST_TEST(repo().Get("b").value() == json::value(20));
  BOOST_TEST(repo().Get("d").value() == json::value(4));
  BOOST_TEST(repo().Verify().value().problems.empty());
}

BOOST_FIXTURE_TEST_CASE(a_large_import_stores_every_document_in_its_delta, RepoFixture) {
  const Docs docs = Generated(4000, 300, 7);  // ~400 B a document: one blob each
  Result<WriteResult> w = repo().ImportFrom(SourceOf(docs), By("ann"), {});
  BOOST_TEST_REQUIRE(w.ok());
  Result<Snapshot> head = repo().Read("HEAD");
  BOOST_TEST_REQUIRE(head.ok());
  Result<Patch> delta = head->Delta();
  BOOST_TEST_REQUIRE(delta.ok());
  BOOST_TEST_REQUIRE(delta->size() == docs.size());
  std::map<std::string, std::string> expected;
  for (const auto& [id, doc] : docs) expected[JsonPointer({id}).ToString()] = CanonicalJson(doc);
  for (const PatchOp& op : *delta) {
    BOOST_TEST_CONTEXT(op.path.ToString()) {
      BOOST_TEST((op.kind == PatchOpKind::kAdd));
      BOOST_TEST(CanonicalJson(op.value) == expected[op.path.ToString()]);
    }
  }
  BOOST_TEST(repo().Verify().value().problems.empty());
}

// A version whose delta holds more than 1 MiB of values keeps only its
// paths in memory; subscribers still get the whole delta, values included,
// for the first version of a branch and for a later one.
BOOST_FIXTURE_TEST_CASE(events_of_a_large_import_carry_the_whole_delta, RepoFixture) {
  std::vector<Event> events;
  EventConnection connection = repo().Subscribe({}, [&](const Event& e) { events.push_back(e); });
  const Docs first = Generated(3000, 4000, 5), second = Generated(3000, 4000, 6);
  BOOST_REQUIRE(repo().ImportFrom(SourceOf(first), By("ann"), {}).ok());
  BOOST_REQUIRE(repo().ImportFrom(SourceOf(second), By("ann", 1700000001), {}).ok());
  BOOST_TEST_REQUIRE(events.size() == 2u);
  BOOST_TEST(events[0].written);
  BOOST_TEST_REQUIRE(events[0].delta.size() == 3000u);
  BOOST_TEST(events[0].delta[0].path.ToString() == "/doc~10");
  BOOST_TEST(CanonicalJson(events[0].delta[0].value) == CanonicalJson(first[0].second));
  // Each document changes "salt", "text" and nested/list/1.
  BOOST_TEST(events[1].written);
  BOOST_TEST(events[1].delta.size() == 9000u);
  Result<Snapshot> head = repo().Read("HEAD");
  BOOST_TEST_REQUIRE(head.ok());
  Result<Patch> stored = head->Delta();
  BOOST_TEST_REQUIRE(stored.ok());
  BOOST_TEST(CanonicalJson(PatchToJson(*stored)) == CanonicalJson(PatchToJson(events[1].delta)));
}

BOOST_AUTO_TEST_SUITE_END()
BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace strata
