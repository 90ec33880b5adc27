#include "objects/object_store.h"

#include <git2.h>

#include <algorithm>
#include <boost/test/unit_test.hpp>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "objects/pack_reader.h"
#include "objects/sha1.h"
#include "objects/tree_codec.h"
#include "tests/objects/temp_repo.h"
#include "tests/objects/test_util.h"

namespace strata {
namespace {

using testing::TempRepo;

// A second handle on the repository in `dir`: what another process sees.
struct Reopened {
  explicit Reopened(const std::string& dir) {
    git_repository* raw = nullptr;
    BOOST_TEST_REQUIRE(git_repository_open(&raw, dir.c_str()) == 0);
    repo.reset(raw);
    Result<std::unique_ptr<ObjectStore>> s = ObjectStore::Open(raw);
    STRATA_CHECK_OK(s);
    store = std::move(s).value();
  }
  ~Reopened() { store.reset(); }
  RepositoryPtr repo;
  std::unique_ptr<ObjectStore> store;
};

// The names of the files in objects/pack (packs and indexes; no temporary
// file may stay behind).
std::vector<std::string> PackFiles(const std::string& dir) {
  std::vector<std::string> out;
  for (const auto& e : std::filesystem::directory_iterator(dir + "/objects/pack")) {
    out.push_back(e.path().filename().string());
  }
  return out;
}

// The threads of this process, as the kernel lists them.
std::size_t ThreadCount() {
  std::size_t n = 0;
  for ([[maybe_unused]] const auto& task : std::filesystem::directory_iterator("/proc/self/task")) {
    ++n;
  }
  return n;
}

std::vector<ObjectId> StageBlobs(ObjectStore& store, int n, const std::string& prefix) {
  std::vector<ObjectId> ids;
  for (int i = 0; i < n; ++i) {
    Result<ObjectId> id = store.WriteBlob(prefix + std::to_string(i));
    STRATA_CHECK_OK(id);
    ids.push_back(*id);
  }
  return ids;
}

BOOST_AUTO_TEST_SUITE(objects)
BOOST_AUTO_TEST_SUITE(object_store)

// Object ids come from objects/sha1.h (OpenSSL), not libgit2: they must be
// exactly git's, for every type and size (empty, one block, many blocks).
BOOST_AUTO_TEST_CASE(hash_object_gives_git_ids) {
  for (std::size_t size : {0u, 1u, 55u, 56u, 64u, 1000u, 100000u}) {
    std::string data(size, '\0');
    for (std::size_t i = 0; i < size; ++i) data[i] = static_cast<char>(i * 7 + 3);
    for (git_object_t type : {GIT_OBJECT_BLOB, GIT_OBJECT_TREE, GIT_OBJECT_COMMIT}) {
      git_oid expected;
      BOOST_TEST_REQUIRE(git_odb_hash(&expected, data.data(), data.size(), type) == 0);
      BOOST_TEST(HashObject(data, type).Hex() == FromGit(expected).Hex(), size << " bytes");
    }
  }
}

// The streaming hash (pack and index trailers): FIPS 180's test vectors,
// fed whole and in pieces that straddle the 64-byte blocks.
BOOST_AUTO_TEST_CASE(sha1_streams_in_pieces) {
  auto hex = [](const std::string& digest) {
    ObjectId id;
    BOOST_TEST_REQUIRE(digest.size() == ObjectId::kSize);
    std::memcpy(id.bytes, digest.data(), ObjectId::kSize);
    return id.Hex();
  };
  Sha1 abc;
  abc.Update("abc");
  BOOST_TEST(hex(abc.Finish()) == "a9993e364706816aba3e25717850c26c9cd0d89d");
  const std::string million(1000000, 'a');
  for (std::size_t piece : {1000000u, 1u, 63u, 65u, 4096u}) {
    Sha1 sha;
    for (std::size_t at = 0; at < million.size(); at += piece) {
      sha.Update(std::string_view(million).substr(at, piece));
    }
    BOOST_TEST(hex(sha.Finish()) == "34aa973cd4c4daa4f61eeb2bdbad27316534016f", piece);
  }
}

// A small version's pack (64 objects or fewer) stores its objects under
// 512 bytes (zlib level 0: compressing one costs more than it saves); a
// larger object in it, and every object of a larger pack (an import's),
// are compressed. Told by the packs' sizes: 400 repeated bytes compress to
// a few dozen.
BOOST_FIXTURE_TEST_CASE(small_packs_store_small_objects_and_large_packs_compress, TempRepo) {
  auto new_pack_bytes = [&](int objects, std::size_t size, const std::string& tag) {
    std::set<std::string> before;
    for (const auto& e : std::filesystem::directory_iterator(dir() + "/objects/pack")) {
      before.insert(e.path().string());
    }
    for (int i = 0; i < objects; ++i) {
      STRATA_CHECK_OK(store().WriteBlob(tag + std::to_string(i) + std::string(size, 'x')));
    }
    STRATA_CHECK_OK(store().Flush());
    std::uintmax_t bytes = 0;
    for (const auto& e : std::filesystem::directory_iterator(dir() + "/objects/pack")) {
      if (e.path().extension() == ".pack" && !before.count(e.path().string())) {
        bytes += e.file_size();
      }
    }
    return bytes;
  };
  // Three small objects, stored: each pack entry at least as large as it.
  BOOST_TEST(new_pack_bytes(3, 400, "small ") >= 3u * 400);
  // Three objects of 2,000 bytes, compressed even in a small pack.
  BOOST_TEST(new_pack_bytes(3, 2000, "large ") < 3u * 400);
  // 100 small objects: an import's pack, compressed.
  BOOST_TEST(new_pack_bytes(100, 400, "many ") < 100u * 200);
  for (int i = 0; i < 3; ++i) {
    Result<std::string> blob = store().ReadBlob(
        HashObject("small " + std::to_string(i) + std::string(400, 'x'), GIT_OBJECT_BLOB));
    STRATA_CHECK_OK(blob);
    BOOST_TEST(*blob == "small " + std::to_string(i) + std::string(400, 'x'));
  }
}

BOOST_FIXTURE_TEST_CASE(blobs_and_trees_read_back, TempRepo) {
  ObjectId blob = store().WriteBlob("hello").value();
  BOOST_TEST(blob.Hex() == "b6fc4c620b67d95f953a5c1c1230aaab5db5a1b0");  // git hash-object
  BOOST_TEST(store().ReadBlob(blob).value() == "hello");
  BOOST_TEST(store().BlobSize(blob).value() == 5u);
  std::vector<TreeEntry> entries = {{"b", blob, false}, {"a.b", blob, false}, {"a", blob, true}};
  ObjectId tree = store().WriteTree(entries).value();
  std::vector<TreeEntry> back = store().ReadTree(tree).value();
  // git's order: "a" as a tree sorts as "a/", after "a.b".
  BOOST_TEST_REQUIRE(back.size() == 3u);
  BOOST_TEST(back[0].name == "a.b");
  BOOST_TEST(back[1].name == "a");
  BOOST_TEST(back[1].is_tree);
  BOOST_TEST(back[2].name == "b");
  BOOST_TEST(store().staged_objects() == 2u);
  // "hello", then "100644 a.b\0" id, "40000 a\0" id, "100644 b\0" id.
  BOOST_TEST(store().staged_bytes() == 5u + 31 + 28 + 29);
}

BOOST_FIXTURE_TEST_CASE(tree_index_finds_every_entry_and_names_git_first, TempRepo) {
  ObjectId blob = store().WriteBlob("hello").value();
  ObjectId other = store().WriteBlob("other").value();
  std::vector<TreeEntry> entries = {
      {"b", blob, false}, {"a.b", other, false}, {"a", blob, true}, {"%", other, false}};
  for (int i = 0; i < 600; ++i) entries.push_back({"k" + std::to_string(i), blob, false});
  ObjectId tree = store().WriteTree(entries).value();
  std::shared_ptr<const TreeIndex> index = store().IndexTree(tree).value();
  BOOST_TEST(index->size() == entries.size());
  // git's first entry: "%" sorts before "a.b" ("a", a tree, sorts as "a/").
  BOOST_TEST(index->first_name() == "%");
  for (const TreeEntry& e : entries) {
    const TreeIndex::Entry* hit = index->Find(e.name);
    BOOST_TEST_REQUIRE(hit != nullptr, e.name);
    BOOST_TEST(hit->id.Hex() == e.id.Hex(), e.name);
    BOOST_TEST(hit->is_tree == e.is_tree, e.name);
  }
  for (std::string absent : {"", "a/", "a.", "k600", "k-1", "c", "%%"}) {
    BOOST_TEST(index->Find(absent) == nullptr, absent);
  }
  // The same tree again comes from the cache.
  BOOST_TEST(store().IndexTree(tree).value().get() == index.get());
}

BOOST_FIXTURE_TEST_CASE(tree_index_cache_is_bounded_and_forgets_discarded_trees, TempRepo) {
  ObjectId blob = store().WriteBlob("x").value();
  std::vector<ObjectId> trees;
  for (int t = 0; t < 40; ++t) {
    std::vector<TreeEntry> entries;
    for (int i = 0; i < 100; ++i)
      entries.push_back({"t" + std::to_string(t) + "-" + std::to_string(i), blob, false});
    trees.push_back(store().WriteTree(entries).value());
  }
  STRATA_CHECK_OK(store().Flush());
  store().set_tree_index_cache_bytes(40 * 1024);
  for (const ObjectId& t : trees) STRATA_CHECK_OK(store().IndexTree(t));
  const std::size_t cached = store().cached_tree_indexes();
  BOOST_TEST(cached >= 1u);
  BOOST_TEST(cached < trees.size());
  // Evicted or not, every lookup answers from the tree itself.
  for (int t = 0; t < 40; ++t) {
    auto index = store().IndexTree(trees[t]).value();
    BOOST_TEST(index->Find("t" + std::to_string(t) + "-99") != nullptr);
    BOOST_TEST(index->Find("t" + std::to_string(t) + "-100") == nullptr);
  }
  // A staged tree, indexed, then discarded: its index goes with it.
  ObjectId staged = store().WriteTree({{"only-staged", blob, false}}).value();
  STRATA_CHECK_OK(store().IndexTree(staged));
  store().Discard();
  BOOST_TEST(store().cached_tree_indexes() == 0u);
}

// Flush stores what was staged: the indexes of its trees stay true and stay
// cached, so the next write on the same paths reads nothing again.
BOOST_FIXTURE_TEST_CASE(tree_indexes_stay_cached_across_a_flush, TempRepo) {
  ObjectId blob = store().WriteBlob("x").value();
  ObjectId tree = store().WriteTree({{"a", blob, false}}).value();
  std::shared_ptr<const TreeIndex> index = store().IndexTree(tree).value();
  BOOST_TEST(store().cached_tree_indexes() == 1u);
  STRATA_CHECK_OK(store().Flush());
  BOOST_TEST(store().cached_tree_indexes() == 1u);
  BOOST_TEST(store().IndexTree(tree).value().get() == index.get());
  BOOST_TEST(store().Exists(tree));
}

BOOST_FIXTURE_TEST_CASE(tree_order_matches_libgit2, TempRepo) {
  ObjectId blob = store().WriteBlob("x").value();
  std::vector<std::string> names = {"a", "a.b", "a-b", "a0", "b", "%", "%2E", "A", "ab", "a~"};
  std::vector<TreeEntry> entries;
  git_treebuilder* raw = nullptr;
  BOOST_TEST_REQUIRE(git_treebuilder_new(&raw, repo(), nullptr) == 0);
  for (std::size_t i = 0; i < names.size(); ++i) {
    bool is_tree = i % 2 == 0;
    ObjectId id = is_tree ? store().WriteTree({}).value() : blob;
    entries.push_back({names[i], id, is_tree});
    BOOST_TEST_REQUIRE(git_treebuilder_insert(nullptr, raw, names[i].c_str(), AsGit(id),
                                              is_tree ? GIT_FILEMODE_TREE : GIT_FILEMODE_BLOB) ==
                       0);
  }
  git_oid expected;
  BOOST_TEST_REQUIRE(git_treebuilder_write(&expected, raw) == 0);
  git_treebuilder_free(raw);
  BOOST_TEST(store().WriteTree(entries).value().Hex() == FromGit(expected).Hex());
}

BOOST_FIXTURE_TEST_CASE(wrong_types_and_missing_objects, TempRepo) {
  ObjectId blob = store().WriteBlob("b").value();
  ObjectId tree = store().WriteTree({{"x", blob, false}}).value();
  BOOST_TEST((store().ReadTree(blob).status().code() == Code::kCorruption));
  BOOST_TEST((store().ReadBlob(tree).status().code() == Code::kCorruption));
  BOOST_TEST((store().BlobSize(tree).status().code() == Code::kCorruption));
  ObjectId missing;
  BOOST_TEST_REQUIRE(git_oid_fromstr(AsGit(missing), "0123456789012345678901234567890123456789") ==
                     0);
  BOOST_TEST((store().ReadBlob(missing).status().code() == Code::kNotFound));
  BOOST_TEST((store().ReadTree(missing).status().code() == Code::kNotFound));
  BOOST_TEST(!store().Exists(missing));
  BOOST_TEST(store().Exists(tree));
}

BOOST_FIXTURE_TEST_CASE(writing_an_object_twice_stages_it_once, TempRepo) {
  ObjectId a = store().WriteBlob("same").value();
  ObjectId b = store().WriteBlob("same").value();
  BOOST_TEST(a.Hex() == b.Hex());
  BOOST_TEST(store().staged_objects() == 1u);
  STRATA_CHECK_OK(store().Flush());
  BOOST_TEST(store().staged_objects() == 0u);
  store().WriteBlob("same").value();
  BOOST_TEST(store().staged_objects() == 0u);  // already on disk
}

BOOST_FIXTURE_TEST_CASE(discard_forgets_staged_objects, TempRepo) {
  ObjectId id = store().WriteBlob("temporary").value();
  BOOST_TEST(store().Exists(id));
  store().Discard();
  BOOST_TEST(store().staged_objects() == 0u);
  BOOST_TEST(store().staged_bytes() == 0u);
  BOOST_TEST(!store().Exists(id));
  STRATA_CHECK_OK(store().Flush());
  Reopened other(dir());
  BOOST_TEST(!other.store->Exists(id));
}

BOOST_FIXTURE_TEST_CASE(nothing_reaches_the_disk_before_flush, TempRepo) {
  std::vector<ObjectId> ids = StageBlobs(store(), 3, "early");
  Reopened other(dir());
  for (const ObjectId& id : ids) BOOST_TEST(!other.store->Exists(id));
}

// Every staged object (trees and blobs with no commit) is on disk
// afterwards, in one new pack per Flush.
BOOST_FIXTURE_TEST_CASE(flush_writes_every_staged_object, TempRepo) {
  int packs = 0;
  for (int n : {1, 64, 65, 700}) {
    BOOST_TEST_CONTEXT(n << " objects") {
      std::vector<ObjectId> ids = StageBlobs(store(), n, "flush" + std::to_string(n) + "-");
      std::vector<TreeEntry> entries;
      for (std::size_t i = 0; i < ids.size(); ++i) {
        entries.push_back({"e" + std::to_string(i), ids[i], false});
      }
      ObjectId tree = store().WriteTree(entries).value();
      STRATA_CHECK_OK(store().Flush());
      BOOST_TEST(store().staged_objects() == 0u);
      Reopened other(dir());
      for (int i = 0; i < n; ++i) {
        Result<std::string> data = other.store->ReadBlob(ids[static_cast<std::size_t>(i)]);
        STRATA_CHECK_OK(data);
        BOOST_TEST(*data == "flush" + std::to_string(n) + "-" + std::to_string(i));
      }
      BOOST_TEST(other.store->ReadTree(tree).value().size() == static_cast<std::size_t>(n));
      ++packs;
      BOOST_TEST(PackFiles(dir()).size() == static_cast<std::size_t>(2 * packs));  // .pack and .idx
      BOOST_TEST(store().ListLoose().value().empty());
    }
  }
  std::string output;
  BOOST_TEST(Fsck(output) == 0, output);
}

// Regression: with more than 64 objects, Flush packed only what
// staged commits reach, so a state's trees and blobs were silently lost.
BOOST_FIXTURE_TEST_CASE(a_flushed_state_reads_back_from_disk, TempRepo) {
  testing::RandomJson gen(5);
  json::object state;
  for (int i = 0; i < 300; ++i) state["doc" + std::to_string(i)] = gen.AnyValue();
  Result<ObjectId> id = EncodeState(store(), state);
  STRATA_CHECK_OK(id);
  BOOST_TEST(store().staged_objects() > 64u);
  STRATA_CHECK_OK(store().Flush());
  Reopened other(dir());
  Result<json::value> back = DecodeValue(*other.store, ValueRef{*id, true});
  STRATA_CHECK_OK(back);
  BOOST_TEST(Equal(*back, json::value(state)));
  std::string output;
  BOOST_TEST(Fsck(output) == 0, output);
}

// The index of a small pack is not fsynced (only the pack and the folder
// are): a power loss may leave it empty, short or zeroed while a ref names
// its objects. Opening the store rebuilds it from the pack, byte for byte.
BOOST_FIXTURE_TEST_CASE(a_torn_small_pack_index_is_rebuilt_at_open, TempRepo) {
  struct Case {
    const char* name;
    std::function<void(const std::string& idx, std::string whole)> tear;
  };
  auto write = [](const std::string& path, const std::string& bytes) {
    std::filesystem::permissions(path, std::filesystem::perms::owner_write,
                                 std::filesystem::perm_options::add);
    std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
  };
  const std::vector<Case> cases = {
      {"empty", [&](const std::string& idx, std::string) { write(idx, ""); }},
      {"short", [&](const std::string& idx, std::string w) { write(idx, w.substr(0, 1100)); }},
      {"zeros",
       [&](const std::string& idx, std::string w) { write(idx, std::string(w.size(), '\0')); }},
      {"one byte flipped",
       [&](const std::string& idx, std::string w) {
         w[1100] ^= 1;
         write(idx, w);
       }},
  };
  int round = 0;
  for (const Case& c : cases) {
    BOOST_TEST_CONTEXT(c.name) {
      std::vector<ObjectId> ids = StageBlobs(store(), 7, "torn " + std::to_string(round++) + " ");
      ids.push_back(store().WriteBlob("").value());  // an empty object re-indexes too
      STRATA_CHECK_OK(store().Flush());
      std::string idx_path;
      for (const auto& e : std::filesystem::directory_iterator(dir() + "/objects/pack")) {
        if (e.path().extension() != ".idx") continue;
        std::ifstream in(e.path(), std::ios::binary);
        std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        // The newest pack: the one holding ids[0].
        if (bytes.find(std::string(reinterpret_cast<const char*>(ids[0].bytes), 20)) !=
            std::string::npos) {
          idx_path = e.path().string();
        }
      }
      BOOST_TEST_REQUIRE(!idx_path.empty());
      std::ifstream in(idx_path, std::ios::binary);
      const std::string whole((std::istreambuf_iterator<char>(in)),
                              std::istreambuf_iterator<char>());
      BOOST_TEST_REQUIRE(whole.size() <= static_cast<std::size_t>(ObjectStore::kUnsyncedIndexMax));
      c.tear(idx_path, whole);

      Reopened other(dir());
      for (const ObjectId& id : ids) BOOST_TEST(other.store->ReadBlob(id).ok(), id.Hex());
      std::ifstream again(idx_path, std::ios::binary);
      const std::string rebuilt((std::istreambuf_iterator<char>(again)),
                                std::istreambuf_iterator<char>());
      BOOST_TEST((rebuilt == whole));
      BOOST_TEST(PackFiles(dir()).size() % 2 == 0u);  // no temporary file left
    }
  }
}

// The pack a Flush writes: its bytes, from the one pack in objects/pack.
std::string OnlyPack(const std::string& dir) {
  std::string found;
  for (const auto& e : std::filesystem::directory_iterator(dir + "/objects/pack")) {
    if (e.path().extension() == ".pack") {
      BOOST_TEST_REQUIRE(found.empty());
      found = e.path().string();
    }
  }
  BOOST_TEST_REQUIRE(!found.empty());
  std::ifstream in(found, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// Small blobs, blobs larger than the small deflate window, trees, and
// objects larger than the worker copies (compressed by Flush in their
// place), staged the same way in two stores.
std::vector<ObjectId> StageMixed(ObjectStore& store) {
  std::vector<ObjectId> ids;
  std::vector<TreeEntry> entries;
  for (int i = 0; i < 300; ++i) {
    std::string data = "blob " + std::to_string(i) + std::string(static_cast<std::size_t>(i), 'x');
    if (i == 100 || i == 200) data.append(std::size_t{3} << 20, static_cast<char>('a' + i % 7));
    if (i % 30 == 7) data.append(std::size_t{10000} + i, 'y');  // past the small window
    Result<ObjectId> id = store.WriteBlob(data);
    STRATA_CHECK_OK(id);
    ids.push_back(*id);
    entries.push_back({"e" + std::to_string(i), *id, false});
    if (i % 50 == 49) STRATA_CHECK_OK(store.WriteTree(entries));
  }
  return ids;
}

// The worker thread must not change a byte of the pack: the entries are
// the serial writer's, in the same order.
BOOST_AUTO_TEST_CASE(parallel_compression_writes_the_serial_pack) {
  TempRepo serial, parallel;
  serial.store().set_parallel_compression(false);
  StageMixed(serial.store());
  const std::size_t threads = ThreadCount();
  std::vector<ObjectId> ids = StageMixed(parallel.store());
  BOOST_TEST(ThreadCount() == threads + 1);  // the worker took over, the first objects handed over
  BOOST_TEST(serial.store().staged_objects() == parallel.store().staged_objects());
  STRATA_CHECK_OK(serial.store().Flush());
  STRATA_CHECK_OK(parallel.store().Flush());
  BOOST_TEST((PackFiles(serial.dir()) == PackFiles(parallel.dir())));  // same checksum
  BOOST_TEST((OnlyPack(serial.dir()) == OnlyPack(parallel.dir())));
  std::string output;
  BOOST_TEST(parallel.Fsck(output) == 0, output);
  Reopened other(parallel.dir());
  for (std::size_t i : {0, 100, 101, 299}) {
    Result<std::string> data = other.store->ReadBlob(ids[i]);
    STRATA_CHECK_OK(data);
    BOOST_TEST(data->rfind("blob " + std::to_string(i), 0) == 0u);
  }
}

// A version's delta is a zstd frame, an import's megabytes of one: zlib
// would spend time on it for nothing, so the pack stores it (zlib data at
// level 0). Anything else is compressed. Both compressors (the worker for
// objects up to 1 MiB, Flush for larger ones) read back, and git agrees.
BOOST_FIXTURE_TEST_CASE(zstd_frames_are_stored_in_packs_not_compressed_again, TempRepo) {
  const std::string magic = "\x28\xb5\x2f\xfd";
  // Compressible bytes after the magic number show whether zlib ran.
  const std::string large = magic + std::string(std::size_t{3} << 20, 'a');
  const std::string mid = magic + std::string(100000, 'b');
  const std::string small = magic + std::string(3000, 'c');  // the small-window stream
  const std::string plain(std::size_t{3} << 20, 'd');
  std::vector<ObjectId> ids = StageBlobs(store(), 200, "many-");  // starts the worker
  for (const std::string* data : {&large, &mid, &small, &plain}) {
    ids.push_back(store().WriteBlob(*data).value());
  }
  STRATA_CHECK_OK(store().Flush());
  const std::string pack = OnlyPack(dir());
  BOOST_TEST(pack.size() > large.size() + mid.size());
  BOOST_TEST(pack.size() < large.size() + mid.size() + 100000);  // `plain` and `small` shrank
  Reopened other(dir());
  const std::vector<const std::string*> datas{&large, &mid, &small, &plain};
  for (std::size_t i = 0; i < datas.size(); ++i) {
    BOOST_TEST((other.store->ReadBlob(ids[200 + i]).value() == *datas[i]));
  }
  std::string output;
  BOOST_TEST(Fsck(output) == 0, output);
}

// WriteBlobFile stores a file's bytes as a blob of a pack of its own, read
// a buffer at a time: git's id, the bytes back in another process, a zstd
// frame stored rather than deflated again, nothing written twice, and the
// empty file and a file larger than one buffer alike.
BOOST_FIXTURE_TEST_CASE(a_blob_written_from_a_file_is_git_blob_in_a_pack, TempRepo) {
  const std::string magic = "\x28\xb5\x2f\xfd";
  std::string mixed((std::size_t{3} << 20) + 12345, '\0');
  for (std::size_t i = 0; i < mixed.size(); ++i) mixed[i] = static_cast<char>((i * 31) >> 7);
  const std::vector<std::string> contents = {
      "", "small", magic + std::string((std::size_t{2} << 20) + 7, 'z'), mixed};
  for (std::size_t i = 0; i < contents.size(); ++i) {
    BOOST_TEST_CONTEXT("content " << i << ", " << contents[i].size() << " bytes") {
      std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(std::tmpfile(), std::fclose);
      BOOST_TEST_REQUIRE(file != nullptr);
      BOOST_TEST_REQUIRE(std::fwrite(contents[i].data(), 1, contents[i].size(), file.get()) ==
                         contents[i].size());
      const std::vector<std::string> before = PackFiles(dir());
      const std::uint64_t objects = store().written_objects();
      Result<ObjectId> id = store().WriteBlobFile(file.get());
      STRATA_CHECK_OK(id);
      BOOST_TEST(id->Hex() == HashObject(contents[i], GIT_OBJECT_BLOB).Hex());
      BOOST_TEST(store().written_objects() == objects + 1);
      BOOST_TEST(store().staged_objects() == 0u);
      // Its .pack and .idx, and no temporary file.
      std::vector<std::string> added;
      for (const std::string& name : PackFiles(dir())) {
        if (std::find(before.begin(), before.end(), name) == before.end()) added.push_back(name);
      }
      std::sort(added.begin(), added.end());
      BOOST_TEST_REQUIRE(added.size() == 2u);
      BOOST_TEST_REQUIRE(added[1].ends_with(".pack"));
      const auto pack_size = std::filesystem::file_size(dir() + "/objects/pack/" + added[1]);
      if (i == 2) {
        BOOST_TEST(pack_size > contents[i].size());  // the zstd frame stored, not deflated
      } else if (i == 3) {
        BOOST_TEST(pack_size < contents[i].size() / 4);  // the rest deflated
      }
      BOOST_TEST(store().ReadBlob(*id).value() == contents[i]);
      Reopened other(dir());
      BOOST_TEST(other.store->ReadBlob(*id).value() == contents[i]);
      // Stored already: no second pack.
      BOOST_TEST(store().WriteBlobFile(file.get()).value().Hex() == id->Hex());
      BOOST_TEST(store().written_objects() == objects + 1);
      BOOST_TEST(PackFiles(dir()).size() == before.size() + 2);
    }
  }
  std::string output;
  BOOST_TEST(Fsck(output) == 0, output);
}

// A flush threshold bounds a long write's batch, and the bound grows with
// the write: kFirstFlushBytes first, then a quarter of what the write has
// flushed, never past the threshold. So a small import holds a small batch
// beside its input, and a large one the whole threshold.
BOOST_FIXTURE_TEST_CASE(a_flush_threshold_grows_with_the_write, TempRepo) {
  // The objects each pack holds, from its index's fan-out table, smallest first.
  auto pack_sizes = [&] {
    std::vector<std::uint32_t> sizes;
    for (const std::string& name : PackFiles(dir())) {
      if (!name.ends_with(".idx")) continue;
      std::ifstream in(dir() + "/objects/pack/" + name, std::ios::binary);
      std::string head(8 + 256 * 4, '\0');
      in.read(head.data(), static_cast<std::streamsize>(head.size()));
      const auto* b = reinterpret_cast<const unsigned char*>(head.data()) + 8 + 255 * 4;
      sizes.push_back(std::uint32_t{b[0]} << 24 | std::uint32_t{b[1]} << 16 |
                      std::uint32_t{b[2]} << 8 | b[3]);
    }
    std::sort(sizes.begin(), sizes.end());
    return sizes;
  };
  // Blobs of 64 KiB, without the worker (which halves the bound: it holds
  // the compressed entries too), so the bound is counted in whole blobs.
  store().set_parallel_compression(false);
  constexpr std::size_t kBlob = std::size_t{64} << 10;
  static_assert(ObjectStore::kFirstFlushBytes == 128 * kBlob);
  auto stage = [&](int from, int count) {
    for (int i = from; i < from + count; ++i) {
      std::string data(kBlob, 'x');
      const std::string tag = std::to_string(i) + "-";
      data.replace(0, tag.size(), tag);
      STRATA_CHECK_OK(store().WriteBlob(std::move(data)));
    }
  };
  store().set_flush_threshold(std::uint64_t{64} << 20);
  stage(0, 1280);  // 80 MiB
  STRATA_CHECK_OK(store().Flush());
  // 8 MiB batches until 32 MiB are written; then 10 MiB (a quarter of 40),
  // 12.5 MiB, 15.6 MiB; the last 30 blobs at the end.
  BOOST_TEST(
      (pack_sizes() == std::vector<std::uint32_t>{30, 128, 128, 128, 128, 128, 160, 200, 250}));
  // The threshold caps the bound; a new threshold starts again from the first batch.
  for (const std::string& name : PackFiles(dir())) {
    std::filesystem::remove(dir() + "/objects/pack/" + name);
  }
  STRATA_CHECK_OK(store().RefreshPacks());
  // 9 MiB: 144 blobs. Five batches of 8 MiB (a quarter of 32 MiB is 8), then 9.
  store().set_flush_threshold(std::uint64_t{9} << 20);
  stage(2000, 1000);
  STRATA_CHECK_OK(store().Flush());
  BOOST_TEST((pack_sizes() == std::vector<std::uint32_t>{72, 128, 128, 128, 128, 128, 144, 144}));
  store().set_flush_threshold(0);
}

// A command that only reads starts no thread, nor does a small write: the
// worker starts once a write stages kParallelCompressionObjects objects
// (and is handed those first), and stops once the write is flushed or
// discarded, so between writes the process has no other thread.
BOOST_FIXTURE_TEST_CASE(the_compression_worker_lives_as_long_as_a_large_write, TempRepo) {
  const int start = static_cast<int>(ObjectStore::kParallelCompressionObjects);
  std::vector<ObjectId> ids = StageBlobs(store(), 3, "first");
  STRATA_CHECK_OK(store().Flush());
  const std::size_t before = ThreadCount();
  Reopened reader(dir());
  BOOST_TEST(reader.store->Exists(ids[0]));
  STRATA_CHECK_OK(reader.store->ReadBlob(ids[1]));
  BOOST_TEST(ThreadCount() == before);
  StageBlobs(*reader.store, start - 1, "second");
  BOOST_TEST(ThreadCount() == before);
  std::vector<ObjectId> last = StageBlobs(*reader.store, 1, "last");
  BOOST_TEST(ThreadCount() == before + 1);
  STRATA_CHECK_OK(reader.store->Flush());
  BOOST_TEST(ThreadCount() == before);
  Reopened other(dir());
  STRATA_CHECK_OK(other.store->ReadBlob(last[0]));
  StageBlobs(*reader.store, start, "third");
  BOOST_TEST(ThreadCount() == before + 1);
  reader.store->Discard();
  BOOST_TEST(ThreadCount() == before);
}

// Flips one bit of the byte at `offset` of the read-only file `path` (a pack).
void FlipByte(const std::string& path, std::streamoff offset) {
  std::filesystem::permissions(path, std::filesystem::perms::owner_write,
                               std::filesystem::perm_options::add);
  std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
  f.seekg(offset);
  char c = 0;
  f.read(&c, 1);
  c = static_cast<char>(c ^ 0x20);
  f.seekp(offset);
  f.write(&c, 1);
}

// The packs in objects/pack, as paths without ".pack", in name order.
std::vector<std::string> PackBases(const std::string& dir) {
  std::vector<std::string> out;
  for (const std::string& name : PackFiles(dir)) {
    if (name.size() > 5 && name.compare(name.size() - 5, 5, ".pack") == 0) {
      out.push_back(dir + "/objects/pack/" + name.substr(0, name.size() - 5));
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

// A pack of `blobs` written by libgit2's packbuilder, which stores similar
// blobs as deltas of each other (OFS_DELTA entries).
void WriteDeltaPack(git_repository* repo, const std::string& dir,
                    const std::vector<ObjectId>& blobs) {
  git_packbuilder* raw = nullptr;
  BOOST_TEST_REQUIRE(git_packbuilder_new(&raw, repo) == 0);
  std::unique_ptr<git_packbuilder, void (*)(git_packbuilder*)> pb(raw, git_packbuilder_free);
  for (const ObjectId& id : blobs) {
    BOOST_TEST_REQUIRE(git_packbuilder_insert(pb.get(), AsGit(id), nullptr) == 0);
  }
  BOOST_TEST_REQUIRE(
      git_packbuilder_write(pb.get(), (dir + "/objects/pack").c_str(), 0, nullptr, nullptr) == 0);
}

// Similar blobs of a few KiB: deltas of each other in a packbuilder's pack.
std::vector<ObjectId> StageSimilarBlobs(ObjectStore& store, int n, const std::string& prefix) {
  std::vector<ObjectId> ids;
  std::string base;
  for (int line = 0; line < 200; ++line) base += "line " + std::to_string(line) + " of a config\n";
  for (int i = 0; i < n; ++i) {
    Result<ObjectId> id = store.WriteBlob(base + prefix + std::to_string(i) + "\n");
    STRATA_CHECK_OK(id);
    ids.push_back(*id);
  }
  return ids;
}

// Automatic gc rolls small packs into one by copying their entries: every
// object reads back from the combined pack alone (deltas included: a
// packbuilder's pack keeps its bases), git fsck accepts it, and the packs
// given stay until the caller removes them.
BOOST_FIXTURE_TEST_CASE(combined_packs_hold_every_object_as_it_was, TempRepo) {
  std::vector<ObjectId> ids = StageBlobs(store(), 5, "first");
  STRATA_CHECK_OK(store().Flush());
  std::vector<ObjectId> similar = StageSimilarBlobs(store(), 6, "similar");
  STRATA_CHECK_OK(store().Flush());
  std::vector<ObjectId> more = StageBlobs(store(), 3, "third");
  STRATA_CHECK_OK(store().Flush());
  ids.insert(ids.end(), more.begin(), more.end());
  // The similar blobs again, as deltas, in a pack of their own; the pack of
  // whole ones goes, so only deltas hold them.
  std::vector<std::string> before = PackBases(dir());
  BOOST_TEST_REQUIRE(before.size() == 3u);
  WriteDeltaPack(repo(), dir(), similar);
  std::vector<std::string> after = PackBases(dir());
  BOOST_TEST_REQUIRE(after.size() == 4u);
  std::string delta_pack;
  for (const std::string& b : after) {
    if (std::find(before.begin(), before.end(), b) == before.end()) delta_pack = b;
  }
  // The first three: the one whose index lists six objects held the
  // similar blobs whole.
  std::string whole_similar;
  for (const std::string& b : before) {
    if (std::filesystem::file_size(b + ".idx") == 8 + 1024 + 6 * 28 + 40) whole_similar = b;
  }
  BOOST_TEST_REQUIRE(!whole_similar.empty());
  const std::string deltas =
      "git verify-pack -v '" + delta_pack + ".idx' | awk 'NF == 7 && $2 == \"blob\"' | grep -q .";
  BOOST_TEST_REQUIRE(std::system(deltas.c_str()) == 0, "the packbuilder stored no delta");
  std::filesystem::remove(whole_similar + ".pack");
  std::filesystem::remove(whole_similar + ".idx");
  std::vector<std::string> sources;
  for (const std::string& b : PackBases(dir())) sources.push_back(b);
  Result<std::optional<ObjectStore::CombinedPack>> combined =
      ObjectStore::CombinePacks(dir() + "/objects", sources);
  STRATA_CHECK_OK(combined);
  BOOST_TEST_REQUIRE(combined->has_value());
  BOOST_TEST((*combined)->objects == ids.size() + similar.size());
  for (const std::string& b : sources) BOOST_TEST(std::filesystem::exists(b + ".pack"));
  for (const std::string& b : sources) {
    std::filesystem::remove(b + ".idx");
    std::filesystem::remove(b + ".pack");
  }
  BOOST_TEST(PackBases(dir()) == std::vector<std::string>{(*combined)->base});
  std::string output;
  BOOST_TEST(Fsck(output) == 0, output);
  Reopened other(dir());
  for (const ObjectId& id : ids) STRATA_CHECK_OK(other.store->ReadBlob(id));
  for (std::size_t i = 0; i < similar.size(); ++i) {
    Result<std::string> data = other.store->ReadBlob(similar[i]);
    STRATA_CHECK_OK(data);
    BOOST_TEST(data->size() > 2000u);
    BOOST_TEST(data->find("similar" + std::to_string(i) + "\n") != std::string::npos);
  }
}

// The entry types of the pack `base`.pack, by its index (pack-format.txt).
std::multiset<unsigned> EntryTypes(const std::string& base) {
  Result<SourcePack> pack = ReadSourcePack(base);
  STRATA_CHECK_OK(pack);
  std::ifstream in(base + ".pack", std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::multiset<unsigned> types;
  for (const PackedEntry& e : pack->entries) {
    EntryHeader h;
    BOOST_TEST_REQUIRE(
        ParseEntryHeader(reinterpret_cast<const unsigned char*>(bytes.data()) + e.offset,
                         bytes.size() - e.offset, h));
    types.insert(h.type);
  }
  return types;
}

// Descriptors this process holds open on files whose names end in `suffix`.
std::size_t OpenFilesEndingIn(const std::string& suffix) {
  std::size_t n = 0;
  for (const auto& fd : std::filesystem::directory_iterator("/proc/self/fd")) {
    std::error_code ec;
    const std::string target = std::filesystem::read_symlink(fd.path(), ec).string();
    if (!ec && target.size() >= suffix.size() &&
        target.compare(target.size() - suffix.size(), suffix.size(), suffix) == 0) {
      ++n;
    }
  }
  return n;
}

// Reads go straight to the packs through the indexes the store has read
// (objects/pack_backend.h): every object of a pack git wrote with deltas
// reads back byte for byte, whether its deltas name their bases by offset
// (OFS_DELTA) or by id (REF_DELTA, `--no-delta-base-offset`), and no
// descriptor stays open on a pack (libgit2's backend keeps one a pack).
BOOST_FIXTURE_TEST_CASE(objects_read_straight_from_packs_of_either_kind_of_delta, TempRepo) {
  std::vector<ObjectId> similar = StageSimilarBlobs(store(), 12, "similar");
  STRATA_CHECK_OK(store().Flush());
  std::vector<std::string> expected;
  for (const ObjectId& id : similar) {
    Result<std::string> data = store().ReadBlob(id);
    STRATA_CHECK_OK(data);
    expected.push_back(*data);
  }
  const std::vector<std::string> whole = PackBases(dir());
  BOOST_TEST_REQUIRE(whole.size() == 1u);
  namespace fs = std::filesystem;
  for (const char* ext : {".pack", ".idx"}) fs::copy_file(whole[0] + ext, dir() + "/whole" + ext);
  std::string list;
  for (const ObjectId& id : similar) list += id.Hex() + "\n";
  std::ofstream(dir() + "/ids") << list;
  for (const char* kind : {"--delta-base-offset", "--no-delta-base-offset"}) {
    BOOST_TEST_CONTEXT(kind) {
      // git reads strata's pack of whole objects and writes one of deltas,
      // which then replaces it.
      for (const std::string& b : PackBases(dir())) {
        fs::remove(b + ".pack");
        fs::remove(b + ".idx");
      }
      for (const char* ext : {".pack", ".idx"})
        fs::copy_file(dir() + "/whole" + ext, whole[0] + ext);
      // Written aside: git may name its pack as strata named the other
      // (both hash the same objects).
      fs::remove_all(dir() + "/aside");
      fs::create_directory(dir() + "/aside");
      const std::string pack_objects = "git --git-dir='" + dir() + "' pack-objects -q " + kind +
                                       " --no-reuse-object --window=20 --depth=50 '" + dir() +
                                       "/aside/pack' <'" + dir() + "/ids' >/dev/null";
      BOOST_TEST_REQUIRE(std::system(pack_objects.c_str()) == 0);
      fs::remove(whole[0] + ".pack");
      fs::remove(whole[0] + ".idx");
      for (const auto& f : fs::directory_iterator(dir() + "/aside")) {
        fs::rename(f.path(), dir() + "/objects/pack/" + f.path().filename().string());
      }
      const std::vector<std::string> packs = PackBases(dir());
      BOOST_TEST_REQUIRE(packs.size() == 1u);
      const std::multiset<unsigned> types = EntryTypes(packs[0]);
      const unsigned delta = std::string(kind) == "--delta-base-offset" ? kOfsDelta : kRefDelta;
      BOOST_TEST(types.count(delta) >= 6u, "deltas of the kind asked for: " << types.count(delta));
      Reopened other(dir());
      for (std::size_t i = 0; i < similar.size(); ++i) {
        Result<std::string> data = other.store->ReadBlob(similar[i]);
        STRATA_CHECK_OK(data);
        BOOST_TEST((data.ok() && *data == expected[i]), "blob " << i);
      }
      BOOST_TEST(OpenFilesEndingIn(".pack") == 0u);
      BOOST_TEST(OpenFilesEndingIn(".idx") == 0u);
    }
  }
}

// An index lists an id once: packs that share an object are not combined
// (nullopt), and a pack whose bytes do not match its checksum is refused
// without leaving a file behind.
BOOST_FIXTURE_TEST_CASE(combining_refuses_shared_objects_and_damaged_packs, TempRepo) {
  StageBlobs(store(), 4, "a");
  STRATA_CHECK_OK(store().Flush());
  StageBlobs(store(), 4, "b");
  STRATA_CHECK_OK(store().Flush());
  const std::vector<std::string> two = PackBases(dir());
  BOOST_TEST_REQUIRE(two.size() == 2u);
  // Four of them again, in a third pack.
  std::vector<ObjectId> shared;
  for (int i = 0; i < 4; ++i)
    shared.push_back(HashObject("a" + std::to_string(i), GIT_OBJECT_BLOB));
  WriteDeltaPack(repo(), dir(), shared);
  const std::vector<std::string> three = PackBases(dir());
  BOOST_TEST_REQUIRE(three.size() == 3u);
  Result<std::optional<ObjectStore::CombinedPack>> dup =
      ObjectStore::CombinePacks(dir() + "/objects", three);
  STRATA_CHECK_OK(dup);
  BOOST_TEST(!dup->has_value());
  BOOST_TEST(PackFiles(dir()).size() == 6u);

  // One byte of the first pack's body flipped: refused, nothing written.
  const std::string victim = two[0] + ".pack";
  FlipByte(victim, 14);
  Result<std::optional<ObjectStore::CombinedPack>> bad =
      ObjectStore::CombinePacks(dir() + "/objects", two);
  BOOST_TEST((bad.status().code() == Code::kCorruption), bad.status().message());
  BOOST_TEST(bad.status().message().find(victim) != std::string::npos, bad.status().message());
  BOOST_TEST(PackFiles(dir()).size() == 6u);
}

// Two packs: `n_plain` small blobs whole, and `n_similar` similar blobs
// as deltas of each other (written whole first, then again by the
// packbuilder, and the whole ones' pack removed).
void PackPlainAndDeltas(TempRepo& t, int n_plain, int n_similar, std::vector<ObjectId>& plain,
                        std::vector<ObjectId>& similar) {
  plain = StageBlobs(t.store(), n_plain, "plain");
  STRATA_CHECK_OK(t.store().Flush());
  similar = StageSimilarBlobs(t.store(), n_similar, "similar");
  STRATA_CHECK_OK(t.store().Flush());
  const std::vector<std::string> before = PackBases(t.dir());
  WriteDeltaPack(t.repo(), t.dir(), similar);
  for (const std::string& b : before) {
    if (std::filesystem::file_size(b + ".idx") ==
        8 + 1024 + static_cast<std::uintmax_t>(n_similar) * 28 + 40) {
      std::filesystem::remove(b + ".pack");
      std::filesystem::remove(b + ".idx");
    }
  }
  BOOST_TEST_REQUIRE(PackBases(t.dir()).size() == 2u);
}

// What `git index-pack --strict` makes of the pack `bytes`: the ids it
// holds (from `git verify-pack -v`), and how many are deltas; empty ids
// if git refused the pack (its message in `output`).
struct IndexedPack {
  std::vector<std::string> ids;
  std::size_t deltas = 0;
  std::string output;
};
IndexedPack IndexWithGit(const std::string& dir, const std::string& bytes) {
  IndexedPack out;
  const std::string pack = dir + "/streamed.pack";
  {
    std::ofstream f(pack, std::ios::binary | std::ios::trunc);
    f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  }
  std::filesystem::remove(dir + "/streamed.idx");
  const std::string log = dir + "/index-pack.log";
  const std::string index =
      "git index-pack --strict -o '" + dir + "/streamed.idx' '" + pack + "' >'" + log + "' 2>&1";
  if (std::system(index.c_str()) != 0) {
    std::ifstream f(log);
    out.output.assign(std::istreambuf_iterator<char>(f), {});
    return out;
  }
  const std::string list = "git verify-pack -v '" + dir + "/streamed.idx' >'" + log + "' 2>&1";
  BOOST_TEST_REQUIRE(std::system(list.c_str()) == 0);
  std::ifstream f(log);
  for (std::string line; std::getline(f, line);) {
    std::istringstream fields(line);
    std::vector<std::string> v;
    for (std::string w; fields >> w;) v.push_back(w);
    if (v.size() < 5 || v[0].size() != 40) continue;
    out.ids.push_back(v[0]);
    if (v.size() == 7) ++out.deltas;  // depth and base follow a delta
  }
  std::sort(out.ids.begin(), out.ids.end());
  return out;
}

std::vector<std::string> Hexes(const std::vector<ObjectId>& ids) {
  std::vector<std::string> out;
  for (const ObjectId& id : ids) out.push_back(id.Hex());
  std::sort(out.begin(), out.end());
  return out;
}

// A push's pack copies the deltas stored here: for any subset of the
// objects, git accepts the streamed pack as complete (--strict, no thin
// pack), it holds exactly the objects asked for, a delta whose base is
// sent stays a delta, and one whose base is not goes whole. With
// ofs_delta off the deltas name their bases by id, and git accepts that too.
BOOST_FIXTURE_TEST_CASE(a_streamed_pack_reuses_stored_deltas, TempRepo) {
  std::vector<ObjectId> plain, similar;
  PackPlainAndDeltas(*this, 4, 8, plain, similar);
  Reopened fresh(dir());

  auto stream = [&](const std::vector<ObjectId>& ids, bool ofs_delta,
                    ObjectStore::PackStreamStats* stats = nullptr) {
    std::string bytes;
    ObjectStore::PackStreamOptions options;
    options.ofs_delta = ofs_delta;
    std::size_t last_written = 0;
    const std::vector<std::string> hexes = Hexes(ids);
    const std::size_t unique = std::set<std::string>(hexes.begin(), hexes.end()).size();
    options.progress = [&](std::size_t written, std::size_t total, std::uint64_t so_far) {
      BOOST_TEST(written >= last_written);
      BOOST_TEST(total == unique);
      BOOST_TEST(so_far <= bytes.size());
      last_written = written;
      return Status::Ok();
    };
    Result<ObjectStore::PackStreamStats> r =
        fresh.store->StreamPack(ids, options, [&](std::string_view piece) {
          bytes.append(piece);
          return Status::Ok();
        });
    STRATA_CHECK_OK(r);
    BOOST_TEST(last_written == unique);
    if (stats && r.ok()) *stats = *r;
    return bytes;
  };

  std::vector<ObjectId> all = plain;
  all.insert(all.end(), similar.begin(), similar.end());
  ObjectStore::PackStreamStats stats;
  IndexedPack whole = IndexWithGit(dir(), stream(all, true, &stats));
  BOOST_TEST(whole.ids == Hexes(all), whole.output);
  BOOST_TEST(stats.objects == all.size());
  BOOST_TEST(stats.reused_deltas >= 1u);
  BOOST_TEST(stats.whole == 0u);  // everything was packed here
  BOOST_TEST(whole.deltas == stats.reused_deltas);

  IndexedPack by_id = IndexWithGit(dir(), stream(all, false));
  BOOST_TEST(by_id.ids == Hexes(all), by_id.output);
  BOOST_TEST(by_id.deltas == stats.reused_deltas);

  for (std::size_t step : {2u, 3u, 5u}) {
    std::vector<ObjectId> some;
    for (std::size_t i = 0; i < similar.size(); i += step) some.push_back(similar[i]);
    some.push_back(plain[step % plain.size()]);
    ObjectStore::PackStreamStats part;
    IndexedPack got = IndexWithGit(dir(), stream(some, true, &part));
    BOOST_TEST(got.ids == Hexes(some), "every " << step << ": " << got.output);
    BOOST_TEST(part.objects == some.size());
    BOOST_TEST(part.reused_deltas + part.whole <= some.size());
  }
  // Asked twice, sent once.
  std::vector<ObjectId> twice = {similar[1], similar[1], plain[0]};
  IndexedPack dedup = IndexWithGit(dir(), stream(twice, true));
  BOOST_TEST(dedup.ids == Hexes({similar[1], plain[0]}), dedup.output);
  // Staged, not yet in a pack: read and sent whole.
  std::vector<ObjectId> staged = StageBlobs(*fresh.store, 2, "staged");
  IndexedPack fresh_pack = IndexWithGit(dir(), stream(staged, true, &stats));
  BOOST_TEST(fresh_pack.ids == Hexes(staged), fresh_pack.output);
  BOOST_TEST(stats.whole == 2u);
}

// An entry that does not match its index's CRC-32 is not sent; an id that
// is nowhere is NotFound; a sink's error stops the pack.
BOOST_FIXTURE_TEST_CASE(a_streamed_pack_refuses_damage_and_stops_on_error, TempRepo) {
  std::vector<ObjectId> ids = StageBlobs(store(), 3, "crc");
  STRATA_CHECK_OK(store().Flush());
  auto sink_nothing = [](std::string_view) { return Status::Ok(); };
  Result<ObjectStore::PackStreamStats> missing = store().StreamPack(
      {HashObject("nowhere", GIT_OBJECT_BLOB)}, ObjectStore::PackStreamOptions{}, sink_nothing);
  BOOST_TEST((missing.status().code() == Code::kNotFound), missing.status().message());
  int calls = 0;
  Result<ObjectStore::PackStreamStats> stopped =
      store().StreamPack(ids, ObjectStore::PackStreamOptions{}, [&](std::string_view) {
        ++calls;
        return Status::IOError("the connection dropped");
      });
  BOOST_TEST(stopped.status().message() == "the connection dropped");
  BOOST_TEST(calls == 1);

  const std::string victim = PackBases(dir())[0] + ".pack";
  FlipByte(victim, 14);
  Reopened other(dir());
  Result<ObjectStore::PackStreamStats> damaged =
      other.store->StreamPack(ids, ObjectStore::PackStreamOptions{}, sink_nothing);
  BOOST_TEST((damaged.status().code() == Code::kCorruption), damaged.status().message());
  BOOST_TEST(damaged.status().message().find("CRC-32") != std::string::npos,
             damaged.status().message());
}

// git's delta format: copies from the base and inserts, sizes first.
BOOST_AUTO_TEST_CASE(git_deltas_apply_and_damaged_ones_are_refused) {
  const std::string base = "hello world";
  // source 11, target 17; copy [0,5); insert " there"; copy [5,11).
  std::string delta = "\x0b\x11";
  delta += "\x91";  // copy: offset byte 0, size byte 0
  delta += std::string("\x00\x05", 2);
  delta += "\x06 there";
  delta += "\x91\x05\x06";
  Result<std::string> out = ApplyGitDelta(base, delta);
  STRATA_CHECK_OK(out);
  BOOST_TEST(*out == "hello there world");
  // A copy of size 0 means 0x10000 bytes: more than this base has.
  BOOST_TEST(
      (ApplyGitDelta(base, std::string("\x0b\x05\x80", 3)).status().code() == Code::kCorruption));
  BOOST_TEST((ApplyGitDelta("hello", delta).status().code() == Code::kCorruption));  // wrong base
  BOOST_TEST((ApplyGitDelta(base, std::string("\x0b\x01\x00", 3)).status().code() ==
              Code::kCorruption));  // the reserved instruction
  BOOST_TEST((ApplyGitDelta(base, "\x0b\x11\x06 th").status().code() == Code::kCorruption));
  BOOST_TEST((ApplyGitDelta(base, "\x0b\x12\x06 there").status().code() == Code::kCorruption));
  BOOST_TEST((ApplyGitDelta(base, "\x0b\x02\x91\x09\x05").status().code() == Code::kCorruption));
  BOOST_TEST((ApplyGitDelta(base, "\x0b").status().code() == Code::kCorruption));
}

// PackReader gives what libgit2 reads, deltas resolved, with and without
// its cache; nothing for an object that is not packed; Corruption for a
// damaged entry.
BOOST_FIXTURE_TEST_CASE(the_pack_reader_reads_what_libgit2_reads, TempRepo) {
  std::vector<ObjectId> plain, similar;
  PackPlainAndDeltas(*this, 3, 10, plain, similar);
  Reopened fresh(dir());
  std::vector<ObjectId> all = plain;
  all.insert(all.end(), similar.begin(), similar.end());
  for (std::size_t cache : {std::size_t{0}, std::size_t{1} << 20}) {
    PackReader reader(dir() + "/objects/pack", cache);
    for (int round = 0; round < 2; ++round) {
      for (const ObjectId& id : all) {
        Result<std::shared_ptr<const RawObject>> got = reader.Read(id);
        STRATA_CHECK_OK(got);
        BOOST_TEST_REQUIRE(got->get() != nullptr);
        BOOST_TEST(((*got)->type == GIT_OBJECT_BLOB));
        Result<std::string> want = fresh.store->ReadBlob(id);
        STRATA_CHECK_OK(want);
        BOOST_TEST((*got)->data == *want);
        Result<std::optional<PackReader::ObjectHeader>> header = reader.Header(id);
        STRATA_CHECK_OK(header);
        BOOST_TEST_REQUIRE(header->has_value());
        BOOST_TEST((*header)->size == want->size());
        BOOST_TEST(((*header)->type == GIT_OBJECT_BLOB));
      }
      // Pages given back are mapped again by the next round's reads.
      reader.ReleasePages();
    }
  }
  std::vector<ObjectId> staged = StageBlobs(*fresh.store, 1, "staged");
  PackReader reader(dir() + "/objects/pack");
  Result<std::shared_ptr<const RawObject>> none = reader.Read(staged[0]);
  STRATA_CHECK_OK(none);
  BOOST_TEST(none->get() == nullptr);
  Result<std::shared_ptr<const RawObject>> through =
      fresh.store->ReadObject(staged[0], reader);  // libgit2 has it
  STRATA_CHECK_OK(through);
  BOOST_TEST((*through)->data == "staged0");

  // Every pack damaged: every seventh byte of each entry's data overwritten.
  for (const std::string& base : PackBases(dir())) {
    const std::string victim = base + ".pack";
    std::filesystem::permissions(victim, std::filesystem::perms::owner_write,
                                 std::filesystem::perm_options::add);
    const auto size = std::filesystem::file_size(victim);
    std::fstream f(victim, std::ios::in | std::ios::out | std::ios::binary);
    for (std::uintmax_t at = 14; at + 20 < size; at += 7) {
      f.seekp(static_cast<std::streamoff>(at));
      f.put('\x55');
    }
  }
  PackReader damaged(dir() + "/objects/pack", 0);
  bool refused = false;
  for (const ObjectId& id : all) {
    Result<std::shared_ptr<const RawObject>> got = damaged.Read(id);
    if (got.ok() && *got) BOOST_TEST(false, "a damaged object was read: " << id.Hex());
    if (!got.ok()) {
      BOOST_TEST((got.status().code() == Code::kCorruption), got.status().message());
      refused = true;
    }
  }
  BOOST_TEST(refused);
}

// This process's resident file-backed pages, in KiB (/proc/self/status).
long ResidentFileKib() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("RssFile:", 0) == 0) return std::stol(line.substr(8));
  }
  return -1;
}

// A reader that went through its packs gives their pages back: what it
// read stops counting in the process's resident memory (an import's
// read-ahead goes through hundreds of MB once), and reads go on working.
BOOST_FIXTURE_TEST_CASE(a_pack_reader_gives_back_the_pages_it_read, TempRepo) {
  // 8 MiB of bytes zlib cannot shrink, in 8 blobs of one pack.
  std::vector<ObjectId> ids;
  std::uint64_t x = 88172645463325252u;
  for (int i = 0; i < 8; ++i) {
    std::string data(std::size_t{1} << 20, '\0');
    for (char& c : data) {
      x ^= x << 13;
      x ^= x >> 7;
      x ^= x << 17;
      c = static_cast<char>(x);
    }
    ids.push_back(store().WriteBlob(std::move(data)).value());
  }
  STRATA_CHECK_OK(store().Flush());
  PackReader reader(dir() + "/objects/pack", 0);
  for (const ObjectId& id : ids) {
    Result<std::shared_ptr<const RawObject>> got = reader.Read(id);
    STRATA_CHECK_OK(got);
    BOOST_TEST_REQUIRE(got->get() != nullptr);
  }
  const long mapped = ResidentFileKib();
  reader.ReleasePages();
  const long released = ResidentFileKib();
  BOOST_TEST_REQUIRE(mapped > 0);
  BOOST_TEST(mapped - released >= 6 * 1024, "RssFile " << mapped << " kB -> " << released << " kB");
  Result<std::shared_ptr<const RawObject>> again = reader.Read(ids[3]);
  STRATA_CHECK_OK(again);
  BOOST_TEST_REQUIRE(again->get() != nullptr);
  BOOST_TEST((HashObject((*again)->data, GIT_OBJECT_BLOB) == ids[3]));
}

// A failure on the worker fails the Flush, naming the object, and leaves
// no pack; the next write works.
BOOST_FIXTURE_TEST_CASE(a_compression_error_fails_the_flush, TempRepo) {
  store().FailCompressionForTesting(2);
  std::vector<ObjectId> ids = StageBlobs(store(), 3, "fails");
  Status flushed = store().Flush();
  BOOST_TEST((flushed.code() == Code::kIOError));
  BOOST_TEST(flushed.message().find(ids[1].Hex()) != std::string::npos, flushed.message());
  BOOST_TEST(PackFiles(dir()).empty());
  store().Discard();
  std::vector<ObjectId> again = StageBlobs(store(), 3, "works");
  STRATA_CHECK_OK(store().Flush());
  Reopened other(dir());
  for (const ObjectId& id : again) BOOST_TEST(other.store->Exists(id));
  BOOST_TEST(!other.store->Exists(ids[0]));
}

BOOST_AUTO_TEST_SUITE_END()
BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace strata
