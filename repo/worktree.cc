// Working folders (strata/worktree.h).
//
// The stat cache, .strata/worktrees/NAME/index (docs/format.md):
//   index   := header entry*
//   header  := "strata-worktree-index 1\n" "base " (hex40 | "-") "\n"
//              "written " nanoseconds "\n"
//   entry   := value " " base " " size " " mtime " " ctime " " inode " " id "\n"
//   value   := hex40 (the id of the value the file held at that stat) | "-" (no file)
//            | "=" (the same as base)
//   base    := hex40 (the document's id in the base's view) | "-" (not in the base)
// mtime and ctime are nanoseconds. Every document of the base has an entry,
// so deletions are entries with a base and no file. An entry whose mtime is
// not older than `written` is "racy" (the file may have changed in the same
// clock tick after it was read) and is read again.
#include "strata/worktree.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <functional>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include "objects/guard.h"
#include "objects/json_diff.h"
#include "objects/merge_patch.h"
#include "objects/tree_codec.h"
#include "objects/tree_diff.h"
#include "repo/repository_impl.h"
#include "strata/document_id.h"
#include "strata/export.h"
#include "strata/import.h"

namespace strata {
namespace {

namespace fs = std::filesystem;

constexpr const char* kRecordName = ".strata";
constexpr const char* kIndexMagic = "strata-worktree-index 1";
constexpr std::string_view kSuffix = ".json";

std::string Quote(std::string_view s) { return "'" + std::string(s) + "'"; }

std::int64_t NowNs() {
  timespec ts{};
  ::clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

// Owns a file descriptor.
class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  Fd(Fd&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  Fd& operator=(Fd&& o) noexcept {
    if (this != &o) {
      if (fd_ >= 0) ::close(fd_);
      fd_ = std::exchange(o.fd_, -1);
    }
    return *this;
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }

 private:
  int fd_;
};

// Writes `path` whole or not at all: a temporary file beside it, fsynced,
// renamed over it.
Status WriteAtomically(const std::string& path, std::string_view bytes, bool sync = true) {
  const std::string tmp = path + ".tmp-" + std::to_string(::getpid());
  Fd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0666));
  if (!fd.valid()) return Status::IOError("cannot write " + path + ": " + std::strerror(errno));
  std::size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::write(fd.get(), bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      Status s = Status::IOError("cannot write " + path + ": " + std::strerror(errno));
      ::unlink(tmp.c_str());
      return s;
    }
    done += static_cast<std::size_t>(n);
  }
  if ((sync && ::fsync(fd.get()) != 0) || ::rename(tmp.c_str(), path.c_str()) != 0) {
    Status s = Status::IOError("cannot write " + path + ": " + std::strerror(errno));
    ::unlink(tmp.c_str());
    return s;
  }
  return Status::Ok();
}

struct IndexEntry {
  std::string value;  // "" : no file (or not known)
  std::string base;   // "" : not in the base
  std::uint64_t size = 0, ino = 0;
  std::int64_t mtime = 0, ctime = 0;
  bool seen = false;  // found in the folder during this look (not stored)
};

struct Index {
  std::string base;
  std::int64_t written = 0;
  std::unordered_map<std::string, IndexEntry> entries;
};

std::int64_t Ns(const timespec& t) {
  return static_cast<std::int64_t>(t.tv_sec) * 1000000000 + t.tv_nsec;
}

void SetStat(IndexEntry& e, const struct stat& st) {
  e.size = static_cast<std::uint64_t>(st.st_size);
  e.ino = static_cast<std::uint64_t>(st.st_ino);
  e.mtime = Ns(st.st_mtim);
  e.ctime = Ns(st.st_ctim);
}

bool SameStat(const IndexEntry& e, const struct stat& st) {
  return e.size == static_cast<std::uint64_t>(st.st_size) &&
         e.ino == static_cast<std::uint64_t>(st.st_ino) && e.mtime == Ns(st.st_mtim) &&
         e.ctime == Ns(st.st_ctim);
}

// A missing or unreadable index is an empty one: status reads every file.
Index LoadIndex(const std::string& path) {
  Index index;
  std::string text;
  {
    Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd.valid()) return index;
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) return index;
    text.resize(static_cast<std::size_t>(st.st_size));
    std::size_t got = 0;
    while (got < text.size()) {
      ssize_t n = ::read(fd.get(), text.data() + got, text.size() - got);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return index;
      got += static_cast<std::size_t>(n);
    }
  }
  std::size_t pos = 0;
  auto line = [&](std::string_view& out) {
    if (pos >= text.size()) return false;
    std::size_t nl = text.find('\n', pos);
    if (nl == std::string::npos) return false;  // a torn last line: ignored
    out = std::string_view(text).substr(pos, nl - pos);
    pos = nl + 1;
    return true;
  };
  std::string_view l;
  if (!line(l) || l != kIndexMagic) return index;
  if (!line(l) || l.substr(0, 5) != "base ") return index;
  std::string base(l.substr(5));
  if (!line(l) || l.substr(0, 8) != "written ") return index;
  std::int64_t written = std::strtoll(std::string(l.substr(8)).c_str(), nullptr, 10);
  Index out;
  out.base = base == "-" ? "" : base;
  out.written = written;
  out.entries.reserve(text.size() / 120);
  while (line(l)) {
    std::string_view f[6];
    std::size_t start = 0;
    bool ok = true;
    for (int i = 0; i < 6; ++i) {
      std::size_t sp = l.find(' ', start);
      if (sp == std::string_view::npos) {
        ok = false;
        break;
      }
      f[i] = l.substr(start, sp - start);
      start = sp + 1;
    }
    if (!ok || start >= l.size()) return index;  // damaged: start over
    IndexEntry e;
    if (f[1] != "-") e.base = std::string(f[1]);
    if (f[0] == "=") {
      e.value = e.base;
    } else if (f[0] != "-") {
      e.value = std::string(f[0]);
    }
    auto num = [](std::string_view t, auto& out) {
      return std::from_chars(t.data(), t.data() + t.size(), out).ec == std::errc();
    };
    if (!num(f[2], e.size) || !num(f[3], e.mtime) || !num(f[4], e.ctime) || !num(f[5], e.ino)) {
      return index;  // damaged: start over
    }
    out.entries.emplace(std::string(l.substr(start)), std::move(e));
  }
  return out;
}

