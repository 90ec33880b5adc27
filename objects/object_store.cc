// Tree objects are written and parsed here directly, in git's format:
//   tree  := entry*
//   entry := mode SP name NUL id[20]     mode: "100644" (blob) | "40000" (tree)
#include "objects/object_store.h"

#include <dirent.h>
#include <fcntl.h>
#include <git2/sys/odb_backend.h>
#include <git2/sys/repository.h>
#include <libdeflate.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <filesystem>
#include <limits>
#include <optional>
#include <thread>
#include <unordered_set>

#include "objects/file_io.h"
#include "objects/loose_backend.h"
#include "objects/pack_backend.h"
#include "objects/pack_file.h"
#include "objects/pack_reader.h"
#include "objects/sha1.h"
#include "objects/spare_files.h"
#include "objects/stage_backend.h"

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

namespace {

// Where each backend sits in the object database: a higher priority is asked
// first. Staged objects read back at once; then packs before loose objects,
// as git and libgit2 order them: a pack lookup is an index search, while a
// loose miss costs a failed open(), and most objects of a large state are
// packed (imports write packs).
constexpr int kStagingPriority = 1000;
constexpr int kPackPriority = 2;
constexpr int kLoosePriority = 1;
// Pack entries are compressed fast: `strata gc` repacks them smaller.
constexpr int kPackZlibLevel = 1;
// A pack of this many objects or fewer (a small version's) stores its
// small objects rather than compressing them (Deflater::store_small).
constexpr std::size_t kStoreSmallObjectsUpTo = 64;

// Adds `backend` to `odb`, which then owns it; frees it if that fails.
// Allocates nothing before `odb` owns the backend (`what` is a plain C
// string): an allocation that threw there would leak it.
Status AddBackend(git_odb* odb, git_odb_backend* backend, int priority, const char* what) {
  int rc = git_odb_add_backend(odb, backend, priority);
  if (rc < 0) {
    backend->free(backend);
    return GitError(rc, std::string("cannot add ") + what + " to the object database");
  }
  return Status::Ok();
}

}  // namespace

Result<std::unique_ptr<ObjectStore>> ObjectStore::Open(git_repository* repo, bool repair_indexes) {
  std::string objects_dir = std::string(git_repository_path(repo)) + "objects";
  git_odb* raw_odb = nullptr;
  STRATA_GIT(git_odb_new(&raw_odb), "cannot create the object database");
  OdbPtr odb(raw_odb);
  STRATA_ASSIGN_OR_RETURN(git_odb_backend * loose, NewLooseBackend(objects_dir));
  STRATA_RETURN_IF_ERROR(AddBackend(odb.get(), loose, kLoosePriority, "the loose objects"));
  // Before libgit2 reads any pack index: a small index written without
  // fsync may be torn by a power loss (WritePack).
  // Not fatal: a reader that cannot write (a read-only repository) still
  // reads the other packs, and libgit2 names the damaged index if a read
  // needs it.
  if (repair_indexes) {
    Status repaired = RepairPackIndexes(objects_dir);
    static_cast<void>(repaired);
  }
  auto pack_ids = std::make_shared<SharedPackIds>(objects_dir + "/pack");
  STRATA_ASSIGN_OR_RETURN(git_odb_backend * packs, NewPackBackend(objects_dir, pack_ids));
  STRATA_RETURN_IF_ERROR(AddBackend(odb.get(), packs, kPackPriority, "the packs"));
  STRATA_ASSIGN_OR_RETURN(git_odb_backend * stage, NewStageBackend());
  STRATA_RETURN_IF_ERROR(AddBackend(odb.get(), stage, kStagingPriority, "the staging area"));
  // From now on every libgit2 call on `repo` (commit lookups, revparse,
  // revwalks) reads through this database, never libgit2's loose backend.
  STRATA_GIT(git_repository_set_odb(repo, odb.get()), "cannot install the object database");
  return std::unique_ptr<ObjectStore>(new ObjectStore(repo, std::move(odb), stage, packs, loose,
                                                      std::move(objects_dir), std::move(pack_ids)));
}

ObjectStore::ObjectStore(git_repository* repo, OdbPtr odb, git_odb_backend* stage,
                         git_odb_backend* packs, git_odb_backend* loose, std::string objects_dir,
                         std::shared_ptr<SharedPackIds> pack_ids)
    : repo_(repo),
      odb_(std::move(odb)),
      stage_(stage),
      packs_(packs),
      loose_(loose),
      objects_dir_(std::move(objects_dir)),
      pack_ids_(std::move(pack_ids)) {}

bool ObjectStore::Exists(const ObjectId& id) {
  if (Stored(id)) return true;
  // Another process may have written a pack (or a loose object, in a
  // fan-out folder the loose backend has not listed) since the lists were
  // read. (The backend's refresh lists the folder again for PackIds too.)
  if (packs_->refresh(packs_) == 0 && packs_->exists(packs_, AsGit(id)) == 1) return true;
  if (loose_->refresh(loose_) == 0 && loose_->exists(loose_, AsGit(id)) == 1) return true;
  git_error_clear();
  return false;
}

Status ObjectStore::Refusal(bool denied) const {
  Status refused = Status::Ok();
  if (!denied && GitErrorIsSystem()) {
    const git_error* e = git_error_last();
    refused = Status(e->klass == GIT_ERROR_NOMEMORY ? Code::kResourceExhausted : Code::kIOError,
                     e->message ? e->message : "the system refused the read");
  } else if (denied) {
    std::string why;
    {
      std::lock_guard lock(pack_ids_->mu);
      why = pack_ids_->ids.refused();
    }
    if (!why.empty()) refused = Status::IOError(why);
  }
  git_error_clear();
  return refused;
}

// The packs are asked through PackIds (objects/pack_ids.h): libgit2's pack
// backend formats an error message for every pack an id is not in.
bool ObjectStore::InPacks(const ObjectId& id) {
  bool complete = true;
  {
    std::lock_guard lock(pack_ids_->mu);
    if (pack_ids_->ids.Contains(id)) return true;
    complete = pack_ids_->ids.complete();
  }
  return !complete && packs_->exists(packs_, AsGit(id)) == 1;
}

bool ObjectStore::Stored(const ObjectId& id) {
  if (stage_->exists(stage_, AsGit(id)) == 1 || InPacks(id) ||
      loose_->exists(loose_, AsGit(id)) == 1) {
    return true;
  }
  git_error_clear();
  return false;
}

bool ObjectStore::ContainsPacked(const ObjectId& id) {
  if (stage_->exists(stage_, AsGit(id)) == 1 || InPacks(id)) return true;
  git_error_clear();
  return false;
}

Status ObjectStore::RefreshPacks() {
  std::uint64_t removed = 0;
  {
    std::lock_guard lock(pack_ids_->mu);
    pack_ids_->ids.Refresh();
    removed = pack_ids_->ids.removed();
  }
  if (removed != removed_packs_seen_) {
    // A pack was removed (gc): libgit2 would keep it open for good, and
    // the direct reads keep it mapped (objects/pack_backend.h).
    STRATA_RETURN_IF_ERROR(ReopenPacks(packs_));
    removed_packs_seen_ = removed;
  }
  STRATA_GIT(git_odb_refresh(odb_.get()), "cannot rescan the packs");
  return Status::Ok();
}

std::optional<std::size_t> ObjectStore::ListedPacks() {
  std::lock_guard lock(pack_ids_->mu);
  pack_ids_->ids.Refresh();
  if (!pack_ids_->ids.complete()) return std::nullopt;
  return pack_ids_->ids.packs();
}

Result<std::unordered_set<ObjectId>> ObjectStore::ListLoose() {
  std::unordered_set<ObjectId> out;
  static const char* hex = "0123456789abcdef";
  std::string dir = objects_dir_ + "/xx";
  for (int i = 0; i < 256; ++i) {
    dir[dir.size() - 2] = hex[i >> 4];
    dir[dir.size() - 1] = hex[i & 15];
    std::error_code ec;
    for (std::filesystem::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
      const std::string name = it->path().filename().string();
      if (name.size() != GIT_OID_HEXSZ - 2) continue;
      const std::string full = dir.substr(dir.size() - 2) + name;
      git_oid oid;
      if (git_oid_fromstrn(&oid, full.data(), full.size()) == 0) out.insert(FromGit(oid));
    }
  }
  git_error_clear();
  return out;
}

namespace {

// A failed read of an object the store lists: the system's refusal (too many
// open files, no memory) as GitError says it, an object not there as
// NotFound, and what libgit2 found wrong in the object itself (a stream that
// does not inflate, an offset past its pack: GIT_ERROR_ZLIB, _ODB, _OBJECT)
// as damage, so that `strata verify` tells the machine's fault from the
// repository's.
Status ReadError(int rc, const std::string& what) {
  const git_error* e = git_error_last();
  const bool damaged = e && (e->klass == GIT_ERROR_ZLIB || e->klass == GIT_ERROR_ODB ||
                             e->klass == GIT_ERROR_OBJECT);
  Status st = GitError(rc, what);
  return damaged && st.code() == Code::kIOError ? Status::Corruption(st.message()) : st;
}

}  // namespace

