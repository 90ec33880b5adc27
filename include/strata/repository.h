// strata's public face: a repository of versioned JSON documents.
//
//   auto repo = Repository::Discover(".");          // or Open(path), Init(dir)
//   if (!repo.ok()) ...
//   CommitOptions opts;  opts.message = "raise the pool";
//   auto v = (*repo)->Set("config/app1", *JsonPointer::Parse("/db/pool"), 20, opts);
//   auto snap = (*repo)->Read("HEAD~1");             // one version, resolved once
//   auto doc = snap->Get("config/app1");
//
// Everything the CLI does goes through these calls (cli/ includes only
// strata/ headers).
//
// Reads: every read of state goes through a Snapshot (strata/snapshot.h), made
// by Read() from a revision in git's syntax (a branch, a tag, HEAD, HEAD~N,
// REV^, a unique id prefix, main@{2026-11-01}). Log() lists versions.
//
// Writes: each write is one version (a git commit) on one branch: the one
// CommitOptions::branch names, else the one HEAD names (with HEAD detached,
// HEAD itself moves, as with git). A write that changes nothing returns
// Code::kUnchanged and writes nothing. Every ref move goes through one
// RefTransaction (the library's, inside): a write builds its version on the
// branch head it read, then, holding the write lock, moves the branch by
// compare-and-swap. If another writer moved the branch meanwhile, the write
// is applied again on the new head (the edit runs again): writes say what a
// value must become, so the later one in history wins. A write is refused
// (Conflict, nothing written) only when it cannot apply to the new head (a
// failing `test`, a missing parent) or when it named the version it was
// based on (CommitOptions::expected) and a document it changes moved since.
//
// Errors: every call that can fail returns a Status or a Result<T>
// (strata/status.h) whose code is NotFound, InvalidArgument, Conflict,
// Corruption or IOError (and Unchanged for a write that changes nothing),
// and whose message names the document, pointer or revision. No exception
// crosses this boundary: a call that returns a Status or a Result catches
// what its insides throw and returns it, as ResourceExhausted for
// std::bad_alloc (out of memory; tests/repo/alloc_failure_test.cc fails
// every allocation of Init, Put, Get and Log in turn) and Internal for
// anything else (a bug in strata: please report it). Code you give the
// library that throws:
//   - an event subscriber (Subscribe) or the reporter (SetEventReporter):
//     caught; the write stands; a subscriber's exception is reported, a
//     reporter's dropped;
//   - a write's edit or describe (Write, WriteDetached), Pull's
//     before_merge, a Snapshot::ForEachDocument visitor, an export or gc
//     progress callback: the call stops and returns Internal naming the
//     exception (ResourceExhausted for std::bad_alloc); nothing is written
//     (a gc stops as if killed, which is safe) and the write lock is
//     released.
// No exception ever unwinds through libgit2's C frames: every function
// libgit2 calls back catches (objects/guard.h). What may still leave the
// library is std::bad_alloc from the calls that return a plain value, not
// a Status (CurrentBranch, Subscribe, and helpers such as FormatJson or
// EventToJson), as from the standard library. The accessors (path,
// perspective, SetEventReporter, SetRunHooks) do no I/O and do not fail.
//
// Thread safety: one Repository object per thread. Any number of
// Repository objects, in one process or many, may read and write the same
// repository at once: writes serialise on the repository's write lock and
// move a branch by compare-and-swap, so every acknowledged write is a
// version in history (tests/repo/threads_test.cc). One Repository object
// (and the Snapshots it made) must not be used by two threads at once; the
// exception is Subscribe and disconnecting an EventConnection, which any
// thread may call at any time (strata/events.h).
//
// The class holds no libgit2 type: its state is behind a pimpl (Impl,
// repo/repository_impl.h). docs/library.md shows how to build against the
// installed package; docs/format.md has the on-disk layout.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "strata/events.h"
#include "strata/gc.h"
#include "strata/import.h"
#include "strata/json.h"
#include "strata/json_patch.h"
#include "strata/json_pointer.h"
#include "strata/merge.h"
#include "strata/object_id.h"
#include "strata/perspective.h"
#include "strata/prune.h"
#include "strata/remote.h"
#include "strata/schemas.h"
#include "strata/snapshot.h"
#include "strata/status.h"
#include "strata/version.h"

