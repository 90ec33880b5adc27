// A scratch object store for the fuzz targets that read and write git
// objects: one bare repository in a temporary folder, made on first use and
// removed at exit. Objects are only staged in memory (ObjectStore::Discard
// after each input), never written to disk.
#pragma once

#include <git2.h>
#include <stdlib.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include "objects/object_store.h"
#include "tests/fuzz/fuzz.h"

namespace strata::fuzz {

inline ObjectStore& ScratchStore() {
  static std::string dir;
  static RepositoryPtr repo;
  static std::unique_ptr<ObjectStore> store;
  if (!store) {
    git_libgit2_init();
    const char* tmp = std::getenv("TMPDIR");
    std::string pattern = std::string(tmp && *tmp ? tmp : "/tmp") + "/strata-fuzz-XXXXXX";
    if (!mkdtemp(pattern.data())) Fail("cannot make a temporary folder", pattern);
    dir = pattern;
    std::atexit([] {
      store.reset();
      repo.reset();
      std::error_code ec;
      std::filesystem::remove_all(dir, ec);
    });
    git_repository* raw = nullptr;
    if (git_repository_init(&raw, dir.c_str(), /*is_bare=*/1) < 0) Fail("git_repository_init", dir);
    repo.reset(raw);
    auto opened = ObjectStore::Open(repo.get());
    if (!opened.ok()) Fail("ObjectStore::Open", opened.status().message());
    store = std::move(*opened);
  }
  return *store;
}

}  // namespace strata::fuzz
