// RepoFixture: a fresh repository in a temporary folder, removed afterwards,
// with reads that each go through one Snapshot.
#pragma once

#include <stdlib.h>

#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>

#include "repo/repository_impl.h"  // the private headers too (git.h, transaction.h): tests reach them
#include "strata/repository.h"
#include "tests/objects/temp_repo.h"  // UnpackPacks

namespace strata {

namespace fs = std::filesystem;

// A temporary folder with a fresh repository in it; removed afterwards.
class RepoFixture {
 public:
  RepoFixture() {
    std::string dir = (fs::temp_directory_path() / "strata-repo-test-XXXXXX").string();
    if (!mkdtemp(dir.data())) throw std::runtime_error("mkdtemp failed");
    dir_ = dir;
    Result<std::unique_ptr<Repository>> r = Repository::Init(dir_);
    if (!r.ok()) throw std::runtime_error(r.status().message());
    repo_ = std::move(r).value();
  }
  ~RepoFixture() {
    repo_.reset();
    std::error_code ignored;
    fs::remove_all(dir_, ignored);
  }

  Repository& repo() { return *repo_; }
  const std::string& dir() const { return dir_; }

  static CommitOptions By(const std::string& who, std::int64_t time = 1700000000) {
    CommitOptions o;
    o.author = Signature{who, who + "@example.com"};
    o.time = time;
    return o;
  }

  static json::value J(std::string_view text) { return ParseJson(text).value(); }

  // Reads, each through one Snapshot.
  Result<json::value> Get(const std::string& doc, const std::string& rev = "HEAD",
                          const JsonPointer& pointer = JsonPointer()) {
    STRATA_ASSIGN_OR_RETURN(Snapshot s, repo_->Read(rev));
    return s.Get(doc, pointer);
  }
  Result<std::vector<DocumentInfo>> List(const std::string& rev = "HEAD") {
    STRATA_ASSIGN_OR_RETURN(Snapshot s, repo_->Read(rev));
    return s.List();
  }
  Result<DocumentInfo> Info(const std::string& doc) {
    STRATA_ASSIGN_OR_RETURN(Snapshot s, repo_->Read("HEAD"));
    return s.Info(doc);
  }
  Result<json::value> State(const std::string& rev) {
    STRATA_ASSIGN_OR_RETURN(Snapshot s, repo_->Read(rev));
    return s.State();
  }
  Result<VersionInfo> Show(const std::string& rev) {
    STRATA_ASSIGN_OR_RETURN(Snapshot s, repo_->Read(rev));
    if (!s.version()) return Status::NotFound("no version");
    return *s.version();
  }
  Result<std::vector<Change>> Diff(const std::string& from, const std::string& to) {
    STRATA_ASSIGN_OR_RETURN(Snapshot a, repo_->Read(from));
    STRATA_ASSIGN_OR_RETURN(Snapshot b, repo_->Read(to));
    return a.DiffTo(b);
  }

 private:
  std::string dir_;
  std::unique_ptr<Repository> repo_;
};

inline JsonPointer P(std::string_view text) { return JsonPointer::Parse(text).value(); }

inline std::size_t LogSize(Repository& repo) { return repo.Log("HEAD", {}).value().size(); }

}  // namespace strata