namespace strata {

// The library's own types, defined in its private headers.
struct RefUpdate;             // repo/transaction.h
struct DiffHints;             // objects/tree_diff.h
struct RepositoryTestAccess;  // repo/test_access.h: the tests' way in

// How a write is recorded, and where.
struct CommitOptions {
  std::string message;               // empty: a default that says what changed
  std::optional<Signature> author;   // empty: STRATA_AUTHOR, git config, or a default
  std::vector<std::string> labels;   // stored as "Label:" trailers
  std::optional<std::int64_t> time;  // seconds since the epoch, 0 to 2^32-1 (2106); empty: now
  // The branch to write to (its name, "main"); empty: the one HEAD names.
  std::optional<std::string> branch;
  // The revision the caller based its change on. If a document the write
  // changes differs between it and the branch head, the write is refused
  // with a Conflict naming the document. kNoVersion: the branch had no
  // versions (so any document the write changes must not exist yet).
  std::optional<std::string> expected;
  static constexpr const char* kNoVersion = "0000000000000000000000000000000000000000";
  // Write a `.schemas` that documents in the state already break (by
  // default such a write is refused, naming the violations).
  bool force = false;
};

// How Import treats the documents it is not given.
struct ImportOptions {
  // Remove every document of the branch head that the import does not name,
  // in the same version (a folder import then makes the state the folder's).
  // The candidates are the documents a Snapshot of the head lists, so under
  // a perspective only visible ones (a hidden document is never removed).
  bool prune = false;
  // ImportFrom: the bytes staged before they are written to disk as one pack
  // (0: Repository::kImportBatchBytes). Smaller batches bound memory more
  // tightly and make more packs (gc combines them).
  std::uint64_t batch_bytes = 0;
};

struct WriteResult {
  VersionInfo version;
  std::string branch;               // where it was written: "main", or "detached HEAD"
  std::size_t objects_written = 0;  // new git objects, commit included
  std::uint64_t bytes_written = 0;  // their uncompressed size
  std::size_t operations = 0;       // operations in the stored delta
  bool replayed = false;            // another writer moved the branch; ours was applied on it
};

// Which versions Log lists. Every filter set must match (they combine with
// "and"); repeated values of one filter combine with "or" (labels: "and"
// with all_labels).
struct LogOptions {
  std::optional<std::size_t> max_count;  // applied after the filters, before `reverse`
  // Versions that changed one of these documents (created, changed or
  // removed it) from their first parent.
  std::vector<std::string> docs;
  // Versions that changed the value at one of these pointers, or anything
  // under it, from their first parent.
  struct PathFilter {
    std::string doc;
    JsonPointer pointer;
  };
  std::vector<PathFilter> paths;
  // The author's name or email contains this text, or matches it as an
  // ECMAScript regular expression (if it is one).
  std::optional<std::string> author;
  std::optional<std::int64_t> since, until;  // version time, inclusive
  // Versions with one of these labels (every one with all_labels), in the
  // message trailers or added later (VersionInfo::added_labels).
  std::vector<std::string> labels;
  bool all_labels = false;
  std::optional<std::string> grep;  // an ECMAScript regular expression on the message
  bool reverse = false;             // oldest first (after max_count, as git)
  bool changes = false;             // LogEntries: fill LogEntry::changes
};

// A version with what it changed, for log -p and history.
struct LogEntry {
  VersionInfo version;
  // What the version changed from its first parent (LogOptions::changes);
  // in History, only under the document/pointer asked about.
  std::vector<Change> changes;
  // History only: the document's version number along the first-parent
  // line (1: the version that created it).
  std::size_t doc_version = 0;
};

struct HistoryOptions {
  std::string rev = "HEAD";
  bool changes = false;  // fill LogEntry::changes
  std::optional<std::size_t> max_count;
};

// A branch (refs/heads/NAME), as Branches() lists it.
struct BranchInfo {
  std::string name;                    // "main"
  std::optional<std::string> version;  // its head's id; nullopt: no versions yet
  bool current = false;                // HEAD names it
  // Against the current branch's head (HEAD's version when detached): the
  // versions on this branch that the current one lacks, and the reverse
  // (git_graph_ahead_behind). Before the current branch's first version,
  // `ahead` counts all of this branch's versions.
  std::size_t ahead = 0;
  std::size_t behind = 0;
};

struct SwitchResult {
  std::string previous;  // the branch HEAD named before ("HEAD" if it was detached)
  BranchInfo branch;     // the branch HEAD names now
  bool created = false;  // SwitchBranch made it
  bool changed = true;   // false: HEAD already named it; nothing moved
};

// A tag: a git ref refs/tags/NAME, annotated (a tag object with a message,
// tagger and time) or lightweight (the ref alone).
struct TagInfo {
  std::string name;     // "v1.0", without refs/tags/
  std::string version;  // the commit id it names, 40 hex digits
  bool annotated = false;
  std::string message;               // annotated only: the tag's message
  std::optional<Signature> tagger;   // annotated only
  std::optional<std::int64_t> time;  // annotated only: when it was tagged
};

struct TagOptions {
  std::string message;               // non-empty: an annotated tag
  std::optional<Signature> tagger;   // empty: as CommitOptions::author
  std::optional<std::int64_t> time;  // empty: now
  bool force = false;                // replace a tag of the same name
};

// Who adds or removes labels, and when (the notes commit's author).
struct LabelOptions {
  std::optional<Signature> author;   // empty: as CommitOptions::author
  std::optional<std::int64_t> time;  // empty: now
};

// A version's labels, both kinds.
struct VersionLabels {
  std::string version;                    // the commit id
  std::vector<std::string> labels;        // written with the version (trailers)
  std::vector<std::string> added_labels;  // added later (git notes), in the order added
};

// One leaf value of a document and the version that last set it.
struct BlameLine {
  JsonPointer pointer;  // inside the document
  json::value value;
  VersionInfo version;
};

struct VerifyReport {
  std::size_t versions = 0;
  std::size_t objects = 0;
  std::size_t refs = 0;
  std::vector<std::string> problems;  // empty when the repository is sound
  // What interrupted writers left (git lock files, temporary objects and
  // packs, a killed fetch's quarantine), each with how to remove it. None is
  // part of any version, so none is a problem: a process killed mid-write
  // leaves a sound repository (docs/reliability.md, "Crash loop").
  std::vector<std::string> notes;
};

// --- merges -----------------------------------------------------------------
// Merge, cherry-pick and revert are one three-way merge of states (Merge()
// below): ours is the branch's head, theirs and base are versions the
// operation picks. docs/merge.md has the rules.
enum class MergeKind {
  kMerge,       // base: the merge base of ours and theirs; the version has 2 parents
  kCherryPick,  // base: REV's first parent, theirs: REV
  kRevert,      // base: REV, theirs: REV's first parent
};
// "merge", "cherry-pick", "revert".
std::string_view MergeKindName(MergeKind kind);

struct MergeRequest {
  // Who wins a value both sides changed differently: kNormal stops on
  // conflicts (a merge in progress), kOurs / kTheirs resolve each one way.
  MergeStrategy strategy = MergeStrategy::kNormal;
  bool no_ff = false;             // write a merge version even when a fast-forward would do
  std::vector<std::string> only;  // merge just these documents; empty: every document
  CommitOptions commit;           // message (default: says what merged), author, time, branch
};

// One value the two sides changed differently: `pointer` inside document
// `doc` ("" is the whole document). A side is nullopt where the value is
// absent on it.
struct MergeConflict {
  std::string doc;
  JsonPointer pointer;
  ConflictKind kind = ConflictKind::kBothModified;
  std::optional<json::value> base, ours, theirs;
};

// {"doc", "pointer", "kind", "base", "ours", "theirs"}, absent sides left out.
json::object MergeConflictToJson(const MergeConflict& c);

struct MergeOutcome {
  enum class Kind {
    kUpToDate,     // theirs is already in ours (or nothing to apply): nothing written
    kFastForward,  // the branch moved to theirs
    kMerged,       // a version was written (`version`)
    kConflicts,    // stopped: a merge in progress holds `conflicts`; the branch did not move
  };
  Kind kind = Kind::kUpToDate;
  MergeKind operation = MergeKind::kMerge;
  std::string branch;                  // the branch merged into ("main")
  std::optional<VersionInfo> version;  // the branch's new head (fast-forward, merged)
  std::vector<MergeConflict> conflicts;
  std::size_t documents = 0;  // documents the merge took from theirs or merged
};

// What Pull did: the fetch, then the merge of the remote branch.
struct PullResult {
  FetchResult fetched;
  std::string merged;  // "origin/main": the remote-tracking branch merged
  MergeOutcome merge;
};

// A merge stopped on conflicts, kept in the repository (docs/format.md,
// "Merges in progress") until `ContinueMerge` or `AbortMerge`.
struct MergeInProgress {
  MergeKind operation = MergeKind::kMerge;
  std::string branch;               // "main"
  std::string rev;                  // the revision as the user named it
  std::string ours;                 // the branch head it began on
  std::string theirs;               // the version merged in ("" for a revert of a first version)
  std::optional<std::string> base;  // nullopt: no common history (the empty state)
  std::string message;              // the version's message when it is written
  std::vector<MergeConflict> conflicts;  // unresolved, sorted by document then pointer
  std::size_t resolved = 0;              // conflicts resolved so far
};

// How `Resolve` settles conflicts.
struct ResolveRequest {
  enum class Take { kOurs, kTheirs, kBase, kValue };
  Take take = Take::kOurs;
  std::optional<json::value> value;    // for kValue
  std::optional<std::string> doc;      // nullopt: every conflict (resolve --all)
  std::optional<JsonPointer> pointer;  // nullopt: every conflict in `doc`
  std::optional<std::string> branch;   // nullopt: the current branch
};

// The repository format this build writes (strata.formatVersion in the
// repository's config; docs/format.md): 2 stores large arrays as array
// nodes; 3 shards object nodes 16 ways past 128 members; 4 keeps the small
// members of a large object in leaves (objects/tree_codec.h). A repository of an
// older format is read and written as that format (so an older strata still
// reads it) until Repository::Upgrade. A repository of a newer format than
// this is refused on open.
inline constexpr int kFormatVersion = 4;

// Repository::Upgrade: what it did (or, with dry_run, would do).
struct UpgradeOptions {
  bool dry_run = false;  // report, write nothing
  CommitOptions commit;  // author and time of the upgrade versions (message, labels unused)
};
struct UpgradeReport {
  int from_version = 0;  // strata.formatVersion before
  int to_version = 0;    // after (dry_run: what it would be)
  struct Branch {
    std::string name;
    std::size_t documents = 0;           // documents whose stored form changed
    bool rewritten = false;              // its state or metadata trees change (so a version)
    std::optional<std::string> version;  // the upgrade version written; nullopt: none needed
  };
  std::vector<Branch> branches;
};

class Repository {
 public:
  // Creates DIR/.strata, a bare git repository whose HEAD is refs/heads/main.
  // Conflict if one is already there.
  static Result<std::unique_ptr<Repository>> Init(const std::string& dir);
  // Opens PATH, which is a .strata folder or a folder holding one.
  static Result<std::unique_ptr<Repository>> Open(const std::string& path);
  // Looks for .strata in `start` and its parents. NotFound names `start`.
  // A .strata that is a file is a working folder's record (strata/worktree.h):
  // the repository it names is opened (NotFound naming both if it is gone).
  static Result<std::unique_ptr<Repository>> Discover(const std::string& start);

