// Sync between sites (strata/repository.h, "sync"; strata/remote.h has the model):
// remotes, fetch through a quarantine, push with a fast-forward check,
// clone, pull and sync.
#include "strata/remote.h"

#include <fcntl.h>
#include <git2.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include "objects/guard.h"
#include "objects/loose_backend.h"
#include "objects/tree_diff.h"
#include "repo/incoming.h"
#include "repo/refs.h"
#include "repo/repository_impl.h"
#include "repo/send_pack.h"
#include "repo/transaction.h"
#include "repo/transport.h"
#include "repo/version_tree.h"
#include "strata/repository.h"

namespace strata {
namespace {

namespace fs = std::filesystem;

using RemotePtr = GitPtr<git_remote, git_remote_free>;
using RefIteratorPtr = GitPtr<git_reference_iterator, git_reference_iterator_free>;

constexpr std::string_view kHeads = "refs/heads/";
constexpr std::string_view kTags = "refs/tags/";
constexpr int kRefRetries = 8;

bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

bool HasScheme(const std::string& url) { return url.find("://") != std::string::npos; }

// "host:path" or "user@host:path", git's scp-like ssh syntax: a ':' before
// any '/', and not a Windows drive letter.
bool IsScpLike(const std::string& url) {
  if (HasScheme(url)) return false;
  const std::size_t colon = url.find(':');
  if (colon == std::string::npos || colon < 2) return false;
  const std::size_t slash = url.find('/');
  return slash == std::string::npos || colon < slash;
}

bool IsLocalPath(const std::string& url) { return !HasScheme(url) && !IsScpLike(url); }

// The URL without a password, for messages: "https://ann@host/x".
std::string DisplayUrl(const std::string& url) {
  const std::size_t scheme = url.find("://");
  if (scheme == std::string::npos) return url;
  const std::size_t start = scheme + 3;
  const std::size_t end = url.find('/', start);
  const std::size_t at = url.rfind('@', end == std::string::npos ? url.size() : end);
  if (at == std::string::npos || at < start) return url;
  const std::size_t colon = url.find(':', start);
  if (colon == std::string::npos || colon > at) return url;
  return url.substr(0, colon) + url.substr(at);
}

bool HasPassword(const std::string& url) { return DisplayUrl(url) != url; }

// The URL handed to libgit2: a local folder that holds a .strata repository
// means that repository (the folder itself is not one).
std::string TransportUrl(const std::string& url) {
  std::string path;
  const bool file_scheme = StartsWith(url, "file://");
  if (file_scheme) {
    path = url.substr(7);
  } else if (IsLocalPath(url)) {
    path = url;
  } else {
    return url;
  }
  std::error_code ec;
  fs::path p(path);
  if (fs::is_directory(p / ".strata", ec)) p /= ".strata";
  return file_scheme ? "file://" + p.string() : p.string();
}

// A relative local path is kept as an absolute one, so the remote works
// from any folder.
std::string StoredUrl(const std::string& url) {
  if (!IsLocalPath(url)) return url;
  std::error_code ec;
  fs::path abs = fs::absolute(url, ec);
  return ec ? url : abs.lexically_normal().string();
}

std::string ShortId(const std::string& hex) { return hex.substr(0, 12); }

// `status` with every control character in its message written as \xNN:
// libgit2's errors quote what the remote sent (a ref name, say), and a
// remote must not write raw bytes to the user's terminal.
Status Printable(const Status& status) {
  if (status.ok()) return status;
  std::string out;
  for (unsigned char c : status.message()) {
    if (c < 0x20 || c == 0x7f) {
      static const char* hex = "0123456789abcdef";
      out += "\\x";
      out += hex[c >> 4];
      out += hex[c & 15];
    } else {
      out += static_cast<char>(c);
    }
  }
  return Status(status.code(), out);
}

std::optional<std::string> ConfigString(git_repository* repo, const std::string& key) {
  git_config* raw = nullptr;
  if (git_repository_config_snapshot(&raw, repo) < 0) {
    git_error_clear();
    return std::nullopt;
  }
  ConfigPtr cfg(raw);
  const char* value = nullptr;
  if (git_config_get_string(&value, cfg.get(), key.c_str()) < 0) {
    git_error_clear();
    return std::nullopt;
  }
  return std::string(value);
}

Result<std::uint64_t> ConfigSize(git_repository* repo, const std::string& key,
                                 std::uint64_t fallback) {
  git_config* raw = nullptr;
  STRATA_GIT(git_repository_config_snapshot(&raw, repo), "cannot read the repository config");
  ConfigPtr cfg(raw);
  int64_t value = 0;
  int rc = git_config_get_int64(&value, cfg.get(), key.c_str());
  if (rc == GIT_ENOTFOUND) {
    git_error_clear();
    return fallback;
  }
  if (rc < 0) return GitError(rc, "bad value for " + key + " in the repository config");
  if (value <= 0) return Status::InvalidArgument(key + " must be a positive number");
  return static_cast<std::uint64_t>(value);
}

Status SetConfig(git_repository* repo, const std::string& key, const std::string& value) {
  git_config* raw = nullptr;
  STRATA_GIT(git_repository_config(&raw, repo), "cannot open the repository config");
  ConfigPtr cfg(raw);
  STRATA_GIT(git_config_set_string(cfg.get(), key.c_str(), value.c_str()),
             "cannot write " + key + " to the repository config");
  return Status::Ok();
}

// Every direct ref under `prefix` ("refs/remotes/origin/"), name -> id.
Result<std::map<std::string, ObjectId>> ListRefs(git_repository* repo, const std::string& glob) {
  git_reference_iterator* raw = nullptr;
  STRATA_GIT(git_reference_iterator_glob_new(&raw, repo, glob.c_str()), "cannot list refs");
  RefIteratorPtr it(raw);
  std::map<std::string, ObjectId> out;
  git_reference* ref = nullptr;
  int rc;
  while ((rc = git_reference_next(&ref, it.get())) == 0) {
    ReferencePtr owned(ref);
    if (git_reference_type(ref) != GIT_REFERENCE_DIRECT) continue;
    out.emplace(git_reference_name(ref), FromGit(*git_reference_target(ref)));
  }
  if (rc != GIT_ITEROVER) return GitError(rc, "cannot list refs");
  git_error_clear();
  return out;
}

Result<bool> DescendantOf(git_repository* repo, const ObjectId& commit, const ObjectId& ancestor) {
  if (commit == ancestor) return true;
  int rc = git_graph_descendant_of(repo, AsGit(commit), AsGit(ancestor));
  if (rc < 0)
    return GitError(rc,
                    "cannot compare " + ShortId(commit.Hex()) + " with " + ShortId(ancestor.Hex()));
  return rc == 1;
}

// --- the quarantine ------------------------------------------------------------

bool ProcessAlive(pid_t pid) { return pid > 0 && (kill(pid, 0) == 0 || errno == EPERM); }

// A folder under .strata/incoming that a fetch downloads into: a bare
// repository whose object database reads its own objects and ours, and
// whose refs are ours (so the remote sends only what we lack). Removed when
// it goes out of scope; one left by a killed process is removed by the next
// fetch.
struct Quarantine {
  fs::path dir;
  RepositoryPtr repo;
  std::unique_ptr<ObjectStore> store;

