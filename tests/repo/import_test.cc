// Tests for strata/import.h: reading folders and JSON Lines files.
#include "strata/import.h"

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <boost/test/unit_test.hpp>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <future>

namespace strata {
namespace {

namespace fs = std::filesystem;

struct TempDir {
  fs::path path;
  TempDir() {
    std::string d = (fs::temp_directory_path() / "strata-import-XXXXXX").string();
    if (!mkdtemp(d.data())) throw std::runtime_error("mkdtemp failed");
    path = d;
  }
  ~TempDir() {
    std::error_code ignored;
    fs::remove_all(path, ignored);
  }
  void Write(const std::string& rel, const std::string& text) const {
    fs::create_directories((path / rel).parent_path());
    std::ofstream(path / rel) << text;
  }
  // A symbolic link at `rel` whose target is `target`, as given.
  void Link(const std::string& target, const std::string& rel) const {
    fs::create_directories((path / rel).parent_path());
    fs::create_symlink(target, path / rel);
  }
  void Fifo(const std::string& rel) const {
    fs::create_directories((path / rel).parent_path());
    if (mkfifo((path / rel).c_str(), 0600) != 0) throw std::runtime_error("mkfifo failed");
  }
};

std::vector<std::string> Ids(const ImportSource& s) {
  std::vector<std::string> ids;
  for (const auto& [id, doc] : s.docs) ids.push_back(id);
  return ids;
}

std::vector<std::string> Skipped(const ImportSource& s) {
  std::vector<std::string> lines;
  for (const SkippedEntry& e : s.skipped) lines.push_back(e.ToString());
  return lines;
}

using Lines = std::vector<std::string>;

}  // namespace

BOOST_AUTO_TEST_SUITE(repo)
BOOST_AUTO_TEST_SUITE(import)

BOOST_AUTO_TEST_CASE(a_folder_gives_ids_from_relative_paths) {
  TempDir t;
  t.Write("config/app1.json", R"({"a":1})");
  t.Write("config/deep/app2.json", "[1]");
  t.Write("top.json", "true");
  t.Write("notes.txt", "skip me");
  t.Write(".hidden/x.json", "1");
  ImportSource s = ReadImportSource(t.path.string()).value();
  BOOST_TEST(Ids(s) == (Lines{"config/app1", "config/deep/app2", "top"}),
             boost::test_tools::per_element());
  BOOST_TEST(Skipped(s) == (Lines{".hidden: a hidden folder", "notes.txt: not named *.json"}),
             boost::test_tools::per_element());
  BOOST_TEST(s.docs[0].second == json::value(json::object{{"a", 1}}));
}

// The ids do not depend on how the folder is named: through a link to it,
// with a trailing '/', or with "." and ".." on the way.
BOOST_AUTO_TEST_CASE(the_folder_may_be_named_any_way) {
  TempDir t;
  t.Write("in/config/app1.json", "1");
  t.Link("in", "via-link");
  for (std::string root : {"in", "in/", "via-link", "via-link/", "in/.", "in/../in"}) {
    ImportSource s = ReadImportSource((t.path / root).string()).value();
    BOOST_TEST(Ids(s) == (Lines{"config/app1"}), root);
  }
}

// Before, a link was read through: "alias.json -> a.json" gave document "a"
// twice (its id came from the resolved path), and a link to a file outside
// gave "../outside/x", refused, so the whole import failed.
BOOST_AUTO_TEST_CASE(symbolic_links_are_skipped_never_followed) {
  TempDir t;
  t.Write("in/a.json", "1");
  t.Write("in/config/app1.json", "2");
  t.Write("outside/x.json", "3");
  t.Write("outside/dir/y.json", "4");
  t.Link("a.json", "in/alias.json");
  t.Link("../outside/x.json", "in/ext.json");
  t.Link((t.path / "outside" / "dir").string(), "in/linked");
  t.Link("config", "in/cfg");
  t.Link("no-such-target.json", "in/dangling.json");
  t.Link("../../outside/x.json", "in/config/deep.json");
  ImportSource s = ReadImportSource((t.path / "in").string()).value();
  BOOST_TEST(Ids(s) == (Lines{"a", "config/app1"}), boost::test_tools::per_element());
  BOOST_TEST(
      Skipped(s) == (Lines{"alias.json: a symbolic link", "cfg: a symbolic link",
                           "config/deep.json: a symbolic link", "dangling.json: a symbolic link",
                           "ext.json: a symbolic link", "linked: a symbolic link"}),
      boost::test_tools::per_element());
}

// A FIFO is never opened: opening one for reading blocks until a writer
// comes. If the read hangs anyway, the test opens the FIFO for writing to let
// it go, and fails.
BOOST_AUTO_TEST_CASE(special_files_are_skipped_never_opened) {
  TempDir t;
  t.Write("in/a.json", "1");
  t.Fifo("in/x.json");
  t.Fifo("in/sub/y.json");
  t.Link("x.json", "in/to-fifo.json");
  int sock = socket(AF_UNIX, SOCK_STREAM, 0);
  BOOST_REQUIRE(sock >= 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::string sock_path = (t.path / "in" / "s.json").string();
  BOOST_REQUIRE(sock_path.size() < sizeof addr.sun_path);
  std::strcpy(addr.sun_path, sock_path.c_str());
  BOOST_REQUIRE(bind(sock, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);

  std::future<Result<ImportSource>> read =
      std::async(std::launch::async, [&] { return ReadImportSource((t.path / "in").string()); });
  if (read.wait_for(std::chrono::seconds(20)) != std::future_status::ready) {
    for (const char* fifo : {"in/x.json", "in/sub/y.json"}) {
      int fd = open((t.path / fifo).c_str(), O_WRONLY | O_NONBLOCK);
      if (fd >= 0) close(fd);
    }
    read.wait();
    close(sock);
    BOOST_FAIL("reading a folder with a FIFO hung");
  }
  close(sock);
  Result<ImportSource> s = read.get();
  BOOST_REQUIRE_MESSAGE(s.ok(), s.status().message());
  BOOST_TEST(Ids(*s) == (Lines{"a"}), boost::test_tools::per_element());
  BOOST_TEST(Skipped(*s) == (Lines{"s.json: not a regular file", "sub/y.json: not a regular file",
                                   "to-fifo.json: a symbolic link", "x.json: not a regular file"}),
             boost::test_tools::per_element());
}

// Hidden folders are skipped, and hidden files too, since an id may not have a
// segment starting with '.'; except a settings document at the top
// (.merge.json is the document .merge).
BOOST_AUTO_TEST_CASE(hidden_files_and_folders_are_skipped) {
  TempDir t;
  t.Write("a.json", "1");
  t.Write(".git/config.json", "{}");
  t.Write("sub/.cache/x.json", "2");
  t.Write(".eslintrc.json", "{}");
  t.Write(".merge.json", "{}");
  t.Write("sub/.y.json", "3");
  t.Write("sub/.notes", "3");
  ImportSource s = ReadImportSource(t.path.string()).value();
  BOOST_TEST(Ids(s) == (Lines{".merge", "a"}), boost::test_tools::per_element());
  BOOST_TEST(Skipped(s) == (Lines{".eslintrc.json: a hidden file", ".git: a hidden folder",
                                  "sub/.cache: a hidden folder", "sub/.notes: a hidden file",
                                  "sub/.y.json: a hidden file"}),
             boost::test_tools::per_element());
}

// A folder that cannot be listed to the end fails the import. Before, the
// error of the iterator's last step was never looked at, and the documents
// read until then were imported as if they were all. Here the step into a
// sub-folder fails for want of file descriptors (root reads any folder, so
// permissions cannot make it fail).
BOOST_AUTO_TEST_CASE(a_folder_that_cannot_be_listed_to_the_end_fails) {
  TempDir t;
  t.Write("in/a.json", "1");
  std::string chain = "in";
  for (int i = 0; i < 16; ++i) chain += "/d";
  t.Write(chain + "/z.json", "2");
  std::size_t open_fds = 0;
  for (const auto& e : fs::directory_iterator("/proc/self/fd")) {
    (void)e;
    ++open_fds;
  }
  rlimit saved{};
  BOOST_REQUIRE(getrlimit(RLIMIT_NOFILE, &saved) == 0);
  rlimit low = saved;
  low.rlim_cur = open_fds + 6;  // enough to start, not to go 16 folders deep
  BOOST_REQUIRE(setrlimit(RLIMIT_NOFILE, &low) == 0);
  Result<ImportSource> s = ReadImportSource((t.path / "in").string());
  BOOST_REQUIRE(setrlimit(RLIMIT_NOFILE, &saved) == 0);
  BOOST_REQUIRE(!s.ok());
  BOOST_TEST((s.status().code() == Code::kIOError));
  BOOST_TEST(s.status().message().find("cannot read") == 0u, s.status().message());
}

BOOST_AUTO_TEST_CASE(a_file_with_a_bad_id_is_named) {
  TempDir t;
  t.Write("cafe\xcc\x81.json", "1");
  Result<ImportSource> s = ReadImportSource(t.path.string());
  BOOST_REQUIRE(!s.ok());
  BOOST_TEST((s.status().code() == Code::kInvalidArgument));
  BOOST_TEST(
      s.status().message().find("cafe\xcc\x81.json: invalid document id") != std::string::npos,
      s.status().message());
}

BOOST_AUTO_TEST_CASE(a_bad_file_is_named_with_line_and_column) {
  TempDir t;
  t.Write("a.json", "{\n  \"x\": tru\n}");
  Result<ImportSource> s = ReadImportSource(t.path.string());
  BOOST_REQUIRE(!s.ok());
  BOOST_TEST(s.status().message().find("a.json:2:") != std::string::npos, s.status().message());
}

// A file past 1 MiB is parsed as it is read, 64 KiB at a time, never held
// whole: it gives the value ParseJson gives for its text, and on an error
// the message ParseJson gives (it is read again whole to say where).
// ~1.3 MB of members (each followed by a comma) whose text crosses every
// 64 KiB piece boundary at a different place: multi-byte characters,
// escapes, numbers.
std::string LargeMembers() {
  std::string members;
  for (int i = 0; i < 12000; ++i) {
    members += "\"k" + std::to_string(i) + "\":[\"\u00e9\u20ac\U0001F600\\n\\u0041" +
               std::string(i % 97, 'x') + "\"," + std::to_string(i) + ".25e-3," +
               std::to_string(i * 7919) + ",true,null],\n";
  }
  return members;
}

BOOST_AUTO_TEST_CASE(a_large_file_reads_and_fails_as_a_small_one) {
  const std::string members = LargeMembers();
  const std::string lines((1 << 20) + 1, '\n');
  struct Case {
    const char* name;
    std::string text;
  };
  const std::vector<Case> cases = {
      {"an object", "{" + members + "\"last\":18446744073709551615}"},
      {"after a byte order mark", "\xEF\xBB\xBF{" + members + "\"z\":-0.0}"},
      {"after a mebibyte of lines", lines + "  [1, 2.5, \"three\"]  \n"},
      {"cut short", "{" + members},
      {"a bad literal far in", "{" + members + "\"bad\": tru}"},
      {"more after the value", "{" + members + "\"a\":1} x"},
      {"two values", lines + "{} {}"},
      {"a number out of range", "{" + members + "\"big\":1e999}"},
      {"an integer too large", "{" + members + "\"n\":123456789012345678901234567}"},
      {"a bad UTF-8 byte", "{" + members + "\"s\":\"a\xff\"}"},
      {"too deep",
       lines + std::string(kMaxJsonDepth + 1, '[') + std::string(kMaxJsonDepth + 1, ']')},
      {"only white space", lines},
  };
  for (const Case& c : cases) {
    BOOST_TEST_CONTEXT(c.name) {
      BOOST_TEST_REQUIRE(c.text.size() > (std::size_t{1} << 20));
      TempDir t;
      t.Write("d.json", c.text);
      Result<json::value> expected = ParseJson(c.text, (t.path / "d.json").string());
      Result<ImportSource> s = ReadImportSource(t.path.string());
      BOOST_TEST((s.status().code() == expected.status().code()));
      BOOST_TEST(s.status().message() == expected.status().message());
      if (expected.ok() && s.ok()) {
        BOOST_TEST_REQUIRE(s->docs.size() == 1u);
        BOOST_TEST(CanonicalJson(s->docs[0].second) == CanonicalJson(*expected));
      }
    }
  }
}

// Given a MemberVisitor, a large file's object comes a member at a time, in
// the file's order, a key given twice given twice; put together (the last of
// a key kept) it is what ParseJson gives. Any other document comes whole to
// the ImportVisitor. An error in the text is ParseJson's, and the document
// never ends (`end` is not called); an error of the visitor is returned.
BOOST_AUTO_TEST_CASE(a_large_object_comes_a_member_at_a_time) {
  const std::string members = LargeMembers();
  const std::string lines((1 << 20) + 1, '\n');
  const std::string big_value = "\"" + std::string(3000, 'v') + "\"";
  struct Case {
    const char* name;
    std::string text;
    bool by_member;  // given to the MemberVisitor, not the ImportVisitor
  };
  const std::vector<Case> cases = {
      {"an object", "{" + members + "\"last\":18446744073709551615}", true},
      {"a key given twice", "{\"dup\":1," + members + "\"dup\":{\"again\":[2]}}", true},
      {"after a byte order mark", "\xEF\xBB\xBF{" + members + "\"z\":-0.0}", true},
      {"nested objects and large values",
       "{" + members + "\"o\":{\"p\":{\"q\":" + big_value + "}},\"v\":" + big_value + "}", true},
      {"an empty object after a mebibyte of lines", lines + "{ }", true},
      {"a small object", "{\"a\":1}", false},
      {"an array", "[" + members + "0]", false},
      {"a string after a mebibyte of lines", lines + big_value, false},
      {"cut short", "{" + members, true},
      {"a bad literal far in", "{" + members + "\"bad\": tru}", true},
      {"more after the object", "{" + members + "\"a\":1} x", true},
      {"a number out of range far in", "{" + members + "\"big\":1e999}", true},
      {"a number out of range first", "{\"big\":-1e999," + members + "\"a\":1}", true},
      {"a bad UTF-8 key", "{" + members + "\"\xff\":1}", true},
  };
  for (const Case& c : cases) {
    BOOST_TEST_CONTEXT(c.name) {
      if (c.by_member) BOOST_TEST_REQUIRE(c.text.size() > (std::size_t{1} << 20));
      TempDir t;
      t.Write("d.json", c.text);
      Result<json::value> expected = ParseJson(c.text, (t.path / "d.json").string());
      std::vector<std::string> calls;  // "begin ID", "member", "end"
      json::object assembled;
      std::vector<std::pair<std::string, json::value>> whole;
      const MemberVisitor visitor{[&](const std::string& id) {
                                    calls.push_back("begin " + id);
                                    return Status::Ok();
                                  },
                                  [&](std::string key, json::value value) {
                                    calls.push_back("member");
                                    assembled[key] = std::move(value);
                                    return Status::Ok();
                                  },
                                  [&] {
                                    calls.push_back("end");
                                    return Status::Ok();
                                  }};
      Status s = ForEachImportDocument(
          t.path.string(),
          [&](std::string id, json::value doc) {
            whole.emplace_back(std::move(id), std::move(doc));
            return Status::Ok();
          },
          nullptr, &visitor);
      BOOST_TEST((s.code() == expected.status().code()));
      BOOST_TEST(s.message() == expected.status().message());
      if (!expected.ok()) {
        BOOST_TEST((calls.empty() || calls.back() != "end"));
        BOOST_TEST(whole.empty());
      } else if (c.by_member) {
        BOOST_TEST(whole.empty());
        BOOST_TEST_REQUIRE(calls.size() >= 2u);
        BOOST_TEST(calls.front() == "begin d");
        BOOST_TEST(calls.back() == "end");
        BOOST_TEST(calls.size() - 2 >= expected->as_object().size());
        BOOST_TEST(CanonicalJson(json::value(assembled)) == CanonicalJson(*expected));
      } else {
        BOOST_TEST(calls.empty());
        BOOST_TEST_REQUIRE(whole.size() == 1u);
        BOOST_TEST(whole[0].first == "d");
        BOOST_TEST(CanonicalJson(whole[0].second) == CanonicalJson(*expected));
      }
    }
  }
  // The visitor's error stops the import there: no further member, no end.
  TempDir t;
  t.Write("d.json", "{" + members + "\"a\":1}");
  int given = 0;
  bool ended = false;
  const MemberVisitor refusing{[](const std::string&) { return Status::Ok(); },
                               [&](std::string, json::value) {
                                 return ++given == 100 ? Status::InvalidArgument("enough")
                                                       : Status::Ok();
                               },
                               [&] {
                                 ended = true;
                                 return Status::Ok();
                               }};
  Status s = ForEachImportDocument(
      t.path.string(), [](std::string, json::value) { return Status::Ok(); }, nullptr, &refusing);
  BOOST_TEST(s.message() == "enough");
  BOOST_TEST(given == 100);
  BOOST_TEST(!ended);
}

BOOST_AUTO_TEST_CASE(json_lines) {
  TempDir t;
  t.Write("docs.jsonl", "{\"id\":\"b\",\"doc\":{\"n\":2}}\n\n{\"id\":\"a\",\"doc\":null}\n");
  ImportSource s = ReadImportSource((t.path / "docs.jsonl").string()).value();
  BOOST_REQUIRE(s.docs.size() == 2u);
  BOOST_TEST(s.docs[0].first == "a");
  BOOST_TEST(s.docs[1].first == "b");
}

BOOST_AUTO_TEST_CASE(json_lines_errors_name_the_line) {
  TempDir t;
  t.Write("bad.jsonl", "{\"id\":\"a\",\"doc\":1}\n{\"id\":\"b\",\"doc\":}\n");
  Result<ImportSource> s = ReadImportSource((t.path / "bad.jsonl").string());
  BOOST_REQUIRE(!s.ok());
  BOOST_TEST(s.status().message().find("bad.jsonl:2:") != std::string::npos, s.status().message());

  t.Write("dup.jsonl", "{\"id\":\"a\",\"doc\":1}\n{\"id\":\"a\",\"doc\":2}\n");
  s = ReadImportSource((t.path / "dup.jsonl").string());
  BOOST_REQUIRE(!s.ok());
  BOOST_TEST(s.status().message().find("line 1") != std::string::npos, s.status().message());

  // Far apart, past several growths of the table of id hashes; an id given
  // with an escape is the same id.
  std::string many;
  for (int i = 0; i < 20000; ++i) many += "{\"id\":\"d" + std::to_string(i) + "\",\"doc\":1}\n";
  t.Write("far.jsonl", many + "\n{\"id\":\"\\u0064\\u0030\",\"doc\":2}\n");
  s = ReadImportSource((t.path / "far.jsonl").string());
  BOOST_REQUIRE(!s.ok());
  BOOST_TEST(s.status().message().find("far.jsonl:20002: document 'd0' already given on line 1") !=
                 std::string::npos,
             s.status().message());
  t.Write("far.jsonl", many);
  s = ReadImportSource((t.path / "far.jsonl").string());
  BOOST_REQUIRE_MESSAGE(s.ok(), s.status().message());
  BOOST_TEST(s.value().docs.size() == 20000u);

  t.Write("shape.jsonl", "{\"name\":\"a\"}\n");
  s = ReadImportSource((t.path / "shape.jsonl").string());
  BOOST_TEST(!s.ok());
}

BOOST_AUTO_TEST_SUITE_END()
BOOST_AUTO_TEST_SUITE_END()

}  // namespace strata