  ~Repository();

  const std::string& path() const;  // the .strata folder
  // "main", or the branch HEAD names; "HEAD" when HEAD is detached.
  std::string CurrentBranch() const;

  // --- perspectives (repo/views.cc) ----------------------------------------------
  // Reads and writes through perspective `name` from now on (nullopt: the
  // whole state). Its definition is read from the `.perspectives` document
  // at the current branch's head (CommitOptions::branch's, for writes), once:
  // the perspective as defined now governs reads of every version, old ones
  // included. NotFound "unknown perspective 'NAME'" if it is not defined.
  Status UsePerspective(const std::optional<std::string>& name);
  // The perspective in use, or nullptr.
  const Perspective* perspective() const;

  // --- reads -----------------------------------------------------------------
  // The version `rev` names, to read from. For the current branch before its
  // first version (HEAD, or its name), a Snapshot of the empty state with no
  // version. NotFound / InvalidArgument name `rev`.
  Result<Snapshot> Read(const std::string& rev = "HEAD");
  // The newest version on `rev`'s first-parent line made at or before `time`
  // (seconds since the epoch). NotFound if `rev` has none that old.
  Result<Snapshot> ReadAt(const std::string& rev, std::int64_t time);
  // Document `doc`, or the value at `pointer` in it, at revision `rev`,
  // through the perspective in use: Read(rev) then Snapshot::Get, for one
  // value. NotFound names the document, the revision or the missing member.
  Result<json::value> Get(const std::string& doc, const std::string& rev = "HEAD",
                          const JsonPointer& pointer = JsonPointer());
  // The same as of `time` (seconds since the epoch): ReadAt(rev, time) then
  // Snapshot::Get (a time-travel read).
  Result<json::value> GetAt(const std::string& doc, const std::string& rev, std::int64_t time,
                            const JsonPointer& pointer = JsonPointer());
  // The commit id `rev` names. NotFound / InvalidArgument name `rev`.
  Result<std::string> ResolveRevision(const std::string& rev);
  // The best common ancestor of `a` and `b` (git merge-base); nullopt when
  // they share no history. NotFound / InvalidArgument name the revision.
  Result<std::optional<std::string>> MergeBase(const std::string& a, const std::string& b);
  // The two ends a diff compares, as `strata diff` reads its arguments:
  // `from` alone or with `to` (empty: HEAD); "A..B" (A against B); "A...B"
  // (the merge base of A and B against B). InvalidArgument for a range
  // with `to` also given, or for A...B without a common ancestor.
  Result<std::pair<Snapshot, Snapshot>> ReadDiffEnds(const std::string& from,
                                                     const std::string& to);
  // Versions reachable from `rev`, newest first (git's order: topological,
  // then by time). `rev` is a revision or a range as git's log reads it
  // (repo/refs.h, RevisionRange): "A..B" lists versions reachable from B and
  // not from A, "A...B" those reachable from either and not from both.
  // `options` filters them (LogOptions). Document and pointer filters
  // compare subtree ids between a version and its first parent, so a
  // version costs a few tree reads, never a decode of its documents. A
  // history that cannot be read whole (a missing or damaged commit) is an
  // error naming the version, never a partial list. NotFound /
  // InvalidArgument name a revision that resolves to none; InvalidArgument
  // for a bad --grep regular expression.
  Result<std::vector<VersionInfo>> Log(const std::string& rev, const LogOptions& options);
  // The same versions, each with its changes when options.changes.
  Result<std::vector<LogEntry>> LogEntries(const std::string& rev, const LogOptions& options);
  // The versions on `options.rev`'s first-parent line that changed `doc`
  // (or the value at `pointer` in it, or anything under it), newest first,
  // each with the document's version number and, with options.changes,
  // the change under `pointer`. A merge counts as changing the document if
  // it differs from its first parent. NotFound if the document was never on
  // that line (naming it and the revision).
  Result<std::vector<LogEntry>> History(const std::string& doc, const JsonPointer& pointer,
                                        const HistoryOptions& options);
  // Every leaf value of `doc` at `rev` under `pointer` (scalars, empty
  // objects, and arrays as whole values), sorted by pointer, each with the
  // newest version on the first-parent line where that leaf's value
  // differs from the version's first parent. Walks history newest first
  // and stops once every leaf is placed, so the cost grows with the
  // history that touched the document. NotFound names the document,
  // pointer or revision that is not there.
  Result<std::vector<BlameLine>> Blame(const std::string& doc, const JsonPointer& pointer,
                                       const std::string& rev = "HEAD");

