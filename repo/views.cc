#include "repo/views.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>
#include <unordered_set>

#include "objects/delta_codec.h"
#include "objects/guard.h"
#include "repo/line_log.h"
#include "repo/refs.h"
#include "repo/repository_impl.h"
#include "repo/version_tree.h"
#include "strata/repository.h"

namespace strata {
namespace fs = std::filesystem;

namespace {

bool IsBucket(const TreeEntry& e) { return e.is_tree && !e.name.empty() && e.name[0] == '.'; }

std::optional<ObjectId> ParseHex(std::string_view hex) {
  if (hex.size() != GIT_OID_HEXSZ) return std::nullopt;
  git_oid oid;
  if (git_oid_fromstrn(&oid, hex.data(), hex.size()) < 0) {
    git_error_clear();
    return std::nullopt;
  }
  return FromGit(oid);
}

// A line's body: "source-hex view-hex kind".
constexpr std::size_t kBodySize = 2 * GIT_OID_HEXSZ + 3;
constexpr std::size_t kCheckSize = 16;

// The check of a line: FNV-1a (64 bits) of the perspective id (the cache
// file's name), a space and the line's body, as 16 hex digits. A flipped
// byte, a line moved from another perspective's file, or a source paired with
// another line's view fails it: a damaged cache is recomputed, never trusted.
std::string LineCheck(std::string_view perspective, std::string_view body) {
  std::uint64_t h = 14695981039346656037ull;
  auto mix = [&h](std::string_view bytes) {
    for (unsigned char c : bytes) {
      h ^= c;
      h *= 1099511628211ull;
    }
  };
  mix(perspective);
  mix(" ");
  mix(body);
  static const char kHex[] = "0123456789abcdef";
  std::string out(kCheckSize, '0');
  for (std::size_t i = 0; i < kCheckSize; ++i) out[kCheckSize - 1 - i] = kHex[(h >> (4 * i)) & 15];
  return out;
}

}  // namespace

// --- ViewCache -----------------------------------------------------------------

ViewCache::ViewCache(std::string file)
    : file_(std::move(file)), perspective_(fs::path(file_).filename().string()) {
  std::ifstream in(file_, std::ios::binary);
  std::string line;
  while (std::getline(in, line)) {
    // A torn last line (no newline) is ignored: getline hands it over at EOF.
    if (in.eof()) break;
    if (line.size() != kBodySize + 1 + kCheckSize || line[GIT_OID_HEXSZ] != ' ' ||
        line[2 * GIT_OID_HEXSZ + 1] != ' ' || line[kBodySize] != ' ') {
      continue;
    }
    const std::string_view body = std::string_view(line).substr(0, kBodySize);
    if (std::string_view(line).substr(kBodySize + 1) != LineCheck(perspective_, body)) continue;
    std::optional<ObjectId> source = ParseHex(body.substr(0, GIT_OID_HEXSZ));
    std::optional<ObjectId> view = ParseHex(body.substr(GIT_OID_HEXSZ + 1, GIT_OID_HEXSZ));
    const char kind = body.back();
    if (!source || !view || (kind != 't' && kind != 'a' && kind != 'b' && kind != '-')) continue;
    if (kind == '-') {
      map_[*source] = std::nullopt;
    } else {
      map_[*source] = ValueRef{*view, kind != 'b', kind == 'a'};
    }
  }
}

std::optional<std::optional<ValueRef>> ViewCache::Find(const ObjectId& source) const {
  auto it = map_.find(source);
  if (it == map_.end()) return std::nullopt;
  return it->second;
}

void ViewCache::Add(const ObjectId& source, const std::optional<ValueRef>& view) {
  auto [it, added] = map_.emplace(source, view);
  if (!added) {
    if (it->second == view) return;
    it->second = view;  // a stale entry (its object gone): the new line wins on reading
  }
  std::string body = source.Hex();
  body += ' ';
  body += view ? view->id.Hex() : std::string(GIT_OID_HEXSZ, '0');
  body += ' ';
  body += view ? (view->is_array ? 'a' : view->is_tree ? 't' : 'b') : '-';
  pending_ += body;
  pending_ += ' ';
  pending_ += LineCheck(perspective_, body);
  pending_ += '\n';
}

Status ViewCache::Save() {
  Status s = AppendLines(file_, pending_, "views");
  pending_.clear();
  return s;
}

unsigned ViewThreads() {
  if (const char* env = std::getenv("STRATA_VIEW_THREADS")) {
    int n = std::atoi(env);
    if (n >= 1) return static_cast<unsigned>(std::min(n, 64));
  }
  unsigned n = std::thread::hardware_concurrency();
  return std::clamp(n, 1u, 8u);
}

// --- computing a view state ----------------------------------------------------

namespace {

// Below this many documents to look into, one thread does it all.
constexpr std::size_t kParallelMin = 64;

// A document whose view must be computed from its value.
struct DocJob {
  ObjectId source;
  bool is_tree = false;
  std::string text;   // a blob's JSON
  json::value value;  // a tree's value, decoded on the calling thread
  // Results.
  Status status;
  bool present = false;             // something of the document is visible
  std::optional<json::value> view;  // the view, when it is stored as a tree
  std::string blob;                 // the view's canonical JSON, when it is a blob
};

void RunJob(const Perspective& p, DocJob& job) {
  json::value value;
  if (job.is_tree) {
    value = std::move(job.value);
  } else {
    Result<json::value> parsed = ParseJson(job.text, "blob " + job.source.Hex());
    if (!parsed.ok()) {
      job.status = parsed.status();
      return;
    }
    value = std::move(parsed).value();
    job.text.clear();
    job.text.shrink_to_fit();
  }
  std::optional<json::value> view = p.View(value);
  if (!view) return;
  job.present = true;
  // As EncodeValue(…, depth 1) decides: objects (and, in format 2, arrays)
  // larger than a blob become trees; EncodeValue has the last word.
  if (!(view->is_object() || view->is_array()) ||
      CanonicalSize(*view, kBlobMaxBytes) <= kBlobMaxBytes) {
    job.blob = CanonicalJson(*view);
  } else {
    job.view = std::move(view);
  }
}

class ViewBuilder {
 public:
  ViewBuilder(ObjectStore& store, const Perspective& p, ViewCache& cache)
      : store_(store), p_(p), cache_(cache) {}

