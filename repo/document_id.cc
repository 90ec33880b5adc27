#include "strata/document_id.h"

#include <utf8proc.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <memory>

#include "objects/guard.h"
#include "repo/schemas.h"
#include "strata/merge_policy.h"
#include "strata/perspective.h"

namespace strata {
namespace {

constexpr std::size_t kMaxIdBytes = 1024;

// .merge: merge policies per document and path (merge/policy.h).
Status ValidateMergeSettings(const json::value& value) {
  return MergePolicies::Parse(value).status();
}

// The repository's settings documents. An id starting with '.' is valid only
// when it is listed here, and its value must pass `validate` before a version
// holding it is written. .merge, .perspectives and .schemas are added by the
// work that defines them: {".merge", &ValidateMergeSettings}.
struct SettingsDocument {
  std::string_view name;
  // Ok, or InvalidArgument saying what in the value breaks the format.
  Status (*validate)(const json::value& value);
};
const std::vector<SettingsDocument>& SettingsDocuments() {
  static const std::vector<SettingsDocument> documents = {
      {".merge", &ValidateMergeSettings},
      {kPerspectivesDoc, &ValidatePerspectives},
      {".schemas", &ValidateSchemas},  // JSON Schemas per document glob (repo/schemas.h)
  };
  return documents;
}

const SettingsDocument* FindSettingsDocument(std::string_view id) {
  for (const SettingsDocument& d : SettingsDocuments()) {
    if (d.name == id) return &d;
  }
  return nullptr;
}

std::string ReservedReason() {
  std::string why = "ids starting with '.' are reserved for the repository's settings documents";
  std::vector<std::string_view> names = SettingsDocumentNames();
  if (names.empty()) return why + ", and strata defines none yet";
  why += ", which are ";
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (i > 0) why += ", ";
    why += names[i];
  }
  return why;
}

std::string CodePoint(utf8proc_int32_t c) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "U+%04X", static_cast<unsigned>(c));
  return buf;
}

// Why code point `c` cannot be in an id, or "" when it can.
std::string CharacterReason(utf8proc_int32_t c) {
  if (c == '@') return "'@' separates a document from a revision";
  if (c == '\\') return "it holds '\\', a path separator on Windows";
  if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f' || c == 0x85) {
    return "it holds whitespace (" + CodePoint(c) + ")";
  }
  if (c < 0x80 && c >= 0x20 && c != 0x7f) return "";
  switch (utf8proc_category(c)) {
    case UTF8PROC_CATEGORY_CC:
      return "it holds a control character (" + CodePoint(c) + ")";
    case UTF8PROC_CATEGORY_ZS:
    case UTF8PROC_CATEGORY_ZL:
    case UTF8PROC_CATEGORY_ZP:
      return "it holds whitespace (" + CodePoint(c) + ")";
    case UTF8PROC_CATEGORY_CF:
      return "it holds an invisible format character (" + CodePoint(c) + ")";
    default:
      return "";
  }
}

// Why the characters of `id` cannot make an id, or "" when they can:
// invalid UTF-8, a refused character, or a spelling other than NFC.
std::string CharactersReason(std::string_view id) {
  const auto* bytes = reinterpret_cast<const utf8proc_uint8_t*>(id.data());
  const auto size = static_cast<utf8proc_ssize_t>(id.size());
  bool ascii = true;
  for (utf8proc_ssize_t pos = 0; pos < size;) {
    utf8proc_int32_t c = 0;
    utf8proc_ssize_t len = utf8proc_iterate(bytes + pos, size - pos, &c);
    if (len <= 0) return "it is not valid UTF-8 (at byte " + std::to_string(pos) + ")";
    if (std::string why = CharacterReason(c); !why.empty()) return why;
    ascii = ascii && c < 0x80;
    pos += len;
  }
  if (ascii) return "";  // ASCII text is always NFC
  utf8proc_uint8_t* out = nullptr;
  utf8proc_ssize_t len = utf8proc_map(
      bytes, size, &out, static_cast<utf8proc_option_t>(UTF8PROC_STABLE | UTF8PROC_COMPOSE));
  std::unique_ptr<utf8proc_uint8_t, decltype(&std::free)> owned(out, &std::free);
  if (len < 0) return std::string("it cannot be normalized: ") + utf8proc_errmsg(len);
  std::string_view nfc(reinterpret_cast<const char*>(out), static_cast<std::size_t>(len));
  if (nfc != id) {
    return "it is not in Unicode NFC (composed characters); its NFC form is '" + std::string(nfc) +
           "'";
  }
  return "";
}

}  // namespace

