// strata verify: what `git fsck` checks, for strata's objects, and more.
//
//   1. What interrupted writers leave: git lock files, temporary packs and
//      objects (each a note, with how to remove it safely: none is part of
//      any version, so a killed writer leaves a repository that verifies).
//   2. Every object is intact: loose objects are inflated by
//      objects/loose_object.h (libgit2 loops forever on a truncated one,
//      libgit2/libgit2#7342) and hashed; packed ones are read with strict
//      hash checks.
//   3. Every ref (HEAD, loose refs, packed-refs) holds a valid id or
//      symbolic target, and names a version that exists.
//   4. Every version reachable from a ref: its commit and parents exist,
//      its objects are present, and its delta applied to its first parent's
//      state gives its state.
//   5. Every reflog: each line well formed, each entry continuing the one
//      before it, the last one where its ref points, every id present
//      (CheckReflogs says which of these are problems and which notes).
//   6. Every record of the version index (.strata/version-index, a cache)
//      of a version found in 4 agrees with the version's commit.
// Step 4 runs only when step 2 found every object intact, so damage is
// reported once, per object, rather than as whatever each version fails to
// read.

#include <git2/sys/odb_backend.h>
#include <signal.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <deque>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <optional>
#include <sstream>
#include <string_view>
#include <unordered_set>

#include "objects/delta_codec.h"
#include "objects/file_io.h"
#include "objects/guard.h"
#include "objects/loose_object.h"
#include "objects/state_editor.h"
#include "repo/repository_impl.h"
#include "repo/version_index.h"
#include "repo/version_tree.h"
#include "strata/repository.h"

