// Repository::Gc (strata/gc.h has the steps, docs/gc.md the rules).
#include "strata/gc.h"

#include <dirent.h>
#include <fcntl.h>
#include <git2/sys/odb_backend.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <limits>
#include <unordered_set>
#include <vector>

#include "objects/file_io.h"
#include "objects/guard.h"
#include "objects/object_id_set.h"
#include "objects/pack_reader.h"
#include "objects/spare_files.h"
#include "repo/journal.h"
#include "repo/repository_impl.h"
#include "strata/repository.h"

namespace strata {
namespace fs = std::filesystem;

namespace {

using PackBuilderPtr = GitPtr<git_packbuilder, git_packbuilder_free>;

constexpr const char* kGcLockFile = "gc.flock";
constexpr const char* kTempPrefix = "gc-tmp-";
// Temporary files of interrupted writers (objects/pack/strata-tmp-*, libgit2's
// tmp_object_git2_* and pack_git2_*) older than this are removed: no writer
// takes an hour between two writes to its temporary file.
constexpr std::int64_t kTempFileExpire = 3600;

// STRATA_GC_TEST_STOP=STEP: the process ends at once at STEP, as a SIGKILL
// would end it there (tests/cli/t2100-gc.sh kills gc at each step).
void StopPoint(const char* step) {
  const char* stop = std::getenv("STRATA_GC_TEST_STOP");
  if (stop != nullptr && std::strcmp(stop, step) == 0) _exit(137);
}

std::int64_t MtimeOf(const struct stat& st) { return static_cast<std::int64_t>(st.st_mtime); }

struct LooseFile {
  ObjectId id;
  std::string path;
  std::int64_t mtime = 0;
  std::uint64_t size = 0;
};

struct PackOnDisk {
  std::string base;  // objects/pack/pack-HEX (no extension)
  std::string name;  // pack-HEX.pack
  std::int64_t mtime = 0;
  std::uint64_t bytes = 0;              // pack and index
  std::uint64_t objects = 0;            // from the index's size: 8 + 1024 + 28 a object + 40 bytes
  bool keep = false;                    // a .keep file: git's "never repack this"
  std::vector<std::string> side_files;  // git's .rev, .bitmap, .mtimes of it, as listed
};

struct Listing {
  std::vector<LooseFile> loose;
  std::vector<PackOnDisk> packs;
  std::vector<std::string>
      orphans;  // a pack without its index or an index without its pack, old enough to remove
  std::vector<std::string> temps;   // old temporary files of interrupted writers
  std::vector<std::string> fanout;  // the objects/XX folders there were
  std::uint64_t bytes = 0;
};

bool IsHex(std::string_view s) {
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

bool EndsWith(const std::string& s, std::string_view suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

bool StartsWith(const std::string& s, std::string_view prefix) {
  return s.compare(0, prefix.size(), prefix) == 0;
}

// The names in folder `dir`, "." and ".." left out; none if it cannot be
// read. Not std::filesystem::directory_iterator: libstdc++ 12 builds its
// entries inside a noexcept function, so running out of memory there ends
// the process (tests/repo/alloc_failure_test.cc found it on every write's
// auto gc check); here it is a std::bad_alloc that the public boundary
// returns as ResourceExhausted.
std::vector<std::string> NamesIn(const std::string& dir) {
  std::vector<std::string> out;
  std::unique_ptr<DIR, int (*)(DIR*)> d(::opendir(dir.c_str()), &::closedir);
  if (!d) return out;
  while (const dirent* e = ::readdir(d.get())) {
    std::string_view name(e->d_name);
    if (name != "." && name != "..") out.emplace_back(name);
  }
  return out;
}

// The loose objects, packs and leftovers under `objects`, from one listing
// of each folder: only the fan-out folders that exist are opened (a packed
// repository has none), and a pack's .keep and git's side files (.rev,
// .bitmap, .mtimes) are found in the listing, not asked for one by one.
Result<Listing> ListObjects(const std::string& objects, std::int64_t now) {
  Listing out;
  for (const std::string& fan : NamesIn(objects)) {
    if (fan.size() != 2 || !IsHex(fan)) continue;
    const std::string dir = objects + "/" + fan;
    out.fanout.push_back(dir);
    for (const std::string& name : NamesIn(dir)) {
      const std::string path = dir + "/" + name;
      struct stat st {};
      if (::stat(path.c_str(), &st) != 0) continue;
      if (name.size() == GIT_OID_HEXSZ - 2 && IsHex(name)) {
        LooseFile f;
        const std::string full = fan + name;
        if (git_oid_fromstrn(AsGit(f.id), full.data(), full.size()) != 0) continue;
        f.path = path;
        f.mtime = MtimeOf(st);
        f.size = static_cast<std::uint64_t>(st.st_size);
        out.bytes += f.size;
        out.loose.push_back(std::move(f));
      } else if (StartsWith(name, "tmp_object_git2_") && now - MtimeOf(st) > kTempFileExpire) {
        out.temps.push_back(path);
      }
    }
  }
  const std::string pack_dir = objects + "/pack";
  const std::vector<std::string> names = NamesIn(pack_dir);
  const std::unordered_set<std::string_view> listed(names.begin(), names.end());
  for (const std::string& name : names) {
    const bool temp = StartsWith(name, "strata-tmp-") || StartsWith(name, "pack_git2_");
    const bool pack = StartsWith(name, "pack-") && EndsWith(name, ".pack");
    const bool index = StartsWith(name, "pack-") && EndsWith(name, ".idx");
    if (!temp && !pack && !index) continue;
    const std::string path = pack_dir + "/" + name;
    const std::string stem = name.substr(0, name.rfind('.'));  // pack-HEX
    if (pack && listed.count(stem + ".idx") > 0) continue;     // listed with its index
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
    if (temp) {
      if (now - MtimeOf(st) > kTempFileExpire) out.temps.push_back(path);
      continue;
    }
    if (pack) {
      // An interrupted write renamed the pack, not its index.
      if (now - MtimeOf(st) > kTempFileExpire) out.orphans.push_back(path);
      continue;
    }
    PackOnDisk p;
    p.base = pack_dir + "/" + stem;
    p.name = stem + ".pack";
    struct stat pack_st {};
    if (listed.count(p.name) == 0 || ::stat((p.base + ".pack").c_str(), &pack_st) != 0) {
      // git and libgit2 skip an index without its pack; libgit2's indexer
      // renames the index first, so a transfer killed between the two
      // renames leaves one. Removed once it is old enough not to be one
      // that a running transfer is about to complete.
      if (now - MtimeOf(st) > kTempFileExpire) out.orphans.push_back(path);
      continue;
    }
    p.mtime = MtimeOf(pack_st);
    p.bytes = static_cast<std::uint64_t>(st.st_size) + static_cast<std::uint64_t>(pack_st.st_size);
    p.objects = st.st_size > 1072 ? static_cast<std::uint64_t>(st.st_size - 1072) / 28 : 0;
    p.keep = listed.count(stem + ".keep") > 0;
    for (const char* ext : {".rev", ".bitmap", ".mtimes"}) {
      if (listed.count(stem + ext) > 0) p.side_files.push_back(p.base + ext);
    }
    out.bytes += p.bytes;
    out.packs.push_back(std::move(p));
  }
  return out;
}

// strata.gcAuto and strata.gcAutoPackLimit from a snapshot of the
// repository's config (Impl::Config: the write's own, during a write); the
// defaults where unset or unreadable.
GcAutoLimits ReadAutoLimits(git_config* raw) {
  GcAutoLimits limits;
  if (raw == nullptr) return limits;
  int64_t value = 0;
  if (git_config_get_int64(&value, raw, "strata.gcAuto") == 0) limits.loose = value;
  if (git_config_get_int64(&value, raw, "strata.gcAutoPackLimit") == 0) limits.packs = value;
  git_error_clear();
  return limits;
}

// Whether --auto has work: more packs than the limit, or more loose objects
// than the threshold, estimated (as git does) from objects/17 alone.
// `listed_packs`: how many packs the object store's listing holds, kept
// ones included (ObjectStore::ListedPacks): at most the limit, the folder
// is not listed again to tell kept packs apart.
std::optional<std::string> AutoReason(const std::string& objects, const GcAutoLimits& limits,
                                      std::optional<std::size_t> listed_packs) {
  if (limits.loose <= 0) return std::nullopt;
  const bool under_pack_limit =
      listed_packs && static_cast<std::int64_t>(*listed_packs) <= limits.packs;
  if (limits.packs > 0 && !under_pack_limit) {
    std::int64_t packs = 0;
    // Kept packs (pack-X.keep) are in the same listing: no stat a pack.
    const std::vector<std::string> names = NamesIn(objects + "/pack");
    std::unordered_set<std::string_view> kept;
    for (const std::string& name : names) {
      if (StartsWith(name, "pack-") && EndsWith(name, ".keep")) {
        kept.insert(std::string_view(name).substr(0, name.size() - 5));
      }
    }
    for (const std::string& name : names) {
      if (!StartsWith(name, "pack-") || !EndsWith(name, ".idx")) continue;
      if (kept.count(std::string_view(name).substr(0, name.size() - 4)) == 0) ++packs;
    }
    if (packs > limits.packs) {
      return std::to_string(packs) + " packs (strata.gcAutoPackLimit " +
             std::to_string(limits.packs) + ")";
    }
  }
  const std::int64_t per_dir = (limits.loose + 255) / 256;
  std::int64_t sample = 0;
  for (const std::string& name : NamesIn(objects + "/17")) {
    if (name.size() == GIT_OID_HEXSZ - 2 && IsHex(name)) ++sample;
  }
  if (sample > per_dir) {
    return "about " + std::to_string(sample * 256) + " loose objects (strata.gcAuto " +
           std::to_string(limits.loose) + ")";
  }
  return std::nullopt;
}

Status SyncDir(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return Status::IOError("cannot open " + dir + ": " + Errno());
  int rc = ::fsync(fd);
  int err = errno;
  ::close(fd);
  if (rc != 0) return Status::IOError("cannot fsync " + dir + ": " + std::strerror(err));
  return Status::Ok();
}

Status Unlink(const std::string& path) {
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
    return Status::IOError("cannot remove " + path + ": " + Errno());
  }
  return Status::Ok();
}

// Removes a listed pack: its index first (then no reader finds a pack that
// is going away), the pack, and the side files git wrote for it.
Status RemovePack(const PackOnDisk& p) {
  STRATA_RETURN_IF_ERROR(Unlink(p.base + ".idx"));
  STRATA_RETURN_IF_ERROR(Unlink(p.base + ".pack"));
  for (const std::string& path : p.side_files) STRATA_RETURN_IF_ERROR(Unlink(path));
  return Status::Ok();
}

// Automatic gc's RemovePack: the files move into the spare folder's
// retired files (appended to `retired`), removed on another thread
// (objects/spare_files.h, SpareKeeper); one that cannot move is removed.
Status RetirePack(const PackOnDisk& p, const std::string& spare_dir,
                  std::vector<std::string>& retired) {
  std::vector<std::string> paths{p.base + ".idx", p.base + ".pack"};
  paths.insert(paths.end(), p.side_files.begin(), p.side_files.end());
  for (const std::string& path : paths) {
    std::string moved = MoveToRetired(spare_dir, path);
    if (moved.empty()) {
      STRATA_RETURN_IF_ERROR(Unlink(path));
    } else {
      retired.push_back(std::move(moved));
    }
  }
  return Status::Ok();
}

// The gc lock: held with flock(2) for the whole run, never waited for.
class GcLock {
 public:
  ~GcLock() {
    if (fd_ >= 0) ::close(fd_);
  }
  // false: another gc holds it.
  Result<bool> TryAcquire(const std::string& path) {
    fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd_ < 0) return Status::IOError("cannot open the gc lock " + path + ": " + Errno());
    if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
      if (errno == EWOULDBLOCK) return false;
      return Status::IOError("cannot lock " + path + ": " + Errno());
    }
    return true;
  }

