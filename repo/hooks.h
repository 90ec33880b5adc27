// Hooks: programs in .strata/hooks/ that strata runs around ref moves, as
// git runs .git/hooks/ (docs/events.md has the names and what each gets).
//
// A hook is .strata/hooks/NAME, run if it exists and is executable, in its
// own process group, with:
//   stdin   the event as JSON (strata/events.h); a hook need not read it
//   cwd     the folder that holds .strata
//   env     the caller's, plus STRATA_DIR=<the .strata folder>, STRATA_HOOK=NAME
// Its stdout and stderr are captured. Past the time limit (git config
// strata.hookTimeout, seconds; 0: none) its whole process group gets
// SIGTERM, then SIGKILL a second later, and the run counts as failed.
#pragma once

#include <optional>
#include <string>

#include "objects/git.h"
#include "strata/status.h"

namespace strata {

inline constexpr int kDefaultHookTimeoutSeconds = 60;

// strata.hookTimeout from the repository's config: the default when unset;
// InvalidArgument quoting a value that is not a whole number of seconds >= 0.
Result<int> HookTimeout(git_repository* repo);

struct HookRun {
  bool started = false;    // false: it could not be started (`error` says why)
  bool timed_out = false;  // killed for running past the limit
  int exit_code = -1;      // when it exited
  int signal = 0;          // when a signal ended it
  std::string out, err;    // what it wrote (each kept up to 1 MiB)
  std::string error;       // why it could not start
  bool ok() const { return started && !timed_out && signal == 0 && exit_code == 0; }
};

// How it failed: "exit 3", "killed after the 60-second time limit,
// strata.hookTimeout", "killed by signal 9 (Killed)", "cannot start: ...".
std::string DescribeHookFailure(const HookRun& run, int timeout_seconds);
// What it wrote to stderr (else stdout), trimmed; "" if nothing.
std::string HookOutput(const HookRun& run);

// Where hook NAME of the repository at `git_dir` would be.
std::string HookPath(const std::string& git_dir, const std::string& name);

// Runs the executable `path` as hook `name` with `input` on stdin, in
// `cwd`, with STRATA_DIR=`git_dir`; `timeout_seconds` 0: no limit. Never
// fails: what went wrong is in the HookRun. A hook that exits without
// reading its input does not stop us (SIGPIPE is held off while we write).
HookRun RunHook(const std::string& path, const std::string& name, const std::string& git_dir,
                const std::string& cwd, const std::string& input, int timeout_seconds);

}  // namespace strata
