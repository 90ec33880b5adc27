#include "objects/pack_ids.h"

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <boost/test/unit_test.hpp>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "objects/object_store.h"
#include "objects/sha1.h"
#include "tests/objects/temp_repo.h"
#include "tests/objects/test_util.h"

namespace strata {
namespace {

using testing::TempRepo;

std::vector<ObjectId> WritePack(ObjectStore& store, int n, const std::string& prefix) {
  std::vector<ObjectId> ids;
  for (int i = 0; i < n; ++i) {
    Result<ObjectId> id = store.WriteBlob(prefix + std::to_string(i));
    STRATA_CHECK_OK(id);
    ids.push_back(*id);
  }
  STRATA_CHECK_OK(store.Flush());
  return ids;
}

std::vector<std::string> Indexes(const std::string& dir) {
  std::vector<std::string> out;
  for (const auto& e : std::filesystem::directory_iterator(dir + "/objects/pack")) {
    if (e.path().extension() == ".idx") out.push_back(e.path().string());
  }
  return out;
}

BOOST_AUTO_TEST_SUITE(objects)
BOOST_AUTO_TEST_SUITE(pack_ids)

// Every id of every pack is found, in a small index (read into memory) and
// in a large one (mapped: more than 64 KiB, 2,300 objects or more); ids in
// no pack are not, whatever their first byte.
BOOST_FIXTURE_TEST_CASE(finds_what_the_indexes_list_and_nothing_else, TempRepo) {
  std::vector<ObjectId> small = WritePack(store(), 5, "small ");
  std::vector<ObjectId> large = WritePack(store(), 3000, "large ");
  BOOST_TEST_REQUIRE(Indexes(dir()).size() == 2u);
  PackIds ids(dir() + "/objects/pack");
  for (const ObjectId& id : small) BOOST_TEST(ids.Contains(id), id.Hex());
  for (const ObjectId& id : large) BOOST_TEST(ids.Contains(id), id.Hex());
  BOOST_TEST(ids.complete());
  BOOST_TEST(ids.packs() == 2u);
  for (int i = 0; i < 2000; ++i) {
    const ObjectId absent = HashObject("absent " + std::to_string(i), GIT_OBJECT_BLOB);
    BOOST_TEST(!ids.Contains(absent), absent.Hex());
  }
  ObjectId low, high;
  std::memset(high.bytes, 0xff, ObjectId::kSize);
  BOOST_TEST(!ids.Contains(low));
  BOOST_TEST(!ids.Contains(high));
}

// Refresh sees a pack written since the listing and forgets a removed one;
// between refreshes the listing stands.
BOOST_FIXTURE_TEST_CASE(refresh_follows_the_folder, TempRepo) {
  std::vector<ObjectId> first = WritePack(store(), 3, "first ");
  PackIds ids(dir() + "/objects/pack");
  BOOST_TEST(ids.Contains(first[0]));
  std::vector<ObjectId> second = WritePack(store(), 3, "second ");
  BOOST_TEST(!ids.Contains(second[0]));  // not listed yet
  ids.Refresh();
  BOOST_TEST(ids.Contains(second[0]));
  BOOST_TEST(ids.packs() == 2u);
  for (const std::string& idx : Indexes(dir())) {
    std::ifstream in(idx, std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (bytes.find(std::string(reinterpret_cast<const char*>(first[0].bytes), 20)) ==
        std::string::npos) {
      continue;
    }
    std::filesystem::remove(idx);
    std::filesystem::remove(idx.substr(0, idx.size() - 4) + ".pack");
  }
  ids.Refresh();
  BOOST_TEST(!ids.Contains(first[0]));
  BOOST_TEST(ids.Contains(second[1]));
  BOOST_TEST(ids.packs() == 1u);
}

// AddOwn adds the pack this process put in the folder without listing the
// folder again, when the folder's time before the pack went in is the
// listing's; after any other change (another writer's pack) it declines,
// and Refresh lists both.
BOOST_FIXTURE_TEST_CASE(add_own_adds_a_pack_only_to_an_unchanged_listing, TempRepo) {
  const std::string pack_dir = dir() + "/objects/pack";
  std::vector<ObjectId> first = WritePack(store(), 3, "first ");
  PackIds ids(pack_dir);
  BOOST_TEST(ids.Contains(first[0]));  // listed
  auto folder_time = [&] {
    struct stat st {};
    BOOST_REQUIRE(::stat(pack_dir.c_str(), &st) == 0);
    return st.st_mtim;
  };
  // The name of the index that is new since `before`.
  auto new_index = [&](const std::vector<std::string>& before) {
    for (const std::string& idx : Indexes(dir())) {
      if (std::find(before.begin(), before.end(), idx) == before.end()) {
        return std::filesystem::path(idx).filename().string();
      }
    }
    return std::string();
  };

  std::vector<std::string> listed = Indexes(dir());
  const struct timespec before = folder_time();
  std::vector<ObjectId> own = WritePack(store(), 3, "own ");
  BOOST_TEST(ids.AddOwn(new_index(listed), before));
  BOOST_TEST(ids.Contains(own[0]));
  BOOST_TEST(ids.packs() == 2u);
  BOOST_TEST(ids.complete());

  // Another writer's pack, then this process's: the folder changed since
  // the listing (its time set apart, as the clock's ticks may be coarse).
  std::vector<ObjectId> other = WritePack(store(), 3, "other ");
  const struct timespec apart[2] = {{1000000000, 0}, {1000000000, 0}};
  BOOST_REQUIRE(::utimensat(AT_FDCWD, pack_dir.c_str(), apart, 0) == 0);
  listed = Indexes(dir());
  const struct timespec before_mine = folder_time();
  std::vector<ObjectId> mine = WritePack(store(), 3, "mine ");
  BOOST_TEST(!ids.AddOwn(new_index(listed), before_mine));
  BOOST_TEST(!ids.Contains(other[0]));  // not listed yet
  ids.Refresh();
  BOOST_TEST(ids.Contains(other[0]));
  BOOST_TEST(ids.Contains(mine[0]));
  BOOST_TEST(ids.packs() == 4u);
}

// An index cut short in place after it was listed (a power loss tears only
// small ones, which are copied, not mapped) changes nothing and faults
// nothing; a new listing leaves it out and complete() says so, so the
// store asks libgit2 instead.
BOOST_FIXTURE_TEST_CASE(a_torn_index_is_left_out, TempRepo) {
  std::vector<ObjectId> kept = WritePack(store(), 3, "kept ");
  PackIds ids(dir() + "/objects/pack");
  BOOST_TEST(ids.Contains(kept[2]));
  const std::string idx = Indexes(dir()).at(0);
  std::filesystem::permissions(idx, std::filesystem::perms::owner_write,
                               std::filesystem::perm_options::add);
  std::filesystem::resize_file(idx, 1100);
  BOOST_TEST(ids.Contains(kept[2]));
  std::vector<ObjectId> other = WritePack(store(), 2, "other ");
  ids.Refresh();
  BOOST_TEST(ids.Contains(other[0]));
  BOOST_TEST(ids.Contains(kept[2]));  // an index listed before is not read again
  PackIds fresh(dir() + "/objects/pack");
  BOOST_TEST(!fresh.Contains(kept[2]));
  BOOST_TEST(fresh.Contains(other[1]));
  BOOST_TEST(!fresh.complete());
}

// A listing the system refuses (no descriptor left to open the folder) is
// no listing: the indexes read before stay, no pack counts as removed (which
// would make the store reopen libgit2's packs), and refused() says why. The
// next Refresh lists again. Before, the folder read as empty: every id was
// denied and every index dropped.
BOOST_FIXTURE_TEST_CASE(a_refused_listing_keeps_what_it_had, TempRepo) {
  std::vector<ObjectId> first = WritePack(store(), 3, "first ");
  PackIds ids(dir() + "/objects/pack");
  BOOST_TEST_REQUIRE(ids.Contains(first[0]));
  std::vector<ObjectId> second = WritePack(store(), 3, "second ");
  struct rlimit saved {};
  BOOST_TEST_REQUIRE(::getrlimit(RLIMIT_NOFILE, &saved) == 0);
  {
    // The lowest free descriptor becomes the limit: no open can succeed.
    const int lowest = ::dup(0);
    BOOST_TEST_REQUIRE(lowest >= 0);
    ::close(lowest);
    struct rlimit starved = saved;
    starved.rlim_cur = static_cast<rlim_t>(lowest);
    BOOST_TEST_REQUIRE(::setrlimit(RLIMIT_NOFILE, &starved) == 0);
    ids.Refresh();
    BOOST_TEST_REQUIRE(::setrlimit(RLIMIT_NOFILE, &saved) == 0);
  }
  BOOST_TEST(!ids.complete());
  BOOST_TEST(ids.removed() == 0u);
  BOOST_TEST(ids.refused().find("Too many open files") != std::string::npos, ids.refused());
  BOOST_TEST(ids.Contains(first[0]));
  ids.Refresh();
  BOOST_TEST(ids.refused().empty(), ids.refused());
  BOOST_TEST(ids.complete());
  BOOST_TEST(ids.Contains(second[0]));
  BOOST_TEST(ids.Contains(first[1]));
}

// An index asked about kFilterAfter times gets a Bloom filter, if it holds
// kFilterMinIds ids or more; with it, every id listed is still found (no
// false negatives) and ids in no pack are not.
BOOST_FIXTURE_TEST_CASE(a_filtered_index_finds_what_it_lists_and_nothing_else, TempRepo) {
  std::vector<ObjectId> small = WritePack(store(), 50, "small ");
  std::vector<ObjectId> large = WritePack(store(), PackIds::kFilterMinIds + 100, "large ");
  PackIds ids(dir() + "/objects/pack");
  std::uint32_t asked = 0;
  for (; asked < PackIds::kFilterAfter - 1; ++asked) {
    const ObjectId absent = HashObject("absent " + std::to_string(asked), GIT_OBJECT_BLOB);
    BOOST_TEST_REQUIRE(!ids.Contains(absent));
  }
  BOOST_TEST(ids.filtered() == 0u);
  BOOST_TEST(ids.Contains(large.back()));
  BOOST_TEST(ids.filtered() == 1u, "the large index, not the small one");
  for (const ObjectId& id : large) BOOST_TEST_REQUIRE(ids.Contains(id), id.Hex());
  for (const ObjectId& id : small) BOOST_TEST_REQUIRE(ids.Contains(id), id.Hex());
  for (int i = 0; i < 20000; ++i) {
    const ObjectId absent = HashObject("still absent " + std::to_string(i), GIT_OBJECT_BLOB);
    BOOST_TEST_REQUIRE(!ids.Contains(absent), absent.Hex());
  }
}

BOOST_AUTO_TEST_SUITE_END()
BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace strata
