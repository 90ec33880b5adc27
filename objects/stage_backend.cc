// Each callback below is one member of git_odb_backend (git2/sys/odb_backend.h).
// libgit2 is C: no exception may leave a callback, so each runs in Guard
// (GuardedCallback, objects/guard.h).
#include "objects/stage_backend.h"

#include <cstring>
#include <memory>
#include <string>
#include <unordered_map>

#include "objects/guard.h"

namespace strata {
namespace {

// A table with more slots than this is released on reset, not just emptied:
// a version's objects fit in far fewer, and an import's would otherwise stay.
constexpr std::size_t kKeptSlots = 4096;

struct Staged {
  git_object_t type;
  std::string data;
};

struct StageBackend : git_odb_backend {
  std::unordered_map<ObjectId, Staged> objects;
};

StageBackend& Self(git_odb_backend* backend) { return *static_cast<StageBackend*>(backend); }

int Guard(auto&& body) noexcept { return GuardedCallback("the staging area", body); }

// A miss is GIT_ENOTFOUND with no message: the next backend is asked, and
// formatting one would cost more than the lookup.
const Staged* Find(git_odb_backend* backend, const git_oid* oid) {
  auto& objects = Self(backend).objects;
  auto it = objects.find(FromGit(*oid));
  return it == objects.end() ? nullptr : &it->second;
}

int Read(void** data, size_t* len, git_object_t* type, git_odb_backend* backend,
         const git_oid* oid) {
  return Guard([&] {
    const Staged* s = Find(backend, oid);
    if (!s) return static_cast<int>(GIT_ENOTFOUND);
    // NUL-terminated, as libgit2's own backends leave object data.
    char* buf = static_cast<char*>(git_odb_backend_data_alloc(backend, s->data.size() + 1));
    if (buf == nullptr) {
      git_error_set_oom();
      return static_cast<int>(GIT_ERROR);
    }
    std::memcpy(buf, s->data.data(), s->data.size());
    buf[s->data.size()] = '\0';
    *data = buf;
    *len = s->data.size();
    *type = s->type;
    return 0;
  });
}

int ReadHeader(size_t* len, git_object_t* type, git_odb_backend* backend, const git_oid* oid) {
  return Guard([&] {
    const Staged* s = Find(backend, oid);
    if (!s) return static_cast<int>(GIT_ENOTFOUND);
    *len = s->data.size();
    *type = s->type;
    return 0;
  });
}

int Exists(git_odb_backend* backend, const git_oid* oid) {
  return Guard([&] { return Find(backend, oid) ? 1 : 0; });
}

int Write(git_odb_backend* backend, const git_oid* oid, const void* data, size_t len,
          git_object_t type) {
  return Guard([&] {
    Self(backend).objects.try_emplace(
        FromGit(*oid), Staged{type, std::string(static_cast<const char*>(data), len)});
    return 0;
  });
}

void Free(git_odb_backend* backend) { delete static_cast<StageBackend*>(backend); }

}  // namespace

Result<git_odb_backend*> NewStageBackend() {
  auto backend = std::make_unique<StageBackend>();
  STRATA_GIT(git_odb_init_backend(backend.get(), GIT_ODB_BACKEND_VERSION),
             "cannot set up the staging area");
  backend->read = Read;
  backend->read_header = ReadHeader;
  backend->exists = Exists;
  backend->write = Write;
  backend->free = Free;
  return static_cast<git_odb_backend*>(backend.release());
}

const std::string& StageObject(git_odb_backend* stage, const ObjectId& id, std::string&& data,
                               git_object_t type) {
  return Self(stage).objects.try_emplace(id, Staged{type, std::move(data)}).first->second.data;
}

const std::string* StagedData(git_odb_backend* stage, const ObjectId& id, git_object_t* type) {
  const Staged* s = Find(stage, AsGit(id));
  if (s == nullptr) return nullptr;
  *type = s->type;
  return &s->data;
}

void ResetStage(git_odb_backend* stage) {
  auto& objects = Self(stage).objects;
  if (objects.bucket_count() > kKeptSlots) {
    std::unordered_map<ObjectId, Staged>().swap(objects);
  } else {
    objects.clear();
  }
}

std::size_t StagedObjects(git_odb_backend* stage) { return Self(stage).objects.size(); }
std::size_t StageSlots(git_odb_backend* stage) { return Self(stage).objects.bucket_count(); }

}  // namespace strata