 private:
  int fd_ = -1;
};

// The objects to keep, gathered as roots: commits go to a revwalk (their
// whole history is kept), everything else is walked here.
class Roots {
 public:
  Roots(git_repository* repo, ObjectStore& store) : repo_(repo), store_(store) {}

  // Adds `id` if the object exists (a reflog may name pruned ones).
  Status Add(const git_oid& id) {
    if (git_oid_is_zero(&id)) return Status::Ok();
    ObjectId oid = FromGit(id);
    if (!seen_.insert(oid)) return Status::Ok();
    git_odb* odb = nullptr;
    STRATA_GIT(git_repository_odb(&odb, repo_), "cannot open the object database");
    OdbPtr owned(odb);
    std::size_t size = 0;
    git_object_t type = GIT_OBJECT_INVALID;
    int rc = git_odb_read_header(&size, &type, odb, &id);
    if (rc == GIT_ENOTFOUND) {
      git_error_clear();
      return Status::Ok();
    }
    if (rc < 0) return GitError(rc, "cannot read object " + oid.Hex());
    if (type == GIT_OBJECT_COMMIT) {
      commits_.push_back(oid);
    } else {
      others_.push_back({oid, type});
    }
    return Status::Ok();
  }

  // Inserts everything the roots added since the last call reach into `pb`,
  // but for what `skip` holds: that is walked through, not inserted (so
  // what it reaches is packed however it is stored), and appended to
  // `skipped` when given. With `skip`, commits are walked here rather than
  // by libgit2's insert_walk, and trees' entries go in with their names,
  // which the pack builder groups deltas by.
  Status InsertInto(git_packbuilder* pb, const ObjectIdSet* skip = nullptr,
                    std::vector<ObjectId>* skipped = nullptr) {
    const auto insert = [&](const ObjectId& id, const char* name) -> Status {
      if (skip != nullptr && skip->contains(id)) {
        if (skipped != nullptr) skipped->push_back(id);
        return Status::Ok();
      }
      STRATA_GIT(git_packbuilder_insert(pb, AsGit(id), name), "cannot pack object " + id.Hex());
      return Status::Ok();
    };
    struct Item {
      ObjectId id;
      git_object_t type;
      std::string name;
    };
    std::vector<Item> stack;
    // Tags first: their targets join the roots.
    for (std::size_t i = others_done_; i < others_.size(); ++i) {
      if (others_[i].second != GIT_OBJECT_TAG) continue;
      const ObjectId id = others_[i].first;
      git_tag* raw = nullptr;
      STRATA_GIT(git_tag_lookup(&raw, repo_, AsGit(id)), "cannot read tag " + id.Hex());
      GitPtr<git_tag, git_tag_free> tag(raw);
      STRATA_RETURN_IF_ERROR(insert(id, nullptr));
      STRATA_RETURN_IF_ERROR(Add(*git_tag_target_id(raw)));
    }
    if (commits_done_ < commits_.size()) {
      git_revwalk* raw = nullptr;
      STRATA_GIT(git_revwalk_new(&raw, repo_), "cannot walk the history");
      RevwalkPtr walk(raw);
      for (std::size_t i = commits_done_; i < commits_.size(); ++i) {
        STRATA_GIT(git_revwalk_push(walk.get(), AsGit(commits_[i])),
                   "cannot walk from " + commits_[i].Hex());
      }
      commits_done_ = commits_.size();
      if (skip == nullptr) {
        STRATA_GIT(git_packbuilder_insert_walk(pb, walk.get()), "cannot pack the history");
      } else {
        git_oid oid;
        int rc = 0;
        while ((rc = git_revwalk_next(&oid, walk.get())) == 0) {
          const ObjectId commit = FromGit(oid);
          if (!done_.insert(commit)) continue;
          STRATA_RETURN_IF_ERROR(insert(commit, nullptr));
          git_commit* raw_commit = nullptr;
          STRATA_GIT(git_commit_lookup(&raw_commit, repo_, &oid),
                     "cannot read version " + commit.Hex());
          CommitPtr owned(raw_commit);
          stack.push_back({FromGit(*git_commit_tree_id(raw_commit)), GIT_OBJECT_TREE, ""});
        }
        if (rc != GIT_ITEROVER) return GitError(rc, "cannot walk the history");
        git_error_clear();
      }
    }
    // Trees and blobs, iteratively (values nest deep), each tree once.
    for (std::size_t i = others_done_; i < others_.size(); ++i) {
      if (others_[i].second != GIT_OBJECT_TAG)
        stack.push_back({others_[i].first, others_[i].second, ""});
    }
    others_done_ = others_.size();
    while (!stack.empty()) {
      Item item = std::move(stack.back());
      stack.pop_back();
      if (!done_.insert(item.id)) continue;
      STRATA_RETURN_IF_ERROR(insert(item.id, item.name.empty() ? nullptr : item.name.c_str()));
      if (item.type != GIT_OBJECT_TREE) continue;
      STRATA_RETURN_IF_ERROR(store_.ScanTree(item.id, [&](std::string_view name,
                                                          const ObjectId& child, bool is_tree) {
        if (!done_.contains(child)) {
          stack.push_back({child, is_tree ? GIT_OBJECT_TREE : GIT_OBJECT_BLOB, std::string(name)});
        }
        return true;
      }));
    }
    return Status::Ok();
  }

