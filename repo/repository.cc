// The repository facade: opening, and reads resolved to a Snapshot. Writes
// are in write.cc, history in history.cc, verify in verify.cc.
#include "strata/repository.h"

#include <filesystem>

#include "objects/guard.h"
#include "repo/labels.h"
#include "repo/refs.h"
#include "repo/repository_impl.h"
#include "repo/version_tree.h"
#include "repo/views.h"
#include "strata/worktree.h"

namespace strata {

static_assert(ObjectStore::kNewestFormat == kFormatVersion,
              "a new store writes the format new repositories record");

namespace {

namespace fs = std::filesystem;

}  // namespace

Result<int> ReadFormatVersion(git_repository* repo) {
  git_config* raw = nullptr;
  STRATA_GIT(git_repository_config_snapshot(&raw, repo), "cannot read the repository config");
  ConfigPtr cfg(raw);
  return ReadFormatVersion(raw);
}

Result<int> ReadFormatVersion(git_config* config) {
  std::int32_t value = 1;  // unset: a repository from before the key
  int rc = git_config_get_int32(&value, config, "strata.formatVersion");
  if (rc == GIT_ENOTFOUND) {
    git_error_clear();
    return 1;
  }
  if (rc < 0) return GitError(rc, "cannot read strata.formatVersion from the repository config");
  return static_cast<int>(value);
}

Repository::Impl::Impl(std::string path, RepositoryPtr repo, std::unique_ptr<ObjectStore> store)
    : path_(std::move(path)), repo_(std::move(repo)), store_(std::move(store)) {}

Repository::Impl::~Impl() = default;

Repository::Repository(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {
  impl_->self = this;
  InstallEventHooks();
}

Repository::~Repository() = default;

Result<std::unique_ptr<Repository>> Repository::Init(const std::string& dir) try {
  EnsureLibgit2();
  fs::path git_dir = fs::path(dir) / ".strata";
  std::error_code ec;
  if (fs::exists(git_dir, ec)) {
    return Status::Conflict("a strata repository already exists in " + git_dir.string());
  }
  git_repository_init_options opts = GIT_REPOSITORY_INIT_OPTIONS_INIT;
  opts.flags =
      GIT_REPOSITORY_INIT_BARE | GIT_REPOSITORY_INIT_MKPATH | GIT_REPOSITORY_INIT_NO_REINIT;
  opts.initial_head = "main";
  opts.description = "strata: versioned JSON documents";
  git_repository* raw = nullptr;
  STRATA_GIT(git_repository_init_ext(&raw, git_dir.c_str(), &opts),
             "cannot create a repository in " + git_dir.string());
  RepositoryPtr repo(raw);
  git_config* cfg_raw = nullptr;
  STRATA_GIT(git_repository_config(&cfg_raw, repo.get()), "cannot open the repository config");
  ConfigPtr cfg(cfg_raw);
  // Reflogs make main@{2026-11-01} work; bare repositories have them off by default.
  STRATA_GIT(git_config_set_bool(cfg.get(), "core.logAllRefUpdates", 1), "cannot write config");
  STRATA_GIT(git_config_set_int32(cfg.get(), "strata.formatVersion", kFormatVersion),
             "cannot write config");
  repo.reset();
  return OpenGitDir(git_dir.string());
} catch (...) {
  return CaughtStatus("Repository::Init");
}

Result<std::unique_ptr<Repository>> Repository::OpenGitDir(const std::string& git_dir) {
  EnsureLibgit2();
  git_repository* raw = nullptr;
  int rc = git_repository_open_ext(
      &raw, git_dir.c_str(), GIT_REPOSITORY_OPEN_NO_SEARCH | GIT_REPOSITORY_OPEN_BARE, nullptr);
  if (rc < 0) return GitError(rc, "cannot open repository " + git_dir);
  RepositoryPtr repo(raw);
  // One snapshot for what the open reads.
  ConfigSnapshot config = SnapshotConfig(repo.get());
  if (!config) {  // again, for libgit2's reason
    git_config* cfg_raw = nullptr;
    STRATA_GIT(git_repository_config_snapshot(&cfg_raw, repo.get()),
               "cannot read the repository config");
    config = ConfigSnapshot(cfg_raw, git_config_free);
  }
  STRATA_ASSIGN_OR_RETURN(int format, ReadFormatVersion(config.get()));
  if (format > kFormatVersion) {
    return Status::InvalidArgument("repository " + git_dir + " has format version " +
                                   std::to_string(format) + "; this strata reads versions 1 to " +
                                   std::to_string(kFormatVersion) + ": use a newer strata");
  }
  if (format < 1) {
    return Status::Corruption("repository " + git_dir + " has format version " +
                              std::to_string(format) + " (strata.formatVersion), which is not one");
  }
  // Before anything reads a ref or a pack: versions the journal holds that
  // a restart may have taken from them are put back (repo/journal.h).
  STRATA_ASSIGN_OR_RETURN(bool this_boot, Journal::RecoverAtOpen(git_repository_path(repo.get()),
                                                                 LockTimeout(config.get())));
  STRATA_ASSIGN_OR_RETURN(std::unique_ptr<ObjectStore> store,
                          ObjectStore::Open(repo.get(), /*repair_indexes=*/!this_boot));
  store->set_format(format);
  std::string path = git_repository_path(repo.get());
  if (path.size() > 1 && path.back() == '/') path.pop_back();
  return std::unique_ptr<Repository>(
      new Repository(std::make_unique<Impl>(path, std::move(repo), std::move(store))));
}

Result<std::unique_ptr<Repository>> Repository::Open(const std::string& path) try {
  std::error_code ec;
  fs::path p(path);
  if (fs::is_directory(p / ".strata", ec)) return OpenGitDir((p / ".strata").string());
  if (fs::exists(p / "HEAD", ec) && fs::is_directory(p / "objects", ec))
    return OpenGitDir(p.string());
  return Status::NotFound("no strata repository at " + path + " (run 'strata init')");
} catch (...) {
  return CaughtStatus("Repository::Open");
}

Result<std::unique_ptr<Repository>> Repository::Discover(const std::string& start) try {
  std::error_code ec;
  fs::path p = fs::absolute(start, ec);
  for (fs::path cur = p; !cur.empty(); cur = cur.parent_path()) {
    if (fs::is_directory(cur / ".strata", ec)) return OpenGitDir((cur / ".strata").string());
    if (fs::is_regular_file(fs::symlink_status(cur / ".strata", ec))) {
      // A working folder's record names its repository (strata/worktree.h).
      STRATA_ASSIGN_OR_RETURN(std::string git_dir, WorktreeRepositoryOf(cur.string()));
      return OpenGitDir(git_dir);
    }
    if (cur == cur.parent_path()) break;
  }
  return Status::NotFound("not in a strata repository (or any parent of " + p.string() +
                          "); run 'strata init' or pass --repo");
} catch (...) {
  return CaughtStatus("Repository::Discover");
}

const std::string& Repository::path() const { return impl_->path_; }

const Perspective* Repository::perspective() const {
  return impl_->perspective_ ? &*impl_->perspective_ : nullptr;
}

void Repository::SetEventReporter(EventReporter reporter) {
  impl_->reporter_ = std::move(reporter);
}

void Repository::SetRunHooks(bool run) { impl_->run_hooks_ = run; }

std::string Repository::CurrentBranch() const { return strata::CurrentBranch(impl_->repo_.get()); }

Result<Snapshot> Repository::Impl::SnapshotOf(const git_commit* commit, const std::string& rev) {
  STRATA_ASSIGN_OR_RETURN(VersionTrees trees, ReadTrees(commit));
  Snapshot s(self, rev);
  s.viewed_ = perspective_.has_value();
  s.version_ = DescribeCommit(commit, trees.state);
  STRATA_RETURN_IF_ERROR(SeeMessageThrough(*s.version_, commit));
  STRATA_ASSIGN_OR_RETURN(s.version_->added_labels,
                          ReadAddedLabels(repo_.get(), *git_commit_id(commit)));
  s.state_ = trees.state;
  s.meta_ = trees.meta;
  s.delta_ = trees.delta;
  return s;
}

Result<Snapshot> Repository::Read(const std::string& rev) try {
  Result<CommitPtr> commit = LookupCommit(impl_->repo_.get(), rev);
  if (!commit.ok()) {
    // The current branch before its first version reads as the empty state.
    if (commit.status().code() == Code::kNotFound && NamesCurrentBranch(impl_->repo_.get(), rev) &&
        git_repository_head_unborn(impl_->repo_.get()) == 1) {
      return Snapshot(this, CurrentBranch());
    }
    return commit.status();
  }
  STRATA_ASSIGN_OR_RETURN(Snapshot snap, impl_->SnapshotOf(commit->get(), rev));
  if (std::optional<std::string> w = ReflogHorizonWarning(impl_->repo_.get(), rev)) {
    snap.warnings_.push_back(std::move(*w));
  }
  return snap;
} catch (...) {
  return CaughtStatus("Repository::Read");
}

Result<json::value> Repository::Get(const std::string& doc, const std::string& rev,
                                    const JsonPointer& pointer) try {
  STRATA_ASSIGN_OR_RETURN(Snapshot snap, Read(rev));
  return snap.Get(doc, pointer);
} catch (...) {
  return CaughtStatus("Repository::Get");
}

Result<json::value> Repository::GetAt(const std::string& doc, const std::string& rev,
                                      std::int64_t time, const JsonPointer& pointer) try {
  STRATA_ASSIGN_OR_RETURN(Snapshot snap, ReadAt(rev, time));
  return snap.Get(doc, pointer);
} catch (...) {
  return CaughtStatus("Repository::GetAt");
}

Result<std::string> Repository::ResolveRevision(const std::string& rev) try {
  STRATA_ASSIGN_OR_RETURN(CommitPtr c, LookupCommit(impl_->repo_.get(), rev));
  return OidHex(git_commit_id(c.get()));
} catch (...) {
  return CaughtStatus("Repository::ResolveRevision");
}

Result<std::optional<std::string>> Repository::MergeBase(const std::string& a,
                                                         const std::string& b) try {
  STRATA_ASSIGN_OR_RETURN(CommitPtr ca, LookupCommit(impl_->repo_.get(), a));
  STRATA_ASSIGN_OR_RETURN(CommitPtr cb, LookupCommit(impl_->repo_.get(), b));
  git_oid base;
  int rc =
      git_merge_base(&base, impl_->repo_.get(), git_commit_id(ca.get()), git_commit_id(cb.get()));
  if (rc == GIT_ENOTFOUND) {
    git_error_clear();
    return std::optional<std::string>();
  }
  if (rc < 0) return GitError(rc, "cannot find the merge base of '" + a + "' and '" + b + "'");
  return std::optional<std::string>(OidHex(&base));
} catch (...) {
  return CaughtStatus("Repository::MergeBase");
}

Result<std::pair<Snapshot, Snapshot>> Repository::ReadDiffEnds(const std::string& from,
                                                               const std::string& to) try {
  const RevisionRange range = ParseRevisionRange(from);
  if (range.kind == RevisionRange::Kind::kSingle) {
    STRATA_ASSIGN_OR_RETURN(Snapshot a, Read(from));
    STRATA_ASSIGN_OR_RETURN(Snapshot b, Read(to.empty() ? "HEAD" : to));
    return std::make_pair(std::move(a), std::move(b));
  }
  if (!to.empty()) {
    return Status::InvalidArgument("'" + from + "' is a range already; give no second revision");
  }
  const std::string a_rev = range.from.empty() ? "HEAD" : range.from;
  const std::string b_rev = range.to.empty() ? "HEAD" : range.to;
  if (range.kind == RevisionRange::Kind::kTwoDot) {
    STRATA_ASSIGN_OR_RETURN(Snapshot a, Read(a_rev));
    STRATA_ASSIGN_OR_RETURN(Snapshot b, Read(b_rev));
    return std::make_pair(std::move(a), std::move(b));
  }
  STRATA_ASSIGN_OR_RETURN(std::optional<std::string> base, MergeBase(a_rev, b_rev));
  if (!base) {
    return Status::InvalidArgument("'" + a_rev + "' and '" + b_rev + "' share no history, so '" +
                                   from + "' has no merge base");
  }
  STRATA_ASSIGN_OR_RETURN(Snapshot a, Read(*base));
  STRATA_ASSIGN_OR_RETURN(Snapshot b, Read(b_rev));
  return std::make_pair(std::move(a), std::move(b));
} catch (...) {
  return CaughtStatus("Repository::ReadDiffEnds");
}

}  // namespace strata