  Quarantine() = default;
  Quarantine(const Quarantine&) = delete;
  Quarantine& operator=(const Quarantine&) = delete;
  ~Quarantine() {
    store.reset();
    repo.reset();
    std::error_code ec;
    if (!dir.empty()) fs::remove_all(dir, ec);
  }
};

void RemoveStaleQuarantines(const fs::path& incoming) {
  std::error_code ec;
  for (fs::directory_iterator it(incoming, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    // q-<pid>-<n>
    if (!StartsWith(name, "q-")) continue;
    const pid_t pid = static_cast<pid_t>(std::atol(name.c_str() + 2));
    if (pid == getpid() || ProcessAlive(pid)) continue;
    std::error_code rm;
    fs::remove_all(it->path(), rm);
  }
}

Status WritePackedRefs(git_repository* ours, const fs::path& dir) {
  STRATA_ASSIGN_OR_RETURN(auto refs, ListRefs(ours, "refs/*"));
  std::string text = "# pack-refs with: sorted \n";
  for (const auto& [name, id] : refs) {
    if (!StartsWith(name, "refs/heads/") && !StartsWith(name, "refs/remotes/") &&
        !StartsWith(name, "refs/tags/")) {
      continue;
    }
    text += id.Hex() + " " + name + "\n";
  }
  std::ofstream out(dir / "packed-refs", std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  if (!out) return Status::IOError("cannot write " + (dir / "packed-refs").string());
  return Status::Ok();
}

Result<std::unique_ptr<Quarantine>> OpenQuarantine(git_repository* ours,
                                                   const std::string& git_dir) {
  static std::atomic<int> counter{0};
  const fs::path incoming = fs::path(git_dir) / "incoming";
  std::error_code ec;
  fs::create_directories(incoming, ec);
  if (ec) return Status::IOError("cannot create " + incoming.string() + ": " + ec.message());
  RemoveStaleQuarantines(incoming);
  auto q = std::make_unique<Quarantine>();
  q->dir = incoming / ("q-" + std::to_string(getpid()) + "-" + std::to_string(counter++));
  fs::remove_all(q->dir, ec);
  git_repository_init_options opts = GIT_REPOSITORY_INIT_OPTIONS_INIT;
  opts.flags =
      GIT_REPOSITORY_INIT_BARE | GIT_REPOSITORY_INIT_MKPATH | GIT_REPOSITORY_INIT_NO_REINIT;
  git_repository* raw = nullptr;
  STRATA_GIT(git_repository_init_ext(&raw, q->dir.c_str(), &opts),
             "cannot create the fetch quarantine " + q->dir.string());
  q->repo.reset(raw);
  STRATA_ASSIGN_OR_RETURN(q->store, ObjectStore::Open(q->repo.get()));
  // Our objects, read as alternates (never written: the fetch's pack goes
  // to the quarantine's own pack folder).
  const std::string objects = git_dir + "/objects";
  git_odb* odb = nullptr;
  STRATA_GIT(git_repository_odb(&odb, q->repo.get()), "cannot open the quarantine's objects");
  OdbPtr odb_owned(odb);
  git_odb_backend* packs = nullptr;
  STRATA_GIT(git_odb_backend_pack(&packs, objects.c_str()), "cannot open the packs in " + objects);
  if (int rc = git_odb_add_alternate(odb, packs, 2); rc < 0) {
    packs->free(packs);
    return GitError(rc, "cannot read our packs from the quarantine");
  }
  STRATA_ASSIGN_OR_RETURN(git_odb_backend * loose, NewLooseBackend(objects));
  if (int rc = git_odb_add_alternate(odb, loose, 1); rc < 0) {
    loose->free(loose);
    return GitError(rc, "cannot read our loose objects from the quarantine");
  }
  STRATA_RETURN_IF_ERROR(WritePackedRefs(ours, q->dir));
  return q;
}

Status FsyncDir(const fs::path& dir) {
  int fd = open(dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (fd < 0) return Status::IOError("cannot open " + dir.string() + " to sync it");
  int rc = fsync(fd);
  close(fd);
  if (rc != 0) return Status::IOError("cannot sync " + dir.string());
  return Status::Ok();
}

// Moves the quarantine's packs (and any loose objects) into ours: each
// pack before its index, so a reader never finds an index without its pack.
Status AdoptObjects(const Quarantine& q, const std::string& git_dir) {
  const fs::path from = q.dir / "objects";
  const fs::path to = fs::path(git_dir) / "objects";
  std::error_code ec;
  std::vector<fs::path> packs;
  for (fs::directory_iterator it(from / "pack", ec), end; !ec && it != end; it.increment(ec)) {
    if (it->path().extension() == ".pack") packs.push_back(it->path());
  }
  fs::create_directories(to / "pack", ec);
  bool moved = false;
  for (const fs::path& pack : packs) {
    fs::path idx = pack;
    idx.replace_extension(".idx");
    if (!fs::exists(idx, ec)) continue;  // an index the indexer never finished
    for (const fs::path& file : {pack, idx}) {
      const fs::path dest = to / "pack" / file.filename();
      if (fs::exists(dest, ec)) continue;
      fs::rename(file, dest, ec);
      if (ec) return Status::IOError("cannot move " + file.string() + ": " + ec.message());
      moved = true;
    }
  }
  for (fs::directory_iterator it(from, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string fan = it->path().filename().string();
    if (fan.size() != 2 || !it->is_directory()) continue;
    for (fs::directory_iterator o(it->path(), ec), oend; !ec && o != oend; o.increment(ec)) {
      const fs::path dest = to / fan / o->path().filename();
      std::error_code e2;
      if (fs::exists(dest, e2)) continue;
      fs::create_directories(to / fan, e2);
      fs::rename(o->path(), dest, e2);
      if (e2) return Status::IOError("cannot move " + o->path().string() + ": " + e2.message());
      STRATA_RETURN_IF_ERROR(FsyncDir(to / fan));
    }
  }
  if (moved) STRATA_RETURN_IF_ERROR(FsyncDir(to / "pack"));
  return Status::Ok();
}

// What a download left in the quarantine.
struct Download {
  std::unique_ptr<Quarantine> q;
  std::vector<IncomingRef> refs;  // the remote's branches and tags
  std::optional<std::string> default_branch;
  TransferStats stats;
};

const IncomingRef* FindRef(const std::vector<IncomingRef>& refs, const std::string& name) {
  for (const IncomingRef& r : refs)
    if (r.name == name) return &r;
  return nullptr;
}

// Connects to `url`, lists its branches and tags, checks their names, and
// downloads what we lack into a quarantine, checked by CheckIncoming.
Result<Download> DownloadInto(git_repository* ours, ObjectStore& our_store,
                              const std::string& git_dir, const std::string& url,
                              const FetchOptions& options) {
  IncomingLimits limits;
  STRATA_ASSIGN_OR_RETURN(limits.max_bytes,
                          ConfigSize(ours, "strata.fetchMaxBytes", limits.max_bytes));
  STRATA_ASSIGN_OR_RETURN(limits.max_objects,
                          ConfigSize(ours, "strata.fetchMaxObjects", limits.max_objects));
  Download d;
  STRATA_ASSIGN_OR_RETURN(d.q, OpenQuarantine(ours, git_dir));
  git_remote* raw = nullptr;
  STRATA_GIT(git_remote_create_anonymous(&raw, d.q->repo.get(), TransportUrl(url).c_str()),
             "invalid remote URL '" + DisplayUrl(url) + "'");
  RemotePtr remote(raw);
  TransportOptions topts;
  topts.progress = options.progress;
  topts.max_bytes = limits.max_bytes;
  TransportSession session(url, topts);
  const std::string where = "cannot fetch from " + DisplayUrl(url);
  if (int rc = git_remote_connect(remote.get(), GIT_DIRECTION_FETCH, &session.callbacks(), nullptr,
                                  nullptr);
      rc < 0) {
    Status s = GitError(rc, where);
    session.Finish(false);
    return Printable(session.Explain(s));
  }
  const git_remote_head** heads = nullptr;
  size_t count = 0;
  if (int rc = git_remote_ls(&heads, &count, remote.get()); rc < 0) {
    return Printable(GitError(rc, where));
  }
  bool need = false;
  for (size_t i = 0; i < count; ++i) {
    const std::string name = heads[i]->name;
    if (!StartsWith(name, kHeads) && !StartsWith(name, kTags)) continue;
    if (name.size() > 3 && name.compare(name.size() - 3, 3, "^{}") == 0) continue;
    STRATA_RETURN_IF_ERROR(Printable(CheckRemoteRefName(name).WithContext(where)));
    d.refs.push_back({name, FromGit(heads[i]->oid)});
    if (!our_store.Contains(d.refs.back().target)) need = true;
  }
  git_buf branch = GIT_BUF_INIT;
  if (git_remote_default_branch(&branch, remote.get()) == 0) {
    std::string b(branch.ptr, branch.size);
    if (StartsWith(b, kHeads)) d.default_branch = b.substr(kHeads.size());
  } else {
    git_error_clear();
  }
  git_buf_dispose(&branch);
  if (need) {
    git_fetch_options fo = GIT_FETCH_OPTIONS_INIT;
    fo.callbacks = session.callbacks();
    fo.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_NONE;
    fo.update_fetchhead = 0;
    const char* specs[] = {"+refs/heads/*:refs/strata-quarantine/heads/*",
                           "+refs/tags/*:refs/strata-quarantine/tags/*"};
    git_strarray refspecs = {const_cast<char**>(specs), 2};
    if (int rc = git_remote_download(remote.get(), &refspecs, &fo); rc < 0) {
      Status s = GitError(rc, where);
      session.Finish(false);
      if (session.received_bytes() > limits.max_bytes) {
        return Status::InvalidArgument(
            where + ": it sent more than strata.fetchMaxBytes allows (" +
            std::to_string(limits.max_bytes) +
            " bytes), so the transfer was stopped and nothing changed; raise the limit with "
            "'git --git-dir .strata config strata.fetchMaxBytes N' if the remote is trusted");
      }
      return Printable(session.Explain(s));
    }
    const git_indexer_progress* stats = git_remote_stats(remote.get());
    d.stats.objects = stats->received_objects;
    d.stats.bytes = stats->received_bytes;
    d.stats.local_objects = stats->local_objects;
  }
  session.Finish(true);
  git_remote_disconnect(remote.get());
  for (const IncomingRef& r : d.refs) {
    if (!our_store.Exists(r.target) && !d.q->store->Exists(r.target)) {
      return Status::Corruption(where + ": it advertised " + r.name + " at " +
                                ShortId(r.target.Hex()) + " but did not send that object");
    }
  }
  // What we had before the fetch: packed objects looked up in the pack
  // indexes, loose ones in one listing (not a file lookup per new object).
  STRATA_ASSIGN_OR_RETURN(std::unordered_set<ObjectId> loose, our_store.ListLoose());
  STRATA_RETURN_IF_ERROR(
      CheckIncoming(
          *d.q->store,
          [&](const ObjectId& id) { return loose.count(id) > 0 || our_store.ContainsPacked(id); },
          d.refs, limits)
          .WithContext(where));
  return d;
}

// The state tree of commit `id`, read through `repo` (nullopt: no commit).
Result<std::optional<ObjectId>> StateOf(git_repository* repo, ObjectStore& store,
                                        const std::optional<ObjectId>& id) {
  if (!id) return std::optional<ObjectId>();
  git_commit* raw = nullptr;
  STRATA_GIT(git_commit_lookup(&raw, repo, AsGit(*id)), "cannot read version " + id->Hex());
  CommitPtr commit(raw);
  STRATA_ASSIGN_OR_RETURN(VersionTrees trees, ReadVersionTrees(store, commit.get()));
  return std::optional<ObjectId>(trees.state);
}

Result<std::size_t> CountDocuments(ObjectStore& store, const std::optional<ObjectId>& state) {
  if (!state) return std::size_t{0};
  std::vector<MemberDiff> all;
  STRATA_RETURN_IF_ERROR(ChangedMembers(store, std::nullopt, state, all));
  return all.size();
}

// What the receiving side's state `before` became (`after`), in DiffSync's terms.
Result<SyncDirection> Summarize(ObjectStore& store, const std::optional<ObjectId>& before,
                                const std::optional<ObjectId>& after) {
  SyncDirection out;
  std::vector<MemberDiff> diffs;
  STRATA_RETURN_IF_ERROR(ChangedMembers(store, before, after, diffs));
  for (const MemberDiff& m : diffs) {
    if (!m.a) {
      out.created.push_back(m.key);
    } else if (!m.b) {
      out.deleted.push_back(m.key);
    } else {
      out.updated.push_back(m.key);
    }
  }
  STRATA_ASSIGN_OR_RETURN(std::size_t total, CountDocuments(store, before));
  out.unchanged = total - out.updated.size() - out.deleted.size();
  return out;
}

// Before a merge: what `receiver` would get from `sender`'s changes since
// `base` (the documents the sender changed that the receiver does not have
// as the sender has them). A document both changed counts as updated.
Result<SyncDirection> Predict(ObjectStore& store, const std::optional<ObjectId>& base,
                              const std::optional<ObjectId>& receiver,
                              const std::optional<ObjectId>& sender) {
  std::vector<MemberDiff> changed, differ;
  STRATA_RETURN_IF_ERROR(ChangedMembers(store, base, sender, changed));
  STRATA_RETURN_IF_ERROR(ChangedMembers(store, receiver, sender, differ));
  std::map<std::string, const MemberDiff*> by_key;
  for (const MemberDiff& m : differ) by_key.emplace(m.key, &m);
  SyncDirection out;
  for (const MemberDiff& m : changed) {
    auto it = by_key.find(m.key);
    if (it == by_key.end()) continue;   // the receiver has it as the sender does
    const MemberDiff& d = *it->second;  // a: receiver, b: sender
    if (!d.a) {
      out.created.push_back(m.key);
    } else if (!d.b) {
      out.deleted.push_back(m.key);
    } else {
      out.updated.push_back(m.key);
    }
  }
  STRATA_ASSIGN_OR_RETURN(std::size_t total, CountDocuments(store, receiver));
  out.unchanged = total - out.updated.size() - out.deleted.size();
  return out;
}

// --- push ------------------------------------------------------------------------

// The session's callbacks, with push's per-ref status and counts added
// (libgit2 reports a ref the server refused only through
// push_update_reference, never as an error).
struct PushCallbacks {
  git_remote_callbacks inner;
  git_remote_callbacks outer = GIT_REMOTE_CALLBACKS_INIT;
  std::vector<std::string> rejected;
  std::size_t objects = 0;
  std::uint64_t bytes = 0;

  // Connect through `link`'s smart transport (repo/send_pack.h).
  void UseLink(ReceivePackLink* link) {
    outer.transport = [](git_transport** out, git_remote* owner, void* p) {
      return GuardedCallback(
          "push", [&] { return static_cast<PushCallbacks*>(p)->link->MakeTransport(out, owner); });
    };
    this->link = link;
  }
  ReceivePackLink* link = nullptr;

  explicit PushCallbacks(const git_remote_callbacks& session) : inner(session) {
    outer.payload = this;
    if (inner.credentials) {
      outer.credentials = [](git_credential** out, const char* url, const char* user,
                             unsigned int types, void* p) {
        auto* self = static_cast<PushCallbacks*>(p);
        return self->inner.credentials(out, url, user, types, self->inner.payload);
      };
    }
    if (inner.certificate_check) {
      outer.certificate_check = [](git_cert* cert, int valid, const char* host, void* p) {
        auto* self = static_cast<PushCallbacks*>(p);
        return self->inner.certificate_check(cert, valid, host, self->inner.payload);
      };
    }
    if (inner.sideband_progress) {
      outer.sideband_progress = [](const char* str, int len, void* p) {
        auto* self = static_cast<PushCallbacks*>(p);
        return self->inner.sideband_progress(str, len, self->inner.payload);
      };
    }
    if (inner.pack_progress) {
      outer.pack_progress = [](int stage, uint32_t current, uint32_t total, void* p) {
        auto* self = static_cast<PushCallbacks*>(p);
        return self->inner.pack_progress(stage, current, total, self->inner.payload);
      };
    }
    if (inner.remote_ready) {  // the session resets its credentials per connection here
      outer.remote_ready = [](git_remote* remote, int direction, void* p) {
        auto* self = static_cast<PushCallbacks*>(p);
        return self->inner.remote_ready(remote, direction, self->inner.payload);
      };
    }
    if (inner.completion) {
      outer.completion = [](git_remote_completion_t type, void* p) {
        auto* self = static_cast<PushCallbacks*>(p);
        return self->inner.completion(type, self->inner.payload);
      };
    }
    if (inner.push_negotiation) {
      outer.push_negotiation = [](const git_push_update** updates, size_t len, void* p) {
        auto* self = static_cast<PushCallbacks*>(p);
        return self->inner.push_negotiation(updates, len, self->inner.payload);
      };
    }
    outer.push_transfer_progress = [](unsigned int current, unsigned int total, size_t bytes,
                                      void* p) {
      auto* self = static_cast<PushCallbacks*>(p);
      self->objects = total;
      self->bytes = bytes;
      (void)current;
      if (self->inner.push_transfer_progress) {
        return self->inner.push_transfer_progress(current, total, bytes, self->inner.payload);
      }
      return Interrupted() ? -1 : 0;
    };
    outer.push_update_reference = [](const char* refname, const char* status, void* p) {
      return GuardedCallback("push", [&] {
        auto* self = static_cast<PushCallbacks*>(p);
        if (status != nullptr) self->rejected.push_back(std::string(refname) + ": " + status);
        return 0;
      });
    };
  }
};

}  // namespace

// --- remotes ---------------------------------------------------------------------

Result<std::vector<RemoteInfo>> Repository::Remotes() try {
  git_strarray names = {nullptr, 0};
  STRATA_GIT(git_remote_list(&names, impl_->repo_.get()), "cannot list remotes");
  std::vector<RemoteInfo> out;
  for (size_t i = 0; i < names.count; ++i) {
    git_remote* raw = nullptr;
    if (git_remote_lookup(&raw, impl_->repo_.get(), names.strings[i]) < 0) {
      git_error_clear();
      continue;
    }
    RemotePtr remote(raw);
    const char* url = git_remote_url(raw);
    out.push_back({names.strings[i], url ? url : ""});
  }
  git_strarray_dispose(&names);
  std::sort(out.begin(), out.end(),
            [](const RemoteInfo& a, const RemoteInfo& b) { return a.name < b.name; });
  return out;
} catch (...) {
  return CaughtStatus("Repository::Remotes");
}

Result<RemoteInfo> Repository::AddRemote(const std::string& name, const std::string& url) try {
  int valid = 0;
  STRATA_GIT(git_remote_name_is_valid(&valid, name.c_str()), "cannot check the remote name");
  if (!valid) {
    return Status::InvalidArgument("invalid remote name '" + name +
                                   "' (git's ref name rules apply: no spaces, '..', ':', '~')");
  }
  if (url.empty()) return Status::InvalidArgument("the remote URL is empty");
  if (HasPassword(url)) {
    return Status::InvalidArgument(
        "the URL holds a password, which would be stored in the repository's config: give " +
        DisplayUrl(url) +
        " and let a credential helper or STRATA_HTTP_PASSWORD supply the password");
  }
  const std::string stored = StoredUrl(url);
  git_remote* raw = nullptr;
  int rc = git_remote_create(&raw, impl_->repo_.get(), name.c_str(), stored.c_str());
  if (rc == GIT_EEXISTS) {
    git_error_clear();
    return Status::Conflict("remote '" + name + "' already exists");
  }
  if (rc < 0) return GitError(rc, "cannot add remote '" + name + "'");
  RemotePtr remote(raw);
  return RemoteInfo{name, stored};
} catch (...) {
  return CaughtStatus("Repository::AddRemote");
}

Result<RemoteInfo> Repository::RemoveRemote(const std::string& name) try {
  git_remote* raw = nullptr;
  int rc = git_remote_lookup(&raw, impl_->repo_.get(), name.c_str());
  if (rc == GIT_ENOTFOUND || rc == GIT_EINVALIDSPEC) {
    git_error_clear();
    return Status::NotFound("no remote '" + name + "'");
  }
  if (rc < 0) return GitError(rc, "cannot read remote '" + name + "'");
  RemotePtr remote(raw);
  RemoteInfo info{name, git_remote_url(raw) ? git_remote_url(raw) : ""};
  remote.reset();
  // Its remote-tracking refs go first, through the write transaction.
  for (int attempt = 0; attempt < kRefRetries; ++attempt) {
    STRATA_ASSIGN_OR_RETURN(auto tracking,
                            ListRefs(impl_->repo_.get(), "refs/remotes/" + name + "/*"));
    if (tracking.empty()) break;
    STRATA_ASSIGN_OR_RETURN(RefTransaction tx,
                            RefTransaction::Begin(impl_->repo_.get(), &impl_->hooks_));
    for (const auto& [ref, id] : tracking) {
      RefUpdate del;
      del.ref = ref;
      del.kind = RefUpdateKind::kDelete;
      del.expected = id;
      del.reason = "remote: remove " + name;
      del.cause = RefCause::kOther;  // not a fetch: no post-receive
      tx.Update(std::move(del));
    }
    STRATA_ASSIGN_OR_RETURN(CommitOutcome outcome, tx.Commit());
    if (outcome == CommitOutcome::kCommitted) break;
  }
  STRATA_GIT(git_remote_delete(impl_->repo_.get(), name.c_str()),
             "cannot remove remote '" + name + "'");
  return info;
} catch (...) {
  return CaughtStatus("Repository::RemoveRemote");
}

// --- fetch -----------------------------------------------------------------------

Result<FetchResult> Repository::Fetch(const std::string& name, const FetchOptions& options) try {
  git_remote* raw = nullptr;
  int rc = git_remote_lookup(&raw, impl_->repo_.get(), name.c_str());
  if (rc == GIT_ENOTFOUND || rc == GIT_EINVALIDSPEC) {
    git_error_clear();
    return Status::NotFound("no remote '" + name + "' (add one: strata remote add " + name +
                            " URL)");
  }
  if (rc < 0) return GitError(rc, "cannot read remote '" + name + "'");
  RemotePtr remote(raw);
  FetchResult result;
  result.remote = name;
  result.url = git_remote_url(raw) ? git_remote_url(raw) : "";
  remote.reset();
  STRATA_ASSIGN_OR_RETURN(Download d, DownloadInto(impl_->repo_.get(), *impl_->store_, impl_->path_,
                                                   result.url, options));
  result.stats = d.stats;
  result.default_branch = d.default_branch;
  STRATA_RETURN_IF_ERROR(AdoptObjects(*d.q, impl_->path_));
  // A merge after the fetch (pull, sync) finds the fetched objects stored.
  STRATA_RETURN_IF_ERROR(impl_->store_->RefreshPacks());

  const std::string prefix = "refs/remotes/" + name + "/";
  for (int attempt = 0;; ++attempt) {
    if (attempt == kRefRetries) {
      return Status::Conflict("cannot move the remote-tracking refs of '" + name +
                              "': other writers keep moving them; fetch again");
    }
    result.changes.clear();
    result.skipped_tags.clear();
    STRATA_ASSIGN_OR_RETURN(auto tracking, ListRefs(impl_->repo_.get(), prefix + "*"));
    STRATA_ASSIGN_OR_RETURN(RefTransaction tx,
                            RefTransaction::Begin(impl_->repo_.get(), &impl_->hooks_));
    std::set<std::string> seen;
    for (const IncomingRef& in : d.refs) {
      std::string local;
      const bool is_tag = StartsWith(in.name, kTags);
      if (is_tag) {
        if (!options.tags) continue;
        local = in.name;
      } else {
        local = prefix + in.name.substr(kHeads.size());
      }
      seen.insert(local);
      STRATA_ASSIGN_OR_RETURN(std::optional<ObjectId> now, tx.Read(local));
      if (now && *now == in.target) continue;
      if (is_tag && now) {
        result.skipped_tags.push_back(in.name.substr(kTags.size()));
        continue;
      }
      RefChange change;
      change.ref = local;
      if (now) change.old_id = now->Hex();
      change.new_id = in.target.Hex();
      if (now) {
        STRATA_ASSIGN_OR_RETURN(bool ff, DescendantOf(impl_->repo_.get(), in.target, *now));
        change.forced = !ff;
      }
      RefUpdate update;
      update.ref = local;
      update.expected = now;
      update.target = in.target;
      update.reason = "fetch: " + DisplayUrl(result.url) + " " + in.name;
      update.cause = impl_->fetch_cause_;
      tx.Update(std::move(update));
      result.changes.push_back(std::move(change));
    }
    // Branches gone from the remote.
    for (const auto& [ref, id] : tracking) {
      if (seen.count(ref)) continue;
      RefUpdate del;
      del.ref = ref;
      del.kind = RefUpdateKind::kDelete;
      del.expected = id;
      del.reason = "fetch: pruned, gone from " + DisplayUrl(result.url);
      del.cause = impl_->fetch_cause_;
      tx.Update(std::move(del));
      result.changes.push_back({ref, id.Hex(), std::nullopt, false});
    }
    if (result.changes.empty()) break;
    STRATA_ASSIGN_OR_RETURN(CommitOutcome outcome, tx.Commit());
    if (outcome == CommitOutcome::kCommitted) break;
  }
  return result;
} catch (...) {
  return CaughtStatus("Repository::Fetch");
}

// --- push ------------------------------------------------------------------------

Result<PushResult> Repository::Push(const std::string& name,
                                    const std::optional<std::string>& branch_arg,
                                    const PushOptions& options) try {
  PushResult result;
  bool named = false;
  {
    git_remote* raw = nullptr;
    int rc = git_remote_lookup(&raw, impl_->repo_.get(), name.c_str());
    if (rc == 0) {
      RemotePtr remote(raw);
      named = true;
      result.remote = name;
      result.url = git_remote_url(raw) ? git_remote_url(raw) : "";
    } else if (rc == GIT_ENOTFOUND || rc == GIT_EINVALIDSPEC) {
      git_error_clear();
      std::error_code ec;
      if (!HasScheme(name) && !IsScpLike(name) && !fs::exists(name, ec)) {
        return Status::NotFound("no remote '" + name +
                                "' (name a remote from 'strata remote list', or give a URL)");
      }
      result.remote = DisplayUrl(name);
      result.url = StoredUrl(name);
    } else {
      return GitError(rc, "cannot read remote '" + name + "'");
    }
  }
  std::string branch = branch_arg ? *branch_arg : CurrentBranch();
  if (branch == "HEAD") {
    return Status::InvalidArgument("HEAD is detached: name the branch to push");
  }
  std::string source_ref = std::string(kHeads) + branch;
  STRATA_ASSIGN_OR_RETURN(std::optional<ObjectId> local, ReadRef(impl_->repo_.get(), source_ref));
  if (!local) return Status::NotFound("branch '" + branch + "' has no versions to push");
  ObjectId target = *local;
  if (impl_->perspective_) {
    if (options.tags) {
      return Status::InvalidArgument(
          "--tags cannot be pushed through a perspective: tags name versions, not their "
          "projections");
    }
    STRATA_ASSIGN_OR_RETURN(std::optional<std::string> projected, Project(source_ref));
    if (!projected) {
      return Status::InvalidArgument("nothing on branch '" + branch + "' is visible through '" +
                                     impl_->perspective_->name() + "': nothing to push");
    }
    git_oid oid;
    STRATA_GIT(git_oid_fromstr(&oid, projected->c_str()), "bad projected id");
    target = FromGit(oid);
    result.projected = *projected;
    // A ref names the projection, so push can send it and gc keeps it.
    source_ref = "refs/strata/projected/" + impl_->perspective_->name() + "/" + branch;
    for (int attempt = 0;; ++attempt) {
      if (attempt == kRefRetries) return Status::Conflict("cannot record the projection");
      STRATA_ASSIGN_OR_RETURN(RefTransaction tx,
                              RefTransaction::Begin(impl_->repo_.get(), &impl_->hooks_));
      STRATA_ASSIGN_OR_RETURN(std::optional<ObjectId> now, tx.Read(source_ref));
      if (now && *now == target) break;
      RefUpdate update;
      update.ref = source_ref;
      update.expected = now;
      update.target = target;
      update.reason = "push: projection of " + branch + " through " + impl_->perspective_->name();
      update.cause = RefCause::kInternal;
      tx.Update(std::move(update));
      STRATA_ASSIGN_OR_RETURN(CommitOutcome outcome, tx.Commit());
      if (outcome == CommitOutcome::kCommitted) break;
    }
  }

  git_remote* raw = nullptr;
  STRATA_GIT(
      git_remote_create_anonymous(&raw, impl_->repo_.get(), TransportUrl(result.url).c_str()),
      "invalid remote URL '" + DisplayUrl(result.url) + "'");
  RemotePtr remote(raw);
  TransportOptions topts;
  topts.progress = options.progress;
  TransportSession session(result.url, topts);
  PushCallbacks callbacks(session.callbacks());
  // One test of local or not for the whole push: a local path or file://
  // lands under a ref of our own (below) and uses libgit2's local push;
  // anything else goes through the link.
  const bool local_remote = IsLocalPath(result.url) || StartsWith(result.url, "file://");
  ReceivePackLink link(TransportUrl(result.url));
  const bool own_pack = !local_remote && link.smart();
  if (own_pack) callbacks.UseLink(&link);
  const std::string where = "cannot push to " + DisplayUrl(result.url);
  if (int rc =
          git_remote_connect(remote.get(), GIT_DIRECTION_PUSH, &callbacks.outer, nullptr, nullptr);
      rc < 0) {
    Status s = GitError(rc, where);
    session.Finish(false);
    return session.Explain(s);
  }
  const git_remote_head** heads = nullptr;
  size_t count = 0;
  STRATA_GIT(git_remote_ls(&heads, &count, remote.get()), where);
  std::map<std::string, ObjectId> theirs;
  for (size_t i = 0; i < count; ++i) theirs.emplace(heads[i]->name, FromGit(heads[i]->oid));

  const std::string dest = std::string(kHeads) + branch;
  std::vector<std::string> specs;
  std::vector<RefPush> pushes;  // the same, for a smart transport
  std::optional<std::string> landing;
  std::optional<ObjectId> old;
  if (auto it = theirs.find(dest); it != theirs.end()) old = it->second;
  RefChange change{dest, old ? std::optional(old->Hex()) : std::nullopt, target.Hex(), false};
  if (!old || !(*old == target)) {
    bool ff = !old;
    if (old && impl_->store_->Exists(*old)) {
      STRATA_ASSIGN_OR_RETURN(ff, DescendantOf(impl_->repo_.get(), target, *old));
    }
    if (!ff && !options.force) {
      session.Finish(true);
      const std::string pull =
          named ? "strata pull " + name + " " + branch : "strata pull (from that remote)";
      return Status::Conflict("the remote's branch '" + branch + "' is at " + ShortId(old->Hex()) +
                              ", which this push does not contain (it is not a fast-forward): "
                              "pull first (" +
                              pull + "), then push; --force overwrites what the remote has");
    }
    change.forced = !ff;
    if (local_remote) {
      // libgit2's local transport moves the remote's ref without checking
      // its old value (a write there in between would be lost): land the
      // objects under a ref of our own, then move the branch below by
      // compare-and-swap under the remote's write lock.
      landing = "refs/strata/incoming-push/" + std::to_string(getpid()) + "-" + target.Hex();
      specs.push_back("+" + source_ref + ":" + *landing);
    } else {
      specs.push_back((options.force ? "+" : "") + source_ref + ":" + dest);
    }
    pushes.push_back({dest, old ? *old : ObjectId(), target});
    result.changes.push_back(change);
  }
  if (options.tags) {
    STRATA_ASSIGN_OR_RETURN(auto tags, ListRefs(impl_->repo_.get(), "refs/tags/*"));
    for (const auto& [ref, id] : tags) {
      auto it = theirs.find(ref);
      if (it != theirs.end() && it->second == id) continue;
      if (it != theirs.end() && !options.force) continue;  // the remote's tag stands, as git's
      specs.push_back((options.force ? "+" : "") + ref + ":" + ref);
      pushes.push_back({ref, it != theirs.end() ? it->second : ObjectId(), id});
      result.changes.push_back({ref,
                                it != theirs.end() ? std::optional(it->second.Hex()) : std::nullopt,
                                id.Hex(), it != theirs.end()});
    }
  }
  if (specs.empty() || options.dry_run) {
    session.Finish(true);
    git_remote_disconnect(remote.get());
  } else if (own_pack) {
    // Our own pack, its deltas copied from ours (repo/send_pack.h).
    std::vector<ObjectId> tips, haves;
    for (const RefPush& p : pushes) tips.push_back(p.new_id);
    for (const auto& [ref, id] : theirs) haves.push_back(id);
    PackReader reader(impl_->store_->objects_dir() + "/pack");
    Result<std::vector<ObjectId>> objects =
        ObjectsToSend(impl_->repo_.get(), *impl_->store_, reader, tips, haves);
    ObjectStore::PackStreamStats stats;
    Result<PushReport> report = objects.ok()
                                    ? link.Send(TransportUrl(result.url), *impl_->store_, reader,
                                                pushes, *objects, callbacks.outer, &stats)
                                    : Result<PushReport>(objects.status());
    if (!report.ok()) {
      Status s = Status(report.status().code(), where + ": " + report.status().message());
      session.Finish(false);
      return session.Explain(s);
    }
    session.Finish(true);
    git_remote_disconnect(remote.get());
    if (!report->unpack_ok) {
      return Status::IOError(where + ": the remote could not store what was sent (" +
                             report->unpack_error + ")");
    }
    if (!report->refused.empty()) {
      std::string list;
      for (const auto& [ref, why] : report->refused) {
        list += (list.empty() ? "" : "; ") + ref + ": " + why;
      }
      return Status::Conflict(where + ": the remote refused " + list);
    }
    result.stats.objects = stats.objects;
    result.stats.bytes = stats.bytes;
  } else {
    std::vector<char*> cspecs;
    for (std::string& s : specs) cspecs.push_back(s.data());
    git_strarray refspecs = {cspecs.data(), cspecs.size()};
    git_push_options po = GIT_PUSH_OPTIONS_INIT;
    po.callbacks = callbacks.outer;
    po.pb_parallelism = 0;
    if (int rc = git_remote_upload(remote.get(), &refspecs, &po); rc < 0) {
      Status s = GitError(rc, where);
      session.Finish(false);
      return session.Explain(s);
    }
    session.Finish(true);
    git_remote_disconnect(remote.get());
    if (!callbacks.rejected.empty()) {
      std::string list;
      for (const std::string& r : callbacks.rejected) list += (list.empty() ? "" : "; ") + r;
      return Status::Conflict(where + ": the remote refused " + list);
    }
    result.stats.objects = callbacks.objects;
    result.stats.bytes = callbacks.bytes;
    if (landing)
      STRATA_RETURN_IF_ERROR(MoveLocalRemoteBranch(result.url, *landing, dest, old, target));
  }
  // The remote-tracking branch follows what the remote now has.
  if (named && !options.dry_run) {
    const std::string tracking = "refs/remotes/" + name + "/" + branch;
    for (int attempt = 0; attempt < kRefRetries; ++attempt) {
      STRATA_ASSIGN_OR_RETURN(RefTransaction tx,
                              RefTransaction::Begin(impl_->repo_.get(), &impl_->hooks_));
      STRATA_ASSIGN_OR_RETURN(std::optional<ObjectId> now, tx.Read(tracking));
      if (now && *now == target) break;
      RefUpdate update;
      update.ref = tracking;
      update.expected = now;
      update.target = target;
      update.reason = "push: " + DisplayUrl(result.url) + " " + dest;
      update.cause = RefCause::kPush;
      tx.Update(std::move(update));
      STRATA_ASSIGN_OR_RETURN(CommitOutcome outcome, tx.Commit());
      if (outcome == CommitOutcome::kCommitted) break;
    }
  }
  return result;
} catch (...) {
  return CaughtStatus("Repository::Push");
}

Status Repository::MoveLocalRemoteBranch(const std::string& url, const std::string& landing,
                                         const std::string& dest,
                                         const std::optional<ObjectId>& expected,
                                         const ObjectId& target) {
  std::string path = TransportUrl(url);
  if (StartsWith(path, "file://")) path = path.substr(7);
  STRATA_ASSIGN_OR_RETURN(std::unique_ptr<Repository> there, Open(path));
  // Its post-receive hook runs as ours would, and reports to our reporter.
  there->impl_->reporter_ = impl_->reporter_;
  there->impl_->run_hooks_ = impl_->run_hooks_;
  git_repository* repo = there->impl_->repo_.get();
  STRATA_ASSIGN_OR_RETURN(RefTransaction tx, RefTransaction::Begin(repo, &there->impl_->hooks_));
  STRATA_ASSIGN_OR_RETURN(std::optional<ObjectId> now, tx.Read(dest));
  STRATA_ASSIGN_OR_RETURN(std::optional<ObjectId> landed, tx.Read(landing));
  RefUpdate drop;
  drop.ref = landing;
  drop.kind = RefUpdateKind::kDelete;
  drop.expected = landed;
  drop.reason = "push: done";
  drop.cause = RefCause::kInternal;
  const bool moved_meanwhile =
      now.has_value() != expected.has_value() || (now && expected && !(*now == *expected));
  if (!moved_meanwhile) {
    RefUpdate update;
    update.ref = dest;
    update.expected = now;
    update.target = target;
    update.reason = "push: from " + impl_->path_;
    update.cause = RefCause::kReceive;
    tx.Update(std::move(update));
  }
  if (landed) tx.Update(std::move(drop));
  STRATA_ASSIGN_OR_RETURN(CommitOutcome outcome, tx.Commit());
  if (moved_meanwhile || outcome != CommitOutcome::kCommitted) {
    return Status::Conflict("the remote's " + dest.substr(kHeads.size()) +
                            " moved while pushing (another writer there): nothing moved; pull "
                            "first, then push");
  }
  return Status::Ok();
}

// --- clone -----------------------------------------------------------------------

Result<std::unique_ptr<Repository>> Repository::Clone(const std::string& url,
                                                      const std::string& dir,
                                                      const FetchOptions& options) try {
  std::error_code ec;
  const fs::path target(dir);
  if (fs::exists(target / ".strata", ec)) {
    return Status::Conflict("a strata repository already exists in " +
                            (target / ".strata").string());
  }
  const bool made_dir = !fs::exists(target, ec);
  // Whatever fails below leaves DIR as it was.
  struct Cleanup {
    fs::path git_dir, dir;
    bool armed = true;
    ~Cleanup() {
      if (!armed) return;
      std::error_code e;
      fs::remove_all(git_dir, e);
      if (!dir.empty()) fs::remove(dir, e);
    }
  } cleanup{target / ".strata", made_dir ? target : fs::path()};

  STRATA_ASSIGN_OR_RETURN(std::unique_ptr<Repository> repo, Init(dir));
  STRATA_RETURN_IF_ERROR(repo->AddRemote("origin", url).status());
  STRATA_ASSIGN_OR_RETURN(FetchResult fetched, repo->Fetch("origin", options));
  STRATA_ASSIGN_OR_RETURN(auto tracking,
                          ListRefs(repo->impl_->repo_.get(), "refs/remotes/origin/*"));
  std::optional<std::string> branch;
  auto has = [&](const std::string& b) { return tracking.count("refs/remotes/origin/" + b) > 0; };
  if (fetched.default_branch && has(*fetched.default_branch)) {
    branch = fetched.default_branch;
  } else if (has("main")) {
    branch = "main";
  } else if (!tracking.empty()) {
    branch = tracking.begin()->first.substr(std::string("refs/remotes/origin/").size());
  }
  if (branch) {
    STRATA_RETURN_IF_ERROR(repo->SwitchBranch(*branch, "refs/remotes/origin/" + *branch).status());
    STRATA_RETURN_IF_ERROR(
        SetConfig(repo->impl_->repo_.get(), "branch." + *branch + ".remote", "origin"));
    STRATA_RETURN_IF_ERROR(SetConfig(repo->impl_->repo_.get(), "branch." + *branch + ".merge",
                                     "refs/heads/" + *branch));
  }
  cleanup.armed = false;
  return repo;
} catch (...) {
  return CaughtStatus("Repository::Clone");
}

// --- pull and sync -------------------------------------------------------------------

namespace {

struct Upstream {
  std::string remote;
  std::string branch;
};

Result<Upstream> ResolveUpstream(git_repository* repo, const std::string& current,
                                 const std::string& remote,
                                 const std::optional<std::string>& branch) {
  if (current == "HEAD") {
    return Status::InvalidArgument("HEAD is detached: switch to a branch to pull or sync into");
  }
  Upstream u;
  u.remote = remote;
  if (u.remote.empty()) {
    u.remote = ConfigString(repo, "branch." + current + ".remote").value_or("origin");
  }
  if (branch) {
    u.branch = *branch;
  } else if (auto merge = ConfigString(repo, "branch." + current + ".merge");
             merge && StartsWith(*merge, kHeads)) {
    u.branch = merge->substr(kHeads.size());
  } else {
    u.branch = current;
  }
  return u;
}

}  // namespace

Result<PullResult> Repository::Pull(
    const std::string& remote, const std::optional<std::string>& branch,
    const MergeRequest& request, const FetchOptions& options,
    const std::function<Status(const std::string&)>& before_merge) try {
  const std::string current = request.commit.branch.value_or(CurrentBranch());
  STRATA_ASSIGN_OR_RETURN(Upstream up,
                          ResolveUpstream(impl_->repo_.get(), current, remote, branch));
  PullResult result;
  impl_->fetch_cause_ = RefCause::kPull;  // its ref moves are pull events
  Result<FetchResult> fetched = Fetch(up.remote, options);
  impl_->fetch_cause_ = RefCause::kFetch;
  if (!fetched.ok()) return fetched.status();
  result.fetched = std::move(fetched).value();
  const std::string tracking = "refs/remotes/" + up.remote + "/" + up.branch;
  STRATA_ASSIGN_OR_RETURN(std::optional<ObjectId> theirs, ReadRef(impl_->repo_.get(), tracking));
  if (!theirs) {
    return Status::NotFound("remote '" + up.remote + "' has no branch '" + up.branch + "'");
  }
  result.merged = up.remote + "/" + up.branch;
  if (before_merge) STRATA_RETURN_IF_ERROR(before_merge(theirs->Hex()));
  STRATA_ASSIGN_OR_RETURN(result.merge, Merge(result.merged, request));
  return result;
} catch (...) {
  return CaughtStatus("Repository::Pull");
}

Result<SyncResult> Repository::Sync(const std::string& remote,
                                    const std::optional<std::string>& branch,
                                    const MergeRequest& request, bool dry_run,
                                    const FetchOptions& options) try {
  if (impl_->perspective_) {
    return Status::InvalidArgument(
        "sync merges the remote's history into this one, which a perspective cannot do; push "
        "through a perspective with 'strata push --perspective P'");
  }
  const std::string current = CurrentBranch();
  STRATA_ASSIGN_OR_RETURN(Upstream up,
                          ResolveUpstream(impl_->repo_.get(), current, remote, branch));
  if (up.branch != current) {
    return Status::InvalidArgument("sync exchanges '" + current +
                                   "' with the remote's branch of the same name, not '" +
                                   up.branch + "': use 'strata pull " + up.remote + " " +
                                   up.branch + "' and 'strata push' instead");
  }
  SyncResult result;
  result.dry_run = dry_run;
  const std::string head_ref = std::string(kHeads) + current;
  STRATA_ASSIGN_OR_RETURN(std::optional<ObjectId> ours, ReadRef(impl_->repo_.get(), head_ref));

  if (dry_run) {
    git_remote* raw = nullptr;
    int rc = git_remote_lookup(&raw, impl_->repo_.get(), up.remote.c_str());
    if (rc < 0) {
      git_error_clear();
      return Status::NotFound("no remote '" + up.remote + "'");
    }
    RemotePtr r(raw);
    const std::string url = git_remote_url(raw) ? git_remote_url(raw) : "";
    r.reset();
    STRATA_ASSIGN_OR_RETURN(
        Download d, DownloadInto(impl_->repo_.get(), *impl_->store_, impl_->path_, url, options));
    std::optional<ObjectId> theirs;
    if (const IncomingRef* in = FindRef(d.refs, std::string(kHeads) + up.branch)) {
      theirs = in->target;
    }
    git_repository* qrepo = d.q->repo.get();
    ObjectStore& qstore = *d.q->store;
    std::optional<ObjectId> base;
    if (ours && theirs) {
      git_oid b;
      int mb = git_merge_base(&b, qrepo, AsGit(*ours), AsGit(*theirs));
      if (mb == 0) {
        base = FromGit(b);
      } else if (mb != GIT_ENOTFOUND) {
        return GitError(mb, "cannot find the merge base");
      }
      git_error_clear();
    }
    STRATA_ASSIGN_OR_RETURN(auto ours_state, StateOf(qrepo, qstore, ours));
    STRATA_ASSIGN_OR_RETURN(auto theirs_state, StateOf(qrepo, qstore, theirs));
    STRATA_ASSIGN_OR_RETURN(auto base_state, StateOf(qrepo, qstore, base));
    if (!theirs) {
      result.merge = "up to date";
      STRATA_ASSIGN_OR_RETURN(result.incoming, Summarize(qstore, ours_state, ours_state));
      STRATA_ASSIGN_OR_RETURN(result.outgoing, Summarize(qstore, std::nullopt, ours_state));
      return result;
    }
    if (!ours || (base && *base == *ours)) {
      result.merge = ours && *ours == *theirs ? "up to date" : "fast-forward";
    } else if (base && *base == *theirs) {
      result.merge = "up to date";
    } else {
      result.merge = "merge";
    }
    STRATA_ASSIGN_OR_RETURN(result.incoming, Predict(qstore, base_state, ours_state, theirs_state));
    STRATA_ASSIGN_OR_RETURN(result.outgoing, Predict(qstore, base_state, theirs_state, ours_state));
    return result;
  }

  STRATA_ASSIGN_OR_RETURN(FetchResult fetched, Fetch(up.remote, options));
  result.fetched = std::move(fetched);
  const std::string tracking = "refs/remotes/" + up.remote + "/" + up.branch;
  STRATA_ASSIGN_OR_RETURN(std::optional<ObjectId> theirs, ReadRef(impl_->repo_.get(), tracking));
  STRATA_ASSIGN_OR_RETURN(auto ours_state, StateOf(impl_->repo_.get(), *impl_->store_, ours));
  STRATA_ASSIGN_OR_RETURN(auto theirs_state, StateOf(impl_->repo_.get(), *impl_->store_, theirs));
  if (theirs) {
    STRATA_ASSIGN_OR_RETURN(MergeOutcome merged, Merge(up.remote + "/" + up.branch, request));
    switch (merged.kind) {
      case MergeOutcome::Kind::kUpToDate:
        result.merge = "up to date";
        break;
      case MergeOutcome::Kind::kFastForward:
        result.merge = "fast-forward";
        break;
      case MergeOutcome::Kind::kMerged:
        result.merge = "merged";
        break;
      case MergeOutcome::Kind::kConflicts:
        result.merge = "conflicts";
        break;
    }
    if (merged.kind == MergeOutcome::Kind::kConflicts) {
      for (const MergeConflict& c : merged.conflicts) {
        result.conflicts.push_back(c.doc + " " + c.pointer.ToString());
      }
      STRATA_ASSIGN_OR_RETURN(result.incoming, Summarize(*impl_->store_, ours_state, ours_state));
      STRATA_ASSIGN_OR_RETURN(result.outgoing,
                              Summarize(*impl_->store_, theirs_state, theirs_state));
      return result;
    }
  } else {
    result.merge = "up to date";
  }
  STRATA_ASSIGN_OR_RETURN(std::optional<ObjectId> after, ReadRef(impl_->repo_.get(), head_ref));
  STRATA_ASSIGN_OR_RETURN(auto after_state, StateOf(impl_->repo_.get(), *impl_->store_, after));
  STRATA_ASSIGN_OR_RETURN(result.incoming, Summarize(*impl_->store_, ours_state, after_state));
  STRATA_ASSIGN_OR_RETURN(result.outgoing, Summarize(*impl_->store_, theirs_state, after_state));
  if (after && (!theirs || !(*after == *theirs))) {
    PushOptions po;
    po.progress = options.progress;
    STRATA_ASSIGN_OR_RETURN(PushResult pushed, Push(up.remote, current, po));
    result.pushed = std::move(pushed);
  }
  return result;
} catch (...) {
  return CaughtStatus("Repository::Sync");
}

}  // namespace strata
