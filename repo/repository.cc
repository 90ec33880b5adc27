// A version's commit tree:
//   root      := tree { "delta.zst": blob, "meta": tree, "state": tree }
//   state     := the state, encoded by objects/tree_codec.h
//   meta      := {document id: {"versions": n, "created": {"at": t, "by": s},
//                               "updated": {"at": t, "by": s}}}, same codec
//   delta.zst := objects/delta_codec.h, from the first parent's state (or {})
#include "repo/repository.h"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <set>

#include "objects/delta_codec.h"
#include "objects/state_editor.h"
#include "objects/tree_codec.h"
#include "objects/tree_diff.h"
#include "repo/document_id.h"

namespace strata {
namespace {

namespace fs = std::filesystem;

constexpr const char* kStateEntry = "state";
constexpr const char* kMetaEntry = "meta";
constexpr const char* kDeltaEntry = "delta.zst";
constexpr int kMaxReplays = 16;
constexpr std::size_t kMaxDefaultMessage = 100;

std::string OidHex(const git_oid* oid) { return ObjectId(*oid).Hex(); }

bool IsArrayIndex(const std::string& token) {
  return token == "-" || ParseArrayIndex(token).has_value();
}

// The part of a path that a concurrent change must not touch for ours to be
// replayed: up to the first array index, since an insertion shifts indices.
JsonPointer ConflictScope(const JsonPointer& p) {
  for (std::size_t i = 1; i < p.tokens().size(); ++i) {
    if (IsArrayIndex(p.tokens()[i])) return p.Slice(0, i);
  }
  return p;
}

std::vector<JsonPointer> TouchedScopes(const strata::Patch& patch) {
  std::vector<JsonPointer> out;
  for (const auto& op : patch) {
    out.push_back(ConflictScope(op.path));
    if (op.kind == PatchOpKind::kMove) out.push_back(ConflictScope(op.from));
  }
  return out;
}

// Documents (first path tokens) a delta touches.
std::set<std::string> TouchedDocuments(const strata::Patch& patch) {
  std::set<std::string> docs;
  for (const auto& op : patch) {
    if (!op.path.IsRoot()) docs.insert(op.path.tokens()[0]);
    if (op.kind == PatchOpKind::kMove && !op.from.IsRoot()) docs.insert(op.from.tokens()[0]);
  }
  return docs;
}

int LocalOffsetMinutes(std::int64_t t) {
  std::time_t tt = static_cast<std::time_t>(t);
  std::tm tm{};
  localtime_r(&tt, &tm);
  return static_cast<int>(tm.tm_gmtoff / 60);
}

DocumentInfo InfoFromJson(const std::string& id, const json::value& v) {
  DocumentInfo info;
  info.id = id;
  if (!v.is_object()) return info;
  const auto& o = v.get_object();
  auto num = [](const json::value* x) -> std::int64_t {
    return x && x->is_int64() ? x->get_int64() : 0;
  };
  auto str = [](const json::value* x) -> std::string {
    return x && x->is_string() ? std::string(x->get_string()) : std::string();
  };
  info.versions = static_cast<std::uint64_t>(num(o.if_contains("versions")));
  if (const auto* c = o.if_contains("created"); c && c->is_object()) {
    info.created_at = num(c->get_object().if_contains("at"));
    info.created_by = str(c->get_object().if_contains("by"));
  }
  if (const auto* u = o.if_contains("updated"); u && u->is_object()) {
    info.updated_at = num(u->get_object().if_contains("at"));
    info.updated_by = str(u->get_object().if_contains("by"));
  }
  return info;
}

json::value InfoToJson(const DocumentInfo& info) {
  return json::object{
      {"versions", info.versions},
      {"created", json::object{{"at", info.created_at}, {"by", info.created_by}}},
      {"updated", json::object{{"at", info.updated_at}, {"by", info.updated_by}}},
  };
}

}  // namespace

Repository::Repository(std::string path, RepositoryPtr repo, std::unique_ptr<ObjectStore> store)
    : path_(std::move(path)), repo_(std::move(repo)), store_(std::move(store)) {}

Repository::~Repository() = default;

Result<std::unique_ptr<Repository>> Repository::Init(const std::string& dir) {
  EnsureLibgit2();
  fs::path git_dir = fs::path(dir) / ".strata";
  std::error_code ec;
  if (fs::exists(git_dir, ec)) {
    return Status::Conflict("a strata repository already exists in " + git_dir.string());
  }
  git_repository_init_options opts = GIT_REPOSITORY_INIT_OPTIONS_INIT;
  opts.flags =
      GIT_REPOSITORY_INIT_BARE | GIT_REPOSITORY_INIT_MKPATH | GIT_REPOSITORY_INIT_NO_REINIT;
  opts.initial_head = "main";
  opts.description = "strata: versioned JSON documents";
  git_repository* raw = nullptr;
  STRATA_GIT(git_repository_init_ext(&raw, git_dir.c_str(), &opts),
             "cannot create a repository in " + git_dir.string());
  RepositoryPtr repo(raw);
  git_config* cfg_raw = nullptr;
  STRATA_GIT(git_repository_config(&cfg_raw, repo.get()), "cannot open the repository config");
  ConfigPtr cfg(cfg_raw);
  // Reflogs make main@{2026-11-01} work; bare repositories have them off by default.
  STRATA_GIT(git_config_set_bool(cfg.get(), "core.logAllRefUpdates", 1), "cannot write config");
  STRATA_GIT(git_config_set_int32(cfg.get(), "strata.formatVersion", 1), "cannot write config");
  repo.reset();
  return OpenGitDir(git_dir.string());
}

Result<std::unique_ptr<Repository>> Repository::OpenGitDir(const std::string& git_dir) {
  EnsureLibgit2();
  git_repository* raw = nullptr;
  int rc = git_repository_open_ext(
      &raw, git_dir.c_str(), GIT_REPOSITORY_OPEN_NO_SEARCH | GIT_REPOSITORY_OPEN_BARE, nullptr);
  if (rc < 0) return GitError(rc, "cannot open repository " + git_dir);
  RepositoryPtr repo(raw);
  STRATA_ASSIGN_OR_RETURN(std::unique_ptr<ObjectStore> store, ObjectStore::Open(repo.get()));
  std::string path = git_repository_path(repo.get());
  if (path.size() > 1 && path.back() == '/') path.pop_back();
  return std::unique_ptr<Repository>(new Repository(path, std::move(repo), std::move(store)));
}

Result<std::unique_ptr<Repository>> Repository::Open(const std::string& path) {
  std::error_code ec;
  fs::path p(path);
  if (fs::is_directory(p / ".strata", ec)) return OpenGitDir((p / ".strata").string());
  if (fs::exists(p / "HEAD", ec) && fs::is_directory(p / "objects", ec))
    return OpenGitDir(p.string());
  return Status::NotFound("no strata repository at " + path + " (run 'strata init')");
}

Result<std::unique_ptr<Repository>> Repository::Discover(const std::string& start) {
  std::error_code ec;
  fs::path p = fs::absolute(start, ec);
  for (fs::path cur = p; !cur.empty(); cur = cur.parent_path()) {
    if (fs::is_directory(cur / ".strata", ec)) return OpenGitDir((cur / ".strata").string());
    if (cur == cur.parent_path()) break;
  }
  return Status::NotFound("not in a strata repository (or any parent of " + p.string() +
                          "); run 'strata init' or pass --repo");
}

std::string Repository::CurrentBranch() const {
  git_reference* raw = nullptr;
  if (git_reference_lookup(&raw, repo_.get(), "HEAD") < 0) return "main";
  ReferencePtr head(raw);
  const char* target = git_reference_symbolic_target(raw);
  if (!target) return "HEAD";
  std::string name = target;
  const std::string prefix = "refs/heads/";
  return name.rfind(prefix, 0) == 0 ? name.substr(prefix.size()) : name;
}

Result<Signature> Repository::ResolveAuthor(const CommitOptions& options) {
  if (options.author) return *options.author;
  if (const char* env = std::getenv("STRATA_AUTHOR"); env && *env) {
    Result<Signature> s = Signature::Parse(env);
    if (!s.ok()) return s.status().WithContext("STRATA_AUTHOR");
    return s;
  }
  git_signature* raw = nullptr;
  if (git_signature_default(&raw, repo_.get()) == 0) {
    SignaturePtr sig(raw);
    return Signature{raw->name, raw->email};
  }
  return Signature{"strata", "strata@localhost"};
}

Result<CommitPtr> Repository::LookupCommit(const std::string& rev) {
  git_object* raw = nullptr;
  int rc = git_revparse_single(&raw, repo_.get(), rev.c_str());
  if (rc == GIT_ENOTFOUND) {
    if (rev == "HEAD" || rev == CurrentBranch()) {
      return Status::NotFound("branch '" + CurrentBranch() + "' has no versions yet");
    }
    return Status::NotFound("unknown revision '" + rev + "'");
  }
  if (rc == GIT_EAMBIGUOUS) return Status::InvalidArgument("ambiguous revision '" + rev + "'");
  if (rc < 0) return GitError(rc, "invalid revision '" + rev + "'");
  ObjectPtr obj(raw);
  git_object* peeled = nullptr;
  rc = git_object_peel(&peeled, raw, GIT_OBJECT_COMMIT);
  if (rc < 0) return Status::InvalidArgument("revision '" + rev + "' does not name a version");
  return CommitPtr(reinterpret_cast<git_commit*>(peeled));
}

Result<std::string> Repository::ResolveRevision(const std::string& rev) {
  STRATA_ASSIGN_OR_RETURN(CommitPtr c, LookupCommit(rev));
  return OidHex(git_commit_id(c.get()));
}

Result<std::optional<ObjectId>> Repository::TreeEntryId(git_commit* commit, const char* name) {
  git_tree* raw = nullptr;
  STRATA_GIT(git_commit_tree(&raw, commit),
             "cannot read the tree of " + OidHex(git_commit_id(commit)));
  TreePtr tree(raw);
  const git_tree_entry* e = git_tree_entry_byname(raw, name);
  if (!e) return std::optional<ObjectId>();
  return std::optional<ObjectId>(ObjectId(*git_tree_entry_id(e)));
}

Result<std::optional<ObjectId>> Repository::StateOf(git_commit* commit) {
  STRATA_ASSIGN_OR_RETURN(std::optional<ObjectId> id, TreeEntryId(commit, kStateEntry));
  if (!id) {
    return Status::Corruption("version " + OidHex(git_commit_id(commit)) + " has no state tree");
  }
  return id;
}

Result<VersionInfo> Repository::Describe(git_commit* commit) {
  VersionInfo v;
  v.id = OidHex(git_commit_id(commit));
  for (unsigned i = 0; i < git_commit_parentcount(commit); ++i) {
    v.parents.push_back(OidHex(git_commit_parent_id(commit, i)));
  }
  const git_signature* a = git_commit_author(commit);
  v.author = Signature{a->name, a->email};
  v.time = a->when.time;
  v.offset_minutes = a->when.offset;
  SplitMessage(git_commit_message(commit), &v.message, &v.labels);
  STRATA_ASSIGN_OR_RETURN(std::optional<ObjectId> state, StateOf(commit));
  v.state_id = state->Hex();
  return v;
}

Result<WriteResult> Repository::Write(const std::function<Status(StateEditor&)>& edit,
                                      const std::string& default_message,
                                      const CommitOptions& options) {
  return Write(
      edit, [&](const strata::Patch&) { return default_message; }, options);
}

Result<WriteResult> Repository::Write(const std::function<Status(StateEditor&)>& edit,
                                      const MessageFn& describe, const CommitOptions& options) {
  for (const auto& label : options.labels) STRATA_RETURN_IF_ERROR(ValidateLabel(label));
  STRATA_ASSIGN_OR_RETURN(Signature author, ResolveAuthor(options));
  std::int64_t now = options.time ? *options.time : static_cast<std::int64_t>(std::time(nullptr));
  int offset = LocalOffsetMinutes(now);

  std::string branch_ref = "refs/heads/" + CurrentBranch();

  // Our change as a patch, once known; replayed if another writer moves the branch.
  std::optional<strata::Patch> ours;
  std::optional<ObjectId> ours_base;
  bool replayed = false;

  for (int attempt = 0; attempt < kMaxReplays; ++attempt) {
    store_->Discard();
    // The branch head now.
    std::optional<ObjectId> head;
    git_oid head_oid;
    int rc = git_reference_name_to_id(&head_oid, repo_.get(), branch_ref.c_str());
    if (rc == 0)
      head = ObjectId(head_oid);
    else if (rc != GIT_ENOTFOUND)
      return GitError(rc, "cannot read " + branch_ref);

    CommitPtr parent;
    std::optional<ObjectId> base_state, base_meta;
    if (head) {
      git_commit* raw = nullptr;
      STRATA_GIT(git_commit_lookup(&raw, repo_.get(), &head->oid), "cannot read " + head->Hex());
      parent.reset(raw);
      STRATA_ASSIGN_OR_RETURN(base_state, StateOf(raw));
      STRATA_ASSIGN_OR_RETURN(base_meta, TreeEntryId(raw, kMetaEntry));
    }

    StateEditor editor(*store_, base_state);
    if (!ours) {
      Status s = edit(editor);
      if (!s.ok()) {
        store_->Discard();
        return s;
      }
    } else {
      // Replay: refuse if the other writer touched what we touched.
      strata::Patch theirs;
      STRATA_RETURN_IF_ERROR(DiffStates(*store_, ours_base, base_state, theirs));
      std::vector<JsonPointer> mine = TouchedScopes(*ours);
      for (const auto& t : TouchedScopes(theirs)) {
        for (const auto& m : mine) {
          if (t.IsPrefixOf(m) || m.IsPrefixOf(t)) {
            store_->Discard();
            return Status::Conflict("another writer changed '" + t.ToString() + "' on " +
                                    CurrentBranch() +
                                    " meanwhile; nothing was written (retry the command)");
          }
        }
      }
      Status s = ApplyPatch(editor, *ours);
      if (!s.ok()) {
        store_->Discard();
        return Status::Conflict("cannot replay on the new head of " + CurrentBranch() + ": " +
                                s.message());
      }
      replayed = true;
    }
    Result<ObjectId> new_state = editor.Write();
    if (!new_state.ok()) {
      store_->Discard();
      return new_state.status();
    }
    strata::Patch delta;
    STRATA_RETURN_IF_ERROR(DiffStates(*store_, base_state, *new_state, delta));
    if (delta.empty()) {
      store_->Discard();
      return Status::Unchanged("nothing changed; no version written");
    }
    if (!ours) {
      ours = delta;
      ours_base = base_state;
    }
    std::string message = options.message;
    if (message.empty()) {
      // A default message is a summary line; a 10,000-token pointer is not.
      message = describe(*ours);
      if (message.size() > kMaxDefaultMessage) {
        message = message.substr(0, kMaxDefaultMessage - 3) + "...";
      }
    }
    // New document ids must be valid.
    for (const auto& op : delta) {
      if (op.path.tokens().size() == 1 && op.kind == PatchOpKind::kAdd) {
        Status s = ValidateDocumentId(op.path.tokens()[0]);
        if (!s.ok()) {
          store_->Discard();
          return s;
        }
      }
    }

    // Per-document metadata.
    StateEditor meta(*store_, base_meta);
    // A delta from DiffStates removes a whole document only with a
    // one-token "remove"; every other touched document exists afterwards.
    std::set<std::string> removed_docs;
    for (const auto& op : delta) {
      if (op.kind == PatchOpKind::kRemove && op.path.tokens().size() == 1) {
        removed_docs.insert(op.path.tokens()[0]);
      }
    }
    for (const std::string& doc : TouchedDocuments(delta)) {
      JsonPointer p({doc});
      bool in_new = removed_docs.count(doc) == 0;
      STRATA_ASSIGN_OR_RETURN(bool had_meta, meta.Exists(p));
      if (!in_new) {
        if (had_meta) STRATA_RETURN_IF_ERROR(meta.Remove(p));
        continue;
      }
      DocumentInfo info;
      info.id = doc;
      if (had_meta) {
        STRATA_ASSIGN_OR_RETURN(json::value old, meta.Get(p));
        info = InfoFromJson(doc, old);
      } else {
        info.created_at = now;
        info.created_by = author.ToString();
      }
      info.versions += 1;
      info.updated_at = now;
      info.updated_by = author.ToString();
      STRATA_RETURN_IF_ERROR(meta.Add(p, InfoToJson(info)));
    }
    STRATA_ASSIGN_OR_RETURN(ObjectId meta_id, meta.Write());
    STRATA_ASSIGN_OR_RETURN(ObjectId delta_id, store_->WriteBlob(EncodeDelta(delta)));
    STRATA_ASSIGN_OR_RETURN(ObjectId root_id, store_->WriteTree({{kDeltaEntry, delta_id, false},
                                                                 {kMetaEntry, meta_id, true},
                                                                 {kStateEntry, *new_state, true}}));

    git_tree* tree_raw = nullptr;
    STRATA_GIT(git_tree_lookup(&tree_raw, repo_.get(), &root_id.oid), "cannot read the new tree");
    TreePtr tree(tree_raw);
    git_signature* sig_raw = nullptr;
    STRATA_GIT(git_signature_new(&sig_raw, author.name.c_str(), author.email.c_str(), now, offset),
               "invalid author '" + author.ToString() + "'");
    SignaturePtr sig(sig_raw);
    const git_commit* parents[1] = {parent.get()};
    GitBuf commit_buf;
    STRATA_GIT(git_commit_create_buffer(&commit_buf.buf, repo_.get(), sig.get(), sig.get(), nullptr,
                                        ComposeMessage(message, options.labels).c_str(), tree.get(),
                                        parent ? 1 : 0, parents),
               "cannot create the version");
    STRATA_ASSIGN_OR_RETURN(
        ObjectId commit_id,
        store_->WriteObject({commit_buf.buf.ptr, commit_buf.buf.size}, GIT_OBJECT_COMMIT));
    std::size_t objects = store_->staged_objects();
    std::uint64_t bytes = store_->staged_bytes();
    // Objects reach the disk (fsynced) before the ref that names them.
    STRATA_RETURN_IF_ERROR(store_->Flush());

    std::string log_message = "strata: " + message.substr(0, message.find('\n'));
    git_reference* ref_raw = nullptr;
    if (head) {
      rc = git_reference_create_matching(&ref_raw, repo_.get(), branch_ref.c_str(), &commit_id.oid,
                                         1, &head->oid, log_message.c_str());
    } else {
      rc = git_reference_create(&ref_raw, repo_.get(), branch_ref.c_str(), &commit_id.oid, 0,
                                log_message.c_str());
    }
    if (rc == GIT_EMODIFIED || rc == GIT_EEXISTS || rc == GIT_ELOCKED) {
      git_error_clear();
      // Another writer moved the branch: replay ours on its new head.
      if (rc == GIT_ELOCKED) usleep(1000 * (1 + attempt));
      continue;
    }
    if (rc < 0) return GitError(rc, "cannot move " + branch_ref);
    ReferencePtr ref(ref_raw);

    WriteResult result;
    git_commit* c_raw = nullptr;
    STRATA_GIT(git_commit_lookup(&c_raw, repo_.get(), &commit_id.oid),
               "cannot read the new version");
    CommitPtr commit(c_raw);
    STRATA_ASSIGN_OR_RETURN(result.version, Describe(c_raw));
    result.objects_written = objects;
    result.bytes_written = bytes;
    result.operations = delta.size();
    result.replayed = replayed;
    return result;
  }
  return Status::Conflict("the branch " + CurrentBranch() + " kept moving; gave up after " +
                          std::to_string(kMaxReplays) + " tries");
}

Result<WriteResult> Repository::Put(const std::string& doc, json::value value,
                                    const CommitOptions& options) {
  STRATA_RETURN_IF_ERROR(ValidateDocumentId(doc));
  return Write([&](StateEditor& e) { return e.Add(JsonPointer({doc}), value); }, "put " + doc,
               options);
}

Result<WriteResult> Repository::Set(const std::string& doc, const JsonPointer& pointer,
                                    json::value value, const CommitOptions& options) {
  STRATA_RETURN_IF_ERROR(ValidateDocumentId(doc));
  std::vector<std::string> tokens{doc};
  tokens.insert(tokens.end(), pointer.tokens().begin(), pointer.tokens().end());
  const JsonPointer full(std::move(tokens));
  return Write(
      [&](StateEditor& e) -> Status {
        // Like mkdir -p: find the deepest existing parent (binary search, so
        // a 10,000-token pointer costs a few lookups, not 10,000), then add
        // the missing objects and the value as one nested value.
        std::size_t lo = 0, hi = full.tokens().size() - 1;  // the prefix of `lo` tokens exists
        while (lo < hi) {
          std::size_t mid = (lo + hi + 1) / 2;
          STRATA_ASSIGN_OR_RETURN(bool exists, e.Exists(full.Slice(0, mid)));
          if (exists)
            lo = mid;
          else
            hi = mid - 1;
        }
        json::value nested = value;
        for (std::size_t i = full.tokens().size() - 1; i > lo; --i) {
          json::object o;
          o.emplace(full.tokens()[i], std::move(nested));
          nested = std::move(o);
        }
        return e.Add(full.Slice(0, lo + 1), std::move(nested));
      },
      "set " + doc + " " + pointer.ToString(), options);
}

Result<WriteResult> Repository::Remove(const std::string& doc,
                                       const std::optional<JsonPointer>& pointer,
                                       const CommitOptions& options) {
  JsonPointer full({doc});
  if (pointer) {
    if (pointer->IsRoot())
      return Status::InvalidArgument("to remove a whole document, give no pointer");
    for (const auto& t : pointer->tokens()) full = full.Child(t);
  }
  std::string what = "rm " + doc + (pointer ? " " + pointer->ToString() : "");
  return Write([&](StateEditor& e) { return e.Remove(full); }, what, options);
}

Result<WriteResult> Repository::Patch(const std::optional<std::string>& doc,
                                      const strata::Patch& patch, const CommitOptions& options) {
  strata::Patch scoped = patch;
  if (doc) {
    STRATA_RETURN_IF_ERROR(ValidateDocumentId(*doc));
    auto prefix = [&](const JsonPointer& p) {
      std::vector<std::string> t{*doc};
      t.insert(t.end(), p.tokens().begin(), p.tokens().end());
      return JsonPointer(std::move(t));
    };
    for (auto& op : scoped) {
      op.path = prefix(op.path);
      if (op.kind == PatchOpKind::kMove || op.kind == PatchOpKind::kCopy) op.from = prefix(op.from);
    }
  }
  // "patch config/app1", or "patch 3 documents", counted from what changed.
  MessageFn describe = [&](const strata::Patch& delta) {
    std::set<std::string> docs = TouchedDocuments(delta);
    if (docs.size() == 1) return "patch " + *docs.begin();
    return "patch " + std::to_string(docs.size()) + " documents";
  };
  return Write(
      [&](StateEditor& e) -> Status {
        if (doc) {
          STRATA_ASSIGN_OR_RETURN(bool exists, e.Exists(JsonPointer({*doc})));
          if (!exists) return Status::NotFound("no document '" + *doc + "'");
        }
        return ApplyPatch(e, scoped);
      },
      describe, options);
}

Result<WriteResult> Repository::Import(std::vector<std::pair<std::string, json::value>> docs,
                                       const CommitOptions& options) {
  for (const auto& [id, value] : docs) STRATA_RETURN_IF_ERROR(ValidateDocumentId(id));
  std::string what =
      "import " + std::to_string(docs.size()) + " document" + (docs.size() == 1 ? "" : "s");
  return Write(
      [&](StateEditor& e) -> Status {
        for (auto& [id, value] : docs) STRATA_RETURN_IF_ERROR(e.Add(JsonPointer({id}), value));
        return Status::Ok();
      },
      what, options);
}

Result<std::string> Repository::VersionAt(const std::string& rev, std::int64_t time) {
  STRATA_ASSIGN_OR_RETURN(CommitPtr start, LookupCommit(rev));
  git_revwalk* raw = nullptr;
  STRATA_GIT(git_revwalk_new(&raw, repo_.get()), "cannot walk history");
  RevwalkPtr walk(raw);
  git_revwalk_simplify_first_parent(raw);
  STRATA_GIT(git_revwalk_push(raw, git_commit_id(start.get())), "cannot walk history");
  git_oid oid;
  while (git_revwalk_next(&oid, raw) == 0) {
    git_commit* c_raw = nullptr;
    STRATA_GIT(git_commit_lookup(&c_raw, repo_.get(), &oid), "cannot read version " + OidHex(&oid));
    CommitPtr c(c_raw);
    if (git_commit_author(c_raw)->when.time <= time) return OidHex(&oid);
  }
  return Status::NotFound("no version on " + rev + " is as old as " + FormatUtcTime(time));
}

Result<json::value> Repository::Get(const std::string& doc, const std::string& rev,
                                    const JsonPointer& pointer) {
  STRATA_ASSIGN_OR_RETURN(CommitPtr c, LookupCommit(rev));
  STRATA_ASSIGN_OR_RETURN(std::optional<ObjectId> state, StateOf(c.get()));
  STRATA_ASSIGN_OR_RETURN(std::optional<ValueRef> ref, FindMember(*store_, *state, doc));
  if (!ref) return Status::NotFound("no document '" + doc + "' at " + rev);
  // Follow the pointer through object trees first, so reading one key of a
  // large document decodes that key's value, not the document.
  std::size_t consumed = 0;
  const auto& tokens = pointer.tokens();
  while (ref->is_tree && consumed < tokens.size()) {
    STRATA_ASSIGN_OR_RETURN(std::optional<ValueRef> member,
                            FindMember(*store_, ref->id, tokens[consumed]));
    if (!member) {
      return Status::NotFound("in document '" + doc + "' at " + rev + ": no member '" +
                              tokens[consumed] + "' in the object at '" +
                              pointer.Slice(0, consumed).ToString() + "'");
    }
    ref = member;
    ++consumed;
  }
  STRATA_ASSIGN_OR_RETURN(json::value v, DecodeValue(*store_, *ref));
  if (consumed == tokens.size()) return v;
  JsonPointer rest = pointer.Slice(consumed, tokens.size());
  Result<const json::value*> at = ResolvePointer(std::as_const(v), rest);
  if (!at.ok()) {
    return Status(
        at.status().code(),
        "in document '" + doc + "' at " + rev + ": " + at.status().message() +
            (consumed > 0 ? " (below '" + pointer.Slice(0, consumed).ToString() + "')" : ""));
  }
  return **at;
}

Result<json::value> Repository::State(const std::string& rev) {
  STRATA_ASSIGN_OR_RETURN(CommitPtr c, LookupCommit(rev));
  STRATA_ASSIGN_OR_RETURN(std::optional<ObjectId> state, StateOf(c.get()));
  return DecodeValue(*store_, ValueRef{*state, true});
}

Result<std::vector<DocumentInfo>> Repository::List(const std::string& rev) {
  // A branch with no versions yet holds no documents (like `git ls-files`
  // in a new repository), which scripts should not have to special-case.
  if ((rev == "HEAD" || rev == CurrentBranch()) && git_repository_head_unborn(repo_.get()) == 1) {
    return std::vector<DocumentInfo>();
  }
  STRATA_ASSIGN_OR_RETURN(CommitPtr c, LookupCommit(rev));
  STRATA_ASSIGN_OR_RETURN(std::optional<ObjectId> state, StateOf(c.get()));
  STRATA_ASSIGN_OR_RETURN(std::optional<ObjectId> meta, TreeEntryId(c.get(), kMetaEntry));
  std::vector<Member> docs;
  STRATA_RETURN_IF_ERROR(ReadMembers(*store_, *state, docs));
  std::map<std::string, ValueRef> meta_refs;
  if (meta) {
    std::vector<Member> metas;
    STRATA_RETURN_IF_ERROR(ReadMembers(*store_, *meta, metas));
    for (auto& m : metas) meta_refs[m.key] = m.ref;
  }
  std::vector<DocumentInfo> out;
  out.reserve(docs.size());
  for (const auto& d : docs) {
    DocumentInfo info;
    info.id = d.key;
    if (auto it = meta_refs.find(d.key); it != meta_refs.end()) {
      STRATA_ASSIGN_OR_RETURN(json::value m, DecodeValue(*store_, it->second));
      info = InfoFromJson(d.key, m);
    }
    out.push_back(std::move(info));
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.id < b.id; });
  return out;
}

