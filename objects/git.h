// RAII owners for libgit2 handles, and the conversion of libgit2 errors into
// Status. Business code never calls git_*_free itself.
#pragma once

#include <git2.h>

#include <cstring>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "strata/status.h"

namespace strata {

// Initialises libgit2 once per process, with fsync of objects and refs on:
// an acknowledged version must survive a power loss.
void EnsureLibgit2();

// Status for a failed libgit2 call: the last libgit2 error, prefixed by `what`.
// Corruption if that error came from SetGitCorruptionError.
Status GitError(int code, std::string_view what);

// For callbacks strata gives libgit2 (objects/loose_backend.h): makes
// `message` libgit2's last error, marked as corruption so that GitError says
// Corruption rather than IOError. Returns GIT_ERROR, for the callback to return.
int SetGitCorruptionError(const std::string& message);

#define STRATA_GIT(expr, what)                           \
  do {                                                   \
    int _rc = (expr);                                    \
    if (_rc < 0) return ::strata::GitError(_rc, (what)); \
  } while (0)

template <typename T, void (*Free)(T*)>
struct GitDeleter {
  void operator()(T* p) const {
    if (p) Free(p);
  }
};
template <typename T, void (*Free)(T*)>
using GitPtr = std::unique_ptr<T, GitDeleter<T, Free>>;

using RepositoryPtr = GitPtr<git_repository, git_repository_free>;
using OdbPtr = GitPtr<git_odb, git_odb_free>;
using OdbObjectPtr = GitPtr<git_odb_object, git_odb_object_free>;
using TreePtr = GitPtr<git_tree, git_tree_free>;
using CommitPtr = GitPtr<git_commit, git_commit_free>;
using ObjectPtr = GitPtr<git_object, git_object_free>;
using ReferencePtr = GitPtr<git_reference, git_reference_free>;
using RevwalkPtr = GitPtr<git_revwalk, git_revwalk_free>;
using SignaturePtr = GitPtr<git_signature, git_signature_free>;
using ConfigPtr = GitPtr<git_config, git_config_free>;
using PackBuilderPtr = GitPtr<git_packbuilder, git_packbuilder_free>;
using ReflogPtr = GitPtr<git_reflog, git_reflog_free>;

// A git_buf that frees itself.
struct GitBuf {
  git_buf buf = GIT_BUF_INIT;
  GitBuf() = default;
  GitBuf(const GitBuf&) = delete;
  GitBuf& operator=(const GitBuf&) = delete;
  ~GitBuf() { git_buf_dispose(&buf); }
};

// Object ids as values.
struct ObjectId {
  git_oid oid{};
  ObjectId() = default;
  explicit ObjectId(const git_oid& o) : oid(o) {}
  std::string Hex() const {
    char s[GIT_OID_HEXSZ + 1];
    git_oid_tostr(s, sizeof s, &oid);
    return s;
  }
  friend bool operator==(const ObjectId& a, const ObjectId& b) {
    return git_oid_equal(&a.oid, &b.oid);
  }
  friend bool operator<(const ObjectId& a, const ObjectId& b) {
    return git_oid_cmp(&a.oid, &b.oid) < 0;
  }
};

}  // namespace strata

// Ids are hashes already: their first bytes are as good a hash as any.
template <>
struct std::hash<strata::ObjectId> {
  std::size_t operator()(const strata::ObjectId& id) const noexcept {
    std::size_t h;
    std::memcpy(&h, id.oid.id, sizeof h);
    return h;
  }
};
