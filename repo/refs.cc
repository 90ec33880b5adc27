#include "repo/refs.h"

#include <sys/stat.h>

#include "strata/version.h"

namespace strata {
namespace {

constexpr std::string_view kHeadsPrefix = "refs/heads/";

}  // namespace

RevisionRange ParseRevisionRange(const std::string& text) {
  RevisionRange range;
  std::size_t dots = text.find("..");
  // As in git, ".." anywhere makes a range (no ref name may hold one).
  if (dots == std::string::npos) {
    range.from = text;
    return range;
  }
  std::size_t width = 2;
  if (text.compare(dots, 3, "...") == 0) {
    width = 3;
    range.kind = RevisionRange::Kind::kThreeDot;
  } else {
    range.kind = RevisionRange::Kind::kTwoDot;
  }
  range.from = text.substr(0, dots);
  range.to = text.substr(dots + width);
  if (range.from.empty()) range.from = "HEAD";
  if (range.to.empty()) range.to = "HEAD";
  return range;
}

std::optional<std::string> ReflogHorizonWarning(git_repository* repo, const std::string& rev) {
  const std::size_t open = rev.find("@{");
  if (open == std::string::npos) return std::nullopt;
  const std::size_t close = rev.find('}', open);
  if (close == std::string::npos) return std::nullopt;
  const std::string date = rev.substr(open + 2, close - open - 2);
  const std::size_t digits_from = !date.empty() && date[0] == '-' ? 1 : 0;
  if (date.size() == digits_from ||
      date.find_first_not_of("0123456789", digits_from) == std::string::npos) {
    return std::nullopt;  // @{2}, @{-1}: an index, not a date
  }
  Result<std::int64_t> when = ParseTime(date);
  if (!when.ok()) return std::nullopt;
  // "@{DATE}" alone reads the current branch's reflog.
  std::string name = rev.substr(0, open);
  git_reference* raw = nullptr;
  int rc =
      name.empty() ? git_repository_head(&raw, repo) : git_reference_dwim(&raw, repo, name.c_str());
  ReferencePtr ref(raw);
  if (rc < 0) {
    git_error_clear();
    return std::nullopt;
  }
  git_reflog* log_raw = nullptr;
  if (git_reflog_read(&log_raw, repo, git_reference_name(raw)) < 0) {
    git_error_clear();
    return std::nullopt;
  }
  ReflogPtr log(log_raw);
  const std::size_t count = git_reflog_entrycount(log_raw);
  if (count == 0) return std::nullopt;
  // Entry 0 is the newest.
  const git_reflog_entry* oldest = git_reflog_entry_byindex(log_raw, count - 1);
  const std::int64_t since = git_reflog_entry_committer(oldest)->when.time;
  if (*when >= since) return std::nullopt;
  return "log for '" + (name.empty() ? CurrentBranch(repo) : name) + "' only goes back to " +
         FormatDisplayTime(since);
}

std::string CurrentBranch(git_repository* repo) {
  git_reference* raw = nullptr;
  if (git_reference_lookup(&raw, repo, "HEAD") < 0) return "main";
  ReferencePtr head(raw);
  const char* target = git_reference_symbolic_target(raw);
  if (!target) return "HEAD";
  std::string name = target;
  return name.rfind(kHeadsPrefix, 0) == 0 ? name.substr(kHeadsPrefix.size()) : name;
}

bool NamesCurrentBranch(git_repository* repo, const std::string& rev) {
  return rev == "HEAD" || rev == CurrentBranch(repo);
}

namespace {

// When the ref `rev` starts with (before any ~ ^ @ :) exists but names an
// object that is not in the repository: Corruption saying so. Else Ok.
Status CheckRefTarget(git_repository* repo, const std::string& rev) {
  const std::string name = rev.substr(0, rev.find_first_of("~^@:"));
  if (name.empty()) return Status::Ok();
  git_reference* raw = nullptr;
  if (git_reference_dwim(&raw, repo, name.c_str()) < 0) {
    git_error_clear();
    return Status::Ok();
  }
  ReferencePtr ref(raw);
  git_reference* resolved_raw = nullptr;
  if (git_reference_resolve(&resolved_raw, raw) < 0) {
    git_error_clear();
    return Status::Ok();
  }
  ReferencePtr resolved(resolved_raw);
  const git_oid* target = git_reference_target(resolved_raw);
  git_odb* odb_raw = nullptr;
  if (!target || git_repository_odb(&odb_raw, repo) < 0) {
    git_error_clear();
    return Status::Ok();
  }
  OdbPtr odb(odb_raw);
  if (git_odb_exists(odb_raw, target) == 1) return Status::Ok();
  git_error_clear();
  return Status::Corruption("revision '" + rev + "': " + git_reference_name(resolved_raw) +
                            " points at " + FromGit(*target).Hex() +
                            ", which is not in the repository (see 'strata verify')");
}

// When `rev` reads a ref's reflog by index (main@{N}, @{N}, HEAD@{N}) and
// the reflog is missing or too short: NotFound saying so, naming the file
// and what to use instead. Else Ok (the revision is unknown for another
// reason).
Status CheckReflogIndex(git_repository* repo, const std::string& rev) {
  const std::size_t open = rev.find("@{");
  if (open == std::string::npos) return Status::Ok();
  const std::size_t close = rev.find('}', open);
  if (close == std::string::npos || close == open + 2) return Status::Ok();
  const std::string index = rev.substr(open + 2, close - open - 2);
  if (index.find_first_not_of("0123456789") != std::string::npos || index.size() > 9) {
    return Status::Ok();  // a date, @{-N}, @{upstream}
  }
  const std::size_t n = std::stoul(index);
  const std::string name = rev.substr(0, open);
  git_reference* raw = nullptr;
  int rc = 0;
  if (name.empty()) {
    // As in git, @{N} alone reads the current branch's reflog.
    rc = git_reference_lookup(&raw, repo, "HEAD");
    if (rc == 0 && git_reference_type(raw) == GIT_REFERENCE_SYMBOLIC) {
      const std::string target = git_reference_symbolic_target(raw);
      git_reference_free(raw);
      raw = nullptr;
      rc = git_reference_lookup(&raw, repo, target.c_str());
    }
  } else if (name == "HEAD") {
    rc = git_reference_lookup(&raw, repo, "HEAD");  // HEAD@{N} reads HEAD's own reflog
  } else {
    rc = git_reference_dwim(&raw, repo, name.c_str());
  }
  ReferencePtr ref(raw);
  if (rc < 0) {
    git_error_clear();
    return Status::Ok();  // no such ref (or an unborn branch): said elsewhere
  }
  const std::string ref_name = git_reference_name(raw);
  const std::string shown = ref_name.rfind(kHeadsPrefix, 0) == 0
                                ? "branch " + ref_name.substr(kHeadsPrefix.size())
                                : ref_name;
  const std::string file = std::string(git_repository_path(repo)) + "logs/" + ref_name;
  const std::string instead = "name the version by its id instead ('strata log" +
                              (name.empty() ? std::string() : " " + name) + "' lists them)";
  // (libgit2 may leave an empty file where a removed reflog was.)
  struct stat st;
  const bool exists = ::stat(file.c_str(), &st) == 0;
  if (!exists || st.st_size == 0) {
    return Status::NotFound("revision '" + rev + "': " + shown + " has no reflog (" + file +
                            " is missing or empty" +
                            "), and @{N} counts its earlier positions in it; " + instead);
  }
  git_reflog* log_raw = nullptr;
  if (git_reflog_read(&log_raw, repo, ref_name.c_str()) < 0) {
    const git_error* e = git_error_last();
    const std::string why = e ? e->message : "unreadable";
    git_error_clear();
    return Status::NotFound("revision '" + rev + "': cannot read the reflog of " + shown + " (" +
                            file + "): " + why + "; " + instead);
  }
  ReflogPtr log(log_raw);
  const std::size_t count = git_reflog_entrycount(log_raw);
  if (n < count) return Status::Ok();
  std::string range;
  if (count > 0) {
    range = ", so " + name + "@{0} to " + name + "@{" + std::to_string(count - 1) +
            "} name its positions";
  }
  return Status::NotFound("revision '" + rev + "': the reflog of " + shown + " (" + file +
                          ") has " + std::to_string(count) + (count == 1 ? " entry" : " entries") +
                          range + "; for an older version, " + instead);
}

}  // namespace

Result<CommitPtr> LookupCommit(git_repository* repo, const std::string& rev) {
  git_object* raw = nullptr;
  int rc = git_revparse_single(&raw, repo, rev.c_str());
  if (rc == GIT_ENOTFOUND) {
    git_error_clear();
    if (NamesCurrentBranch(repo, rev) && git_repository_head_unborn(repo) == 1) {
      return Status::NotFound("branch '" + CurrentBranch(repo) + "' has no versions yet");
    }
    STRATA_RETURN_IF_ERROR(CheckRefTarget(repo, rev));
    STRATA_RETURN_IF_ERROR(CheckReflogIndex(repo, rev));
    return Status::NotFound("unknown revision '" + rev + "'");
  }
  if (rc == GIT_EAMBIGUOUS) return Status::InvalidArgument("ambiguous revision '" + rev + "'");
  if (rc < 0) return GitError(rc, "cannot resolve revision '" + rev + "'");
  ObjectPtr obj(raw);
  git_object* peeled = nullptr;
  rc = git_object_peel(&peeled, raw, GIT_OBJECT_COMMIT);
  if (rc < 0) {
    git_error_clear();
    return Status::InvalidArgument("revision '" + rev + "' does not name a version");
  }
  return CommitPtr(reinterpret_cast<git_commit*>(peeled));
}

Result<WriteTarget> ResolveWriteTarget(git_repository* repo,
                                       const std::optional<std::string>& branch) {
  if (branch) {
    int valid = 0;
    if (git_branch_name_is_valid(&valid, branch->c_str()) < 0 || !valid) {
      git_error_clear();
      return Status::InvalidArgument("invalid branch name '" + *branch + "'");
    }
    return WriteTarget{std::string(kHeadsPrefix) + *branch, *branch};
  }
  git_reference* raw = nullptr;
  int rc = git_reference_lookup(&raw, repo, "HEAD");
  if (rc < 0) return GitError(rc, "cannot read HEAD").WithContext("the repository is damaged");
  ReferencePtr head(raw);
  if (git_reference_type(raw) == GIT_REFERENCE_DIRECT) return WriteTarget{"HEAD", "detached HEAD"};
  std::string target = git_reference_symbolic_target(raw);
  if (target.rfind(kHeadsPrefix, 0) != 0) {
    return Status::InvalidArgument("HEAD points at " + target +
                                   ", not a branch; name a branch to write to");
  }
  return WriteTarget{target, target.substr(kHeadsPrefix.size())};
}

Result<std::optional<ObjectId>> ReadRef(git_repository* repo, const std::string& ref) {
  git_oid oid;
  int rc = git_reference_name_to_id(&oid, repo, ref.c_str());
  if (rc == GIT_ENOTFOUND) {
    git_error_clear();
    return std::optional<ObjectId>();
  }
  if (rc < 0) return GitError(rc, "cannot read " + ref);
  return std::optional<ObjectId>(FromGit(oid));
}

}  // namespace strata
