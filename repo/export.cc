#include "strata/export.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "objects/guard.h"
#include "strata/document_id.h"
#include "strata/json.h"
#include "strata/snapshot.h"

namespace strata {
namespace {

namespace fs = std::filesystem;

// The longest file or folder name most file systems hold (NAME_MAX).
constexpr std::size_t kMaxNameBytes = 255;
constexpr std::string_view kSuffix = ".json";

// Owns a file descriptor; closes it when it goes out of scope.
class FileDescriptor {
 public:
  FileDescriptor() = default;
  explicit FileDescriptor(int fd) : fd_(fd) {}
  FileDescriptor(FileDescriptor&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  FileDescriptor& operator=(FileDescriptor&& o) noexcept {
    if (this != &o) {
      Reset();
      fd_ = std::exchange(o.fd_, -1);
    }
    return *this;
  }
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  ~FileDescriptor() { Reset(); }

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  // Closes it now; false (errno set) if close failed, which for a file just
  // written can mean its bytes did not all reach the disk.
  bool Close() {
    int fd = std::exchange(fd_, -1);
    return fd < 0 || ::close(fd) == 0;
  }

 private:
  void Reset() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }
  int fd_ = -1;
};

std::vector<std::string_view> SplitPath(std::string_view path) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  while (true) {
    std::size_t slash = path.find('/', start);
    out.push_back(path.substr(start, slash == std::string_view::npos ? slash : slash - start));
    if (slash == std::string_view::npos) return out;
    start = slash + 1;
  }
}

std::string Quote(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 2);
  out.push_back('\'');
  out.append(s);
  out.push_back('\'');
  return out;
}

const char* KindOf(const struct stat& st) {
  if (S_ISLNK(st.st_mode)) return "a symbolic link";
  if (S_ISDIR(st.st_mode)) return "a folder";
  if (S_ISREG(st.st_mode)) return "a file";
  return "a special file (not a regular file)";
}

