// The repository's side of .schemas (strata/schemas.h has the public one):
// validating stored states.
#pragma once

#include <string>
#include <vector>

#include "objects/object_store.h"
#include "strata/schemas.h"

namespace strata {

// The violations, in the state tree `state`, of the `.schemas` that state
// holds: by the documents `docs` (nullptr: every document), sorted by
// document. A state without `.schemas` has none. Documents in `docs` that
// the state lacks are skipped.
Result<std::vector<SchemaViolation>> ValidateStoredState(ObjectStore& store, const ObjectId& state,
                                                         const std::vector<std::string>* docs);

// The check every write makes (Repository::Build): `touched` are the
// documents the version changes. InvalidArgument listing every violation
// (one per line) when there is any.
Status CheckSchemasOnWrite(ObjectStore& store, const ObjectId& state,
                           const std::vector<std::string>& touched, bool force);

}  // namespace strata