Result<RawObject> ObjectStore::Read(const ObjectId& id, const char* what) {
  RawObject out;
  STRATA_RETURN_IF_ERROR(ReadInto(id, what, out));
  return out;
}

Status ObjectStore::ReadInto(const ObjectId& id, const char* what, RawObject& out) {
  // Packed, read here; else staged, loose (read by strata, see
  // objects/loose_backend.h) or packed, through the object database.
  if (ReadPackedObject(packs_, id, out)) return Status::Ok();
  git_odb_object* raw = nullptr;
  int rc = git_odb_read(&raw, odb_.get(), AsGit(id));
  if (rc < 0) return ReadError(rc, std::string("cannot read ") + what + " " + id.Hex());
  OdbObjectPtr obj(raw);
  out.type = git_odb_object_type(raw);
  out.data.assign(static_cast<const char*>(git_odb_object_data(raw)), git_odb_object_size(raw));
  return Status::Ok();
}

Result<std::string> ObjectStore::ReadBlob(const ObjectId& id) {
  std::string out;
  STRATA_RETURN_IF_ERROR(ReadBlob(id, out));
  return out;
}

Status ObjectStore::ReadBlob(const ObjectId& id, std::string& out) {
  RawObject obj{GIT_OBJECT_INVALID, std::move(out)};
  Status s = ReadInto(id, "blob", obj);
  out = std::move(obj.data);
  if (!s.ok()) return s;
  if (obj.type != GIT_OBJECT_BLOB)
    return Status::Corruption("object " + id.Hex() + " is not a blob");
  return Status::Ok();
}

Result<std::size_t> ObjectStore::BlobSize(const ObjectId& id) {
  std::size_t size = 0;
  git_object_t type;
  STRATA_GIT(git_odb_read_header(&size, &type, odb_.get(), AsGit(id)),
             "cannot read blob " + id.Hex());
  if (type != GIT_OBJECT_BLOB) return Status::Corruption("object " + id.Hex() + " is not a blob");
  return size;
}

namespace {

// Calls visit(name, id, is_tree) for each entry of tree `tree`, whose
// content is [p, end), in order, until visit returns false.
template <typename Visit>
Status ParseTree(const ObjectId& tree, const char* p, const char* end, const Visit& visit) {
  while (p < end) {
    const char* space = static_cast<const char*>(std::memchr(p, ' ', end - p));
    if (!space) return Status::Corruption("malformed tree " + tree.Hex());
    std::string_view mode(p, space - p);
    const char* nul = static_cast<const char*>(std::memchr(space + 1, '\0', end - space - 1));
    if (!nul || end - nul < 1 + GIT_OID_RAWSZ)
      return Status::Corruption("malformed tree " + tree.Hex());
    bool is_tree = false;
    if (mode == "40000")
      is_tree = true;
    else if (mode != "100644") {
      return Status::Corruption("tree " + tree.Hex() + " has an entry of mode " +
                                std::string(mode));
    }
    ObjectId entry_id;
    std::memcpy(entry_id.bytes, nul + 1, ObjectId::kSize);
    if (!visit(std::string_view(space + 1, nul - space - 1), entry_id, is_tree)) break;
    p = nul + 1 + GIT_OID_RAWSZ;
  }
  return Status::Ok();
}

}  // namespace

// Read where libgit2 keeps it (its cache, for trees): no copy.
Result<OdbObjectPtr> ObjectStore::ReadRawTree(const ObjectId& id) {
  git_odb_object* raw = nullptr;
  int rc = git_odb_read(&raw, odb_.get(), AsGit(id));
  if (rc < 0) return ReadError(rc, "cannot read tree " + id.Hex());
  OdbObjectPtr obj(raw);
  if (git_odb_object_type(raw) != GIT_OBJECT_TREE) {
    return Status::Corruption("object " + id.Hex() + " is not a tree");
  }
  return obj;
}

Status ObjectStore::ScanTree(const ObjectId& id, const TreeVisitor& visit) {
  STRATA_ASSIGN_OR_RETURN(OdbObjectPtr obj, ReadRawTree(id));
  const char* p = static_cast<const char*>(git_odb_object_data(obj.get()));
  return ParseTree(id, p, p + git_odb_object_size(obj.get()), visit);
}

Result<std::shared_ptr<const RawObject>> ObjectStore::ReadObject(const ObjectId& id,
                                                                 PackReader& reader) {
  STRATA_ASSIGN_OR_RETURN(std::shared_ptr<const RawObject> packed, reader.Read(id));
  if (packed) return packed;
  STRATA_ASSIGN_OR_RETURN(RawObject raw, Read(id, "object"));
  return std::shared_ptr<const RawObject>(std::make_shared<RawObject>(std::move(raw)));
}

Status ObjectStore::ScanTree(const ObjectId& id, const TreeVisitor& visit, PackReader& reader) {
  STRATA_ASSIGN_OR_RETURN(std::shared_ptr<const RawObject> raw, reader.Read(id));
  if (!raw) return ScanTree(id, visit);  // not packed (staged, loose) or based elsewhere
  if (raw->type != GIT_OBJECT_TREE)
    return Status::Corruption("object " + id.Hex() + " is not a tree");
  return ParseTree(id, raw->data.data(), raw->data.data() + raw->data.size(), visit);
}

const TreeIndex::Entry* TreeIndex::Find(std::string_view name) const {
  auto it = std::lower_bound(entries_.begin(), entries_.end(), name,
                             [](const Entry& e, std::string_view n) { return e.name < n; });
  return it != entries_.end() && it->name == name ? &*it : nullptr;
}

void TreeIndex::Reserve(std::size_t entries, std::size_t bytes) {
  entries_.reserve(entries);
  bytes_.reserve(bytes);
}

void TreeIndex::Add(std::string_view name, const ObjectId& id, bool is_tree) {
  entries_.push_back(Entry{name, id, is_tree});
}

void TreeIndex::Seal() {
  entries_.shrink_to_fit();
  first_ = entries_.empty() ? std::string_view() : entries_.front().name;
  // A tree of blobs is already in name order (git's order differs only for
  // trees, compared as if their names ended in '/'): check before sorting.
  auto by_name = [](const Entry& a, const Entry& b) { return a.name < b.name; };
  if (!std::is_sorted(entries_.begin(), entries_.end(), by_name)) {
    std::sort(entries_.begin(), entries_.end(), by_name);
  }
}

template <typename Entries>
std::shared_ptr<const TreeIndex> TreeIndex::Copy(const Entries& entries) {
  auto index = std::make_shared<TreeIndex>();
  std::size_t total = 0;
  for (const auto& e : entries) total += e.name.size();
  index->Reserve(entries.size(), total);
  for (const auto& e : entries) {
    const std::size_t at = index->bytes_.size();
    index->bytes_.append(e.name);  // within the reserved size: no earlier name moves
    index->Add(std::string_view(index->bytes_).substr(at, e.name.size()), e.id, e.is_tree);
  }
  index->Seal();
  return index;
}

std::shared_ptr<const TreeIndex> TreeIndex::Of(const std::vector<TreeEntry>& entries) {
  return Copy(entries);
}

std::shared_ptr<const TreeIndex> TreeIndex::Of(const std::vector<Entry>& entries) {
  return Copy(entries);
}

std::size_t TreeIndex::bytes() const {
  return sizeof(TreeIndex) + bytes_.capacity() + entries_.capacity() * sizeof(Entry);
}

Result<std::shared_ptr<const TreeIndex>> ObjectStore::IndexTree(const ObjectId& id) {
  {
    std::lock_guard lock(index_mutex_);
    if (auto it = index_map_.find(id); it != index_map_.end()) {
      index_lru_.splice(index_lru_.begin(), index_lru_, it->second);
      return it->second->second;
    }
  }
  // Built outside the lock: two threads may build the same index; the
  // second to finish keeps the first's.
  auto index = std::make_shared<TreeIndex>();
  {
    STRATA_ASSIGN_OR_RETURN(OdbObjectPtr obj, ReadRawTree(id));
    const char* p = static_cast<const char*>(git_odb_object_data(obj.get()));
    const std::size_t size = git_odb_object_size(obj.get());
    // The index keeps the tree's content; its entries point into it. An
    // entry takes at least 28 bytes ("40000 x", NUL, a 20-byte id).
    index->Reserve(size / 28 + 1, size);
    index->bytes_.assign(p, size);
    const char* own = index->bytes_.data();
    STRATA_RETURN_IF_ERROR(ParseTree(
        id, own, own + size, [&](std::string_view name, const ObjectId& entry, bool is_tree) {
          index->Add(name, entry, is_tree);
          return true;
        }));
  }
  index->Seal();
  std::shared_ptr<const TreeIndex> result = std::move(index);
  std::lock_guard lock(index_mutex_);
  if (auto it = index_map_.find(id); it != index_map_.end()) return it->second->second;
  index_lru_.emplace_front(id, result);
  index_map_.emplace(id, index_lru_.begin());
  index_bytes_ += result->bytes();
  while (index_bytes_ > index_limit_ && index_lru_.size() > 1) {
    index_bytes_ -= index_lru_.back().second->bytes();
    index_map_.erase(index_lru_.back().first);
    index_lru_.pop_back();
  }
  return result;
}

