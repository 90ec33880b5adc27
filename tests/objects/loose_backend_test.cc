// Tests for objects/loose_backend.h: the loose-object backend libgit2 reads
// through, and its place in every repository's object database.
#include "objects/loose_backend.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/test/unit_test.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "objects/pack_backend.h"
#include "tests/objects/temp_repo.h"
#include "tests/objects/test_util.h"

namespace strata {
namespace {

namespace fs = std::filesystem;
using testing::TempRepo;

// What one lookup returned.
struct Outcome {
  bool timed_out = false;
  int rc = 0;
  std::string message;  // libgit2's last error, when rc < 0
  std::string id;       // the id a prefix lookup found
  int type = 0;
  std::string data;  // read: the content; read_header: the size
};

// Runs `lookup` in a child process and returns what it returned, so a lookup
// that never returns (libgit2 1.5 on a truncated loose object,
// libgit2/libgit2#7342) fails the test after `seconds` instead of hanging it.
Outcome RunBounded(const std::function<Outcome()>& lookup, int seconds = 10) {
  int fds[2];
  BOOST_TEST_REQUIRE(::pipe(fds) == 0);
  pid_t pid = ::fork();
  BOOST_TEST_REQUIRE(pid >= 0);
  if (pid == 0) {
    ::close(fds[0]);
    Outcome o = lookup();
    std::string out = std::to_string(o.rc) + "\n" + std::to_string(o.type) + "\n" + o.id + "\n" +
                      std::to_string(o.message.size()) + "\n" + o.message +
                      std::to_string(o.data.size()) + "\n" + o.data;
    for (std::size_t done = 0; done < out.size();) {
      ssize_t n = ::write(fds[1], out.data() + done, out.size() - done);
      if (n <= 0) ::_exit(2);
      done += static_cast<std::size_t>(n);
    }
    ::_exit(0);
  }
  ::close(fds[1]);
  std::string got;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  bool eof = false;
  while (!eof) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                    deadline - std::chrono::steady_clock::now())
                    .count();
    pollfd p{fds[0], POLLIN, 0};
    if (left <= 0 || ::poll(&p, 1, static_cast<int>(left)) == 0) break;
    char buf[4096];
    ssize_t n = ::read(fds[0], buf, sizeof buf);
    if (n <= 0) {
      eof = true;
    } else {
      got.append(buf, static_cast<std::size_t>(n));
    }
  }
  ::close(fds[0]);
  Outcome o;
  if (!eof) {
    ::kill(pid, SIGKILL);
    o.timed_out = true;
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (o.timed_out) return o;
  BOOST_TEST_REQUIRE((WIFEXITED(status) && WEXITSTATUS(status) == 0), "the lookup crashed");
  std::size_t pos = 0;
  auto line = [&] {
    std::size_t nl = got.find('\n', pos);
    std::string s = got.substr(pos, nl - pos);
    pos = nl + 1;
    return s;
  };
  o.rc = std::stoi(line());
  o.type = std::stoi(line());
  o.id = line();
  std::size_t n = std::stoul(line());
  o.message = got.substr(pos, n);
  pos += n;
  n = std::stoul(line());
  o.data = got.substr(pos, n);
  return o;
}

std::string LastError() {
  const git_error* e = git_error_last();
  return e && e->message ? e->message : "";
}

fs::path LoosePath(const TempRepo& t, const std::string& hex) {
  return fs::path(t.dir()) / "objects" / hex.substr(0, 2) / hex.substr(2);
}

void Overwrite(const fs::path& file, const std::string& bytes) {
  fs::permissions(file, fs::perms::owner_write, fs::perm_options::add);
  std::ofstream(file, std::ios::binary | std::ios::trunc) << bytes;
}

std::string ReadFile(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

std::string BlobId(const std::string& data) {
  ObjectId id;
  BOOST_TEST_REQUIRE(git_odb_hash(AsGit(id), data.data(), data.size(), GIT_OBJECT_BLOB) == 0);
  return id.Hex();
}

// A repository holding loose objects of every kind the cases need.
struct LooseObjects {
  TempRepo t;
  std::string present;        // "present blob"
  std::string twin_a;         // twin_a and twin_b share their first 4 hex digits
  std::string twin_b;         //   (and no other object does)
  std::string truncated;      // a blob cut to 20 bytes
  std::string empty;          // a blob whose file is empty
  std::string garbage;        // a blob whose file is not zlib
  std::string absent;         // never written
  std::string commit;         // a commit, truncated in its own cases
  std::set<std::string> all;  // every loose object above

  LooseObjects() {
    present = Write("present blob");
    // Blobs "twin 0", "twin 1", ... until two ids share a 4-digit prefix.
    std::map<std::string, std::string> by_prefix;
    for (int i = 0; twin_b.empty(); ++i) {
      std::string data = "twin " + std::to_string(i);
      std::string id = BlobId(data);
      auto [it, fresh] = by_prefix.emplace(id.substr(0, 4), data);
      if (!fresh) {
        twin_a = Write(it->second);
        twin_b = Write(data);
      }
    }
    truncated = Write(std::string(300, 't') + " truncated");
    fs::path file = LoosePath(t, truncated);
    Overwrite(file, ReadFile(file).substr(0, 20));
    empty = Write("empty file");
    Overwrite(LoosePath(t, empty), "");
    garbage = Write("garbage file");
    Overwrite(LoosePath(t, garbage), "not zlib at all");
    absent = BlobId("never written");
    std::string tree = t.store().WriteTree({}).value().Hex();
    commit = t.store()
                 .WriteObject("tree " + tree +
                                  "\nauthor A <a@example.com> 0 +0000\n"
                                  "committer A <a@example.com> 0 +0000\n\nm\n",
                              GIT_OBJECT_COMMIT)
                 .value()
                 .Hex();
    t.FlushLoose();
    all = {present, twin_a, twin_b, truncated, empty, garbage, commit, tree};
    for (const std::string& id : all) {
      if (id != twin_a && id != twin_b) BOOST_TEST_REQUIRE(id.substr(0, 4) != twin_a.substr(0, 4));
    }
  }

  std::string Write(const std::string& data) {
    std::string id = t.store().WriteBlob(data).value().Hex();
    t.FlushLoose();
    return id;
  }
};

// An object database with strata's loose backend alone.
OdbPtr LooseOnly(const std::string& repo_dir) {
  git_odb* raw = nullptr;
  BOOST_TEST_REQUIRE(git_odb_new(&raw) == 0);
  OdbPtr odb(raw);
  Result<git_odb_backend*> backend = NewLooseBackend(repo_dir + "/objects");
  STRATA_CHECK_OK(backend);
  BOOST_TEST_REQUIRE(git_odb_add_backend(odb.get(), *backend, 1) == 0);
  return odb;
}

enum class Op { kRead, kReadPrefix, kReadHeader, kExists, kExistsPrefix };

Outcome Lookup(git_odb* odb, Op op, const std::string& key) {
  Outcome o;
  git_oid oid;
  if (git_oid_fromstrn(&oid, key.data(), key.size()) < 0) {
    o.rc = -1000;
    return o;
  }
  git_odb_object* obj = nullptr;
  git_oid found{};
  switch (op) {
    case Op::kRead:
      o.rc = git_odb_read(&obj, odb, &oid);
      break;
    case Op::kReadPrefix:
      o.rc = git_odb_read_prefix(&obj, odb, &oid, key.size());
      break;
    case Op::kReadHeader: {
      std::size_t size = 0;
      git_object_t type = GIT_OBJECT_INVALID;
      o.rc = git_odb_read_header(&size, &type, odb, &oid);
      o.type = type;
      o.data = std::to_string(size);
      break;
    }
    case Op::kExists:
      o.rc = git_odb_exists(odb, &oid);
      break;
    case Op::kExistsPrefix:
      o.rc = git_odb_exists_prefix(&found, odb, &oid, key.size());
      if (o.rc == 0) o.id = FromGit(found).Hex();
      break;
  }
  if (obj) {
    o.type = git_odb_object_type(obj);
    o.id = FromGit(*git_odb_object_id(obj)).Hex();
    o.data.assign(static_cast<const char*>(git_odb_object_data(obj)), git_odb_object_size(obj));
    git_odb_object_free(obj);
  }
  if (o.rc < 0) o.message = LastError();
  return o;
}

const char* OpName(Op op) {
  switch (op) {
    case Op::kRead:
      return "read";
    case Op::kReadPrefix:
      return "read_prefix";
    case Op::kReadHeader:
      return "read_header";
    case Op::kExists:
      return "exists";
    case Op::kExistsPrefix:
      return "exists_prefix";
  }
  return "?";
}

}  // namespace

BOOST_AUTO_TEST_SUITE(objects)
BOOST_AUTO_TEST_SUITE(loose_backend)

BOOST_AUTO_TEST_CASE(lookups) {
  LooseObjects o;
  std::string twins = o.twin_a.substr(0, 4);
  // The shortest prefix of twin_a that twin_b does not share.
  std::size_t common = 4;
  while (o.twin_a[common] == o.twin_b[common]) ++common;
  std::string unique = o.twin_a.substr(0, common + 1);
  std::string nowhere = o.absent.substr(0, 8);
  for (const std::string& id : o.all) BOOST_TEST_REQUIRE(id.rfind(nowhere, 0) != 0);

  struct Case {
    std::string name;
    Op op;
    std::string key;
    int rc;                  // what libgit2 returns (exists: 1 or 0)
    std::string id;          // the object found
    std::string data;        // read: the content; read_header: its size
    std::string damaged_id;  // errors: the message names this object and its file
  };
  const std::string present_data = "present blob";
  const std::vector<Case> cases = {
      {"present", Op::kRead, o.present, 0, o.present, present_data, ""},
      {"present, header", Op::kReadHeader, o.present, 0, "", "12", ""},
      {"present, exists", Op::kExists, o.present, 1, "", "", ""},
      {"present, full-length prefix", Op::kReadPrefix, o.present, 0, o.present, present_data, ""},
      {"absent", Op::kRead, o.absent, GIT_ENOTFOUND, "", "", ""},
      {"absent, header", Op::kReadHeader, o.absent, GIT_ENOTFOUND, "", "", ""},
      {"absent, exists", Op::kExists, o.absent, 0, "", "", ""},
      {"prefix, unique", Op::kReadPrefix, unique, 0, o.twin_a, "", ""},
      {"prefix, unique, exists", Op::kExistsPrefix, unique, 0, o.twin_a, "", ""},
      {"prefix, ambiguous", Op::kReadPrefix, twins, GIT_EAMBIGUOUS, "", "", ""},
      {"prefix, ambiguous, exists", Op::kExistsPrefix, twins, GIT_EAMBIGUOUS, "", "", ""},
      {"prefix, absent", Op::kReadPrefix, nowhere, GIT_ENOTFOUND, "", "", ""},
      {"prefix, absent, exists", Op::kExistsPrefix, nowhere, GIT_ENOTFOUND, "", "", ""},
      {"truncated", Op::kRead, o.truncated, GIT_ERROR, "", "", o.truncated},
      {"truncated, header", Op::kReadHeader, o.truncated, GIT_ERROR, "", "", o.truncated},
      {"truncated, prefix", Op::kReadPrefix, o.truncated.substr(0, 10), GIT_ERROR, "", "",
       o.truncated},
      {"truncated, exists", Op::kExists, o.truncated, 1, "", "", ""},
      {"zero-length", Op::kRead, o.empty, GIT_ERROR, "", "", o.empty},
      {"zero-length, header", Op::kReadHeader, o.empty, GIT_ERROR, "", "", o.empty},
      {"garbage", Op::kRead, o.garbage, GIT_ERROR, "", "", o.garbage},
      {"garbage, prefix", Op::kReadPrefix, o.garbage.substr(0, 7), GIT_ERROR, "", "", o.garbage},
  };
  OdbPtr odb = LooseOnly(o.t.dir());
  for (const Case& c : cases) {
    BOOST_TEST_CONTEXT(c.name << " (" << OpName(c.op) << " " << c.key << ")") {
      Outcome got = RunBounded([&] { return Lookup(odb.get(), c.op, c.key); });
      BOOST_TEST_REQUIRE(!got.timed_out, "no answer within 10 s");
      BOOST_TEST(got.rc == c.rc, got.message);
      if (!c.id.empty()) BOOST_TEST(got.id == c.id);
      if (!c.data.empty()) BOOST_TEST(got.data == c.data);
      if (c.op == Op::kRead && c.rc == 0) BOOST_TEST(got.type == GIT_OBJECT_BLOB);
      if (c.op == Op::kReadHeader && c.rc == 0) BOOST_TEST(got.type == GIT_OBJECT_BLOB);
      if (!c.damaged_id.empty()) {
        BOOST_TEST(got.message.find(c.damaged_id) != std::string::npos, got.message);
        BOOST_TEST(got.message.find(LoosePath(o.t, c.damaged_id).string()) != std::string::npos,
                   got.message);
        BOOST_TEST(got.message.find("is damaged") != std::string::npos, got.message);
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(foreach_lists_every_loose_object_and_nothing_else) {
  LooseObjects o;
  // Stray files an interrupted write or a repack leave are not objects.
  std::string dir = o.t.dir() + "/objects/" + o.present.substr(0, 2);
  std::ofstream(dir + "/tmp_obj_XXXXXX") << "x";
  std::ofstream(dir + "/" + std::string(38, 'A')) << "x";  // not lower-case hex
  fs::create_directories(o.t.dir() + "/objects/zz");
  std::ofstream(o.t.dir() + "/objects/zz/" + std::string(38, '0')) << "x";
  OdbPtr odb = LooseOnly(o.t.dir());
  std::set<std::string> seen;
  int rc = git_odb_foreach(
      odb.get(),
      [](const git_oid* id, void* payload) {
        static_cast<std::set<std::string>*>(payload)->insert(FromGit(*id).Hex());
        return 0;
      },
      &seen);
  BOOST_TEST(rc == 0);
  BOOST_TEST((seen == o.all));
  // A callback's non-zero return stops the walk and is returned.
  int calls = 0;
  rc = git_odb_foreach(
      odb.get(),
      [](const git_oid*, void* payload) {
        ++*static_cast<int*>(payload);
        return 7;
      },
      &calls);
  BOOST_TEST(rc == 7);
  BOOST_TEST(calls == 1);
}

BOOST_AUTO_TEST_CASE(a_repository_reads_staged_then_packed_then_loose) {
  TempRepo t;
  git_odb* raw = nullptr;
  BOOST_TEST_REQUIRE(git_repository_odb(&raw, t.repo()) == 0);
  OdbPtr odb(raw);
  BOOST_TEST_REQUIRE(git_odb_num_backends(odb.get()) == 3u);
  // Backends made the same way share their functions.
  Result<git_odb_backend*> loose = NewLooseBackend(t.dir() + "/objects");
  STRATA_CHECK_OK(loose);
  Result<git_odb_backend*> made = NewPackBackend(
      t.dir() + "/objects", std::make_shared<SharedPackIds>(t.dir() + "/objects/pack"));
  STRATA_CHECK_OK(made);
  git_odb_backend* packs = *made;
  git_odb_backend* order[3];
  for (std::size_t i = 0; i < 3; ++i)
    BOOST_TEST_REQUIRE(git_odb_get_backend(&order[i], odb.get(), i) == 0);
  BOOST_TEST((order[0]->read != (*loose)->read && order[0]->read != packs->read));  // staging
  BOOST_TEST((order[1]->read == packs->read));
  BOOST_TEST((order[2]->read == (*loose)->read));
  (*loose)->free(*loose);
  packs->free(packs);
}

// The backend lists the fan-out folders once (objects/00 .. ff) and looks
// for no object whose folder was absent then. An object another process
// writes loose afterwards, into a folder that did not exist, is still found:
// by ObjectStore::Exists, by a read (libgit2 refreshes and asks again), and
// by libgit2's own existence check.
BOOST_AUTO_TEST_CASE(a_loose_object_in_a_folder_made_after_the_listing_is_found) {
  TempRepo t;
  const std::string content = "written loose by another process";
  git_oid oid;
  BOOST_TEST_REQUIRE(git_odb_hash(&oid, content.data(), content.size(), GIT_OBJECT_BLOB) == 0);
  const ObjectId id = FromGit(oid);
  const fs::path folder = fs::path(t.dir()) / "objects" / id.Hex().substr(0, 2);
  BOOST_TEST_REQUIRE(!fs::exists(folder));
  // The first lookups list the folders: this one's is absent.
  BOOST_TEST(!t.store().Exists(id));
  BOOST_TEST(!t.store().Contains(id));
  // Another process writes it loose (libgit2's own loose backend, as git would).
  git_odb_backend* writer = nullptr;
  BOOST_TEST_REQUIRE(git_odb_backend_loose(&writer, (t.dir() + "/objects").c_str(), -1, 0, 0, 0) ==
                     0);
  git_odb* other = nullptr;
  BOOST_TEST_REQUIRE(git_odb_new(&other) == 0);
  OdbPtr other_odb(other);
  BOOST_TEST_REQUIRE(git_odb_add_backend(other, writer, 1) == 0);
  git_oid written;
  BOOST_TEST_REQUIRE(
      git_odb_write(&written, other, content.data(), content.size(), GIT_OBJECT_BLOB) == 0);
  BOOST_TEST_REQUIRE(fs::exists(folder));
  BOOST_TEST(t.store().Exists(id));
  Result<std::string> read = t.store().ReadBlob(id);
  STRATA_CHECK_OK(read);
  BOOST_TEST(*read == content);
  git_odb* raw = nullptr;
  BOOST_TEST_REQUIRE(git_repository_odb(&raw, t.repo()) == 0);
  OdbPtr odb(raw);
  BOOST_TEST(git_odb_exists(odb.get(), &oid) == 1);
}

// Regression: libgit2 read commits through its own loose backend, which
// never returns on a truncated file, so every command hung.
BOOST_AUTO_TEST_CASE(a_truncated_loose_commit_is_an_error_naming_it_not_a_hang) {
  LooseObjects o;
  fs::path file = LoosePath(o.t, o.commit);
  Overwrite(file, ReadFile(file).substr(0, 20));
  git_oid oid;
  BOOST_TEST_REQUIRE(git_oid_fromstr(&oid, o.commit.c_str()) == 0);
  struct Call {
    std::string name;
    std::function<int()> call;
  };
  // A new handle, as the next command would open it (the first one cached the
  // commit when it wrote it).
  git_repository* raw = nullptr;
  BOOST_TEST_REQUIRE(git_repository_open_bare(&raw, o.t.dir().c_str()) == 0);
  RepositoryPtr reopened(raw);
  Result<std::unique_ptr<ObjectStore>> store = ObjectStore::Open(raw);
  STRATA_CHECK_OK(store);
  git_repository* repo = reopened.get();
  const std::vector<Call> calls = {
      {"git_commit_lookup",
       [&] {
         git_commit* c = nullptr;
         int rc = git_commit_lookup(&c, repo, &oid);
         git_commit_free(c);
         return rc;
       }},
      {"git_revparse_single",
       [&] {
         git_object* obj = nullptr;
         int rc = git_revparse_single(&obj, repo, o.commit.substr(0, 12).c_str());
         git_object_free(obj);
         return rc;
       }},
      {"git_revwalk",
       [&] {
         git_revwalk* walk = nullptr;
         if (git_revwalk_new(&walk, repo) < 0) return 0;
         int rc = git_revwalk_push(walk, &oid);
         git_oid next;
         if (rc == 0) rc = git_revwalk_next(&next, walk);
         git_revwalk_free(walk);
         return rc;
       }},
  };
  for (const Call& c : calls) {
    BOOST_TEST_CONTEXT(c.name) {
      Outcome got = RunBounded([&] {
        Outcome out;
        out.rc = c.call();
        if (out.rc < 0) out.message = LastError();
        return out;
      });
      BOOST_TEST_REQUIRE(!got.timed_out, "no answer within 10 s (libgit2/libgit2#7342)");
      BOOST_TEST(got.rc == GIT_ERROR, got.message);
      BOOST_TEST(got.message.find(o.commit) != std::string::npos, got.message);
      BOOST_TEST(got.message.find(file.string()) != std::string::npos, got.message);
    }
  }
  // GitError calls the damage Corruption.
  git_commit* c = nullptr;
  int rc = git_commit_lookup(&c, repo, &oid);
  git_commit_free(c);
  BOOST_TEST_REQUIRE(rc == GIT_ERROR);
  Status s = GitError(rc, "cannot read " + o.commit);
  BOOST_TEST((s.code() == Code::kCorruption), s.message());
}

BOOST_AUTO_TEST_SUITE_END()
BOOST_AUTO_TEST_SUITE_END()

}  // namespace strata
