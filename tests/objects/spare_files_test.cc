// Tests for objects/spare_files.h: spares claimed by rename, never over a
// file; what is not a spare as gc makes them is not used; retired files
// kept until the next top-up.
#include "objects/spare_files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/test/unit_test.hpp>
#include <cerrno>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>
#include <string>
#include <vector>

namespace strata {
namespace {

namespace fs = std::filesystem;

struct SpareDir {
  SpareDir() {
    std::string dir = (fs::temp_directory_path() / "strata-spare-XXXXXX").string();
    BOOST_REQUIRE(::mkdtemp(dir.data()) != nullptr);
    root = dir;
    spare = root + "/spare";
  }
  ~SpareDir() {
    std::error_code ec;
    fs::remove_all(root, ec);
  }
  // The inodes of the spares there now.
  std::set<ino_t> SpareInodes() const {
    std::set<ino_t> out;
    for (const auto& e : fs::directory_iterator(spare)) {
      if (e.path().filename().string().rfind("s-", 0) == 0) out.insert(Inode(e.path().string()));
    }
    return out;
  }
  static ino_t Inode(const std::string& path) {
    struct stat st {};
    BOOST_REQUIRE(::stat(path.c_str(), &st) == 0);
    return st.st_ino;
  }
  static std::string Slurp(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  }
  std::string root, spare;
};

}  // namespace

BOOST_AUTO_TEST_SUITE(objects)
BOOST_AUTO_TEST_SUITE(spare_files)

BOOST_AUTO_TEST_CASE(the_spare_folder_of_a_pack_folder) {
  BOOST_TEST(SpareDirOfPackDir("/r/.strata/objects/pack") == "/r/.strata/spare");
  BOOST_TEST(SpareDirOfPackDir("/r/.strata/objects/pack/") == "/r/.strata/spare");
  BOOST_TEST(SpareDirOfPackDir("/tmp/gc-copy") == "");
  BOOST_TEST(SpareDirOfPackDir("/objects/pack") == "");
  BOOST_TEST(SpareDirOfPackDir("/r/objects/packs") == "");
}

BOOST_AUTO_TEST_CASE(a_claim_renames_a_spare_into_place) {
  SpareDir d;
  BOOST_REQUIRE(TopUpSpareFiles(d.spare, 5).ok());
  BOOST_TEST(CountSpareFiles(d.spare).spares == 5u);
  const std::set<ino_t> before = d.SpareInodes();
  const std::string target = d.root + "/file";
  const int fd = ClaimSpareFile(d.spare, target);
  BOOST_REQUIRE(fd >= 0);
  BOOST_TEST(::write(fd, "data", 4) == 4);
  BOOST_TEST(::close(fd) == 0);
  BOOST_TEST(SpareDir::Slurp(target) == "data");
  BOOST_TEST(before.count(SpareDir::Inode(target)) == 1u);
  BOOST_TEST(CountSpareFiles(d.spare).spares == 4u);
  // A top-up makes the count again, keeping what is there.
  BOOST_REQUIRE(TopUpSpareFiles(d.spare, 5).ok());
  BOOST_TEST(CountSpareFiles(d.spare).spares == 5u);
}

BOOST_AUTO_TEST_CASE(a_claim_never_replaces_a_file) {
  SpareDir d;
  BOOST_REQUIRE(TopUpSpareFiles(d.spare, 2).ok());
  const std::string lock = d.root + "/main.lock";
  { std::ofstream(lock) << "held"; }
  errno = 0;
  BOOST_TEST(ClaimSpareFile(d.spare, lock) == -1);
  BOOST_TEST(errno == EEXIST);
  BOOST_TEST(SpareDir::Slurp(lock) == "held");
  BOOST_TEST(CountSpareFiles(d.spare).spares == 2u);
}

BOOST_AUTO_TEST_CASE(no_spare_means_the_caller_creates) {
  SpareDir d;
  errno = EINVAL;
  BOOST_TEST(ClaimSpareFile(d.spare, d.root + "/a") == -1);  // no folder
  BOOST_TEST(errno == 0);
  BOOST_TEST(!fs::exists(d.root + "/a"));
  errno = EINVAL;
  BOOST_TEST(ClaimSpareFile("", d.root + "/a") == -1);  // no spares for this layout
  BOOST_TEST(errno == 0);
  BOOST_REQUIRE(TopUpSpareFiles(d.spare, 1).ok());
  const int fd = ClaimSpareFile(d.spare, d.root + "/b");
  BOOST_REQUIRE(fd >= 0);
  ::close(fd);
  errno = EINVAL;
  BOOST_TEST(ClaimSpareFile(d.spare, d.root + "/c") == -1);  // all claimed
  BOOST_TEST(errno == 0);
}

BOOST_AUTO_TEST_CASE(spares_another_process_took_are_skipped) {
  SpareDir d;
  BOOST_REQUIRE(TopUpSpareFiles(d.spare, 6).ok());
  // This process lists the folder at its first claim...
  int fd = ClaimSpareFile(d.spare, d.root + "/first");
  BOOST_REQUIRE(fd >= 0);
  ::close(fd);
  // ...then another takes all but one of the rest.
  std::vector<fs::path> left;
  for (const auto& e : fs::directory_iterator(d.spare)) {
    if (e.path().filename().string().rfind("s-", 0) == 0) left.push_back(e.path());
  }
  BOOST_REQUIRE_EQUAL(left.size(), 5u);
  for (std::size_t i = 1; i < left.size(); ++i)
    fs::rename(left[i], d.root + "/taken" + std::to_string(i));
  const ino_t remaining = SpareDir::Inode(left[0].string());
  fd = ClaimSpareFile(d.spare, d.root + "/second");
  BOOST_REQUIRE(fd >= 0);
  ::close(fd);
  BOOST_TEST(SpareDir::Inode(d.root + "/second") == remaining);
}

BOOST_AUTO_TEST_CASE(what_is_not_an_empty_lone_file_is_not_used) {
  SpareDir d;
  BOOST_REQUIRE(TopUpSpareFiles(d.spare, 0).ok());
  // A spare written to (a killed writer's), and one linked elsewhere.
  { std::ofstream(d.spare + "/s-written") << "old"; }
  { std::ofstream(d.root + "/keep") << ""; }
  BOOST_REQUIRE(::link((d.root + "/keep").c_str(), (d.spare + "/s-linked").c_str()) == 0);
  errno = EINVAL;
  BOOST_TEST(ClaimSpareFile(d.spare, d.root + "/target") == -1);
  BOOST_TEST(errno == 0);
  BOOST_TEST(!fs::exists(d.root + "/target"));
  BOOST_TEST(fs::exists(d.root + "/keep"));  // the other name stays
  BOOST_TEST(CountSpareFiles(d.spare).spares == 0u);
}

BOOST_AUTO_TEST_CASE(a_claim_does_not_follow_a_link) {
  SpareDir d;
  BOOST_REQUIRE(TopUpSpareFiles(d.spare, 0).ok());
  { std::ofstream(d.root + "/victim") << "precious"; }
  BOOST_REQUIRE(::symlink((d.root + "/victim").c_str(), (d.spare + "/s-link").c_str()) == 0);
  BOOST_TEST(ClaimSpareFile(d.spare, d.root + "/target") == -1);
  BOOST_TEST(SpareDir::Slurp(d.root + "/victim") == "precious");
}

BOOST_AUTO_TEST_CASE(retired_files_stay_until_gc_removes_them) {
  SpareDir d;
  BOOST_REQUIRE(TopUpSpareFiles(d.spare, 1).ok());
  const std::string ref = d.root + "/ref";
  { std::ofstream(ref) << "old id\n"; }
  const ino_t old_inode = SpareDir::Inode(ref);
  RetireFile(d.spare, ref);
  { std::ofstream(d.root + "/ref.lock") << "new id\n"; }
  fs::rename(d.root + "/ref.lock", ref);
  BOOST_TEST(CountSpareFiles(d.spare).retired == 1u);
  const fs::path retired = fs::directory_iterator(d.spare + "/retired")->path();
  BOOST_TEST(SpareDir::Inode(retired.string()) == old_inode);
  BOOST_TEST(SpareDir::Slurp(retired.string()) == "old id\n");
  BOOST_REQUIRE(TopUpSpareFiles(d.spare, 1).ok());
  BOOST_TEST(CountSpareFiles(d.spare).retired == 1u);  // only gc removes them
  BOOST_REQUIRE(RemoveRetiredFiles(d.spare).ok());
  BOOST_TEST(CountSpareFiles(d.spare).retired == 0u);
  BOOST_TEST(SpareDir::Slurp(ref) == "new id\n");
  // Without the folder gc makes, retiring does nothing.
  fs::remove_all(d.spare);
  RetireFile(d.spare, ref);
  BOOST_TEST(!fs::exists(d.spare));
}

// Spares are made in spare/making and renamed into place (a create holds
// its folder's lock while the file system looks for an inode: claims from
// the spare folder do not wait for it); what a killed top-up left there is
// used first.
BOOST_AUTO_TEST_CASE(a_top_up_makes_spares_aside_and_uses_what_was_left_there) {
  SpareDir d;
  BOOST_REQUIRE(TopUpSpareFiles(d.spare, 2).ok());
  BOOST_TEST(fs::is_empty(d.spare + "/making"));
  const std::string left = d.spare + "/making/s-00000000000000aa";
  { std::ofstream(left).flush(); }
  const ino_t inode = SpareDir::Inode(left);
  BOOST_REQUIRE(TopUpSpareFiles(d.spare, 3).ok());
  BOOST_TEST(CountSpareFiles(d.spare).spares == 3u);
  BOOST_TEST(fs::is_empty(d.spare + "/making"));
  BOOST_TEST(SpareDir::Inode(d.spare + "/s-00000000000000aa") == inode);
}

// Automatic gc's packs: moved into the retired folder (made if missing),
// same inode, same bytes; a file that is gone or no spare folder: nothing
// moved, the caller removes it.
BOOST_AUTO_TEST_CASE(a_file_moved_to_retired_keeps_its_inode) {
  SpareDir d;
  const std::string pack = d.root + "/pack-1.pack";
  { std::ofstream(pack) << "PACK"; }
  const ino_t inode = SpareDir::Inode(pack);
  const std::string moved = MoveToRetired(d.spare, pack);
  BOOST_REQUIRE(!moved.empty());
  BOOST_TEST(moved.rfind(d.spare + "/retired/r-", 0) == 0u, moved);
  BOOST_TEST(!fs::exists(pack));
  BOOST_TEST(SpareDir::Inode(moved) == inode);
  BOOST_TEST(SpareDir::Slurp(moved) == "PACK");
  BOOST_TEST(CountSpareFiles(d.spare).retired == 1u);
  BOOST_TEST(MoveToRetired(d.spare, pack).empty());  // gone
  { std::ofstream(pack) << "PACK"; }
  BOOST_TEST(MoveToRetired("", pack).empty());
  BOOST_TEST(fs::exists(pack));
}

// SpareKeeper: tops up, then removes the files it was given, and only
// those (a file retired after gc listed them stays for the next gc).
BOOST_AUTO_TEST_CASE(the_keeper_tops_up_and_removes_what_it_was_given) {
  SpareDir d;
  std::vector<std::string> given;
  for (int i = 0; i < 4; ++i) {
    const std::string pack = d.root + "/pack-" + std::to_string(i);
    { std::ofstream(pack) << i; }
    given.push_back(MoveToRetired(d.spare, pack));
    BOOST_REQUIRE(!given.back().empty());
  }
  BOOST_TEST(RetiredFiles(d.spare).size() == 4u);
  const std::string later = d.root + "/ref";
  { std::ofstream(later) << "old id\n"; }
  const std::string kept = MoveToRetired(d.spare, later);
  BOOST_REQUIRE(!kept.empty());
  {
    SpareKeeper keeper;
    keeper.Start(d.spare, given);
    keeper.Wait();
    for (const std::string& path : given) BOOST_TEST(!fs::exists(path), path);
    BOOST_TEST(fs::exists(kept));
    BOOST_TEST(CountSpareFiles(d.spare).spares == kSpareFiles);
    // A second start waits for the first; the destructor waits too.
    keeper.Start(d.spare, {kept});
  }
  BOOST_TEST(!fs::exists(kept));
  BOOST_TEST(CountSpareFiles(d.spare).retired == 0u);
}

BOOST_AUTO_TEST_SUITE_END()
BOOST_AUTO_TEST_SUITE_END()

}  // namespace strata