namespace strata {
namespace {

namespace fs = std::filesystem;

struct OidHash {
  std::size_t operator()(const ObjectId& id) const {
    std::size_t h;
    std::memcpy(&h, id.bytes, sizeof h);
    return h;
  }
};
using OidSet = std::unordered_set<ObjectId, OidHash>;

// Problems about one version say "version ID: " once, whatever the message
// they wrap already says.
std::string VersionProblem(const std::string& id, const std::string& message) {
  // `id` is a version's id, or "labels commit ID" for a notes commit.
  std::string prefix = (id.rfind("labels commit ", 0) == 0 ? "" : "version ") + id + ": ";
  std::string m = message;
  while (m.rfind(prefix, 0) == 0) m = m.substr(prefix.size());
  return prefix + m;
}

// 1. Leftovers of interrupted writes.
void CheckLeftovers(const fs::path& git_dir, VerifyReport& report) {
  std::error_code ec;
  // A fetch's quarantine (docs/sync.md) whose process is gone: what it held
  // was never part of the repository.
  for (fs::directory_iterator q(git_dir / "incoming", ec), end; !ec && q != end; q.increment(ec)) {
    const std::string name = q->path().filename().string();
    if (name.rfind("q-", 0) != 0) continue;
    const pid_t pid = static_cast<pid_t>(std::atol(name.c_str() + 2));
    if (pid > 0 && (kill(pid, 0) == 0 || errno == EPERM)) continue;  // a fetch running now
    report.notes.push_back("fetch quarantine " + q->path().string() +
                           " was left by a fetch that was killed; nothing in it is part of "
                           "the repository. The next fetch removes it, or: rm -rf '" +
                           q->path().string() + "'");
  }
  ec.clear();
  for (auto it = fs::recursive_directory_iterator(git_dir, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    const fs::path& p = it->path();
    std::string name = p.filename().string();
    fs::path rel = p.lexically_relative(git_dir);
    std::string top = rel.begin() != rel.end() ? rel.begin()->string() : "";
    std::error_code type_ec;
    bool is_file = it->is_regular_file(type_ec);
    if (!is_file || top == "incoming") continue;  // quarantines: above
    // The pack a running (or killed) gc writes: never part of the
    // repository until renamed into objects/pack; the next gc removes it.
    if (top.rfind("gc-tmp-", 0) == 0) continue;
    if (name.size() > 5 && name.compare(name.size() - 5, 5, ".lock") == 0 &&
        name != "strata.lock") {
      report.notes.push_back("lock file: " + DescribeGitLock(p.string()));
    } else if (top == "objects" &&
               (name.rfind("pack_git2_", 0) == 0 || name.rfind("tmp_", 0) == 0 ||
                name.rfind("strata-tmp", 0) == 0)) {
      report.notes.push_back("temporary file " + p.string() +
                             " was left by an interrupted write; it is not part of any "
                             "version, and it is safe to remove when no strata or git process "
                             "is running: rm '" +
                             p.string() + "'");
    }
  }
}

// Whether a failed read is the system's refusal, not the repository's
// fault: the store says damage as Corruption (or NotFound), the system's
// refusal to open or read as IOError, no memory as ResourceExhausted.
bool IsRefusal(const Status& st) {
  return st.code() == Code::kIOError || st.code() == Code::kResourceExhausted;
}

// A read the system refused (too many open files, no memory, a failing
// disk) stops the check with the system's reason: what could not be read
// may be whole, and reporting it as a problem would blame the repository
// for the machine.
Status Refused(const std::string& what, const Status& why) {
  return Status(why.code(), "cannot verify the repository: " + what + ": " + why.message());
}

// After a read of `what` failed (`denied`: the store's Exists denied it;
// else libgit2 failed): the system's refusal as verify's error, or Ok for a
// repository fault to report (ObjectStore::Refusal).
Status SystemRefusal(ObjectStore& store, bool denied, const std::string& what) {
  Status refused = store.Refusal(denied);
  return refused.ok() ? refused : Refused(what, refused);
}

// Inflates a loose object file and checks that its content hashes to
// `expected`. Returns the problem, or "" if none; the system's refusal to
// read it as an error.
Result<std::string> CheckLooseObject(const fs::path& file, const ObjectId& expected) {
  Result<RawObject> obj = InflateLooseObject(file);
  if (!obj.ok() && obj.status().code() == Code::kIOError) {
    return Refused("object " + expected.Hex(), obj.status());
  }
  if (!obj.ok()) return obj.status().message();
  ObjectId actual;
  if (git_odb_hash(AsGit(actual), obj->data.data(), obj->data.size(), obj->type) < 0) {
    git_error_clear();
    return std::string("cannot hash it");
  }
  if (!(actual == expected)) return "its content hashes to " + actual.Hex();
  return std::string();
}

Status CheckLooseObjects(const fs::path& objects, VerifyReport& report, OidSet& damaged) {
  // Iterated with error codes throughout: no exception leaves the library.
  std::error_code ec;
  for (auto dir = fs::directory_iterator(objects, ec); !ec && dir != fs::directory_iterator();
       dir.increment(ec)) {
    std::string prefix = dir->path().filename().string();
    std::error_code dir_ec;
    if (prefix.size() != 2 || !dir->is_directory(dir_ec)) continue;
    for (auto f = fs::directory_iterator(dir->path(), dir_ec);
         !dir_ec && f != fs::directory_iterator(); f.increment(dir_ec)) {
      std::string hex = prefix + f->path().filename().string();
      ObjectId id;
      if (hex.size() != GIT_OID_HEXSZ || git_oid_fromstr(AsGit(id), hex.c_str()) < 0) {
        git_error_clear();
        continue;
      }
      ++report.objects;
      STRATA_ASSIGN_OR_RETURN(std::string problem, CheckLooseObject(f->path(), id));
      if (!problem.empty()) {
        report.problems.push_back("object " + hex + ": " + problem);
        damaged.insert(id);
      }
    }
  }
  return Status::Ok();
}

// Packed objects are read through libgit2, which checks each against the
// pack index and, with strict verification on, against its id. Each pack is
// opened on its own (git_odb_backend_one_pack), so a pack libgit2 refuses
// whole (a truncated index) is named, and the others are still checked.
Status CheckPackedObjects(const fs::path& objects, VerifyReport& report, OidSet& damaged) {
  git_libgit2_opts(GIT_OPT_ENABLE_STRICT_HASH_VERIFICATION, 1);
  struct RestoreDefault {
    ~RestoreDefault() { git_libgit2_opts(GIT_OPT_ENABLE_STRICT_HASH_VERIFICATION, 0); }
  } restore;
  std::vector<fs::path> indexes;
  std::error_code ec;
  for (fs::directory_iterator it(objects / "pack", ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.rfind("pack-", 0) == 0 && it->path().extension() == ".idx") {
      indexes.push_back(it->path());
    }
  }
  if (ec && ec != std::errc::no_such_file_or_directory) {
    return Status::IOError("cannot list " + (objects / "pack").string() + ": " + ec.message());
  }
  std::sort(indexes.begin(), indexes.end());
  for (const fs::path& index : indexes) {
    const std::string shown = "objects/pack/" + index.filename().string();
    // libgit2's indexer renames a received pack's index into place before
    // the pack: a transfer killed between the two leaves an index alone.
    // Its objects are in no pack, nothing can name them, and git and libgit2
    // skip such an index; gc removes it.
    fs::path pack_file = index;
    pack_file.replace_extension(".pack");
    if (!fs::exists(pack_file, ec)) {
      report.notes.push_back(
          shown +
          " has no .pack beside it (left by a transfer killed between its "
          "two renames); git and strata skip it, and `strata gc` removes it once it is an "
          "hour old");
      continue;
    }
    git_odb* raw = nullptr;
    STRATA_GIT(git_odb_new(&raw), "cannot open the packs");
    OdbPtr odb(raw);
    git_odb_backend* pack = nullptr;
    int rc = git_odb_backend_one_pack(&pack, index.c_str());
    if (rc == 0) {
      rc = git_odb_add_backend(odb.get(), pack, 1);
      if (rc < 0) pack->free(pack);
    }
    struct Ctx {
      git_odb* odb;
      VerifyReport* report;
      OidSet* damaged;
      Status refused;
    } ctx{odb.get(), &report, &damaged, Status::Ok()};
    if (rc == 0) {
      rc = git_odb_foreach(
          odb.get(),
          [](const git_oid* id, void* payload) -> int {
            auto* c = static_cast<Ctx*>(payload);
            ++c->report->objects;
            git_odb_object* obj = nullptr;
            if (git_odb_read(&obj, c->odb, id) < 0) {
              if (GitErrorIsSystem()) {
                c->refused = GitError(GIT_ERROR, "packed object " + FromGit(*id).Hex());
                git_error_clear();
                return GIT_EUSER;  // stops the walk
              }
              const git_error* e = git_error_last();
              c->report->problems.push_back("packed object " + FromGit(*id).Hex() + ": " +
                                            (e ? e->message : "unreadable"));
              git_error_clear();
              c->damaged->insert(FromGit(*id));
            } else {
              git_odb_object_free(obj);
            }
            return 0;
          },
          &ctx);
    }
    if (!ctx.refused.ok()) return Refused(shown, ctx.refused);
    if (rc < 0 && GitErrorIsSystem()) return Refused(shown, GitError(rc, "cannot read it"));
    if (rc < 0) {
      const git_error* e = git_error_last();
      report.problems.push_back("pack " + shown + ": " + (e ? e->message : "unreadable") +
                                " (its objects cannot be read)");
      git_error_clear();
    }
  }
  return Status::Ok();
}

// 3. Refs, read from the files themselves so that a damaged one is named
// rather than skipped.
struct RefValue {
  std::string name;
  std::string text;  // as stored: 40 hex digits, or "ref: NAME"
};

std::string Chomp(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  return s;
}

// The text of ref file `path`, or nullopt if it is gone (removed since it
// was listed); the system's refusal to read it as an error.
Result<std::optional<std::string>> ReadRefFile(const fs::path& path) {
  std::optional<std::string> text =
      ReadFile(path.string(), std::numeric_limits<std::size_t>::max());
  if (text) return text;
  if (errno == ENOENT) return std::optional<std::string>();
  return Refused(path.string(), Status::IOError("cannot read it: " + Errno()));
}

Result<std::vector<RefValue>> ReadRefFiles(const fs::path& git_dir, VerifyReport& report) {
  std::map<std::string, std::string> refs;
  // packed-refs first: loose refs override them.
  STRATA_ASSIGN_OR_RETURN(std::optional<std::string> packed, ReadRefFile(git_dir / "packed-refs"));
  std::istringstream packed_lines(packed.value_or(""));
  std::string line;
  std::size_t line_no = 0;
  while (std::getline(packed_lines, line)) {
    ++line_no;
    if (line.empty() || line[0] == '#' || line[0] == '^') continue;
    std::size_t sp = line.find(' ');
    if (sp == std::string::npos) {
      report.problems.push_back("packed-refs line " + std::to_string(line_no) +
                                " is not 'ID NAME': " + line.substr(0, 80));
      continue;
    }
    refs[Chomp(line.substr(sp + 1))] = line.substr(0, sp);
  }
  std::error_code ec;
  fs::path refs_dir = git_dir / "refs";
  for (auto it = fs::recursive_directory_iterator(refs_dir, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    std::error_code type_ec;
    if (!it->is_regular_file(type_ec)) continue;
    std::string name = it->path().lexically_relative(git_dir).generic_string();
    if (name.size() > 5 && name.compare(name.size() - 5, 5, ".lock") == 0) continue;
    STRATA_ASSIGN_OR_RETURN(std::optional<std::string> text, ReadRefFile(it->path()));
    if (text) refs[name] = Chomp(*text);
  }
  if (ec && ec != std::errc::no_such_file_or_directory) {
    return Refused(refs_dir.string(), Status::IOError("cannot list it: " + ec.message()));
  }
  std::vector<RefValue> out;
  STRATA_ASSIGN_OR_RETURN(std::optional<std::string> head, ReadRefFile(git_dir / "HEAD"));
  out.push_back({"HEAD", Chomp(head.value_or(""))});
  for (auto& [name, text] : refs) out.push_back({name, text});
  return out;
}

bool IsHexId(const std::string& s) {
  if (s.size() != GIT_OID_HEXSZ) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

// 5. Reflogs (.strata/logs/...): what `main@{N}` and `main@{DATE}` read. A
// reflog is not history (no version depends on it), so, as `git fsck` and
// `git reflog` do, verify fails only on an entry that names an object the
// repository does not have (gc keeps every object a reflog names, so that
// is damage). A malformed line (which git and libgit2 skip, so @{N} counts
// past it), an entry that does not continue the one before it or does not
// end where the ref points (what a writer killed between the reflog append
// and the ref move leaves), and a branch without a reflog are notes.
bool IsReflogId(std::string_view s) {
  if (s.size() != GIT_OID_HEXSZ) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

// What is wrong with one reflog line (without its newline), or "".
// A line: OLD NEW NAME <EMAIL> TIME TZ[\tMESSAGE].
std::string ReflogLineProblem(std::string_view line) {
  if (line.size() < 2 * GIT_OID_HEXSZ + 2 || !IsReflogId(line.substr(0, GIT_OID_HEXSZ)) ||
      line[GIT_OID_HEXSZ] != ' ') {
    return "it does not start with an old version id";
  }
  if (!IsReflogId(line.substr(GIT_OID_HEXSZ + 1, GIT_OID_HEXSZ)) ||
      line[2 * GIT_OID_HEXSZ + 1] != ' ') {
    return "its second field is not a new version id";
  }
  std::string_view who = line.substr(2 * GIT_OID_HEXSZ + 2);
  who = who.substr(0, who.find('\t'));
  const std::size_t lt = who.find('<');
  const std::size_t gt = who.rfind('>');
  if (lt == std::string_view::npos || gt == std::string_view::npos || gt < lt) {
    return "it has no committer 'NAME <EMAIL>'";
  }
  std::string_view when = who.substr(gt + 1);  // " TIME TZ"
  const std::size_t sp = when.rfind(' ');
  if (when.size() < 2 || when[0] != ' ' || sp == 0 || sp == std::string_view::npos) {
    return "it has no time after the committer";
  }
  std::string_view time = when.substr(1, sp - 1);
  std::string_view tz = when.substr(sp + 1);
  if (time.empty() || time.find_first_not_of("0123456789") != std::string_view::npos) {
    return "its time is not a number of seconds";
  }
  if (tz.size() != 5 || (tz[0] != '+' && tz[0] != '-') ||
      tz.substr(1).find_first_not_of("0123456789") != std::string_view::npos) {
    return "its time zone is not +HHMM or -HHMM";
  }
  return std::string();
}

std::string Excerpt(std::string_view line) {
  std::string shown(line.substr(0, 60));
  for (char& c : shown) {
    if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7f) c = '?';
  }
  return "'" + shown + (line.size() > 60 ? "...'" : "'");
}

void CheckReflogs(git_repository* repo, const fs::path& git_dir,
                  const std::vector<std::pair<std::string, ObjectId>>& tips, ObjectStore& store,
                  VerifyReport& report) {
  const fs::path logs = git_dir / "logs";
  std::vector<std::pair<std::string, fs::path>> files;  // ref name, file
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(logs, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    std::error_code type_ec;
    if (!it->is_regular_file(type_ec)) continue;
    const std::string ref = it->path().lexically_relative(logs).generic_string();
    if (ref.size() > 5 && ref.compare(ref.size() - 5, 5, ".lock") == 0) continue;
    files.emplace_back(ref, it->path());
  }
  std::sort(files.begin(), files.end());
  for (const auto& [ref, file] : files) {
    std::ifstream in(file, std::ios::binary);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (!in.good() && !in.eof()) {
      report.problems.push_back("reflog " + file.string() + " cannot be read");
      continue;
    }
    const std::string short_name =
        ref.rfind("refs/heads/", 0) == 0 ? ref.substr(std::string("refs/heads/").size()) : ref;
    const std::string skip = "; git and strata skip it, so " + short_name +
                             "@{N} counts past it. The reflog is not history: delete the line "
                             "to silence this";
    std::size_t line_no = 0, missing = 0, breaks = 0;
    std::string first_missing, first_break;
    std::optional<std::string> previous_new;
    std::size_t last_line = 0;
    std::string last_new;
    for (std::size_t at = 0; at < text.size();) {
      ++line_no;
      const std::size_t nl = text.find('\n', at);
      const bool cut = nl == std::string::npos;
      std::string_view line(text.data() + at, (cut ? text.size() : nl) - at);
      at = cut ? text.size() : nl + 1;
      const std::string where = "reflog " + file.string() + " line " + std::to_string(line_no);
      std::string problem =
          cut ? "it is cut short (the file ends in the middle of it)" : ReflogLineProblem(line);
      if (!problem.empty()) {
        report.notes.push_back(where + " is malformed: " + problem + ": " + Excerpt(line) + skip);
        continue;
      }
      const std::string old_id(line.substr(0, GIT_OID_HEXSZ));
      const std::string new_id(line.substr(GIT_OID_HEXSZ + 1, GIT_OID_HEXSZ));
      for (const std::string* id : {&old_id, &new_id}) {
        ObjectId oid;
        if (*id == std::string(GIT_OID_HEXSZ, '0') ||
            git_oid_fromstr(AsGit(oid), id->c_str()) < 0) {
          git_error_clear();
          continue;
        }
        if (!store.Exists(oid) && missing++ == 0) {
          first_missing = "line " + std::to_string(line_no) + ", " + *id;
        }
      }
      if (previous_new && *previous_new != old_id && breaks++ == 0) {
        first_break = where + ": its old id " + old_id.substr(0, 12) +
                      " is not the previous entry's new id " + previous_new->substr(0, 12);
      }
      previous_new = new_id;
      last_line = line_no;
      last_new = new_id;
    }
    if (missing > 0) {
      report.problems.push_back("reflog " + file.string() + ": " + std::to_string(missing) +
                                (missing == 1 ? " id names an object" : " ids name objects") +
                                " not in the repository (first: " + first_missing +
                                "); gc keeps what a reflog names, so objects were lost");
    }
    if (breaks > 0) {
      report.notes.push_back(
          first_break +
          (breaks > 1 ? " (and " + std::to_string(breaks - 1) + " more such lines)" : "") +
          ": the ref moved without a log entry between them (a writer killed after appending "
          "to the reflog but before moving the ref, or a tool that does not log)");
    }
    if (last_line > 0) {
      git_oid target;
      if (git_reference_name_to_id(&target, repo, ref.c_str()) == 0) {
        const std::string now = FromGit(target).Hex();
        if (now != last_new) {
          report.notes.push_back("reflog " + file.string() + " line " + std::to_string(last_line) +
                                 " (the last entry): its new id " + last_new.substr(0, 12) +
                                 " is not where " + ref + " points now (" + now.substr(0, 12) +
                                 "): a writer killed after appending to the reflog but before "
                                 "moving the ref leaves this; " +
                                 short_name + "@{0} is the ref itself");
        }
      } else {
        git_error_clear();
      }
    }
  }
  // A branch without a reflog: git and strata work without one, but its
  // @{N} and @{DATE} cannot name its earlier versions.
  // (Only where refs are logged: a bare repository logs none by default.)
  int logged = 0;
  git_config* config_raw = nullptr;
  if (git_repository_config_snapshot(&config_raw, repo) == 0) {
    if (git_config_get_bool(&logged, config_raw, "core.logAllRefUpdates") < 0) {
      logged = !git_repository_is_bare(repo);
    }
    git_config_free(config_raw);
  }
  git_error_clear();
  for (const auto& [name, id] : tips) {
    if (!logged) break;
    if (name.rfind("refs/heads/", 0) != 0) continue;
    std::error_code size_ec;
    const std::uintmax_t size = fs::file_size(logs / name, size_ec);
    if (!size_ec && size > 0) continue;
    const std::string branch = name.substr(std::string("refs/heads/").size());
    report.notes.push_back("branch " + branch + " has no reflog (" + (logs / name).string() +
                           (size_ec ? " is missing): " : " is empty): ") + branch + "@{N} and " +
                           branch +
                           "@{DATE} cannot name its earlier versions; its next write starts a "
                           "new reflog");
  }
}

}  // namespace

Result<VerifyReport> Repository::Verify() try {
  // Verify reads what is stored, never a view.
  struct Restore {
    std::optional<Perspective>& slot;
    std::optional<Perspective> saved;
    ~Restore() { slot = std::move(saved); }
  } restore{impl_->perspective_, std::exchange(impl_->perspective_, std::nullopt)};
  VerifyReport report;
  const fs::path git_dir(impl_->path_);
  CheckLeftovers(git_dir, report);

  OidSet damaged;
  STRATA_RETURN_IF_ERROR(CheckLooseObjects(git_dir / "objects", report, damaged));
  STRATA_RETURN_IF_ERROR(CheckPackedObjects(git_dir / "objects", report, damaged));

  // Refs: each is a valid id or symbolic ref, naming a version.
  STRATA_ASSIGN_OR_RETURN(std::vector<RefValue> refs, ReadRefFiles(git_dir, report));
  std::vector<std::pair<std::string, ObjectId>> tips;
  for (const RefValue& r : refs) {
    ++report.refs;
    if (r.text.rfind("ref: ", 0) == 0) {
      std::string target = r.text.substr(5);
      int valid = 0;
      if (git_reference_name_is_valid(&valid, target.c_str()) < 0 || !valid ||
          target.rfind("refs/", 0) != 0) {
        git_error_clear();
        report.problems.push_back("ref " + r.name + " points at '" + target +
                                  "', which is not a valid ref name");
      }
      continue;  // its target is checked as a ref of its own (or is unborn)
    }
    ObjectId id;
    if (!IsHexId(r.text) || git_oid_fromstr(AsGit(id), r.text.c_str()) < 0) {
      git_error_clear();
      std::string shown = r.text.substr(0, 60);
      for (char& c : shown) {
        if (static_cast<unsigned char>(c) < 0x20) c = '?';
      }
      report.problems.push_back("ref " + r.name + " does not hold a version id: '" + shown + "'");
      continue;
    }
    tips.emplace_back(r.name, id);
  }
  CheckReflogs(impl_->repo_.get(), git_dir, tips, *impl_->store_, report);
  if (!damaged.empty()) {
    // Reading commits goes through libgit2, which may meet the damaged ones.
    report.problems.push_back("versions were not checked: repair the damaged objects first");
    return report;
  }

  // Every version reachable from a ref: present, with its parents.
  const std::size_t problems_before_walk = report.problems.size();
  std::vector<ObjectId> versions;
  OidSet seen;
  OidSet notes;  // notes commits, and their parents
  std::deque<ObjectId> queue;
  for (const auto& [name, id] : tips) {
    git_object* raw = nullptr;
    const bool denied = !impl_->store_->Exists(id);
    if (denied || git_object_lookup(&raw, impl_->repo_.get(), AsGit(id), GIT_OBJECT_ANY) < 0) {
      STRATA_RETURN_IF_ERROR(SystemRefusal(*impl_->store_, denied, "ref " + name));
      report.problems.push_back("ref " + name + " names " + id.Hex() + ", which is missing");
      continue;
    }
    ObjectPtr obj(raw);
    git_object* peeled = nullptr;
    if (git_object_peel(&peeled, raw, GIT_OBJECT_COMMIT) < 0) {
      git_error_clear();
      report.problems.push_back("ref " + name + " names " + id.Hex() + ", a " +
                                git_object_type2string(git_object_type(raw)) + ", not a version");
      continue;
    }
    ObjectId commit = FromGit(*git_object_id(peeled));
    git_object_free(peeled);
    // Notes refs (labels added later) hold notes commits, whose trees map
    // versions to notes: their objects are checked, but they are no versions.
    if (name.rfind("refs/notes/", 0) == 0) notes.insert(commit);
    if (seen.insert(commit).second) queue.push_back(commit);
  }
  OidSet seen_trees;
  while (!queue.empty()) {
    ObjectId version = queue.front();
    queue.pop_front();
    const bool is_notes = notes.count(version) > 0;
    const std::string id = is_notes ? "labels commit " + version.Hex() : version.Hex();
    git_commit* c_raw = nullptr;
    if (git_commit_lookup(&c_raw, impl_->repo_.get(), AsGit(version)) < 0) {
      STRATA_RETURN_IF_ERROR(SystemRefusal(*impl_->store_, false, "version " + id));
      report.problems.push_back(VersionProblem(id, "its commit is missing or unreadable"));
      continue;
    }
    CommitPtr c(c_raw);
    if (!is_notes) versions.push_back(version);
    for (unsigned i = 0; i < git_commit_parentcount(c_raw); ++i) {
      ObjectId parent = FromGit(*git_commit_parent_id(c_raw, i));
      if (!impl_->store_->Exists(parent)) {
        report.problems.push_back(VersionProblem(
            id, "its parent " + parent.Hex() + " is missing, so its history is cut"));
      } else if (seen.insert(parent).second) {
        if (is_notes) notes.insert(parent);
        queue.push_back(parent);
      }
    }
    // Its tree; a tree seen in an earlier version was checked then.
    std::vector<std::pair<ObjectId, std::string>> trees{{FromGit(*git_commit_tree_id(c_raw)), ""}};
    while (!trees.empty()) {
      auto [tree, where] = trees.back();
      trees.pop_back();
      if (!seen_trees.insert(tree).second) continue;
      if (!impl_->store_->Exists(tree)) {
        STRATA_RETURN_IF_ERROR(SystemRefusal(*impl_->store_, true, "tree " + tree.Hex()));
        report.problems.push_back(
            VersionProblem(id, "tree " + tree.Hex() + " (" + where + ") is missing"));
        continue;
      }
      Result<std::vector<TreeEntry>> entries = impl_->store_->ReadTree(tree);
      if (!entries.ok() && IsRefusal(entries.status())) {
        return Refused("tree " + tree.Hex(), entries.status());
      }
      if (!entries.ok()) {
        report.problems.push_back(VersionProblem(id, entries.status().message()));
        continue;
      }
      for (const TreeEntry& e : *entries) {
        std::string path = where.empty() ? e.name : where + "/" + e.name;
        if (e.is_tree) {
          trees.emplace_back(e.id, path);
        } else if (!impl_->store_->Exists(e.id)) {
          STRATA_RETURN_IF_ERROR(SystemRefusal(*impl_->store_, true, "blob " + e.id.Hex()));
          report.problems.push_back(
              VersionProblem(id, "blob " + e.id.Hex() + " (" + path + ") is missing"));
        }
      }
    }
  }
  report.versions = versions.size();
  if (report.problems.size() != problems_before_walk) {
    report.problems.push_back("deltas were not replayed: restore the missing objects first");
    return report;
  }

  // Every version: its delta applied to its first parent's state gives its state.
  for (const ObjectId& version : versions) {
    const std::string id = version.Hex();
    Result<Snapshot> snap = Read(id);
    Result<strata::Patch> delta = snap.ok() ? snap->Delta() : Result<strata::Patch>(snap.status());
    if (!delta.ok() && IsRefusal(delta.status())) return Refused("version " + id, delta.status());
    if (!delta.ok()) {
      report.problems.push_back(VersionProblem(id, delta.status().message()));
      continue;
    }
    std::optional<ObjectId> parent_state;
    if (!snap->version()->parents.empty()) {
      Result<Snapshot> parent = Read(snap->version()->parents[0]);
      if (!parent.ok()) continue;  // reported when the loop reaches the parent
      parent_state = parent->state_tree();
    }
    ObjectStore& store = *impl_->store_;
    auto rebuild = [&]() -> Result<ObjectId> {
      StateEditor editor(store, parent_state);
      Status applied = ApplyPatch(editor, *delta);
      Result<ObjectId> out = applied.ok() ? editor.Write() : Result<ObjectId>(applied);
      store.Discard();
      return out;
    };
    Result<ObjectId> rebuilt = rebuild();
    // A version written by another format encodes the same state otherwise
    // (a copy made with `git clone` has no strata.formatVersion and is read
    // as format 1): it is sound if some format's encoding gives its state.
    const int format = store.format();
    for (int other = ObjectStore::kNewestFormat; other >= 1; --other) {
      if (!rebuilt.ok() || *rebuilt == *snap->state_tree()) break;
      if (other == format) continue;
      struct Encoding {
        ObjectStore& store;
        int restore;
        ~Encoding() { store.set_format(restore); }
      } encoding{store, format};
      store.set_format(other);
      Result<ObjectId> again = rebuild();
      if (again.ok() && *again == *snap->state_tree()) rebuilt = again;
    }
    if (!rebuilt.ok()) {
      report.problems.push_back(VersionProblem(
          id, "its delta does not apply to its parent: " + rebuilt.status().message()));
    } else if (!(*rebuilt == *snap->state_tree())) {
      report.problems.push_back(VersionProblem(id, "its delta applied to its parent gives state " +
                                                       rebuilt->Hex() + ", not " +
                                                       snap->state_tree()->Hex()));
    }
  }
  CheckVersionIndex(versions, report);
  return report;
} catch (...) {
  return CaughtStatus("Repository::Verify");
}

void Repository::CheckVersionIndex(const std::vector<ObjectId>& versions, VerifyReport& report) {
  const std::string file = (fs::path(impl_->path_) / "version-index").string();
  VersionIndex index(file);
  for (const ObjectId& version : versions) {
    const VersionRecord* r = index.Find(version);
    if (!r) continue;
    git_commit* c_raw = nullptr;
    if (git_commit_lookup(&c_raw, impl_->repo_.get(), AsGit(version)) < 0) {
      git_error_clear();
      continue;  // reported by the walk
    }
    CommitPtr c(c_raw);
    std::optional<ObjectId> parent_state;
    if (git_commit_parentcount(c_raw) > 0) {
      git_commit* p_raw = nullptr;
      if (git_commit_parent(&p_raw, c_raw, 0) < 0) {
        git_error_clear();
        continue;
      }
      CommitPtr p(p_raw);
      Result<VersionTrees> trees = ReadVersionTrees(*impl_->store_, p_raw);
      if (!trees.ok()) continue;
      parent_state = trees->state;
    }
    Result<VersionRecord> actual = ComputeVersionRecord(*impl_->store_, c_raw, parent_state);
    if (!actual.ok() || *actual == *r) continue;
    std::vector<std::string> wrong;
    if (actual->time != r->time) wrong.push_back("time");
    if (!(actual->state == r->state)) wrong.push_back("state");
    if (actual->parents != r->parents) wrong.push_back("parents");
    if (actual->labels != r->labels) wrong.push_back("labels");
    if (actual->many_docs != r->many_docs || actual->docs != r->docs) {
      wrong.push_back("changed documents");
    }
    std::string what;
    for (const std::string& w : wrong) what += (what.empty() ? "" : ", ") + w;
    report.problems.push_back("version index " + file + ": the entry for version " + version.Hex() +
                              " contradicts its commit (" + what +
                              "); the index is a cache: remove the file and the next log or "
                              "history rebuilds it: rm '" +
                              file + "'");
  }
}

}  // namespace strata
