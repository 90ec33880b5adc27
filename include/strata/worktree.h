// Working folders: a branch checked out as files (DIR/<id>.json, the layout
// of strata/export.h), edited with any tool, then status, diff and commit, as
// with git's work trees.
//
//   auto repo = Repository::Open("/srv/cfg");
//   auto wt = Worktree::Add(**repo, "/home/me/cfg", {});   // writes the files
//   ... edit /home/me/cfg/config/app1.json ...
//   auto st = (*wt)->ReadStatus();                             // created, modified, ...
//   auto c = (*wt)->Commit(options);                        // one version
//
// The record: DIR/.strata, a file (not a folder, like git's `.git` file), so
// Repository::Discover finds the repository from any sub-folder:
//   {"repository": "<absolute .strata folder>", "name": NAME, "branch": B,
//    "base": "<version id>" | null, "perspective": null | P}
// Written atomically (temporary file, fsync, rename). The repository keeps
// per-folder bookkeeping in .strata/worktrees/NAME/: `folder` (DIR's path)
// and `index` (the stat cache). docs/format.md has both formats.
//
// Reading the folder follows the import rules (strata/import.h): only regular
// files named *.json; symbolic links, special files and hidden entries are
// never read (settings documents at the top are). Each file's stat (size,
// mtime, ctime, inode) is cached with the id of the value it held, so
// status reads again only files whose stat changed; a file whose mtime is
// not older than the cache's own write time ("racy", as in git) is read
// again next time. Values are compared, never bytes: a reformatted file is
// not modified.
//
// Writing the folder goes through WriteDocumentFiles (strata/export.h): never
// through a symbolic link or outside DIR, each file old or new. The record's
// base moves only after the files are written, and status compares with the
// base recorded, so an interrupted checkout reports what the files hold.
//
// A Worktree borrows its Repository, which must outlive it.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "strata/repository.h"
#include "strata/status.h"

namespace strata {

// What DIR/.strata says.
struct WorktreeRecord {
  std::string repository;  // the .strata folder, absolute
  std::string name;        // the bookkeeping folder: .strata/worktrees/NAME
  std::string branch;
  std::string base;  // the version the files were checked out from; "" for none
  std::optional<std::string> perspective;
};

struct WorktreeAddOptions {
  std::optional<std::string> branch;       // default: the branch HEAD names
  std::optional<std::string> perspective;  // default: none (the whole state)
};

// A file that does not hold a document.
struct InvalidFile {
  std::string file;   // below DIR: "config/app1.json"
  std::string error;  // "DIR/config/app1.json:3:14: syntax error", or the id rule broken
};

struct WorktreeStatus {
  std::string branch;
  std::string base;                                     // "" for none
  std::vector<std::string> created, modified, deleted;  // document ids, sorted
  std::vector<InvalidFile> invalid;                     // sorted by file
  std::size_t files_read = 0;  // files read this time (their stat had changed)
  bool clean() const {
    return created.empty() && modified.empty() && deleted.empty() && invalid.empty();
  }
};

// What a commit did.
struct WorktreeCommit {
  // kMerged with `version` (the folder's change, on the base) and
  // merge.version (the branch's new head) when the branch had moved; else
  // the version written on the branch (merge.kind kFastForward-like: see
  // `merged`).
  VersionInfo version;  // the version holding exactly the folder's changes
  bool merged = false;  // the branch had moved: `merge` says what the merge did
  MergeOutcome merge;   // when merged: kMerged, kFastForward or kConflicts
  std::size_t created = 0, modified = 0, deleted = 0;
  std::string branch;
};

// What a checkout of another version did to the files.
struct WorktreeUpdate {
  std::string from, to;  // versions ("" for none)
  std::size_t written = 0, removed = 0;
  std::vector<std::string> kept;  // documents with uncommitted changes left as they are
};

struct WorktreeInfo {
  std::string name;
  std::string folder;  // absolute
  std::string branch;  // from the record; "" when the record is gone
  std::string base;
  std::optional<std::string> perspective;
  std::string problem;  // "" when sound; else what is wrong ("the folder is gone")
};

struct WorktreeRemoval {
  std::string folder;
  std::size_t removed = 0;        // document files removed
  std::vector<std::string> left;  // entries left in the folder (not written by strata)
  bool folder_removed = false;    // the folder was empty and is gone
};

// The .strata folder named by the record in folder `dir` (DIR/.strata).
// NotFound naming the record and the repository if that repository is gone;
// InvalidArgument for a record that cannot be read.
Result<std::string> WorktreeRepositoryOf(const std::string& dir);

// The record in folder `dir` (DIR/.strata). InvalidArgument for one that
// cannot be read.
Result<WorktreeRecord> ReadWorktreeRecord(const std::string& dir);

class Worktree {
 public:
  // The folder holding a record file .strata at or above `start`, or nullopt
  // (a .strata folder, a repository, on the way stops the search).
  static std::optional<std::string> Find(const std::string& start);

