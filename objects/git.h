// RAII owners for libgit2 handles, and the conversion of libgit2 errors into
// Status. Business code never calls git_*_free itself.
#pragma once

#include <git2.h>
#include <git2/sys/odb_backend.h>

#include <cstring>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "strata/object_id.h"
#include "strata/status.h"

namespace strata {

// Initialises libgit2 once per process, with fsync of objects and refs on:
// an acknowledged version must survive a power loss.
void EnsureLibgit2();

// Does the network set-up that EnsureLibgit2 left undone (see objects/git.cc,
// "Start-up without TLS"): initialises libssh2 and loads the TLS certificate
// authorities: the system's, or those GIT_SSL_CAINFO (a file) and
// GIT_SSL_CAPATH (a folder) name, as for git. Every network transport calls
// it before it connects; it costs nothing after the first call. An error
// (a named file that cannot be read) is returned to every call.
Status EnsureTransports();

// Whether libssh2's initialisation is still waiting for EnsureTransports:
// true after EnsureLibgit2 in a process that has not yet reached a network
// transport, when strata's libssh2_init is the one libgit2 calls.
bool SshSetUpDeferred();

// Whether mbedTLS's random generator (entropy pool and seeding) is still
// waiting for EnsureTransports, likewise.
bool RngSetUpDeferred();

// Status for a failed libgit2 call: the last libgit2 error, prefixed by `what`.
// Corruption if that error came from SetGitCorruptionError; ResourceExhausted
// if it is out of memory (GIT_ERROR_NOMEMORY).
Status GitError(int code, std::string_view what);

// Whether libgit2's last error is the system's refusal, not the
// repository's fault: an open, read or map that failed (GIT_ERROR_OS, as
// libgit2's packs and strata's loose backend set it; too many open files,
// say) or memory (GIT_ERROR_NOMEMORY). The object may well be whole; what
// to say is the system's reason, not "missing or damaged".
bool GitErrorIsSystem();

// For callbacks strata gives libgit2 (objects/loose_backend.h): makes
// `message` libgit2's last error, marked as corruption so that GitError says
// Corruption rather than IOError. Returns GIT_ERROR, for the callback to return.
int SetGitCorruptionError(const std::string& message);

// For an object database backend's read: hands `data` to libgit2 in a
// buffer it frees (git_odb_backend_data_alloc; NUL-terminated, as libgit2's
// own backends leave object data), with its length and `type`. 0, or
// GIT_ERROR with libgit2's out-of-memory error.
int HandOverObject(git_odb_backend* backend, std::string_view data, git_object_t type, void** out,
                   size_t* len, git_object_t* type_out);

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

// Object ids: ObjectId (strata/object_id.h) is a plain 20-byte value; these
// convert it to and from libgit2's git_oid by copying the bytes (no type
// punning).
static_assert(sizeof(git_oid::id) == ObjectId::kSize, "git_oid is a 20-byte SHA-1 id");

inline ObjectId FromGit(const git_oid& oid) {
  ObjectId id;
  std::memcpy(id.bytes, oid.id, ObjectId::kSize);
  return id;
}
inline git_oid ToGit(const ObjectId& id) {
  git_oid oid;
  std::memcpy(oid.id, id.bytes, ObjectId::kSize);
  return oid;
}

// A git_oid copy of an id, to hand to a libgit2 call as a pointer for the
// length of one full expression: `git_commit_lookup(&c, repo, AsGit(id))`.
// Made from a non-const id, it also copies back what libgit2 wrote when the
// expression ends, so an id can be an out-parameter:
// `git_oid_fromstr(AsGit(id), hex)`.
class GitOidArg {
 public:
  explicit GitOidArg(const ObjectId& id) : oid_(ToGit(id)) {}
  explicit GitOidArg(ObjectId& id) : oid_(ToGit(id)), out_(&id) {}
  GitOidArg(const GitOidArg&) = delete;
  GitOidArg& operator=(const GitOidArg&) = delete;
  ~GitOidArg() {
    if (out_ != nullptr) *out_ = FromGit(oid_);
  }
  operator git_oid*() { return &oid_; }

 private:
  git_oid oid_;
  ObjectId* out_ = nullptr;
};
inline GitOidArg AsGit(const ObjectId& id) { return GitOidArg(id); }
inline GitOidArg AsGit(ObjectId& id) { return GitOidArg(id); }

}  // namespace strata
