// strata validate: a whole state against its `.schemas` (repo/schemas.h).
#include "repo/repository.h"
#include "repo/schemas.h"

namespace strata {

Result<std::vector<SchemaViolation>> Repository::Validate(const std::string& rev) {
  STRATA_ASSIGN_OR_RETURN(Snapshot snap, Read(rev));
  if (!snap.state_tree()) return std::vector<SchemaViolation>{};
  return ValidateStoredState(*store_, *snap.state_tree(), nullptr);
}

}  // namespace strata
