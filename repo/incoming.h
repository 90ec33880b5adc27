// Checking what a fetch brought before anything of it is trusted.
//
// A fetch lands in a quarantine (strata/remote.h); CheckIncoming reads the
// quarantined objects and refuses, with InvalidArgument naming the ref,
// version, document id or object and the rule it breaks:
//
// - a remote ref name that git would refuse (git_reference_name_is_valid),
//   or that holds a control character, a ".." component, a component that a
//   file system may take for ".git" (any letter case, trailing dots, "git~1"),
//   or that two remote refs spell alike but for letter case (they would be
//   one file on a case-insensitive file system);
// - a commit reachable from a new ref tip that is not shaped like a strata
//   version (root tree {delta.zst, meta, state}; docs/format.md), unless it
//   is already in our store (then it was checked when it arrived);
// - a document id in a new state tree that ValidateDocumentId refuses, or
//   two ids in one state that differ only in letter case (after Unicode
//   case folding); only subtrees not already in our store are read, so the
//   cost grows with what arrived, not with the state;
// - more than `limits.max_objects` new objects or `limits.max_bytes` of
//   them (checked by the fetch during the transfer too).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "objects/git.h"
#include "objects/object_store.h"
#include "strata/status.h"

namespace strata {

struct IncomingRef {
  std::string name;  // the ref as the remote named it: "refs/heads/main"
  ObjectId target;   // the id it has there
};

struct IncomingLimits {
  std::uint64_t max_bytes = std::uint64_t{16} << 30;  // strata.fetchMaxBytes (git config)
  std::uint64_t max_objects = 50'000'000;             // strata.fetchMaxObjects
};

// `quarantine` reads both the quarantined objects and ours; `known` says
// whether an object was already in our store before the fetch (those are
// trusted and not walked).
Status CheckIncoming(ObjectStore& quarantine, const std::function<bool(const ObjectId&)>& known,
                     const std::vector<IncomingRef>& refs, const IncomingLimits& limits);

// Just the ref-name rule above, for one name (also used on push targets and
// for names read from the remote's advertisement).
Status CheckRemoteRefName(const std::string& name);

}  // namespace strata
