// Each callback below is one member of git_odb_backend (git2/sys/odb_backend.h).
// None lets an exception into libgit2's C frames: each runs in
// GuardedCallback (objects/guard.h), or answers through libgit2's backend.
#include "objects/pack_backend.h"

#include <fcntl.h>
#include <libdeflate.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstring>
#include <memory>
#include <new>
#include <unordered_map>
#include <utility>
#include <vector>

#include "objects/file_io.h"
#include "objects/git.h"
#include "objects/guard.h"
#include "objects/pack_file.h"
#include "objects/pack_reader.h"

namespace strata {
namespace {

// A pack mapped whole for direct reads (read only; strata and git never
// change a pack once it has its name).
struct Mapping {
  const unsigned char* map = nullptr;
  std::size_t size = 0;
};

struct PackBackend : git_odb_backend {
  std::string objects_dir;
  std::shared_ptr<SharedPackIds> shared;
  // libgit2's pack backend, made by the first call that needs it.
  std::mutex inner_mu;
  git_odb_backend* packs = nullptr;
  // Guarded by shared->mu: the packs mapped so far, by index name, and the
  // decompressor of direct reads (libdeflate: an entry's size is in its
  // header, so it inflates whole, 2-3x as fast as zlib's stream).
  std::unordered_map<std::string, Mapping> mapped;
  libdeflate_decompressor* inflater = nullptr;
};

PackBackend& Self(git_odb_backend* backend) { return *static_cast<PackBackend*>(backend); }

void Unmap(PackBackend& self) {
  for (auto& [name, m] : self.mapped) ::munmap(const_cast<unsigned char*>(m.map), m.size);
  self.mapped.clear();
}

// libgit2's backend in *out, made if it was not: 0, or libgit2's error.
int Inner(PackBackend& self, git_odb_backend** out) {
  std::lock_guard lock(self.inner_mu);
  if (self.packs == nullptr) {
    const int rc = git_odb_backend_pack(&self.packs, self.objects_dir.c_str());
    if (rc < 0) {
      self.packs = nullptr;
      return rc;
    }
  }
  *out = self.packs;
  return 0;
}

// ---- direct reads

// Why a direct read stopped: the object is not where the indexes say (ask
// libgit2), or the pack is damaged (Corruption), or the system refused.
struct Stop {
  enum Kind { kAskLibgit2, kDamaged, kRefused } kind;
  std::string message;
};

Stop Damaged(const std::string& path, std::uint64_t offset, const char* what) {
  return {Stop::kDamaged, path + " at " + std::to_string(offset) + ": " + what};
}

// The pack whose index is `index` (pack-HEX.idx), mapped.
const Mapping* MapPack(PackBackend& self, const std::string& index, Stop* stop) {
  if (auto it = self.mapped.find(index); it != self.mapped.end()) return &it->second;
  const std::string path =
      self.objects_dir + "/pack/" + index.substr(0, index.size() - 4) + ".pack";
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  struct stat st {};
  if (fd.fd < 0 || ::fstat(fd.fd, &st) != 0) {
    const int error = errno;
    // Removed since the listing (gc): libgit2 lists the folder again.
    *stop = {error == ENOENT ? Stop::kAskLibgit2 : Stop::kRefused,
             "cannot open " + path + ": " + std::strerror(error)};
    return nullptr;
  }
  const auto size = static_cast<std::size_t>(st.st_size);
  if (size < 12 + 20) {
    *stop = {Stop::kDamaged, path + ": shorter than a pack"};
    return nullptr;
  }
  void* map = ::mmap(nullptr, size, PROT_READ, MAP_SHARED, fd.fd, 0);
  if (map == MAP_FAILED) {
    const int error = errno;
    *stop = {Stop::kRefused, "cannot map " + path + ": " + std::strerror(error)};
    return nullptr;
  }
  const auto* bytes = static_cast<const unsigned char*>(map);
  if (std::memcmp(bytes, "PACK", 4) != 0) {
    ::munmap(map, size);
    *stop = {Stop::kDamaged, path + ": not a pack"};
    return nullptr;
  }
  return &self.mapped.emplace(index, Mapping{bytes, size}).first->second;
}

// Inflates `size` bytes from the zlib data at `begin` into `out`.
bool Inflate(PackBackend& self, const Mapping& pack, std::uint64_t begin, std::uint64_t size,
             std::string& out) {
  if (self.inflater == nullptr) {
    self.inflater = libdeflate_alloc_decompressor();
    if (self.inflater == nullptr) return false;
  }
  const std::uint64_t end = pack.size - 20;  // the pack's checksum follows the last entry
  // Deflate makes at most ~1,032 bytes of a byte: a damaged header that
  // claims more than the rest of the pack could hold is not allocated.
  if (begin >= end || size > (end - begin) * 1032 + 64) return false;
  out.resize(static_cast<std::size_t>(size));
  // The stream ends before the rest of the pack does: its own length is
  // asked for, so what follows it is not read as part of it.
  std::size_t used_in = 0, used_out = 0;
  const libdeflate_result rc = libdeflate_zlib_decompress_ex(
      self.inflater, pack.map + begin, static_cast<std::size_t>(end - begin), out.data(),
      static_cast<std::size_t>(size), &used_in, &used_out);
  return rc == LIBDEFLATE_SUCCESS && used_out == size;
}

// One entry of a delta chain, to apply once its base is read.
struct Link {
  const Mapping* pack;
  std::string index;
  std::uint64_t offset;
  std::uint64_t data;  // where its zlib data starts
  std::uint64_t size;  // of the delta
};

// Reads the object whose entry `at` names, resolving its delta chain.
// Caller holds self.shared->mu.
bool Resolve(PackBackend& self, PackIds::Location at, RawObject& out, Stop* stop) {
  std::vector<Link> chain;
  for (;;) {
    if (chain.size() > 10000) {
      *stop = {Stop::kDamaged, "a delta chain longer than 10,000"};
      return false;
    }
    const Mapping* pack = MapPack(self, at.index, stop);
    if (pack == nullptr) return false;
    const std::string& name = at.index;
    if (at.offset < 12 || at.offset >= pack->size - 20) {
      *stop = Damaged(name, at.offset, "an offset outside the pack");
      return false;
    }
    const unsigned char* entry = pack->map + at.offset;
    const std::size_t room = pack->size - 20 - at.offset;
    EntryHeader h;
    if (!ParseEntryHeader(entry, room, h)) {
      *stop = Damaged(name, at.offset, "a damaged entry header");
      return false;
    }
    if (h.size > UINT_MAX) {
      // Inflate takes one buffer of at most 4 GiB (zlib's uInt); libgit2's
      // backend reads larger entries in pieces.
      *stop = {Stop::kAskLibgit2, {}};
      return false;
    }
    if (h.type >= GIT_OBJECT_COMMIT && h.type <= GIT_OBJECT_TAG) {
      out.type = static_cast<git_object_t>(h.type);
      if (!Inflate(self, *pack, at.offset + h.length, h.size, out.data)) {
        *stop = Damaged(name, at.offset, "an entry that does not inflate");
        return false;
      }
      break;
    }
    if (h.type == kOfsDelta) {
      std::uint64_t distance = 0;
      std::size_t length = 0;
      if (!ParseOffset(entry + h.length, room - h.length, distance, length) || distance == 0 ||
          distance > at.offset) {
        *stop = Damaged(name, at.offset, "a damaged delta offset");
        return false;
      }
      chain.push_back({pack, at.index, at.offset, at.offset + h.length + length, h.size});
      at.offset -= distance;
    } else if (h.type == kRefDelta) {
      if (room < h.length + GIT_OID_RAWSZ) {
        *stop = Damaged(name, at.offset, "a short entry");
        return false;
      }
      ObjectId base;
      std::memcpy(base.bytes, entry + h.length, GIT_OID_RAWSZ);
      std::optional<PackIds::Location> where = self.shared->ids.Locate(base);
      if (!where) {
        *stop = {Stop::kAskLibgit2, {}};  // a base no index lists
        return false;
      }
      chain.push_back({pack, at.index, at.offset, at.offset + h.length + GIT_OID_RAWSZ, h.size});
      at = std::move(*where);
    } else {
      *stop = Damaged(name, at.offset, "an entry of unknown type");
      return false;
    }
  }
  std::string delta;
  for (auto link = chain.rbegin(); link != chain.rend(); ++link) {
    if (!Inflate(self, *link->pack, link->data, link->size, delta)) {
      *stop = Damaged(link->index, link->offset, "a delta that does not inflate");
      return false;
    }
    Result<std::string> applied = ApplyGitDelta(out.data, delta);
    if (!applied.ok()) {
      *stop = Damaged(link->index, link->offset, applied.status().message().c_str());
      return false;
    }
    out.data = std::move(*applied);
  }
  return true;
}

// What a callback returns for `stop`: GIT_PASSTHROUGH to ask libgit2's
// backend, else libgit2's error set to the stop's message.
int Fail(const Stop& stop) {
  switch (stop.kind) {
    case Stop::kAskLibgit2:
      return GIT_PASSTHROUGH;
    case Stop::kDamaged:
      return SetGitCorruptionError(stop.message);
    case Stop::kRefused:
      break;
  }
  git_error_set_str(GIT_ERROR_OS, stop.message.c_str());
  return GIT_ERROR;
}

// Reads `oid` straight from the packs into `out`: 0, GIT_ENOTFOUND when
// every index was read and none lists it, GIT_PASSTHROUGH to ask libgit2's
// backend (the mutex is held by another thread, an index could not be
// read, or an allocation failed: libgit2's backend allocates with its own
// allocator, and a caller such as git_reference_create takes any error of a
// header read to mean the object is missing), or an error.
int ReadDirect(PackBackend& self, const git_oid* oid, RawObject& out) {
  std::unique_lock lock(self.shared->mu, std::try_to_lock);
  if (!lock.owns_lock()) return GIT_PASSTHROUGH;
  try {
    PackIds& ids = self.shared->ids;
    std::optional<PackIds::Location> at = ids.Locate(FromGit(*oid));
    if (!at) return ids.complete() ? GIT_ENOTFOUND : GIT_PASSTHROUGH;
    Stop stop{Stop::kAskLibgit2, {}};
    if (!Resolve(self, std::move(*at), out, &stop)) return Fail(stop);
    return 0;
  } catch (const std::bad_alloc&) {
    return GIT_PASSTHROUGH;
  }
}

constexpr const char* kWhere = "the pack backend";

int Read(void** data, size_t* len, git_object_t* type, git_odb_backend* backend,
         const git_oid* oid) noexcept {
  return GuardedCallback(kWhere, [&] {
    PackBackend& self = Self(backend);
    RawObject obj;
    int rc = ReadDirect(self, oid, obj);
    if (rc == 0) return HandOverObject(backend, obj.data, obj.type, data, len, type);
    if (rc != GIT_PASSTHROUGH) return rc;
    git_odb_backend* packs = nullptr;
    if ((rc = Inner(self, &packs)) < 0) return rc;
    return packs->read(data, len, type, packs, oid);
  });
}

int ReadHeader(size_t* len, git_object_t* type, git_odb_backend* backend,
               const git_oid* oid) noexcept {
  return GuardedCallback(kWhere, [&] {
    PackBackend& self = Self(backend);
    RawObject obj;
    int rc = ReadDirect(self, oid, obj);
    if (rc == 0) {
      *len = obj.data.size();
      *type = obj.type;
      return 0;
    }
    if (rc != GIT_PASSTHROUGH) return rc;
    git_odb_backend* packs = nullptr;
    if ((rc = Inner(self, &packs)) < 0) return rc;
    return packs->read_header(len, type, packs, oid);
  });
}

}  // namespace

bool ReadPackedObject(git_odb_backend* backend, const ObjectId& id, RawObject& out) {
  const git_oid oid = ToGit(id);
  return ReadDirect(Self(backend), &oid, out) == 0;
}

namespace {

// PackIds answers, or (its mutex held by another thread, an index not
// read, an exception) libgit2's backend does.
int Exists(git_odb_backend* backend, const git_oid* oid) noexcept {
  return GuardedCallback(kWhere, [&] {
    PackBackend& self = Self(backend);
    {
      std::unique_lock lock(self.shared->mu, std::try_to_lock);
      if (lock.owns_lock()) {
        try {
          PackIds& ids = self.shared->ids;
          if (ids.Contains(FromGit(*oid))) return 1;
          if (ids.complete()) return 0;
        } catch (...) {  // asked below
        }
      }
    }
    git_odb_backend* packs = nullptr;
    if (int rc = Inner(self, &packs); rc < 0) return rc;
    return packs->exists(packs, oid);
  });
}

// Lists the folder again for the direct reads (if that throws, the next
// question lists it: PackIds::Refresh), and libgit2's backend if made; a
// pack mapped here stays mapped (a removed one: ReopenPacks).
int Refresh(git_odb_backend* backend) noexcept {
  return GuardedCallback(kWhere, [&] {
    PackBackend& self = Self(backend);
    {
      std::lock_guard lock(self.shared->mu);
      try {
        self.shared->ids.Refresh();
      } catch (...) {  // listed again by the next question
      }
    }
    git_odb_backend* packs = nullptr;
    {
      std::lock_guard lock(self.inner_mu);
      packs = self.packs;
    }
    return packs ? packs->refresh(packs) : 0;
  });
}

int ReadPrefix(git_oid* out, void** data, size_t* len, git_object_t* type, git_odb_backend* backend,
               const git_oid* prefix, size_t hex_len) noexcept {
  return GuardedCallback(kWhere, [&] {
    git_odb_backend* packs = nullptr;
    if (int rc = Inner(Self(backend), &packs); rc < 0) return rc;
    return packs->read_prefix(out, data, len, type, packs, prefix, hex_len);
  });
}

int ExistsPrefix(git_oid* out, git_odb_backend* backend, const git_oid* prefix,
                 size_t hex_len) noexcept {
  return GuardedCallback(kWhere, [&] {
    git_odb_backend* packs = nullptr;
    if (int rc = Inner(Self(backend), &packs); rc < 0) return rc;
    return packs->exists_prefix(out, packs, prefix, hex_len);
  });
}

int Foreach(git_odb_backend* backend, git_odb_foreach_cb cb, void* payload) noexcept {
  return GuardedCallback(kWhere, [&] {
    git_odb_backend* packs = nullptr;
    if (int rc = Inner(Self(backend), &packs); rc < 0) return rc;
    return packs->foreach (packs, cb, payload);
  });
}

// The writepack it returns holds an indexer of its own, not libgit2's
// backend: it outlives a ReopenPacks.
int Writepack(git_odb_writepack** out, git_odb_backend* backend, git_odb* odb,
              git_indexer_progress_cb progress, void* payload) noexcept {
  return GuardedCallback(kWhere, [&] {
    git_odb_backend* packs = nullptr;
    if (int rc = Inner(Self(backend), &packs); rc < 0) return rc;
    return packs->writepack(out, packs, odb, progress, payload);
  });
}

int Writemidx(git_odb_backend* backend) noexcept {
  return GuardedCallback(kWhere, [&] {
    git_odb_backend* packs = nullptr;
    if (int rc = Inner(Self(backend), &packs); rc < 0) return rc;
    return packs->writemidx(packs);
  });
}

int Freshen(git_odb_backend* backend, const git_oid* oid) noexcept {
  return GuardedCallback(kWhere, [&] {
    git_odb_backend* packs = nullptr;
    if (int rc = Inner(Self(backend), &packs); rc < 0) return rc;
    return packs->freshen(packs, oid);
  });
}

void Free(git_odb_backend* backend) noexcept {
  PackBackend* self = &Self(backend);
  if (self->packs) self->packs->free(self->packs);
  Unmap(*self);
  if (self->inflater) libdeflate_free_decompressor(self->inflater);
  delete self;
}

}  // namespace

Result<git_odb_backend*> NewPackBackend(const std::string& objects_dir,
                                        std::shared_ptr<SharedPackIds> ids) {
  auto self = std::make_unique<PackBackend>();
  STRATA_GIT(git_odb_init_backend(self.get(), GIT_ODB_BACKEND_VERSION), "cannot set up the packs");
  self->objects_dir = objects_dir;
  self->shared = std::move(ids);
  // Every member libgit2 1.5's pack backend has, and only those: the
  // object database takes a missing member to mean the backend cannot do it.
  self->read = Read;
  self->read_prefix = ReadPrefix;
  self->read_header = ReadHeader;
  self->exists = Exists;
  self->exists_prefix = ExistsPrefix;
  self->refresh = Refresh;
  self->foreach = Foreach;
  self->writepack = Writepack;
  self->writemidx = Writemidx;
  self->freshen = Freshen;
  self->free = Free;
  return static_cast<git_odb_backend*>(self.release());
}

Status ReopenPacks(git_odb_backend* backend) {
  PackBackend& self = Self(backend);
  {
    std::lock_guard lock(self.shared->mu);
    Unmap(self);
  }
  git_odb_backend* old = nullptr;
  {
    std::lock_guard lock(self.inner_mu);
    old = std::exchange(self.packs, nullptr);
  }
  if (old) old->free(old);
  return Status::Ok();
}

}  // namespace strata