  // --- tags ------------------------------------------------------------------
  // Every tag, sorted by name. A tag that names no commit (git can tag any
  // object) is left out.
  Result<std::vector<TagInfo>> Tags();
  // The tags that name version `version_id` (40 hex digits), sorted by name.
  Result<std::vector<TagInfo>> TagsOf(const std::string& version_id);
  // Tags the version `rev` names as `name`: annotated when options.message is
  // set (a git tag object, so `git tag -n` shows it), lightweight otherwise.
  // InvalidArgument for a name git refuses (git_reference_name_is_valid, or
  // a leading '-'); Conflict if the tag exists and !options.force.
  Result<TagInfo> CreateTag(const std::string& name, const std::string& rev,
                            const TagOptions& options);
  // Deletes tag `name` (the tag object stays until git gc). NotFound if absent.
  Status DeleteTag(const std::string& name);

  // --- labels added later ----------------------------------------------------
  // Labels a version carries are of two kinds: written with it (--label, as
  // "Label:" trailers: part of the version, never changed) and added later
  // (git notes on refs/notes/strata-labels: one note per version, a
  // "Label: NAME" line per label, so `git log --notes=strata-labels` shows
  // them). Adding or removing one moves the notes ref, never a branch.
  //
  // Adds `labels` (ValidateLabel) to the version `rev` names. Labels it
  // already has, of either kind, are skipped; Unchanged if all were.
  Result<VersionLabels> AddLabels(const std::string& rev, const std::vector<std::string>& labels,
                                  const LabelOptions& options);
  // Removes labels added later. NotFound for a label the version lacks;
  // InvalidArgument for one written with the version (it cannot change).
  Result<VersionLabels> RemoveLabels(const std::string& rev, const std::vector<std::string>& labels,
                                     const LabelOptions& options);
  // Both kinds of labels of the version `rev` names.
  Result<VersionLabels> LabelsOf(const std::string& rev);

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
  // The same, and with import.prune removes the head's documents that
  // `docs` does not name. A document given with its stored value is no
  // change: the version holds only real changes (kUnchanged if none). The
  // default message counts what changed ("import 3 documents, remove 1").
  Result<WriteResult> Import(std::vector<std::pair<std::string, json::value>> docs,
                             const CommitOptions& options, const ImportOptions& import);
  // The same, in bounded memory: `source` gives the documents one at a time
  // to the sink it is passed (strata/import.h's ForEachImportDocument does),
  // and returns the first error, its own or the sink's. Each document is
  // stored as it comes and dropped; the objects are written to disk in
  // batches of about kImportBatchBytes (fsynced packs no ref names until the
  // version does, so a failed import leaves no version), and the version is
  // written once all are on disk, its trees in batches too as they are
  // built. objects_written counts the documents' objects and the version's. A document given twice
  // is InvalidArgument; so is a source that gives none. Under a perspective the documents are kept
  // in memory and given to Import above.
  using DocumentSink = std::function<Status(std::string id, json::value doc)>;
  using DocumentSource = std::function<Status(const DocumentSink& sink)>;
  static constexpr std::uint64_t kImportBatchBytes = std::uint64_t{32} << 20;
  Result<WriteResult> ImportFrom(const DocumentSource& source, const CommitOptions& options,
                                 const ImportOptions& import);
  // The same, from a source that may also give a document a member at a
  // time (MemberVisitor, strata/import.h; ForEachImportDocument gives a
  // large file's object so): each member is stored as it comes and the
  // document built from their ids at its end, as if it had come whole, so no
  // value of the whole document is held.
  using MemberDocumentSource =
      std::function<Status(const DocumentSink& sink, const MemberVisitor& members)>;
  Result<WriteResult> ImportFrom(const MemberDocumentSource& source, const CommitOptions& options,
                                 const ImportOptions& import);
  // The general form: `edit` changes the state; `default_message` is used
  // when options.message is empty. `edit` runs again if another writer
  // moved the branch, on the state that writer left.
  Result<WriteResult> Write(const std::function<Status(PatchTarget&)>& edit,
                            const std::string& default_message, const CommitOptions& options);
  // The same, with the default message made from the delta the edit produced.
  using MessageFn = std::function<std::string(const strata::Patch& delta)>;
  Result<WriteResult> Write(const std::function<Status(PatchTarget&)>& edit,
                            const MessageFn& describe, const CommitOptions& options);

