#include "strata/import.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <optional>
#include <sstream>
#include <unordered_map>
#include <vector>

#include "objects/guard.h"
#include "objects/json_parse.h"
#include "repo/id_hashes.h"
#include "strata/document_id.h"

namespace strata {
namespace fs = std::filesystem;

Result<std::string> ReadFile(const std::string& path) try {
  if (path == "-") {
    std::ostringstream ss;
    ss << std::cin.rdbuf();
    return ss.str();
  }
  std::error_code ec;
  if (!fs::exists(path, ec)) return Status::NotFound("no such file: " + path);
  if (fs::is_directory(path, ec)) return Status::InvalidArgument(path + " is a folder, not a file");
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::IOError("cannot read " + path);
  std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) return Status::IOError("cannot read " + path);
  return data;
} catch (...) {
  return CaughtStatus("ReadFile");
}

namespace {

// Closes a file descriptor when it goes out of scope.
class FileDescriptor {
 public:
  explicit FileDescriptor(int fd) : fd_(fd) {}
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  ~FileDescriptor() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }

 private:
  int fd_;
};

// A file at most this long is read whole and parsed; a longer one is parsed
// as it is read, a piece at a time, and its text is never held.
constexpr std::size_t kWholeFileBytes = std::size_t{1} << 20;
constexpr std::size_t kFilePieceBytes = std::size_t{64} << 10;

// Reads the rest of the file open as `fd` onto `out`.
Status ReadRest(int fd, const fs::path& path, std::string& out) {
  char buf[16384];
  while (true) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Status::IOError("cannot read " + path.string() + ": " + std::strerror(errno));
    if (n == 0) return Status::Ok();
    out.append(buf, static_cast<std::size_t>(n));
  }
}

