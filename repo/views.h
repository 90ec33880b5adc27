// Views: a perspective applied to stored trees, and writes through one.
// Private to repo/.
//
// The view of a state tree is a tree of the same shape: shard buckets stay
// buckets (an empty one is dropped), a hidden document is dropped, and a
// visible one is replaced by its view (the same object when the perspective
// shows it whole). Every function of the codec (tree_codec.h) and every walk
// (tree_diff.h, value_walk.h) reads a view as it reads a state, so every read
// of a Snapshot goes through the view without knowing it.
//
// Views are content-addressed: the view of tree or document X under the
// perspective with id P is a function of (X, P) alone, so it is computed once
// and remembered in .strata/views/P:
//
//   views/P := line*
//   line    := body " " check "\n"
//   body    := source-hex " " view-hex " " kind
//   kind    := "t" (view is a tree) | "b" (a blob) | "-" (nothing visible;
//              view-hex is 40 zeros)
//   check   := hex16(FNV-1a 64 of P " " body)
//
// Lines are appended with one write() after the objects they name are on
// disk (fsynced), so a crash leaves at worst a torn last line, which is
// ignored; a line whose check fails (a damaged file) or whose view object
// is missing is ignored too. Deleting the file only costs recomputation.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "objects/tree_codec.h"
#include "strata/json_patch.h"
#include "strata/perspective.h"

namespace strata {

class ViewCache {
 public:
  // `file`: .strata/views/<perspective id>. Read at once; a missing or
  // unreadable file is an empty cache.
  explicit ViewCache(std::string file);

  // nullopt: unknown. Otherwise the view (nullopt inside: nothing visible).
  std::optional<std::optional<ValueRef>> Find(const ObjectId& source) const;
  // Remembers a view; Save() appends what was added since the last Save().
  void Add(const ObjectId& source, const std::optional<ValueRef>& view);
  // Appends the pending entries. Failing to save is not an error for the
  // reader (the view was computed); it is reported so tests can see it.
  Status Save();
  // Forgets the pending entries (their objects were not written).
  void DropPending() { pending_.clear(); }
  std::size_t size() const { return map_.size(); }

 private:
  std::string file_;
  std::string perspective_;  // the file's name: the perspective id P
  std::unordered_map<ObjectId, std::optional<ValueRef>> map_;
  std::string pending_;
};

// How many threads compute views of many documents: STRATA_VIEW_THREADS, else
// the machine's cores (at most 8).
unsigned ViewThreads();

// The view of state tree `state` under `p`, staging the view's new objects
// in `store` and its entries in `cache`.
Result<ObjectId> ComputeViewState(ObjectStore& store, const Perspective& p, ViewCache& cache,
                                  const ObjectId& state);

// A PatchTarget that edits the view of a state: reads answer from the view
// (a hidden document reads as a missing one), edits change the view, and
// Finish() writes each edited view back into `inner` with
// Perspective::Reapply, so that what the perspective hides is kept.
class PerspectiveTarget : public PatchTarget {
 public:
  PerspectiveTarget(PatchTarget& inner, const Perspective& p) : inner_(inner), p_(p) {}

  Result<json::value> Get(const JsonPointer& path) override;
  Result<bool> Exists(const JsonPointer& path) override;
  Status Add(const JsonPointer& path, json::value value) override;
  Status Remove(const JsonPointer& path) override;
  Status Replace(const JsonPointer& path, json::value value) override;

  // Puts every edited document back. InvalidArgument as Reapply.
  Status Finish();

 private:
  struct Doc {
    std::optional<json::value> stored;  // as in the state
    std::optional<json::value> view;    // as the reader sees and edits it
    bool edited = false;
  };
  // The document `path` is in (loaded once); InvalidArgument for "" (the
  // whole state cannot be edited through a perspective).
  Result<Doc*> Load(const JsonPointer& path, bool for_write);

  PatchTarget& inner_;
  const Perspective& p_;
  std::map<std::string, Doc> docs_;
};

}  // namespace strata
