// Events: what a ref move tells the code that embeds strata, and its hooks
// (docs/events.md).
//
// Every RefTransaction (repo/transaction.h) that commits turns each of its
// ref moves into one Event (strata's bookkeeping refs excepted: a merge in
// progress, a push's landing ref), after the ref moved:
//
//   EventFilter filter;
//   filter.kinds = {EventKind::kWrite};
//   filter.doc = "config/app1";
//   EventConnection c = repo->Subscribe(filter, [](const Event& e) {
//     ... e.delta holds only the changes to config/app1 ...
//   });
//   ... writes ...
//   c.disconnect();  // or let `c` (a scoped connection) go out of scope
//
// The same event, as JSON (EventToJson; docs/event.schema.json), is what the
// hooks in .strata/hooks/ read on stdin (repo/hooks.h).
//
// Thread safety: Subscribe and disconnecting a connection may be called from
// any thread at any time, also from inside a handler (Boost.Signals2 locks
// its slot list). Handlers run synchronously, on the thread that made the
// write, in the order they subscribed, after the refs moved and while that
// write still holds the repository's write lock: a handler must not write
// to the same repository (it would wait for that lock, and fail after
// strata.lockTimeout). A handler disconnected from another thread while an
// event is being delivered may still receive that one event. Everything
// else on a Repository (SetEventReporter, SetRunHooks, the writes) belongs
// to the thread that uses it, as the Repository does.
#pragma once

#include <boost/signals2/connection.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "strata/json.h"
#include "strata/json_patch.h"
#include "strata/json_pointer.h"
#include "strata/perspective.h"
#include "strata/version.h"

namespace strata {

// What happened. One per cause of a ref move.
enum class EventKind {
  kWrite,    // a version written: put, set, rm, patch, import, commit
  kMerge,    // merge (fast-forward included), cherry-pick, revert, merge --continue
  kBranch,   // branch created, force-moved or deleted; HEAD switched
  kTag,      // tag created, replaced or deleted
  kLabels,   // labels added or removed later (refs/notes/strata-labels moved)
  kFetch,    // fetch moved a remote-tracking branch or a tag
  kPull,     // the fetch of a pull moved one (its merge is a kMerge event)
  kPush,     // push moved our remote-tracking branch
  kReceive,  // a push from another repository moved one of our branches
  kOther,    // any other move (remote remove dropping its tracking refs)
};
// "write", "merge", "branch", "tag", "labels", "fetch", "pull", "push",
// "receive", "other".
std::string_view EventKindName(EventKind kind);
// nullopt for an unknown name.
std::optional<EventKind> ParseEventKind(std::string_view name);

// One ref move.
struct Event {
  EventKind kind = EventKind::kOther;
  std::string action;  // "create", "update", "delete", or "switch" (HEAD names another branch)
  std::string ref;     // "refs/heads/main", "refs/remotes/origin/main", "HEAD"...
  std::optional<std::string> old_id;  // 40 hex digits; nullopt: the ref did not exist
  std::optional<std::string> new_id;  // nullopt: deleted (and for "switch")
  std::string names;                  // "switch": the ref HEAD names now
  // The version the ref names after the move (an annotated tag's version),
  // if it names one: for a version this move wrote (`written`), the new
  // version, with author, time, message, labels and parents. Empty for a
  // delete, a switch, and the labels' notes ref.
  std::optional<VersionInfo> version;
  bool written = false;       // this move wrote `version` (a write, a merge version, ...)
  bool fast_forward = false;  // a merge that moved the branch to theirs
  // The change, pointers /DOC/POINTER... with values: for a version the
  // move wrote, its delta; for a move from one version to another (a
  // fast-forward, a fetch), the change between their states; empty for a
  // ref created or deleted (a new branch brings no change of its own).
  Patch delta;
  std::string reason;     // the reflog message
  std::int64_t time = 0;  // when the ref moved, seconds since the epoch
};

// The JSON form (docs/events.md, docs/event.schema.json); the hooks read it.
json::object EventToJson(const Event& event);

// Which events a subscriber gets, and how it sees them. Every part set
// must match.
struct EventFilter {
  std::vector<EventKind> kinds;    // empty: every kind
  std::optional<std::string> doc;  // only changes to this document...
  JsonPointer pointer;             // ...at or under this pointer in it (root: all of it)
  // The delta as a reader of this perspective sees it: changes to what it
  // hides dropped, masked values as it masks them.
  std::optional<Perspective> perspective;
};

// The event as `filter` sees it, or nullopt when it does not get it: a kind
// it does not want, or (with doc or perspective) a delta with nothing left
// once narrowed, when it had something before. With a doc, an event with an
// empty delta (a branch created) is never delivered. A change to a value
// that holds the pointer (a parent replaced whole) is kept whole.
std::optional<Event> NarrowEvent(const Event& event, const EventFilter& filter);

using EventHandler = std::function<void(const Event&)>;
// Disconnects when it goes out of scope (or on disconnect()); movable.
using EventConnection = boost::signals2::scoped_connection;
// Where the repository reports what it cannot return: a post-* hook that
// failed, a subscriber that threw. One line, without "strata: warning: ".
using EventReporter = std::function<void(const std::string& message)>;

}  // namespace strata
