// Labels added later (repo/labels.h): git notes on refs/notes/strata-labels,
// written as notes commits (git_note_commit_create / _remove) and moved
// through a RefTransaction, so two labellers never lose each other's label.
#include "repo/labels.h"

#include <algorithm>
#include <ctime>

#include "objects/guard.h"
#include "repo/refs.h"
#include "repo/repository_impl.h"
#include "repo/version_tree.h"
#include "strata/repository.h"

namespace strata {
namespace {

using NotePtr = GitPtr<git_note, git_note_free>;
using NoteIteratorPtr = GitPtr<git_note_iterator, git_note_iterator_free>;

constexpr int kMaxAttempts = 5;

bool Contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

// The notes commit refs/notes/strata-labels names, or null.
Result<CommitPtr> NotesCommit(git_repository* repo, const std::optional<ObjectId>& id) {
  if (!id) return CommitPtr();
  git_commit* raw = nullptr;
  STRATA_GIT(git_commit_lookup(&raw, repo, AsGit(*id)),
             std::string("cannot read ") + kLabelsNotesRef);
  return CommitPtr(raw);
}

Result<std::vector<std::string>> LabelsIn(git_repository* repo, git_commit* notes,
                                          const git_oid& commit) {
  if (!notes) return std::vector<std::string>();
  git_note* raw = nullptr;
  int rc = git_note_commit_read(&raw, repo, notes, &commit);
  if (rc == GIT_ENOTFOUND) {
    git_error_clear();
    return std::vector<std::string>();
  }
  if (rc < 0) return GitError(rc, "cannot read the added labels of " + OidHex(&commit));
  NotePtr note(raw);
  return ParseLabelNote(git_note_message(raw));
}

}  // namespace

std::vector<std::string> ParseLabelNote(std::string_view text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t nl = text.find('\n', start);
    std::string_view line =
        text.substr(start, nl == std::string_view::npos ? std::string_view::npos : nl - start);
    constexpr std::string_view kPrefix = "Label: ";
    if (line.substr(0, kPrefix.size()) == kPrefix) {
      std::string label(line.substr(kPrefix.size()));
      if (ValidateLabel(label).ok() && !Contains(out, label)) out.push_back(std::move(label));
    }
    if (nl == std::string_view::npos) break;
    start = nl + 1;
  }
  return out;
}

std::string ComposeLabelNote(const std::vector<std::string>& labels) {
  std::string out;
  for (const auto& l : labels) out += "Label: " + l + "\n";
  return out;
}

Result<RepositoryPtr> OpenDirectWriter(const std::string& git_dir) {
  git_repository* raw = nullptr;
  STRATA_GIT(
      git_repository_open_ext(&raw, git_dir.c_str(),
                              GIT_REPOSITORY_OPEN_NO_SEARCH | GIT_REPOSITORY_OPEN_BARE, nullptr),
      "cannot open repository " + git_dir);
  return RepositoryPtr(raw);
}

Result<std::vector<std::string>> ReadAddedLabels(git_repository* repo, const git_oid& commit) {
  STRATA_ASSIGN_OR_RETURN(std::optional<ObjectId> head, ReadRef(repo, kLabelsNotesRef));
  STRATA_ASSIGN_OR_RETURN(CommitPtr notes, NotesCommit(repo, head));
  return LabelsIn(repo, notes.get(), commit);
}

Result<AddedLabelIndex> AddedLabelIndex::Load(git_repository* repo) {
  AddedLabelIndex index;
  STRATA_ASSIGN_OR_RETURN(std::optional<ObjectId> head, ReadRef(repo, kLabelsNotesRef));
  STRATA_ASSIGN_OR_RETURN(CommitPtr notes, NotesCommit(repo, head));
  if (!notes) return index;
  git_note_iterator* raw = nullptr;
  STRATA_GIT(git_note_commit_iterator_new(&raw, notes.get()),
             std::string("cannot read ") + kLabelsNotesRef);
  NoteIteratorPtr it(raw);
  git_oid blob, annotated;
  int rc;
  while ((rc = git_note_next(&blob, &annotated, raw)) == 0) {
    index.notes_.emplace(FromGit(annotated), FromGit(blob));
  }
  if (rc != GIT_ITEROVER) return GitError(rc, std::string("cannot read ") + kLabelsNotesRef);
  git_error_clear();
  return index;
}

Result<std::vector<std::string>> AddedLabelIndex::Of(ObjectStore& store,
                                                     const git_oid& commit) const {
  auto it = notes_.find(FromGit(commit));
  if (it == notes_.end()) return std::vector<std::string>();
  STRATA_ASSIGN_OR_RETURN(std::string text, store.ReadBlob(it->second));
  return ParseLabelNote(text);
}