  std::size_t size() const { return seen_.size(); }

 private:
  git_repository* repo_;
  ObjectStore& store_;
  ObjectIdSet seen_;
  std::vector<ObjectId> commits_;
  std::vector<std::pair<ObjectId, git_object_t>> others_;
  std::size_t commits_done_ = 0;  // roots already inserted
  std::size_t others_done_ = 0;
  ObjectIdSet done_;  // commits (walked here), trees and blobs inserted
};

// Every id written as a 40-hex word at the start of a line, or after its
// first space, in the files of `dir` (.strata/views, .strata/projections:
// "source target kind" lines).
Status AddIdsInFiles(const std::string& dir, Roots& roots) {
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    std::ifstream in(it->path());
    std::string line;
    while (std::getline(in, line)) {
      for (std::size_t at : {std::size_t{0}, std::size_t{GIT_OID_HEXSZ + 1}}) {
        if (line.size() < at + GIT_OID_HEXSZ) break;
        git_oid id;
        if (git_oid_fromstrn(&id, line.data() + at, GIT_OID_HEXSZ) != 0) {
          git_error_clear();
          continue;
        }
        STRATA_RETURN_IF_ERROR(roots.Add(id));
      }
    }
  }
  return Status::Ok();
}

// Every ref, HEAD and every reflog entry.
Status AddRefs(git_repository* repo, Roots& roots) {
  std::vector<std::string> names = {"HEAD"};
  git_reference_iterator* raw_it = nullptr;
  STRATA_GIT(git_reference_iterator_new(&raw_it, repo), "cannot list the refs");
  GitPtr<git_reference_iterator, git_reference_iterator_free> it(raw_it);
  const char* name = nullptr;
  int rc = 0;
  while ((rc = git_reference_next_name(&name, it.get())) == 0) names.emplace_back(name);
  if (rc != GIT_ITEROVER) return GitError(rc, "cannot list the refs");
  git_error_clear();
  for (const std::string& ref : names) {
    git_oid id;
    rc = git_reference_name_to_id(&id, repo, ref.c_str());
    if (rc == 0) {
      STRATA_RETURN_IF_ERROR(roots.Add(id));
    } else if (rc != GIT_ENOTFOUND) {
      return GitError(rc, "cannot read " + ref);
    }
    git_error_clear();
    git_reflog* raw_log = nullptr;
    rc = git_reflog_read(&raw_log, repo, ref.c_str());
    if (rc < 0) return GitError(rc, "cannot read the reflog of " + ref);
    ReflogPtr log(raw_log);
    for (std::size_t i = 0; i < git_reflog_entrycount(raw_log); ++i) {
      const git_reflog_entry* e = git_reflog_entry_byindex(raw_log, i);
      STRATA_RETURN_IF_ERROR(roots.Add(*git_reflog_entry_id_old(e)));
      STRATA_RETURN_IF_ERROR(roots.Add(*git_reflog_entry_id_new(e)));
    }
  }
  return Status::Ok();
}