Status SaveIndex(const std::string& path, Index& index) {
  index.written = NowNs();
  std::string text;
  text.reserve(64 + index.entries.size() * 120);
  text += kIndexMagic;
  text += "\nbase " + (index.base.empty() ? std::string("-") : index.base) + "\n";
  text += "written " + std::to_string(index.written) + "\n";
  for (const auto& [id, e] : index.entries) {
    text += e.value.empty() ? "-" : e.value == e.base ? "=" : e.value;
    text += ' ';
    text += e.base.empty() ? "-" : e.base;
    auto put = [&](auto n) {
      char digits[24];  // an int64's 20 and a sign
      text += ' ';
      text.append(digits, std::to_chars(digits, digits + sizeof digits, n).ptr);
    };
    put(e.size);
    put(e.mtime);
    put(e.ctime);
    put(e.ino);
    text += ' ';
    text += id;
    text += '\n';
  }
  // Not fsynced: after a crash a lost or torn cache is an empty one (every
  // file read again), never a wrong answer.
  return WriteAtomically(path, text, /*sync=*/false);
}

Result<WorktreeRecord> ReadRecord(const std::string& dir) {
  const std::string path = dir + "/" + kRecordName;
  STRATA_ASSIGN_OR_RETURN(std::string text, ReadFile(path));
  STRATA_ASSIGN_OR_RETURN(json::value v, ParseJson(text, path));
  const json::object* o = v.if_object();
  auto str = [&](const char* key) -> const json::string* {
    const json::value* m = o ? o->if_contains(key) : nullptr;
    return m ? m->if_string() : nullptr;
  };
  if (!str("repository") || !str("name") || !str("branch")) {
    return Status::InvalidArgument(path +
                                   " is not a working folder's record (it needs \"repository\", "
                                   "\"name\", \"branch\" and \"base\")");
  }
  WorktreeRecord r;
  r.repository = std::string(*str("repository"));
  r.name = std::string(*str("name"));
  r.branch = std::string(*str("branch"));
  if (const json::string* b = str("base")) r.base = std::string(*b);
  if (const json::string* p = str("perspective")) r.perspective = std::string(*p);
  return r;
}

Status WriteRecord(const std::string& dir, const WorktreeRecord& r) {
  json::object o{
      {"repository", r.repository},
      {"name", r.name},
      {"branch", r.branch},
      {"base", r.base.empty() ? json::value(nullptr) : json::value(r.base)},
      {"perspective", r.perspective ? json::value(*r.perspective) : json::value(nullptr)}};
  return WriteAtomically(dir + "/" + kRecordName, FormatJson(o, FormatOptions{2, false}) + "\n");
}

std::string Absolute(const std::string& p) {
  std::error_code ec;
  fs::path a = fs::absolute(p, ec);
  std::string s = a.lexically_normal().string();
  while (s.size() > 1 && s.back() == '/') s.pop_back();
  return s;
}

bool IsSettingsFileName(std::string_view name) {
  if (name.size() <= kSuffix.size() || name.substr(name.size() - kSuffix.size()) != kSuffix) {
    return false;
  }
  std::string_view id = name.substr(0, name.size() - kSuffix.size());
  for (std::string_view s : SettingsDocumentNames()) {
    if (s == id) return true;
  }
  return false;
}

// One document file found in the folder.
struct FoundFile {
  std::string path;  // below DIR, with '/'
  int folder;        // the descriptor of its folder (valid during the visit)
  std::string name;
  struct stat st;
};

