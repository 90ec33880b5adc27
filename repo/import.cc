#include "repo/import.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <map>
#include <sstream>

#include "repo/document_id.h"

namespace strata {
namespace fs = std::filesystem;

Result<std::string> ReadFile(const std::string& path) {
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
}

namespace {

Result<ImportSource> ReadFolder(const fs::path& root) {
  ImportSource out;
  std::error_code ec;
  fs::recursive_directory_iterator it(root, fs::directory_options::none, ec), end;
  if (ec) return Status::IOError("cannot read folder " + root.string() + ": " + ec.message());
  for (; it != end; it.increment(ec)) {
    if (ec) return Status::IOError("cannot read folder " + root.string() + ": " + ec.message());
    const fs::path& p = it->path();
    if (it->is_directory()) {
      if (p.filename().string().rfind(".", 0) == 0 && p.filename() != ".")
        it.disable_recursion_pending();
      continue;
    }
    if (!it->is_regular_file() || p.extension() != ".json") {
      ++out.skipped_files;
      continue;
    }
    std::string id = fs::relative(p, root).replace_extension().generic_string();
    STRATA_RETURN_IF_ERROR(ValidateDocumentId(id).WithContext(p.string()));
    STRATA_ASSIGN_OR_RETURN(std::string text, ReadFile(p.string()));
    STRATA_ASSIGN_OR_RETURN(json::value doc, ParseJson(text, p.string()));
    out.docs.emplace_back(std::move(id), std::move(doc));
  }
  std::sort(out.docs.begin(), out.docs.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  return out;
}

Result<ImportSource> ReadJsonLines(const std::string& path) {
  STRATA_ASSIGN_OR_RETURN(std::string text, ReadFile(path));
  ImportSource out;
  std::size_t line_no = 0, pos = 0;
  std::map<std::string, std::size_t> seen;
  while (pos < text.size()) {
    std::size_t nl = text.find('\n', pos);
    std::string_view line(text.data() + pos, (nl == std::string::npos ? text.size() : nl) - pos);
    pos = nl == std::string::npos ? text.size() : nl + 1;
    ++line_no;
    if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;
    std::string where = path + ":" + std::to_string(line_no);
    STRATA_ASSIGN_OR_RETURN(json::value v, ParseJson(line, path, line_no));
    const json::object* o = v.if_object();
    const json::value* id = o ? o->if_contains("id") : nullptr;
    const json::value* doc = o ? o->if_contains("doc") : nullptr;
    if (!id || !id->is_string() || !doc) {
      return Status::InvalidArgument(where + ": expected {\"id\": \"...\", \"doc\": ...}");
    }
    std::string key(id->get_string());
    STRATA_RETURN_IF_ERROR(ValidateDocumentId(key).WithContext(where));
    if (auto [it, fresh] = seen.emplace(key, line_no); !fresh) {
      return Status::InvalidArgument(where + ": document '" + key + "' already given on line " +
                                     std::to_string(it->second));
    }
    out.docs.emplace_back(std::move(key), *doc);
  }
  std::sort(out.docs.begin(), out.docs.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  return out;
}

}  // namespace

Result<ImportSource> ReadImportSource(const std::string& path) {
  std::error_code ec;
  if (path != "-" && fs::is_directory(path, ec)) return ReadFolder(path);
  return ReadJsonLines(path);
}

}  // namespace strata