  // Builds the version `edit` makes on version `base` (its only parent; a
  // revision) and stores it without moving any ref: a change made against
  // an older version, to be merged (Merge) into a branch that moved since.
  // Checks as Write (perspective, schemas, settings); kUnchanged if `edit`
  // changes nothing. options.branch and options.expected are not used.
  Result<VersionInfo> WriteDetached(const std::string& base,
                                    const std::function<Status(PatchTarget&)>& edit,
                                    const MessageFn& describe, const CommitOptions& options);

  // --- branches (repo/branches.cc) ---------------------------------------------
  // Every branch, sorted by name, with ahead/behind against the current one.
  // The current branch is listed even before its first version.
  Result<std::vector<BranchInfo>> Branches();
  // Every remote-tracking branch (refs/remotes/REMOTE/NAME, named
  // "REMOTE/NAME"), sorted, with ahead/behind against the current branch.
  Result<std::vector<BranchInfo>> RemoteBranches();
  // Creates branch `name` at the version `start` names (a revision; "HEAD"
  // by default). InvalidArgument for a name git refuses
  // (git_branch_name_is_valid); Conflict if it exists, unless `force`, which
  // moves it (but never the current branch: that would rewrite what HEAD
  // reads); NotFound / InvalidArgument name `start`.
  Result<BranchInfo> CreateBranch(const std::string& name, const std::string& start = "HEAD",
                                  bool force = false);
  // Deletes branch `name` and returns what it was. Refuses (Conflict) the
  // current branch, and, unless `force`, a branch with versions the current
  // branch lacks, saying how many would be lost. NotFound if it does not exist.
  Result<BranchInfo> DeleteBranch(const std::string& name, bool force = false);
  // Makes HEAD the symbolic ref refs/heads/NAME (the repository is bare:
  // nothing else changes). With `create_at`, first creates the branch at
  // that revision, in the same transaction. NotFound for a missing branch,
  // suggesting create_at (`switch -c`); Conflict if `create_at` is given and
  // the branch exists.
  Result<SwitchResult> SwitchBranch(const std::string& name,
                                    const std::optional<std::string>& create_at = std::nullopt);
  // --- merges (repo/merge.cc) ---------------------------------------------------
  // Merges revision `rev` (theirs) into request.commit.branch, else the
  // current branch (ours), against their merge base, value by value:
  // up to date (nothing written) when theirs is already in ours; a
  // fast-forward when ours is in theirs (unless no_ff or `only`); else a
  // version with parents ours and theirs. Only documents changed on both
  // sides are decoded and merged (MergeValues); the others are taken by id.
  // Conflicts (strategy kNormal) leave a merge in progress that blocks
  // writes to the branch, and return kConflicts with the branch unmoved.
  // NotFound names `rev`; Conflict if a merge is already in progress there.
  Result<MergeOutcome> Merge(const std::string& rev, const MergeRequest& request);
  // Applies the change version `rev` made (from its first parent) to the
  // branch, as a new version with the branch head as its only parent. An
  // empty change is kUpToDate.
  Result<MergeOutcome> CherryPick(const std::string& rev, const MergeRequest& request);
  // Undoes exactly the change version `rev` made, as a new version; values
  // changed since are conflicts, as in Merge.
  Result<MergeOutcome> Revert(const std::string& rev, const MergeRequest& request);

