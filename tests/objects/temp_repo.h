// A temporary bare git repository with an ObjectStore over it, for tests.
// The directory is removed when the fixture is destroyed.
#pragma once

#include <git2.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>

#include "objects/git.h"
#include "objects/object_store.h"

namespace strata::testing {

// Unpacks every pack of the repository in `git_dir` into loose objects and
// removes the packs, as git or an older strata leaves objects (strata writes
// packs), for tests that read or damage loose files. A Repository open on it
// still maps the removed packs: open a new one afterwards. False on failure.
inline bool UnpackPacks(const std::string& git_dir) {
  const std::string command = "cd '" + git_dir +
                              "' && mkdir held-packs && mv objects/pack/pack-* held-packs/ && "
                              "for p in held-packs/*.pack; do git --git-dir=. unpack-objects -q "
                              "<\"$p\" || exit 1; done && rm -rf held-packs";
  return std::system(command.c_str()) == 0;
}

class TempRepo {
 public:
  TempRepo() {
    EnsureLibgit2();
    std::string dir = (std::filesystem::temp_directory_path() / "strata-test-XXXXXX").string();
    if (mkdtemp(dir.data()) == nullptr) throw std::runtime_error("mkdtemp failed for " + dir);
    dir_ = dir;
    git_repository* raw = nullptr;
    if (git_repository_init(&raw, dir_.c_str(), /*is_bare=*/1) < 0) {
      std::filesystem::remove_all(dir_);
      throw std::runtime_error("git_repository_init failed in " + dir_);
    }
    repo_.reset(raw);
    Result<std::unique_ptr<ObjectStore>> store = ObjectStore::Open(raw);
    if (!store.ok()) {
      repo_.reset();
      std::filesystem::remove_all(dir_);
      throw std::runtime_error(store.status().message());
    }
    store_ = std::move(store).value();
  }
  ~TempRepo() {
    store_.reset();  // before the repository it borrows
    repo_.reset();
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
  TempRepo(const TempRepo&) = delete;
  TempRepo& operator=(const TempRepo&) = delete;

  ObjectStore& store() { return *store_; }
  // Flushes the staged objects, then unpacks every pack into loose objects
  // (as git or an older strata leaves them: strata writes packs) and
  // removes the packs, for tests of loose objects.
  void FlushLoose() {
    Status flushed = store_->Flush();
    if (!flushed.ok()) throw std::runtime_error(flushed.message());
    if (!UnpackPacks(dir_)) throw std::runtime_error("cannot unpack in " + dir_);
  }
  git_repository* repo() { return repo_.get(); }
  const std::string& dir() const { return dir_; }

  // Runs `git fsck --strict` on the repository (flush staged objects first):
  // its exit status, with its output in `output`.
  int Fsck(std::string& output) {
    std::string command = "git --git-dir='" + dir_ + "' fsck --strict --no-dangling 2>&1";
    FILE* pipe = popen(command.c_str(), "r");
    if (pipe == nullptr) return -1;
    char buf[4096];
    std::size_t n;
    while ((n = fread(buf, 1, sizeof buf, pipe)) > 0) output.append(buf, n);
    int status = pclose(pipe);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

 private:
  std::string dir_;
  RepositoryPtr repo_;
  std::unique_ptr<ObjectStore> store_;
};

}  // namespace strata::testing