// ParseJson of the file open as `fd`, a piece at a time (PieceParser):
// memory holds one piece and the value. With `members`, an object is given to
// it a member at a time instead (and nullopt returned): memory holds one
// member. On any error in the text the file is read again whole and
// ParseJson names it, with its line and column, as it does for a text read
// whole; an error of `members` is returned as it is.
Result<std::optional<json::value>> ParseInPieces(int fd, const fs::path& path,
                                                 const std::string& id,
                                                 const MemberVisitor* members) {
  json::parse_options options;
  options.max_depth = kMaxJsonDepth;
  PieceParser parser(options);
  Status refused = Status::Ok();  // what `members` returned, if it failed
  bool begun = false;             // members->begin was called
  bool out_of_range = false;      // a member ParseJson refuses (FindNonFinite)
  if (members) {
    parser.SplitTopObject([&](std::string key, json::value value) {
      if (FindNonFinite(value)) {
        out_of_range = true;
        return false;
      }
      if (!begun) {
        begun = true;
        refused = members->begin(id);
        if (!refused.ok()) return false;
      }
      refused = members->member(std::move(key), std::move(value));
      return refused.ok();
    });
  }
  json::error_code ec;
  std::string piece(kFilePieceBytes, '\0');
  bool first = true;
  while (!ec) {
    ssize_t n = ::read(fd, piece.data(), piece.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Status::IOError("cannot read " + path.string() + ": " + std::strerror(errno));
    if (n == 0) break;
    std::string_view text(piece.data(), static_cast<std::size_t>(n));
    if (first && text.substr(0, kUtf8Bom.size()) == kUtf8Bom) text.remove_prefix(kUtf8Bom.size());
    first = false;
    parser.Write(text, ec);
  }
  if (!refused.ok()) return refused;
  json::value v;
  if (!ec) v = parser.Finish(ec);
  if (!ec && !out_of_range && parser.split()) {
    if (!begun) STRATA_RETURN_IF_ERROR(members->begin(id));  // {}
    STRATA_RETURN_IF_ERROR(members->end());
    return std::optional<json::value>();
  }
  if (!ec && !out_of_range && !FindNonFinite(v)) return std::optional<json::value>(std::move(v));
  v = nullptr;
  std::string whole;
  if (::lseek(fd, 0, SEEK_SET) != 0) {
    return Status::IOError("cannot read " + path.string() + ": " + std::strerror(errno));
  }
  STRATA_RETURN_IF_ERROR(ReadRest(fd, path, whole));
  STRATA_ASSIGN_OR_RETURN(json::value doc, ParseJson(whole, path.string()));
  // Parsed this time: the file changed since it was first read.
  if (begun) return Status::IOError(path.string() + " changed while it was read");
  return std::optional<json::value>(std::move(doc));
}

// Reads and parses a file listed in a folder as a regular file. It never
// follows a symbolic link in its place nor blocks on a FIFO, even one that
// replaced the file after it was listed: O_NOFOLLOW, O_NONBLOCK, then fstat.
// If the file is no longer a regular file, sets *skip_reason. A file past
// kWholeFileBytes is parsed as it is read (ParseInPieces), and an object
// in it given to `members` (if any) a member at a time: nullopt then.
Result<std::optional<json::value>> ParseListedFile(const fs::path& path, const std::string& id,
                                                   const MemberVisitor* members,
                                                   std::string* skip_reason) {
  FileDescriptor fd(::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
  if (fd.get() < 0) {
    if (errno == ELOOP) {
      *skip_reason = "a symbolic link";
      return std::optional<json::value>();
    }
    return Status::IOError("cannot read " + path.string() + ": " + std::strerror(errno));
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) {
    return Status::IOError("cannot read " + path.string() + ": " + std::strerror(errno));
  }
  if (!S_ISREG(st.st_mode)) {
    *skip_reason = "not a regular file";
    return std::optional<json::value>();
  }
  if (static_cast<std::uint64_t>(st.st_size) > kWholeFileBytes) {
    return ParseInPieces(fd.get(), path, id, members);
  }
  std::string text;
  text.reserve(static_cast<std::size_t>(st.st_size));
  STRATA_RETURN_IF_ERROR(ReadRest(fd.get(), path, text));
  STRATA_ASSIGN_OR_RETURN(json::value doc, ParseJson(text, path.string()));
  return std::optional<json::value>(std::move(doc));
}

bool IsHidden(const fs::path& name) {
  std::string s = name.filename().string();
  return !s.empty() && s.front() == '.';
}

// A hidden file read all the same: a settings document at the top (".merge.json").
bool IsSettingsFile(const fs::path& listed) {
  if (listed.has_parent_path() || listed.extension() != ".json") return false;
  std::string id = fs::path(listed).replace_extension().string();
  std::vector<std::string_view> names = SettingsDocumentNames();
  return std::find(names.begin(), names.end(), id) != names.end();
}

// Every std::filesystem call here takes an error_code: nothing throws. One
// file is read and parsed at a time; its text is gone before `visit`.
Status ForEachFolderDocument(const fs::path& root, const ImportVisitor& visit,
                             std::vector<SkippedEntry>* skipped_out, const MemberVisitor* members) {
  std::vector<SkippedEntry> skipped;
  auto cannot_read = [&](const fs::path& p, const std::error_code& ec) {
    return Status::IOError("cannot read folder " + p.string() + ": " + ec.message());
  };
  std::error_code ec;
  // No follow_directory_symlink: a link to a folder is listed, never entered.
  fs::recursive_directory_iterator it(root, fs::directory_options::none, ec), end;
  if (ec) return cannot_read(root, ec);
  // A failed increment sets `ec` and makes `it` the end: checked after the loop.
  for (; it != end; it.increment(ec)) {
    const fs::path& path = it->path();
    // The path as listed under the folder: symbolic links play no part in ids.
    fs::path listed = path.lexically_relative(root);
    auto skip = [&](const char* reason) { skipped.push_back({listed.generic_string(), reason}); };
    fs::file_status status = it->symlink_status(ec);
    if (ec) return cannot_read(path, ec);
    if (fs::is_symlink(status)) {
      skip("a symbolic link");
      continue;
    }
    if (fs::is_directory(status)) {
      if (IsHidden(listed)) {
        skip("a hidden folder");
        it.disable_recursion_pending();
      }
      continue;
    }
    if (!fs::is_regular_file(status)) {
      skip("not a regular file");
      continue;
    }
    if (IsHidden(listed) && !IsSettingsFile(listed)) {
      skip("a hidden file");
      continue;
    }
    if (listed.extension() != ".json") {
      skip("not named *.json");
      continue;
    }
    std::string id = fs::path(listed).replace_extension().generic_string();
    STRATA_RETURN_IF_ERROR(ValidateDocumentId(id).WithContext(path.string()));
    std::string skip_reason;
    STRATA_ASSIGN_OR_RETURN(std::optional<json::value> doc,
                            ParseListedFile(path, id, members, &skip_reason));
    if (!skip_reason.empty()) {
      skip(skip_reason.c_str());
      continue;
    }
    if (doc) STRATA_RETURN_IF_ERROR(visit(std::move(id), std::move(*doc)));  // else: members
  }
  if (ec) return cannot_read(root, ec);
  std::sort(skipped.begin(), skipped.end(),
            [](const SkippedEntry& a, const SkippedEntry& b) { return a.path < b.path; });
  if (skipped_out) {
    skipped_out->insert(skipped_out->end(), std::make_move_iterator(skipped.begin()),
                        std::make_move_iterator(skipped.end()));
  }
  return Status::Ok();
}

// A line buffer larger than this is released after its line.
constexpr std::size_t kKeptLineBytes = std::size_t{1} << 20;

// The id of a JSON Lines line, or none for a blank line. InvalidArgument
// names the line if it is not {"id": "...", "doc": ...}; `doc` (if given)
// receives the document.
Result<std::optional<std::string>> LineId(std::string& line, const std::string& path,
                                          std::size_t line_no, json::value* doc) {
  if (line.find_first_not_of(" \t\r") == std::string::npos) return std::optional<std::string>();
  // The line wraps its document one level deeper than the document itself.
  STRATA_ASSIGN_OR_RETURN(json::value v,
                          ParseJson(line, ParseOptions{path, line_no, kMaxJsonDepth + 1}));
  line.clear();
  // One long line must not stay allocated; a short one's buffer serves
  // the next line (growing it again is five allocations a line).
  if (line.capacity() > kKeptLineBytes) line.shrink_to_fit();
  json::object* o = v.if_object();
  json::value* id = o ? o->if_contains("id") : nullptr;
  json::value* value = o ? o->if_contains("doc") : nullptr;
  if (!id || !id->is_string() || !value) {
    return Status::InvalidArgument(path + ":" + std::to_string(line_no) +
                                   ": expected {\"id\": \"...\", \"doc\": ...}");
  }
  if (doc) *doc = std::move(*value);
  return std::optional<std::string>(std::string(id->get_string()));
}

// The first line before `before` of the file at `path` that gives `id`, or
// none (the hashes of two ids met, or the file changed since it was read).
// Reads the file again from its start: only a duplicate, which fails the
// import, or a hash collision (among a million ids, one import in 4 x 10^7)
// pays for it.
Result<std::optional<std::size_t>> FindEarlierLine(const std::string& path, const std::string& id,
                                                   std::size_t before) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::IOError("cannot read " + path);
  std::string line;
  for (std::size_t line_no = 1; line_no < before && std::getline(in, line); ++line_no) {
    STRATA_ASSIGN_OR_RETURN(std::optional<std::string> given, LineId(line, path, line_no, nullptr));
    if (given && *given == id) return std::optional<std::size_t>(line_no);
  }
  if (in.bad()) return Status::IOError("cannot read " + path);
  return std::optional<std::size_t>();
}

// One line at a time: memory holds the line and its document, never the file.
// A file that can be read again (`rereadable`, a regular file) keeps only
// the hashes of its ids (IdHashes: a hash seen before is a duplicate only if
// an earlier line gives the same id, which FindEarlierLine looks for);
// standard input keeps the ids and their lines.
Status ForEachJsonLine(const std::string& path, std::istream& in, bool rereadable,
                       const ImportVisitor& visit) {
  std::size_t line_no = 0;
  IdHashes hashes;
  std::unordered_map<std::string, std::size_t> lines;
  std::string line;
  while (std::getline(in, line)) {
    ++line_no;
    json::value doc;
    STRATA_ASSIGN_OR_RETURN(std::optional<std::string> key, LineId(line, path, line_no, &doc));
    if (!key) continue;
    auto where = [&] { return path + ":" + std::to_string(line_no); };
    if (Status valid = ValidateDocumentId(*key); !valid.ok()) return valid.WithContext(where());
    std::optional<std::size_t> first;
    if (!rereadable) {
      if (auto [it, fresh] = lines.emplace(*key, line_no); !fresh) first = it->second;
    } else if (!hashes.Insert(*key)) {
      STRATA_ASSIGN_OR_RETURN(first, FindEarlierLine(path, *key, line_no));
    }
    if (first) {
      return Status::InvalidArgument(where() + ": document '" + *key + "' already given on line " +
                                     std::to_string(*first));
    }
    STRATA_RETURN_IF_ERROR(visit(std::move(*key), std::move(doc)));
  }
  if (in.bad()) return Status::IOError("cannot read " + path);
  return Status::Ok();
}

Status ForEachJsonLinesDocument(const std::string& path, const ImportVisitor& visit) {
  if (path == "-") return ForEachJsonLine(path, std::cin, false, visit);
  std::error_code ec;
  if (!fs::exists(path, ec)) return Status::NotFound("no such file: " + path);
  if (fs::is_directory(path, ec)) return Status::InvalidArgument(path + " is a folder, not a file");
  const bool rereadable = fs::is_regular_file(path, ec);
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::IOError("cannot read " + path);
  return ForEachJsonLine(path, in, rereadable, visit);
}

}  // namespace

Status ForEachImportDocument(const std::string& path, const ImportVisitor& visit,
                             std::vector<SkippedEntry>* skipped, const MemberVisitor* members) try {
  std::error_code ec;
  if (path != "-" && fs::is_directory(path, ec)) {
    return ForEachFolderDocument(path, visit, skipped, members);
  }
  return ForEachJsonLinesDocument(path, visit);
} catch (...) {
  return CaughtStatus("ForEachImportDocument");
}

Result<ImportSource> ReadImportSource(const std::string& path) try {
  ImportSource out;
  STRATA_RETURN_IF_ERROR(ForEachImportDocument(
      path,
      [&](std::string id, json::value doc) {
        out.docs.emplace_back(std::move(id), std::move(doc));
        return Status::Ok();
      },
      &out.skipped));
  std::sort(out.docs.begin(), out.docs.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  return out;
} catch (...) {
  return CaughtStatus("ReadImportSource");
}

}  // namespace strata