Result<DocumentInfo> Repository::Info(const std::string& doc, const std::string& rev) {
  STRATA_ASSIGN_OR_RETURN(CommitPtr c, LookupCommit(rev));
  STRATA_ASSIGN_OR_RETURN(std::optional<ObjectId> state, StateOf(c.get()));
  STRATA_ASSIGN_OR_RETURN(std::optional<ValueRef> ref, FindMember(*store_, *state, doc));
  if (!ref) return Status::NotFound("no document '" + doc + "' at " + rev);
  STRATA_ASSIGN_OR_RETURN(std::optional<ObjectId> meta, TreeEntryId(c.get(), kMetaEntry));
  DocumentInfo unknown;
  unknown.id = doc;
  if (!meta) return unknown;
  STRATA_ASSIGN_OR_RETURN(std::optional<ValueRef> m, FindMember(*store_, *meta, doc));
  if (!m) return unknown;
  STRATA_ASSIGN_OR_RETURN(json::value v, DecodeValue(*store_, *m));
  return InfoFromJson(doc, v);
}

Result<std::vector<VersionInfo>> Repository::Log(const std::string& rev,
                                                 const LogOptions& options) {
  STRATA_ASSIGN_OR_RETURN(CommitPtr start, LookupCommit(rev));
  git_revwalk* raw = nullptr;
  STRATA_GIT(git_revwalk_new(&raw, repo_.get()), "cannot walk history");
  RevwalkPtr walk(raw);
  git_revwalk_sorting(raw, GIT_SORT_TOPOLOGICAL | GIT_SORT_TIME);
  STRATA_GIT(git_revwalk_push(raw, git_commit_id(start.get())), "cannot walk history");
  std::vector<VersionInfo> out;
  git_oid oid;
  while ((!options.max_count || out.size() < *options.max_count) &&
         git_revwalk_next(&oid, raw) == 0) {
    git_commit* c_raw = nullptr;
    STRATA_GIT(git_commit_lookup(&c_raw, repo_.get(), &oid), "cannot read version " + OidHex(&oid));
    CommitPtr c(c_raw);
    STRATA_ASSIGN_OR_RETURN(VersionInfo v, Describe(c_raw));
    out.push_back(std::move(v));
  }
  return out;
}

