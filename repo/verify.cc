// strata verify: every object is intact, every version's objects are
// present, and every delta replays to its version's state.
//
// Loose objects are inflated by objects/loose_object.h rather than libgit2,
// which loops forever on a truncated one (libgit2/libgit2#7342); history is
// walked only when every object is intact, so damage is reported once, per
// object, rather than as whatever each version fails to read.

#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <unordered_set>

#include "objects/loose_object.h"
#include "objects/state_editor.h"
#include "repo/repository.h"

namespace strata {
namespace {

namespace fs = std::filesystem;

struct OidHash {
  std::size_t operator()(const ObjectId& id) const {
    std::size_t h;
    std::memcpy(&h, id.oid.id, sizeof h);
    return h;
  }
};
using OidSet = std::unordered_set<ObjectId, OidHash>;

// Inflates a loose object file and checks that its content hashes to
// `expected`. Returns the problem, or "" if none.
std::string CheckLooseObject(const fs::path& file, const ObjectId& expected) {
  Result<RawObject> obj = InflateLooseObject(file);
  if (!obj.ok()) return obj.status().message();
  ObjectId actual;
  if (git_odb_hash(&actual.oid, obj->data.data(), obj->data.size(), obj->type) < 0) {
    return "cannot hash it";
  }
  if (!(actual == expected)) return "its content hashes to " + actual.Hex();
  return "";
}

void CheckLooseObjects(const fs::path& objects, VerifyReport& report, OidSet& damaged) {
  std::error_code ec;
  for (const auto& dir : fs::directory_iterator(objects, ec)) {
    std::string prefix = dir.path().filename().string();
    if (prefix.size() != 2 || !dir.is_directory()) continue;
    for (const auto& f : fs::directory_iterator(dir.path(), ec)) {
      std::string hex = prefix + f.path().filename().string();
      ObjectId id;
      if (hex.size() != GIT_OID_HEXSZ || git_oid_fromstr(&id.oid, hex.c_str()) < 0) continue;
      ++report.objects;
      std::string problem = CheckLooseObject(f.path(), id);
      if (!problem.empty()) {
        report.problems.push_back("object " + hex + ": " + problem);
        damaged.insert(id);
      }
    }
  }
}

// Packed objects are read through libgit2, which checks each against the
// pack index and, with strict verification on, against its id.
Status CheckPackedObjects(const fs::path& objects, VerifyReport& report, OidSet& damaged) {
  git_libgit2_opts(GIT_OPT_ENABLE_STRICT_HASH_VERIFICATION, 1);
  struct RestoreDefault {
    ~RestoreDefault() { git_libgit2_opts(GIT_OPT_ENABLE_STRICT_HASH_VERIFICATION, 0); }
  } restore;
  git_odb* raw = nullptr;
  STRATA_GIT(git_odb_new(&raw), "cannot open the packs");
  OdbPtr odb(raw);
  git_odb_backend* packs = nullptr;
  STRATA_GIT(git_odb_backend_pack(&packs, objects.c_str()), "cannot open the packs");
  STRATA_GIT(git_odb_add_backend(odb.get(), packs, 1), "cannot open the packs");
  struct Ctx {
    git_odb* odb;
    VerifyReport* report;
    OidSet* damaged;
  } ctx{odb.get(), &report, &damaged};
  int rc = git_odb_foreach(
      odb.get(),
      [](const git_oid* id, void* payload) -> int {
        auto* c = static_cast<Ctx*>(payload);
        ++c->report->objects;
        git_odb_object* obj = nullptr;
        if (git_odb_read(&obj, c->odb, id) < 0) {
          const git_error* e = git_error_last();
          c->report->problems.push_back("packed object " + ObjectId(*id).Hex() + ": " +
                                        (e ? e->message : "unreadable"));
          c->damaged->insert(ObjectId(*id));
        } else {
          git_odb_object_free(obj);
        }
        return 0;
      },
      &ctx);
  if (rc < 0) return GitError(rc, "cannot list packed objects");
  return Status::Ok();
}

}  // namespace

Result<VerifyReport> Repository::Verify() {
  VerifyReport report;
  fs::path objects = fs::path(path_) / "objects";
  OidSet damaged;
  CheckLooseObjects(objects, report, damaged);
  STRATA_RETURN_IF_ERROR(CheckPackedObjects(objects, report, damaged));
  if (!damaged.empty()) {
    // Walking history reads commits and trees, which may be the damaged ones.
    report.problems.push_back("versions were not checked: repair the damaged objects first");
    return report;
  }

  // Every version reachable from a ref: all its objects present.
  git_revwalk* raw = nullptr;
  STRATA_GIT(git_revwalk_new(&raw, repo_.get()), "cannot walk history");
  RevwalkPtr walk(raw);
  int rc = git_revwalk_push_glob(raw, "refs/*");
  if (rc < 0 && rc != GIT_ENOTFOUND) return GitError(rc, "cannot walk history");
  std::vector<ObjectId> versions;
  OidSet seen_trees;
  std::size_t missing_before = report.problems.size();
  git_oid oid;
  while (git_revwalk_next(&oid, raw) == 0) {
    versions.emplace_back(oid);
    std::string id = ObjectId(oid).Hex();
    git_commit* c_raw = nullptr;
    if (git_commit_lookup(&c_raw, repo_.get(), &oid) < 0) {
      report.problems.push_back("version " + id + ": its commit is missing or unreadable");
      continue;
    }
    CommitPtr c(c_raw);
    // Walk the version's tree; a tree seen in an earlier version was checked then.
    std::vector<std::pair<ObjectId, std::string>> trees{{ObjectId(*git_commit_tree_id(c_raw)), ""}};
    while (!trees.empty()) {
      auto [tree, where] = trees.back();
      trees.pop_back();
      if (!seen_trees.insert(tree).second) continue;
      if (!store_->Exists(tree)) {
        report.problems.push_back("version " + id + ": tree " + tree.Hex() + " (" + where +
                                  ") is missing");
        continue;
      }
      Result<std::vector<TreeEntry>> entries = store_->ReadTree(tree);
      if (!entries.ok()) {
        report.problems.push_back("version " + id + ": " + entries.status().message());
        continue;
      }
      for (const TreeEntry& e : *entries) {
        std::string path = where.empty() ? e.name : where + "/" + e.name;
        if (e.is_tree) {
          trees.emplace_back(e.id, path);
        } else if (!store_->Exists(e.id)) {
          report.problems.push_back("version " + id + ": blob " + e.id.Hex() + " (" + path +
                                    ") is missing");
        }
      }
    }
  }
  report.versions = versions.size();
  if (report.problems.size() != missing_before) {
    report.problems.push_back("deltas were not replayed: restore the missing objects first");
    return report;
  }

  // Every version: its delta applied to its first parent's state gives its state.
  for (const ObjectId& version : versions) {
    std::string id = version.Hex();
    git_commit* c_raw = nullptr;
    STRATA_GIT(git_commit_lookup(&c_raw, repo_.get(), &version.oid), "cannot read " + id);
    CommitPtr c(c_raw);
    Result<std::optional<ObjectId>> state = StateOf(c_raw);
    Result<strata::Patch> delta = Delta(id);
    if (!state.ok() || !delta.ok()) {
      report.problems.push_back("version " + id + ": " +
                                (!state.ok() ? state.status() : delta.status()).message());
      continue;
    }
    std::optional<ObjectId> parent_state;
    if (git_commit_parentcount(c_raw) > 0) {
      git_commit* p_raw = nullptr;
      STRATA_GIT(git_commit_parent(&p_raw, c_raw, 0), "cannot read the parent of " + id);
      CommitPtr p(p_raw);
      Result<std::optional<ObjectId>> ps = StateOf(p_raw);
      if (!ps.ok()) continue;  // reported when the loop reaches the parent
      parent_state = *ps;
    }
    StateEditor editor(*store_, parent_state);
    Status applied = ApplyPatch(editor, *delta);
    Result<ObjectId> rebuilt = applied.ok() ? editor.Write() : Result<ObjectId>(applied);
    store_->Discard();
    if (!rebuilt.ok()) {
      report.problems.push_back("version " + id + ": its delta does not apply to its parent: " +
                                rebuilt.status().message());
    } else if (!(*rebuilt == **state)) {
      report.problems.push_back("version " + id + ": its delta applied to its parent gives state " +
                                rebuilt->Hex() + ", not " + (*state)->Hex());
    }
  }
  return report;
}

}  // namespace strata
