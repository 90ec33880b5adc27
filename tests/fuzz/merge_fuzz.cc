// Three-way merge. Input: [base, ours, theirs] (a null base also runs as an
// absent one). Oracles: no crash; merging a side with itself gives it back
// clean; a side left as the base takes the other side whole; a clean merge is
// symmetric; with a strategy no conflict is left.
#include "strata/merge.h"
#include "tests/fuzz/fuzz.h"

using namespace strata;

namespace {

std::string Show(const json::value& v) { return CanonicalJson(v); }

void CheckClean(const Result<MergeResult>& r, const json::value& want, const char* what) {
  FUZZ_CHECK(r.ok(), std::string(what) + ": " + r.status().message());
  FUZZ_CHECK(r->conflicts.empty() && r->merged && Equal(*r->merged, want),
             std::string(what) + ": want " + Show(want) +
                 (r->merged ? ", got " + Show(*r->merged) : ", got nothing"));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  json::array in;
  if (!fuzz::SplitArray(data, size, 3, in)) return 0;
  const json::value &base = in[0], &ours = in[1], &theirs = in[2];

  CheckClean(MergeValues(base, ours, ours), ours, "merge(base, x, x)");
  CheckClean(MergeValues(base, base, theirs), theirs, "merge(base, base, theirs)");
  CheckClean(MergeValues(base, ours, base), ours, "merge(base, ours, base)");

  auto forward = MergeValues(base, ours, theirs);
  FUZZ_CHECK(forward.ok(), forward.status().message());
  auto backward = MergeValues(base, theirs, ours);
  FUZZ_CHECK(backward.ok(), backward.status().message());
  FUZZ_CHECK(forward->conflicts.size() == backward->conflicts.size(),
             "conflicts differ by side order");
  if (forward->conflicts.empty()) {
    FUZZ_CHECK(forward->merged.has_value() == backward->merged.has_value() &&
                   (!forward->merged || Equal(*forward->merged, *backward->merged)),
               "a clean merge is not symmetric");
  }
  for (MergeStrategy s : {MergeStrategy::kOurs, MergeStrategy::kTheirs}) {
    MergeOptions options;
    options.strategy = s;
    auto r = MergeValues(base, ours, theirs, options);
    FUZZ_CHECK(r.ok() && r->conflicts.empty(), "a strategy left a conflict");
  }
  if (base.is_null()) (void)MergeValues(nullptr, &ours, &theirs);
  return 0;
}
