// What tests reach that the public facade (strata/repository.h) does not
// offer. Repository befriends RepositoryTestAccess; only tests include this.
#pragma once

#include "repo/transaction.h"
#include "strata/repository.h"

namespace strata {

struct RepositoryTestAccess {
  // The per-update hook points every ref move runs (repo/transaction.h):
  // `hooks.pre_commit` and `hooks.post_commit`, empty by default. The
  // events layer keeps its own (prepare, committed); those of `hooks` are
  // ignored.
  static void SetTransactionHooks(Repository& repo, const TransactionHooks& hooks);
};

}  // namespace strata
