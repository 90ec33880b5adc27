// Tests for objects/loose_object.h: loose objects read without libgit2.
#include "objects/loose_object.h"

#include <boost/test/unit_test.hpp>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "tests/objects/temp_repo.h"

namespace strata {
namespace {

using testing::TempRepo;

// Writes `data` as one loose blob and returns its id.
ObjectId LooseBlob(TempRepo& t, const std::string& data) {
  ObjectId id = t.store().WriteBlob(data).value();
  t.FlushLoose();
  return id;
}

std::filesystem::path LoosePath(TempRepo& t, const ObjectId& id) {
  std::string hex = id.Hex();
  return std::filesystem::path(t.dir()) / "objects" / hex.substr(0, 2) / hex.substr(2);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(objects)
BOOST_AUTO_TEST_SUITE(loose_object)

BOOST_AUTO_TEST_CASE(reads_what_libgit2_wrote) {
  TempRepo t;
  ObjectId id = LooseBlob(t, "{\"a\":1}");
  std::optional<RawObject> obj = ReadLooseObject(t.dir() + "/objects", id).value();
  BOOST_REQUIRE(obj.has_value());
  BOOST_TEST((obj->type == GIT_OBJECT_BLOB));
  BOOST_TEST(obj->data == "{\"a\":1}");
}

BOOST_AUTO_TEST_CASE(an_absent_object_is_nullopt) {
  TempRepo t;
  ObjectId id;
  BOOST_REQUIRE(git_oid_fromstr(AsGit(id), "0123456789012345678901234567890123456789") == 0);
  BOOST_TEST(!ReadLooseObject(t.dir() + "/objects", id).value().has_value());
}

BOOST_AUTO_TEST_CASE(damaged_files_are_corruption_not_a_hang) {
  // Each damage, applied to a fresh object: truncation at several lengths
  // (libgit2 1.5 loops forever on these), garbage, and an empty file.
  const std::size_t cuts[] = {0, 1, 2, 5, 10, 20};
  for (std::size_t cut : cuts) {
    TempRepo t;
    ObjectId id = LooseBlob(t, std::string(300, 'x') + "distinct");
    std::filesystem::path file = LoosePath(t, id);
    std::ifstream in(file, std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    in.close();
    std::filesystem::permissions(file, std::filesystem::perms::owner_write,
                                 std::filesystem::perm_options::add);
    std::ofstream(file, std::ios::binary | std::ios::trunc) << bytes.substr(0, cut);
    Result<std::optional<RawObject>> r = ReadLooseObject(t.dir() + "/objects", id);
    BOOST_TEST_CONTEXT("cut at " << cut) {
      BOOST_TEST(!r.ok());
      BOOST_TEST((r.status().code() == Code::kCorruption));
      BOOST_TEST(r.status().message().find(id.Hex()) != std::string::npos);
    }
    // The store's reads go through it too.
    BOOST_TEST((t.store().ReadBlob(id).status().code() == Code::kCorruption));
  }
  TempRepo t;
  ObjectId id = LooseBlob(t, "garbage test");
  std::filesystem::path file = LoosePath(t, id);
  std::filesystem::permissions(file, std::filesystem::perms::owner_write,
                               std::filesystem::perm_options::add);
  std::ofstream(file, std::ios::binary | std::ios::trunc) << "not zlib at all";
  BOOST_TEST((ReadLooseObject(t.dir() + "/objects", id).status().code() == Code::kCorruption));
}

BOOST_AUTO_TEST_SUITE_END()
BOOST_AUTO_TEST_SUITE_END()

}  // namespace strata