  Result<ObjectId> Run(const ObjectId& state) {
    root_uniform_ = p_.Uniform(JsonPointer());
    STRATA_RETURN_IF_ERROR(Plan(state));
    STRATA_RETURN_IF_ERROR(Compute());
    STRATA_ASSIGN_OR_RETURN(ObjectId out, Assemble(state));
    return out;
  }

 private:
  // The cached view of `source`, if its object is still there (a view's
  // objects are not referenced by any ref: `git gc` may remove them).
  std::optional<std::optional<ValueRef>> Cached(const ObjectId& source) {
    std::optional<std::optional<ValueRef>> hit = cache_.Find(source);
    if (!hit || !*hit) return hit;
    auto known = present_.find((*hit)->id);
    if (known == present_.end()) {
      known = present_.emplace((*hit)->id, store_.Exists((*hit)->id)).first;
    }
    if (!known->second) return std::nullopt;
    return hit;
  }

  // Pass 1: read the trees not yet viewed and queue the documents to look into.
  Status Plan(const ObjectId& node) {
    std::vector<ObjectId> stack{node};
    while (!stack.empty()) {
      ObjectId id = stack.back();
      stack.pop_back();
      if (Cached(id) || trees_.count(id)) continue;
      STRATA_ASSIGN_OR_RETURN(std::vector<TreeEntry> entries, store_.ReadTree(id));
      for (const TreeEntry& e : entries) {
        if (IsBucket(e)) {
          stack.push_back(e.id);
          continue;
        }
        STRATA_ASSIGN_OR_RETURN(Member doc, ParseMemberEntry(e.name, e.id, e.is_tree));
        if (!p_.DocVisible(doc.key)) continue;
        STRATA_RETURN_IF_ERROR(PlanDoc(doc.ref));
      }
      trees_.emplace(id, std::move(entries));
    }
    return Status::Ok();
  }

  Status PlanDoc(const ValueRef& ref) {
    if (root_uniform_ || docs_.count(ref.id) || Cached(ref.id)) return Status::Ok();
    docs_.emplace(ref.id, jobs_.size());
    DocJob job;
    job.source = ref.id;
    job.is_tree = ref.is_tree;
    if (ref.is_tree) {
      STRATA_ASSIGN_OR_RETURN(job.value, DecodeValue(store_, ref));
    } else {
      STRATA_ASSIGN_OR_RETURN(job.text, store_.ReadBlob(ref.id));
    }
    jobs_.push_back(std::move(job));
    return Status::Ok();
  }