  // The merge in progress on `branch` (nullopt: the current one), or nullopt.
  Result<std::optional<MergeInProgress>> CurrentMerge(
      const std::optional<std::string>& branch = std::nullopt);
  // Settles the conflicts `request` names in the merge in progress; returns
  // the merge as it now stands. NotFound if no merge is in progress or no
  // conflict matches; InvalidArgument for kValue without a value.
  Result<MergeInProgress> Resolve(const ResolveRequest& request);
  // Writes the merge in progress as a version once every conflict is
  // resolved (Conflict naming what remains, otherwise) and ends it.
  // `options` may give the message, author, time, labels and branch.
  Result<MergeOutcome> ContinueMerge(const CommitOptions& options);
  // Ends the merge in progress without writing; the branch is as it was.
  // NotFound if there is none.
  Result<MergeInProgress> AbortMerge(const std::optional<std::string>& branch = std::nullopt);

  // --- sync (repo/remote.cc; strata/remote.h has the model) ------------------------
  // Clones `url` into DIR/.strata: a new repository whose remote `origin` is
  // `url`, fetched as Fetch does, with the remote's default branch created
  // locally (tracking origin/BRANCH) and checked out (HEAD names it). A
  // remote with no versions gives an empty repository on "main". Conflict
  // if DIR/.strata exists; on any failure DIR is left as it was (removed if
  // the clone made it).
  static Result<std::unique_ptr<Repository>> Clone(const std::string& url, const std::string& dir,
                                                   const FetchOptions& options);
  // Remotes, sorted by name.
  Result<std::vector<RemoteInfo>> Remotes();
  // InvalidArgument for a bad name (git_remote_name_is_valid) or a URL
  // holding a password; Conflict if it exists.
  Result<RemoteInfo> AddRemote(const std::string& name, const std::string& url);
  // Removes the remote and its remote-tracking refs. NotFound if absent.
  Result<RemoteInfo> RemoveRemote(const std::string& name);
  // Fetches every branch of `remote` (a name; "origin" by default) into
  // refs/remotes/REMOTE/*, and tags pointing into them, through the
  // quarantine (repo/incoming.h). Branches gone from the remote are pruned
  // from refs/remotes/REMOTE/.
  Result<FetchResult> Fetch(const std::string& remote, const FetchOptions& options);
  // Pushes local `branch` (nullopt: the current one) to the branch of the
  // same name on `remote` (a remote's name or a URL). Refuses (Conflict,
  // nothing sent) a push that is not a fast-forward of the remote's branch
  // unless options.force, saying to pull first. Under a perspective, pushes
  // the projected history instead (Project). Moves refs/remotes/REMOTE/BRANCH
  // to what was pushed when `remote` is a name.
  Result<PushResult> Push(const std::string& remote, const std::optional<std::string>& branch,
                          const PushOptions& options);
  // Fetch from `remote` (empty: the current branch's upstream remote, else
  // "origin"), then merges its branch `branch` (nullopt: the upstream
  // branch, else the current branch's name) into the current branch as
  // Merge does: fast-forward, a clean merge version, or a merge in progress
  // with conflicts (MergeOutcome::Kind::kConflicts). request.commit.branch,
  // when set, is the branch merged into (and whose upstream is used).
  // `before_merge`, when given, runs after the fetch with the id about to be
  // merged; a non-ok status stops the pull there (the fetch stands).
  Result<PullResult> Pull(
      const std::string& remote, const std::optional<std::string>& branch,
      const MergeRequest& request, const FetchOptions& options,
      const std::function<Status(const std::string& theirs)>& before_merge = {});
  // Fetch, merge REMOTE/BRANCH into the current branch (request: strategy,
  // author...), push the result back; with dry_run only fetches into the
  // quarantine and reports what each side would receive, changing neither.
  Result<SyncResult> Sync(const std::string& remote, const std::optional<std::string>& branch,
                          const MergeRequest& request, bool dry_run, const FetchOptions& fetch);