// The ids of the objects in the pack whose index is `idx`.
Result<std::vector<ObjectId>> PackObjects(const std::string& idx) {
  git_odb_backend* raw = nullptr;
  STRATA_GIT(git_odb_backend_one_pack(&raw, idx.c_str()), "cannot open " + idx);
  struct Free {
    void operator()(git_odb_backend* b) const { b->free(b); }
  };
  std::unique_ptr<git_odb_backend, Free> pack(raw);
  std::vector<ObjectId> ids;
  STRATA_GIT(pack->foreach (
                 pack.get(),
                 [](const git_oid* id, void* payload) {
                   return GuardedCallback("listing a pack", [&] {
                     static_cast<std::vector<ObjectId>*>(payload)->push_back(FromGit(*id));
                     return 0;
                   });
                 },
                 &ids),
             "cannot list " + idx);
  return ids;
}

// The young objects (unreachable ones among them are kept): loose files and
// whole packs by mtime.
Status AddYoung(const Listing& listing, std::int64_t cutoff, Roots& roots, std::int64_t& newest) {
  for (const LooseFile& f : listing.loose) {
    if (f.mtime < cutoff) continue;
    newest = std::max(newest, f.mtime);
    STRATA_RETURN_IF_ERROR(roots.Add(ToGit(f.id)));
  }
  for (const PackOnDisk& p : listing.packs) {
    if (p.mtime < cutoff) continue;
    newest = std::max(newest, p.mtime);
    STRATA_ASSIGN_OR_RETURN(std::vector<ObjectId> ids, PackObjects(p.base + ".idx"));
    for (const ObjectId& id : ids) STRATA_RETURN_IF_ERROR(roots.Add(ToGit(id)));
  }
  return Status::Ok();
}

// The base (objects/pack/pack-HEX) of the largest of `packs` by objects, the
// one CombineSmallPacks leaves in place; "" when there is none.
std::string LargestPackBase(const std::vector<const PackOnDisk*>& packs) {
  const auto largest =
      std::max_element(packs.begin(), packs.end(), [](const PackOnDisk* a, const PackOnDisk* b) {
        return a->objects != b->objects ? a->objects < b->objects : a->base < b->base;
      });
  return largest == packs.end() ? "" : (*largest)->base;
}

// A full gc with more packs than this (besides the largest) copies them into
// one first (CombineSmallPacks).
constexpr std::size_t kCombineFirstPacks = 4;

// Many packs (each write is one while automatic gc is off; each fetch adds
// one) make libgit2's pack backend look for every object the walk and the
// pack builder read in every pack, and format an error message for each
// pack it is not in: with 2,000 one-version packs, `strata gc` took 9.3 s
// against git gc's 1.9 s, three quarters of it in pack_entry_find and
// vfprintf. So a full gc first copies the packs other than the largest into
// one (ObjectStore::CombinePacks: entry by entry, nothing inflated), removes
// them, and lets libgit2 see what is left; the walk and the pack builder
// then find each object in the first or second pack they ask.
//
// What is kept does not change: the packs the grace period keeps (mtime at
// or after `cutoff`) and those it does not are combined apart, each copy as
// old as the newest pack in it. A kill at any point loses nothing: the copy
// is fsynced and in place before any pack it copies is removed, and a kill
// between the two leaves objects in two packs, which the next gc packs again
// (CombinePacks declines packs that share an object; so does this step).
// Returns the packs it wrote (removed again by the gc that follows) and adds
// the packs it removed to `removed`.
Result<std::vector<std::string>> CombineSmallPacks(ObjectStore& store, const std::string& objects,
                                                   const Listing& listing,
                                                   std::optional<std::int64_t> cutoff,
                                                   std::uint64_t& removed) {
  std::vector<const PackOnDisk*> packs;
  for (const PackOnDisk& p : listing.packs) {
    if (!p.keep) packs.push_back(&p);
  }
  std::vector<std::string> written;
  if (packs.size() <= kCombineFirstPacks + 1) return written;
  std::sort(packs.begin(), packs.end(), [](const PackOnDisk* a, const PackOnDisk* b) {
    return a->objects != b->objects ? a->objects < b->objects : a->base < b->base;
  });
  packs.pop_back();  // the largest stays: copying it would cost what it weighs
  std::vector<const PackOnDisk*> groups[2];  // kept by the grace period, or not
  for (const PackOnDisk* p : packs) groups[cutoff && p->mtime < *cutoff ? 1 : 0].push_back(p);
  bool any = false;
  for (const std::vector<const PackOnDisk*>& group : groups) {
    if (group.size() < 2) continue;
    std::vector<std::string> bases;
    std::int64_t newest = 0;
    for (const PackOnDisk* p : group) {
      bases.push_back(p->base);
      newest = std::max(newest, p->mtime);
    }
    Result<std::optional<ObjectStore::CombinedPack>> copied =
        ObjectStore::CombinePacks(objects, bases);
    // A pack that does not match its checksum is left to the pack builder,
    // which fails only if it holds something kept, as before this step.
    if (!copied.ok() && copied.status().code() == Code::kCorruption) continue;
    STRATA_RETURN_IF_ERROR(copied.status());
    const std::optional<ObjectStore::CombinedPack>& combined = *copied;
    if (!combined) continue;  // an object in two of them: the pack builder sorts it out
    written.push_back(combined->base);
    struct timespec times[2] = {{newest, 0}, {newest, 0}};
    if (::utimensat(AT_FDCWD, (combined->base + ".pack").c_str(), times, 0) != 0) {
      return Status::IOError("cannot set the time of " + combined->base + ".pack: " + Errno());
    }
    StopPoint("combined");
    for (const PackOnDisk* p : group) {
      if (p->base == combined->base) continue;
      STRATA_RETURN_IF_ERROR(RemovePack(*p));
      ++removed;
    }
    any = true;
  }
  // libgit2 lets go of the removed packs and sees the new ones.
  if (any) STRATA_RETURN_IF_ERROR(store.RefreshPacks());
  return written;
}

