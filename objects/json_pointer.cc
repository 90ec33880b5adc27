#include "strata/json_pointer.h"

#include "objects/guard.h"

namespace strata {

Result<JsonPointer> JsonPointer::Parse(std::string_view text) try {
  if (text.empty()) return JsonPointer();
  if (text[0] != '/') {
    return Status::InvalidArgument("invalid JSON pointer '" + std::string(text) +
                                   "': must be empty or start with '/'");
  }
  std::vector<std::string> tokens;
  std::string token;
  for (std::size_t i = 1; i <= text.size(); ++i) {
    if (i == text.size() || text[i] == '/') {
      tokens.push_back(std::move(token));
      token.clear();
      continue;
    }
    char c = text[i];
    if (c == '~') {
      char next = i + 1 < text.size() ? text[i + 1] : '\0';
      if (next != '0' && next != '1') {
        return Status::InvalidArgument("invalid JSON pointer '" + std::string(text) +
                                       "': '~' must be followed by '0' or '1'");
      }
      token.push_back(next == '0' ? '~' : '/');
      ++i;
    } else {
      token.push_back(c);
    }
  }
  return JsonPointer(std::move(tokens));
} catch (...) {
  return CaughtStatus("JsonPointer::Parse");
}

std::string EscapePointerToken(std::string_view token) {
  std::string out;
  out.reserve(token.size());
  for (char c : token) {
    if (c == '~')
      out += "~0";
    else if (c == '/')
      out += "~1";
    else
      out.push_back(c);
  }
  return out;
}

std::string JsonPointer::ToString() const {
  std::string out;
  for (const auto& t : tokens_) {
    out.push_back('/');
    out += EscapePointerToken(t);
  }
  return out;
}

JsonPointer JsonPointer::Parent() const {
  if (tokens_.empty()) return {};
  return Slice(0, tokens_.size() - 1);
}

JsonPointer JsonPointer::Child(std::string token) const {
  JsonPointer p = *this;
  p.tokens_.push_back(std::move(token));
  return p;
}

JsonPointer JsonPointer::Slice(std::size_t begin, std::size_t end) const {
  return JsonPointer(std::vector<std::string>(tokens_.begin() + begin, tokens_.begin() + end));
}

bool JsonPointer::IsPrefixOf(const JsonPointer& other) const {
  if (tokens_.size() > other.tokens_.size()) return false;
  for (std::size_t i = 0; i < tokens_.size(); ++i) {
    if (tokens_[i] != other.tokens_[i]) return false;
  }
  return true;
}

std::optional<std::size_t> ParseArrayIndex(std::string_view token) {
  if (token.empty() || token.size() > 19) return std::nullopt;
  if (token.size() > 1 && token[0] == '0') return std::nullopt;
  std::size_t n = 0;
  for (char c : token) {
    if (c < '0' || c > '9') return std::nullopt;
    n = n * 10 + static_cast<std::size_t>(c - '0');
  }
  return n;
}

Result<const json::value*> ResolvePointer(const json::value& root, const JsonPointer& pointer) try {
  const json::value* cur = &root;
  const auto& tokens = pointer.tokens();
  for (std::size_t i = 0; i < tokens.size(); ++i) {
    const std::string& t = tokens[i];
    if (cur->is_object()) {
      cur = cur->get_object().if_contains(t);
      if (!cur) {
        return Status::NotFound("no member '" + t + "' in the object at '" +
                                pointer.Slice(0, i).ToString() + "'");
      }
    } else if (cur->is_array()) {
      const auto& arr = cur->get_array();
      std::optional<std::size_t> index = ParseArrayIndex(t);
      if (!index) {
        return Status::NotFound("'" + t + "' is not an index of the array at '" +
                                pointer.Slice(0, i).ToString() + "'");
      }
      if (*index >= arr.size()) {
        return Status::NotFound("index " + t + " is out of range for the array of " +
                                std::to_string(arr.size()) + " at '" +
                                pointer.Slice(0, i).ToString() + "'");
      }
      cur = &arr[*index];
    } else {
      return Status::NotFound("the value at '" + pointer.Slice(0, i).ToString() +
                              "' is not an object or array");
    }
  }
  return cur;
} catch (...) {
  return CaughtStatus("ResolvePointer");
}

Result<json::value*> ResolvePointer(json::value& root, const JsonPointer& pointer) try {
  Result<const json::value*> r = ResolvePointer(static_cast<const json::value&>(root), pointer);
  if (!r.ok()) return r.status();
  return const_cast<json::value*>(*r);
} catch (...) {
  return CaughtStatus("ResolvePointer");
}

}  // namespace strata