Result<VersionInfo> Repository::Show(const std::string& rev) {
  STRATA_ASSIGN_OR_RETURN(CommitPtr c, LookupCommit(rev));
  return Describe(c.get());
}

Result<strata::Patch> Repository::Delta(const std::string& rev) {
  STRATA_ASSIGN_OR_RETURN(CommitPtr c, LookupCommit(rev));
  STRATA_ASSIGN_OR_RETURN(std::optional<ObjectId> delta, TreeEntryId(c.get(), kDeltaEntry));
  if (!delta)
    return Status::Corruption("version " + OidHex(git_commit_id(c.get())) + " has no delta");
  STRATA_ASSIGN_OR_RETURN(std::string bytes, store_->ReadBlob(*delta));
  Result<strata::Patch> p = DecodeDelta(bytes);
  if (!p.ok()) return p.status().WithContext("version " + OidHex(git_commit_id(c.get())));
  return p;
}

Result<strata::Patch> Repository::Diff(const std::string& from, const std::string& to) {
  STRATA_ASSIGN_OR_RETURN(CommitPtr a, LookupCommit(from));
  STRATA_ASSIGN_OR_RETURN(CommitPtr b, LookupCommit(to));
  STRATA_ASSIGN_OR_RETURN(std::optional<ObjectId> sa, StateOf(a.get()));
  STRATA_ASSIGN_OR_RETURN(std::optional<ObjectId> sb, StateOf(b.get()));
  strata::Patch out;
  STRATA_RETURN_IF_ERROR(DiffStates(*store_, sa, sb, out));
  return out;
}