// Lists DIR by the import rules, without following a link: every folder is
// opened relative to its parent with O_NOFOLLOW. Recursion follows the
// folders' depth, which a path's length bounds.
Status WalkFolder(int folder, const std::string& prefix, const std::string& display,
                  const std::function<Status(const FoundFile&)>& visit) {
  int dup = ::dup(folder);
  if (dup < 0)
    return Status::IOError("cannot read folder " + display + ": " + std::strerror(errno));
  DIR* d = ::fdopendir(dup);
  if (!d) {
    ::close(dup);
    return Status::IOError("cannot read folder " + display + ": " + std::strerror(errno));
  }
  std::vector<std::string> names;
  errno = 0;
  while (dirent* e = ::readdir(d)) names.emplace_back(e->d_name);
  const int err = errno;
  ::closedir(d);
  if (err != 0) return Status::IOError("cannot read folder " + display + ": " + std::strerror(err));
  std::sort(names.begin(), names.end());
  for (const std::string& name : names) {
    if (name == "." || name == "..") continue;
    const bool top = prefix.empty();
    if (name.front() == '.' && !(top && IsSettingsFileName(name))) continue;  // hidden
    struct stat st {};
    if (::fstatat(folder, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
      if (errno == ENOENT) continue;  // gone meanwhile
      return Status::IOError("cannot look at " + display + "/" + name + ": " +
                             std::strerror(errno));
    }
    if (S_ISDIR(st.st_mode)) {
      Fd sub(::openat(folder, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
      if (!sub.valid()) continue;  // replaced by a link meanwhile: not entered
      STRATA_RETURN_IF_ERROR(
          WalkFolder(sub.get(), prefix + name + "/", display + "/" + name, visit));
      continue;
    }
    if (!S_ISREG(st.st_mode)) continue;  // links, special files
    if (name.size() <= kSuffix.size() ||
        std::string_view(name).substr(name.size() - kSuffix.size()) != kSuffix) {
      continue;
    }
    STRATA_RETURN_IF_ERROR(visit(FoundFile{prefix + name, folder, name, st}));
  }
  return Status::Ok();
}

// Reads a regular file without following a link or blocking on a FIFO.
Result<std::string> ReadAt(int folder, const std::string& name, const std::string& display,
                           struct stat* st) {
  Fd fd(::openat(folder, name.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
  if (!fd.valid()) return Status::IOError("cannot read " + display + ": " + std::strerror(errno));
  if (::fstat(fd.get(), st) != 0 || !S_ISREG(st->st_mode)) {
    return Status::IOError("cannot read " + display + ": not a regular file");
  }
  std::string data;
  data.reserve(static_cast<std::size_t>(st->st_size));
  char buf[16384];
  while (true) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Status::IOError("cannot read " + display + ": " + std::strerror(errno));
    if (n == 0) return data;
    data.append(buf, static_cast<std::size_t>(n));
  }
}

std::string IdOfPath(const std::string& path) {
  return path.substr(0, path.size() - kSuffix.size());
}

}  // namespace

// What one look at the folder found.
struct Worktree::Scan {
  WorktreeStatus status;
  Index index;
  // Values parsed during this look (changed documents only).
  std::unordered_map<std::string, json::value> values;
  std::unordered_set<std::string> invalid_ids;  // valid ids whose file is not valid JSON
};

Result<WorktreeRecord> ReadWorktreeRecord(const std::string& dir) try {
  return ReadRecord(dir);
} catch (...) {
  return CaughtStatus("ReadWorktreeRecord");
}

Result<std::string> WorktreeRepositoryOf(const std::string& dir) try {
  STRATA_ASSIGN_OR_RETURN(WorktreeRecord r, ReadRecord(dir));
  std::error_code ec;
  if (!fs::is_directory(r.repository, ec) || !fs::exists(fs::path(r.repository) / "HEAD", ec)) {
    return Status::NotFound("the working folder " + dir + " belongs to the repository " +
                            r.repository +
                            ", which is missing (moved or removed?); move it back, or edit "
                            "\"repository\" in " +
                            dir + "/" + kRecordName);
  }
  return r.repository;
} catch (...) {
  return CaughtStatus("WorktreeRepositoryOf");
}

std::optional<std::string> Worktree::Find(const std::string& start) {
  std::error_code ec;
  fs::path p = fs::absolute(start, ec);
  for (fs::path cur = p; !cur.empty(); cur = cur.parent_path()) {
    fs::file_status s = fs::symlink_status(cur / kRecordName, ec);
    if (fs::is_directory(s)) return std::nullopt;
    if (fs::is_regular_file(s)) return Absolute(cur.string());
    if (cur == cur.parent_path()) break;
  }
  return std::nullopt;
}

std::string Worktree::BookkeepingDir() const { return repo_.path() + "/worktrees/" + record_.name; }

Status Worktree::SaveRecord() { return WriteRecord(dir_, record_); }

Result<std::unique_ptr<Worktree>> Worktree::Open(Repository& repo, const std::string& dir) try {
  const std::string abs = Absolute(dir);
  STRATA_ASSIGN_OR_RETURN(WorktreeRecord record, ReadRecord(abs));
  std::error_code ec;
  if (!fs::equivalent(record.repository, repo.path(), ec)) {
    return Status::InvalidArgument("the working folder " + abs + " belongs to the repository " +
                                   record.repository + ", not " + repo.path());
  }
  const std::string using_now = repo.perspective() ? repo.perspective()->name() : "";
  if (using_now != record.perspective.value_or("")) {
    if (!using_now.empty()) {
      return Status::InvalidArgument("the working folder " + abs + " reads " +
                                     (record.perspective
                                          ? "through perspective " + Quote(*record.perspective)
                                          : std::string("the whole state")) +
                                     ", not through " + Quote(using_now));
    }
    STRATA_RETURN_IF_ERROR(repo.UsePerspective(record.perspective));
  }
  return std::unique_ptr<Worktree>(new Worktree(repo, abs, std::move(record)));
} catch (...) {
  return CaughtStatus("Worktree::Open");
}

Result<std::unique_ptr<Worktree>> Worktree::Add(Repository& repo, const std::string& dir,
                                                const WorktreeAddOptions& options) try {
  const std::string abs = Absolute(dir);
  std::error_code ec;
  fs::file_status s = fs::symlink_status(abs, ec);
  if (fs::is_symlink(s)) {
    return Status::InvalidArgument(abs +
                                   " is a symbolic link; a working folder must be a real folder "
                                   "(name the folder it points to)");
  }
  if (fs::exists(s)) {
    if (!fs::is_directory(s)) return Status::InvalidArgument(abs + " is not a folder");
    if (!fs::is_empty(abs, ec)) {
      if (fs::exists(fs::symlink_status(fs::path(abs) / kRecordName, ec))) {
        return Status::Conflict(abs + " is already a working folder or a repository");
      }
      return Status::Conflict(abs + " is not empty; a working folder starts in a new or empty one");
    }
  }
  std::string branch = options.branch.value_or(repo.CurrentBranch());
  if (branch == "HEAD") {
    return Status::InvalidArgument("HEAD is detached: name the working folder's branch (--branch)");
  }
  std::string base;
  {
    Result<std::string> head = repo.ResolveRevision("refs/heads/" + branch);
    if (head.ok()) {
      base = *head;
    } else if (branch != repo.CurrentBranch()) {
      return Status::NotFound("no branch " + Quote(branch));
    }
  }
  STRATA_RETURN_IF_ERROR(repo.UsePerspective(options.perspective));
  // The bookkeeping folder's name: the folder's, made unique.
  std::string stem;
  for (char c : fs::path(abs).filename().string()) {
    stem.push_back(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' ? c : '-');
  }
  if (stem.empty()) stem = "folder";
  const fs::path all = fs::path(repo.path()) / "worktrees";
  fs::create_directories(all, ec);
  if (ec) return Status::IOError("cannot make " + all.string() + ": " + ec.message());
  std::string name = stem;
  for (int i = 2; !fs::create_directory(all / name, ec); ++i) {
    if (ec) return Status::IOError("cannot make " + (all / name).string() + ": " + ec.message());
    name = stem + "-" + std::to_string(i);
  }
  WorktreeRecord record{repo.path(), name, branch, base, options.perspective};
  auto wt = std::unique_ptr<Worktree>(new Worktree(repo, abs, record));
  auto undo = [&](Status s) {
    fs::remove_all(all / name, ec);
    return s;
  };
  Status st = WriteAtomically((all / name / "folder").string(), abs + "\n");
  if (!st.ok()) return undo(st);
  Index index;
  if (!base.empty()) {
    Result<Snapshot> snap = repo.Read(base);
    if (!snap.ok()) return undo(snap.status());
    Result<ExportResult> exported = ExportSnapshot(*snap, abs);
    if (!exported.ok()) return undo(exported.status());
    index.base = base;
    if (snap->state_tree()) {
      std::vector<Member> members;
      st = ReadMembers(*repo.impl_->store_, *snap->state_tree(), members);
      if (!st.ok()) return undo(st);
      Fd root(::open(abs.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
      for (Member& m : members) {
        IndexEntry e;
        e.base = m.ref.id.Hex();
        struct stat fst {};
        if (root.valid() &&
            ::fstatat(root.get(), ExportPath(m.key).c_str(), &fst, AT_SYMLINK_NOFOLLOW) == 0 &&
            S_ISREG(fst.st_mode)) {
          e.value = e.base;
          SetStat(e, fst);
        }
        index.entries.emplace(std::move(m.key), std::move(e));
      }
    }
  } else {
    fs::create_directories(abs, ec);
    if (ec) return undo(Status::IOError("cannot make folder " + abs + ": " + ec.message()));
  }
  st = SaveIndex((all / name / "index").string(), index);
  if (!st.ok()) return undo(st);
  st = wt->SaveRecord();  // last: now it is a working folder
  if (!st.ok()) return undo(st);
  return wt;
} catch (...) {
  return CaughtStatus("Worktree::Add");
}

Result<Snapshot> Worktree::ReadBase() { return repo_.Read(record_.base); }

Result<Worktree::Scan> Worktree::ScanFolder() {
  Scan scan;
  scan.status.branch = record_.branch;
  scan.status.base = record_.base;
  const std::string index_path = BookkeepingDir() + "/index";
  scan.index = LoadIndex(index_path);
  Index& index = scan.index;
  bool dirty = false;
  if (index.base != record_.base || (index.entries.empty() && !record_.base.empty())) {
    // A stale cache (an interrupted checkout): the base's ids again, every file read.
    index = Index();
    index.base = record_.base;
    dirty = true;
    if (!record_.base.empty()) {
      STRATA_ASSIGN_OR_RETURN(Snapshot base, ReadBase());
      if (base.state_tree()) {
        std::vector<Member> members;
        STRATA_RETURN_IF_ERROR(ReadMembers(*repo_.impl_->store_, *base.state_tree(), members));
        index.entries.reserve(members.size());
        for (Member& m : members) index.entries[std::move(m.key)].base = m.ref.id.Hex();
      }
    }
  }
  Fd root(::open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!root.valid()) {
    return Status::IOError("cannot open the working folder " + dir_ + ": " + std::strerror(errno));
  }
  struct Discard {
    ObjectStore& store;
    ~Discard() { store.Discard(); }
  } discard{*repo_.impl_->store_};
  std::size_t staged = 0;
  Status walked = WalkFolder(root.get(), "", dir_, [&](const FoundFile& f) -> Status {
    std::string id = IdOfPath(f.path);
    // Every id in the cache was checked when it went in.
    auto found = index.entries.find(id);
    if (found == index.entries.end()) {
      if (Status valid = ValidateDocumentId(id); !valid.ok()) {
        scan.status.invalid.push_back({f.path, valid.message()});
        return Status::Ok();
      }
      found = index.entries.emplace(id, IndexEntry()).first;
    }
    IndexEntry& e = found->second;
    e.seen = true;
    if (!e.value.empty() && SameStat(e, f.st) && e.mtime < index.written) return Status::Ok();
    // Read it again.
    ++scan.status.files_read;
    dirty = true;
    struct stat st {};
    Result<std::string> text = ReadAt(f.folder, f.name, dir_ + "/" + f.path, &st);
    if (!text.ok()) {
      e.value.clear();
      scan.status.invalid.push_back({f.path, text.status().message()});
      scan.invalid_ids.insert(id);
      return Status::Ok();
    }
    Result<json::value> v = ParseJson(*text, f.path);
    Result<ValueRef> ref =
        v.ok() ? EncodeValue(*repo_.impl_->store_, *v, 1) : Result<ValueRef>(v.status());
    if (!ref.ok()) {
      e.value.clear();
      scan.status.invalid.push_back({f.path, ref.status().message()});
      scan.invalid_ids.insert(id);
      return Status::Ok();
    }
    if (++staged % 1000 == 0) repo_.impl_->store_->Discard();
    e.value = ref->id.Hex();
    SetStat(e, st);
    if (e.value != e.base) scan.values.emplace(id, std::move(*v));
    return Status::Ok();
  });
  STRATA_RETURN_IF_ERROR(walked);
  for (auto it = index.entries.begin(); it != index.entries.end();) {
    IndexEntry& e = it->second;
    if (!e.seen) {
      if (!e.value.empty()) {
        e.value.clear();
        dirty = true;
      }
      if (e.base.empty()) {
        it = index.entries.erase(it);
        dirty = true;
        continue;
      }
      scan.status.deleted.push_back(it->first);
    } else if (!scan.invalid_ids.empty() && scan.invalid_ids.count(it->first)) {
      // neither created nor modified: listed as invalid
    } else if (e.base.empty()) {
      scan.status.created.push_back(it->first);
    } else if (e.value != e.base) {
      scan.status.modified.push_back(it->first);
    }
    ++it;
  }
  std::sort(scan.status.created.begin(), scan.status.created.end());
  std::sort(scan.status.modified.begin(), scan.status.modified.end());
  std::sort(scan.status.deleted.begin(), scan.status.deleted.end());
  std::sort(scan.status.invalid.begin(), scan.status.invalid.end(),
            [](const InvalidFile& a, const InvalidFile& b) { return a.file < b.file; });
  if (dirty) STRATA_RETURN_IF_ERROR(SaveIndex(index_path, index));
  return scan;
}

Result<WorktreeStatus> Worktree::ReadStatus() try {
  STRATA_ASSIGN_OR_RETURN(Scan scan, ScanFolder());
  return std::move(scan.status);
} catch (...) {
  return CaughtStatus("Worktree::ReadStatus");
}

namespace {

// The value document `id`'s file holds now.
Result<json::value> ReadDocumentFile(const std::string& dir, const std::string& id,
                                     std::unordered_map<std::string, json::value>& cache) {
  if (auto it = cache.find(id); it != cache.end()) return it->second;
  const std::string path = ExportPath(id);
  // Folders on the way must be real ones: open each with O_NOFOLLOW.
  Fd folder(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  std::size_t start = 0;
  for (std::size_t slash = path.find('/'); slash != std::string::npos;
       slash = path.find('/', start)) {
    if (!folder.valid()) break;
    folder = Fd(::openat(folder.get(), path.substr(start, slash - start).c_str(),
                         O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    start = slash + 1;
  }
  if (!folder.valid()) return Status::IOError("cannot read " + dir + "/" + path);
  struct stat st {};
  STRATA_ASSIGN_OR_RETURN(std::string text,
                          ReadAt(folder.get(), path.substr(start), dir + "/" + path, &st));
  STRATA_ASSIGN_OR_RETURN(json::value v, ParseJson(text, path));
  cache.emplace(id, v);
  return v;
}

std::string DescribeCommit(std::size_t created, std::size_t modified, std::size_t deleted,
                           const std::string& only) {
  const std::size_t n = created + modified + deleted;
  if (n == 1) {
    return std::string(created ? "create " : deleted ? "remove " : "update ") + only;
  }
  std::string what = "commit " + std::to_string(n) + " documents (";
  std::vector<std::string> parts;
  if (modified) parts.push_back(std::to_string(modified) + " updated");
  if (created) parts.push_back(std::to_string(created) + " created");
  if (deleted) parts.push_back(std::to_string(deleted) + " removed");
  for (std::size_t i = 0; i < parts.size(); ++i) what += (i ? ", " : "") + parts[i];
  return what + ")";
}

}  // namespace

Result<std::vector<Change>> Worktree::Changes(const DiffFilter& filter,
                                              json::value* merge_patch) try {
  STRATA_ASSIGN_OR_RETURN(Scan scan, ScanFolder());
  std::optional<Snapshot> base;
  if (!record_.base.empty()) {
    STRATA_ASSIGN_OR_RETURN(Snapshot b, ReadBase());
    base = std::move(b);
  }
  std::vector<std::string> docs;
  for (auto* list : {&scan.status.created, &scan.status.modified, &scan.status.deleted}) {
    docs.insert(docs.end(), list->begin(), list->end());
  }
  std::sort(docs.begin(), docs.end());
  std::vector<Change> out;
  json::object by_doc;
  const bool single = filter.docs.size() + filter.paths.size() == 1;
  std::optional<json::value> single_from, single_to;
  for (const std::string& doc : docs) {
    std::optional<json::value> from, to;
    if (base) {
      Result<json::value> v = base->Get(doc);
      if (v.ok()) {
        from = std::move(*v);
      } else if (v.status().code() != Code::kNotFound) {
        return v.status();
      }
    }
    if (std::find(scan.status.deleted.begin(), scan.status.deleted.end(), doc) ==
        scan.status.deleted.end()) {
      STRATA_ASSIGN_OR_RETURN(json::value v, ReadDocumentFile(dir_, doc, scan.values));
      to = std::move(v);
    }
    std::vector<Change> mine;
    const JsonPointer root({doc});
    if (!from && to) {
      mine.push_back(Change{PatchOp{PatchOpKind::kAdd, root, {}, *to}, doc, JsonPointer(), {}});
    } else if (from && !to) {
      mine.push_back(
          Change{PatchOp{PatchOpKind::kRemove, root, {}, nullptr}, doc, JsonPointer(), *from});
    } else if (from && to) {
      Patch patch;
      DiffValues(*from, *to, root, patch);
      for (PatchOp& op : patch) {
        std::vector<std::string> inner(op.path.tokens().begin() + 1, op.path.tokens().end());
        Change c{std::move(op), doc, JsonPointer(inner), {}};
        if (c.op.kind == PatchOpKind::kReplace || c.op.kind == PatchOpKind::kRemove) {
          Result<const json::value*> old = ResolvePointer(std::as_const(*from), c.pointer);
          if (old.ok()) c.old_value = **old;
        }
        mine.push_back(std::move(c));
      }
    }
    bool any = false;
    for (Change& c : mine) {
      if (!filter.empty() && !filter.Covers(c)) continue;
      any = true;
      out.push_back(std::move(c));
    }
    if (merge_patch && any) {
      if (single) {
        std::optional<JsonPointer> at;
        if (!filter.paths.empty()) at = filter.paths.front().second;
        auto pick = [&](const std::optional<json::value>& v) -> std::optional<json::value> {
          if (!v || !at) return v;
          Result<const json::value*> r = ResolvePointer(*v, *at);
          if (!r.ok()) return std::nullopt;
          return **r;
        };
        single_from = pick(from);
        single_to = pick(to);
      } else if (!to) {
        by_doc[doc] = nullptr;
      } else {
        STRATA_ASSIGN_OR_RETURN(json::value p,
                                CreateMergePatch(from ? *from : json::value(nullptr), *to));
        by_doc[doc] = std::move(p);
      }
    }
  }
  if (merge_patch) {
    if (single) {
      STRATA_ASSIGN_OR_RETURN(*merge_patch,
                              CreateMergePatch(single_from ? *single_from : json::value(nullptr),
                                               single_to ? *single_to : json::value(nullptr)));
    } else {
      *merge_patch = std::move(by_doc);
    }
  }
  return out;
} catch (...) {
  return CaughtStatus("Worktree::Changes");
}

Result<WorktreeCommit> Worktree::Commit(const CommitOptions& options) try {
  STRATA_ASSIGN_OR_RETURN(Scan scan, ScanFolder());
  const WorktreeStatus& st = scan.status;
  if (!st.invalid.empty()) {
    std::string list;
    for (std::size_t i = 0; i < st.invalid.size() && i < 5; ++i) {
      list += (i ? "; " : "") + st.invalid[i].error;
    }
    if (st.invalid.size() > 5) list += "; and " + std::to_string(st.invalid.size() - 5) + " more";
    return Status::InvalidArgument("cannot commit: " + std::to_string(st.invalid.size()) + " file" +
                                   (st.invalid.size() == 1 ? " is" : "s are") +
                                   " not a valid document (" + list +
                                   "); fix or remove them; nothing was written");
  }
  if (st.created.empty() && st.modified.empty() && st.deleted.empty()) {
    return Status::Unchanged(
        "nothing to commit: the folder holds the base " +
        (record_.base.empty() ? std::string("(no versions)") : record_.base.substr(0, 12)));
  }
  std::vector<std::pair<std::string, json::value>> docs;
  for (auto* list : {&st.created, &st.modified}) {
    for (const std::string& id : *list) {
      STRATA_ASSIGN_OR_RETURN(json::value v, ReadDocumentFile(dir_, id, scan.values));
      docs.emplace_back(id, std::move(v));
    }
  }
  const std::vector<std::string> deleted = st.deleted;
  auto edit = [&](PatchTarget& e) -> strata::Status {
    for (const auto& [id, value] : docs) STRATA_RETURN_IF_ERROR(e.Add(JsonPointer({id}), value));
    for (const std::string& id : deleted) {
      JsonPointer doc({id});
      STRATA_ASSIGN_OR_RETURN(bool exists, e.Exists(doc));
      if (exists) STRATA_RETURN_IF_ERROR(e.Remove(doc));
    }
    return Status::Ok();
  };
  WorktreeCommit out;
  out.created = st.created.size();
  out.modified = st.modified.size();
  out.deleted = st.deleted.size();
  out.branch = record_.branch;
  std::string only = !st.created.empty()    ? st.created.front()
                     : !st.modified.empty() ? st.modified.front()
                                            : st.deleted.front();
  const std::string message = DescribeCommit(out.created, out.modified, out.deleted, only);
  Repository::MessageFn describe = [&](const strata::Patch&) { return message; };

  std::string head;
  if (Result<std::string> h = repo_.ResolveRevision("refs/heads/" + record_.branch); h.ok()) {
    head = *h;
  } else if (h.status().code() != Code::kNotFound) {
    return h.status();
  }
  CommitOptions opts = options;
  opts.branch = record_.branch;
  if (head == record_.base) {
    opts.expected = record_.base.empty() ? std::string(CommitOptions::kNoVersion) : record_.base;
    STRATA_ASSIGN_OR_RETURN(WriteResult w, repo_.Write(edit, describe, opts));
    out.version = w.version;
    STRATA_ASSIGN_OR_RETURN(std::string now, repo_.ResolveRevision("refs/heads/" + record_.branch));
    // The look taken above still holds: the files were only read since.
    STRATA_RETURN_IF_ERROR(UpdateTo(now, /*keep_changes=*/false, &scan).status());
    return out;
  }
  if (record_.base.empty()) {
    return Status::Conflict("the branch " + Quote(record_.branch) +
                            " got its first versions since this folder was made; nothing was "
                            "written: save your files elsewhere, then 'strata switch " +
                            record_.branch + "' here");
  }
  // The branch moved: the change as a version on the base, merged into the branch.
  STRATA_ASSIGN_OR_RETURN(out.version, repo_.WriteDetached(record_.base, edit, describe, opts));
  MergeRequest request;
  request.commit = options;
  request.commit.branch = record_.branch;
  request.commit.labels.clear();
  request.commit.message =
      "merge working folder changes (" + out.version.id.substr(0, 12) + ") into " + record_.branch;
  out.merged = true;
  STRATA_ASSIGN_OR_RETURN(out.merge, repo_.Merge(out.version.id, request));
  if (out.merge.kind == MergeOutcome::Kind::kConflicts) return out;
  STRATA_ASSIGN_OR_RETURN(std::string now, repo_.ResolveRevision("refs/heads/" + record_.branch));
  STRATA_RETURN_IF_ERROR(UpdateTo(now, /*keep_changes=*/false).status());
  return out;
} catch (...) {
  return CaughtStatus("Worktree::Commit");
}

Result<WorktreeUpdate> Worktree::FollowBranch() try {
  STRATA_ASSIGN_OR_RETURN(std::string now, repo_.ResolveRevision("refs/heads/" + record_.branch));
  return UpdateTo(now, /*keep_changes=*/false);
} catch (...) {
  return CaughtStatus("Worktree::FollowBranch");
}

Result<WorktreeUpdate> Worktree::UpdateTo(const std::string& target, bool keep_changes,
                                          Scan* prior) {
  std::optional<Scan> looked;
  if (!prior) {
    STRATA_ASSIGN_OR_RETURN(looked, ScanFolder());
    prior = &*looked;
  }
  Scan& scan = *prior;
  WorktreeUpdate out;
  out.from = record_.base;
  out.to = target;
  std::optional<ObjectId> from_state, to_state;
  std::optional<Snapshot> target_snap;
  if (!record_.base.empty()) {
    STRATA_ASSIGN_OR_RETURN(Snapshot b, ReadBase());
    from_state = b.state_tree();
  }
  if (!target.empty()) {
    STRATA_ASSIGN_OR_RETURN(Snapshot t, repo_.Read(target));
    to_state = t.state_tree();
    target_snap = std::move(t);
  }
  if (keep_changes && target_snap) {
    // Another branch may hold ids that fold to one path (A/x, a/x): refused
    // before any file is written.
    STRATA_ASSIGN_OR_RETURN(std::vector<std::string> ids, target_snap->Ids());
    STRATA_RETURN_IF_ERROR(CheckExportIds(ids));
  }
  std::vector<MemberDiff> diffs;
  STRATA_RETURN_IF_ERROR(ChangedMembers(*repo_.impl_->store_, from_state, to_state, diffs));
  std::unordered_set<std::string> changed_docs;
  for (auto* list : {&scan.status.created, &scan.status.modified, &scan.status.deleted}) {
    changed_docs.insert(list->begin(), list->end());
  }
  changed_docs.insert(scan.invalid_ids.begin(), scan.invalid_ids.end());
  std::vector<std::string> refused;
  std::vector<FileUpdate> updates;
  // doc -> its id in the target ("" absent), for every document written or removed.
  std::unordered_map<std::string, std::string> new_ids;
  std::unordered_set<std::string> in_diff;
  auto want = [&](const std::string& id, const std::string& tgt) -> strata::Status {
    if (tgt.empty()) {
      updates.push_back({id, std::nullopt});
    } else {
      STRATA_ASSIGN_OR_RETURN(json::value v, target_snap->Get(id));
      updates.push_back({id, std::move(v)});
    }
    new_ids[id] = tgt;
    return Status::Ok();
  };
  for (const MemberDiff& d : diffs) {
    in_diff.insert(d.key);
    const std::string tgt = d.b ? d.b->id.Hex() : "";
    if (changed_docs.count(d.key)) {
      const IndexEntry& e = scan.index.entries[d.key];
      if (!scan.invalid_ids.count(d.key) && e.value == tgt) continue;  // already so
      if (keep_changes) {
        refused.push_back(ExportPath(d.key));
        continue;
      }
    }
    STRATA_RETURN_IF_ERROR(want(d.key, tgt));
  }
  for (const std::string& id : changed_docs) {
    if (in_diff.count(id)) continue;
    if (keep_changes) {
      out.kept.push_back(id);
      continue;
    }
    // Changed here, the same in base and target: the target's (the base's) value.
    const IndexEntry& e = scan.index.entries[id];
    STRATA_RETURN_IF_ERROR(want(id, e.base));
  }
  if (!refused.empty()) {
    std::sort(refused.begin(), refused.end());
    std::string list;
    for (std::size_t i = 0; i < refused.size(); ++i) list += (i ? ", " : "") + refused[i];
    return Status::Conflict(
        "your changes to " + list + " would be overwritten by " +
        (target.empty() ? std::string("the empty state") : target.substr(0, 12)) +
        "; commit them ('strata commit') or put them back ('strata restore') "
        "first; nothing was changed");
  }
  std::sort(out.kept.begin(), out.kept.end());
  STRATA_ASSIGN_OR_RETURN(FileUpdateResult wrote, WriteDocumentFiles(dir_, updates));
  out.written = wrote.written + wrote.unchanged;
  out.removed = wrote.removed;
  // The cache follows the files, then the record names the new base.
  Index& index = scan.index;
  for (const MemberDiff& d : diffs) {
    IndexEntry& e = index.entries[d.key];
    e.base = d.b ? d.b->id.Hex() : "";
  }
  Fd root(::open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  for (const auto& [id, tgt] : new_ids) {
    IndexEntry& e = index.entries[id];
    struct stat st {};
    if (!tgt.empty() && root.valid() &&
        ::fstatat(root.get(), ExportPath(id).c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0) {
      e.value = tgt;
      SetStat(e, st);
    } else {
      e.value.clear();
    }
  }
  for (auto it = index.entries.begin(); it != index.entries.end();) {
    if (it->second.base.empty() && it->second.value.empty()) {
      it = index.entries.erase(it);
    } else {
      ++it;
    }
  }
  index.base = target;
  STRATA_RETURN_IF_ERROR(SaveIndex(BookkeepingDir() + "/index", index));
  record_.base = target;
  STRATA_RETURN_IF_ERROR(SaveRecord());
  return out;
}

Result<std::vector<std::string>> Worktree::Restore(const std::vector<std::string>& docs,
                                                   bool all) try {
  STRATA_ASSIGN_OR_RETURN(Scan scan, ScanFolder());
  std::vector<std::string> targets;
  if (all) {
    targets = scan.status.modified;
    targets.insert(targets.end(), scan.status.deleted.begin(), scan.status.deleted.end());
    for (const std::string& id : scan.invalid_ids) {
      if (!scan.index.entries[id].base.empty()) targets.push_back(id);
    }
  } else {
    for (const std::string& id : docs) {
      STRATA_RETURN_IF_ERROR(ValidateDocumentId(id));
      auto it = scan.index.entries.find(id);
      if (it == scan.index.entries.end() || it->second.base.empty()) {
        return Status::InvalidArgument(
            "document " + Quote(id) + " is not in the base " +
            (record_.base.empty() ? std::string("(no versions)") : record_.base.substr(0, 12)) +
            (it == scan.index.entries.end()
                 ? ""
                 : "; restore never deletes a file: remove " + ExportPath(id) + " yourself") +
            "; nothing was restored");
      }
      targets.push_back(id);
    }
  }
  std::sort(targets.begin(), targets.end());
  targets.erase(std::unique(targets.begin(), targets.end()), targets.end());
  if (targets.empty()) return targets;
  STRATA_ASSIGN_OR_RETURN(Snapshot base, ReadBase());
  std::vector<FileUpdate> updates;
  for (const std::string& id : targets) {
    STRATA_ASSIGN_OR_RETURN(json::value v, base.Get(id));
    updates.push_back({id, std::move(v)});
  }
  STRATA_RETURN_IF_ERROR(WriteDocumentFiles(dir_, updates).status());
  Fd root(::open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  for (const std::string& id : targets) {
    IndexEntry& e = scan.index.entries[id];
    struct stat st {};
    if (root.valid() &&
        ::fstatat(root.get(), ExportPath(id).c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0) {
      e.value = e.base;
      SetStat(e, st);
    }
  }
  STRATA_RETURN_IF_ERROR(SaveIndex(BookkeepingDir() + "/index", scan.index));
  return targets;
} catch (...) {
  return CaughtStatus("Worktree::Restore");
}

Result<WorktreeUpdate> Worktree::Switch(const std::string& branch, bool create) try {
  if (create) {
    STRATA_RETURN_IF_ERROR(
        repo_.CreateBranch(branch, record_.base.empty() ? "HEAD" : record_.base).status());
  }
  Result<std::string> target = repo_.ResolveRevision("refs/heads/" + branch);
  if (!target.ok()) {
    if (target.status().code() == Code::kNotFound) {
      return Status::NotFound("no branch " + Quote(branch) + " (create it with 'switch -c')");
    }
    return target.status();
  }
  const std::string previous = record_.branch;
  record_.branch = branch;
  Result<WorktreeUpdate> r = UpdateTo(*target, /*keep_changes=*/true);
  if (!r.ok()) record_.branch = previous;
  return r;
} catch (...) {
  return CaughtStatus("Worktree::Switch");
}

Result<std::pair<PullResult, WorktreeUpdate>> Worktree::Pull(
    const std::string& remote, const std::optional<std::string>& branch, MergeRequest request,
    const FetchOptions& options) try {
  request.commit.branch = record_.branch;
  STRATA_ASSIGN_OR_RETURN(Scan scan, ScanFolder());
  // As git pull does: refused before the merge when it would bring changes
  // to a document the folder changed (the fetch stands).
  auto check = [&](const std::string& theirs) -> Status {
    std::optional<ObjectId> from_state, to_state;
    if (!record_.base.empty()) {
      STRATA_ASSIGN_OR_RETURN(std::optional<std::string> base,
                              repo_.MergeBase(record_.base, theirs));
      if (base) {
        STRATA_ASSIGN_OR_RETURN(Snapshot b, repo_.Read(*base));
        from_state = b.state_tree();
      }
    }
    STRATA_ASSIGN_OR_RETURN(Snapshot t, repo_.Read(theirs));
    to_state = t.state_tree();
    std::vector<MemberDiff> incoming;
    STRATA_RETURN_IF_ERROR(ChangedMembers(*repo_.impl_->store_, from_state, to_state, incoming));
    std::unordered_set<std::string> local(scan.invalid_ids.begin(), scan.invalid_ids.end());
    for (auto* list : {&scan.status.created, &scan.status.modified, &scan.status.deleted}) {
      local.insert(list->begin(), list->end());
    }
    std::string files;
    for (const MemberDiff& d : incoming) {
      if (local.count(d.key)) files += (files.empty() ? "" : ", ") + ExportPath(d.key);
    }
    if (files.empty()) return Status::Ok();
    return Status::Conflict("the pull would overwrite uncommitted changes in " + files +
                            ": commit them ('strata commit') or put them back ('strata "
                            "restore'), then pull again (the fetch is done; nothing was merged)");
  };
  STRATA_ASSIGN_OR_RETURN(PullResult pulled, repo_.Pull(remote, branch, request, options, check));
  WorktreeUpdate update;
  update.from = update.to = record_.base;
  if (pulled.merge.kind == MergeOutcome::Kind::kConflicts ||
      pulled.merge.kind == MergeOutcome::Kind::kUpToDate) {
    return std::make_pair(std::move(pulled), std::move(update));
  }
  STRATA_ASSIGN_OR_RETURN(std::string now, repo_.ResolveRevision("refs/heads/" + record_.branch));
  Result<WorktreeUpdate> u = UpdateTo(now, /*keep_changes=*/true, &scan);
  if (!u.ok()) {
    return u.status().WithContext("the branch " + record_.branch + " was pulled to " +
                                  now.substr(0, 12) + ", but the folder stays at its base " +
                                  record_.base.substr(0, 12));
  }
  return std::make_pair(std::move(pulled), std::move(*u));
} catch (...) {
  return CaughtStatus("Worktree::Pull");
}

Result<std::vector<WorktreeInfo>> Worktree::List(Repository& repo) try {
  std::vector<WorktreeInfo> out;
  std::error_code ec;
  const fs::path all = fs::path(repo.path()) / "worktrees";
  if (!fs::is_directory(all, ec)) return out;
  for (const fs::directory_entry& e : fs::directory_iterator(all, ec)) {
    WorktreeInfo info;
    info.name = e.path().filename().string();
    Result<std::string> folder = ReadFile((e.path() / "folder").string());
    if (!folder.ok()) continue;  // being made or removed
    info.folder = *folder;
    while (!info.folder.empty() && info.folder.back() == '\n') info.folder.pop_back();
    Result<WorktreeRecord> r = ReadRecord(info.folder);
    if (!r.ok()) {
      info.problem = "its folder or record is gone (" + r.status().message() +
                     "); 'strata worktree remove " + info.folder + "' forgets it";
    } else if (r->name != info.name || !fs::equivalent(r->repository, repo.path(), ec)) {
      info.problem = "its record names another working folder";
    } else {
      info.branch = r->branch;
      info.base = r->base;
      info.perspective = r->perspective;
    }
    out.push_back(std::move(info));
  }
  if (ec) return Status::IOError("cannot read " + all.string() + ": " + ec.message());
  std::sort(out.begin(), out.end(),
            [](const WorktreeInfo& a, const WorktreeInfo& b) { return a.name < b.name; });
  return out;
} catch (...) {
  return CaughtStatus("Worktree::List");
}

Result<WorktreeRemoval> Worktree::Remove(Repository& repo, const std::string& dir, bool force) try {
  const std::string abs = Absolute(dir);
  WorktreeRemoval out;
  out.folder = abs;
  std::error_code ec;
  // A folder already gone: forget its bookkeeping.
  if (!fs::exists(fs::symlink_status(fs::path(abs) / kRecordName, ec))) {
    STRATA_ASSIGN_OR_RETURN(std::vector<WorktreeInfo> all, List(repo));
    for (const WorktreeInfo& w : all) {
      if (w.folder == abs) {
        fs::remove_all(fs::path(repo.path()) / "worktrees" / w.name, ec);
        return out;
      }
    }
    return Status::NotFound(abs + " is not a working folder (no " + kRecordName + " record)");
  }
  STRATA_ASSIGN_OR_RETURN(std::unique_ptr<Worktree> wt, Open(repo, abs));
  STRATA_ASSIGN_OR_RETURN(Scan scan, wt->ScanFolder());
  if (!scan.status.clean() && !force) {
    std::vector<std::string> files;
    for (auto* list : {&scan.status.created, &scan.status.modified, &scan.status.deleted}) {
      for (const std::string& id : *list) files.push_back(ExportPath(id));
    }
    for (const InvalidFile& f : scan.status.invalid) files.push_back(f.file);
    std::sort(files.begin(), files.end());
    std::string list;
    for (std::size_t i = 0; i < files.size(); ++i) list += (i ? ", " : "") + files[i];
    return Status::Conflict(abs + " has uncommitted changes (" + list +
                            "); commit them, or remove it with --force; nothing was removed");
  }
  // The files strata wrote: the base's documents.
  std::vector<FileUpdate> removals;
  for (const auto& [id, e] : scan.index.entries) {
    if (!e.base.empty()) removals.push_back({id, std::nullopt});
  }
  STRATA_ASSIGN_OR_RETURN(FileUpdateResult removed, WriteDocumentFiles(abs, std::move(removals)));
  out.removed = removed.removed;
  if (::unlink((abs + "/" + kRecordName).c_str()) != 0 && errno != ENOENT) {
    return Status::IOError("cannot remove " + abs + "/" + kRecordName + ": " +
                           std::strerror(errno));
  }
  fs::remove_all(wt->BookkeepingDir(), ec);
  // Empty folders go, deepest first; a link is never entered.
  std::vector<fs::path> folders;
  for (fs::recursive_directory_iterator it(abs, fs::directory_options::none, ec), end;
       !ec && it != end; it.increment(ec)) {
    if (it->is_directory(ec) && !it->is_symlink(ec)) folders.push_back(it->path());
  }
  std::sort(folders.begin(), folders.end(),
            [](const fs::path& a, const fs::path& b) { return a.string() > b.string(); });
  for (const fs::path& f : folders) ::rmdir(f.c_str());
  for (fs::recursive_directory_iterator it(abs, fs::directory_options::none, ec), end;
       !ec && it != end; it.increment(ec)) {
    if (it->is_directory(ec) && !it->is_symlink(ec)) continue;
    out.left.push_back(fs::path(it->path()).lexically_relative(abs).generic_string());
  }
  std::sort(out.left.begin(), out.left.end());
  if (::rmdir(abs.c_str()) == 0) out.folder_removed = true;
  return out;
} catch (...) {
  return CaughtStatus("Worktree::Remove");
}

}  // namespace strata
