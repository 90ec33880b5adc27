// strata's public face: a repository of versioned JSON documents.
//
//   auto repo = Repository::Discover(".");          // or Open(path), Init(dir)
//   if (!repo.ok()) ...
//   CommitOptions opts;  opts.message = "raise the pool";
//   auto v = (*repo)->Set("config/app1", *JsonPointer::Parse("/db/pool"), 20, opts);
//   auto doc = (*repo)->Get("config/app1", "HEAD~1");
//
// Everything the CLI does goes through these calls. Every write is one
// version (a git commit) on the current branch; a write that changes nothing
// returns Code::kUnchanged and writes nothing. Reads take a revision in git's
// syntax: a branch, a tag, HEAD, HEAD~N, REV^, a unique id prefix, and
// main@{2026-11-01} (the branch's reflog). docs/format.md has the layout.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "objects/git.h"
#include "objects/json.h"
#include "objects/json_patch.h"
#include "objects/json_pointer.h"
#include "objects/object_store.h"
#include "objects/status.h"
#include "repo/version.h"

namespace strata {

class StateEditor;

// How a write is recorded.
struct CommitOptions {
  std::string message;               // empty: a default that says what changed
  std::optional<Signature> author;   // empty: STRATA_AUTHOR, git config, or a default
  std::vector<std::string> labels;   // stored as "Label:" trailers
  std::optional<std::int64_t> time;  // seconds since the epoch; empty: now
};

struct WriteResult {
  VersionInfo version;
  std::size_t objects_written = 0;  // new git objects, commit included
  std::uint64_t bytes_written = 0;  // their uncompressed size
  std::size_t operations = 0;       // operations in the stored delta
  bool replayed = false;            // another writer moved the branch; ours was replayed on it
};

// Per-document metadata, kept in each version so no history walk is needed.
struct DocumentInfo {
  std::string id;
  std::uint64_t versions = 0;  // versions that changed this document since it was created
  std::int64_t created_at = 0;
  std::string created_by;  // "Name <email>"
  std::int64_t updated_at = 0;
  std::string updated_by;
};

struct LogOptions {
  std::optional<std::size_t> max_count;
};

// One operation of a delta or diff, with the value it replaced or removed.
struct Change {
  PatchOp op;
  std::string doc;                       // the document the operation touches
  JsonPointer pointer;                   // the path inside that document
  std::optional<json::value> old_value;  // for replace and remove
};

struct VerifyReport {
  std::size_t versions = 0;
  std::size_t objects = 0;
  std::vector<std::string> problems;  // empty when the repository is sound
};

class Repository {
 public:
  // Creates DIR/.strata, a bare git repository whose HEAD is refs/heads/main.
  // Conflict if one is already there.
  static Result<std::unique_ptr<Repository>> Init(const std::string& dir);
  // Opens PATH, which is a .strata folder or a folder holding one.
  static Result<std::unique_ptr<Repository>> Open(const std::string& path);
  // Looks for .strata in `start` and its parents. NotFound names `start`.
  static Result<std::unique_ptr<Repository>> Discover(const std::string& start);

  ~Repository();

  const std::string& path() const { return path_; }  // the .strata folder
  // "main", or the branch HEAD names.
  std::string CurrentBranch() const;

  // --- writes: each is one version, or kUnchanged -------------------------
  Result<WriteResult> Put(const std::string& doc, json::value value, const CommitOptions& options);
  // Sets the value at `pointer` in `doc`, creating the document (as an
  // object) if absent, and missing parent objects on the way.
  Result<WriteResult> Set(const std::string& doc, const JsonPointer& pointer, json::value value,
                          const CommitOptions& options);
  // Removes `doc`, or the value at `pointer` in it.
  Result<WriteResult> Remove(const std::string& doc, const std::optional<JsonPointer>& pointer,
                             const CommitOptions& options);
  // Applies an RFC 6902 patch to `doc`, or, without a document, to the state
  // (pointers /DOC/...). All or nothing.
  Result<WriteResult> Patch(const std::optional<std::string>& doc, const strata::Patch& patch,
                            const CommitOptions& options);
  // Adds or replaces many documents in one version.
  Result<WriteResult> Import(std::vector<std::pair<std::string, json::value>> docs,
                             const CommitOptions& options);
  // The general form: `edit` changes the state; `default_message` is used
  // when options.message is empty. The edit may run again if another writer
  // moved the branch.
  Result<WriteResult> Write(const std::function<Status(StateEditor&)>& edit,
                            const std::string& default_message, const CommitOptions& options);
  // The same, with the default message made from the delta the edit produced.
  using MessageFn = std::function<std::string(const strata::Patch& delta)>;
  Result<WriteResult> Write(const std::function<Status(StateEditor&)>& edit,
                            const MessageFn& describe, const CommitOptions& options);

  // --- reads -----------------------------------------------------------------
  // The commit id that `rev` names. NotFound / InvalidArgument name `rev`.
  Result<std::string> ResolveRevision(const std::string& rev);
  // The newest version on `rev`'s first-parent line made at or before `time`
  // (seconds since the epoch). NotFound if `rev` has none that old.
  Result<std::string> VersionAt(const std::string& rev, std::int64_t time);
  Result<json::value> Get(const std::string& doc, const std::string& rev = "HEAD",
                          const JsonPointer& pointer = JsonPointer());
  // Every document at `rev`, sorted by id, with its metadata.
  Result<std::vector<DocumentInfo>> List(const std::string& rev = "HEAD");
  Result<DocumentInfo> Info(const std::string& doc, const std::string& rev = "HEAD");
  Result<std::vector<VersionInfo>> Log(const std::string& rev, const LogOptions& options);
  Result<VersionInfo> Show(const std::string& rev);
  // The delta stored in version `rev` (from its first parent).
  Result<strata::Patch> Delta(const std::string& rev);
  // What changed from `from` to `to`, as an RFC 6902 patch over the state.
  Result<strata::Patch> Diff(const std::string& from, const std::string& to);
  // `patch` (over the state at `base`, nullopt: the empty state) with the
  // values it replaces or removes, for people to read.
  Result<std::vector<Change>> Annotate(const std::optional<std::string>& base,
                                       const strata::Patch& patch);
  // The whole state at `rev`.
  Result<json::value> State(const std::string& rev);

  // Checks every version reachable from any ref: its delta applied to its
  // first parent's state gives its state, and every object hashes right.
  Result<VerifyReport> Verify();

  ObjectStore& store() { return *store_; }

 private:
  Repository(std::string path, RepositoryPtr repo, std::unique_ptr<ObjectStore> store);
  static Result<std::unique_ptr<Repository>> OpenGitDir(const std::string& git_dir);

  Result<CommitPtr> LookupCommit(const std::string& rev);
  Result<VersionInfo> Describe(git_commit* commit);
  Result<std::optional<ObjectId>> StateOf(git_commit* commit);
  Result<std::optional<ObjectId>> TreeEntryId(git_commit* commit, const char* name);
  Result<Signature> ResolveAuthor(const CommitOptions& options);

  std::string path_;
  RepositoryPtr repo_;
  std::unique_ptr<ObjectStore> store_;
};

}  // namespace strata
