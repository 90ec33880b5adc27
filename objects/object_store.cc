// Tree objects are written and parsed here directly, in git's format:
//   tree  := entry*
//   entry := mode SP name NUL id[20]     mode: "100644" (blob) | "40000" (tree)
#include "objects/object_store.h"

#include <git2/sys/mempack.h>
#include <git2/sys/odb_backend.h>

#include <algorithm>
#include <cstring>

namespace strata {

bool GitTreeOrder(const TreeEntry& a, const TreeEntry& b) {
  std::size_t n = std::min(a.name.size(), b.name.size());
  int c = std::memcmp(a.name.data(), b.name.data(), n);
  if (c != 0) return c < 0;
  auto next = [n](const TreeEntry& e) -> unsigned char {
    if (e.name.size() > n) return static_cast<unsigned char>(e.name[n]);
    return e.is_tree ? '/' : '\0';
  };
  return next(a) < next(b);
}

Result<std::unique_ptr<ObjectStore>> ObjectStore::Open(git_repository* repo) {
  git_odb* raw_odb = nullptr;
  STRATA_GIT(git_repository_odb(&raw_odb, repo), "cannot open the object database");
  OdbPtr odb(raw_odb);
  git_odb_backend* mempack = nullptr;
  STRATA_GIT(git_mempack_new(&mempack), "cannot create the staging area");
  int rc = git_odb_add_backend(odb.get(), mempack, 1000);
  if (rc < 0) {
    mempack->free(mempack);
    return GitError(rc, "cannot add the staging area");
  }
  return std::unique_ptr<ObjectStore>(new ObjectStore(repo, std::move(odb), mempack));
}

ObjectStore::~ObjectStore() { Discard(); }

bool ObjectStore::Exists(const ObjectId& id) { return git_odb_exists(odb_.get(), &id.oid) == 1; }

Result<std::string> ObjectStore::ReadBlob(const ObjectId& id) {
  git_odb_object* raw = nullptr;
  int rc = git_odb_read(&raw, odb_.get(), &id.oid);
  if (rc < 0) return GitError(rc, "cannot read blob " + id.Hex());
  OdbObjectPtr obj(raw);
  if (git_odb_object_type(raw) != GIT_OBJECT_BLOB) {
    return Status::Corruption("object " + id.Hex() + " is not a blob");
  }
  return std::string(static_cast<const char*>(git_odb_object_data(raw)), git_odb_object_size(raw));
}

Result<std::size_t> ObjectStore::BlobSize(const ObjectId& id) {
  std::size_t size = 0;
  git_object_t type;
  STRATA_GIT(git_odb_read_header(&size, &type, odb_.get(), &id.oid), "cannot read blob " + id.Hex());
  if (type != GIT_OBJECT_BLOB) return Status::Corruption("object " + id.Hex() + " is not a blob");
  return size;
}

Result<std::vector<TreeEntry>> ObjectStore::ReadTree(const ObjectId& id) {
  git_odb_object* raw = nullptr;
  int rc = git_odb_read(&raw, odb_.get(), &id.oid);
  if (rc < 0) return GitError(rc, "cannot read tree " + id.Hex());
  OdbObjectPtr obj(raw);
  if (git_odb_object_type(raw) != GIT_OBJECT_TREE) {
    return Status::Corruption("object " + id.Hex() + " is not a tree");
  }
  const char* p = static_cast<const char*>(git_odb_object_data(raw));
  const char* end = p + git_odb_object_size(raw);
  std::vector<TreeEntry> entries;
  while (p < end) {
    const char* space = static_cast<const char*>(std::memchr(p, ' ', end - p));
    if (!space) return Status::Corruption("malformed tree " + id.Hex());
    std::string_view mode(p, space - p);
    const char* nul = static_cast<const char*>(std::memchr(space + 1, '\0', end - space - 1));
    if (!nul || end - nul < 1 + GIT_OID_RAWSZ) return Status::Corruption("malformed tree " + id.Hex());
    TreeEntry e;
    e.name.assign(space + 1, nul);
    git_oid_fromraw(&e.id.oid, reinterpret_cast<const unsigned char*>(nul + 1));
    if (mode == "40000") e.is_tree = true;
    else if (mode != "100644") {
      return Status::Corruption("tree " + id.Hex() + " has an entry of mode " + std::string(mode));
    }
    entries.push_back(std::move(e));
    p = nul + 1 + GIT_OID_RAWSZ;
  }
  return entries;
}

Result<ObjectId> ObjectStore::WriteObject(std::string_view data, git_object_t type) {
  ObjectId id;
  STRATA_GIT(git_odb_hash(&id.oid, data.data(), data.size(), type), "cannot hash an object");
  // Without NO_REFRESH, every miss rescans objects/pack; and git_odb_write
  // would check existence again (with a rescan), so write to the staging
  // backend directly.
  if (git_odb_exists_ext(odb_.get(), &id.oid, GIT_ODB_LOOKUP_NO_REFRESH) == 1) return id;
  STRATA_GIT(mempack_->write(mempack_, &id.oid, data.data(), data.size(), type),
             "cannot stage an object");
  staged_.push_back(id);
  staged_bytes_ += data.size();
  return id;
}

Result<ObjectId> ObjectStore::WriteBlob(std::string_view data) {
  return WriteObject(data, GIT_OBJECT_BLOB);
}

Result<ObjectId> ObjectStore::WriteTree(std::vector<TreeEntry> entries) {
  std::sort(entries.begin(), entries.end(), GitTreeOrder);
  std::string data;
  std::size_t size = 0;
  for (const auto& e : entries) size += e.name.size() + 8 + GIT_OID_RAWSZ;
  data.reserve(size);
  for (const auto& e : entries) {
    data += e.is_tree ? "40000 " : "100644 ";
    data += e.name;
    data.push_back('\0');
    data.append(reinterpret_cast<const char*>(e.id.oid.id), GIT_OID_RAWSZ);
  }
  return WriteObject(data, GIT_OBJECT_TREE);
}

Status ObjectStore::Flush() {
  if (staged_.empty()) return Status::Ok();
  if (staged_.size() <= kLooseLimit) {
    // A second object database over the same folder, with only the loose
    // backend, so writes bypass the staging area.
    git_odb* loose_raw = nullptr;
    STRATA_GIT(git_odb_new(&loose_raw), "cannot open the object folder");
    OdbPtr loose(loose_raw);
    std::string objects_dir = std::string(git_repository_path(repo_)) + "objects";
    git_odb_backend* backend = nullptr;
    STRATA_GIT(git_odb_backend_loose(&backend, objects_dir.c_str(), -1, /*do_fsync=*/1, 0, 0),
               "cannot open the loose object folder");
    int rc = git_odb_add_backend(loose.get(), backend, 1);
    if (rc < 0) {
      backend->free(backend);
      return GitError(rc, "cannot open the loose object folder");
    }
    for (const ObjectId& id : staged_) {
      git_odb_object* raw = nullptr;
      STRATA_GIT(git_odb_read(&raw, odb_.get(), &id.oid), "cannot read staged object " + id.Hex());
      OdbObjectPtr obj(raw);
      ObjectId out;
      STRATA_GIT(git_odb_write(&out.oid, loose.get(), git_odb_object_data(raw),
                               git_odb_object_size(raw), git_odb_object_type(raw)),
                 "cannot write object " + id.Hex());
    }
  } else {
    // Exactly the staged objects, one by one: git_mempack_dump packs only
    // what staged commits reach, so loose trees and blobs were lost, and
    // walked whole states that are already on disk.
    git_packbuilder* raw_builder = nullptr;
    STRATA_GIT(git_packbuilder_new(&raw_builder, repo_), "cannot pack the staged objects");
    PackBuilderPtr builder(raw_builder);
    for (const ObjectId& id : staged_) {
      STRATA_GIT(git_packbuilder_insert(builder.get(), &id.oid, nullptr),
                 "cannot pack staged object " + id.Hex());
    }
    GitBuf pack;
    STRATA_GIT(git_packbuilder_write_buf(&pack.buf, builder.get()),
               "cannot pack the staged objects");
    git_odb_writepack* writepack = nullptr;
    STRATA_GIT(git_odb_write_pack(&writepack, odb_.get(), nullptr, nullptr), "cannot write a packfile");
    git_indexer_progress stats{};
    int rc = writepack->append(writepack, pack.buf.ptr, pack.buf.size, &stats);
    if (rc >= 0) rc = writepack->commit(writepack, &stats);
    writepack->free(writepack);
    if (rc < 0) return GitError(rc, "cannot write a packfile");
    // Staging checks existence without rescanning objects/pack; make the new
    // pack visible so its objects are not staged again.
    STRATA_GIT(git_odb_refresh(odb_.get()), "cannot rescan the packs");
  }
  Discard();
  return Status::Ok();
}

void ObjectStore::Discard() {
  git_mempack_reset(mempack_);
  staged_.clear();
  staged_bytes_ = 0;
}

}  // namespace strata
