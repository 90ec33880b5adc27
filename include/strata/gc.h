// strata gc: packs the repository's objects into one pack with deltas and
// removes what it packed (Repository::Gc; docs/gc.md has the rules).
//
//   1. Takes .strata/gc.flock (flock, never waited for: a second gc is
//      refused, an automatic one skipped), then strata's write lock
//      (repo/transaction.h) for the whole run, so no strata writer moves a
//      ref meanwhile.
//   2. Lists what is on disk now: loose objects and packs (with mtimes).
//      Only files in this listing are ever removed; anything written later
//      (a concurrent writer's pack) is left alone.
//   3. Finds what must be kept: everything reachable from every ref (HEAD,
//      branches, tags, notes, remote-tracking refs, refs/strata/*), from
//      every reflog entry, and from the objects .strata/views and
//      .strata/projections name; and every object younger than the grace
//      period (loose files and packs by mtime) with what it reaches, since a
//      writer's objects exist before its ref moves.
//   4. Writes them as one pack with deltas (libgit2's packbuilder, which
//      fsyncs pack and index) into .strata/gc-tmp-XXXXXX, renames the pack
//      then its index into objects/pack, and fsyncs objects/pack.
//   5. Only then removes the listed packs (index first) and loose objects.
//
// A SIGKILL at any step loses nothing: before 4 completes the old files are
// all there; after it the new pack holds everything kept. A killed gc
// leaves at most .strata/gc-tmp-* and a pack without its index, which the
// next gc removes.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

namespace strata {

struct GcOptions {
  // --auto: run only when the repository has more loose objects than
  // strata.gcAuto (default 6700, estimated from objects/17 as git does) or
  // more packs than strata.gcAutoPackLimit (default 50); strata.gcAuto = 0
  // turns automatic gc off, strata.gcAutoPackLimit = 0 the pack count
  // trigger. Another gc running: skipped, not an error.
  bool auto_mode = false;
  // Unreachable objects are dropped once older than this (seconds; git's
  // gc.pruneExpire, 2 weeks). 0: drop every unreachable object now;
  // nullopt: never drop any.
  std::optional<std::int64_t> prune_expire = kDefaultPruneExpire;
  // git gc's --keep-largest-pack: the largest pack (by objects; never one
  // with a .keep file) stays as it is, and only what the others and the
  // loose objects hold is packed, with deltas among itself. Every object is
  // still walked, so nothing the kept pack's trees reach is lost; but, as in
  // git, the kept pack's own unreachable objects stay, and its deltas are
  // not searched again. With auto_mode: InvalidArgument (automatic gc keeps
  // large packs anyway).
  bool keep_largest_pack = false;
  // git gc's --aggressive: every object goes through libgit2's pack
  // builder, which searches deltas for all of them again. Without it, a
  // full gc copies the largest pack's kept entries as they are stored (its
  // deltas reused, its unreachable objects dropped) and searches deltas only
  // among the other objects, in one new pack. With auto_mode or
  // keep_largest_pack: InvalidArgument.
  bool aggressive = false;
  // Called as the work advances: a stage ("counting", "compressing",
  // "writing", "removing") and how far it is.
  std::function<void(const std::string& stage, std::uint64_t done, std::uint64_t total)> progress;

  static constexpr std::int64_t kDefaultPruneExpire = 14 * 24 * 3600;
  // The options of `strata gc --auto`, which every write runs.
  static GcOptions Auto() {
    GcOptions o;
    o.auto_mode = true;
    return o;
  }
};

struct GcReport {
  bool ran = false;     // false: --auto found nothing to do, or another gc ran
  std::string skipped;  // why it did not run (auto mode only)
  std::uint64_t loose_before = 0;
  std::uint64_t packs_before = 0;
  std::uint64_t bytes_before = 0;  // loose objects + packs and their indexes
  std::uint64_t objects_packed = 0;
  std::uint64_t unreachable_kept = 0;  // unreachable objects kept for the grace period
  std::uint64_t deltas_reused = 0;     // deltas of the largest pack copied as they were stored
  std::uint64_t loose_removed = 0;
  std::uint64_t packs_removed = 0;
  std::uint64_t loose_after = 0;
  std::uint64_t packs_after = 0;
  std::uint64_t bytes_after = 0;
  std::string pack;       // the new pack, "pack-HEX.pack" ("" when nothing to pack)
  std::string kept_pack;  // keep_largest_pack: the pack kept, "pack-HEX.pack"
};

// The thresholds of --auto, from the repository's config.
struct GcAutoLimits {
  std::int64_t loose = 6700;
  std::int64_t packs = 50;
};

}  // namespace strata