bool LooksLikeDotGit(std::string_view segment) {
  std::string lower(segment);
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) {
    return static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  });
  if (lower == "git~1") return true;
  while (!lower.empty() && lower.back() == '.') lower.pop_back();
  return lower == ".git";
}

Result<std::string> FoldCase(std::string_view s) try {
  // ASCII is NFC already, and folds to its lower case.
  if (std::all_of(s.begin(), s.end(), [](char c) { return (c & 0x80) == 0; })) {
    std::string lower(s);
    for (char& c : lower) {
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    }
    return lower;
  }
  utf8proc_uint8_t* out = nullptr;
  utf8proc_ssize_t n = utf8proc_map(
      reinterpret_cast<const utf8proc_uint8_t*>(s.data()), static_cast<utf8proc_ssize_t>(s.size()),
      &out, static_cast<utf8proc_option_t>(UTF8PROC_STABLE | UTF8PROC_COMPOSE | UTF8PROC_CASEFOLD));
  std::unique_ptr<utf8proc_uint8_t, decltype(&std::free)> owned(out, &std::free);
  if (n < 0) {
    std::string message = "'";
    message.append(s);
    message += "': ";
    message += utf8proc_errmsg(n);
    return Status::InvalidArgument(std::move(message));
  }
  return std::string(reinterpret_cast<const char*>(out), static_cast<std::size_t>(n));
} catch (...) {
  return CaughtStatus("FoldCase");
}

Status ValidateDocumentId(std::string_view id) try {
  auto bad = [&](const std::string& why) {
    return Status::InvalidArgument("invalid document id '" + std::string(id) + "': " + why);
  };
  if (id.empty()) return bad("it is empty");
  if (id.size() > kMaxIdBytes) {
    // The error names the id by its start: a 10,000-byte id made a 10 KB line.
    std::size_t keep = 64;
    while (keep > 0 && (static_cast<unsigned char>(id[keep]) & 0xC0) == 0x80) --keep;
    return Status::InvalidArgument("invalid document id '" + std::string(id.substr(0, keep)) +
                                   "...' (" + std::to_string(id.size()) +
                                   " bytes): it is longer than 1024 bytes");
  }
  if (std::string why = CharactersReason(id); !why.empty()) return bad(why);
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
    if (start > 0 && seg.front() == '.') {
      return bad("only the first segment may start with '.' ('" + std::string(seg) +
                 "'): import skips hidden files and folders, so export could not give the "
                 "document back");
    }
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  if (IsSettingsDocumentId(id) && FindSettingsDocument(id) == nullptr) {
    return bad(ReservedReason());
  }
  return Status::Ok();
} catch (...) {
  return CaughtStatus("ValidateDocumentId");
}

bool IsSettingsDocumentId(std::string_view id) { return !id.empty() && id.front() == '.'; }

std::vector<std::string_view> SettingsDocumentNames() {
  std::vector<std::string_view> names;
  for (const SettingsDocument& d : SettingsDocuments()) names.push_back(d.name);
  std::sort(names.begin(), names.end());
  return names;
}

Status ValidateSettingsDocument(std::string_view id, const json::value& value) try {
  STRATA_RETURN_IF_ERROR(ValidateDocumentId(id));
  const SettingsDocument* settings = FindSettingsDocument(id);
  if (settings == nullptr) return Status::Ok();  // an ordinary document: no format
  return settings->validate(value).WithContext("settings document '" + std::string(id) + "'");
} catch (...) {
  return CaughtStatus("ValidateSettingsDocument");
}

DocRevision SplitDocRevision(std::string_view text) {
  std::size_t at = text.find('@');
  if (at == std::string_view::npos) return {std::string(text), "HEAD"};
  std::string rev(text.substr(at + 1));
  if (rev.empty()) rev = "HEAD";
  return {std::string(text.substr(0, at)), rev};
}

}  // namespace strata