  // Pass 2: the views of the queued documents, on several threads when many.
  Status Compute() {
    const unsigned threads = ViewThreads();
    if (jobs_.size() < kParallelMin || threads <= 1) {
      for (DocJob& job : jobs_) RunJob(p_, job);
    } else {
      std::atomic<std::size_t> next{0};
      auto work = [&] {
        for (std::size_t i = next++; i < jobs_.size(); i = next++) RunJob(p_, jobs_[i]);
      };
      std::vector<std::thread> pool;
      const unsigned n = std::min<std::size_t>(threads, jobs_.size() / (kParallelMin / 2));
      for (unsigned t = 1; t < n; ++t) pool.emplace_back(work);
      work();
      for (std::thread& t : pool) t.join();
    }
    for (DocJob& job : jobs_) {
      STRATA_RETURN_IF_ERROR(job.status);
      std::optional<ValueRef> view;
      if (job.present && !job.view) {
        STRATA_ASSIGN_OR_RETURN(ObjectId id, store_.WriteBlob(job.blob));
        view = ValueRef{id, false};
      } else if (job.present) {
        STRATA_ASSIGN_OR_RETURN(view, EncodeValue(store_, *job.view, 1));
      }
      cache_.Add(job.source, view);
      job = DocJob();  // free the values as we go
    }
    return Status::Ok();
  }

  Result<std::optional<ValueRef>> DocView(const ValueRef& ref) {
    if (root_uniform_) {
      switch (*root_uniform_) {
        case ViewAction::kShow:
          return std::optional<ValueRef>(ref);
        case ViewAction::kHide:
          return std::optional<ValueRef>();
        case ViewAction::kMask: {
          STRATA_ASSIGN_OR_RETURN(ObjectId id, store_.WriteBlob(CanonicalJson(kMaskedValue)));
          return std::optional<ValueRef>(ValueRef{id, false});
        }
      }
    }
    std::optional<std::optional<ValueRef>> cached = Cached(ref.id);
    if (!cached) return Status::Corruption("no view computed for " + ref.id.Hex());
    return *cached;
  }

  // Pass 3: write the view trees, bottom up (shard levels are few: the
  // recursion is at most kMaxShardLevels deep).
  Result<ObjectId> Assemble(const ObjectId& node) {
    if (std::optional<std::optional<ValueRef>> cached = Cached(node)) {
      if (*cached) return (*cached)->id;
      return Status::Corruption("the view of tree " + node.Hex() + " is recorded as nothing");
    }
    auto it = trees_.find(node);
    if (it == trees_.end()) return Status::Corruption("tree " + node.Hex() + " was not read");
    std::vector<TreeEntry> out;
    for (const TreeEntry& e : it->second) {
      if (IsBucket(e)) {
        STRATA_ASSIGN_OR_RETURN(ObjectId child, Assemble(e.id));
        if (!(child == EmptyTree())) out.push_back({e.name, child, true});
        continue;
      }
      STRATA_ASSIGN_OR_RETURN(Member doc, ParseMemberEntry(e.name, e.id, e.is_tree));
      if (!p_.DocVisible(doc.key)) continue;
      STRATA_ASSIGN_OR_RETURN(std::optional<ValueRef> view, DocView(doc.ref));
      if (view) out.push_back({MemberEntryName(doc.key, *view), view->id, view->is_tree});
    }
    STRATA_ASSIGN_OR_RETURN(ObjectId id, store_.WriteTree(std::move(out)));
    cache_.Add(node, ValueRef{id, true});
    return id;
  }

  const ObjectId& EmptyTree() {
    if (!empty_tree_) {
      git_oid oid;
      git_oid_fromstr(&oid, "4b825dc642cb6eb9a060e54bf8d69288fbee4904");
      empty_tree_ = FromGit(oid);
    }
    return *empty_tree_;
  }

