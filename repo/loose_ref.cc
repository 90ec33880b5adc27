#include "repo/loose_ref.h"

#include <fcntl.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <optional>
#include <string_view>

#include "objects/file_io.h"
#include "objects/spare_files.h"
#include "repo/transaction.h"

namespace strata {
namespace {

// A ref file longer than this is not a ref.
constexpr std::size_t kMaxRefFile = 4096;

// core.logAllRefUpdates as libgit2 reads it: "always", a boolean, or unset
// (then: on unless the repository is bare).
enum class LogAll { kOff, kOn, kAlways };

LogAll ReadLogAll(git_repository* repo, git_config* config) {
  git_buf value = GIT_BUF_INIT;
  if (config == nullptr || git_config_get_string_buf(&value, config, "core.logAllRefUpdates") < 0) {
    git_error_clear();
    return git_repository_is_bare(repo) ? LogAll::kOff : LogAll::kOn;
  }
  const std::string text(value.ptr, value.size);
  git_buf_dispose(&value);
  if (strcasecmp(text.c_str(), "always") == 0) return LogAll::kAlways;
  int on = 0;
  if (git_config_parse_bool(&on, text.c_str()) < 0) {
    git_error_clear();
    return LogAll::kOff;
  }
  return on ? LogAll::kOn : LogAll::kOff;
}

bool StartsWith(const std::string& s, const char* prefix) { return s.rfind(prefix, 0) == 0; }

// libgit2's should_write_reflog (refdb_fs.c).
bool ShouldWriteReflog(LogAll logall, const std::string& git_dir, const std::string& ref) {
  if (logall == LogAll::kOff) return false;
  struct stat st {};
  if (::stat((git_dir + "logs/" + ref).c_str(), &st) == 0) return true;
  if (logall == LogAll::kAlways) return true;
  return ref == "HEAD" || StartsWith(ref, "refs/heads/") || StartsWith(ref, "refs/remotes/") ||
         StartsWith(ref, "refs/notes/");
}

// Appends `line` to GITDIR/logs/REF, creating it and its folders, without
// fsync (as git does: core.fsync=committed does not cover reflogs).
Status AppendReflog(const std::string& git_dir, const std::string& ref, const std::string& line) {
  const std::string path = git_dir + "logs/" + ref;
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(path).parent_path(), ec);
  if (ec) return Status::IOError("cannot create the folder of " + path + ": " + ec.message());
  Fd file(::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0666));
  if (file.fd < 0) return Status::IOError("cannot open " + path + ": " + Errno());
  STRATA_RETURN_IF_ERROR(WriteAll(file.fd, line, path));
  if (!file.Close()) return Status::IOError("cannot append to " + path + ": " + Errno());
  return Status::Ok();
}

Status SyncFolder(const std::string& dir) {
  Fd d(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (d.fd < 0) return Status::IOError("cannot open " + dir + ": " + Errno());
  // Worded as libgit2 words it (MovedAnyway's callers match it).
  if (::fsync(d.fd) != 0) {
    return Status::IOError("failed to fsync directory '" + dir + "': " + Errno());
  }
  return Status::Ok();
}

}  // namespace

std::string ReflogLine(const ObjectId& old_id, const ObjectId& new_id, const git_signature& who,
                       const std::string& message) {
  int offset = who.when.offset;
  const char sign = (offset < 0 || who.when.sign == '-') ? '-' : '+';
  if (offset < 0) offset = -offset;
  char when[64];
  std::snprintf(when, sizeof when, " %u %c%02d%02d", static_cast<unsigned>(who.when.time), sign,
                offset / 60, offset % 60);
  std::string line = old_id.Hex() + " " + new_id.Hex() + " " + who.name + " <" + who.email + ">" +
                     when + "\t" + message;
  for (char& c : line) {
    if (c == '\n') c = ' ';
  }
  while (!line.empty() && std::isspace(static_cast<unsigned char>(line.back()))) line.pop_back();
  line += '\n';
  return line;
}