Result<std::vector<Change>> Repository::Annotate(const std::optional<std::string>& base,
                                                 const strata::Patch& patch) {
  std::optional<ObjectId> state;
  if (base) {
    STRATA_ASSIGN_OR_RETURN(CommitPtr c, LookupCommit(*base));
    STRATA_ASSIGN_OR_RETURN(state, StateOf(c.get()));
  }
  // Old values are read from the base state as the patch applies, so each
  // operation sees the state its predecessors left.
  StateEditor editor(*store_, state);
  std::vector<Change> out;
  out.reserve(patch.size());
  bool applies = true;
  for (const PatchOp& op : patch) {
    Change c;
    c.op = op;
    if (!op.path.IsRoot()) {
      c.doc = op.path.tokens()[0];
      c.pointer = op.path.Slice(1, op.path.tokens().size());
    }
    if (applies && (op.kind == PatchOpKind::kReplace || op.kind == PatchOpKind::kRemove)) {
      Result<json::value> old = editor.Get(op.path);
      if (old.ok()) c.old_value = std::move(old).value();
    }
    // Once an operation does not apply, later ones get no old value.
    if (applies) applies = ApplyPatch(editor, strata::Patch{op}).ok();
    out.push_back(std::move(c));
  }
  store_->Discard();
  return out;
}

}  // namespace strata
