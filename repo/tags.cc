// Tags: git refs under refs/tags/, so git, push and fetch see them. An
// annotated tag is a git tag object written first (staged, then flushed),
// then the ref moved through a RefTransaction like every ref move.
#include <algorithm>
#include <ctime>

#include "objects/guard.h"
#include "repo/labels.h"
#include "repo/refs.h"
#include "repo/repository_impl.h"
#include "repo/version_tree.h"
#include "strata/repository.h"

namespace strata {
namespace {

using TagPtr = GitPtr<git_tag, git_tag_free>;
using ReferenceIteratorPtr = GitPtr<git_reference_iterator, git_reference_iterator_free>;

constexpr const char* kTagPrefix = "refs/tags/";

Status ValidateTagName(const std::string& name) {
  const std::string ref = kTagPrefix + name;
  int valid = 0;
  STRATA_GIT(git_reference_name_is_valid(&valid, ref.c_str()), "cannot check tag name " + name);
  if (!valid || name.empty() || name[0] == '-') {
    return Status::InvalidArgument(
        "'" + name +
        "' is not a valid tag name (git's rules: no spaces, control characters, '..', '~', "
        "'^', ':', '?', '*', '[', '\\', no '/' at either end, no '.lock' ending; and no "
        "leading '-')");
  }
  return Status::Ok();
}

// The tag `name` whose ref points at `target`; false if it names no commit.
Result<bool> Describe(git_repository* repo, const std::string& name, const git_oid& target,
                      TagInfo* out) {
  git_object* raw = nullptr;
  STRATA_GIT(git_object_lookup(&raw, repo, &target, GIT_OBJECT_ANY), "cannot read tag " + name);
  ObjectPtr obj(raw);
  out->name = name;
  if (git_object_type(raw) == GIT_OBJECT_TAG) {
    const git_tag* tag = reinterpret_cast<const git_tag*>(raw);
    out->annotated = true;
    const char* message = git_tag_message(tag);
    out->message = message ? message : "";
    while (!out->message.empty() && out->message.back() == '\n') out->message.pop_back();
    if (const git_signature* s = git_tag_tagger(tag)) {
      out->tagger = Signature{s->name, s->email};
      out->time = s->when.time;
    }
    git_object* peeled = nullptr;
    int rc = git_object_peel(&peeled, raw, GIT_OBJECT_COMMIT);
    if (rc == GIT_ENOTFOUND || rc == GIT_EINVALIDSPEC || rc == GIT_EPEEL) {
      git_error_clear();
      return false;
    }
    if (rc < 0) return GitError(rc, "cannot read tag " + name);
    ObjectPtr commit(peeled);
    out->version = OidHex(git_object_id(peeled));
    return true;
  }
  if (git_object_type(raw) != GIT_OBJECT_COMMIT) return false;
  out->version = OidHex(&target);
  return true;
}

}  // namespace

Result<std::vector<TagInfo>> Repository::Tags() try {
  git_reference_iterator* raw = nullptr;
  STRATA_GIT(git_reference_iterator_glob_new(&raw, impl_->repo_.get(), "refs/tags/*"),
             "cannot list tags");
  ReferenceIteratorPtr it(raw);
  std::vector<TagInfo> out;
  git_reference* ref_raw = nullptr;
  int rc;
  while ((rc = git_reference_next(&ref_raw, raw)) == 0) {
    ReferencePtr ref(ref_raw);
    const std::string name = git_reference_name(ref_raw) + std::string_view(kTagPrefix).size();
    const git_oid* target = git_reference_target(ref_raw);
    if (!target) continue;  // symbolic: not a tag strata or git makes
    TagInfo tag;
    STRATA_ASSIGN_OR_RETURN(bool is_version, Describe(impl_->repo_.get(), name, *target, &tag));
    if (is_version) out.push_back(std::move(tag));
  }
  if (rc != GIT_ITEROVER) return GitError(rc, "cannot list tags");
  git_error_clear();
  std::sort(out.begin(), out.end(),
            [](const TagInfo& a, const TagInfo& b) { return a.name < b.name; });
  return out;
} catch (...) {
  return CaughtStatus("Repository::Tags");
}

Result<std::vector<TagInfo>> Repository::TagsOf(const std::string& version_id) try {
  STRATA_ASSIGN_OR_RETURN(std::vector<TagInfo> all, Tags());
  std::vector<TagInfo> out;
  for (auto& t : all) {
    if (t.version == version_id) out.push_back(std::move(t));
  }
  return out;
} catch (...) {
  return CaughtStatus("Repository::TagsOf");
}

Result<TagInfo> Repository::CreateTag(const std::string& name, const std::string& rev,
                                      const TagOptions& options) try {
  STRATA_RETURN_IF_ERROR(ValidateTagName(name));
  if (options.message.find('\0') != std::string::npos) {
    return Status::InvalidArgument("a tag message cannot hold a NUL byte");
  }
  STRATA_ASSIGN_OR_RETURN(CommitPtr commit, LookupCommit(impl_->repo_.get(), rev));
  const std::string ref = kTagPrefix + name;
  STRATA_RETURN_IF_ERROR(CheckGitLock(impl_->repo_.get(), ref));
  STRATA_ASSIGN_OR_RETURN(RefTransaction tx,
                          RefTransaction::Begin(impl_->repo_.get(), &impl_->hooks_));
  STRATA_ASSIGN_OR_RETURN(std::optional<ObjectId> existing, tx.Read(ref));
  if (existing && !options.force) {
    return Status::Conflict("tag '" + name + "' already exists (use -f to replace it)");
  }

  TagInfo out;
  out.name = name;
  out.version = OidHex(git_commit_id(commit.get()));
  ObjectId target = FromGit(*git_commit_id(commit.get()));
  if (!options.message.empty()) {
    STRATA_ASSIGN_OR_RETURN(SignaturePtr sig,
                            impl_->SignatureNow(options.tagger, options.time, "tagger"));
    std::string message = options.message;
    if (message.back() != '\n') message += '\n';  // as git writes it
    // The tag object goes to disk first, then the ref names it.
    STRATA_ASSIGN_OR_RETURN(RepositoryPtr writer, OpenDirectWriter(impl_->path_));
    git_object* target_raw = nullptr;
    STRATA_GIT(git_object_lookup(&target_raw, writer.get(), git_commit_id(commit.get()),
                                 GIT_OBJECT_COMMIT),
               "cannot read version " + out.version);
    ObjectPtr target_obj(target_raw);
    git_oid tag_id;
    STRATA_GIT(git_tag_annotation_create(&tag_id, writer.get(), name.c_str(), target_raw, sig.get(),
                                         message.c_str()),
               "cannot write tag " + name);
    target = FromGit(tag_id);
    out.annotated = true;
    out.message = options.message;
    while (!out.message.empty() && out.message.back() == '\n') out.message.pop_back();
    out.tagger = Signature{sig->name, sig->email};
    out.time = sig->when.time;
  }
  RefUpdate update;
  update.ref = ref;
  update.expected = existing;
  update.target = target;
  update.reason = "strata: tag " + name;
  update.cause = RefCause::kTag;
  tx.Update(std::move(update));
  STRATA_ASSIGN_OR_RETURN(CommitOutcome outcome, tx.Commit());
  if (outcome != CommitOutcome::kCommitted) {
    return Status::Conflict("tag '" + name + "' was changed by another program meanwhile");
  }
  return out;
} catch (...) {
  return CaughtStatus("Repository::CreateTag");
}

Status Repository::DeleteTag(const std::string& name) try {
  STRATA_RETURN_IF_ERROR(ValidateTagName(name));
  const std::string ref = kTagPrefix + name;
  STRATA_RETURN_IF_ERROR(CheckGitLock(impl_->repo_.get(), ref));
  STRATA_ASSIGN_OR_RETURN(RefTransaction tx,
                          RefTransaction::Begin(impl_->repo_.get(), &impl_->hooks_));
  STRATA_ASSIGN_OR_RETURN(std::optional<ObjectId> existing, tx.Read(ref));
  if (!existing) return Status::NotFound("no tag '" + name + "'");
  RefUpdate update;
  update.ref = ref;
  update.expected = existing;
  update.target = *existing;
  update.kind = RefUpdateKind::kDelete;
  update.reason = "strata: delete tag " + name;
  update.cause = RefCause::kTag;
  tx.Update(std::move(update));
  STRATA_ASSIGN_OR_RETURN(CommitOutcome outcome, tx.Commit());
  if (outcome != CommitOutcome::kCommitted) {
    return Status::Conflict("tag '" + name + "' was changed by another program meanwhile");
  }
  return Status::Ok();
} catch (...) {
  return CaughtStatus("Repository::DeleteTag");
}

}  // namespace strata