// Sorts `packs` by objects, the smallest first, and returns how many of
// them automatic gc rolls into one (git's split_pack_geometry with factor
// 2): the largest that already form a progression (each at least twice the
// one below) stay, unless the rolled-up pack would break it. `loose`:
// objects going into the new pack besides.
std::size_t GeometricSplit(std::vector<const PackOnDisk*>& packs, std::uint64_t loose) {
  std::sort(packs.begin(), packs.end(), [](const PackOnDisk* a, const PackOnDisk* b) {
    return a->objects != b->objects ? a->objects < b->objects : a->base < b->base;
  });
  auto weight = [](const PackOnDisk* p) { return std::max<std::uint64_t>(p->objects, 1); };
  std::size_t split = 0;
  if (!packs.empty()) {
    std::size_t i = packs.size() - 1;
    for (; i > 0; --i) {
      if (weight(packs[i]) < 2 * weight(packs[i - 1])) break;
    }
    // The pack at i is below twice the one before it: it and all below go.
    split = i == 0 ? 0 : i + 1;
  }
  std::uint64_t total = loose;
  for (std::size_t i = 0; i < split; ++i) total += weight(packs[i]);
  while (split < packs.size() && weight(packs[split]) < 2 * total) total += weight(packs[split++]);
  return split;
}

struct ProgressPayload {
  const GcOptions* options;
};

// The caller's progress callback runs inside libgit2's packing: an
// exception it throws stops the gc there (GuardedCallback), which then
// returns an error naming it, as if it had been killed (safe at any point).
int PackProgress(int stage, uint32_t current, uint32_t total, void* payload) {
  return GuardedCallback("the gc progress callback", [&] {
    const GcOptions* o = static_cast<ProgressPayload*>(payload)->options;
    if (o->progress) {
      o->progress(stage == GIT_PACKBUILDER_ADDING_OBJECTS ? "counting" : "compressing", current,
                  total);
    }
    return 0;
  });
}

int WriteProgress(const git_indexer_progress* stats, void* payload) {
  return GuardedCallback("the gc progress callback", [&] {
    const GcOptions* o = static_cast<ProgressPayload*>(payload)->options;
    if (o->progress) o->progress("writing", stats->indexed_objects, stats->total_objects);
    return 0;
  });
}

// What git_packbuilder_write does, with the pack given to the indexer in
// pieces of kIndexerPieceBytes instead of one piece an object: libgit2 1.5's
// indexer drops every mapped window of the pack at each git_indexer_append
// (the file grew), so a call per object cost an mmap and an munmap each (a
// TLB shootdown to every CPU), half of an automatic gc's time. Writes the
// pack and its index into `dir` (fsynced, as GIT_OPT_ENABLE_FSYNC_GITDIR
// makes the indexer do) and returns the pack's name ("pack-<hash>").
constexpr std::size_t kIndexerPieceBytes = std::size_t{1} << 20;

Result<std::string> WritePack(git_repository* repo, git_packbuilder* pb, const std::string& dir,
                              ProgressPayload& payload) {
  git_odb* odb_raw = nullptr;
  STRATA_GIT(git_repository_odb(&odb_raw, repo), "cannot open the object database");
  OdbPtr odb(odb_raw);
  git_indexer_options opts = GIT_INDEXER_OPTIONS_INIT;
  opts.progress_cb = WriteProgress;
  opts.progress_cb_payload = &payload;
  git_indexer* indexer_raw = nullptr;
  STRATA_GIT(git_indexer_new(&indexer_raw, dir.c_str(), 0, odb.get(), &opts),
             "cannot write the pack");
  GitPtr<git_indexer, git_indexer_free> indexer(indexer_raw);
  struct Writer {
    git_indexer* indexer = nullptr;
    git_indexer_progress stats{};
    std::string piece;
    int Append() {
      int rc = git_indexer_append(indexer, piece.data(), piece.size(), &stats);
      piece.clear();
      return rc;
    }
  } writer;
  writer.indexer = indexer.get();
  writer.piece.reserve(kIndexerPieceBytes);
  const auto add = [](void* data, std::size_t size, void* payload) -> int {
    auto* w = static_cast<Writer*>(payload);
    return GuardedCallback("the pack writer", [&] {
      w->piece.append(static_cast<const char*>(data), size);
      return w->piece.size() >= kIndexerPieceBytes ? w->Append() : 0;
    });
  };
  STRATA_GIT(git_packbuilder_foreach(pb, add, &writer), "cannot write the pack");
  if (!writer.piece.empty()) STRATA_GIT(writer.Append(), "cannot write the pack");
  STRATA_GIT(git_indexer_commit(indexer.get(), &writer.stats), "cannot write the pack");
  return std::string("pack-") + git_indexer_name(indexer.get());
}

}  // namespace

// Whether the pack `base` holds a delta. One that holds none (a write's
// pack, or an import's of unlike documents) was never searched for deltas:
// a full gc then gives its objects to the pack builder, as an aggressive
// gc does, rather than copy them as stored for good.
Result<bool> HoldsDeltas(const std::string& base) {
  std::vector<std::unique_ptr<MappedPack>> packs = OpenPacks({base});
  if (packs.empty()) return false;
  MappedPack& pack = *packs.front();
  STRATA_RETURN_IF_ERROR(pack.Map());
  for (const auto& [offset, entry] : pack.by_offset) {
    EntryHeader h;
    if (ParseEntryHeader(pack.map + offset, pack.size - offset, h) &&
        (h.type == kOfsDelta || h.type == kRefDelta)) {
      return true;
    }
  }
  return false;
}