void ObjectStore::set_tree_index_cache_bytes(std::size_t bytes) {
  std::lock_guard lock(index_mutex_);
  index_limit_ = bytes;
  while (index_bytes_ > index_limit_ && !index_lru_.empty()) {
    index_bytes_ -= index_lru_.back().second->bytes();
    index_map_.erase(index_lru_.back().first);
    index_lru_.pop_back();
  }
}

std::size_t ObjectStore::cached_tree_indexes() {
  std::lock_guard lock(index_mutex_);
  return index_lru_.size();
}

Result<std::vector<TreeEntry>> ObjectStore::ReadTree(const ObjectId& id) {
  std::vector<TreeEntry> entries;
  STRATA_RETURN_IF_ERROR(
      ScanTree(id, [&](std::string_view name, const ObjectId& entry_id, bool is_tree) {
        entries.push_back(TreeEntry{std::string(name), entry_id, is_tree});
        return true;
      }));
  return entries;
}

Result<std::vector<TreeEntry>> ObjectStore::ReadTree(const ObjectId& id, PackReader& reader) {
  std::vector<TreeEntry> entries;
  STRATA_RETURN_IF_ERROR(ScanTree(
      id,
      [&](std::string_view name, const ObjectId& entry_id, bool is_tree) {
        entries.push_back(TreeEntry{std::string(name), entry_id, is_tree});
        return true;
      },
      reader));
  return entries;
}

Result<ObjectId> ObjectStore::WriteBlob(std::string_view data) {
  return WriteObject(data, GIT_OBJECT_BLOB);
}

Result<ObjectId> ObjectStore::WriteBlob(std::string&& data) {
  return WriteObject(std::move(data), GIT_OBJECT_BLOB);
}

Result<ObjectId> ObjectStore::WriteTree(std::vector<TreeEntry> entries) {
  // Entries taken from a tree, with a few changed, are mostly in order already.
  if (!std::is_sorted(entries.begin(), entries.end(), GitTreeOrder)) {
    std::sort(entries.begin(), entries.end(), GitTreeOrder);
  }
  std::string data;
  std::size_t size = 0;
  for (const auto& e : entries) size += e.name.size() + 8 + GIT_OID_RAWSZ;
  data.reserve(size);
  for (const auto& e : entries) {
    data += e.is_tree ? "40000 " : "100644 ";
    data += e.name;
    data.push_back('\0');
    data.append(reinterpret_cast<const char*>(e.id.bytes), GIT_OID_RAWSZ);
  }
  return WriteObject(std::move(data), GIT_OBJECT_TREE);
}

namespace {

// Close (a close can report a write error too).
Status Close(Fd& file, const std::string& path) {
  int fd = file.fd;
  file.fd = -1;
  if (::close(fd) != 0) return Status::IOError("cannot close " + path + ": " + Errno());
  return Status::Ok();
}

// fsync, then close.
Status SyncAndClose(Fd& file, const std::string& path) {
  if (::fsync(file.fd) != 0) return Status::IOError("cannot fsync " + path + ": " + Errno());
  int fd = file.fd;
  file.fd = -1;
  if (::close(fd) != 0) return Status::IOError("cannot close " + path + ": " + Errno());
  return Status::Ok();
}

// A temporary file in `dir` named PREFIX-XXXXXX, removed on scope exit
// unless it was renamed away. In objects/pack it is a spare renamed there
// when the repository has one (objects/spare_files.h), else created.
struct TempFile {
  std::string path;
  Fd file;
  bool keep = false;
  ~TempFile() {
    if (!keep && !path.empty()) ::unlink(path.c_str());
  }
  Status Create(const std::string& dir, const char* prefix) {
    if (const std::string spare_dir = SpareDirOfPackDir(dir); !spare_dir.empty()) {
      for (int attempt = 0; attempt < 4; ++attempt) {
        std::string name = dir + "/" + prefix + "-" + std::to_string(SpareRandom() % 1000000000);
        const int fd = ClaimSpareFile(spare_dir, name);
        if (fd >= 0) {
          file.fd = fd;
          path = std::move(name);
          break;
        }
        if (errno != EEXIST) break;  // no spare
      }
    }
    if (file.fd < 0) {
      std::string templ = dir + "/" + prefix + "-XXXXXX";
      file.fd = ::mkostemp(templ.data(), O_CLOEXEC);
      if (file.fd < 0) return Status::IOError("cannot create a file in " + dir + ": " + Errno());
      path = templ;
    }
    // Packs and their indexes are read-only, as git makes them.
    if (::fchmod(file.fd, 0444) != 0) {
      return Status::IOError("cannot set the mode of " + path + ": " + Errno());
    }
    return Status::Ok();
  }
  Status RenameTo(const std::string& dest) {
    if (::rename(path.c_str(), dest.c_str()) != 0) {
      return Status::IOError("cannot rename " + path + " to " + dest + ": " + Errno());
    }
    keep = true;
    return Status::Ok();
  }
};

// A large write (an import) makes spares for the small ones that follow,
// as gc does (objects/spare_files.h); best effort.
void MakeSparesAfter(std::uint64_t written_bytes, const std::string& pack_dir) {
  if (written_bytes >= kSparesAfterPackBytes) {
    static_cast<void>(TopUpSpareFiles(SpareDirOfPackDir(pack_dir)));
  }
}

Status SyncDir(const std::string& dir) {
  Fd d(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (d.fd < 0) return Status::IOError("cannot open " + dir + ": " + Errno());
  return SyncAndClose(d, dir);
}

// The deflate streams a pack writer resets for each object (setting one up
// costs more than compressing a small object). deflateReset clears the
// stream's hash table, 64 KiB at zlib's defaults: more work than
// compressing a 100-byte blob. So an object that fits a 4 KiB window
// (nearly all of a state's) goes through a stream with that window and a
// 4 KiB table; larger ones through zlib's defaults. Both give standard
// zlib data that git reads.
struct Deflater {
  static constexpr std::size_t kSmallBytes = std::size_t{1} << 12;
  // Objects up to this size are compressed whole by libdeflate, which
  // writes the same standard zlib data as zlib at about twice its speed at
  // level 1 (a small version's trees and blobs: docs/performance.md, "The
  // write journal"); larger ones stream through zlib, a piece at a time.
  static constexpr std::size_t kWholeBytes = std::size_t{1} << 20;
  // In a small pack (store_small), objects under this size are stored
  // (zlib's level 0, the same format): libdeflate clears a 128 KiB hash
  // table for each object it compresses, ~8 us, more than a small tree or
  // commit is worth (it saves ~60 bytes). A one-field version's objects:
  // 22-27 us instead of 77-116 us, its pack 8-13% larger until gc repacks
  // it (docs/performance.md, "2026-12-05: less CPU a version, again"). An
  // import's many small blobs are compressed as before.
  static constexpr std::size_t kCompressFromBytes = 512;
  bool store_small = false;
  // zlib's streams are set up at their first object (most writes have
  // none: every object goes whole): deflateInit allocates and clears
  // ~300 KiB, which cost a one-field `strata set` ~1.3% of its CPU.
  z_stream small{}, large{}, stored{};
  libdeflate_compressor* whole = nullptr;
  libdeflate_compressor* whole_stored = nullptr;  // level 0, for objects under kCompressFromBytes
  bool small_ok = false, large_ok = false, stored_ok = false, ok = false;
  Deflater() {
    whole = libdeflate_alloc_compressor(kPackZlibLevel);
    whole_stored = libdeflate_alloc_compressor(0);
    ok = whole != nullptr && whole_stored != nullptr;
  }
  ~Deflater() {
    if (small_ok) deflateEnd(&small);
    if (large_ok) deflateEnd(&large);
    if (stored_ok) deflateEnd(&stored);
    if (whole != nullptr) libdeflate_free_compressor(whole);
    if (whole_stored != nullptr) libdeflate_free_compressor(whole_stored);
  }
  Deflater(const Deflater&) = delete;
  Deflater& operator=(const Deflater&) = delete;
  // Whether `data` is compressed whole (Whole), else streamed (For). A
  // function of the data alone, so that the worker thread and WritePack
  // write the same bytes.
  static bool IsWhole(std::string_view data) {
    return data.size() <= kWholeBytes && !(data.size() > kSmallBytes && IsZstdFrame(data));
  }
  // Appends the zlib data of `data` (IsWhole) to `out`; false if it fails.
  bool Whole(std::string_view data, std::string& out) {
    libdeflate_compressor* c =
        store_small && data.size() < kCompressFromBytes ? whole_stored : whole;
    const std::size_t used = out.size();
    const std::size_t bound = libdeflate_zlib_compress_bound(c, data.size());
    out.resize(used + bound);
    const std::size_t n =
        libdeflate_zlib_compress(c, data.data(), data.size(), out.data() + used, bound);
    out.resize(used + n);
    return n != 0;
  }
  // The stream for an object whose content is `data` (not IsWhole), reset;
  // nullptr if zlib cannot set it up. A large zstd frame (a version's delta:
  // an import's is megabytes) does not compress again, so it is stored
  // (level 0: valid zlib data, for the cost of a copy).
  z_stream* For(std::string_view data) {
    if (data.size() <= kSmallBytes) {
      if (!small_ok) {
        small_ok = deflateInit2(&small, kPackZlibLevel, Z_DEFLATED, /*windowBits=*/12,
                                /*memLevel=*/4, Z_DEFAULT_STRATEGY) == Z_OK;
        if (!small_ok) return nullptr;
      }
      deflateReset(&small);
      return &small;
    }
    if (IsZstdFrame(data)) {
      if (!stored_ok) stored_ok = deflateInit(&stored, Z_NO_COMPRESSION) == Z_OK;
      if (stored_ok) {
        deflateReset(&stored);
        return &stored;
      }
    }
    if (!large_ok) {
      large_ok = deflateInit(&large, kPackZlibLevel) == Z_OK;
      if (!large_ok) return nullptr;
    }
    deflateReset(&large);
    return &large;
  }
  static bool IsZstdFrame(std::string_view data) {
    return data.size() >= 4 && data.compare(0, 4, "\x28\xb5\x2f\xfd") == 0;
  }
};

}  // namespace

struct ObjectStore::PackDeflater : Deflater {};

// Here, where PackDeflater is whole.
ObjectStore::~ObjectStore() { Discard(); }

namespace {

// Appends the pack entry of an object (header, then its zlib data) to
// `out` in one piece, and returns the entry's CRC-32 in *crc.
bool AppendPackEntry(Deflater& d, unsigned type, std::string_view data, std::string& out,
                     std::uint32_t* crc) {
  if (!d.ok) return false;
  const std::size_t start = out.size();
  AppendEntryHeader(out, type, data.size());
  if (Deflater::IsWhole(data)) {
    if (!d.Whole(data, out)) return false;
    *crc = static_cast<std::uint32_t>(crc32(crc32(0, nullptr, 0),
                                            reinterpret_cast<const Bytef*>(out.data() + start),
                                            static_cast<uInt>(out.size() - start)));
    return true;
  }
  z_stream* stream = d.For(data);
  if (stream == nullptr) return false;
  z_stream& zs = *stream;
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  int rc = Z_OK;
  while (rc != Z_STREAM_END) {
    const std::size_t used = out.size();
    const std::size_t room =
        std::max<std::size_t>(deflateBound(&zs, static_cast<uLong>(data.size())), 64);
    out.resize(used + room);
    zs.next_out = reinterpret_cast<Bytef*>(out.data() + used);
    zs.avail_out = static_cast<uInt>(room);
    rc = deflate(&zs, Z_FINISH);
    out.resize(used + room - zs.avail_out);
    if (rc != Z_OK && rc != Z_STREAM_END && rc != Z_BUF_ERROR) return false;
  }
  *crc = static_cast<std::uint32_t>(crc32(crc32(0, nullptr, 0),
                                          reinterpret_cast<const Bytef*>(out.data() + start),
                                          static_cast<uInt>(out.size() - start)));
  return true;
}

}  // namespace

// The worker that compresses staged objects for the next pack, in the order
// they are staged: each becomes its pack entry (header and zlib data,
// AppendPackEntry) in body(), with its CRC-32, while the caller goes on
// hashing and building trees. An object larger than kLargeObjectBytes is not
// copied: its entry is marked deferred, and WritePack compresses it from the
// staging area in its place, a piece at a time. So the pack's bytes are
// those WritePack alone would write.
class ObjectStore::Compressor {
 public:
  struct Entry {
    ObjectId id;
    bool deferred = false;
    std::size_t begin = 0, size = 0;  // its bytes in body()
    std::uint32_t crc = 0;
  };
  static constexpr std::size_t kLargeObjectBytes = std::size_t{1} << 20;
  // Objects go to the worker in batches (one lock and one wake-up each,
  // not one per object: a wake-up is a context switch).
  static constexpr std::size_t kBatchObjects = 1024;
  static constexpr std::size_t kBatchBytes = std::size_t{256} << 10;
  // Copies waiting for the worker; past this, a hand-over waits for it.
  static constexpr std::size_t kMaxQueuedBytes = std::size_t{2} << 20;

