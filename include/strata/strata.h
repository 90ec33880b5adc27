// strata: versioned JSON documents in a git repository. The one header a
// program includes; docs/library.md says how to build against the
// installed package (find_package(strata) or pkg-config strata).
//
//   #include <strata/strata.h>
//   auto repo = strata::Repository::Init("/srv/state");   // or Open, Discover
//   if (!repo.ok()) { std::puts(repo.status().message().c_str()); return 1; }
//   strata::CommitOptions opts;
//   opts.message = "raise the pool";
//   auto w = (*repo)->Put("config/app", boost::json::parse(R"({"db":{"pool":10}})"), opts);
//   auto v = (*repo)->Get("config/app", "HEAD", *strata::JsonPointer::Parse("/db/pool"));
//
// The facade is strata::Repository (strata/repository.h): it says which
// calls do what, the error model (Status / Result, strata/status.h) and
// the thread-safety promise. Every other header here holds the types its
// calls take and return. Nothing here names a libgit2 type.
#pragma once

#include <cstdio>  // std::puts in the example above, as the consumer test writes it

#include "strata/document_id.h"
#include "strata/events.h"
#include "strata/export.h"
#include "strata/gc.h"
#include "strata/import.h"
#include "strata/json.h"
#include "strata/json_patch.h"
#include "strata/json_pointer.h"
#include "strata/merge.h"
#include "strata/merge_policy.h"
#include "strata/object_id.h"
#include "strata/perspective.h"
#include "strata/prune.h"
#include "strata/remote.h"
#include "strata/repository.h"
#include "strata/schemas.h"
#include "strata/snapshot.h"
#include "strata/status.h"
#include "strata/version.h"
#include "strata/watch.h"
#include "strata/worktree.h"

namespace strata {

// The library's version, "MAJOR.MINOR.PATCH" (the package's version).
const char* LibraryVersion() noexcept;
// The libgit2 version the library was built with, "1.5.1".
const char* Libgit2Version() noexcept;

}  // namespace strata