// The new pack of a full gc that is not aggressive: the largest pack's kept
// entries copied as stored (ObjectStore::WritePackOf: its deltas reused, not
// searched again; a delta whose base is dropped goes whole) and the pack
// builder's pack `built` (everything else kept, with deltas among itself),
// written into `dir`. Why: libgit2 1.5's pack builder cannot reuse a stored
// delta; given every object, it inflates each and searches deltas for all
// of them again, which made `strata gc` 4.7x `git gc` on 100,000 documents
// (docs/performance.md, "gc reusing the largest pack"). Returns the new
// pack's name, or "" when it would be the largest pack alone and whole:
// that pack then stays as it is.
Result<std::string> ReuseLargestPack(ObjectStore& store, const std::string& largest,
                                     std::size_t largest_objects,
                                     const std::vector<ObjectId>& kept_in_largest,
                                     const std::string& built, const std::string& dir,
                                     const GcOptions& options, GcReport& report) {
  if (built.empty() && kept_in_largest.size() == largest_objects) return std::string();
  std::vector<std::string> bases{largest};
  std::vector<ObjectId> ids = kept_in_largest;
  if (!built.empty()) {
    bases.push_back(built);
    STRATA_ASSIGN_OR_RETURN(std::vector<ObjectId> more, PackObjects(built + ".idx"));
    ids.insert(ids.end(), more.begin(), more.end());
  }
  // The largest pack first: its entries keep their order, so each
  // OFS_DELTA's base still comes before it.
  PackReader reader(bases);
  ObjectStore::PackStreamOptions stream;
  stream.reader = &reader;
  if (options.progress) {
    stream.progress = [&](std::size_t done, std::size_t total, std::uint64_t) {
      options.progress("writing", done, total);
      return Status::Ok();
    };
  }
  ObjectStore::PackStreamStats stats;
  STRATA_ASSIGN_OR_RETURN(std::string name, store.WritePackOf(ids, stream, dir, &stats));
  // The largest pack is the reader's first: the pack builder's own deltas
  // are copied too, but were not reused.
  const bool first_is_largest =
      !reader.packs().empty() && reader.packs().front()->pack.path == largest + ".pack";
  report.deltas_reused = first_is_largest ? stats.reused_deltas_by_pack[0] : 0;
  return name;
}

