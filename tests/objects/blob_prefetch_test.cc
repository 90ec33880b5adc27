#include "objects/blob_prefetch.h"

#include <boost/test/unit_test.hpp>
#include <string>
#include <thread>
#include <vector>

#include "objects/object_store.h"
#include "objects/sha1.h"
#include "tests/objects/temp_repo.h"
#include "tests/objects/test_util.h"

namespace strata {
namespace {

using testing::TempRepo;

ObjectId Blob(ObjectStore& store, const std::string& text) {
  Result<ObjectId> id = store.WriteBlob(text);
  STRATA_CHECK_OK(id);
  return *id;
}

std::string Text(int i, std::size_t bytes) {
  std::string out = "blob " + std::to_string(i) + " ";
  out.resize(bytes, static_cast<char>('a' + i % 26));
  return out;
}

// Next gives each id's blob in order, `want[i]` (null where it is empty),
// then nothing.
void ExpectBlobs(BlobPrefetch& ahead, const std::vector<std::string>& want) {
  for (std::size_t i = 0; i < want.size(); ++i) {
    std::shared_ptr<const RawObject> blob = ahead.Next();
    if (want[i].empty()) {
      BOOST_TEST(!blob, "id " << i << " is not a packed blob");
    } else {
      BOOST_TEST_REQUIRE(blob, "id " << i);
      BOOST_TEST(blob->type == GIT_OBJECT_BLOB);
      BOOST_TEST(blob->data == want[i], "id " << i);
    }
  }
  BOOST_TEST(!ahead.Next(), "past the last id");
}

BOOST_AUTO_TEST_SUITE(objects)
BOOST_AUTO_TEST_SUITE(blob_prefetch)

// Each id's blob comes back in the order given, read from the packs; what
// the packs do not hold as a blob (an object still staged, a tree, an
// absent id) comes back null, for the caller to read itself, and the order
// holds past it.
BOOST_FIXTURE_TEST_CASE(gives_packed_blobs_in_order_and_null_for_the_rest, TempRepo) {
  std::vector<std::string> texts;
  std::vector<ObjectId> packed;
  for (int i = 0; i < 300; ++i) {
    texts.push_back(Text(i, 100 + i));
    packed.push_back(Blob(store(), texts.back()));
  }
  Result<ObjectId> tree = store().WriteTree({{"a", packed[0], false}});
  STRATA_CHECK_OK(tree);
  STRATA_CHECK_OK(store().Flush());
  const ObjectId staged = Blob(store(), "staged, not packed");
  const ObjectId absent = HashObject("never written", GIT_OBJECT_BLOB);

  // packed[0..99], the three others, packed[100..299] backwards
  std::vector<ObjectId> ids(packed.begin(), packed.begin() + 100);
  std::vector<std::string> want(texts.begin(), texts.begin() + 100);
  ids.insert(ids.end(), {staged, *tree, absent});
  want.insert(want.end(), {"", "", ""});
  for (int i = 299; i >= 100; --i) {
    ids.push_back(packed[i]);
    want.push_back(texts[i]);
  }
  BlobPrefetch ahead(store().objects_dir() + "/pack", ids);
  ExpectBlobs(ahead, want);
}

// Past kRun * (kCallerEvery - 1) ids, every kCallerEvery-th run is read by
// the caller in Next: the blobs still come in the order given, what is not
// a packed blob is null in either lane, and the thread's last id wakes a
// caller that waits for it (the list ends inside the caller's run).
BOOST_FIXTURE_TEST_CASE(the_caller_reads_its_runs_and_the_order_holds, TempRepo) {
  constexpr std::size_t kRun = BlobPrefetch::kRun;
  const std::size_t n = kRun * (BlobPrefetch::kCallerEvery * 2 - 1) + kRun / 2;
  std::vector<std::string> texts;
  std::vector<ObjectId> packed;
  for (std::size_t i = 0; i < n; ++i) {
    texts.push_back(Text(static_cast<int>(i), 60 + i % 200));
    packed.push_back(Blob(store(), texts.back()));
  }
  STRATA_CHECK_OK(store().Flush());
  const ObjectId absent = HashObject("never written", GIT_OBJECT_BLOB);
  std::vector<ObjectId> ids = packed;
  std::vector<std::string> want = texts;
  // One absent id in a run of the thread's, one in a run of the caller's.
  const std::size_t in_thread_run = 3, in_caller_run = kRun * (BlobPrefetch::kCallerEvery - 1) + 5;
  BOOST_TEST_REQUIRE(!BlobPrefetch::ReadByCaller(in_thread_run));
  BOOST_TEST_REQUIRE(BlobPrefetch::ReadByCaller(in_caller_run));
  BOOST_TEST_REQUIRE(BlobPrefetch::ReadByCaller(n - 1));
  for (std::size_t i : {in_thread_run, in_caller_run}) {
    ids[i] = absent;
    want[i].clear();
  }
  BlobPrefetch ahead(store().objects_dir() + "/pack", ids, 8 << 10);
  ExpectBlobs(ahead, want);
  // The window bounds what the thread holds, as with one lane.
  BOOST_TEST(ahead.peak_bytes() <= std::size_t{8 << 10});
}

// The thread stops reading when what it holds would pass the window, and a
// blob larger than the window goes alone. Waiting for it to fill the window
// is bounded by its progress, not by a clock.
BOOST_FIXTURE_TEST_CASE(holds_at_most_its_window, TempRepo) {
  constexpr std::size_t kWindow = 16 << 10;
  std::vector<std::string> texts;
  std::vector<ObjectId> ids;
  for (int i = 0; i < 400; ++i) {
    texts.push_back(Text(i, i % 50 == 7 ? 40 << 10 : 1000));  // a few larger than the window
    ids.push_back(Blob(store(), texts.back()));
  }
  STRATA_CHECK_OK(store().Flush());
  BlobPrefetch ahead(store().objects_dir() + "/pack", ids, kWindow);
  // ids[0..6] are 1,000 bytes, ids[7] 40 KiB: the thread holds the first
  // seven and waits for room.
  while (ahead.peak_bytes() < 7 * 1000) std::this_thread::yield();
  for (std::size_t i = 0; i < ids.size(); ++i) {
    std::shared_ptr<const RawObject> blob = ahead.Next();
    BOOST_TEST_REQUIRE(blob, "id " << i);
    BOOST_TEST(blob->data == texts[i], "id " << i);
  }
  BOOST_TEST(ahead.peak_bytes() <= std::size_t{40 << 10});
  BOOST_TEST(ahead.peak_bytes() >= 7 * 1000u);

  // Of small blobs only, it fills the window and no more.
  std::vector<ObjectId> small;
  for (std::size_t i = 0; i < ids.size(); ++i) {
    if (texts[i].size() == 1000) small.push_back(ids[i]);
  }
  BlobPrefetch filled(store().objects_dir() + "/pack", small, kWindow);
  while (filled.peak_bytes() + 1000 <= kWindow) std::this_thread::yield();
  BOOST_TEST(filled.peak_bytes() <= kWindow);
  for (std::size_t i = 0; i < small.size(); ++i) BOOST_TEST_REQUIRE(filled.Next());
  BOOST_TEST(filled.peak_bytes() <= kWindow);
}

// Destroyed with blobs unread (its thread waiting for room, or reading),
// it stops; with no ids it starts no thread and gives nothing.
BOOST_FIXTURE_TEST_CASE(stops_with_blobs_unread, TempRepo) {
  std::vector<ObjectId> ids;
  for (int i = 0; i < 2000; ++i) ids.push_back(Blob(store(), Text(i, 500)));
  STRATA_CHECK_OK(store().Flush());
  for (std::size_t taken : {0u, 1u, 1500u}) {
    BlobPrefetch ahead(store().objects_dir() + "/pack", ids, 4096);
    for (std::size_t i = 0; i < taken; ++i) BOOST_TEST_REQUIRE(ahead.Next());
  }
  BlobPrefetch none(store().objects_dir() + "/pack", {});
  BOOST_TEST(!none.Next());
  BOOST_TEST(none.peak_bytes() == 0u);
}

BOOST_AUTO_TEST_SUITE_END()
BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace strata
