// Each callback below is one member of git_odb_backend (git2/sys/odb_backend.h),
// passed on to libgit2's pack backend. None allocates or throws.
#include "objects/pack_backend.h"

#include <memory>
#include <utility>

#include "objects/git.h"

namespace strata {
namespace {

struct PackBackend : git_odb_backend {
  git_odb_backend* packs = nullptr;  // libgit2's, owned
  std::string objects_dir;
};

git_odb_backend* Inner(git_odb_backend* backend) {
  return static_cast<PackBackend*>(backend)->packs;
}

int Read(void** data, size_t* len, git_object_t* type, git_odb_backend* backend,
         const git_oid* oid) {
  git_odb_backend* packs = Inner(backend);
  return packs->read(data, len, type, packs, oid);
}

int ReadPrefix(git_oid* out, void** data, size_t* len, git_object_t* type, git_odb_backend* backend,
               const git_oid* prefix, size_t hex_len) {
  git_odb_backend* packs = Inner(backend);
  return packs->read_prefix(out, data, len, type, packs, prefix, hex_len);
}

int ReadHeader(size_t* len, git_object_t* type, git_odb_backend* backend, const git_oid* oid) {
  git_odb_backend* packs = Inner(backend);
  return packs->read_header(len, type, packs, oid);
}

int Exists(git_odb_backend* backend, const git_oid* oid) {
  git_odb_backend* packs = Inner(backend);
  return packs->exists(packs, oid);
}

int ExistsPrefix(git_oid* out, git_odb_backend* backend, const git_oid* prefix, size_t hex_len) {
  git_odb_backend* packs = Inner(backend);
  return packs->exists_prefix(out, packs, prefix, hex_len);
}

int Refresh(git_odb_backend* backend) {
  git_odb_backend* packs = Inner(backend);
  return packs->refresh(packs);
}

int Foreach(git_odb_backend* backend, git_odb_foreach_cb cb, void* payload) {
  git_odb_backend* packs = Inner(backend);
  return packs->foreach (packs, cb, payload);
}

// The writepack it returns holds an indexer of its own, not `packs`: it
// outlives a ReopenPacks.
int Writepack(git_odb_writepack** out, git_odb_backend* backend, git_odb* odb,
              git_indexer_progress_cb progress, void* payload) {
  git_odb_backend* packs = Inner(backend);
  return packs->writepack(out, packs, odb, progress, payload);
}

int Writemidx(git_odb_backend* backend) {
  git_odb_backend* packs = Inner(backend);
  return packs->writemidx(packs);
}

int Freshen(git_odb_backend* backend, const git_oid* oid) {
  git_odb_backend* packs = Inner(backend);
  return packs->freshen(packs, oid);
}

void Free(git_odb_backend* backend) {
  auto* self = static_cast<PackBackend*>(backend);
  self->packs->free(self->packs);
  delete self;
}

// What libgit2's backend has, and only that: the object database takes a
// missing member to mean the backend cannot do it.
void Forward(PackBackend& self) {
  const git_odb_backend& packs = *self.packs;
  self.read = packs.read ? Read : nullptr;
  self.read_prefix = packs.read_prefix ? ReadPrefix : nullptr;
  self.read_header = packs.read_header ? ReadHeader : nullptr;
  self.exists = packs.exists ? Exists : nullptr;
  self.exists_prefix = packs.exists_prefix ? ExistsPrefix : nullptr;
  self.refresh = packs.refresh ? Refresh : nullptr;
  self.foreach = packs.foreach ? Foreach : nullptr;
  self.writepack = packs.writepack ? Writepack : nullptr;
  self.writemidx = packs.writemidx ? Writemidx : nullptr;
  self.freshen = packs.freshen ? Freshen : nullptr;
}

Result<git_odb_backend*> OpenPacks(const std::string& objects_dir) {
  git_odb_backend* packs = nullptr;
  STRATA_GIT(git_odb_backend_pack(&packs, objects_dir.c_str()),
             "cannot open the packs in " + objects_dir);
  return packs;
}

}  // namespace

Result<git_odb_backend*> NewPackBackend(const std::string& objects_dir) {
  auto self = std::make_unique<PackBackend>();
  STRATA_GIT(git_odb_init_backend(self.get(), GIT_ODB_BACKEND_VERSION), "cannot set up the packs");
  self->objects_dir = objects_dir;
  STRATA_ASSIGN_OR_RETURN(self->packs, OpenPacks(objects_dir));
  Forward(*self);
  self->free = Free;
  return static_cast<git_odb_backend*>(self.release());
}

Status ReopenPacks(git_odb_backend* backend) {
  auto& self = *static_cast<PackBackend*>(backend);
  STRATA_ASSIGN_OR_RETURN(git_odb_backend * fresh, OpenPacks(self.objects_dir));
  git_odb_backend* old = std::exchange(self.packs, fresh);
  old->free(old);
  Forward(self);
  return Status::Ok();
}

}  // namespace strata