  // --- projection (repo/projection.cc) -----------------------------------------
  // Under the perspective in use: the projected version of `rev`, a version
  // whose state is the perspective's view of `rev`'s state, with the delta
  // between projected states, the same author, committer, time, labels and
  // message (composed messages seen as SeeMessageThrough shows them), and
  // the projections of its parents as parents. Versions whose view equals
  // their first parent's projection are left out (their projection is their
  // first parent's). The mapping is a pure function of the history and the
  // perspective's definition: projecting again gives the same ids, on any
  // site. nullopt when nothing in `rev`'s history is visible. The objects are
  // written to our store (unreferenced); the mapping is remembered in
  // .strata/projections/<perspective id>. InvalidArgument without a perspective.
  Result<std::optional<std::string>> Project(const std::string& rev);

  // --- events and hooks (repo/events.cc; strata/events.h, docs/events.md) --------
  // Calls `handler` with every event `filter` lets through, after its ref
  // moved, until the connection is disconnected or destroyed. Events come
  // from every transaction of this Repository object (other processes'
  // writes are not seen: that is `strata watch`). The thread-safety promise
  // is in strata/events.h.
  EventConnection Subscribe(EventFilter filter, EventHandler handler);
  // Where failures that cannot change a result go: a post-* hook that
  // failed or a subscriber that threw. Default: nowhere.
  void SetEventReporter(EventReporter reporter);
  // Whether writes through this object run the hooks in .strata/hooks/
  // (repo/hooks.h). Default true: library writes run them, as the CLI's do.
  void SetRunHooks(bool run);

  // --- care ------------------------------------------------------------------
  // Checks every ref (each names a version that exists), every version
  // reachable from one (its commit, parents and objects are present, and its
  // delta applied to its first parent's state gives its state), every object
  // (it hashes to its id), and looks for what interrupted writers leave
  // (lock files, temporary packs: notes, not problems), saying how to
  // remove each.
  Result<VerifyReport> Verify();
  // Every violation of the `.schemas` in the state `rev` names, by any of
  // its documents, sorted by document (strata/schemas.h); empty when the state
  // satisfies them or has no `.schemas`. NotFound / InvalidArgument name
  // `rev`; InvalidArgument if its `.schemas` cannot be compiled.
  Result<std::vector<SchemaViolation>> Validate(const std::string& rev = "HEAD");
  // Packs every object worth keeping into one pack with deltas and removes
  // the loose objects and packs it replaced (strata/gc.h has the steps and
  // what is kept; docs/gc.md the rules). Safe to kill at any point. With
  // options.auto_mode, runs only past the thresholds and skips (ran false,
  // `skipped` says why) when another gc runs; otherwise Conflict then.
  // Every write (Write and what is built on it) runs it in auto mode once
  // its ref has moved; a failure there is reported, never the write's.
  Result<GcReport> Gc(const GcOptions& options);
  // Upgrades a format-1, -2 or -3 repository to kFormatVersion
  // (repo/upgrade.cc; docs/format.md, "Format versions"): on each branch whose
  // head state or metadata is stored otherwise than the new format stores it
  // (large arrays as blobs, object nodes sharded 256 ways, a blob per member
  // where format 4 has leaves), writes one version "upgrade to format 4"
  // (empty delta: the same documents) whose trees are encoded as
  // a new repository encodes them, so the same state has the same ids as
  // there; then sets strata.formatVersion. Branches already upgraded are left alone, so
  // an interrupted upgrade is finished by running it again. Nothing to do
  // (already at kFormatVersion) is not an error: from == to, no branches.
  Result<UpgradeReport> Upgrade(const UpgradeOptions& options);
  // Squashes the old versions of a branch into one base version and copies
  // the newer ones on top of it (strata/prune.h has the rules; docs/prune.md).
  // InvalidArgument unless exactly one of keep (>= 1) and before is set;
  // NotFound for an unknown branch; Unchanged when nothing is old enough;
  // Conflict for a merge in progress on the branch, or for history a remote
  // already has without options.force. With dry_run, the plan only: nothing
  // is written. Otherwise every ref moves in one transaction.
  Result<PruneReport> Prune(const PruneOptions& options);

