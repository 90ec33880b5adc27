#include "objects/stage_backend.h"

#include <git2.h>

#include <boost/test/unit_test.hpp>
#include <string>

#include "objects/object_store.h"
#include "objects/sha1.h"
#include "tests/objects/temp_repo.h"
#include "tests/objects/test_util.h"

namespace strata {
namespace {

using testing::TempRepo;

// Calls the backend's callbacks as libgit2 does; frees it at the end.
struct Stage {
  struct Library {
    Library() { git_libgit2_init(); }
    ~Library() { git_libgit2_shutdown(); }
  } library;  // first in, last out
  git_odb_backend* b = NewStageBackend().value();
  ~Stage() { b->free(b); }

  void Write(const ObjectId& id, std::string_view data) {
    BOOST_TEST_REQUIRE(b->write(b, AsGit(id), data.data(), data.size(), GIT_OBJECT_BLOB) == 0);
  }
  // The object's data, or nullopt for GIT_ENOTFOUND.
  std::optional<std::string> Read(const ObjectId& id) {
    void* data = nullptr;
    size_t len = 0;
    git_object_t type = GIT_OBJECT_INVALID;
    int rc = b->read(&data, &len, &type, b, AsGit(id));
    if (rc == GIT_ENOTFOUND) return std::nullopt;
    BOOST_TEST_REQUIRE(rc == 0);
    BOOST_TEST(type == GIT_OBJECT_BLOB);
    BOOST_TEST(static_cast<const char*>(data)[len] == '\0');
    std::string out(static_cast<const char*>(data), len);
    git_odb_backend_data_free(b, data);
    return out;
  }
};

ObjectId Id(int i) {
  ObjectId id;
  for (int k = 0; k < 4; ++k) id.bytes[k] = static_cast<unsigned char>(i >> (8 * k));
  id.bytes[19] = 1;
  return id;
}

BOOST_AUTO_TEST_SUITE(objects)
BOOST_AUTO_TEST_SUITE(stage_backend)

BOOST_AUTO_TEST_CASE(objects_read_back_until_reset) {
  Stage s;
  s.Write(Id(1), "one");
  s.Write(Id(2), std::string("t\0o", 3));
  BOOST_TEST(s.Read(Id(1)).value() == "one");
  BOOST_TEST(s.Read(Id(2)).value() == std::string("t\0o", 3));
  size_t len = 0;
  git_object_t type = GIT_OBJECT_INVALID;
  BOOST_TEST(s.b->read_header(&len, &type, s.b, AsGit(Id(2))) == 0);
  BOOST_TEST(len == 3u);
  BOOST_TEST(s.b->exists(s.b, AsGit(Id(1))) == 1);
  // A miss is GIT_ENOTFOUND and sets no error (the next backend is asked).
  git_error_clear();
  BOOST_TEST(!s.Read(Id(3)).has_value());
  BOOST_TEST(s.b->exists(s.b, AsGit(Id(3))) == 0);
  BOOST_TEST(git_error_last() == nullptr);
  ResetStage(s.b);
  BOOST_TEST(StagedObjects(s.b) == 0u);
  BOOST_TEST(!s.Read(Id(1)).has_value());
}

// After a large stage (an import) a reset releases the table, so later
// small writes do not pay for the import's size at each reset.
BOOST_AUTO_TEST_CASE(a_reset_releases_a_large_table) {
  Stage s;
  for (int i = 0; i < 50000; ++i) s.Write(Id(i), "x");
  BOOST_TEST(StagedObjects(s.b) == 50000u);
  BOOST_TEST(StageSlots(s.b) >= 50000u);
  ResetStage(s.b);
  BOOST_TEST(StagedObjects(s.b) == 0u);
  BOOST_TEST(StageSlots(s.b) <= 4096u);
  s.Write(Id(7), "seven");
  BOOST_TEST(s.Read(Id(7)).value() == "seven");
}

// Through the object store: staged objects read back before a flush, and a
// discard forgets them.
BOOST_FIXTURE_TEST_CASE(the_store_reads_staged_objects_back, TempRepo) {
  ObjectId id = store().WriteBlob("staged").value();
  BOOST_TEST(store().ReadBlob(id).value() == "staged");
  store().Discard();
  BOOST_TEST(!store().Exists(id));
  ObjectId kept = store().WriteBlob("kept").value();
  STRATA_CHECK_OK(store().Flush());
  BOOST_TEST(store().ReadBlob(kept).value() == "kept");
}

// An object given by value is kept as it is, not copied (an import's delta
// is tens of MB), and packs and reads back as one given by view.
BOOST_AUTO_TEST_CASE(an_object_given_by_value_is_kept_not_copied) {
  Stage s;
  std::string big(std::size_t{2} << 20, 'x');
  const char* bytes = big.data();
  const ObjectId id = Id(9);
  const std::string& staged = StageObject(s.b, id, std::move(big), GIT_OBJECT_BLOB);
  BOOST_TEST(static_cast<const void*>(staged.data()) == static_cast<const void*>(bytes));
  git_object_t type = GIT_OBJECT_INVALID;
  BOOST_TEST(StagedData(s.b, id, &type) == &staged);
  BOOST_TEST((type == GIT_OBJECT_BLOB));
  BOOST_TEST(s.Read(id).value() == std::string(std::size_t{2} << 20, 'x'));
}

BOOST_FIXTURE_TEST_CASE(the_store_packs_a_blob_given_by_value, TempRepo) {
  for (std::size_t size : {std::size_t{10}, std::size_t{3} << 20}) {
    std::string data(size, 'v');
    const ObjectId by_view = HashObject(data, GIT_OBJECT_BLOB);
    ObjectId id = store().WriteBlob(std::move(data)).value();
    BOOST_TEST(id.Hex() == by_view.Hex());
    BOOST_TEST(store().written_bytes() >= size);
  }
  STRATA_CHECK_OK(store().Flush());
  BOOST_TEST(store().staged_objects() == 0u);
  BOOST_TEST(store().written_objects() == 2u);  // counted across the flush
  BOOST_TEST(store()
                 .ReadBlob(HashObject(std::string(std::size_t{3} << 20, 'v'), GIT_OBJECT_BLOB))
                 .value()
                 .size() == std::size_t{3} << 20);
  std::string output;
  BOOST_TEST(Fsck(output) == 0, output);
}

BOOST_AUTO_TEST_SUITE_END()
BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace strata