  // Throws std::system_error if the thread cannot start.
  Compressor() : thread_([this] { Run(); }) {}
  ~Compressor() {
    {
      std::lock_guard lock(mu_);
      stop_ = true;
    }
    work_cv_.notify_all();
    thread_.join();
  }
  Compressor(const Compressor&) = delete;
  Compressor& operator=(const Compressor&) = delete;

  // Queues object `id` (its data copied, unless it is large). Called by
  // the store's writer only, as Wait and Reset are.
  void Add(const ObjectId& id, unsigned type, std::string_view data) {
    const bool deferred = data.size() > kLargeObjectBytes;
    batch_.push_back(Job{id, type, deferred ? std::string() : std::string(data), deferred});
    batch_bytes_ += batch_.back().data.size();
    if (batch_.size() >= kBatchObjects || batch_bytes_ >= kBatchBytes) HandOver();
  }
  // Waits until every object queued is compressed. The first error since
  // the last Reset, if any: an IOError naming the object.
  Status Wait() {
    HandOver();
    std::unique_lock lock(mu_);
    caller_cv_.wait(lock, [&] { return (queue_.empty() && !busy_) || dead_; });
    return error_;
  }
  // After a Wait that returned Ok: whether every object queued since the
  // last Reset has its entry (not so if memory ran out on the way; then
  // WritePack compresses them all itself).
  bool complete() const { return !lost_ && !dead_; }
  // After a Wait that returned Ok: the entries in the order queued, and
  // their bytes.
  const std::vector<Entry>& entries() const { return entries_; }
  const std::string& body() const { return body_; }
  // Forgets every object queued or compressed (and their memory). What the
  // worker is compressing now is dropped when it is done.
  // Allocates nothing: Discard calls it from destructors.
  void Reset() noexcept {
    batch_.clear();
    batch_bytes_ = 0;
    std::lock_guard lock(mu_);
    queue_.clear();
    queued_bytes_ = 0;
    ++generation_;
    std::vector<Entry>().swap(entries_);
    std::string().swap(body_);
    error_ = Status::Ok();
    lost_ = false;
    caller_cv_.notify_all();
  }
  void FailAt(std::size_t n) {
    std::lock_guard lock(mu_);
    fail_at_ = n;
  }

 private:
  struct Job {
    ObjectId id;
    unsigned type = 0;
    std::string data;
    bool deferred = false;
  };

  // Moves the writer's batch to the worker's queue.
  // Moves the writer's batch to the worker's queue. If memory runs out, the
  // batch is dropped and the pack compressed by WritePack (complete()).
  void HandOver() noexcept {
    if (batch_.empty()) return;
    {
      std::unique_lock lock(mu_);
      caller_cv_.wait(lock, [&] { return queued_bytes_ < kMaxQueuedBytes || dead_; });
      try {
        if (dead_) throw std::bad_alloc();
        for (Job& job : batch_) queue_.push_back(std::move(job));
        queued_bytes_ += batch_bytes_;
      } catch (...) {
        lost_ = true;
      }
    }
    batch_.clear();
    batch_bytes_ = 0;
    work_cv_.notify_one();
  }

  // The worker. If memory runs out where no object can be blamed, it stops
  // (dead_) and WritePack compresses every object itself.
  void Run() noexcept {
    try {
      Loop();
    } catch (...) {
      std::lock_guard lock(mu_);
      dead_ = true;
      busy_ = false;
    }
    caller_cv_.notify_all();
  }

  void Loop() {
    Deflater deflater;
    std::string out;
    std::vector<Entry> done;
    std::deque<Job> jobs;
    while (true) {
      std::uint64_t generation = 0;
      std::size_t fail = 0;  // 1 + the index of the job to fail, or 0
      {
        std::unique_lock lock(mu_);
        work_cv_.wait(lock, [&] { return stop_ || !queue_.empty(); });
        if (stop_) return;
        jobs.swap(queue_);
        queued_bytes_ = 0;
        busy_ = true;
        generation = generation_;
        if (fail_at_ > 0 && fail_at_ <= jobs.size()) {
          fail = fail_at_;
          fail_at_ = 0;
        } else if (fail_at_ > 0) {
          fail_at_ -= jobs.size();
        }
      }
      caller_cv_.notify_all();  // room in the queue
      out.clear();
      done.clear();
      std::optional<ObjectId> failed;
      try {
        for (std::size_t i = 0; i < jobs.size(); ++i) {
          const Job& job = jobs[i];
          Entry entry{job.id, job.deferred, out.size(), 0, 0};
          if (!job.deferred &&
              (fail == i + 1 || !AppendPackEntry(deflater, job.type, job.data, out, &entry.crc))) {
            if (!failed) failed = job.id;
          }
          entry.size = out.size() - entry.begin;
          done.push_back(entry);
        }
      } catch (...) {  // std::bad_alloc: WritePack compresses them
        std::lock_guard lock(mu_);
        if (generation == generation_) lost_ = true;
      }
      jobs.clear();
      {
        std::lock_guard lock(mu_);
        busy_ = false;
        if (generation == generation_) {
          try {
            if (failed && error_.ok()) {
              error_ = Status::IOError("cannot compress object " + failed->Hex());
            }
            const std::size_t base = body_.size();
            body_ += out;
            for (Entry& e : done) {
              e.begin += base;
              entries_.push_back(e);
            }
          } catch (...) {  // std::bad_alloc: WritePack compresses them
            lost_ = true;
          }
        }
      }
      caller_cv_.notify_all();
    }
  }

