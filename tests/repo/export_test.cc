// Tests for strata/export.h: writing a state to a folder and reading it back.
#include "strata/export.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <boost/test/unit_test.hpp>
#include <fstream>
#include <sstream>

#include "strata/import.h"
#include "tests/repo/repo_fixture.h"

namespace strata {
namespace {

std::string Slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

Result<ExportResult> Export(RepoFixture& f, const std::string& dir,
                            const std::string& rev = "HEAD") {
  STRATA_ASSIGN_OR_RETURN(Snapshot s, f.repo().Read(rev));
  return ExportSnapshot(s, dir);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(repo)
BOOST_AUTO_TEST_SUITE(export_)

BOOST_AUTO_TEST_CASE(export_path_adds_json) {
  BOOST_TEST(ExportPath("config/app1") == "config/app1.json");
  BOOST_TEST(ExportPath(".merge") == ".merge.json");
}

// Which sets of ids can share a folder, and the exact reason when not.
BOOST_AUTO_TEST_CASE(check_export_ids_table) {
  struct Case {
    std::vector<std::string> ids;
    std::string error;  // "" : ok
  } cases[] = {
      {{"a/x", "a/y", "b"}, ""},
      {{"a", "a/b"}, ""},  // a.json and a/: no clash
      {{"A/x", "a/x"},
       "cannot export documents 'A/x' and 'a/x': their paths 'A' and 'a' differ only in letter "
       "case, and would be one on a case-insensitive file system; nothing was written"},
      {{"x/Stra\xc3\x9f"
        "e",
        "x/strasse"},
       "cannot export documents 'x/Stra\xc3\x9f"
       "e' and 'x/strasse': their paths "
       "'x/Stra\xc3\x9f"
       "e.json' and 'x/strasse.json' differ only in letter case, and would be "
       "one on a case-insensitive file system; nothing was written"},
      {{"a", "a.json/b"},
       "cannot export documents 'a' and 'a.json/b': 'a.json' would be the file of 'a' and a "
       "folder of 'a.json/b'; nothing was written"},
      {{"../x"}, "cannot export: invalid document id '../x': '.' and '..' cannot be segments"},
      {{std::string(251, 'n')},
       "cannot export document '" + std::string(251, 'n') +
           "': its path has a name of 256 bytes ('" + std::string(40, 'n') +
           "...'), and a file or folder name may hold at most 255; "
           "nothing was written"},
      {{std::string(250, 'n')}, ""},
  };
  for (const Case& c : cases) {
    Status s = CheckExportIds(c.ids);
    BOOST_TEST(s.message() == c.error, c.ids.front() << ": " << s.message());
  }
}

BOOST_AUTO_TEST_CASE(round_trip_gives_the_same_state_and_bytes) {
  RepoFixture f;
  auto J = RepoFixture::J;
  BOOST_REQUIRE(f.repo()
                    .Put("config/app1", J(R"({"z":1,"a":{"y":[1,2.5,1e+100],"b":null}})"),
                         RepoFixture::By("a"))
                    .ok());
  BOOST_REQUIRE(f.repo().Put("caf\xc3\xa9%/x", J(R"("\u00e9\n")"), RepoFixture::By("a")).ok());
  BOOST_REQUIRE(f.repo().Put("top", J("[]"), RepoFixture::By("a")).ok());
  const std::string dir = f.dir() + "/out";
  ExportResult r = Export(f, dir).value();
  BOOST_TEST(r.documents == 3u);
  BOOST_TEST(r.written == 3u);
  BOOST_TEST(r.unchanged == 0u);
  BOOST_TEST(Slurp(dir + "/config/app1.json") ==
             "{\n  \"a\": {\n    \"b\": null,\n    \"y\": [\n      1,\n      2.5,\n      1e+100\n"
             "    ]\n  },\n  \"z\": 1\n}\n");
  BOOST_TEST(Slurp(dir + "/top.json") == "[]\n");
  // Import of the export changes nothing.
  ImportSource src = ReadImportSource(dir).value();
  BOOST_TEST(src.docs.size() == 3u);
  BOOST_TEST(src.skipped.empty());
  Result<WriteResult> w = f.repo().Import(std::move(src.docs), RepoFixture::By("b"));
  BOOST_TEST((w.status().code() == Code::kUnchanged));
  // Again: every file already holds its bytes.
  ExportResult again = Export(f, dir).value();
  BOOST_TEST(again.written == 0u);
  BOOST_TEST(again.unchanged == 3u);
  BOOST_TEST(again.bytes == r.bytes);
}

// A document whose text is past 1 MiB goes to its file as it is made:
// straight into a new file; compared with the file there and left alone if
// equal; else replaced whole, whatever part of the old file differed.
BOOST_AUTO_TEST_CASE(a_document_past_a_mebibyte_streams_to_its_file) {
  RepoFixture f;
  json::object big;
  for (int i = 0; i < 40000; ++i) big["key" + std::to_string(i)] = "value " + std::to_string(i);
  BOOST_REQUIRE(f.repo().Put("d/big", json::value(big), RepoFixture::By("a")).ok());
  BOOST_REQUIRE(f.repo().Put("small", 1, RepoFixture::By("a")).ok());
  const std::string dir = f.dir() + "/out";
  const std::string file = dir + "/d/big.json";
  const std::string expected = FormatJson(json::value(big), FormatOptions{2, false}) + "\n";
  BOOST_REQUIRE(expected.size() > (std::size_t{1} << 20));
  auto inode = [&] {
    struct stat st {};
    BOOST_REQUIRE(::stat(file.c_str(), &st) == 0);
    return st.st_ino;
  };
  auto only_documents = [&] {
    std::vector<std::string> names;
    for (const auto& e : fs::recursive_directory_iterator(dir))
      names.push_back(fs::relative(e.path(), dir).string());
    std::sort(names.begin(), names.end());
    BOOST_TEST((names == std::vector<std::string>{"d", "d/big.json", "small.json"}));
  };
  ExportResult r = Export(f, dir).value();
  BOOST_TEST(r.written == 2u);
  BOOST_TEST(r.bytes == expected.size() + 2);
  BOOST_TEST(Slurp(file) == expected);
  only_documents();
  // Again: compared as it comes, and left as it is.
  const auto first_inode = inode();
  ExportResult again = Export(f, dir).value();
  BOOST_TEST(again.written == 0u);
  BOOST_TEST(again.unchanged == 2u);
  BOOST_TEST(again.bytes == r.bytes);
  BOOST_TEST(inode() == first_inode);
  only_documents();
  // The file on disk edited: early, late, cut short, grown, emptied.
  const std::vector<std::string> edits = {
      "#" + expected.substr(1),
      expected.substr(0, expected.size() - 3) + "#}\n",
      expected.substr(0, expected.size() / 2),
      expected.substr(0, (std::size_t{1} << 20) + 1),
      expected + " ",
      "",
  };
  for (std::size_t i = 0; i < edits.size(); ++i) {
    BOOST_TEST_CONTEXT("edit " << i) {
      { std::ofstream(file, std::ios::binary | std::ios::trunc) << edits[i]; }
      ExportResult fixed = Export(f, dir).value();
      BOOST_TEST(fixed.written == 1u);
      BOOST_TEST(fixed.unchanged == 1u);
      BOOST_TEST(Slurp(file) == expected);
      only_documents();
    }
  }
  // A new version of the document.
  big["key7"] = "changed";
  BOOST_REQUIRE(f.repo().Put("d/big", json::value(big), RepoFixture::By("a")).ok());
  BOOST_TEST(Export(f, dir).value().written == 1u);
  BOOST_TEST(Slurp(file) == FormatJson(json::value(big), FormatOptions{2, false}) + "\n");
  only_documents();
}

BOOST_AUTO_TEST_CASE(an_older_revision_and_the_empty_state) {
  RepoFixture f;
  ExportResult empty = Export(f, f.dir() + "/e").value();
  BOOST_TEST(empty.version == "");
  BOOST_TEST(empty.documents == 0u);
  BOOST_TEST(fs::is_directory(f.dir() + "/e"));
  BOOST_REQUIRE(f.repo().Put("a", 1, RepoFixture::By("a")).ok());
  BOOST_REQUIRE(f.repo().Put("a", 2, RepoFixture::By("a")).ok());
  ExportResult old = Export(f, f.dir() + "/o", "HEAD~1").value();
  BOOST_TEST(Slurp(f.dir() + "/o/a.json") == "1\n");
  BOOST_TEST(old.version == f.repo().ResolveRevision("HEAD~1").value());
}

BOOST_AUTO_TEST_CASE(links_in_the_way_are_refused_and_not_written_through) {
  RepoFixture f;
  BOOST_REQUIRE(f.repo().Put("d/x", 1, RepoFixture::By("a")).ok());
  const std::string victim = f.dir() + "/victim";
  fs::create_directories(victim);
  { std::ofstream(victim + "/x.json") << "keep"; }
  // A link at the document's file.
  fs::create_directories(f.dir() + "/o1/d");
  fs::create_symlink(victim + "/x.json", f.dir() + "/o1/d/x.json");
  Result<ExportResult> r1 = Export(f, f.dir() + "/o1");
  BOOST_TEST(r1.status().message() ==
             "cannot export document 'd/x': " + f.dir() +
                 "/o1/d/x.json is a symbolic link, where the document's file must go (export never "
                 "writes through a symbolic link or over a folder); nothing was written");
  // A link at its folder.
  fs::create_directories(f.dir() + "/o2");
  fs::create_symlink(victim, f.dir() + "/o2/d");
  Result<ExportResult> r2 = Export(f, f.dir() + "/o2");
  BOOST_TEST((r2.status().code() == Code::kInvalidArgument));
  BOOST_TEST(Slurp(victim + "/x.json") == "keep");
  BOOST_TEST(fs::is_symlink(f.dir() + "/o1/d/x.json"));
}

BOOST_AUTO_TEST_CASE(import_prune_removes_what_the_folder_lacks_in_one_version) {
  RepoFixture f;
  auto J = RepoFixture::J;
  BOOST_REQUIRE(f.repo().Put("a", 1, RepoFixture::By("a")).ok());
  BOOST_REQUIRE(f.repo().Put("b", 2, RepoFixture::By("a")).ok());
  BOOST_REQUIRE(f.repo().Put("c", 3, RepoFixture::By("a")).ok());
  std::vector<std::pair<std::string, json::value>> docs{{"a", J("1")}, {"d", J("4")}};
  ImportOptions prune;
  prune.prune = true;
  WriteResult w = f.repo().Import(docs, RepoFixture::By("b"), prune).value();
  BOOST_TEST(w.version.message == "import 2 documents (1 changed), remove 2");
  BOOST_TEST(w.operations == 3u);
  BOOST_TEST(LogSize(f.repo()) == 4u);
  std::vector<std::string> ids = f.repo().Read().value().Ids().value();
  BOOST_TEST(ids == (std::vector<std::string>{"a", "d"}), boost::test_tools::per_element());
  // Without prune, nothing is removed; the same import again is no change.
  BOOST_TEST((f.repo().Import(docs, RepoFixture::By("b")).status().code() == Code::kUnchanged));
  BOOST_TEST(
      (f.repo().Import(docs, RepoFixture::By("b"), prune).status().code() == Code::kUnchanged));
}

BOOST_AUTO_TEST_SUITE_END()
BOOST_AUTO_TEST_SUITE_END()

}  // namespace strata