 private:
  friend class Snapshot;
  friend class Worktree;  // repo/worktree.cc: hashes folder files with the object store
  friend struct RepositoryTestAccess;
  // Everything libgit2 (the git_repository, the object store), the
  // perspective in use, the transaction hooks and the subscribers:
  // repo/repository_impl.h. Also the private steps that take libgit2 types.
  struct Impl;
  // A version built and on disk, whose ref has not moved yet (write.cc).
  struct Built {
    ObjectId commit;
    VersionInfo version;
    strata::Patch delta;
    // Whether delta's values were dropped (nulls) to bound memory: a large
    // write's delta is stored whole, but kept here as paths only.
    bool delta_values_dropped = false;
    std::size_t objects = 0;
    std::uint64_t bytes = 0;
  };

  explicit Repository(std::unique_ptr<Impl> impl);
  static Result<std::unique_ptr<Repository>> OpenGitDir(const std::string& dir);

  Result<Signature> ResolveAuthor(const CommitOptions& options);
  // Makes the new state tree from the head's (nullopt: empty), staging its objects.
  using StateFn = std::function<Result<ObjectId>(const std::optional<ObjectId>& head_state)>;
  // Write's steps with the state made by `make_state` (run again on the
  // head another writer left); Write and ImportFrom call it.
  // `hints`, filled by make_state, spare the delta reading back what it
  // edited (objects/tree_diff.h).
  Result<WriteResult> WriteState(const StateFn& make_state, const MessageFn& describe,
                                 const CommitOptions& options, DiffHints* hints = nullptr);
  // Builds a version on `head` (its first parent); `extra_parents` follow it
  // (a merge's theirs), and with them an unchanged state is a version too.
  // `stage_only`: its objects stay staged for the transaction to make
  // durable (RefTransaction::StagedObjects) instead of a fsynced pack.
  Result<Built> Build(const std::optional<ObjectId>& head, const StateFn& make_state,
                      const MessageFn& describe, const CommitOptions& options,
                      const Signature& author, std::int64_t time,
                      const std::optional<Snapshot>& expected,
                      const std::vector<ObjectId>& extra_parents = {}, DiffHints* hints = nullptr,
                      bool stage_only = false);
  // Push to a local repository: moves its branch `dest` from `expected` to
  // `target` (whose objects sit under ref `landing` there) by compare-and-
  // swap under its write lock, and drops `landing`. Conflict if it moved.
  Status MoveLocalRemoteBranch(const std::string& url, const std::string& landing,
                               const std::string& dest, const std::optional<ObjectId>& expected,
                               const ObjectId& target);
  Result<MergeOutcome> RunMerge(MergeKind kind, const std::string& rev,
                                const MergeRequest& request);
  Status CheckNoMergeInProgress(const std::string& ref, const std::string& name);
  // --- perspectives (repo/views.cc) ---
  // The view of `state` under the perspective in use (itself with none),
  // computed once and remembered in .strata/views (repo/views.h).
  Result<ObjectId> ViewState(const ObjectId& state);
  // Under a perspective: InvalidArgument unless the write from state `base`
  // to `next` leaves every document and value it hides as it was.
  Status CheckPerspectiveWrite(const std::optional<ObjectId>& base, const ObjectId& next,
                               const std::vector<std::string>& touched);
  // Under a perspective: conflicts as its reader may see them (hidden
  // documents and values dropped, masked ones "***").
  void FilterConflicts(std::vector<MergeConflict>& conflicts) const;
  // Whether the perspective in use (if any) lets its reader see conflict `c`.
  bool ConflictSeen(const MergeConflict& c) const;
  // "config/app1 /db/pool, ..." for messages: the conflicts the reader may
  // see, and how many more the perspective hides.
  std::string DescribeConflictsSeen(std::vector<MergeConflict> conflicts) const;
  // Labels, message and time, checked before any work (InvalidArgument).
  Status CheckCommitOptions(const CommitOptions& options);
  // Verify's step 5: each record of .strata/version-index for one of
  // `versions` agrees with its commit (repo/version_index.h).
  void CheckVersionIndex(const std::vector<ObjectId>& versions, VerifyReport& report);

  // --- events and hooks (repo/events.cc) ---
  // Installs BeforeRefsMove and AfterRefsMoved as the transaction hooks'
  // prepare and committed (the constructor calls it).
  void InstallEventHooks();
  // Runs pre-commit for each update that writes a version; its refusal
  // refuses the transaction. Looks for .strata/hooks once (one stat).
  Status BeforeRefsMove(const std::vector<RefUpdate>& updates);
  // Delivers each move's event to the subscribers and runs the post-* hooks.
  void AfterRefsMoved(const std::vector<RefUpdate>& updates);
  Event BuildEvent(const RefUpdate& update, EventKind kind);
  // The path of hook `name` if it is an executable file; reports one that is not.
  std::optional<std::string> ExecutableHook(const std::string& name) const;
  void Report(const std::string& message) const;

  std::unique_ptr<Impl> impl_;
};

}  // namespace strata
