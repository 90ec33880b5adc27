// Watcher (strata/watch.h): the last tip seen, and LogEntries("OLD..NEW")
// reversed for each move. The history walk is Log's; this file only
// decides which range to ask for, and when to look again.
#include "strata/watch.h"

#include <errno.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <filesystem>

#include "objects/guard.h"
#include "repo/refs.h"

namespace strata {

namespace fs = std::filesystem;

Result<LogOptions::PathFilter> ParsePathFilter(const std::string& text) try {
  for (std::size_t i = text.find(':'); i != std::string::npos; i = text.find(':', i + 1)) {
    if (i + 1 < text.size() && text[i + 1] != '/') continue;
    if (i == 0) break;
    Result<JsonPointer> p = JsonPointer::Parse(std::string_view(text).substr(i + 1));
    if (!p.ok()) {
      return Status::InvalidArgument("bad pointer in '" + text + "': " + p.status().message());
    }
    return LogOptions::PathFilter{text.substr(0, i), *p};
  }
  return Status::InvalidArgument("a path is DOC:POINTER (config/app1:/db/host), not '" + text +
                                 "'");
} catch (...) {
  return CaughtStatus("ParsePathFilter");
}

struct Watcher::RefReader {
  RepositoryPtr repo;
};

Watcher::Watcher(Repository& repo, WatchOptions options, std::string branch)
    : repo_(repo), options_(std::move(options)), branch_(std::move(branch)) {}

Watcher::~Watcher() {
  if (inotify_fd_ >= 0) close(inotify_fd_);
  if (wake_fd_ >= 0) close(wake_fd_);
}

Result<std::unique_ptr<Watcher>> Watcher::Make(Repository& repo, WatchOptions options) try {
  EnsureLibgit2();
  std::string branch = options.branch ? *options.branch : repo.CurrentBranch();
  if (!options.branch && branch == "HEAD") {
    return Status::InvalidArgument("HEAD is detached: name the branch to watch (--branch)");
  }
  int valid = 0;
  STRATA_GIT(git_branch_name_is_valid(&valid, branch.c_str()), "cannot check a branch name");
  if (!valid) return Status::InvalidArgument("invalid branch name '" + branch + "'");

  std::unique_ptr<Watcher> w(new Watcher(repo, std::move(options), branch));
  git_repository* raw = nullptr;
  int rc = git_repository_open_ext(
      &raw, repo.path().c_str(), GIT_REPOSITORY_OPEN_NO_SEARCH | GIT_REPOSITORY_OPEN_BARE, nullptr);
  if (rc < 0) return GitError(rc, "cannot open repository " + repo.path());
  w->refs_ = std::make_unique<RefReader>();
  w->refs_->repo.reset(raw);

  if (w->options_.since) {
    STRATA_ASSIGN_OR_RETURN(w->last_, repo.ResolveRevision(*w->options_.since));
  } else {
    STRATA_ASSIGN_OR_RETURN(std::optional<ObjectId> tip,
                            ReadRef(w->refs_->repo.get(), "refs/heads/" + branch));
    if (tip) w->last_ = tip->Hex();
  }

  w->wake_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (w->wake_fd_ < 0) return Status::IOError("cannot make an eventfd for watch");
  // Without inotify (a limit reached, a kernel without it) Wait only
  // sleeps, and the caller's short timeout does the work.
  w->inotify_fd_ = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (w->inotify_fd_ >= 0) STRATA_RETURN_IF_ERROR(w->Arm());
  return w;
} catch (...) {
  return CaughtStatus("Watcher::Make");
}

Status Watcher::Arm() {
  // HEAD and packed-refs sit in the repository folder; the branch's loose
  // ref in refs/heads/ and the folders its name makes (a/b/c: refs/heads/a,
  // refs/heads/a/b). A folder made later is armed at the next Wait.
  std::vector<fs::path> dirs = {fs::path(repo_.path()), fs::path(repo_.path()) / "refs",
                                fs::path(repo_.path()) / "refs" / "heads"};
  fs::path dir = dirs.back();
  for (std::size_t start = 0, slash; (slash = branch_.find('/', start)) != std::string::npos;
       start = slash + 1) {
    dir /= branch_.substr(start, slash - start);
    dirs.push_back(dir);
  }
  const uint32_t mask = IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE | IN_DELETE | IN_DELETE_SELF;
  for (const fs::path& d : dirs) {
    // Adding a watch already there returns the same one; a folder that is
    // not there (yet) is skipped.
    if (inotify_add_watch(inotify_fd_, d.c_str(), mask) < 0 && errno != ENOENT &&
        errno != ENOTDIR) {
      if (errno == ENOSPC || errno == ENOMEM) return Status::Ok();  // the poll still works
      return Status::IOError("cannot watch " + d.string() + ": " + std::strerror(errno));
    }
  }
  return Status::Ok();
}

Result<std::vector<LogEntry>> Watcher::Poll() try {
  STRATA_ASSIGN_OR_RETURN(std::optional<ObjectId> tip_id,
                          ReadRef(refs_->repo.get(), "refs/heads/" + branch_));
  if (!tip_id) return std::vector<LogEntry>();  // not there (yet, or any more)
  const std::string tip = tip_id->Hex();
  if (last_ && *last_ == tip) return std::vector<LogEntry>();

  LogOptions log;
  log.docs = options_.docs;
  log.paths = options_.paths;
  log.reverse = true;
  // Under a perspective, a version whose view did not change is left out,
  // which takes its (view's) changes to know.
  const bool viewed = repo_.perspective() != nullptr;
  log.changes = options_.changes || viewed;
  STRATA_ASSIGN_OR_RETURN(std::vector<LogEntry> entries,
                          repo_.LogEntries(last_ ? *last_ + ".." + tip : tip, log));
  if (viewed) {
    std::vector<LogEntry> seen;
    for (LogEntry& e : entries) {
      if (e.changes.empty()) continue;
      if (!options_.changes) e.changes.clear();
      seen.push_back(std::move(e));
    }
    entries = std::move(seen);
  }
  last_ = tip;
  return entries;
} catch (...) {
  return CaughtStatus("Watcher::Poll");
}

Status Watcher::Wait(std::chrono::milliseconds timeout) try {
  if (inotify_fd_ >= 0) STRATA_RETURN_IF_ERROR(Arm());
  pollfd fds[2] = {{wake_fd_, POLLIN, 0}, {inotify_fd_, POLLIN, 0}};
  int n = inotify_fd_ >= 0 ? 2 : 1;
  int ms = static_cast<int>(std::max<std::chrono::milliseconds::rep>(0, timeout.count()));
  int rc = poll(fds, n, ms);
  if (rc < 0 && errno != EINTR) {
    return Status::IOError(std::string("cannot wait for the branch to move: ") +
                           std::strerror(errno));
  }
  // Drain what woke us: the events only say "look again".
  char buf[4096];
  if (inotify_fd_ >= 0) {
    while (read(inotify_fd_, buf, sizeof buf) > 0) {
    }
  }
  std::uint64_t count;
  while (read(wake_fd_, &count, sizeof count) > 0) {
  }
  return Status::Ok();
} catch (...) {
  return CaughtStatus("Watcher::Wait");
}

void Watcher::Wake() {
  std::uint64_t one = 1;
  // A full counter already wakes the next Wait; nothing else can fail here.
  ssize_t ignored = write(wake_fd_, &one, sizeof one);
  (void)ignored;
}

}  // namespace strata
