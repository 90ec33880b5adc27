// Commands run inside a working folder (strata/worktree.h): status, commit,
// restore, and diff, switch, pull and merge --continue with no revision.
#pragma once

#include <memory>

#include "cli/command.h"
#include "strata/worktree.h"

namespace strata::cli {

// The working folder the current folder is in, opened on the context's
// repository (found through the folder's record); nullptr outside one.
Result<std::unique_ptr<Worktree>> OpenWorktree(Context& ctx);

// The folder's branch when the current folder is in one, else nullopt.
std::optional<std::string> WorktreeBranch(Context& ctx);

// "not in a working folder" for commands that need one.
Status NotInWorktree(const std::string& command);

}  // namespace strata::cli