  ObjectStore& store_;
  const Perspective& p_;
  ViewCache& cache_;
  std::optional<ViewAction> root_uniform_;
  std::unordered_map<ObjectId, std::vector<TreeEntry>> trees_;
  std::unordered_map<ObjectId, std::size_t> docs_;  // source -> index in jobs_
  std::vector<DocJob> jobs_;
  std::unordered_map<ObjectId, bool> present_;  // view objects found (or not) on disk
  std::optional<ObjectId> empty_tree_;
};

}  // namespace

Result<ObjectId> ComputeViewState(ObjectStore& store, const Perspective& p, ViewCache& cache,
                                  const ObjectId& state) {
  ViewBuilder builder(store, p, cache);
  return builder.Run(state);
}

// --- writes through a perspective ----------------------------------------------

Result<PerspectiveTarget::Doc*> PerspectiveTarget::Load(const JsonPointer& path, bool for_write) {
  if (path.IsRoot()) {
    return Status::InvalidArgument("the whole state cannot be edited through perspective '" +
                                   p_.name() + "'; name a document");
  }
  const std::string& id = path.tokens()[0];
  if (!p_.DocVisible(id)) {
    if (for_write) {
      return Status::InvalidArgument("document '" + id + "' is outside perspective '" + p_.name() +
                                     "'; nothing was written");
    }
    return static_cast<Doc*>(nullptr);
  }
  auto it = docs_.find(id);
  if (it == docs_.end()) {
    Doc d;
    Result<json::value> stored = inner_.Get(JsonPointer({id}));
    if (stored.ok()) {
      d.stored = std::move(stored).value();
      d.view = p_.View(*d.stored);
    } else if (stored.status().code() != Code::kNotFound) {
      return stored.status();
    }
    it = docs_.emplace(id, std::move(d)).first;
  }
  return &it->second;
}

namespace {

JsonPointer Inside(const JsonPointer& path) { return path.Slice(1, path.tokens().size()); }

Status NoDocument(const std::string& id) { return Status::NotFound("no document '" + id + "'"); }

}  // namespace

Result<json::value> PerspectiveTarget::Get(const JsonPointer& path) {
  STRATA_ASSIGN_OR_RETURN(Doc * d, Load(path, false));
  if (!d || !d->view) return NoDocument(path.tokens()[0]);
  Result<const json::value*> at = ResolvePointer(std::as_const(*d->view), Inside(path));
  if (!at.ok()) {
    return Status(at.status().code(),
                  "in document '" + path.tokens()[0] + "': " + at.status().message());
  }
  return **at;
}

Result<bool> PerspectiveTarget::Exists(const JsonPointer& path) {
  STRATA_ASSIGN_OR_RETURN(Doc * d, Load(path, false));
  if (!d || !d->view) return false;
  Result<const json::value*> at = ResolvePointer(std::as_const(*d->view), Inside(path));
  return at.ok();
}

Status PerspectiveTarget::Add(const JsonPointer& path, json::value value) {
  STRATA_ASSIGN_OR_RETURN(Doc * d, Load(path, true));
  if (path.tokens().size() == 1) {
    d->view = std::move(value);
  } else {
    if (!d->view) return NoDocument(path.tokens()[0]);
    ValueTarget t(*d->view);
    STRATA_RETURN_IF_ERROR(t.Add(Inside(path), std::move(value))
                               .WithContext("in document '" + path.tokens()[0] + "'"));
  }
  d->edited = true;
  return Status::Ok();
}

Status PerspectiveTarget::Remove(const JsonPointer& path) {
  STRATA_ASSIGN_OR_RETURN(Doc * d, Load(path, true));
  if (!d->view) return NoDocument(path.tokens()[0]);
  if (path.tokens().size() == 1) {
    d->view.reset();
  } else {
    ValueTarget t(*d->view);
    STRATA_RETURN_IF_ERROR(
        t.Remove(Inside(path)).WithContext("in document '" + path.tokens()[0] + "'"));
  }
  d->edited = true;
  return Status::Ok();
}

Status PerspectiveTarget::Replace(const JsonPointer& path, json::value value) {
  STRATA_ASSIGN_OR_RETURN(Doc * d, Load(path, true));
  if (!d->view) return NoDocument(path.tokens()[0]);
  if (path.tokens().size() == 1) {
    d->view = std::move(value);
  } else {
    ValueTarget t(*d->view);
    STRATA_RETURN_IF_ERROR(t.Replace(Inside(path), std::move(value))
                               .WithContext("in document '" + path.tokens()[0] + "'"));
  }
  d->edited = true;
  return Status::Ok();
}

Status PerspectiveTarget::Finish() {
  for (auto& [id, d] : docs_) {
    if (!d.edited) continue;
    Result<std::optional<json::value>> next = p_.Reapply(d.stored, d.view);
    if (!next.ok()) return next.status().WithContext("in document '" + id + "'");
    const JsonPointer at({id});
    if (*next) {
      STRATA_RETURN_IF_ERROR(inner_.Add(at, std::move(**next)));
    } else if (d.stored) {
      STRATA_RETURN_IF_ERROR(inner_.Remove(at));
    }
  }
  return Status::Ok();
}

// --- the repository's side -----------------------------------------------------

Status Repository::UsePerspective(const std::optional<std::string>& name) try {
  impl_->perspective_.reset();
  impl_->view_cache_.reset();
  if (!name) return Status::Ok();
  // The definitions at the current branch's head, read whole (no view).
  std::optional<json::value> doc;
  STRATA_ASSIGN_OR_RETURN(std::optional<ObjectId> head, ReadRef(impl_->repo_.get(), "HEAD"));
  if (head) {
    STRATA_ASSIGN_OR_RETURN(CommitPtr c, LookupCommit(impl_->repo_.get(), head->Hex()));
    STRATA_ASSIGN_OR_RETURN(VersionTrees trees, ReadVersionTrees(*impl_->store_, c.get()));
    STRATA_ASSIGN_OR_RETURN(std::optional<ValueRef> ref,
                            FindMember(*impl_->store_, trees.state, kPerspectivesDoc));
    if (ref) {
      STRATA_ASSIGN_OR_RETURN(doc, DecodeValue(*impl_->store_, *ref));
    }
  }
  STRATA_ASSIGN_OR_RETURN(Perspective p, Perspective::Resolve(doc ? &*doc : nullptr, *name));
  impl_->perspective_ = std::move(p);
  return Status::Ok();
} catch (...) {
  return CaughtStatus("Repository::UsePerspective");
}

Result<ObjectId> Repository::ViewState(const ObjectId& state) {
  if (!impl_->perspective_) return state;
  if (!impl_->view_cache_) {
    impl_->view_cache_ = std::make_unique<ViewCache>(
        (fs::path(impl_->path_) / "views" / impl_->perspective_->id()).string());
  }
  if (std::optional<std::optional<ValueRef>> hit = impl_->view_cache_->Find(state)) {
    // Trust the line only if its object is there (a cache file may outlive
    // objects removed by hand).
    if (*hit && impl_->store_->Exists((*hit)->id)) return (*hit)->id;
  }
  // A view computed in the middle of a write must not flush the write's
  // staged objects: it stays staged with them, and is not remembered.
  const bool alone = impl_->store_->staged_objects() == 0;
  STRATA_ASSIGN_OR_RETURN(ObjectId view, ComputeViewState(*impl_->store_, *impl_->perspective_,
                                                          *impl_->view_cache_, state));
  if (!alone) {
    impl_->view_cache_->DropPending();
    return view;
  }
  if (impl_->store_->staged_objects() > 0) {
    Status flushed = impl_->store_->Flush();
    if (!flushed.ok()) {
      impl_->view_cache_->DropPending();
      impl_->store_->Discard();
      return flushed;
    }
  }
  // The view was computed; failing to remember it is not the reader's problem.
  (void)impl_->view_cache_->Save();
  return view;
}

Result<VersionTrees> Repository::Impl::ReadTrees(const git_commit* commit) {
  STRATA_ASSIGN_OR_RETURN(VersionTrees trees, ReadVersionTrees(*store_, commit));
  if (perspective_) {
    STRATA_ASSIGN_OR_RETURN(trees.state, self->ViewState(trees.state));
  }
  return trees;
}

Status Repository::CheckPerspectiveWrite(const std::optional<ObjectId>& base, const ObjectId& next,
                                         const std::vector<std::string>& touched) {
  if (!impl_->perspective_) return Status::Ok();
  const Perspective& p = *impl_->perspective_;
  for (const std::string& doc : touched) {
    if (!p.DocVisible(doc)) {
      return Status::InvalidArgument("document '" + doc + "' is outside perspective '" + p.name() +
                                     "'; nothing was written");
    }
    std::optional<json::value> before, after;
    if (base) {
      STRATA_ASSIGN_OR_RETURN(std::optional<ValueRef> ref, FindMember(*impl_->store_, *base, doc));
      if (ref) {
        STRATA_ASSIGN_OR_RETURN(before, DecodeValue(*impl_->store_, *ref));
      }
    }
    STRATA_ASSIGN_OR_RETURN(std::optional<ValueRef> ref, FindMember(*impl_->store_, next, doc));
    if (ref) {
      STRATA_ASSIGN_OR_RETURN(after, DecodeValue(*impl_->store_, *ref));
    }
    if (!p.HiddenEqual(before, after)) {
      return Status::InvalidArgument("the write would change values of document '" + doc +
                                     "' that perspective '" + p.name() +
                                     "' hides; nothing was written");
    }
  }
  return Status::Ok();
}

void Repository::FilterConflicts(std::vector<MergeConflict>& conflicts) const {
  if (!impl_->perspective_) return;
  const Perspective& p = *impl_->perspective_;
  std::vector<MergeConflict> kept;
  for (MergeConflict& c : conflicts) {
    if (!p.DocVisible(c.doc)) continue;
    bool any = false;
    for (std::optional<json::value>* side : {&c.base, &c.ours, &c.theirs}) {
      if (!*side) continue;
      *side = p.View(**side, c.pointer);
      any = any || side->has_value();
    }
    if (any) kept.push_back(std::move(c));
  }
  conflicts = std::move(kept);
}

// --- messages through a perspective --------------------------------------------

namespace {

bool TokenStart(const std::string& s, std::size_t pos) { return pos == 0 || s[pos - 1] == ' '; }
bool TokenEnd(const std::string& s, std::size_t end) {
  return end == s.size() || s[end] == ' ' || s[end] == ':' || s[end] == ',';
}

// Replaces each whole-token occurrence of `what` in `text` with `with`.
void ReplaceTokens(std::string& text, const std::string& what, const std::string& with) {
  if (what.empty()) return;
  for (std::size_t pos = text.find(what); pos != std::string::npos;
       pos = text.find(what, pos + 1)) {
    if (TokenStart(text, pos) && TokenEnd(text, pos + what.size())) {
      text.replace(pos, what.size(), with);
      pos += with.size() - 1;
    }
  }
}

}  // namespace

Status Repository::Impl::SeeMessageThrough(VersionInfo& v, const git_commit* commit) {
  if (!perspective_) return Status::Ok();
  const Perspective& p = *perspective_;
  STRATA_ASSIGN_OR_RETURN(VersionTrees trees, ReadVersionTrees(*store_, commit));
  if (!trees.delta) return Status::Ok();
  STRATA_ASSIGN_OR_RETURN(std::string bytes, store_->ReadBlob(*trees.delta));
  Result<strata::Patch> delta = DecodeDelta(bytes);
  if (!delta.ok()) return delta.status().WithContext("version " + v.id);
  // What the version touched that the reader may not see, as a message
  // strata composes would print it.
  std::vector<std::string> hidden;
  auto consider = [&](const JsonPointer& path) {
    if (path.IsRoot()) return;
    const std::string& doc = path.tokens()[0];
    JsonPointer inside = path.Slice(1, path.tokens().size());
    if (!p.DocVisible(doc)) {
      // A hidden document's keys are as private as its id ("set DOC /key").
      hidden.push_back(SummaryLine(doc, std::string::npos));
      if (!inside.IsRoot()) hidden.push_back(SummaryLine(inside.ToString(), std::string::npos));
      return;
    }
    if (!inside.IsRoot() && p.Uniform(inside) == ViewAction::kHide) {
      hidden.push_back(SummaryLine(inside.ToString(), std::string::npos));
    }
  };
  for (const PatchOp& op : *delta) {
    consider(op.path);
    if (op.kind == PatchOpKind::kMove || op.kind == PatchOpKind::kCopy) consider(op.from);
  }
  if (hidden.empty()) return Status::Ok();
  std::sort(hidden.begin(), hidden.end(),
            [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
  hidden.erase(std::unique(hidden.begin(), hidden.end()), hidden.end());
  static const std::string kHidden = "(hidden)";
  std::string& m = v.message;
  // A composed message cut short ("set doc /secrets/long-ke..."): its tail
  // may be the start of a hidden mention.
  static const std::string kCut = "...";
  if (m.size() > kCut.size() && m.compare(m.size() - kCut.size(), kCut.size(), kCut) == 0) {
    const std::size_t body = m.size() - kCut.size();
    for (std::size_t pos = 0; pos < body; ++pos) {
      if (!TokenStart(m, pos)) continue;
      std::string_view tail(m.data() + pos, body - pos);
      bool cut = std::any_of(hidden.begin(), hidden.end(),
                             [&](const std::string& h) { return h.rfind(tail, 0) == 0; });
      if (cut) {
        m.replace(pos, std::string::npos, kHidden);
        break;
      }
    }
  }
  for (const std::string& h : hidden) ReplaceTokens(m, h, kHidden);
  return Status::Ok();
}

}  // namespace strata