  std::deque<Job> batch_;  // the writer's, not yet handed over
  std::size_t batch_bytes_ = 0;
  std::mutex mu_;
  std::condition_variable work_cv_;    // to the worker: a job, or stop
  std::condition_variable caller_cv_;  // to callers: room in the queue, or idle
  std::deque<Job> queue_;
  std::size_t queued_bytes_ = 0;
  bool busy_ = false;
  bool stop_ = false;
  std::uint64_t generation_ = 0;  // Reset moves it on: older results are dropped
  Status error_;
  std::vector<Entry> entries_;
  std::string body_;
  std::size_t fail_at_ = 0;
  bool lost_ = false;   // a batch's entries were dropped (no memory)
  bool dead_ = false;   // the worker stopped (no memory)
  std::thread thread_;  // last: it starts once the members above exist
};

void ObjectStore::set_parallel_compression(bool on) {
  parallel_compression_ = on;
  if (!on) compressor_.reset();
}

// The worker starts once a write has staged kParallelCompressionObjects
// objects or kParallelCompressionBytes, not when the store opens: a
// command that only reads never pays for a thread, and a small write (a
// one-field version stages about ten objects) compresses them in Flush in
// less time than a thread takes to start and stop. The objects staged
// before it started are handed to it first, so it sees every one, as
// WritePack needs to use its entries.
void ObjectStore::StartCompressor() {
  if (compressor_ || !parallel_compression_) return;
  try {
    compressor_ = std::make_unique<Compressor>();
  } catch (...) {
    parallel_compression_ = false;  // no thread: Flush compresses, as it did
    return;
  }
  for (const ObjectId& id : staged_) {
    git_object_t type = GIT_OBJECT_INVALID;
    const std::string* data = StagedData(stage_, id, &type);
    if (data == nullptr) {  // cannot happen: ClearStage empties both
      compressor_.reset();
      return;
    }
    compressor_->Add(id, static_cast<unsigned>(type), *data);
  }
}

void ObjectStore::FailCompressionForTesting(std::size_t n) {
  StartCompressor();
  if (compressor_) compressor_->FailAt(n);
}

Result<ObjectId> ObjectStore::WriteObject(std::string_view data, git_object_t type) {
  const ObjectId id = HashObject(data, type);
  // The backends are asked directly: git_odb_exists would answer from
  // libgit2's cache, which still holds objects a failed write staged, read
  // and discarded (they never reached the disk), and it rescans objects/pack
  // on every miss. git_odb_write would check again, so write to the
  // staging backend directly.
  if (Stored(id)) return id;
  return StageNew(id, std::string(data), type);
}

Result<ObjectId> ObjectStore::WriteObject(std::string&& data, git_object_t type) {
  const ObjectId id = HashObject(data, type);
  if (Stored(id)) return id;
  return StageNew(id, std::move(data), type);
}

Result<ObjectId> ObjectStore::StageNew(const ObjectId& id, std::string&& bytes, git_object_t type) {
  const std::string_view data = StageObject(stage_, id, std::move(bytes), type);
  if (compressor_) compressor_->Add(id, static_cast<unsigned>(type), data);
  staged_.push_back(id);
  staged_bytes_ += data.size();
  if (!compressor_ && (staged_.size() >= kParallelCompressionObjects ||
                       staged_bytes_ >= kParallelCompressionBytes)) {
    StartCompressor();
  }
  if (flush_threshold_ > 0) {
    const std::uint64_t flushed = flushed_bytes_ - flushed_before_threshold_;
    const std::uint64_t bound = std::min(flush_threshold_, std::max(kFirstFlushBytes, flushed / 4));
    // With the worker, the compressed entries wait in memory too (Flush
    // used to stream them out): half the bound keeps it.
    if (staged_bytes_ >= (compressor_ ? bound / 2 : bound)) STRATA_RETURN_IF_ERROR(Flush());
  }
  return id;
}

namespace {

// Creates `pack_dir` if it is missing, and in it the temporary file a new
// pack is written to.
Status StartPack(const std::string& pack_dir, TempFile& pack) {
  std::error_code ec;
  std::filesystem::create_directories(pack_dir, ec);
  if (ec) return Status::IOError("cannot create " + pack_dir + ": " + ec.message());
  return pack.Create(pack_dir, "strata-tmp-pack");
}

// Ends pack file `pack`, written whole but for its trailer (`sha` has seen
// every byte), and writes its index for `entries` into `index`, a new
// temporary file in `pack_dir`: the pack fsynced if `sync_pack`, the index
// if it is larger than `sync_index_over` bytes; both closed. Returns the
// pack's checksum.
Result<std::string> FinishPack(TempFile& pack, Sha1& sha, std::vector<PackedEntry> entries,
                               const std::string& pack_dir, TempFile& index, bool sync_pack,
                               long sync_index_over) {
  std::string checksum = sha.Finish();
  STRATA_RETURN_IF_ERROR(WriteAll(pack.file.fd, checksum, pack.path));
  STRATA_RETURN_IF_ERROR(sync_pack ? SyncAndClose(pack.file, pack.path)
                                   : Close(pack.file, pack.path));
  STRATA_RETURN_IF_ERROR(index.Create(pack_dir, "strata-tmp-idx"));
  const std::string idx = PackIndex(std::move(entries), checksum);
  STRATA_RETURN_IF_ERROR(WriteAll(index.file.fd, idx, index.path));
  STRATA_RETURN_IF_ERROR(static_cast<long>(idx.size()) > sync_index_over
                             ? SyncAndClose(index.file, index.path)
                             : Close(index.file, index.path));
  return checksum;
}

// Ends pack file `pack` as FinishPack does and makes it a pack of
// `pack_dir`: the pack fsynced, its index too when larger than
// kUnsyncedIndexMax (a smaller one RepairPackIndexes rebuilds from the pack
// if a power loss tore it), both renamed to their names, then an fsync of
// the folder.
Status InstallPack(TempFile& pack, Sha1& sha, std::vector<PackedEntry> entries,
                   const std::string& pack_dir) {
  TempFile index;
  STRATA_ASSIGN_OR_RETURN(const std::string checksum,
                          FinishPack(pack, sha, std::move(entries), pack_dir, index, true,
                                     ObjectStore::kUnsyncedIndexMax));

  git_oid name;
  git_oid_fromraw(&name, reinterpret_cast<const unsigned char*>(checksum.data()));
  const std::string base = pack_dir + "/pack-" + FromGit(name).Hex();
  struct stat st {};
  if (::stat((base + ".idx").c_str(), &st) == 0) {
    // The same objects in the same order: this pack is on disk already.
    return Status::Ok();
  }
  STRATA_RETURN_IF_ERROR(pack.RenameTo(base + ".pack"));
  STRATA_RETURN_IF_ERROR(index.RenameTo(base + ".idx"));
  STRATA_RETURN_IF_ERROR(SyncDir(pack_dir));
  if (::stat((base + ".pack").c_str(), &st) == 0) {
    MakeSparesAfter(static_cast<std::uint64_t>(st.st_size), pack_dir);
  }
  return Status::Ok();
}

}  // namespace

// A pack of exactly the staged objects, written whole (no deltas) at zlib
// level 1 (a large zstd frame at level 0: see Deflater), with its index, by
// strata itself:
//   pack   := "PACK" be32(2) be32(count) entry* sha1(every byte before it)
//   entry  := header zlib(object content)
//   header := byte(more << 7 | type << 4 | size & 15) byte(more << 7 | 7 bits of size)*
// Entries are in the order the objects were staged, compressed by the
// Compressor while they were staged, or here (a large object, or with no
// worker).
// Both files are written under temporary names (objects/pack/strata-tmp-*),
// fsynced, renamed (the pack first, so a reader that sees the index finds
// its pack), and the folder is fsynced once: three fsync calls for any
// number of objects. (libgit2's indexer costs four, and loose objects cost
// two each.) Deltas are left to `strata gc`, which repacks small packs.
Status ObjectStore::WritePack(PreparedPack* prepared) {
  // The worker's entries, if it saw every staged object.
  const Compressor* compressed = nullptr;
  if (compressor_) {
    STRATA_RETURN_IF_ERROR(compressor_->Wait());
    if (compressor_->complete() && compressor_->entries().size() == staged_.size()) {
      compressed = compressor_.get();
    }
  }

  const std::string pack_dir = objects_dir_ + "/pack";
  // The folder's time before this pack's files go into it: Install tells
  // from it whether the lookups' listing is still the folder's but for
  // this pack (PackIds::AddOwn).
  struct stat folder {};
  const bool folder_dated = prepared != nullptr && ::stat(pack_dir.c_str(), &folder) == 0;
  TempFile pack;
  STRATA_RETURN_IF_ERROR(StartPack(pack_dir, pack));

  Sha1 sha;
  std::uint64_t written = 0;
  std::string chunk;
  auto write = [&](std::string_view bytes) -> Status {
    if (bytes.empty()) return Status::Ok();
    sha.Update(bytes);
    STRATA_RETURN_IF_ERROR(WriteAll(pack.file.fd, bytes, pack.path));
    written += bytes.size();
    return Status::Ok();
  };
  auto emit = [&]() -> Status {
    STRATA_RETURN_IF_ERROR(write(chunk));
    chunk.clear();
    return Status::Ok();
  };
  std::vector<PackedEntry> entries;
  entries.reserve(staged_.size());
  chunk += "PACK";
  PutBe32(chunk, 2);
  PutBe32(chunk, static_cast<std::uint32_t>(staged_.size()));
  // Setting up zlib's streams costs more than a small version's objects
  // (each allocates and clears its window and tables): kept for the next.
  if (!deflater_) deflater_ = std::make_unique<PackDeflater>();
  Deflater& deflater = *deflater_;
  if (!deflater.ok) {
    deflater_.reset();
    return Status::IOError("cannot start zlib");
  }
  deflater.store_small = staged_.size() <= kStoreSmallObjectsUpTo;
  // Compresses staged object `id` into the chunk a piece at a time, emitted
  // as it fills: a large object (an import's delta) is never held
  // compressed whole as well.
  auto pack_here = [&](const ObjectId& id) -> Status {
    // Read from the stage in place: no copy of a large object.
    git_object_t staged_type = GIT_OBJECT_INVALID;
    const std::string* staged = StagedData(stage_, id, &staged_type);
    if (staged == nullptr) return Status::Internal("staged object " + id.Hex() + " is not staged");
    const std::size_t size = staged->size();
    const unsigned type = static_cast<unsigned>(staged_type);  // commit 1, tree 2, blob 3, tag 4
    const std::size_t entry_start = chunk.size();
    PackedEntry entry{id, written + entry_start, 0};
    AppendEntryHeader(chunk, type, size);
    const bool whole = Deflater::IsWhole(*staged);
    if (whole && !deflater.Whole(*staged, chunk)) {
      return Status::IOError("cannot compress object " + id.Hex());
    }
    // A larger object streams through zlib, emitted as the chunk fills.
    uLong crc = crc32(0, nullptr, 0);
    std::size_t crc_from = entry_start;
    z_stream* zs = whole ? nullptr : deflater.For(*staged);
    if (!whole && zs == nullptr) return Status::IOError("cannot start zlib");
    if (zs) {
      zs->next_in = reinterpret_cast<Bytef*>(const_cast<char*>(staged->data()));
      zs->avail_in = static_cast<uInt>(size);
    }
    int rc = whole ? Z_STREAM_END : Z_OK;
    while (rc != Z_STREAM_END) {
      const std::size_t used = chunk.size();
      const std::size_t room = std::max<std::size_t>(
          std::min<std::size_t>(deflateBound(zs, static_cast<uLong>(size)), 1u << 20), 64);
      chunk.resize(used + room);
      zs->next_out = reinterpret_cast<Bytef*>(chunk.data() + used);
      zs->avail_out = static_cast<uInt>(room);
      rc = deflate(zs, Z_FINISH);
      chunk.resize(used + room - zs->avail_out);
      if (rc != Z_OK && rc != Z_STREAM_END && rc != Z_BUF_ERROR) {
        return Status::IOError("cannot compress object " + id.Hex());
      }
      if (rc != Z_STREAM_END && chunk.size() >= (4u << 20)) {
        crc = crc32(crc, reinterpret_cast<const Bytef*>(chunk.data() + crc_from),
                    static_cast<uInt>(chunk.size() - crc_from));
        crc_from = 0;
        STRATA_RETURN_IF_ERROR(emit());
      }
    }
    entry.crc = static_cast<std::uint32_t>(
        crc32(crc, reinterpret_cast<const Bytef*>(chunk.data() + crc_from),
              static_cast<uInt>(chunk.size() - crc_from)));
    entries.push_back(entry);
    if (chunk.size() >= (4u << 20)) STRATA_RETURN_IF_ERROR(emit());
    return Status::Ok();
  };
  if (compressed) {
    // Runs of the worker's entries go from its body straight to the file,
    // after what the chunk holds.
    std::string_view body = compressed->body();
    std::size_t run_begin = 0, run_end = 0;
    auto write_run = [&]() -> Status {
      if (run_end > run_begin) {
        STRATA_RETURN_IF_ERROR(emit());
        STRATA_RETURN_IF_ERROR(write(body.substr(run_begin, run_end - run_begin)));
      }
      run_begin = run_end;
      return Status::Ok();
    };
    for (const Compressor::Entry& e : compressed->entries()) {
      if (e.deferred) {
        STRATA_RETURN_IF_ERROR(write_run());
        STRATA_RETURN_IF_ERROR(pack_here(e.id));
        continue;
      }
      entries.push_back(PackedEntry{e.id, written + chunk.size() + (run_end - run_begin), e.crc});
      run_end = e.begin + e.size;
    }
    STRATA_RETURN_IF_ERROR(write_run());
  } else {
    for (const ObjectId& id : staged_) STRATA_RETURN_IF_ERROR(pack_here(id));
  }
  STRATA_RETURN_IF_ERROR(emit());
  if (prepared == nullptr) return InstallPack(pack, sha, std::move(entries), pack_dir);

  // Prepared: both files stay under their temporary names, unsynced.
  TempFile index;
  STRATA_ASSIGN_OR_RETURN(const std::string checksum,
                          FinishPack(pack, sha, std::move(entries), pack_dir, index, false,
                                     std::numeric_limits<long>::max()));
  std::optional<std::string> bytes = ReadFile(pack.path);
  if (!bytes) return Status::IOError("cannot read back " + pack.path + ": " + Errno());
  git_oid name;
  git_oid_fromraw(&name, reinterpret_cast<const unsigned char*>(checksum.data()));
  prepared->name_ = FromGit(name);
  prepared->base_ = pack_dir + "/pack-" + prepared->name_.Hex();
  prepared->bytes_ = std::move(*bytes);
  prepared->pack_tmp_ = pack.path;
  if (folder_dated) prepared->folder_before_ = folder.st_mtim;
  prepared->folder_dated_ = folder_dated;
  pack.keep = true;  // the PreparedPack removes it now
  prepared->index_tmp_ = index.path;
  index.keep = true;
  return Status::Ok();
}

ObjectStore::PreparedPack::~PreparedPack() {
  if (installed_) return;
  if (!pack_tmp_.empty()) ::unlink(pack_tmp_.c_str());
  if (!index_tmp_.empty()) ::unlink(index_tmp_.c_str());
}

Result<std::unique_ptr<ObjectStore::PreparedPack>> ObjectStore::PreparePack() {
  if (staged_.empty()) return std::unique_ptr<PreparedPack>();
  auto prepared = std::make_unique<PreparedPack>();
  STRATA_RETURN_IF_ERROR(WritePack(prepared.get()));
  return prepared;
}

Status ObjectStore::Install(PreparedPack& pack, bool sync) {
  if (pack.installed_) return Status::Ok();
  auto sync_file = [](const std::string& path) -> Status {
    Fd file(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (file.fd < 0) return Status::IOError("cannot open " + path + ": " + Errno());
    return SyncAndClose(file, path);
  };
  if (sync) {
    STRATA_RETURN_IF_ERROR(sync_file(pack.pack_tmp_));
    struct stat st {};
    if (::stat(pack.index_tmp_.c_str(), &st) != 0) {
      return Status::IOError("cannot read " + pack.index_tmp_ + ": " + Errno());
    }
    if (st.st_size > kUnsyncedIndexMax) STRATA_RETURN_IF_ERROR(sync_file(pack.index_tmp_));
  }
  struct stat st {};
  if (::stat((pack.base_ + ".idx").c_str(), &st) != 0) {
    // The pack first, so a reader that sees the index finds its pack.
    if (::rename(pack.pack_tmp_.c_str(), (pack.base_ + ".pack").c_str()) != 0) {
      return Status::IOError("cannot rename " + pack.pack_tmp_ + " to " + pack.base_ +
                             ".pack: " + Errno());
    }
    pack.pack_tmp_.clear();
    if (::rename(pack.index_tmp_.c_str(), (pack.base_ + ".idx").c_str()) != 0) {
      return Status::IOError("cannot rename " + pack.index_tmp_ + " to " + pack.base_ +
                             ".idx: " + Errno());
    }
    pack.index_tmp_.clear();
    if (sync) STRATA_RETURN_IF_ERROR(SyncDir(objects_dir_ + "/pack"));
  }  // else the same objects in the same order: this pack is on disk already
  pack.installed_ = true;
  MakeSparesAfter(staged_bytes_, objects_dir_ + "/pack");
  if (!pack.pack_tmp_.empty()) ::unlink(pack.pack_tmp_.c_str());
  if (!pack.index_tmp_.empty()) ::unlink(pack.index_tmp_.c_str());
  flushed_objects_ += staged_.size();
  flushed_bytes_ += staged_bytes_;
  // The folder as it was before this pack's files went in (WritePack)
  // still the lookups' listing: only this pack is new to it.
  bool added = false;
  if (pack.folder_dated_) {
    std::lock_guard lock(pack_ids_->mu);
    added = pack_ids_->ids.AddOwn("pack-" + pack.name_.Hex() + ".idx", pack.folder_before_);
  }
  if (added) {
    // libgit2's pack backend, when this process made one, sees it too. No
    // pack went, nor any loose object came: the rest of RefreshPacks (a
    // listing of objects/pack, of the loose fan-out folders) is not needed.
    STRATA_GIT(packs_->refresh(packs_), "cannot rescan the packs");
  } else {
    STRATA_RETURN_IF_ERROR(RefreshPacks());
  }
  ClearStage();
  return Status::Ok();
}

Status ObjectStore::Flush() {
  if (staged_.empty()) return Status::Ok();
  STRATA_RETURN_IF_ERROR(WritePack());
  // Staging checks existence without rescanning objects/pack; make the new
  // pack visible so its objects are not staged again.
  flushed_objects_ += staged_.size();
  flushed_bytes_ += staged_bytes_;
  STRATA_RETURN_IF_ERROR(RefreshPacks());
  // The objects are stored now: the indexes cached of their trees stay (the
  // next write reads the same paths).
  ClearStage();
  return Status::Ok();
}

Result<ObjectId> ObjectStore::WriteBlobFile(std::FILE* file) {
  auto io_error = [](const std::string& what) {
    return Status::IOError("cannot read a blob's temporary file: " + what);
  };
  if (std::fflush(file) != 0) return io_error(Errno());
  struct stat st {};
  if (::fstat(::fileno(file), &st) != 0) return io_error(Errno());
  const auto size = static_cast<std::uint64_t>(st.st_size);
  std::string buffer(std::size_t{1} << 20, '\0');
  // Calls `each` with the file's bytes, a buffer at a time, from the start.
  auto read_all = [&](const std::function<Status(std::string_view)>& each) -> Status {
    if (std::fseek(file, 0, SEEK_SET) != 0) return io_error(Errno());
    std::uint64_t left = size;
    while (left > 0) {
      const std::size_t n = std::fread(buffer.data(), 1, buffer.size(), file);
      if (n == 0) return io_error(std::ferror(file) ? Errno() : "it is shorter than it was");
      STRATA_RETURN_IF_ERROR(
          each(std::string_view(buffer.data(), std::min<std::uint64_t>(n, left))));
      left -= std::min<std::uint64_t>(n, left);
    }
    return Status::Ok();
  };

  // Its id: the hash of git's header and the bytes.
  Sha1 object_sha;
  object_sha.Update("blob " + std::to_string(size) + std::string(1, '\0'));
  STRATA_RETURN_IF_ERROR(read_all([&](std::string_view bytes) {
    object_sha.Update(bytes);
    return Status::Ok();
  }));
  const std::string raw_id = object_sha.Finish();
  git_oid oid;
  git_oid_fromraw(&oid, reinterpret_cast<const unsigned char*>(raw_id.data()));
  const ObjectId id = FromGit(oid);
  if (Stored(id)) return id;

  // A pack of this one object, compressed a buffer at a time as WritePack
  // compresses a large staged one (a zstd frame stored, not deflated again).
  const std::string pack_dir = objects_dir_ + "/pack";
  TempFile pack;
  STRATA_RETURN_IF_ERROR(StartPack(pack_dir, pack));
  Sha1 sha;
  std::string chunk = "PACK";
  PutBe32(chunk, 2);
  PutBe32(chunk, 1);
  const std::size_t entry_start = chunk.size();
  AppendEntryHeader(chunk, static_cast<unsigned>(GIT_OBJECT_BLOB), size);
  uLong crc = crc32(0, reinterpret_cast<const Bytef*>(chunk.data() + entry_start),
                    static_cast<uInt>(chunk.size() - entry_start));
  auto emit = [&](std::string_view bytes) -> Status {
    sha.Update(bytes);
    return WriteAll(pack.file.fd, bytes, pack.path);
  };
  STRATA_RETURN_IF_ERROR(emit(chunk));

  char magic[4] = {};
  if (std::fseek(file, 0, SEEK_SET) != 0) return io_error(Errno());
  const bool zstd = std::fread(magic, 1, sizeof magic, file) == sizeof magic &&
                    Deflater::IsZstdFrame(std::string_view(magic, sizeof magic));
  z_stream zs{};
  if (deflateInit(&zs, zstd ? Z_NO_COMPRESSION : kPackZlibLevel) != Z_OK) {
    return Status::IOError("cannot start zlib");
  }
  std::unique_ptr<z_stream, int (*)(z_stream*)> end_zs(&zs, deflateEnd);
  std::string out(std::size_t{1} << 20, '\0');
  std::uint64_t fed = 0;
  auto deflate_some = [&](std::string_view bytes) -> Status {
    fed += bytes.size();
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(bytes.data()));
    zs.avail_in = static_cast<uInt>(bytes.size());
    const int flush = fed == size ? Z_FINISH : Z_NO_FLUSH;
    int rc = Z_OK;
    do {
      zs.next_out = reinterpret_cast<Bytef*>(out.data());
      zs.avail_out = static_cast<uInt>(out.size());
      rc = deflate(&zs, flush);
      if (rc != Z_OK && rc != Z_STREAM_END && rc != Z_BUF_ERROR) {
        return Status::IOError("cannot compress blob " + id.Hex());
      }
      const std::string_view piece(out.data(), out.size() - zs.avail_out);
      crc =
          crc32(crc, reinterpret_cast<const Bytef*>(piece.data()), static_cast<uInt>(piece.size()));
      STRATA_RETURN_IF_ERROR(emit(piece));
    } while (flush == Z_FINISH ? rc != Z_STREAM_END : zs.avail_out == 0);
    return Status::Ok();
  };
  if (size == 0) {
    STRATA_RETURN_IF_ERROR(deflate_some(std::string_view()));
  } else {
    STRATA_RETURN_IF_ERROR(read_all(deflate_some));
  }
  STRATA_RETURN_IF_ERROR(InstallPack(
      pack, sha, {PackedEntry{id, entry_start, static_cast<std::uint32_t>(crc)}}, pack_dir));
  STRATA_RETURN_IF_ERROR(RefreshPacks());
  ++flushed_objects_;
  flushed_bytes_ += size;
  return id;
}

namespace {

// The index of `pack` (its bytes), rebuilt by reading every entry: the
// packs WritePack makes hold whole objects only. Corruption for a pack
// that is damaged or holds deltas (WritePack never wrote it).
Result<std::string> IndexWholePack(const std::string& pack, const std::string& path) {
  auto bad = [&](const std::string& why) {
    return Status::Corruption("cannot re-index " + path + ": " + why);
  };
  if (pack.size() < 12 + 20 || pack.compare(0, 4, "PACK") != 0) return bad("not a pack");
  const auto* b = reinterpret_cast<const unsigned char*>(pack.data());
  if (Be32(b + 4) != 2) return bad("not a version 2 pack");
  const std::uint32_t count = Be32(b + 8);
  const std::string checksum = pack.substr(pack.size() - 20);
  Sha1 sha;
  sha.Update(std::string_view(pack).substr(0, pack.size() - 20));
  if (sha.Finish() != checksum) return bad("its checksum does not match");
  z_stream zs{};
  if (inflateInit(&zs) != Z_OK) return Status::IOError("cannot start zlib");
  struct ZFree {
    z_stream* z;
    ~ZFree() { inflateEnd(z); }
  } z_free{&zs};
  std::vector<PackedEntry> entries;
  entries.reserve(count);
  std::size_t at = 12;
  const std::size_t end = pack.size() - 20;
  std::string data;
  for (std::uint32_t i = 0; i < count; ++i) {
    const std::size_t start = at;
    if (at >= end) return bad("it ends early");
    unsigned char c = b[at++];
    const int type = (c >> 4) & 7;
    std::uint64_t size = c & 15;
    for (int shift = 4; c & 0x80; shift += 7) {
      if (at >= end || shift > 57) return bad("an entry header is damaged");
      c = b[at++];
      size |= std::uint64_t{c & 0x7fu} << shift;
    }
    if (type < GIT_OBJECT_COMMIT || type > GIT_OBJECT_TAG) return bad("it holds deltas");
    data.resize(size);
    inflateReset(&zs);
    zs.next_in = const_cast<Bytef*>(b + at);
    zs.avail_in = static_cast<uInt>(end - at);
    zs.next_out = reinterpret_cast<Bytef*>(data.data());
    zs.avail_out = static_cast<uInt>(size);
    int rc = inflate(&zs, Z_FINISH);
    if (rc != Z_STREAM_END || zs.total_out != size) return bad("an object does not inflate");
    at += zs.total_in;
    const ObjectId id = HashObject(data, static_cast<git_object_t>(type));
    const uLong crc = crc32(crc32(0, nullptr, 0), b + start, static_cast<uInt>(at - start));
    entries.push_back({id, start, static_cast<std::uint32_t>(crc)});
  }
  if (at != end) return bad("it has bytes after its last object");
  return PackIndex(std::move(entries), checksum);
}

}  // namespace

Result<std::optional<ObjectStore::CombinedPack>> ObjectStore::CombinePacks(
    const std::string& objects_dir, const std::vector<std::string>& bases) {
  std::vector<SourcePack> sources;
  std::unordered_set<ObjectId> seen;
  std::uint64_t count = 0;
  for (const std::string& base : bases) {
    STRATA_ASSIGN_OR_RETURN(SourcePack source, ReadSourcePack(base));
    for (const PackedEntry& e : source.entries) {
      if (!seen.insert(e.id).second) return std::optional<CombinedPack>();
    }
    count += source.entries.size();
    sources.push_back(std::move(source));
  }
  if (count > 0xffffffffu) return std::optional<CombinedPack>();  // the header counts in 32 bits

  const std::string pack_dir = objects_dir + "/pack";
  TempFile pack;
  STRATA_RETURN_IF_ERROR(pack.Create(pack_dir, "strata-tmp-pack"));
  Sha1 sha;
  std::string header = "PACK";
  PutBe32(header, 2);
  PutBe32(header, static_cast<std::uint32_t>(count));
  sha.Update(header);
  STRATA_RETURN_IF_ERROR(WriteAll(pack.file.fd, header, pack.path));
  std::uint64_t written = header.size();
  std::vector<PackedEntry> entries;
  entries.reserve(count);
  std::string buffer(std::size_t{1} << 20, '\0');
  for (const SourcePack& source : sources) {
    Fd in(::open(source.path.c_str(), O_RDONLY | O_CLOEXEC));
    if (in.fd < 0) return Status::IOError("cannot open " + source.path + ": " + Errno());
    // Every byte read is checked against the pack's own checksum, so no
    // damaged byte is copied into a pack that would then vouch for it.
    Sha1 check;
    char head[12];
    STRATA_RETURN_IF_ERROR(ReadAt(in.fd, head, sizeof head, 0, source.path));
    const auto* h = reinterpret_cast<const unsigned char*>(head);
    if (std::memcmp(head, "PACK", 4) != 0 || Be32(h + 4) != 2 ||
        Be32(h + 8) != source.entries.size()) {
      return Status::Corruption(source.path + " does not match its index");
    }
    check.Update(std::string_view(head, sizeof head));
    const std::uint64_t body_end = source.size - 20;
    for (std::uint64_t at = 12; at < body_end;) {
      const std::size_t n =
          static_cast<std::size_t>(std::min<std::uint64_t>(buffer.size(), body_end - at));
      STRATA_RETURN_IF_ERROR(ReadAt(in.fd, buffer.data(), n, at, source.path));
      const std::string_view piece(buffer.data(), n);
      check.Update(piece);
      sha.Update(piece);
      STRATA_RETURN_IF_ERROR(WriteAll(pack.file.fd, piece, pack.path));
      at += n;
    }
    char trailer[20];
    STRATA_RETURN_IF_ERROR(ReadAt(in.fd, trailer, sizeof trailer, body_end, source.path));
    const std::string sum = check.Finish();
    if (sum != std::string_view(trailer, sizeof trailer) || sum != source.checksum) {
      return Status::Corruption(source.path + " does not match its checksum");
    }
    for (const PackedEntry& e : source.entries) {
      entries.push_back(PackedEntry{e.id, written + (e.offset - 12), e.crc});
    }
    written += body_end - 12;
  }
  // The index always fsynced: RepairPackIndexes can rebuild only the index
  // of a pack of whole objects, and these packs may hold deltas.
  TempFile index;
  STRATA_ASSIGN_OR_RETURN(const std::string checksum,
                          FinishPack(pack, sha, std::move(entries), pack_dir, index, true, -1));
  git_oid name;
  git_oid_fromraw(&name, reinterpret_cast<const unsigned char*>(checksum.data()));
  const std::string base = pack_dir + "/pack-" + FromGit(name).Hex();
  struct stat st {};
  if (::stat((base + ".idx").c_str(), &st) != 0) {
    STRATA_RETURN_IF_ERROR(pack.RenameTo(base + ".pack"));
    STRATA_RETURN_IF_ERROR(index.RenameTo(base + ".idx"));
    STRATA_RETURN_IF_ERROR(SyncDir(pack_dir));
  }  // else the same objects in the same order: this pack is on disk already
  return std::optional<CombinedPack>(CombinedPack{base, count});
}

Result<std::string> ObjectStore::WritePackOf(const std::vector<ObjectId>& ids,
                                             const PackStreamOptions& options,
                                             const std::string& dir, PackStreamStats* stats_out) {
  TempFile pack;
  STRATA_RETURN_IF_ERROR(pack.Create(dir, "strata-tmp-pack"));
  std::vector<PackedEntry> entries;
  PackStreamOptions with_entries = options;
  with_entries.entries = &entries;
  STRATA_ASSIGN_OR_RETURN(const PackStreamStats stats,
                          StreamPack(ids, with_entries, [&](std::string_view bytes) {
                            return WriteAll(pack.file.fd, bytes, pack.path);
                          }));
  STRATA_RETURN_IF_ERROR(SyncAndClose(pack.file, pack.path));
  TempFile index;
  STRATA_RETURN_IF_ERROR(index.Create(dir, "strata-tmp-idx"));
  STRATA_RETURN_IF_ERROR(
      WriteAll(index.file.fd, PackIndex(std::move(entries), stats.checksum), index.path));
  STRATA_RETURN_IF_ERROR(SyncAndClose(index.file, index.path));
  git_oid name;
  git_oid_fromraw(&name, reinterpret_cast<const unsigned char*>(stats.checksum.data()));
  const std::string base = "pack-" + FromGit(name).Hex();
  STRATA_RETURN_IF_ERROR(pack.RenameTo(dir + "/" + base + ".pack"));
  STRATA_RETURN_IF_ERROR(index.RenameTo(dir + "/" + base + ".idx"));
  STRATA_RETURN_IF_ERROR(SyncDir(dir));
  if (stats_out) *stats_out = stats;
  return base;
}

Result<std::string> ObjectStore::IndexOfWholePack(const std::string& pack,
                                                  const std::string& path) {
  return IndexWholePack(pack, path);
}

// WritePack fsyncs an index of kUnsyncedIndexMax bytes or less only through
// the folder's fsync (its name, not its bytes): after a power loss it may
// be empty, short or hold zeros, while its pack, fsynced before its rename,
// is whole. Every such index is checked here (a few KiB each; automatic gc
// keeps packs few) and rebuilt from its pack if it is not valid.
Status ObjectStore::RepairPackIndexes(const std::string& objects_dir) {
  const std::string pack_dir = objects_dir + "/pack";
  // opendir, not std::filesystem::directory_iterator: its increment is
  // noexcept and allocates, so an allocation failure there would terminate.
  struct DirCloser {
    DIR* d;
    ~DirCloser() {
      if (d) ::closedir(d);
    }
  } dir{::opendir(pack_dir.c_str())};
  if (!dir.d) return Status::Ok();  // no packs yet
  Status result = Status::Ok();
  while (const dirent* entry = ::readdir(dir.d)) {
    const std::string name = entry->d_name;
    if (name.size() != 5 + 40 + 4 || name.rfind("pack-", 0) != 0 ||
        name.compare(45, 4, ".idx") != 0) {
      continue;
    }
    const std::string idx_path = pack_dir + "/" + name;
    struct stat st {};
    if (::stat(idx_path.c_str(), &st) != 0 || st.st_size > kUnsyncedIndexMax) continue;
    std::optional<std::string> idx = ReadFile(idx_path);
    if (!idx) continue;  // removed meanwhile (gc)
    if (ValidPackIndex(*idx)) continue;
    const std::string pack_path = pack_dir + "/" + name.substr(0, 45) + ".pack";
    std::optional<std::string> pack = ReadFile(pack_path);
    if (!pack) {
      // A torn index whose pack never became durable: a crash before the
      // folder's fsync, so no ref names its objects.
      if (errno == ENOENT) ::unlink(idx_path.c_str());
      continue;
    }
    Result<std::string> rebuilt = IndexWholePack(*pack, pack_path);
    if (!rebuilt.ok()) {
      result = rebuilt.status();
      continue;
    }
    TempFile index;
    Status written = index.Create(pack_dir, "strata-tmp-idx");
    if (written.ok()) written = WriteAll(index.file.fd, *rebuilt, index.path);
    if (written.ok()) written = SyncAndClose(index.file, index.path);
    if (written.ok()) written = index.RenameTo(idx_path);
    if (written.ok()) written = SyncDir(pack_dir);
    if (!written.ok()) result = written;
  }
  return result;
}

void ObjectStore::Discard() {
  if (!staged_.empty()) {
    // An index of a tree that was only staged must not outlive it: a lookup
    // would find members of a tree no longer stored.
    std::lock_guard lock(index_mutex_);
    index_lru_.clear();
    index_map_.clear();
    index_bytes_ = 0;
  }
  ClearStage();
}

void ObjectStore::ClearStage() {
  // The worker stops with the write: between writes the process has no
  // other thread, so an munmap (libgit2's indexer maps and unmaps the pack
  // it writes for every object, in gc and fetch) flushes this CPU's TLB
  // only, not every CPU's by interrupt.
  compressor_.reset();
  ResetStage(stage_);
  staged_.clear();
  staged_bytes_ = 0;
}

}  // namespace strata