  // Checks out `options.branch` into DIR (made if missing; files already
  // there that name no document are left alone, one that would be
  // overwritten is refused unless it holds the same value) through the
  // perspective, and writes the record. Conflict if DIR is already a working
  // folder or holds a repository.
  static Result<std::unique_ptr<Worktree>> Add(Repository& repo, const std::string& dir,
                                               const WorktreeAddOptions& options);
  // The working folder DIR (a folder holding a record) of `repo`; uses the
  // record's perspective on `repo`. InvalidArgument if the record names
  // another repository.
  static Result<std::unique_ptr<Worktree>> Open(Repository& repo, const std::string& dir);
  // Every working folder of `repo`, sorted by name.
  static Result<std::vector<WorktreeInfo>> List(Repository& repo);
  // Removes working folder DIR: its document files, record and bookkeeping.
  // Conflict naming the changed files if it has uncommitted changes (or
  // invalid files) unless `force`. Files strata did not write stay.
  static Result<WorktreeRemoval> Remove(Repository& repo, const std::string& dir, bool force);

  const std::string& dir() const { return dir_; }
  const WorktreeRecord& record() const { return record_; }
  Repository& repo() { return repo_; }

  // The folder against its base.
  Result<WorktreeStatus> ReadStatus();
  // The folder's changes against the base, as a diff's changes (with old
  // values), sorted by document, narrowed to `filter`; `merge_patch`
  // receives the RFC 7396 patch when not null (with one document or path in
  // the filter, over that value).
  Result<std::vector<Change>> Changes(const DiffFilter& filter, json::value* merge_patch = nullptr);
  // Writes the folder's changes as one version on its branch, with
  // options.expected = the base. If the branch moved since, the change is a
  // version on the base, merged into the branch (Repository::Merge): clean,
  // the folder then holds the branch's new head; conflicts, a merge in
  // progress and the folder unchanged (ContinueMerge brings it up to date).
  // InvalidArgument naming invalid files (nothing written); Unchanged when
  // there is nothing to commit.
  Result<WorktreeCommit> Commit(const CommitOptions& options);
  // After `strata merge --continue` in the folder: the merge written, the
  // folder takes the branch's head (its files overwritten by the merge's
  // result).
  Result<WorktreeUpdate> FollowBranch();
  // Puts documents back as they are in the base (`docs`; empty with `all`:
  // every modified or deleted one). A created document is not removed
  // (InvalidArgument if named): restore never deletes a file.
  Result<std::vector<std::string>> Restore(const std::vector<std::string>& docs, bool all);
  // Moves the folder to branch `branch` (created at the base first with
  // `create`), updating the files that differ. Conflict naming the files if
  // a file with uncommitted changes would be overwritten or deleted.
  Result<WorktreeUpdate> Switch(const std::string& branch, bool create);
  // Pulls into the folder's branch (Repository::Pull with the branch as
  // the one merged into), then updates the files as Switch does.
  Result<std::pair<PullResult, WorktreeUpdate>> Pull(const std::string& remote,
                                                     const std::optional<std::string>& branch,
                                                     MergeRequest request,
                                                     const FetchOptions& options);

 private:
  struct Scan;
  Worktree(Repository& repo, std::string dir, WorktreeRecord record)
      : repo_(repo), dir_(std::move(dir)), record_(std::move(record)) {}
  Result<Scan> ScanFolder();
  Result<Snapshot> ReadBase();
  // Checks out version `target` ("" for none); with `keep_changes`, files
  // with uncommitted changes that `target` would change are refused, and
  // the others are kept; without, they are overwritten.
  // `scan`: a look at the folder just taken (else one is taken here).
  Result<WorktreeUpdate> UpdateTo(const std::string& target, bool keep_changes,
                                  Scan* scan = nullptr);
  Status SaveRecord();
  std::string BookkeepingDir() const;

  Repository& repo_;
  std::string dir_;
  WorktreeRecord record_;
};

}  // namespace strata
