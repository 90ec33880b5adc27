#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <boost/test/unit_test.hpp>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "tests/repo/repo_fixture.h"

namespace strata {
namespace {

struct GcFixture : RepoFixture {
  // The files in objects/pack with `ext`, and the loose objects.
  std::size_t Count(const std::string& ext) {
    std::size_t n = 0;
    for (const auto& e : fs::directory_iterator(repo().path() + "/objects/pack")) {
      if (e.path().extension() == ext) ++n;
    }
    return n;
  }
  std::size_t Loose() {
    std::size_t n = 0;
    for (const auto& d : fs::directory_iterator(repo().path() + "/objects")) {
      const std::string name = d.path().filename().string();
      if (name.size() != 2 || !d.is_directory()) continue;
      for (const auto& f : fs::directory_iterator(d.path())) {
        (void)f;
        ++n;
      }
    }
    return n;
  }
  std::string Write(const std::string& doc, int value,
                    const std::optional<std::string>& branch = {}) {
    CommitOptions o = By("ann");
    o.branch = branch;
    Result<WriteResult> w =
        repo().Set(doc, JsonPointer::Parse("/n").value(), json::value(value), o);
    BOOST_REQUIRE_MESSAGE(w.ok(), w.status().message());
    return w->version.id;
  }
  // A document of ~1.5 KiB (one blob) whose versions differ a little, so
  // that the pack builder stores most of them as deltas.
  static json::object AlikeDocument() {
    json::object doc;
    for (int i = 0; i < 40; ++i) doc["k" + std::to_string(i)] = "value number " + std::to_string(i);
    return doc;
  }
  // Writes `doc` as versions v = from .. to - 1 of "doc" (its "v" set to v).
  void PutVersions(json::object& doc, int from, int to) {
    for (int v = from; v < to; ++v) {
      doc["v"] = v;
      BOOST_REQUIRE(repo().Put("doc", doc, By("ann")).ok());
    }
  }
  void SetConfig(const std::string& key, const std::string& value) {
    std::string cmd = "git --git-dir='" + repo().path() + "' config " + key + " " + value;
    BOOST_REQUIRE(std::system(cmd.c_str()) == 0);
  }
  void ExpectVerifies() {
    Result<VerifyReport> v = repo().Verify();
    BOOST_REQUIRE_MESSAGE(v.ok(), v.status().message());
    std::string problems;
    for (const auto& p : v->problems) problems += p + "\n";
    BOOST_TEST(v->problems.empty(), problems);
    std::string cmd =
        "git --git-dir='" + repo().path() + "' fsck --strict --no-dangling >/dev/null 2>&1";
    BOOST_TEST(std::system(cmd.c_str()) == 0);
  }
  // Files of this repository's objects/pack that this process holds open
  // (descriptors) or mapped, and which were removed, or moved into
  // spare/retired (automatic gc; removed there on another thread).
  std::vector<std::string> RemovedPacksHeld() {
    const std::string packs = repo().path() + "/objects/pack/";
    const std::string retired = repo().path() + "/spare/retired/";
    const auto removed = [&](const std::string& s) {
      return (s.find(packs) != std::string::npos && s.find("(deleted)") != std::string::npos) ||
             s.find(retired) != std::string::npos;
    };
    std::vector<std::string> held;
    for (const auto& fd : fs::directory_iterator("/proc/self/fd")) {
      std::error_code ec;
      const std::string target = fs::read_symlink(fd.path(), ec).string();
      if (!ec && removed(target)) held.push_back("fd " + target);
    }
    std::ifstream maps("/proc/self/maps");
    for (std::string line; std::getline(maps, line);) {
      if (removed(line)) held.push_back("map " + line);
    }
    return held;
  }
  // Through a new Repository: what another process reads.
  bool Readable(const std::string& id) {
    std::unique_ptr<Repository> fresh = Repository::Open(dir()).value();
    return fresh->Read(id).ok();
  }
};

GcOptions Options(std::optional<std::int64_t> prune_expire = GcOptions::kDefaultPruneExpire) {
  GcOptions o;
  o.prune_expire = prune_expire;
  return o;
}

// --aggressive --prune now.
GcOptions Aggressive() {
  GcOptions o = Options(0);
  o.aggressive = true;
  return o;
}

BOOST_AUTO_TEST_SUITE(repo)
BOOST_FIXTURE_TEST_SUITE(gc, GcFixture)

BOOST_AUTO_TEST_CASE(each_small_write_is_one_pack_and_gc_makes_them_one) {
  SetConfig("strata.gcAuto", "0");
  std::vector<std::string> versions;
  for (int i = 0; i < 6; ++i) versions.push_back(Write("d" + std::to_string(i % 2), i));
  BOOST_TEST(Count(".pack") == 6u);
  BOOST_TEST(Count(".idx") == 6u);
  BOOST_TEST(Loose() == 0u);
  Result<GcReport> r = repo().Gc(Options());
  BOOST_REQUIRE_MESSAGE(r.ok(), r.status().message());
  BOOST_TEST(r->ran);
  BOOST_TEST(r->packs_before == 6u);
  BOOST_TEST(r->packs_removed == 6u);
  BOOST_TEST(r->packs_after == 1u);
  BOOST_TEST(r->loose_after == 0u);
  BOOST_TEST(r->objects_packed > 6u);
  BOOST_TEST(r->bytes_after < r->bytes_before);
  BOOST_TEST(r->pack.rfind("pack-", 0) == 0u);
  BOOST_TEST(Count(".pack") == 1u);
  for (const std::string& v : versions) BOOST_TEST(Readable(v), v);
  BOOST_TEST(Get("d1", versions[5]).value() == J(R"({"n": 5})"));
  ExpectVerifies();
  // Writing on top of the packed history, and packing again.
  versions.push_back(Write("d0", 100));
  r = repo().Gc(Options());
  BOOST_REQUIRE(r.ok());
  BOOST_TEST(r->packs_before == 2u);
  BOOST_TEST(r->packs_after == 1u);
  BOOST_TEST(Get("d0").value() == J(R"({"n": 100})"));
  ExpectVerifies();
}

// gc gives libgit2's indexer the pack in pieces of 1 MiB (repo/gc.cc,
// WritePack): a pack of several pieces, objects split across their ends,
// is whole and verifies.
BOOST_AUTO_TEST_CASE(a_pack_of_many_pieces_is_written_whole) {
  SetConfig("strata.gcAuto", "0");
  std::mt19937 rng(20261203);
  std::uniform_int_distribution<int> letter(33, 126);
  auto text = [&](std::size_t n) {
    std::string out(n, ' ');
    for (char& c : out) c = static_cast<char>(letter(rng));
    return out;
  };
  // About 3 MiB of text that zlib cannot shrink much: three pieces or more.
  std::vector<std::pair<std::string, json::value>> docs;
  std::map<std::string, json::value> expected;
  for (int i = 0; i < 600; ++i) {
    json::value v = json::object{{"text", text(5000 + static_cast<std::size_t>(i))}};
    expected["d" + std::to_string(i)] = v;
    docs.emplace_back("d" + std::to_string(i), std::move(v));
  }
  BOOST_REQUIRE(repo().Import(std::move(docs), By("ann")).ok());
  const std::string last = Write("d7", 7);
  expected["d7"].as_object()["n"] = 7;
  BOOST_REQUIRE(testing::UnpackPacks(repo().path()));  // loose: the packbuilder packs them
  Result<GcReport> r = repo().Gc(Options());
  BOOST_REQUIRE_MESSAGE(r.ok(), r.status().message());
  BOOST_TEST(r->packs_after == 1u);
  BOOST_TEST(r->loose_after == 0u);
  BOOST_TEST(r->bytes_after > (std::uint64_t{2} << 20));
  BOOST_TEST(Readable(last));
  std::unique_ptr<Repository> fresh = Repository::Open(dir()).value();
  for (const auto& [id, value] : expected) {
    Result<json::value> got = fresh->Get(id);
    BOOST_REQUIRE_MESSAGE(got.ok(), id + ": " + got.status().message());
    BOOST_TEST((*got == value), id);
  }
  ExpectVerifies();
}

BOOST_AUTO_TEST_CASE(loose_objects_are_packed_and_removed) {
  SetConfig("strata.gcAuto", "0");
  const std::string v = Write("d", 1);
  // What git (or an older strata) leaves: loose objects.
  BOOST_REQUIRE(testing::UnpackPacks(repo().path()));
  BOOST_REQUIRE(Count(".pack") == 0u);
  const std::size_t loose = Loose();
  BOOST_REQUIRE(loose > 3u);
  Result<GcReport> r = repo().Gc(Options());
  BOOST_REQUIRE_MESSAGE(r.ok(), r.status().message());
  BOOST_TEST(r->loose_before == loose);
  BOOST_TEST(r->loose_removed == loose);
  BOOST_TEST(r->objects_packed == loose);
  BOOST_TEST(Loose() == 0u);
  BOOST_TEST(Count(".pack") == 1u);
  BOOST_TEST(Readable(v));
  ExpectVerifies();
}

BOOST_AUTO_TEST_CASE(unreachable_objects_are_kept_until_they_are_old) {
  SetConfig("strata.gcAuto", "0");
  Write("d", 1);
  BOOST_REQUIRE(repo().CreateBranch("side").ok());
  const std::string gone = Write("only-on-side", 7, "side");
  BOOST_REQUIRE(repo().DeleteBranch("side", /*force=*/true).ok());
  // Young: kept, whatever the default grace period says.
  Result<GcReport> r = repo().Gc(Options());
  BOOST_REQUIRE(r.ok());
  BOOST_TEST(r->unreachable_kept > 0u);
  BOOST_TEST(Readable(gone));
  // Never: kept too.
  r = repo().Gc(Options(std::nullopt));
  BOOST_REQUIRE(r.ok());
  BOOST_TEST(Readable(gone));
  // Now: dropped; what is reachable stays.
  r = repo().Gc(Options(0));
  BOOST_REQUIRE(r.ok());
  BOOST_TEST(r->unreachable_kept == 0u);
  BOOST_TEST(!Readable(gone));
  BOOST_TEST(Get("d").value() == J(R"({"n": 1})"));
  ExpectVerifies();
}

// Many packs: a full gc first copies all but the largest into one for each
// side of the grace period (CombineSmallPacks), each copy as old as the
// newest pack in it. What is kept is what was kept without the copies: an
// unreachable version in packs older than the grace period goes, a young
// one stays, and the report counts the packs there were, not the copies.
BOOST_AUTO_TEST_CASE(many_packs_are_combined_first_and_ages_hold) {
  SetConfig("strata.gcAuto", "0");
  for (int i = 0; i < 8; ++i) Write("d", i);
  auto packs = [&] {
    std::set<std::string> out;
    for (const auto& e : fs::directory_iterator(repo().path() + "/objects/pack")) {
      if (e.path().extension() == ".pack") out.insert(e.path().string());
    }
    return out;
  };
  const std::set<std::string> before_old = packs();
  BOOST_REQUIRE(repo().CreateBranch("old-side").ok());
  const std::string old_gone = Write("only-on-old-side", 1, "old-side");
  Write("only-on-old-side", 2, "old-side");
  BOOST_REQUIRE(repo().DeleteBranch("old-side", /*force=*/true).ok());
  // The old side's packs, and the first of main's, were written a month ago.
  const std::int64_t month_ago = static_cast<std::int64_t>(std::time(nullptr)) - 30 * 24 * 3600;
  std::vector<std::string> aged{*before_old.begin()};
  for (const std::string& p : packs()) {
    if (!before_old.count(p)) aged.push_back(p);
  }
  BOOST_REQUIRE(aged.size() >= 3u);
  for (const std::string& p : aged) {
    struct timespec times[2] = {{month_ago, 0}, {month_ago, 0}};
    BOOST_REQUIRE(::utimensat(AT_FDCWD, p.c_str(), times, 0) == 0);
  }
  BOOST_REQUIRE(repo().CreateBranch("young-side").ok());
  const std::string young_kept = Write("only-on-young-side", 3, "young-side");
  BOOST_REQUIRE(repo().DeleteBranch("young-side", /*force=*/true).ok());
  const std::size_t packs_before = packs().size();
  BOOST_REQUIRE(packs_before > 8u);

  Result<GcReport> r = repo().Gc(Options());
  BOOST_REQUIRE_MESSAGE(r.ok(), r.status().message());
  BOOST_TEST(r->packs_before == packs_before);
  BOOST_TEST(r->packs_removed == packs_before);
  BOOST_TEST(r->packs_after == 1u);
  BOOST_TEST(Count(".pack") == 1u);
  BOOST_TEST(!Readable(old_gone), "older than the grace period and unreachable");
  BOOST_TEST(Readable(young_kept), "unreachable but young");
  BOOST_TEST(Get("d").value() == J(R"({"n": 7})"));
  ExpectVerifies();
}

BOOST_AUTO_TEST_CASE(reflogs_tags_and_notes_keep_their_versions) {
  SetConfig("strata.gcAuto", "0");
  const std::string v1 = Write("d", 1);
  const std::string v2 = Write("d", 2);
  const std::string v3 = Write("d", 3);
  BOOST_REQUIRE(repo().CreateBranch("b", v3).ok());
  // Only b's reflog still names v3 once b moves back to v1.
  BOOST_REQUIRE(repo().CreateBranch("b", v1, /*force=*/true).ok());
  BOOST_REQUIRE(repo().CreateBranch("t-base", v2).ok());
  TagOptions tag;
  tag.message = "annotated";
  BOOST_REQUIRE(repo().CreateTag("keep", "t-base", tag).ok());
  BOOST_REQUIRE(repo().DeleteBranch("t-base", /*force=*/true).ok());
  LabelOptions label;
  BOOST_REQUIRE(repo().AddLabels(v2, {"reviewed"}, label).ok());
  Result<GcReport> r = repo().Gc(Options(0));
  BOOST_REQUIRE_MESSAGE(r.ok(), r.status().message());
  for (const std::string& v : {v1, v2, v3}) BOOST_TEST(Readable(v), v);
  BOOST_TEST(Get("d", "keep").value() == J(R"({"n": 2})"));
  Result<VersionLabels> labels = repo().LabelsOf(v2);
  BOOST_REQUIRE(labels.ok());
  ExpectVerifies();
}

BOOST_AUTO_TEST_CASE(auto_gc_runs_past_the_pack_limit) {
  SetConfig("strata.gcAutoPackLimit", "3");
  for (int i = 0; i < 10; ++i) {
    Write("d", i);
    // The write that makes the 4th pack packs them all into one.
    BOOST_TEST(Count(".pack") <= 3u, "after write " << i);
  }
  BOOST_TEST(Get("d").value() == J(R"({"n": 9})"));
  ExpectVerifies();
  Result<GcReport> r = repo().Gc(GcOptions::Auto());
  BOOST_REQUIRE(r.ok());
  BOOST_TEST(!r->ran);
  BOOST_TEST(r->skipped.find("nothing to do") != std::string::npos, r->skipped);
}

// Automatic gc counts the packs another process wrote after this one
// listed the folder: the listing its check starts from is read again when
// the folder changed (ObjectStore::ListedPacks), not trusted as it was.
BOOST_AUTO_TEST_CASE(auto_gc_counts_packs_another_process_wrote) {
  SetConfig("strata.gcAutoPackLimit", "1000");
  Write("d", 0);
  BOOST_REQUIRE(Get("d").value() == J(R"({"n": 0})"));  // this handle has listed the packs
  {
    Result<std::unique_ptr<Repository>> other = Repository::Open(repo().path());
    BOOST_REQUIRE_MESSAGE(other.ok(), other.status().message());
    for (int i = 1; i <= 6; ++i) {
      BOOST_REQUIRE(
          (*other)->Set("d", JsonPointer::Parse("/n").value(), json::value(i), By("bob")).ok());
    }
  }
  BOOST_REQUIRE(Count(".pack") > 3u);
  SetConfig("strata.gcAutoPackLimit", "3");
  Result<GcReport> r = repo().Gc(GcOptions::Auto());
  BOOST_REQUIRE_MESSAGE(r.ok(), r.status().message());
  BOOST_TEST(r->ran, r->skipped);
  BOOST_TEST(Count(".pack") <= 3u);
  BOOST_TEST(Get("d").value() == J(R"({"n": 6})"));
  ExpectVerifies();
}

// A process that lives on (the library, `strata watch`) holds no pack that
// gc removed, and reads on from the new pack. libgit2 1.5's pack backend
// kept every pack it had opened, for good (objects/pack_backend.h): its
// descriptor, its mappings, its disk space, and a search of its index on
// each miss.
BOOST_AUTO_TEST_CASE(a_process_holds_no_removed_pack) {
  SetConfig("strata.gcAutoPackLimit", "3");
  std::vector<std::string> versions;
  for (int i = 0; i < 12; ++i) {
    versions.push_back(Write("d" + std::to_string(i % 3), i));
    // Each write reads the packs before it: libgit2 opens them.
    BOOST_REQUIRE(Get("d" + std::to_string(i % 3)).value() == json::value(json::object{{"n", i}}));
  }
  std::vector<std::string> held = RemovedPacksHeld();
  BOOST_TEST(held.empty(), "after automatic gc: " << (held.empty() ? "" : held.front()));
  // At least two packs, so that gc replaces one (a gc that finds one pack,
  // all of it kept, leaves it as it is).
  SetConfig("strata.gcAuto", "0");
  versions.push_back(Write("d0", 12));
  BOOST_REQUIRE(Count(".pack") >= 2u);
  Result<GcReport> r = repo().Gc(Options());
  BOOST_REQUIRE_MESSAGE(r.ok(), r.status().message());
  BOOST_TEST(r->packs_removed > 0u);
  held = RemovedPacksHeld();
  BOOST_TEST(held.empty(), "after gc: " << (held.empty() ? "" : held.front()));
  for (const std::string& v : versions) BOOST_TEST(repo().Read(v).ok(), v);
  BOOST_TEST(Get("d2", versions[11]).value() == J(R"({"n": 11})"));
  BOOST_TEST(Get("d0", versions[0]).value() == J(R"({"n": 0})"));
}

// Past the pack limit, automatic gc rolls the small packs into one and
// leaves a pack that outweighs them (git's geometric repack, by objects):
// the import's pack stays as it is, the new pack holds the small packs'
// objects, and everything reads back. (It used to weigh packs by bytes, and
// a write's pack, without deltas, weighs as much as a hundred of the
// import's objects: every automatic gc rewrote the whole history.)
BOOST_AUTO_TEST_CASE(auto_gc_rolls_up_small_packs_and_keeps_a_large_one) {
  SetConfig("strata.gcAutoPackLimit", "1000");
  std::vector<std::pair<std::string, json::value>> docs;
  for (int i = 0; i < 300; ++i) {
    docs.emplace_back("doc/" + std::to_string(i), json::object{{"n", i}, {"name", "document"}});
  }
  BOOST_REQUIRE(repo().Import(std::move(docs), By("ann")).ok());
  std::vector<std::string> versions;
  for (int i = 0; i < 12; ++i) versions.push_back(Write("doc/" + std::to_string(i * 7), 1000 + i));
  // Objects per pack, from the index's size.
  std::map<std::string, std::uintmax_t> objects;
  for (const auto& e : fs::directory_iterator(repo().path() + "/objects/pack")) {
    if (e.path().extension() == ".idx") objects[e.path().string()] = (e.file_size() - 1072) / 28;
  }
  auto largest = std::max_element(objects.begin(), objects.end(),
                                  [](const auto& a, const auto& b) { return a.second < b.second; });
  BOOST_REQUIRE(largest->second >= 300u);
  const std::string large = largest->first;
  const auto large_time = fs::last_write_time(large);
  std::uintmax_t small_objects = 0;
  for (const auto& [path, n] : objects) small_objects += path == large ? 0 : n;

  SetConfig("strata.gcAutoPackLimit", "10");
  Result<GcReport> r = repo().Gc(GcOptions::Auto());
  BOOST_REQUIRE_MESSAGE(r.ok(), r.status().message());
  BOOST_TEST(r->ran);
  BOOST_TEST(r->packs_before == objects.size());
  BOOST_TEST(r->packs_removed == objects.size() - 1);
  BOOST_TEST(r->packs_after == 2u);
  BOOST_TEST(r->objects_packed == small_objects);
  BOOST_TEST(fs::exists(large));
  BOOST_TEST((fs::last_write_time(large) == large_time));
  for (const std::string& v : versions) BOOST_TEST(Readable(v), v);
  BOOST_TEST(Get("doc/77").value() == J(R"({"n": 1011, "name": "document"})"));
  ExpectVerifies();
}

// A pack with a .keep file is not counted toward strata.gcAutoPackLimit
// (AutoReason reads the .keep files from the folder's one listing).
BOOST_AUTO_TEST_CASE(kept_packs_do_not_count_toward_the_pack_limit) {
  SetConfig("strata.gcAutoPackLimit", "100");
  for (int i = 0; i < 6; ++i) Write("d", i);
  BOOST_REQUIRE(Count(".pack") == 6u);
  std::vector<fs::path> keeps;
  for (const auto& e : fs::directory_iterator(repo().path() + "/objects/pack")) {
    if (e.path().extension() == ".pack" && keeps.size() < 4) {
      keeps.push_back(fs::path(e.path()).replace_extension(".keep"));
      std::ofstream(keeps.back()) << "kept\n";
    }
  }
  SetConfig("strata.gcAutoPackLimit", "3");
  Result<GcReport> r = repo().Gc(GcOptions::Auto());  // 2 packs count
  BOOST_REQUIRE(r.ok());
  BOOST_TEST(!r->ran);
  BOOST_TEST(r->skipped.find("nothing to do") != std::string::npos, r->skipped);
  for (const fs::path& k : keeps) fs::remove(k);
  r = repo().Gc(GcOptions::Auto());  // 6 count
  BOOST_REQUIRE(r.ok());
  BOOST_TEST(r->ran);
  ExpectVerifies();
}

// When automatic gc rolls up every pack, the largest among them a pack
// with deltas, it copies that pack's entries as a full gc does.
BOOST_AUTO_TEST_CASE(auto_gc_rolling_up_everything_copies_the_largest_packs_deltas) {
  SetConfig("strata.gcAuto", "0");
  json::object doc = AlikeDocument();
  PutVersions(doc, 0, 6);
  BOOST_REQUIRE(repo().Gc(Aggressive()).ok());
  // More objects since than the gc's pack holds: every pack rolls up.
  PutVersions(doc, 6, 16);
  SetConfig("strata.gcAuto", "6700");
  SetConfig("strata.gcAutoPackLimit", "3");
  Result<GcReport> r = repo().Gc(GcOptions::Auto());
  BOOST_REQUIRE_MESSAGE(r.ok(), r.status().message());
  BOOST_REQUIRE(r->ran);
  BOOST_TEST(r->packs_after == 1u);
  BOOST_TEST(r->deltas_reused > 0u);
  BOOST_TEST(Get("doc").value() == json::value(doc));
  ExpectVerifies();
}

BOOST_AUTO_TEST_CASE(auto_gc_off) {
  SetConfig("strata.gcAutoPackLimit", "3");
  SetConfig("strata.gcAuto", "0");
  for (int i = 0; i < 6; ++i) Write("d", i);
  BOOST_TEST(Count(".pack") == 6u);
  Result<GcReport> r = repo().Gc(GcOptions::Auto());
  BOOST_REQUIRE(r.ok());
  BOOST_TEST(!r->ran);
  BOOST_TEST(r->skipped.find("off") != std::string::npos, r->skipped);
}

BOOST_AUTO_TEST_CASE(a_second_gc_is_refused_and_an_automatic_one_skipped) {
  SetConfig("strata.gcAutoPackLimit", "1");
  SetConfig("strata.gcAuto", "0");
  Write("d", 1);
  Write("d", 2);
  SetConfig("strata.gcAuto", "6700");
  const std::string lock = repo().path() + "/gc.flock";
  int fd = ::open(lock.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  BOOST_REQUIRE(fd >= 0);
  BOOST_REQUIRE(::flock(fd, LOCK_EX | LOCK_NB) == 0);
  Result<GcReport> r = repo().Gc(Options());
  BOOST_TEST((r.status().code() == Code::kConflict));
  BOOST_TEST(r.status().message().find("another gc is running") != std::string::npos);
  r = repo().Gc(GcOptions::Auto());
  BOOST_REQUIRE(r.ok());
  BOOST_TEST(!r->ran);
  BOOST_TEST(r->skipped == "another gc is running");
  // The write stands, and skipped its automatic gc.
  Write("d", 3);
  BOOST_TEST(Count(".pack") == 3u);
  ::close(fd);
  r = repo().Gc(Options());
  BOOST_REQUIRE(r.ok());
  BOOST_TEST(Count(".pack") == 1u);
  ExpectVerifies();
}

// --keep-largest-pack: the largest pack stays as it was and only the rest
// is packed. Its trees are still walked: here the kept pack's document
// holds a value whose blob was written once, by a version on a branch since
// deleted, and so lives only in a small pack that this gc replaces; it must
// be packed again, or the kept version would lose it.
BOOST_AUTO_TEST_CASE(keep_largest_pack_keeps_it_and_walks_through_it) {
  SetConfig("strata.gcAuto", "0");
  const std::string shared(300, 's');
  Write("d", 0);
  BOOST_REQUIRE(repo().CreateBranch("side").ok());
  CommitOptions on_side = By("ann");
  on_side.branch = "side";
  // Over 2 KiB: stored as a tree, a blob a member (docs/format.md).
  json::object side_doc{{"shared", shared}};
  for (int i = 0; i < 12; ++i) side_doc["pad" + std::to_string(i)] = std::string(200, 'p' + i % 8);
  BOOST_REQUIRE(repo().Put("side-doc", side_doc, on_side).ok());
  json::object big;
  for (int i = 0; i < 300; ++i)
    big["k" + std::to_string(i)] = std::string(40, 'a' + i % 26) + std::to_string(i);
  big["shared"] = shared;
  BOOST_REQUIRE(repo().Put("big", big, By("ann")).ok());
  BOOST_REQUIRE(repo().DeleteBranch("side", /*force=*/true).ok());
  Write("d", 1);
  Write("d", 2);
  BOOST_REQUIRE(Count(".pack") >= 3u);
  // The pack of "big" is the largest.
  std::string largest;
  std::uintmax_t most = 0;
  for (const auto& e : fs::directory_iterator(repo().path() + "/objects/pack")) {
    if (e.path().extension() == ".idx" && e.file_size() > most) {
      most = e.file_size();
      largest = e.path().stem().string() + ".pack";
    }
  }
  GcOptions o = Options(0);
  o.keep_largest_pack = true;
  Result<GcReport> r = repo().Gc(o);
  BOOST_REQUIRE_MESSAGE(r.ok(), r.status().message());
  BOOST_TEST(r->kept_pack == largest);
  BOOST_TEST(fs::exists(repo().path() + "/objects/pack/" + largest));
  BOOST_TEST(r->packs_after == 2u);
  BOOST_TEST(r->packs_removed == r->packs_before - 1);
  BOOST_TEST(Get("big").value() == json::value(big));
  BOOST_TEST(Get("d").value() == J(R"({"n": 2})"));
  ExpectVerifies();
  // With automatic gc: refused, nothing touched.
  GcOptions both = GcOptions::Auto();
  both.keep_largest_pack = true;
  Result<GcReport> refused = repo().Gc(both);
  BOOST_REQUIRE(!refused.ok());
  BOOST_TEST((refused.status().code() == Code::kInvalidArgument));
  BOOST_TEST(fs::exists(repo().path() + "/objects/pack/" + largest));
  // Again: only the kept pack and the one just written, which is now the
  // smaller; nothing is lost either way.
  r = repo().Gc(o);
  BOOST_REQUIRE(r.ok());
  BOOST_TEST(r->kept_pack == largest);
  BOOST_TEST(r->packs_after == 2u);
  BOOST_TEST(Get("big").value() == json::value(big));
  ExpectVerifies();
}

// `git verify-pack -v` of every pack: id -> {type, size, base ("" when
// stored whole)}.
struct PackedObject {
  std::string type;
  std::size_t size = 0;
  std::string base;
};
std::map<std::string, PackedObject> VerifyPack(const std::string& git_dir) {
  std::string idx;
  for (const auto& e : fs::directory_iterator(git_dir + "/objects/pack")) {
    if (e.path().extension() == ".idx") idx += " '" + e.path().string() + "'";
  }
  std::map<std::string, PackedObject> out;
  BOOST_REQUIRE(!idx.empty());
  const std::string cmd = "git verify-pack -v" + idx;
  FILE* pipe = popen(cmd.c_str(), "r");
  BOOST_REQUIRE(pipe != nullptr);
  char line[512];
  while (std::fgets(line, sizeof line, pipe)) {
    std::istringstream in(line);
    std::string id, type, base;
    std::size_t size = 0, packed = 0, offset = 0, depth = 0;
    if (!(in >> id >> type >> size >> packed >> offset) || id.size() != 40) continue;
    if (in >> depth >> base)
      out[id] = {type, size, base};
    else
      out[id] = {type, size, ""};
  }
  BOOST_TEST(pclose(pipe) == 0);
  return out;
}

BOOST_AUTO_TEST_CASE(full_gc_copies_the_largest_packs_deltas) {
  SetConfig("strata.gcAuto", "0");
  json::object doc = AlikeDocument();
  PutVersions(doc, 0, 6);
  Result<GcReport> r = repo().Gc(Aggressive());
  BOOST_REQUIRE_MESSAGE(r.ok(), r.status().message());
  BOOST_TEST(r->deltas_reused == 0u);
  const std::map<std::string, PackedObject> before = VerifyPack(repo().path());
  std::map<std::string, std::string> deltas;  // id -> base
  for (const auto& [id, o] : before) {
    if (!o.base.empty()) deltas[id] = o.base;
  }
  BOOST_REQUIRE(!deltas.empty());
  PutVersions(doc, 6, 7);
  BOOST_REQUIRE(Count(".pack") == 2u);
  r = repo().Gc(Options(0));
  BOOST_REQUIRE_MESSAGE(r.ok(), r.status().message());
  // Every delta of the pack copied as stored, against the same base; the
  // new version's objects packed besides, in one pack.
  BOOST_TEST(r->deltas_reused == deltas.size());
  BOOST_TEST(r->packs_after == 1u);
  BOOST_TEST(r->objects_packed == before.size() + 7);  // commit, 3 trees, delta, meta, blob
  const std::map<std::string, PackedObject> after = VerifyPack(repo().path());
  for (const auto& [id, base] : deltas) {
    auto it = after.find(id);
    BOOST_REQUIRE(it != after.end());
    BOOST_TEST(it->second.base == base, id);
  }
  BOOST_TEST(Get("doc").value() == json::value(doc));
  ExpectVerifies();
  // Nothing new: the pack stays as it is.
  const std::string pack = r->pack;
  r = repo().Gc(Options(0));
  BOOST_REQUIRE(r.ok());
  BOOST_TEST(r->pack == pack);
  BOOST_TEST(r->packs_removed == 0u);
  BOOST_TEST(fs::exists(repo().path() + "/objects/pack/" + pack));
  // Refused with automatic gc or keep_largest_pack.
  GcOptions both = Aggressive();
  both.keep_largest_pack = true;
  BOOST_TEST((repo().Gc(both).status().code() == Code::kInvalidArgument));
  GcOptions automatic = GcOptions::Auto();
  automatic.aggressive = true;
  BOOST_TEST((repo().Gc(automatic).status().code() == Code::kInvalidArgument));
}

// A largest pack without a delta (a write's: objects whole) was never
// searched for deltas, so gc searches its objects rather than copy them.
BOOST_AUTO_TEST_CASE(full_gc_searches_a_largest_pack_that_holds_no_delta) {
  SetConfig("strata.gcAuto", "0");
  // Over 2 KiB: a tree of 40 alike member blobs, in one write's pack.
  json::object doc;
  for (int i = 0; i < 40; ++i) {
    doc["k" + std::to_string(i)] = std::string(200, 'a') + " member " + std::to_string(i);
  }
  BOOST_REQUIRE(repo().Put("doc", doc, By("ann")).ok());
  Write("small", 1);
  BOOST_REQUIRE(Count(".pack") == 2u);
  for (const auto& [id, o] : VerifyPack(repo().path())) BOOST_REQUIRE(o.base.empty());
  Result<GcReport> r = repo().Gc(Options(0));
  BOOST_REQUIRE_MESSAGE(r.ok(), r.status().message());
  BOOST_TEST(r->deltas_reused == 0u);
  BOOST_TEST(r->packs_after == 1u);
  std::size_t deltas = 0;
  for (const auto& [id, o] : VerifyPack(repo().path())) deltas += o.base.empty() ? 0 : 1;
  BOOST_TEST(deltas >= 20u);
  BOOST_TEST(Get("doc").value() == json::value(doc));
  ExpectVerifies();
}

BOOST_AUTO_TEST_CASE(full_gc_writes_whole_a_kept_delta_whose_base_it_drops) {
  SetConfig("strata.gcAuto", "0");
  // Two long strings, the one on a branch that goes larger: the pack
  // builder makes the larger the base and main's value a delta against it.
  auto words = [](int n) {
    std::string s;
    for (int i = 0; i < n; ++i) s += "word" + std::to_string(i) + " ";
    return s;
  };
  const json::value small(words(280));
  const json::value large(words(300));
  BOOST_REQUIRE(repo().Put("doc", small, By("ann")).ok());
  BOOST_REQUIRE(repo().CreateBranch("side").ok());
  CommitOptions on_side = By("ann");
  on_side.branch = "side";
  BOOST_REQUIRE(repo().Put("doc", large, on_side).ok());
  BOOST_REQUIRE(repo().Gc(Aggressive()).ok());
  const std::size_t small_size = CanonicalJson(small).size();
  const std::size_t large_size = CanonicalJson(large).size();
  std::map<std::string, PackedObject> objects = VerifyPack(repo().path());
  // (verify-pack gives a delta's own size, a whole object's size.)
  std::string small_id, large_id;
  for (const auto& [id, o] : objects) {
    if (o.type == "blob" && o.base.empty() && o.size == large_size) large_id = id;
  }
  BOOST_REQUIRE(!large_id.empty());
  for (const auto& [id, o] : objects) {
    if (o.type == "blob" && o.base == large_id) small_id = id;
  }
  BOOST_REQUIRE_MESSAGE(!small_id.empty(),
                        "the test needs main's value stored as a delta against side's");
  // side goes, and with it the base of main's value.
  BOOST_REQUIRE(repo().DeleteBranch("side", /*force=*/true).ok());
  Result<GcReport> r = repo().Gc(Options(0));
  BOOST_REQUIRE_MESSAGE(r.ok(), r.status().message());
  objects = VerifyPack(repo().path());
  BOOST_TEST(objects.count(large_id) == 0u);
  BOOST_REQUIRE(objects.count(small_id) == 1u);
  BOOST_TEST(objects[small_id].base == "");
  BOOST_TEST(objects[small_id].size == small_size);
  BOOST_TEST(Get("doc").value() == small);
  ExpectVerifies();
}

BOOST_AUTO_TEST_CASE(files_of_interrupted_runs_are_cleaned_up) {
  SetConfig("strata.gcAuto", "0");
  const std::string v = Write("d", 1);
  const std::string git_dir = repo().path();
  fs::create_directories(git_dir + "/gc-tmp-abc123");
  std::ofstream(git_dir + "/gc-tmp-abc123/pack_git2_x") << "partial";
  Result<GcReport> r = repo().Gc(Options());
  BOOST_REQUIRE(r.ok());
  BOOST_TEST(!fs::exists(git_dir + "/gc-tmp-abc123"));
  BOOST_TEST(Readable(v));
  ExpectVerifies();
}

BOOST_AUTO_TEST_SUITE_END()
BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace strata