Result<VersionLabels> Repository::Impl::WriteAddedLabels(
    const git_oid& commit, const LabelOptions& options,
    const std::function<Result<std::vector<std::string>>(const std::vector<std::string>& current)>&
        change) {
  STRATA_ASSIGN_OR_RETURN(SignaturePtr sig, SignatureNow(options.author, options.time, "author"));
  git_commit* c_raw = nullptr;
  STRATA_GIT(git_commit_lookup(&c_raw, repo_.get(), &commit),
             "cannot read version " + OidHex(&commit));
  CommitPtr version(c_raw);
  VersionLabels out;
  out.version = OidHex(&commit);
  std::string ignored;
  SplitMessage(git_commit_message(c_raw), &ignored, &out.labels);

  STRATA_RETURN_IF_ERROR(CheckGitLock(repo_.get(), kLabelsNotesRef));
  STRATA_ASSIGN_OR_RETURN(RepositoryPtr writer, OpenDirectWriter(path_));
  STRATA_ASSIGN_OR_RETURN(RefTransaction tx, RefTransaction::Begin(repo_.get(), &hooks_));
  for (int attempt = 0; attempt < kMaxAttempts; ++attempt) {
    STRATA_ASSIGN_OR_RETURN(std::optional<ObjectId> head, tx.Read(kLabelsNotesRef));
    STRATA_ASSIGN_OR_RETURN(CommitPtr notes, NotesCommit(writer.get(), head));
    STRATA_ASSIGN_OR_RETURN(std::vector<std::string> current,
                            LabelsIn(writer.get(), notes.get(), commit));
    STRATA_ASSIGN_OR_RETURN(std::vector<std::string> next, change(current));
    if (next == current) {
      return Status::Unchanged("version " + out.version + " already has those labels");
    }
    git_oid notes_commit;
    if (next.empty()) {
      STRATA_GIT(git_note_commit_remove(&notes_commit, writer.get(), notes.get(), sig.get(),
                                        sig.get(), &commit),
                 "cannot remove the added labels of " + out.version);
    } else {
      git_oid blob;
      const std::string text = ComposeLabelNote(next);
      STRATA_GIT(git_note_commit_create(&notes_commit, &blob, writer.get(), notes.get(), sig.get(),
                                        sig.get(), &commit, text.c_str(), 1),
                 "cannot write the added labels of " + out.version);
    }
    RefUpdate update;
    update.ref = kLabelsNotesRef;
    update.expected = head;
    update.target = FromGit(notes_commit);
    update.reason = "strata: label " + out.version.substr(0, 12);
    update.cause = RefCause::kLabels;
    tx.Update(std::move(update));
    STRATA_ASSIGN_OR_RETURN(CommitOutcome outcome, tx.Commit());
    if (outcome == CommitOutcome::kCommitted) {
      out.added_labels = std::move(next);
      return out;
    }
  }
  return Status::Conflict(std::string(kLabelsNotesRef) +
                          " kept moving under another program; no label was changed");
}

Result<VersionLabels> Repository::AddLabels(const std::string& rev,
                                            const std::vector<std::string>& labels,
                                            const LabelOptions& options) try {
  if (labels.empty()) return Status::InvalidArgument("no labels to add");
  for (const auto& l : labels) STRATA_RETURN_IF_ERROR(ValidateLabel(l));
  STRATA_ASSIGN_OR_RETURN(CommitPtr c, LookupCommit(impl_->repo_.get(), rev));
  std::string ignored;
  std::vector<std::string> own;
  SplitMessage(git_commit_message(c.get()), &ignored, &own);
  return impl_->WriteAddedLabels(
      *git_commit_id(c.get()), options,
      [&](const std::vector<std::string>& current) -> Result<std::vector<std::string>> {
        std::vector<std::string> next = current;
        for (const auto& l : labels) {
          if (!Contains(own, l) && !Contains(next, l)) next.push_back(l);
        }
        return next;
      });
} catch (...) {
  return CaughtStatus("Repository::AddLabels");
}

Result<VersionLabels> Repository::RemoveLabels(const std::string& rev,
                                               const std::vector<std::string>& labels,
                                               const LabelOptions& options) try {
  if (labels.empty()) return Status::InvalidArgument("no labels to remove");
  for (const auto& l : labels) STRATA_RETURN_IF_ERROR(ValidateLabel(l));
  STRATA_ASSIGN_OR_RETURN(CommitPtr c, LookupCommit(impl_->repo_.get(), rev));
  const std::string id = OidHex(git_commit_id(c.get()));
  std::string ignored;
  std::vector<std::string> own;
  SplitMessage(git_commit_message(c.get()), &ignored, &own);
  return impl_->WriteAddedLabels(
      *git_commit_id(c.get()), options,
      [&](const std::vector<std::string>& current) -> Result<std::vector<std::string>> {
        for (const auto& l : labels) {
          if (Contains(current, l)) continue;
          if (Contains(own, l)) {
            return Status::InvalidArgument("label '" + l + "' was written with version " +
                                           id.substr(0, 12) +
                                           " (a trailer of its message) and cannot be removed; "
                                           "only labels added later can");
          }
          return Status::NotFound("version " + id.substr(0, 12) + " has no label '" + l + "'");
        }
        std::vector<std::string> next;
        for (const auto& l : current) {
          if (!Contains(labels, l)) next.push_back(l);
        }
        return next;
      });
} catch (...) {
  return CaughtStatus("Repository::RemoveLabels");
}

Result<VersionLabels> Repository::LabelsOf(const std::string& rev) try {
  STRATA_ASSIGN_OR_RETURN(CommitPtr c, LookupCommit(impl_->repo_.get(), rev));
  VersionLabels out;
  out.version = OidHex(git_commit_id(c.get()));
  std::string ignored;
  SplitMessage(git_commit_message(c.get()), &ignored, &out.labels);
  STRATA_ASSIGN_OR_RETURN(out.added_labels,
                          ReadAddedLabels(impl_->repo_.get(), *git_commit_id(c.get())));
  return out;
} catch (...) {
  return CaughtStatus("Repository::LabelsOf");
}

}  // namespace strata
