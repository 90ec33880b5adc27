#include "repo/document_id.h"

#include <algorithm>

namespace strata {
namespace {

bool LooksLikeDotGit(std::string_view segment) {
  std::string lower(segment);
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) {
    return static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  });
  if (lower == "git~1") return true;
  while (!lower.empty() && lower.back() == '.') lower.pop_back();
  return lower == ".git";
}

}  // namespace

Status ValidateDocumentId(std::string_view id) {
  auto bad = [&](const std::string& why) {
    return Status::InvalidArgument("invalid document id '" + std::string(id) + "': " + why);
  };
  if (id.empty()) return bad("it is empty");
  if (id.size() > 1024) return bad("it is longer than 1024 bytes");
  std::size_t start = 0;
  while (true) {
    std::size_t slash = id.find('/', start);
    std::string_view seg =
        id.substr(start, slash == std::string_view::npos ? std::string_view::npos : slash - start);
    if (seg.empty()) return bad("it has an empty segment (a leading, trailing or double '/')");
    if (seg == "." || seg == "..") return bad("'.' and '..' cannot be segments");
    if (LooksLikeDotGit(seg)) {
      return bad("'" + std::string(seg) +
                 "' cannot be a segment: file systems may take it for .git, git's own folder");
    }
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  for (unsigned char c : id) {
    if (c < 0x20 || c == 0x7f) return bad("it holds a control character");
    if (c == ' ' || c == '\t') return bad("it holds whitespace");
    if (c == '@') return bad("'@' separates a document from a revision");
    if (c == '\\') return bad("it holds '\\', a path separator on Windows");
  }
  return Status::Ok();
}

DocRevision SplitDocRevision(std::string_view text) {
  std::size_t at = text.find('@');
  if (at == std::string_view::npos) return {std::string(text), "HEAD"};
  std::string rev(text.substr(at + 1));
  if (rev.empty()) rev = "HEAD";
  return {std::string(text.substr(0, at)), rev};
}

}  // namespace strata
