// JSON Pointer (RFC 6901).
//
// A pointer is "" (the whole value) or a sequence of "/token"; in a token, "~1"
// stands for "/" and "~0" for "~". Any other "~" is an error.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "strata/json.h"
#include "strata/status.h"

namespace strata {

class JsonPointer {
 public:
  JsonPointer() = default;  // the whole value
  explicit JsonPointer(std::vector<std::string> tokens) : tokens_(std::move(tokens)) {}

  // Parses RFC 6901 text. InvalidArgument names the offending pointer.
  static Result<JsonPointer> Parse(std::string_view text);

  const std::vector<std::string>& tokens() const { return tokens_; }
  bool IsRoot() const { return tokens_.empty(); }
  std::string ToString() const;

  JsonPointer Parent() const;  // the root's parent is the root
  const std::string& Back() const { return tokens_.back(); }
  JsonPointer Child(std::string token) const;
  // Pointer made of tokens [begin, end).
  JsonPointer Slice(std::size_t begin, std::size_t end) const;

  // True if this pointer equals `other` or is an ancestor of it.
  bool IsPrefixOf(const JsonPointer& other) const;

  friend bool operator==(const JsonPointer&, const JsonPointer&) = default;

 private:
  std::vector<std::string> tokens_;
};

// "a/b~c" -> "a~1b~0c".
std::string EscapePointerToken(std::string_view token);

// An array index token per RFC 6901: "0" or a digit string without leading
// zeros. "-" and anything else give nullopt.
std::optional<std::size_t> ParseArrayIndex(std::string_view token);

// Finds the value at `pointer` in `root`. NotFound names the missing part.
Result<json::value*> ResolvePointer(json::value& root, const JsonPointer& pointer);
Result<const json::value*> ResolvePointer(const json::value& root, const JsonPointer& pointer);

}  // namespace strata
