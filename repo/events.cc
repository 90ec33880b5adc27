#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <boost/signals2.hpp>
#include <ctime>
#include <exception>
#include <filesystem>

#include "objects/guard.h"
#include "objects/tree_diff.h"
#include "repo/event_hub.h"
#include "repo/hooks.h"
#include "repo/repository_impl.h"
#include "repo/test_access.h"
#include "repo/version_tree.h"
#include "strata/repository.h"

namespace strata {
namespace {

struct KindName {
  EventKind kind;
  std::string_view name;
};
constexpr KindName kKindNames[] = {
    {EventKind::kWrite, "write"}, {EventKind::kMerge, "merge"},   {EventKind::kBranch, "branch"},
    {EventKind::kTag, "tag"},     {EventKind::kLabels, "labels"}, {EventKind::kFetch, "fetch"},
    {EventKind::kPull, "pull"},   {EventKind::kPush, "push"},     {EventKind::kReceive, "receive"},
    {EventKind::kOther, "other"},
};

json::value IdOrNull(const std::optional<std::string>& id) {
  return id ? json::value(*id) : json::value(nullptr);
}

// Whether an operation at `path` (a state pointer, /DOC/...) changes the
// value at `pointer` in `doc`: it is at or under it, or holds it.
bool Touches(const JsonPointer& path, const std::string& doc, const JsonPointer& pointer) {
  const std::vector<std::string>& tokens = path.tokens();
  if (tokens.empty()) return true;  // the whole state
  if (tokens[0] != doc) return false;
  const std::vector<std::string>& prefix = pointer.tokens();
  const std::size_t n = std::min(tokens.size() - 1, prefix.size());
  for (std::size_t i = 0; i < n; ++i) {
    if (tokens[i + 1] != prefix[i]) return false;
  }
  return true;
}

// The operation as a reader of `p` sees it; nullopt when it sees none of it.
std::optional<PatchOp> SeeThrough(const PatchOp& op, const Perspective& p) {
  const std::vector<std::string>& tokens = op.path.tokens();
  if (tokens.empty() || !p.DocVisible(tokens[0])) return std::nullopt;
  const JsonPointer in_doc(std::vector<std::string>(tokens.begin() + 1, tokens.end()));
  switch (op.kind) {
    case PatchOpKind::kAdd:
    case PatchOpKind::kReplace:
    case PatchOpKind::kTest: {
      std::optional<json::value> seen = p.View(op.value, in_doc);
      if (!seen) return std::nullopt;
      PatchOp out = op;
      out.value = std::move(*seen);
      return out;
    }
    case PatchOpKind::kRemove:
      if (p.Uniform(in_doc) == ViewAction::kHide) return std::nullopt;
      return op;
    case PatchOpKind::kMove:
    case PatchOpKind::kCopy: {
      const std::vector<std::string>& from = op.from.tokens();
      if (from.empty() || !p.DocVisible(from[0])) return std::nullopt;
      const JsonPointer from_in_doc(std::vector<std::string>(from.begin() + 1, from.end()));
      if (p.Uniform(in_doc) == ViewAction::kHide || p.Uniform(from_in_doc) == ViewAction::kHide) {
        return std::nullopt;
      }
      return op;
    }
  }
  return std::nullopt;
}

}  // namespace

std::string_view EventKindName(EventKind kind) {
  for (const KindName& k : kKindNames) {
    if (k.kind == kind) return k.name;
  }
  return "other";
}

std::optional<EventKind> ParseEventKind(std::string_view name) {
  for (const KindName& k : kKindNames) {
    if (k.name == name) return k.kind;
  }
  return std::nullopt;
}

std::optional<EventKind> EventKindOf(RefCause cause) {
  switch (cause) {
    case RefCause::kWrite:
      return EventKind::kWrite;
    case RefCause::kMerge:
      return EventKind::kMerge;
    case RefCause::kBranch:
      return EventKind::kBranch;
    case RefCause::kTag:
      return EventKind::kTag;
    case RefCause::kLabels:
      return EventKind::kLabels;
    case RefCause::kFetch:
      return EventKind::kFetch;
    case RefCause::kPull:
      return EventKind::kPull;
    case RefCause::kPush:
      return EventKind::kPush;
    case RefCause::kReceive:
      return EventKind::kReceive;
    case RefCause::kOther:
      return EventKind::kOther;
    case RefCause::kInternal:
      return std::nullopt;
  }
  return std::nullopt;
}

json::object EventToJson(const Event& e) {
  json::object o;
  o["kind"] = EventKindName(e.kind);
  o["action"] = e.action;
  o["ref"] = e.ref;
  o["old"] = IdOrNull(e.old_id);
  o["new"] = IdOrNull(e.new_id);
  if (e.action == "switch") o["names"] = e.names;
  o["version"] = e.version ? json::value(VersionToJson(*e.version)) : json::value(nullptr);
  o["written"] = e.written;
  o["fast_forward"] = e.fast_forward;
  o["delta"] = PatchToJson(e.delta);
  o["reason"] = e.reason;
  o["timestamp"] = e.time;
  return o;
}

std::optional<Event> NarrowEvent(const Event& event, const EventFilter& filter) {
  if (!filter.kinds.empty() &&
      std::find(filter.kinds.begin(), filter.kinds.end(), event.kind) == filter.kinds.end()) {
    return std::nullopt;
  }
  if (!filter.doc && !filter.perspective) return event;
  if (filter.doc && event.delta.empty()) return std::nullopt;
  Event out;
  out.kind = event.kind;
  out.action = event.action;
  out.ref = event.ref;
  out.old_id = event.old_id;
  out.new_id = event.new_id;
  out.names = event.names;
  out.version = event.version;
  out.written = event.written;
  out.fast_forward = event.fast_forward;
  out.reason = event.reason;
  out.time = event.time;
  for (const PatchOp& op : event.delta) {
    if (filter.doc) {
      const bool from_touches = (op.kind == PatchOpKind::kMove || op.kind == PatchOpKind::kCopy) &&
                                Touches(op.from, *filter.doc, filter.pointer);
      if (!Touches(op.path, *filter.doc, filter.pointer) && !from_touches) continue;
    }
    if (filter.perspective) {
      std::optional<PatchOp> seen = SeeThrough(op, *filter.perspective);
      if (seen) out.delta.push_back(std::move(*seen));
    } else {
      out.delta.push_back(op);
    }
  }
  if (out.delta.empty() && !event.delta.empty()) return std::nullopt;
  return out;
}

// --- EventHub ----------------------------------------------------------------

struct EventHub::Impl {
  boost::signals2::signal<void(const Event&, const EventReporter*)> signal;
};

EventHub::EventHub() : impl_(std::make_unique<Impl>()) {}
EventHub::~EventHub() = default;

EventConnection EventHub::Subscribe(EventFilter filter, EventHandler handler) {
  auto slot = [filter = std::move(filter), handler = std::move(handler)](
                  const Event& event, const EventReporter* report) {
    std::string what;
    try {
      std::optional<Event> seen = NarrowEvent(event, filter);
      if (seen) handler(*seen);
      return;
    } catch (const std::exception& e) {
      what = e.what();
    } catch (...) {
      what = "an exception that is not a std::exception";
    }
    if (report && *report) {
      try {
        (*report)("an event subscriber failed on the " + std::string(EventKindName(event.kind)) +
                  " event of " + event.ref + ": " + what);
      } catch (...) {
        // The reporter itself failed: nothing more to tell anyone.
      }
    }
  };
  return EventConnection(impl_->signal.connect(std::move(slot)));
}

bool EventHub::empty() const { return impl_->signal.empty(); }

void EventHub::Deliver(const Event& event, const EventReporter& report) const {
  impl_->signal(event, &report);
}

// --- Repository: events and hooks around every transaction --------------------

EventConnection Repository::Subscribe(EventFilter filter, EventHandler handler) {
  return impl_->events_->Subscribe(std::move(filter), std::move(handler));
}

void RepositoryTestAccess::SetTransactionHooks(Repository& repo, const TransactionHooks& hooks) {
  Repository::Impl* impl_ = repo.impl_.get();
  impl_->hooks_.pre_commit = hooks.pre_commit;
  impl_->hooks_.post_commit = hooks.post_commit;
}

void Repository::InstallEventHooks() {
  impl_->events_ = std::make_unique<EventHub>();
  impl_->hooks_.prepare = [this](const std::vector<RefUpdate>& updates) {
    return BeforeRefsMove(updates);
  };
  // The refs have moved: the write stands whatever happens here. A failure
  // now (out of memory building an event) is reported, never the write's.
  impl_->hooks_.committed = [this](const std::vector<RefUpdate>& updates) {
    Status st = Guarded("delivering events", [&] {
      AfterRefsMoved(updates);
      return Status::Ok();
    });
    if (!st.ok()) Report(st.message());
  };
}

// The reporter is the caller's: what it throws is dropped (it is the place
// failures go; there is nowhere further).
void Repository::Report(const std::string& message) const {
  try {
    if (impl_->reporter_) impl_->reporter_(message);
  } catch (...) {
  }
}

std::optional<std::string> Repository::ExecutableHook(const std::string& name) const {
  const std::string path = HookPath(impl_->path_, name);
  struct stat st {};
  if (stat(path.c_str(), &st) != 0) return std::nullopt;
  if (!S_ISREG(st.st_mode) || access(path.c_str(), X_OK) != 0) {
    Report("the " + name + " hook was ignored because it is not an executable file: " + path +
           " (make it executable with chmod +x, or remove it)");
    return std::nullopt;
  }
  return path;
}

Event Repository::BuildEvent(const RefUpdate& u, EventKind kind) {
  Event e;
  e.kind = kind;
  e.ref = u.ref;
  e.reason = u.reason;
  e.time = static_cast<std::int64_t>(std::time(nullptr));
  if (u.kind == RefUpdateKind::kSymbolic) {
    e.action = "switch";
    e.names = u.symbolic_target;
    return e;
  }
  if (u.expected) e.old_id = u.expected->Hex();
  if (u.kind == RefUpdateKind::kDelete) {
    e.action = "delete";
    return e;
  }
  e.action = u.expected ? "update" : "create";
  e.new_id = u.target.Hex();
  if (u.version && !u.delta_values_dropped) {
    e.version = *u.version;
    e.written = true;
    e.delta = u.delta;
    return e;
  }
  if (u.version) e.written = true;  // its delta is computed below, from the states
  if (kind == EventKind::kLabels) return e;
  e.fast_forward = kind == EventKind::kMerge;
  // The versions the ref named before and names now, and the change between.
  auto state_of = [&](const ObjectId& id,
                      std::optional<VersionInfo>* info) -> Result<std::optional<ObjectId>> {
    git_object* raw = nullptr;
    STRATA_GIT(git_object_lookup(&raw, impl_->repo_.get(), AsGit(id), GIT_OBJECT_ANY),
               "cannot read " + id.Hex());
    ObjectPtr obj(raw);
    git_object* peeled = nullptr;
    if (git_object_peel(&peeled, raw, GIT_OBJECT_COMMIT) < 0) {
      git_error_clear();
      return std::optional<ObjectId>();  // not a version
    }
    ObjectPtr commit_obj(peeled);
    const git_commit* commit = reinterpret_cast<const git_commit*>(peeled);
    STRATA_ASSIGN_OR_RETURN(VersionTrees t, ReadVersionTrees(*impl_->store_, commit));
    if (info) *info = DescribeCommit(commit, t.state);
    return std::optional<ObjectId>(t.state);
  };
  Result<std::optional<ObjectId>> to = state_of(u.target, &e.version);
  if (!to.ok()) {
    Report("the " + std::string(EventKindName(kind)) + " event of " + u.ref +
           " has no version: " + to.status().message());
    return e;
  }
  if (!*to) return e;
  if (!u.expected) {
    // A new ref brings no change of its own, except the version it writes (a
    // large one whose delta was kept as paths only): from the empty state.
    if (!u.version) return e;
    Status diffed = DiffStates(*impl_->store_, std::nullopt, *to, e.delta);
    if (!diffed.ok()) {
      e.delta.clear();
      Report("the " + std::string(EventKindName(kind)) + " event of " + u.ref +
             " has no delta: " + diffed.message());
    }
    return e;
  }
  Result<std::optional<ObjectId>> from = state_of(*u.expected, nullptr);
  Status diffed = from.ok()
                      ? (*from ? DiffStates(*impl_->store_, *from, *to, e.delta) : Status::Ok())
                      : from.status();
  if (!diffed.ok()) {
    e.delta.clear();
    Report("the " + std::string(EventKindName(kind)) + " event of " + u.ref +
           " has no delta: " + diffed.message());
  }
  return e;
}

Status Repository::BeforeRefsMove(const std::vector<RefUpdate>& updates) {
  impl_->hooks_dir_ = false;
  if (!impl_->run_hooks_) return Status::Ok();
  struct stat st {};
  impl_->hooks_dir_ = stat((impl_->path_ + "/hooks").c_str(), &st) == 0 && S_ISDIR(st.st_mode);
  if (!impl_->hooks_dir_) return Status::Ok();
  const bool writes = std::any_of(updates.begin(), updates.end(), [](const RefUpdate& u) {
    return u.version && u.cause != RefCause::kInternal;
  });
  if (!writes) return Status::Ok();
  const std::optional<std::string> hook = ExecutableHook("pre-commit");
  if (!hook) return Status::Ok();
  Result<int> timeout = HookTimeout(impl_->repo_.get());
  if (!timeout.ok()) {
    return timeout.status().WithContext("cannot run the pre-commit hook; nothing was written");
  }
  const std::string cwd = std::filesystem::path(impl_->path_).parent_path().string();
  for (const RefUpdate& u : updates) {
    if (!u.version || u.cause == RefCause::kInternal) continue;
    const Event e = BuildEvent(u, EventKindOf(u.cause).value_or(EventKind::kWrite));
    const std::string input = CanonicalJson(EventToJson(e)) + "\n";
    const HookRun run = RunHook(*hook, "pre-commit", impl_->path_, cwd, input, *timeout);
    if (!run.ok()) {
      const std::string output = HookOutput(run);
      return Status::Conflict("the pre-commit hook refused the version on " + u.ref + " (" +
                              DescribeHookFailure(run, *timeout) + "); nothing was written" +
                              (output.empty() ? "" : ": " + output));
    }
  }
  return Status::Ok();
}

void Repository::AfterRefsMoved(const std::vector<RefUpdate>& updates) {
  const bool hooks = std::exchange(impl_->hooks_dir_, false);
  const bool subscribers = !impl_->events_->empty();
  if (!hooks && !subscribers) return;
  const std::string cwd = std::filesystem::path(impl_->path_).parent_path().string();
  std::optional<int> timeout;
  for (const RefUpdate& u : updates) {
    const std::optional<EventKind> kind = EventKindOf(u.cause);
    if (!kind) continue;
    // The hooks this move runs.
    std::vector<std::pair<std::string, std::string>> run;  // name, path
    if (hooks) {
      std::vector<const char*> names;
      if (u.version) names.push_back("post-commit");
      if (*kind == EventKind::kMerge && (!u.version || u.version->parents.size() > 1)) {
        names.push_back("post-merge");
      }
      if (*kind == EventKind::kFetch || *kind == EventKind::kPull || *kind == EventKind::kPush ||
          *kind == EventKind::kReceive) {
        names.push_back("post-receive");
      }
      for (const char* name : names) {
        if (std::optional<std::string> path = ExecutableHook(name)) run.emplace_back(name, *path);
      }
    }
    if (!subscribers && run.empty()) continue;  // nobody listens: build nothing
    const Event e = BuildEvent(u, *kind);
    if (subscribers) impl_->events_->Deliver(e, impl_->reporter_);
    if (run.empty()) continue;
    if (!timeout) {
      Result<int> t = HookTimeout(impl_->repo_.get());
      if (!t.ok()) {
        Report("the " + run.front().first + " hook did not run: " + t.status().message());
        continue;
      }
      timeout = *t;
    }
    const std::string input = CanonicalJson(EventToJson(e)) + "\n";
    for (const auto& [name, path] : run) {
      const HookRun r = RunHook(path, name, impl_->path_, cwd, input, *timeout);
      if (r.ok()) continue;
      const std::string output = HookOutput(r);
      Report(name + " hook failed (" + DescribeHookFailure(r, *timeout) + ")" +
             (output.empty() ? "" : ": " + output));
    }
  }
}

}  // namespace strata
