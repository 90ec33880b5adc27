// Tests for repo/import.h: reading folders and JSON Lines files.
#include "repo/import.h"

#include <boost/test/unit_test.hpp>
#include <filesystem>
#include <fstream>

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
};

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
  BOOST_REQUIRE(s.docs.size() == 3u);
  BOOST_TEST(s.docs[0].first == "config/app1");
  BOOST_TEST(s.docs[1].first == "config/deep/app2");
  BOOST_TEST(s.docs[2].first == "top");
  BOOST_TEST(s.skipped_files == 1u);
}

BOOST_AUTO_TEST_CASE(a_bad_file_is_named_with_line_and_column) {
  TempDir t;
  t.Write("a.json", "{\n  \"x\": tru\n}");
  Result<ImportSource> s = ReadImportSource(t.path.string());
  BOOST_REQUIRE(!s.ok());
  BOOST_TEST(s.status().message().find("a.json:2:") != std::string::npos, s.status().message());
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

  t.Write("shape.jsonl", "{\"name\":\"a\"}\n");
  s = ReadImportSource((t.path / "shape.jsonl").string());
  BOOST_TEST(!s.ok());
}

BOOST_AUTO_TEST_SUITE_END()
BOOST_AUTO_TEST_SUITE_END()

}  // namespace strata