Result<GcReport> Repository::Gc(const GcOptions& options) try {
  if (options.auto_mode && options.keep_largest_pack) {
    return Status::InvalidArgument(
        "automatic gc and keep_largest_pack do not go together (automatic gc keeps large packs "
        "anyway)");
  }
  if (options.aggressive && (options.auto_mode || options.keep_largest_pack)) {
    return Status::InvalidArgument(
        "aggressive gc searches every delta again: it does not go together with automatic gc or "
        "keep_largest_pack");
  }
  GcReport report;
  const std::string git_dir = git_repository_path(impl_->repo_.get());
  const std::string objects = git_dir + "objects";
  if (options.auto_mode) {
    const GcAutoLimits limits = ReadAutoLimits(impl_->Config().get());
    std::optional<std::string> reason = AutoReason(objects, limits, impl_->store_->ListedPacks());
    if (!reason) {
      report.skipped = limits.loose <= 0 ? "automatic gc is off (strata.gcAuto = 0)"
                                         : "nothing to do: under strata.gcAuto and "
                                           "strata.gcAutoPackLimit";
      return report;
    }
  }
  if (impl_->store_->staged_objects() > 0) {
    return Status::Conflict("gc cannot run while objects are staged for a write");
  }
  GcLock gc_lock;
  STRATA_ASSIGN_OR_RETURN(bool locked, gc_lock.TryAcquire(git_dir + kGcLockFile));
  if (!locked) {
    if (options.auto_mode) {
      report.skipped = "another gc is running";
      return report;
    }
    return Status::Conflict("another gc is running on " + impl_->path_ + " (it holds " + git_dir +
                            kGcLockFile + ")");
  }
  // No strata writer moves a ref until this gc is done.
  STRATA_ASSIGN_OR_RETURN(RefTransaction write_lock,
                          RefTransaction::Begin(impl_->repo_.get(), nullptr));
  // What the last automatic gc of this process left to another thread is
  // done (it removes files this run would list).
  impl_->spare_keeper_.Wait();
  StopPoint("locked");
  // The write journal's records name packs this run may replace: make them
  // durable where they are and void the records (repo/journal.h), so that a
  // restart never puts back a pack gc removed.
  if (std::unique_ptr<Journal> journal = Journal::ForWriter(git_dir)) {
    STRATA_RETURN_IF_ERROR(journal->Checkpoint());
  }
  // No record names a retired ref's inode now: they go, and the next
  // writes find spares (objects/spare_files.h), made before this run
  // removes anything (creating a file is slow for a while after removals).
  // Best effort: a gc that cannot make spares (no inode left) still frees
  // what it can, and writes create their files. Automatic gc leaves both
  // to another thread (with the packs it replaces, below), so the write
  // that ran it is not kept waiting: freeing a file and making one each
  // cost 0.2-1.5 ms on this disk, ~300 of them a run.
  const std::string spare_dir = git_dir + "spare";
  std::vector<std::string> retired;
  if (options.auto_mode) {
    retired = RetiredFiles(spare_dir);
  } else {
    static_cast<void>(RemoveRetiredFiles(spare_dir));
    static_cast<void>(TopUpSpareFiles(spare_dir));
  }
  // What killed gc runs left: their temporary folders.
  {
    std::error_code ec;
    for (fs::directory_iterator it(git_dir, ec), end; !ec && it != end; it.increment(ec)) {
      if (StartsWith(it->path().filename().string(), kTempPrefix)) {
        std::error_code rm_ec;
        fs::remove_all(it->path(), rm_ec);
        if (rm_ec) {
          return Status::IOError("cannot remove " + it->path().string() + ": " + rm_ec.message());
        }
      }
    }
  }

  const std::int64_t now = static_cast<std::int64_t>(std::time(nullptr));
  STRATA_ASSIGN_OR_RETURN(Listing listing, ListObjects(objects, now));
  report.ran = true;
  report.loose_before = listing.loose.size();
  report.packs_before = listing.packs.size();
  report.bytes_before = listing.bytes;

  git_packbuilder* pb_raw = nullptr;
  STRATA_GIT(git_packbuilder_new(&pb_raw, impl_->repo_.get()), "cannot start a pack");
  PackBuilderPtr pb(pb_raw);
  git_packbuilder_set_threads(pb.get(), 0);
  ProgressPayload payload{&options};
  STRATA_GIT(git_packbuilder_set_callbacks(pb.get(), PackProgress, &payload),
             "cannot start a pack");
  // The packs this run replaces (never one with a .keep file).
  std::vector<const PackOnDisk*> replaced;
  for (const PackOnDisk& p : listing.packs) {
    if (!p.keep) replaced.push_back(&p);
  }
  std::int64_t newest_young = 0;
  bool set_mtime = false;
  std::optional<ObjectStore::CombinedPack> combined;
  std::vector<std::string> intermediate;  // packs CombineSmallPacks wrote
  // The largest pack, when its entries are copied into the new pack
  // (ReuseLargestPack) or kept as it is (keep_largest_pack); and which of
  // its objects are kept.
  std::string largest;
  std::size_t largest_objects = 0;
  std::vector<ObjectId> kept_in_largest;
  if (options.auto_mode) {
    // Incremental: the loose objects and the small packs go into one new
    // pack, whole (nothing is dropped, so no walk is needed), and the large
    // ones stay, as git's `repack --geometric=2` chooses: the packs, by
    // object count, keep a progression where each holds at least twice the
    // objects of the one below, so an object is copied a logarithmic number
    // of times, not once per 50 writes. Objects, not bytes: a pack gc wrote
    // has deltas and a write's pack none.
    const std::size_t rolled = GeometricSplit(replaced, listing.loose.size());
    const bool everything = rolled == replaced.size();
    replaced.resize(rolled);
    for (const PackOnDisk* p : replaced) newest_young = std::max(newest_young, p->mtime);
    for (const LooseFile& f : listing.loose) newest_young = std::max(newest_young, f.mtime);
    // The small packs alone (the usual case: each write is a pack) are
    // copied into one, entry by entry, without inflating or searching for
    // deltas: libgit2's packbuilder costs what the objects weigh, and its
    // indexer maps and unmaps the pack it writes once per object. Deltas
    // are found when the largest pack is rolled up too (among the rest:
    // the largest's own are copied), and by `strata gc`.
    if (!everything && listing.loose.empty() && replaced.size() > 1) {
      std::vector<std::string> bases;
      for (const PackOnDisk* p : replaced) bases.push_back(p->base);
      STRATA_ASSIGN_OR_RETURN(combined, ObjectStore::CombinePacks(objects, bases));
    }
    // Everything rolled up, the largest pack among it: its entries are
    // copied as stored when it holds deltas (ReuseLargestPack), as a full
    // gc does, and only the rest goes through the packbuilder.
    if (!combined && everything) {
      const std::string candidate = LargestPackBase(replaced);
      if (!candidate.empty()) {
        STRATA_ASSIGN_OR_RETURN(const bool deltas, HoldsDeltas(candidate));
        if (deltas) {
          STRATA_ASSIGN_OR_RETURN(kept_in_largest, PackObjects(candidate + ".idx"));
          largest = candidate;
          largest_objects = kept_in_largest.size();
        }
      }
    }
    if (!combined) {
      for (const PackOnDisk* p : replaced) {
        if (p->base == largest) continue;
        STRATA_ASSIGN_OR_RETURN(std::vector<ObjectId> ids, PackObjects(p->base + ".idx"));
        for (const ObjectId& id : ids) {
          STRATA_GIT(git_packbuilder_insert(pb.get(), AsGit(id), nullptr),
                     "cannot pack object " + id.Hex());
        }
      }
      for (const LooseFile& f : listing.loose) {
        STRATA_GIT(git_packbuilder_insert(pb.get(), AsGit(f.id), nullptr),
                   "cannot pack object " + f.id.Hex());
      }
    }
    // Unreachable objects among them keep their age: the newest's.
    set_mtime = true;
  } else {
    // Set apart from its declaration: GCC 12 took the conditional's
    // optional for one that may be read uninitialized (-Wmaybe-uninitialized).
    std::optional<std::int64_t> cutoff;
    if (options.prune_expire && *options.prune_expire > 0) cutoff = now - *options.prune_expire;
    // The pack --keep-largest-pack keeps, or whose entries the new pack
    // copies (ReuseLargestPack): CombineSmallPacks leaves the same one in
    // place, and copies the others.
    if (!options.aggressive) largest = LargestPackBase(replaced);
    if (!largest.empty() && !options.keep_largest_pack) {
      STRATA_ASSIGN_OR_RETURN(const bool deltas, HoldsDeltas(largest));
      if (!deltas) largest.clear();
    }
    STRATA_ASSIGN_OR_RETURN(intermediate, CombineSmallPacks(*impl_->store_, objects, listing,
                                                            cutoff, report.packs_removed));
    if (!intermediate.empty()) {
      // What is on disk now: the copies instead of the packs they hold.
      STRATA_ASSIGN_OR_RETURN(listing, ListObjects(objects, now));
      replaced.clear();
      for (const PackOnDisk& p : listing.packs) {
        if (!p.keep) replaced.push_back(&p);
      }
    }
    ObjectIdSet in_kept_pack;
    const ObjectIdSet* skip = nullptr;
    if (!largest.empty()) {
      const auto kept = std::find_if(replaced.begin(), replaced.end(),
                                     [&](const PackOnDisk* p) { return p->base == largest; });
      if (kept != replaced.end()) {
        STRATA_ASSIGN_OR_RETURN(std::vector<ObjectId> ids, PackObjects(largest + ".idx"));
        in_kept_pack.reserve(ids.size());
        for (const ObjectId& id : ids) in_kept_pack.insert(id);
        largest_objects = ids.size();
        skip = &in_kept_pack;
        if (options.keep_largest_pack) {
          report.kept_pack = (*kept)->name;
          replaced.erase(kept);
        }
      } else {
        largest.clear();
      }
    }
    Roots roots(impl_->repo_.get(), *impl_->store_);
    STRATA_RETURN_IF_ERROR(AddRefs(impl_->repo_.get(), roots));
    STRATA_RETURN_IF_ERROR(AddIdsInFiles(git_dir + "views", roots));
    STRATA_RETURN_IF_ERROR(AddIdsInFiles(git_dir + "projections", roots));
    // Reachable first, then the young: what the second adds is what is kept
    // only for its age.
    STRATA_RETURN_IF_ERROR(roots.InsertInto(pb.get(), skip, &kept_in_largest));
    const std::size_t reachable = git_packbuilder_object_count(pb.get()) + kept_in_largest.size();
    if (options.prune_expire && *options.prune_expire == 0) {
      // --prune now: nothing is young, not even what was written this second.
      set_mtime = true;
    } else if (options.prune_expire) {
      STRATA_RETURN_IF_ERROR(AddYoung(listing, now - *options.prune_expire, roots, newest_young));
      set_mtime = true;
    } else {
      // Never drop: every listed object is kept.
      STRATA_RETURN_IF_ERROR(
          AddYoung(listing, std::numeric_limits<std::int64_t>::min(), roots, newest_young));
    }
    STRATA_RETURN_IF_ERROR(roots.InsertInto(pb.get(), skip, &kept_in_largest));
    report.unreachable_kept =
        git_packbuilder_object_count(pb.get()) + kept_in_largest.size() - reachable;
  }
  const bool reuse_largest = !largest.empty() && !options.keep_largest_pack;
  report.objects_packed = combined ? combined->objects
                                   : git_packbuilder_object_count(pb.get()) +
                                         (reuse_largest ? kept_in_largest.size() : 0);
  StopPoint("walked");

  std::string new_pack_base;
  if (combined) {
    new_pack_base = combined->base;
    report.pack = fs::path(new_pack_base).filename().string() + ".pack";
    StopPoint("installed");
  } else if (report.objects_packed > 0) {
    std::string tmp = git_dir + kTempPrefix + "XXXXXX";
    if (::mkdtemp(tmp.data()) == nullptr) {
      return Status::IOError("cannot create a folder in " + git_dir + ": " + Errno());
    }
    // libgit2's indexer fsyncs the pack and its index (fsync is on,
    // objects/git.cc).
    std::string name;
    if (git_packbuilder_object_count(pb.get()) > 0) {
      STRATA_ASSIGN_OR_RETURN(name, WritePack(impl_->repo_.get(), pb.get(), tmp, payload));
    }
    if (reuse_largest) {
      STRATA_ASSIGN_OR_RETURN(
          name, ReuseLargestPack(*impl_->store_, largest, largest_objects, kept_in_largest,
                                 name.empty() ? "" : tmp + "/" + name, tmp, options, report));
    }
    StopPoint("written");
    report.pack = (name.empty() ? fs::path(largest).filename().string() : name) + ".pack";
    new_pack_base = name.empty() ? largest : objects + "/pack/" + name;
    // The pack first, then its index: a reader that sees the index finds
    // its pack. A pack of the same name is the same objects in the same
    // order, already in place.
    for (const char* ext : {".pack", ".idx"}) {
      if (name.empty()) break;  // the largest pack stays, the new pack
      const std::string from = tmp + "/" + name + ext;
      const std::string to = new_pack_base + ext;
      if (::rename(from.c_str(), to.c_str()) != 0) {
        return Status::IOError("cannot rename " + from + " to " + to + ": " + Errno());
      }
      if (std::strcmp(ext, ".pack") == 0) StopPoint("pack-renamed");
    }
    STRATA_RETURN_IF_ERROR(SyncDir(objects + "/pack"));
    StopPoint("installed");
    std::error_code ec;
    fs::remove_all(tmp, ec);
    if (ec) return Status::IOError("cannot remove " + tmp + ": " + ec.message());
  }
  // The new pack's age is its youngest unreachable object's: those stay
  // for the grace period from when they were written, not from this gc.
  // With none, it is as old as the grace period (what is reachable does
  // not care).
  if (set_mtime && !new_pack_base.empty()) {
    const std::int64_t age = newest_young > 0
                                 ? newest_young
                                 : now - (options.prune_expire ? *options.prune_expire : 0) - 1;
    struct timespec times[2] = {{age, 0}, {age, 0}};
    if (::utimensat(AT_FDCWD, (new_pack_base + ".pack").c_str(), times, 0) != 0) {
      return Status::IOError("cannot set the time of " + new_pack_base + ".pack: " + Errno());
    }
  }

  // Everything kept is in the new pack, on disk: remove what was listed.
  const std::uint64_t total = replaced.size() + listing.loose.size();
  std::uint64_t done = 0;
  bool stopped_halfway = false;
  for (const PackOnDisk* p : replaced) {
    if (p->base == new_pack_base) continue;
    STRATA_RETURN_IF_ERROR(options.auto_mode ? RetirePack(*p, spare_dir, retired) : RemovePack(*p));
    // A copy this gc made stands for packs already counted.
    const bool copy =
        std::find(intermediate.begin(), intermediate.end(), p->base) != intermediate.end();
    if (!copy) ++report.packs_removed;
    ++done;
    if (options.progress) options.progress("removing", done, total);
    if (!stopped_halfway && done * 2 >= replaced.size()) {
      stopped_halfway = true;
      StopPoint("removing");
    }
  }
  for (const LooseFile& f : listing.loose) {
    STRATA_RETURN_IF_ERROR(Unlink(f.path));
    ++report.loose_removed;
    ++done;
    if (options.progress) options.progress("removing", done, total);
  }
  for (const std::string& path : listing.orphans) STRATA_RETURN_IF_ERROR(Unlink(path));
  for (const std::string& path : listing.temps) STRATA_RETURN_IF_ERROR(Unlink(path));
  // Empty fan-out folders go too (one that is not empty stays).
  for (const std::string& dir : listing.fanout) {
    if (::rmdir(dir.c_str()) != 0) {
      // Not empty, or gone: either way nothing to do.
    }
  }
  StopPoint("removed");
  // This process sees the new pack from now on, and not the removed ones
  // (retired packs are still linked: unmapping them frees nothing yet).
  STRATA_RETURN_IF_ERROR(impl_->store_->RefreshPacks());
  if (options.auto_mode) impl_->spare_keeper_.Start(spare_dir, std::move(retired));

  STRATA_ASSIGN_OR_RETURN(Listing after, ListObjects(objects, now));
  report.loose_after = after.loose.size();
  report.packs_after = after.packs.size();
  report.bytes_after = after.bytes;
  return report;
} catch (...) {
  return CaughtStatus("Repository::Gc");
}

}  // namespace strata
