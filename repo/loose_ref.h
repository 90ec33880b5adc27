// Moving a loose ref with git's own lock protocol, for the common case of a
// write: an existing loose ref (refs/heads/main) set by compare-and-swap.
//
// libgit2 1.5 with GIT_OPT_ENABLE_FSYNC_GITDIR fsyncs every reflog it
// appends to and that reflog's folder (4 fsync calls for a branch HEAD
// names), as well as the ref. git's core.fsync=committed covers refs and
// objects, not reflogs; this does what git does:
//
//   1. create GITDIR/REF.lock with O_CREAT|O_EXCL (git and libgit2 writers
//      take the same lock, so they are excluded);
//   2. read REF under the lock and compare it with the expected id;
//   3. write "HEX\n" into the lock file and fsync it;
//   4. append one line to logs/REF, and to logs/HEAD when HEAD names REF,
//      without fsync (git's order: the reflog before the rename);
//   5. rename the lock file over REF and fsync REF's folder.
//
// Two fsync calls, or none when the caller's `durable` made the move durable
// through the write journal (repo/journal.h). A reflog line is
//   OLD-HEX SP NEW-HEX SP NAME SP "<" EMAIL ">" SP SECONDS SP (+|-)HHMM TAB MESSAGE LF
// exactly as libgit2 writes it (the committer from user.name/user.email,
// else "unknown <unknown>"; newlines in the message become spaces, trailing
// white space is dropped), honouring core.logAllRefUpdates as libgit2 does.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "objects/git.h"
#include "strata/status.h"

namespace strata {

enum class LooseRefOutcome {
  kMoved,          // the ref moved (its reflogs appended)
  kRefMoved,       // the ref no longer had the expected id: nothing changed
  kLocked,         // REF.lock exists: nothing changed (the caller may clear it and retry)
  kNotApplicable,  // not a plain loose ref (packed only, symbolic, a linked worktree's):
                   // nothing changed; move it through libgit2
};

// Moves `ref` (a name under "refs/") from `expected` to `target`, as above.
// IOError, naming the file, when a write, fsync or rename fails; the lock
// file is removed and nothing moved, except when only the final fsync of
// the folder failed: then the error says the ref moved and that the move
// may not survive a crash.
//
// `durable`, when given, is called in step 3 once the lock file holds the
// new id, with the inodes of REF and of the lock file (which becomes REF):
// it returns true when it has made the move durable another way (a write
// journal's record, repo/journal.h), and then neither the lock file nor
// the folder is fsynced; false, and the two fsyncs are made as above.
// `config`: the config snapshot core.logAllRefUpdates and the reflog's
// user.name/user.email are read from (null: one is taken).
using DurableMove = std::function<Result<bool>(std::uint64_t ref_inode, std::uint64_t lock_inode)>;
Result<LooseRefOutcome> SetLooseRef(git_repository* repo, const std::string& ref,
                                    const ObjectId& expected, const ObjectId& target,
                                    const std::string& message,
                                    const DurableMove& durable = nullptr,
                                    git_config* config = nullptr);

// The reflog line libgit2 writes for a move of a ref from `old_id` to
// `new_id` by `who` with `message` (format above), newline included.
std::string ReflogLine(const ObjectId& old_id, const ObjectId& new_id, const git_signature& who,
                       const std::string& message);

}  // namespace strata
