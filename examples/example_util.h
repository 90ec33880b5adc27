// What the three examples share: a temporary folder for the repository,
// and printing a JSON value as strata does. Uses only <strata/strata.h>.
#pragma once

#include <stdlib.h>
#include <strata/strata.h>

#include <cstdio>
#include <filesystem>
#include <string>

namespace example {

// A fresh folder under $TMPDIR, removed when this goes out of scope.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "strata-example-XXXXXX").string();
    if (mkdtemp(tmpl.data()) == nullptr) {
      std::perror("mkdtemp");
      std::exit(1);
    }
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Stops the program with the status's message when `ok` is false.
inline void Check(const strata::Status& status, const char* what) {
  if (!status.ok()) {
    std::fprintf(stderr, "%s: %s\n", what, status.message().c_str());
    std::exit(1);
  }
}
template <typename T>
T Must(strata::Result<T> result, const char* what) {
  Check(result.status(), what);
  return std::move(result).value();
}

inline std::string Json(const boost::json::value& v) { return strata::CanonicalJson(v); }

// A fixed author and time, so that every run prints the same version ids.
inline strata::CommitOptions By(const std::string& who, std::int64_t time,
                                const std::string& message) {
  strata::CommitOptions o;
  o.author = strata::Signature{who, who + "@example.com"};
  o.time = time;
  o.message = message;
  return o;
}

}  // namespace example