Result<LooseRefOutcome> SetLooseRef(git_repository* repo, const std::string& ref,
                                    const ObjectId& expected, const ObjectId& target,
                                    const std::string& message, const DurableMove& durable,
                                    git_config* config) {
  const std::string git_dir = git_repository_path(repo);  // ends in '/'
  // A linked worktree keeps its refs in the common folder: leave it to libgit2.
  if (!StartsWith(ref, "refs/") || git_dir != git_repository_commondir(repo)) {
    return LooseRefOutcome::kNotApplicable;
  }
  const std::string path = git_dir + ref;
  const std::string lock_path = path + ".lock";
  // Not a plain loose ref (packed only, or a missing folder): libgit2.
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) {
    return LooseRefOutcome::kNotApplicable;
  }

  // The lock file is a spare renamed into place when there is one
  // (objects/spare_files.h): as exclusive as O_EXCL, and faster.
  const std::string spare_dir = git_dir + "spare";
  Fd lock(ClaimSpareFile(spare_dir, lock_path));
  const bool spare = lock.fd >= 0;
  if (!spare && errno == EEXIST) return LooseRefOutcome::kLocked;
  if (!spare) lock.fd = ::open(lock_path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
  if (lock.fd < 0) {
    if (errno == EEXIST) return LooseRefOutcome::kLocked;
    return Status::IOError("cannot move " + ref + ": cannot create " + lock_path + ": " + Errno());
  }
  // Removes the lock file on every way out but the rename.
  struct Unlock {
    const std::string& path;
    bool armed = true;
    ~Unlock() {
      if (armed) ::unlink(path.c_str());
    }
  } unlock{lock_path};

  // The current value, read under the lock: a loose "HEX\n".
  std::optional<std::string> now = ReadFile(path, kMaxRefFile);
  if (!now) {
    if (errno == ENOENT) return LooseRefOutcome::kNotApplicable;  // deleted or packed meanwhile
    return Status::IOError("cannot move " + ref + ": cannot read " + path + ": " + Errno());
  }
  std::string_view text(*now);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) {
    text.remove_suffix(1);
  }
  std::optional<ObjectId> id = ObjectId::FromHex(text);
  if (!id) return LooseRefOutcome::kNotApplicable;  // symbolic, or not a ref libgit2 would write
  if (!(*id == expected)) return LooseRefOutcome::kRefMoved;

  const std::string content = target.Hex() + "\n";
  STRATA_RETURN_IF_ERROR(WriteAll(lock.fd, content, lock_path));
  bool journaled = false;
  if (durable) {
    // REF as it is under the lock (git writers respect the lock), and the
    // file that replaces it.
    struct stat ref_st {
    }, lock_st{};
    if (::stat(path.c_str(), &ref_st) != 0 || ::fstat(lock.fd, &lock_st) != 0) {
      return Status::IOError("cannot move " + ref + ": cannot stat " + path + ": " + Errno());
    }
    STRATA_ASSIGN_OR_RETURN(journaled, durable(static_cast<std::uint64_t>(ref_st.st_ino),
                                               static_cast<std::uint64_t>(lock_st.st_ino)));
  }
  if (!journaled && ::fsync(lock.fd) != 0) {
    return Status::IOError("cannot move " + ref + ": cannot fsync " + lock_path + ": " + Errno());
  }
  if (!lock.Close()) {
    return Status::IOError("cannot move " + ref + ": cannot close " + lock_path + ": " + Errno());
  }

  ConfigSnapshot own;
  if (config == nullptr) {
    own = SnapshotConfig(repo);
    config = own.get();
  }
  const LogAll logall = ReadLogAll(repo, config);
  if (ShouldWriteReflog(logall, git_dir, ref)) {
    git_signature* raw = nullptr;
    if (SignatureFromConfig(&raw, config) < 0) {
      if (git_signature_now(&raw, "unknown", "unknown") < 0) {
        return GitError(-1, "cannot move " + ref + ": cannot make the reflog's signature");
      }
    }
    SignaturePtr who(raw);
    const std::string line = ReflogLine(expected, target, *who, message);
    Status logged = AppendReflog(git_dir, ref, line);
    if (!logged.ok()) return Status::IOError("cannot move " + ref + ": " + logged.message());
    // HEAD's reflog too when HEAD names this ref (libgit2's maybe_append_head).
    std::optional<std::string> head = ReadFile(git_dir + "HEAD", kMaxRefFile);
    while (head && !head->empty() && std::isspace(static_cast<unsigned char>(head->back()))) {
      head->pop_back();
    }
    if (head && *head == "ref: " + ref) {
      logged = AppendReflog(git_dir, "HEAD", line);
      if (!logged.ok()) return Status::IOError("cannot move " + ref + ": " + logged.message());
    }
  }

  // The file the rename replaces stays linked until the next gc, as many
  // as spares were claimed (objects/spare_files.h).
  if (spare) RetireFile(spare_dir, path);
  if (::rename(lock_path.c_str(), path.c_str()) != 0) {
    return Status::IOError("cannot move " + ref + ": cannot rename " + lock_path + " to " + path +
                           ": " + Errno());
  }
  unlock.armed = false;
  if (journaled) return LooseRefOutcome::kMoved;
  Status synced = SyncFolder(std::filesystem::path(path).parent_path().string());
  if (!synced.ok()) {
    return Status::IOError(ref + " moved to " + target.Hex().substr(0, 12) + ", but " +
                           synced.message() + ": the move may not survive a crash");
  }
  return LooseRefOutcome::kMoved;
}

}  // namespace strata
