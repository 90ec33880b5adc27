// Each callback below is one member of git_odb_backend (git2/sys/odb_backend.h).
// libgit2 is C: no exception may leave a callback, so each runs in Guard
// (GuardedCallback, objects/guard.h).
#include "objects/loose_backend.h"

#include <dirent.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <bitset>
#include <cerrno>
#include <cstring>
#include <exception>
#include <memory>
#include <mutex>
#include <new>
#include <optional>
#include <string_view>

#include "objects/guard.h"
#include "objects/loose_object.h"

namespace strata {
namespace {

// A directory listing that closes itself; `error` is opendir's errno.
struct Dir {
  DIR* dir;
  int error;
  explicit Dir(const std::string& path)
      : dir(::opendir(path.c_str())), error(dir == nullptr ? errno : 0) {}
  ~Dir() {
    if (dir) ::closedir(dir);
  }
  Dir(const Dir&) = delete;
  Dir& operator=(const Dir&) = delete;
};

struct LooseBackend : git_odb_backend {
  std::string objects_dir;  // no trailing '/'
  // Which fan-out folders (objects/00 .. objects/ff) existed when the
  // objects folder was last listed: an object whose folder did not is
  // absent without a system call. strata writes packs, not loose objects,
  // so in most repositories no folder exists and a write's existence checks
  // (one per object it stages: 108,000 for an import of 100,000 documents)
  // cost nothing. Listed at the first lookup and again at every refresh. A
  // folder made since by another process reads as absent until then:
  // libgit2 refreshes and asks again before it reports a missing object,
  // ObjectStore::Exists does the same, and a writer that misses an object
  // stores it once more (harmless: the same bytes under the same id).
  std::array<std::atomic<bool>, 256> fanout{};
  std::atomic<bool> listed{false};
  std::mutex list_mutex;
};

LooseBackend& Self(git_odb_backend* backend) { return *static_cast<LooseBackend*>(backend); }

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

// Lists the objects folder's fan-out folders into self.fanout. Any folder
// that cannot be ruled out (the listing failed, an entry of unknown type)
// counts as present, so the cache never hides an object.
void ListFanout(LooseBackend& self) {
  std::lock_guard lock(self.list_mutex);
  std::bitset<256> present;
  Dir top(self.objects_dir);
  if (top.dir == nullptr) {
    if (top.error != ENOENT) present.set();
  } else {
    while (const dirent* e = ::readdir(top.dir)) {
      const std::string_view name(e->d_name);
      if (name.size() != 2 || HexValue(name[0]) < 0 || HexValue(name[1]) < 0) continue;
      if (e->d_type == DT_DIR || e->d_type == DT_UNKNOWN || e->d_type == DT_LNK) {
        present.set(static_cast<std::size_t>(HexValue(name[0]) * 16 + HexValue(name[1])));
      }
    }
  }
  for (std::size_t i = 0; i < 256; ++i) self.fanout[i].store(present[i], std::memory_order_relaxed);
  self.listed.store(true, std::memory_order_release);
}

// False when `oid`'s fan-out folder did not exist at the last listing.
bool MayExist(LooseBackend& self, const git_oid* oid) {
  if (!self.listed.load(std::memory_order_acquire)) ListFanout(self);
  return self.fanout[oid->id[0]].load(std::memory_order_relaxed);
}

int Guard(auto&& body) noexcept { return GuardedCallback("the loose object backend", body); }

bool IsLowerHex(std::string_view s) {
  return s.find_first_not_of("0123456789abcdef") == std::string_view::npos;
}

// Sets libgit2's error to `message` and returns `code`.
int Fail(int klass, const std::string& message, int code = GIT_ERROR) {
  git_error_set_str(klass, message.c_str());
  return code;
}

// Reads object `oid`: 0 and the object, GIT_ENOTFOUND if there is no loose
// file for it, or GIT_ERROR naming the object and its file.
int ReadObject(LooseBackend& self, const git_oid* oid, RawObject* out) {
  ObjectId id = FromGit(*oid);
  if (!MayExist(self, oid)) {
    return Fail(GIT_ERROR_ODB, "no loose object " + id.Hex(), GIT_ENOTFOUND);
  }
  Result<std::optional<RawObject>> read = ReadLooseObject(self.objects_dir, id);
  if (!read.ok()) {
    if (read.status().code() == Code::kCorruption) {
      return SetGitCorruptionError(read.status().message());
    }
    return Fail(GIT_ERROR_OS, read.status().message());
  }
  if (!read->has_value()) return Fail(GIT_ERROR_ODB, "no loose object " + id.Hex(), GIT_ENOTFOUND);
  *out = std::move(**read);
  return 0;
}

// The one loose object whose id starts with the first `len` hex digits of
// `prefix`: 0 and its id, GIT_ENOTFOUND, or GIT_EAMBIGUOUS.
int FindByPrefix(LooseBackend& self, const git_oid* prefix, size_t len, git_oid* out) {
  if (len < GIT_OID_MINPREFIXLEN) {
    return Fail(GIT_ERROR_ODB, "an id prefix needs at least " +
                                   std::to_string(GIT_OID_MINPREFIXLEN) + " hex digits");
  }
  ObjectId key = FromGit(*prefix);
  std::string want = key.Hex().substr(0, std::min<size_t>(len, GIT_OID_HEXSZ));
  std::string folder = self.objects_dir + "/" + want.substr(0, 2);
  std::string_view rest = std::string_view(want).substr(2);
  Dir dir(folder);
  if (dir.dir == nullptr) {
    if (dir.error == ENOENT || dir.error == ENOTDIR) {
      return Fail(GIT_ERROR_ODB, "no loose object starts with " + want, GIT_ENOTFOUND);
    }
    return Fail(GIT_ERROR_OS, "cannot list " + folder + ": " + std::strerror(dir.error));
  }
  int found = 0;
  while (const dirent* entry = ::readdir(dir.dir)) {
    std::string_view name(entry->d_name);
    // Other files (tmp_obj_*, left by an interrupted write) are not objects.
    if (name.size() != GIT_OID_HEXSZ - 2 || !IsLowerHex(name) || entry->d_type == DT_DIR ||
        name.substr(0, rest.size()) != rest) {
      continue;
    }
    if (++found > 1) {
      return Fail(GIT_ERROR_ODB, "more than one loose object starts with " + want, GIT_EAMBIGUOUS);
    }
    std::string hex = want.substr(0, 2) + std::string(name);
    git_oid_fromstrn(out, hex.data(), hex.size());
  }
  if (found == 0) return Fail(GIT_ERROR_ODB, "no loose object starts with " + want, GIT_ENOTFOUND);
  return 0;
}

int Read(void** data, size_t* len, git_object_t* type, git_odb_backend* backend,
         const git_oid* oid) {
  return Guard([&] {
    RawObject obj;
    int rc = ReadObject(Self(backend), oid, &obj);
    if (rc != 0) return rc;
    return HandOverObject(backend, obj.data, obj.type, data, len, type);
  });
}

int ReadPrefix(git_oid* out, void** data, size_t* len, git_object_t* type, git_odb_backend* backend,
               const git_oid* prefix, size_t prefix_len) {
  return Guard([&] {
    git_oid id;
    if (prefix_len >= GIT_OID_HEXSZ) {
      git_oid_cpy(&id, prefix);
    } else {
      int rc = FindByPrefix(Self(backend), prefix, prefix_len, &id);
      if (rc != 0) return rc;
    }
    RawObject obj;
    int rc = ReadObject(Self(backend), &id, &obj);
    if (rc != 0) return rc;
    rc = HandOverObject(backend, obj.data, obj.type, data, len, type);
    if (rc == 0) git_oid_cpy(out, &id);
    return rc;
  });
}

// The whole object is inflated (and so checked), not just its header: a
// damaged object is reported at the first look, and strata's objects are small.
int ReadHeader(size_t* len, git_object_t* type, git_odb_backend* backend, const git_oid* oid) {
  return Guard([&] {
    RawObject obj;
    int rc = ReadObject(Self(backend), oid, &obj);
    if (rc != 0) return rc;
    *len = obj.data.size();
    *type = obj.type;
    return 0;
  });
}

// 1 if the object has a loose file, else 0 (libgit2 reads any non-zero as
// "exists", so a failure is 0, not GIT_ERROR).
int Exists(git_odb_backend* backend, const git_oid* oid) noexcept {
  try {
    if (!MayExist(Self(backend), oid)) return 0;
    std::string hex = FromGit(*oid).Hex();
    std::string path = Self(backend).objects_dir + "/" + hex.substr(0, 2) + "/" + hex.substr(2);
    return ::access(path.c_str(), F_OK) == 0 ? 1 : 0;
  } catch (...) {
    return 0;
  }
}

int ExistsPrefix(git_oid* out, git_odb_backend* backend, const git_oid* prefix, size_t len) {
  return Guard([&] {
    if (len >= GIT_OID_HEXSZ) {
      if (Exists(backend, prefix) != 1) {
        return Fail(GIT_ERROR_ODB, "no loose object " + FromGit(*prefix).Hex(), GIT_ENOTFOUND);
      }
      git_oid_cpy(out, prefix);
      return 0;
    }
    return FindByPrefix(Self(backend), prefix, len, out);
  });
}

// Only the fan-out folders are cached (LooseBackend::fanout): a refresh
// lists them again, and libgit2 asks this backend again when it retries a
// miss after refreshing, so an object written loose meanwhile by another
// process is found.
int Refresh(git_odb_backend* backend) {
  return Guard([&] {
    ListFanout(Self(backend));
    return 0;
  });
}

// Calls `cb` for every loose object; stops at the first non-zero return and
// returns it, as libgit2's backends do.
int Foreach(git_odb_backend* backend, git_odb_foreach_cb cb, void* payload) {
  return Guard([&] {
    const std::string& objects_dir = Self(backend).objects_dir;
    Dir top(objects_dir);
    if (top.dir == nullptr) {
      if (top.error == ENOENT) return 0;
      return Fail(GIT_ERROR_OS, "cannot list " + objects_dir + ": " + std::strerror(top.error));
    }
    while (const dirent* fan = ::readdir(top.dir)) {
      std::string_view fan_name(fan->d_name);
      if (fan_name.size() != 2 || !IsLowerHex(fan_name)) continue;
      std::string folder = objects_dir + "/" + std::string(fan_name);
      Dir dir(folder);
      if (dir.dir == nullptr) {
        if (dir.error == ENOTDIR || dir.error == ENOENT) continue;
        return Fail(GIT_ERROR_OS, "cannot list " + folder + ": " + std::strerror(dir.error));
      }
      while (const dirent* entry = ::readdir(dir.dir)) {
        std::string_view name(entry->d_name);
        if (name.size() != GIT_OID_HEXSZ - 2 || !IsLowerHex(name)) continue;
        std::string hex = std::string(fan_name) + std::string(name);
        git_oid id;
        git_oid_fromstrn(&id, hex.data(), hex.size());
        int rc = cb(&id, payload);
        if (rc != 0) return rc;
      }
    }
    return 0;
  });
}

void Free(git_odb_backend* backend) { delete static_cast<LooseBackend*>(backend); }

}  // namespace

Result<git_odb_backend*> NewLooseBackend(const std::string& objects_dir) {
  auto backend = std::make_unique<LooseBackend>();
  STRATA_GIT(git_odb_init_backend(backend.get(), GIT_ODB_BACKEND_VERSION),
             "cannot set up the loose object backend");
  backend->objects_dir = objects_dir;
  while (backend->objects_dir.size() > 1 && backend->objects_dir.back() == '/') {
    backend->objects_dir.pop_back();
  }
  backend->read = &Read;
  backend->read_prefix = &ReadPrefix;
  backend->read_header = &ReadHeader;
  backend->exists = &Exists;
  backend->exists_prefix = &ExistsPrefix;
  backend->refresh = &Refresh;
  backend->foreach = &Foreach;
  backend->free = &Free;
  return static_cast<git_odb_backend*>(backend.release());
}

}  // namespace strata
