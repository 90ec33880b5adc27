// strata validate: a whole state against its `.schemas` (repo/schemas.h).
#include <utility>

#include "objects/guard.h"
#include "repo/repository_impl.h"
#include "repo/schemas.h"
#include "strata/repository.h"

namespace strata {

Result<std::vector<SchemaViolation>> Repository::Validate(const std::string& rev) try {
  // Schemas judge the stored documents, never a view (a masked "***" is no
  // document's value); a perspective only narrows what is reported.
  std::optional<Perspective> saved = std::exchange(impl_->perspective_, std::nullopt);
  Result<Snapshot> snap = Read(rev);
  impl_->perspective_ = std::move(saved);
  if (!snap.ok()) return snap.status();
  if (!snap->state_tree()) return std::vector<SchemaViolation>{};
  STRATA_ASSIGN_OR_RETURN(std::vector<SchemaViolation> all,
                          ValidateStoredState(*impl_->store_, *snap->state_tree(), nullptr));
  if (!impl_->perspective_) return all;
  std::vector<SchemaViolation> seen;
  for (SchemaViolation& v : all) {
    if (!impl_->perspective_->DocVisible(v.doc)) continue;
    if (impl_->perspective_->Decide(v.pointer) == ViewAction::kHide) continue;
    seen.push_back(std::move(v));
  }
  return seen;
} catch (...) {
  return CaughtStatus("Repository::Validate");
}

}  // namespace strata
