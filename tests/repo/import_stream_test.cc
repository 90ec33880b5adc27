// Tests for Repository::ImportFrom: the streaming import (issue 11, memory).
#include <git2.h>
#include <stdlib.h>

#include <boost/test/unit_test.hpp>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "objects/git.h"
#include "repo/test_access.h"
#include "repo/transaction.h"
#include "strata/import.h"
#include "tests/repo/repo_fixture.h"

namespace strata {
namespace {

namespace fs = std::filesystem;
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

// A source that reads `folder` as `strata import` does: a large file's
// object a member at a time (ForEachImportDocument with a MemberVisitor).
Repository::MemberDocumentSource FolderSource(const std::string& folder) {
  return [folder](const Repository::DocumentSink& sink, const MemberVisitor& members) {
    return ForEachImportDocument(folder, sink, nullptr, &members);
  };
}

// A document given a member at a time is stored as if given whole: the same
// version (commit id) as Import of the parsed files, with or without a
// perspective, for objects large enough to shard, a key given twice, members
// stored as trees, an empty object and an array padded past 1 MiB. On an
// error late in a file no version is written.
BOOST_AUTO_TEST_CASE(a_document_given_a_member_at_a_time_is_stored_as_if_whole) {
  std::string folder = (fs::temp_directory_path() / "strata-members-XXXXXX").string();
  BOOST_REQUIRE(mkdtemp(folder.data()) != nullptr);
  std::string members;
  for (int i = 0; i < 50000; ++i) {
    members += "\"m" + std::to_string(i * 7 % 50000) + "\":";
    members += i % 1000 == 0
                   ? "{\"deep\":[\"" + std::string(3000, 'x') + "\"," + std::to_string(i) + "]}"
                   : "[\"\u00e9" + std::to_string(i) + "\",0.5,true]";
    members += ",\n";
  }
  const std::string lines((1 << 20) + 1, ' ');
  std::ofstream(folder + "/big.json") << "{\"dup\":1," << members << "\"dup\":[2]}";
  std::ofstream(folder + "/empty.json") << lines << "{}";
  std::ofstream(folder + "/list.json") << lines << "[1,{\"a\":2}]";
  std::ofstream(folder + "/small.json") << "{\"a\":{\"b\":1}}";
  BOOST_TEST_REQUIRE(fs::file_size(folder + "/big.json") > (std::uintmax_t{1} << 20));
  Result<ImportSource> parsed = ReadImportSource(folder);
  BOOST_TEST_REQUIRE(parsed.ok());
  BOOST_TEST_REQUIRE(parsed->docs.size() == 4u);
  const json::value perspectives =
      json::parse(R"({"perspectives": {"all": {"rules": [{"path": "/**", "action": "show"}]}}})");
  for (const bool under_perspective : {false, true}) {
    BOOST_TEST_CONTEXT("under a perspective: " << under_perspective) {
      RepoFixture whole, by_member;
      for (RepoFixture* f : {&whole, &by_member}) {
        BOOST_REQUIRE(
            f->repo().Put(".perspectives", perspectives, RepoFixture::By("ann", 1700000000)).ok());
        if (under_perspective) BOOST_REQUIRE(f->repo().UsePerspective("all").ok());
      }
      Result<WriteResult> a =
          whole.repo().Import(parsed->docs, RepoFixture::By("ann", 1700000001), {});
      Result<WriteResult> b =
          by_member.repo().ImportFrom(FolderSource(folder), RepoFixture::By("ann", 1700000001), {});
      BOOST_TEST_REQUIRE(a.ok(), a.status().message());
      BOOST_TEST_REQUIRE(b.ok(), b.status().message());
      BOOST_TEST(a->version.id == b->version.id);
      BOOST_TEST(a->version.message == b->version.message);
      Result<json::value> big = by_member.repo().Get("big");
      BOOST_TEST_REQUIRE(big.ok());
      BOOST_TEST(CanonicalJson(big->at("dup")) == "[2]");
      BOOST_TEST(by_member.repo().Verify().value().problems.empty());

      // Cut short far in: the error is the parser's, and HEAD stays.
      std::ofstream(folder + "/big.json", std::ios::trunc) << "{" << members;
      Result<WriteResult> failed =
          by_member.repo().ImportFrom(FolderSource(folder), RepoFixture::By("ann", 1700000002), {});
      BOOST_TEST((failed.status().code() == Code::kInvalidArgument));
      BOOST_TEST(failed.status().message().find("big.json:") != std::string::npos,
                 failed.status().message());
      BOOST_TEST(by_member.repo().Read("HEAD").value().version_id() == b->version.id);
      BOOST_TEST(by_member.repo().Verify().value().problems.empty());
      std::ofstream(folder + "/big.json", std::ios::trunc)
          << "{\"dup\":1," << members << "\"dup\":[2]}";
    }
  }
  fs::remove_all(folder);
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

// A document added as trees (past a blob's 2 KiB) goes into the stored
// delta as its trees give its text (WriteValueText), never decoded whole nor
// printed into one string: the delta holds each document exactly, whether
// the version's values are kept in memory (under 1 MiB) or not, and
// subscribers get every value. Documents with escapes, numbers and nesting,
// one sharded (past 1 MiB), beside ones stored as one blob.
BOOST_FIXTURE_TEST_CASE(documents_stored_as_trees_are_in_the_delta_exactly, RepoFixture) {
  json::object medium, huge;
  for (int i = 0; i < 200; ++i) {
    medium["k\"" + std::to_string(i) + "\u00e9"] =
        json::object{{"n", i}, {"d", 0.25 + i}, {"s", std::string(20, 'x')}, {"t", i % 2 == 0}};
  }
  for (int i = 0; i < 20000; ++i) {
    huge["key/" + std::to_string(i)] =
        json::array{i, std::string(50, static_cast<char>('a' + i % 26)), json::object{{"x", -i}}};
  }
  const std::vector<Docs> versions = {
      {{"medium", medium}, {"small", json::object{{"a", 1}}}},
      {{"huge", huge}, {"medium2", medium}, {"tiny", json::value(2)}},
  };
  std::vector<Event> events;
  EventConnection connection = repo().Subscribe({}, [&](const Event& e) { events.push_back(e); });
  std::int64_t time = 1700000000;
  for (const Docs& docs : versions) {
    BOOST_TEST_CONTEXT(docs.front().first) {
      events.clear();
      BOOST_REQUIRE(repo().ImportFrom(SourceOf(docs), By("ann", time++), {}).ok());
      Result<Snapshot> head = repo().Read("HEAD");
      BOOST_TEST_REQUIRE(head.ok());
      Result<Patch> delta = head->Delta();
      BOOST_TEST_REQUIRE(delta.ok());
      BOOST_TEST_REQUIRE(events.size() == 1u);
      BOOST_TEST_REQUIRE(delta->size() == docs.size());
      BOOST_TEST_REQUIRE(events[0].delta.size() == docs.size());
      std::map<std::string, std::string> expected;
      for (const auto& [id, doc] : docs) expected["/" + id] = CanonicalJson(doc);
      for (std::size_t i = 0; i < docs.size(); ++i) {
        BOOST_TEST_CONTEXT((*delta)[i].path.ToString()) {
          BOOST_TEST(((*delta)[i].kind == PatchOpKind::kAdd));
          BOOST_TEST(CanonicalJson((*delta)[i].value) == expected[(*delta)[i].path.ToString()]);
          BOOST_TEST(events[0].delta[i].path.ToString() == (*delta)[i].path.ToString());
          BOOST_TEST(CanonicalJson(events[0].delta[i].value) ==
                     expected[(*delta)[i].path.ToString()]);
        }
      }
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
  BOOST_REQUIRE(repo().ImportFrom(SourceOf(second), RepoFixture::By("ann", 1700000001), {}).ok());
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