// Looks at what DIR holds on every document's path before anything is
// written: a folder where one must go (or nothing yet), a regular file or
// nothing where a document's file goes. lstat-style (AT_SYMLINK_NOFOLLOW)
// one level at a time, so no link on the way is followed.
Status CheckFolderContents(int root, const std::string& dir, const std::vector<std::string>& ids) {
  std::unordered_set<std::string> folders_ok, folders_missing;
  auto refuse = [&](const std::string& id, const std::string& path, const char* found,
                    const char* wanted) {
    return Status::InvalidArgument("cannot export document " + Quote(id) + ": " + dir + "/" + path +
                                   " is " + found + ", where " + wanted +
                                   " must go (export never writes through a symbolic link or "
                                   "over a folder); nothing was written");
  };
  for (const std::string& id : ids) {
    const std::string path = ExportPath(id);
    bool missing = false;
    for (std::size_t slash = path.find('/'); slash != std::string::npos;
         slash = path.find('/', slash + 1)) {
      std::string folder = path.substr(0, slash);
      if (folders_missing.count(folder)) {
        missing = true;
        break;
      }
      if (folders_ok.count(folder)) continue;
      struct stat st {};
      if (::fstatat(root, folder.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
        if (errno != ENOENT) {
          return Status::IOError("cannot look at " + dir + "/" + folder + ": " +
                                 std::strerror(errno));
        }
        folders_missing.insert(std::move(folder));
        missing = true;
        break;
      }
      if (!S_ISDIR(st.st_mode)) return refuse(id, folder, KindOf(st), "a folder");
      folders_ok.insert(std::move(folder));
    }
    if (missing) continue;
    struct stat st {};
    if (::fstatat(root, path.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
      if (errno == ENOENT) continue;
      return Status::IOError("cannot look at " + dir + "/" + path + ": " + std::strerror(errno));
    }
    if (!S_ISREG(st.st_mode)) return refuse(id, path, KindOf(st), "the document's file");
  }
  return Status::Ok();
}

// The folders from DIR down to the current document's, each opened relative
// to its parent with O_NOFOLLOW. Documents come in id order, so consecutive
// ones share most of their folders, and each folder is opened once per run.
class FolderStack {
 public:
  FolderStack(FileDescriptor root, std::string dir) : dir_(std::move(dir)) {
    fds_.push_back(std::move(root));
  }

  // The descriptor of the folder holding `segments` minus the last one,
  // opening or making what is missing. `made` counts the folders made.
  Result<int> Enter(const std::string& id, const std::vector<std::string_view>& segments,
                    std::size_t* made) {
    const std::size_t depth = segments.size() - 1;
    std::size_t common = 0;
    while (common < names_.size() && common < depth && names_[common] == segments[common]) {
      ++common;
    }
    names_.resize(common);
    fds_.resize(common + 1);
    for (std::size_t i = common; i < depth; ++i) {
      std::string name(segments[i]);
      STRATA_ASSIGN_OR_RETURN(FileDescriptor fd, OpenFolder(id, fds_.back().get(), name, made));
      fds_.push_back(std::move(fd));
      names_.push_back(std::move(name));
    }
    return fds_.back().get();
  }

  // DIR's descriptor.
  int RootFd() const { return fds_.front().get(); }

  // DIR/<the open folders>/name, for messages.
  std::string Display(std::string_view name) const {
    std::string out = dir_;
    for (const std::string& n : names_) out += "/" + n;
    return out + "/" + std::string(name);
  }

 private:
  Result<FileDescriptor> OpenFolder(const std::string& id, int parent, const std::string& name,
                                    std::size_t* made) {
    constexpr int kFlags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
    FileDescriptor fd(::openat(parent, name.c_str(), kFlags));
    if (!fd.valid() && errno == ENOENT) {
      if (::mkdirat(parent, name.c_str(), 0777) == 0) {
        ++*made;
      } else if (errno != EEXIST) {
        return Status::IOError("cannot make folder " + Display(name) + " for document " +
                               Quote(id) + ": " + std::strerror(errno));
      }
      fd = FileDescriptor(::openat(parent, name.c_str(), kFlags));
    }
    if (fd.valid()) return fd;
    if (errno == ELOOP || errno == ENOTDIR) {
      struct stat st {};
      const bool link =
          errno == ELOOP ||
          (::fstatat(parent, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode));
      return Status::InvalidArgument("cannot export document " + Quote(id) + ": " + Display(name) +
                                     " is " + (link ? "a symbolic link" : "not a folder") +
                                     ", where a folder must go (export never writes through a "
                                     "symbolic link)");
    }
    return Status::IOError("cannot open folder " + Display(name) + ": " + std::strerror(errno));
  }

  std::string dir_;
  std::vector<std::string> names_;   // the open folders below DIR
  std::vector<FileDescriptor> fds_;  // DIR's, then one per name
};

// Writes all of `bytes` to `fd`; false (errno set) if it cannot.
bool WriteAll(int fd, std::string_view bytes) {
  std::size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return false;
    done += static_cast<std::size_t>(n);
  }
  return true;
}

// Reads up to `want` bytes into `buf`: fewer only at the end of the file;
// -1 (errno set) if it cannot.
ssize_t ReadFull(int fd, char* buf, std::size_t want) {
  std::size_t got = 0;
  while (got < want) {
    ssize_t n = ::read(fd, buf + got, want - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return -1;
    if (n == 0) break;
    got += static_cast<std::size_t>(n);
  }
  return static_cast<ssize_t>(got);
}

// Whether regular file `name` in `folder` holds exactly `bytes`. Never
// follows a link nor blocks on a FIFO; refuses anything but a regular file.
Result<bool> HoldsBytes(int folder, const std::string& name, std::string_view bytes,
                        const std::string& id, const std::string& display) {
  FileDescriptor fd(::openat(folder, name.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
  if (!fd.valid()) {
    if (errno == ENOENT) return false;
    if (errno == ELOOP) {
      return Status::InvalidArgument("cannot export document " + Quote(id) + ": " + display +
                                     " is a symbolic link (export never writes through one)");
    }
    return Status::IOError("cannot read " + display + ": " + std::strerror(errno));
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) {
    return Status::IOError("cannot read " + display + ": " + std::strerror(errno));
  }
  if (!S_ISREG(st.st_mode)) {
    return Status::InvalidArgument("cannot export document " + Quote(id) + ": " + display + " is " +
                                   KindOf(st) + ", where the document's file must go");
  }
  if (static_cast<std::uint64_t>(st.st_size) != bytes.size()) return false;
  std::string have(bytes.size(), '\0');
  ssize_t n = ReadFull(fd.get(), have.data(), have.size());
  if (n < 0) return Status::IOError("cannot read " + display + ": " + std::strerror(errno));
  return static_cast<std::size_t>(n) == have.size() && have == bytes;  // it may have shrunk
}

// Writes files. A new file is made in place (O_CREAT | O_EXCL, as git
// checkout does: one directory operation); a file already there is
// replaced through a temporary file renamed over it, so a reader of the old
// file sees the old bytes or the new, never a part. The temporary's name
// starts with '.' (import skips it if a crash leaves it) and does not
// depend on `name`, so a long name cannot overflow.
class FileWriter {
 public:
  // Whether `name` was written (false: it already held `bytes`).
  Result<bool> Write(int folder, const std::string& name, std::string_view bytes,
                     const std::string& id, const std::string& display) {
    FileDescriptor fd(
        ::openat(folder, name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666));
    if (fd.valid()) {
      STRATA_RETURN_IF_ERROR(Fill(std::move(fd), folder, name, bytes, display));
      return true;
    }
    if (errno != EEXIST) {
      return Status::IOError("cannot write " + display + ": " + std::strerror(errno));
    }
    // Something is there (a link included: O_EXCL never follows one).
    STRATA_ASSIGN_OR_RETURN(bool same, HoldsBytes(folder, name, bytes, id, display));
    if (same) return false;
    std::string tmp;
    while (!fd.valid()) {
      tmp = ".strata-export-" + pid_ + "-" + std::to_string(counter_++) + ".tmp";
      fd = FileDescriptor(::openat(folder, tmp.c_str(),
                                   O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666));
      if (!fd.valid() && errno != EEXIST) {
        return Status::IOError("cannot write " + display + ": " + std::strerror(errno));
      }
    }
    STRATA_RETURN_IF_ERROR(Fill(std::move(fd), folder, tmp, bytes, display));
    STRATA_RETURN_IF_ERROR(Replace(folder, tmp, name, display));
    return true;
  }

  // Writes the text `write` produces, `*size` bytes, and says, as Write
  // does, whether the file changed. A text of up to kHeldBytes is held and
  // given to Write. A longer one goes to the disk as it comes, never held
  // whole: into a new file; or, where a file is, compared with that file
  // piece by piece and, from the first piece that differs, into a temporary
  // file (the equal bytes before it copied from the file) renamed over it.
  Result<bool> WriteStreamed(int folder, const std::string& name,
                             const Snapshot::DocumentText& write, std::size_t* size,
                             const std::string& id, const std::string& display) {
    Stream stream(folder, name, display);
    *size = 0;
    Status status = write([&](std::string_view piece) -> Status {
      *size += piece.size();
      if (stream.mode != Mode::kHeld) return Take(stream, piece);
      stream.held.append(piece);
      if (stream.held.size() <= kHeldBytes) return Status::Ok();
      STRATA_RETURN_IF_ERROR(Begin(stream, id));
      std::string held = std::move(stream.held);
      return Take(stream, held);
    });
    if (!status.ok()) {
      Abandon(stream);
      return status;
    }
    switch (stream.mode) {
      case Mode::kHeld:
        return Write(folder, name, stream.held, id, display);
      case Mode::kSame: {
        char extra;
        ssize_t n;
        do n = ::read(stream.old.get(), &extra, 1);
        while (n < 0 && errno == EINTR);
        if (n < 0) return Status::IOError("cannot read " + display + ": " + std::strerror(errno));
        if (n == 0) return false;  // every byte the same, and no more
        STRATA_RETURN_IF_ERROR(Diverge(stream));
        break;
      }
      default:
        break;
    }
    if (!stream.out.Close()) {
      Status s = Status::IOError("cannot write " + display + ": " + std::strerror(errno));
      Abandon(stream);
      return s;
    }
    if (stream.mode == Mode::kDiffers) {
      STRATA_RETURN_IF_ERROR(Replace(folder, stream.tmp, name, display));
    }
    return true;
  }

 private:
  // A text longer than this is written as it comes (WriteStreamed).
  static constexpr std::size_t kHeldBytes = std::size_t{1} << 20;

  enum class Mode {
    kHeld,     // held in memory so far
    kNew,      // going into a new file
    kSame,     // compared with the file there, equal so far
    kDiffers,  // going into a temporary file, to replace the one there
  };
  struct Stream {
    Stream(int f, const std::string& n, const std::string& d) : folder(f), name(n), display(d) {}
    int folder;
    const std::string& name;
    const std::string& display;
    Mode mode = Mode::kHeld;
    std::string held;
    FileDescriptor out;          // the new file, or the temporary one
    FileDescriptor old;          // the file there (kSame, kDiffers)
    std::string tmp;             // the temporary file's name (kDiffers)
    std::uint64_t compared = 0;  // bytes found equal (kSame)
  };

  // The text outgrew kHeldBytes: a new file, or the one there to compare.
  static Status Begin(Stream& st, const std::string& id) {
    st.out = FileDescriptor(::openat(st.folder, st.name.c_str(),
                                     O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666));
    if (st.out.valid()) {
      st.mode = Mode::kNew;
      return Status::Ok();
    }
    if (errno != EEXIST) {
      return Status::IOError("cannot write " + st.display + ": " + std::strerror(errno));
    }
    st.old = FileDescriptor(
        ::openat(st.folder, st.name.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
    if (!st.old.valid()) {
      if (errno == ELOOP) {
        return Status::InvalidArgument("cannot export document " + Quote(id) + ": " + st.display +
                                       " is a symbolic link (export never writes through one)");
      }
      return Status::IOError("cannot read " + st.display + ": " + std::strerror(errno));
    }
    struct stat info {};
    if (::fstat(st.old.get(), &info) != 0) {
      return Status::IOError("cannot read " + st.display + ": " + std::strerror(errno));
    }
    if (!S_ISREG(info.st_mode)) {
      return Status::InvalidArgument("cannot export document " + Quote(id) + ": " + st.display +
                                     " is " + KindOf(info) + ", where the document's file must go");
    }
    st.mode = Mode::kSame;
    return Status::Ok();
  }

  Status Take(Stream& st, std::string_view piece) {
    if (st.mode == Mode::kSame) {
      std::string have(piece.size(), '\0');
      ssize_t n = ReadFull(st.old.get(), have.data(), have.size());
      if (n < 0) return Status::IOError("cannot read " + st.display + ": " + std::strerror(errno));
      if (static_cast<std::size_t>(n) == piece.size() && have == piece) {
        st.compared += piece.size();
        return Status::Ok();
      }
      STRATA_RETURN_IF_ERROR(Diverge(st));
    }
    if (!WriteAll(st.out.get(), piece)) {
      return Status::IOError("cannot write " + st.display + ": " + std::strerror(errno));
    }
    return Status::Ok();
  }

  // The text differs from the file there: a temporary file, holding the
  // bytes found equal so far, takes the rest.
  Status Diverge(Stream& st) {
    while (!st.out.valid()) {
      st.tmp = ".strata-export-" + pid_ + "-" + std::to_string(counter_++) + ".tmp";
      st.out = FileDescriptor(::openat(st.folder, st.tmp.c_str(),
                                       O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666));
      if (!st.out.valid() && errno != EEXIST) {
        st.tmp.clear();
        return Status::IOError("cannot write " + st.display + ": " + std::strerror(errno));
      }
    }
    st.mode = Mode::kDiffers;
    std::string buf(std::min<std::uint64_t>(st.compared, kHeldBytes), '\0');
    for (std::uint64_t at = 0; at < st.compared;) {
      const std::size_t want =
          static_cast<std::size_t>(std::min<std::uint64_t>(buf.size(), st.compared - at));
      ssize_t n;
      do n = ::pread(st.old.get(), buf.data(), want, static_cast<off_t>(at));
      while (n < 0 && errno == EINTR);
      if (n <= 0) {
        return Status::IOError("cannot read " + st.display + ": " +
                               (n < 0 ? std::strerror(errno) : "it shrank while being read"));
      }
      if (!WriteAll(st.out.get(), std::string_view(buf.data(), static_cast<std::size_t>(n)))) {
        return Status::IOError("cannot write " + st.display + ": " + std::strerror(errno));
      }
      at += static_cast<std::uint64_t>(n);
    }
    return Status::Ok();
  }

  // After a failure: removes what this write made (a new file, or the
  // temporary one), never the file that was there.
  static void Abandon(Stream& st) {
    st.out.Close();
    if (st.mode == Mode::kNew) {
      ::unlinkat(st.folder, st.name.c_str(), 0);
    } else if (!st.tmp.empty()) {
      ::unlinkat(st.folder, st.tmp.c_str(), 0);
    }
  }

  // Renames the temporary file `tmp` over `name`: rename replaces a link or
  // file at `name` itself, never what a link names.
  static Status Replace(int folder, const std::string& tmp, const std::string& name,
                        const std::string& display) {
    if (::renameat(folder, tmp.c_str(), folder, name.c_str()) != 0) {
      Status s = Status::IOError("cannot replace " + display + ": " + std::strerror(errno));
      ::unlinkat(folder, tmp.c_str(), 0);
      return s;
    }
    return Status::Ok();
  }

  // Writes `bytes` to the new file `fd` (`name` in `folder`) and closes it;
  // on failure removes the file.
  static Status Fill(FileDescriptor fd, int folder, const std::string& name, std::string_view bytes,
                     const std::string& display) {
    auto fail = [&]() {
      Status s = Status::IOError("cannot write " + display + ": " + std::strerror(errno));
      fd.Close();
      ::unlinkat(folder, name.c_str(), 0);
      return s;
    };
    if (!WriteAll(fd.get(), bytes) || !fd.Close()) return fail();
    return Status::Ok();
  }

  std::string pid_ = std::to_string(::getpid());
  std::uint64_t counter_ = 0;
};

// Opens DIR (made, with its parents, if missing) without following a link
// in its own place.
Result<FileDescriptor> OpenRoot(std::string dir, std::size_t* made) {
  while (dir.size() > 1 && dir.back() == '/') dir.pop_back();  // "link/" would follow the link
  struct stat st {};
  if (::lstat(dir.c_str(), &st) != 0) {
    if (errno != ENOENT) {
      return Status::IOError("cannot look at " + dir + ": " + std::strerror(errno));
    }
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) return Status::IOError("cannot make folder " + dir + ": " + ec.message());
    ++*made;
  }
  FileDescriptor fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (fd.valid()) return fd;
  // O_DIRECTORY may answer ENOTDIR before O_NOFOLLOW answers ELOOP.
  if (errno == ELOOP || (::lstat(dir.c_str(), &st) == 0 && S_ISLNK(st.st_mode))) {
    return Status::InvalidArgument(dir +
                                   " is a symbolic link; export writes only into a real folder "
                                   "(name the folder it points to)");
  }
  if (errno == ENOTDIR) return Status::InvalidArgument(dir + " is not a folder");
  return Status::IOError("cannot open folder " + dir + ": " + std::strerror(errno));
}

}  // namespace

std::string ExportPath(std::string_view id) { return std::string(id) + std::string(kSuffix); }

Status CheckExportIds(const std::vector<std::string>& ids) try {
  // Every path (folders and files), folded, to the first document that
  // claimed it, and the path as that document spells it.
  struct Claim {
    std::string path;
    const std::string* id;
    bool folder;
  };
  std::unordered_map<std::string, Claim> claims;
  claims.reserve(ids.size() * 2);
  for (const std::string& id : ids) {
    Status valid = ValidateDocumentId(id);
    if (!valid.ok()) return valid.WithContext("cannot export");
    const std::string path = ExportPath(id);
    const std::vector<std::string_view> segments = SplitPath(path);
    for (std::string_view segment : segments) {
      if (segment.size() > kMaxNameBytes) {
        return Status::InvalidArgument(
            "cannot export document " + Quote(id) + ": its path has a name of " +
            std::to_string(segment.size()) + " bytes ('" + std::string(segment.substr(0, 40)) +
            "...'), and a file or folder name may hold at most " + std::to_string(kMaxNameBytes) +
            "; nothing was written");
      }
    }
    STRATA_ASSIGN_OR_RETURN(std::string folded, FoldCase(path));
    const std::vector<std::string_view> folded_segments = SplitPath(folded);
    if (folded_segments.size() != segments.size()) {
      return Status::InvalidArgument("cannot export document " + Quote(id) +
                                     ": folding its letter case changes its folders");
    }
    std::size_t end = 0, folded_end = 0;
    for (std::size_t i = 0; i < segments.size(); ++i) {
      end += segments[i].size() + (i > 0 ? 1 : 0);
      folded_end += folded_segments[i].size() + (i > 0 ? 1 : 0);
      const bool folder = i + 1 < segments.size();
      std::string_view mine(path.data(), end);
      auto [it, fresh] =
          claims.try_emplace(folded.substr(0, folded_end), Claim{std::string(mine), &id, folder});
      if (fresh) continue;
      const Claim& other = it->second;
      if (other.path == mine && other.folder && folder) continue;  // a shared folder
      if (other.path != mine) {
        return Status::InvalidArgument(
            "cannot export documents " + Quote(*other.id) + " and " + Quote(id) + ": their paths " +
            Quote(other.path) + " and " + Quote(mine) +
            " differ only in letter case, and would be one on a case-insensitive file system; "
            "nothing was written");
      }
      const std::string& file_doc = other.folder ? id : *other.id;
      const std::string& folder_doc = other.folder ? *other.id : id;
      return Status::InvalidArgument(
          "cannot export documents " + Quote(file_doc) + " and " + Quote(folder_doc) + ": " +
          Quote(mine) + " would be the file of " + Quote(file_doc) + " and a folder of " +
          Quote(folder_doc) + "; nothing was written");
    }
  }
  return Status::Ok();
} catch (...) {
  return CaughtStatus("CheckExportIds");
}

Result<ExportResult> ExportSnapshot(Snapshot& snapshot, const std::string& dir,
                                    const ExportOptions& options) try {
  ExportResult result;
  result.version = snapshot.version_id();
  // Every check before the first write.
  STRATA_ASSIGN_OR_RETURN(std::vector<std::string> ids, snapshot.Ids());
  STRATA_RETURN_IF_ERROR(CheckExportIds(ids));
  STRATA_ASSIGN_OR_RETURN(FileDescriptor root, OpenRoot(dir, &result.folders));
  STRATA_RETURN_IF_ERROR(CheckFolderContents(root.get(), dir, ids));

  FolderStack folders(std::move(root), dir);
  FileWriter writer;
  std::size_t next = 0;
  const FormatOptions pretty{2, false};
  auto visit = [&](const std::string& id, const Snapshot::DocumentText& write) -> Status {
    // The same snapshot lists the same ids; anything else is a bug.
    if (next >= ids.size() || ids[next] != id) {
      return Status::Corruption("document " + Quote(id) + " was not listed in the state");
    }
    ++next;
    // The text and its final line break, a piece at a time.
    const Snapshot::DocumentText with_newline = [&](const TextSink& sink) -> Status {
      STRATA_RETURN_IF_ERROR(write(sink));
      return sink("\n");
    };
    const std::string path = ExportPath(id);
    const std::vector<std::string_view> segments = SplitPath(path);
    STRATA_ASSIGN_OR_RETURN(int folder, folders.Enter(id, segments, &result.folders));
    const std::string name(segments.back());
    const std::string display = folders.Display(name);
    std::size_t size = 0;
    STRATA_ASSIGN_OR_RETURN(bool written,
                            writer.WriteStreamed(folder, name, with_newline, &size, id, display));
    ++(written ? result.written : result.unchanged);
    ++result.documents;
    result.bytes += size;
    if (options.progress && result.documents % ExportOptions::kProgressEvery == 0) {
      options.progress(result.documents, ids.size());
    }
    return Status::Ok();
  };
  Status status = snapshot.ForEachDocumentText(pretty, visit);
  if (!status.ok()) {
    if (result.written == 0) return status;
    return status.WithContext("export stopped after writing " + std::to_string(result.written) +
                              " of " + std::to_string(ids.size()) + " documents");
  }
  if (next != ids.size()) {
    return Status::Corruption("the state listed " + std::to_string(ids.size()) +
                              " documents but gave " + std::to_string(next));
  }
  if (options.progress) options.progress(result.documents, ids.size());
  return result;
} catch (...) {
  return CaughtStatus("ExportSnapshot");
}

Result<FileUpdateResult> WriteDocumentFiles(const std::string& dir,
                                            std::vector<FileUpdate> updates) try {
  FileUpdateResult result;
  std::sort(updates.begin(), updates.end(),
            [](const FileUpdate& a, const FileUpdate& b) { return a.id < b.id; });
  std::vector<std::string> written_ids, all_ids;
  for (const FileUpdate& u : updates) {
    STRATA_RETURN_IF_ERROR(ValidateDocumentId(u.id));
    if (u.value) written_ids.push_back(u.id);
    all_ids.push_back(u.id);
  }
  STRATA_RETURN_IF_ERROR(CheckExportIds(written_ids));
  STRATA_ASSIGN_OR_RETURN(FileDescriptor root, OpenRoot(dir, &result.folders));
  STRATA_RETURN_IF_ERROR(CheckFolderContents(root.get(), dir, all_ids));
  FolderStack folders(std::move(root), dir);
  FileWriter writer;
  const FormatOptions pretty{2, false};
  for (const FileUpdate& u : updates) {
    const std::string path = ExportPath(u.id);
    const std::vector<std::string_view> segments = SplitPath(path);
    const std::string name(segments.back());
    if (!u.value) {
      // Only an existing folder on the way is entered: a removal makes none.
      bool present = true;
      for (std::size_t slash = path.find('/'); slash != std::string::npos;
           slash = path.find('/', slash + 1)) {
        struct stat st {};
        if (::fstatat(folders.RootFd(), path.substr(0, slash).c_str(), &st, AT_SYMLINK_NOFOLLOW) !=
                0 ||
            !S_ISDIR(st.st_mode)) {
          present = false;
          break;
        }
      }
      if (!present) continue;
      STRATA_ASSIGN_OR_RETURN(int folder, folders.Enter(u.id, segments, &result.folders));
      struct stat st {};
      if (::fstatat(folder, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
        if (errno == ENOENT) continue;
        return Status::IOError("cannot look at " + folders.Display(name) + ": " +
                               std::strerror(errno));
      }
      if (!S_ISREG(st.st_mode)) {
        return Status::InvalidArgument("cannot remove document " + Quote(u.id) +
                                       "'s file: " + folders.Display(name) + " is " + KindOf(st));
      }
      if (::unlinkat(folder, name.c_str(), 0) != 0 && errno != ENOENT) {
        return Status::IOError("cannot remove " + folders.Display(name) + ": " +
                               std::strerror(errno));
      }
      ++result.removed;
      continue;
    }
    std::string text = FormatJson(*u.value, pretty);
    text.push_back('\n');
    STRATA_ASSIGN_OR_RETURN(int folder, folders.Enter(u.id, segments, &result.folders));
    STRATA_ASSIGN_OR_RETURN(bool written,
                            writer.Write(folder, name, text, u.id, folders.Display(name)));
    ++(written ? result.written : result.unchanged);
  }
  return result;
} catch (...) {
  return CaughtStatus("WriteDocumentFiles");
}

}  // namespace strata
