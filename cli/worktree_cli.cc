#include "cli/worktree_cli.h"

namespace strata::cli {

Result<std::unique_ptr<Worktree>> OpenWorktree(Context& ctx) {
  std::optional<std::string> dir = Worktree::Find(".");
  if (!dir) return std::unique_ptr<Worktree>();
  STRATA_ASSIGN_OR_RETURN(Repository * repo, ctx.Repo());
  return Worktree::Open(*repo, *dir);
}

std::optional<std::string> WorktreeBranch(Context& ctx) {
  Result<std::unique_ptr<Worktree>> wt = OpenWorktree(ctx);
  if (!wt.ok() || !*wt) return std::nullopt;
  return (*wt)->record().branch;
}

Status NotInWorktree(const std::string& command) {
  return Status::NotFound("'strata " + command +
                          "' works in a working folder, and this is not one (make one with "
                          "'strata worktree add DIR')");
}

}  // namespace strata::cli
