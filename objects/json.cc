#include "strata/json.h"

#include <algorithm>
#include <boost/json/basic_parser_impl.hpp>
#include <boost/json/value_stack.hpp>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <vector>

#include "objects/guard.h"
#include "objects/json_parse.h"
#include "strata/json_pointer.h"

namespace strata {
namespace {

// Line and column (both 1-based) of byte `offset` in `text`; columns count
// bytes, as compilers do.
std::pair<std::size_t, std::size_t> LineColumn(std::string_view text, std::size_t offset) {
  std::size_t line = 1, column = 1;
  for (std::size_t i = 0; i < offset && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++line;
      column = 1;
    } else {
      ++column;
    }
  }
  return {line, column};
}

// The offset of the first number literal in valid JSON `text` that
// overflows a double (the parser has accepted it, so this lexer can be
// simple: skip strings, read number tokens).
std::size_t OutOfRangeNumberOffset(std::string_view text) {
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '"') {
      for (++i; i < text.size() && text[i] != '"'; ++i) {
        if (text[i] == '\\') ++i;
      }
    } else if (c == '-' || (c >= '0' && c <= '9')) {
      std::size_t start = i;
      while (i < text.size() && std::strchr("+-0123456789.eE", text[i]) != nullptr) ++i;
      std::string token(text.substr(start, i - start));
      if (std::isinf(std::strtod(token.c_str(), nullptr))) return start;
      --i;
    }
  }
  return 0;
}

std::vector<const json::key_value_pair*> SortedMembers(const json::object& o) {
  std::vector<const json::key_value_pair*> members;
  members.reserve(o.size());
  for (const auto& kv : o) members.push_back(&kv);
  std::sort(members.begin(), members.end(),
            [](const auto* a, const auto* b) { return a->key() < b->key(); });
  return members;
}

const char* const kColorKey = "\x1b[34m";
const char* const kColorString = "\x1b[32m";
const char* const kColorNumber = "\x1b[36m";
const char* const kColorLiteral = "\x1b[35m";
const char* const kColorReset = "\x1b[0m";

}  // namespace

Result<json::value> ParseJson(std::string_view text, std::string_view source,
                              std::size_t first_line) {
  return ParseJson(text, ParseOptions{source, first_line, kMaxJsonDepth});
}

Result<json::value> ParseJson(std::string_view text, const ParseOptions& options) {
  const std::string_view source = options.source;
  const std::size_t first_line = options.first_line;
  // RFC 8259 section 8.1 lets a parser ignore a byte order mark, which some
  // editors write. Columns count from after it, as compilers do.
  if (first_line == 1 && text.substr(0, kUtf8Bom.size()) == kUtf8Bom) {
    text.remove_prefix(kUtf8Bom.size());
  }
  json::parse_options boost_options;
  boost_options.max_depth = options.max_depth;
  json::error_code ec;
  std::size_t consumed = 0;
  std::string refused_integer;
  json::value v = ParseValue(text, boost_options, ec, consumed, refused_integer);
  if (ec && !refused_integer.empty()) {
    // `consumed` is just past the literal.
    auto [line, column] = LineColumn(text, consumed - std::min(consumed, refused_integer.size()));
    line += first_line - 1;
    const bool long_literal = refused_integer.size() > 40;
    const std::string shown = long_literal
                                  ? refused_integer.substr(0, 30) + "... (" +
                                        std::to_string(refused_integer.size()) + " characters)"
                                  : refused_integer;
    const std::string as_string = long_literal ? "in quotes" : "\"" + refused_integer + "\"";
    const std::string as_double = long_literal ? "add \".0\"" : refused_integer + ".0";
    return Status::InvalidArgument(
        std::string(source) + ":" + std::to_string(line) + ":" + std::to_string(column) +
        ": integer " + shown +
        " does not fit 64 bits (integers from -9223372036854775808 to 18446744073709551615 are "
        "kept exact) and would change as a double; store it as a string (" +
        as_string + "), or write it with a fraction or an exponent (" + as_double +
        ") to store the nearest double");
  }
  if (ec) {
    if (ec == json::error::incomplete || ec == json::error::exponent_overflow)
      consumed = text.size();
    auto [line, column] = LineColumn(text, consumed);
    line += first_line - 1;
    std::string what = ec.message();
    if (ec == json::error::too_deep) {
      what = "nesting deeper than " + std::to_string(options.max_depth);
    }
    if (text.find_first_not_of(" \t\r\n") == std::string_view::npos)
      what = "empty input, expected a JSON value";
    return Status::InvalidArgument(std::string(source) + ":" + std::to_string(line) + ":" +
                                   std::to_string(column) + ": invalid JSON: " + what);
  }
  if (std::optional<std::string> bad = FindNonFinite(v)) {
    auto [line, column] = LineColumn(text, OutOfRangeNumberOffset(text));
    line += first_line - 1;
    std::string where = bad->empty() ? "" : " at pointer '" + *bad + "'";
    return Status::InvalidArgument(std::string(source) + ":" + std::to_string(line) + ":" +
                                   std::to_string(column) + ": number out of range" + where +
                                   ": JSON numbers must fit a double (about 1.8e308)");
  }
  return v;
}

void AppendJsonString(std::string& out, std::string_view s) {
  static const char kHex[] = "0123456789abcdef";
  out.push_back('"');
  for (unsigned char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20) {
          out += "\\u00";
          out.push_back(kHex[c >> 4]);
          out.push_back(kHex[c & 15]);
        } else {
          out.push_back(static_cast<char>(c));
        }
    }
  }
  out.push_back('"');
}

std::size_t JsonStringSize(std::string_view s) {
  std::size_t n = 2 + s.size();
  for (unsigned char c : s) {
    if (c == '"' || c == '\\' || c == '\b' || c == '\f' || c == '\n' || c == '\r' || c == '\t') {
      n += 1;
    } else if (c < 0x20) {
      n += 5;
    }
  }
  return n;
}

void AppendJsonNumber(std::string& out, const json::value& number) {
  char buf[64];
  if (number.is_int64()) {
    out.append(buf, std::to_chars(buf, buf + sizeof buf, number.get_int64()).ptr);
    return;
  }
  if (number.is_uint64()) {
    out.append(buf, std::to_chars(buf, buf + sizeof buf, number.get_uint64()).ptr);
    return;
  }
  double d = number.get_double();
  if (d == 0) {  // -0 is stored as 0
    out.push_back('0');
    return;
  }
  // An integral double that an int64 or uint64 can hold prints as that
  // integer, so values that Equal calls equal (1e19 and 10000000000000000000)
  // have the same bytes.
  if (std::trunc(d) == d && d >= -0x1p63 && d < 0x1p64) {
    std::to_chars_result r =
        d < 0 ? std::to_chars(buf, buf + sizeof buf, static_cast<std::int64_t>(d))
              : std::to_chars(buf, buf + sizeof buf, static_cast<std::uint64_t>(d));
    out.append(buf, r.ptr);
    return;
  }
  // Otherwise ECMAScript's Number::toString (as RFC 8785 does): the shortest
  // digits that read back as the same double, fixed notation for exponents
  // in [-7, 21), else d.ddde+N. So 0.0001, 1.5, 1e+21, 1e-7; never 1e-04.
  char* end = std::to_chars(buf, buf + sizeof buf, d, std::chars_format::scientific).ptr;
  std::string_view sci(buf, static_cast<std::size_t>(end - buf));  // "-d.ddde+XX"
  if (sci.front() == '-') {
    out.push_back('-');
    sci.remove_prefix(1);
  }
  std::size_t e_pos = sci.find('e');
  std::string digits(sci.substr(0, e_pos));
  if (digits.size() > 1) digits.erase(1, 1);  // drop the '.'
  int exponent = 0;
  std::string_view exp_text = sci.substr(e_pos + 1);
  if (exp_text.front() == '+') exp_text.remove_prefix(1);
  std::from_chars(exp_text.data(), exp_text.data() + exp_text.size(), exponent);
  int k = static_cast<int>(digits.size());
  int n = exponent + 1;  // the decimal point sits after n digits
  if (k <= n && n <= 21) {
    out += digits;
    out.append(static_cast<std::size_t>(n - k), '0');
  } else if (0 < n && n <= 21) {
    out.append(digits, 0, static_cast<std::size_t>(n));
    out.push_back('.');
    out.append(digits, static_cast<std::size_t>(n));
  } else if (-6 < n && n <= 0) {
    out += "0.";
    out.append(static_cast<std::size_t>(-n), '0');
    out += digits;
  } else {
    out.push_back(digits[0]);
    if (k > 1) {
      out.push_back('.');
      out.append(digits, 1);
    }
    out += n - 1 < 0 ? "e-" : "e+";
    out += std::to_string(std::abs(n - 1));
  }
}

namespace {

void Paint(std::string& out, const FormatOptions& options, const char* code) {
  if (options.color) out += code;
}

void Newline(std::string& out, const FormatOptions& options, std::size_t level) {
  if (options.indent <= 0) return;
  out.push_back('\n');
  out.append(level * static_cast<std::size_t>(options.indent), ' ');
}

}  // namespace

void AppendFormattedSeparator(std::string& out, const FormatOptions& options, std::size_t level,
                              bool first) {
  if (!first) out.push_back(',');
  Newline(out, options, level);
}

void AppendFormattedKey(std::string& out, std::string_view key, const FormatOptions& options,
                        std::size_t level, bool first) {
  AppendFormattedSeparator(out, options, level, first);
  Paint(out, options, kColorKey);
  AppendJsonString(out, key);
  Paint(out, options, kColorReset);
  out.push_back(':');
  if (options.indent > 0) out.push_back(' ');
}

void AppendFormattedClose(std::string& out, bool array, const FormatOptions& options,
                          std::size_t level, bool empty) {
  if (!empty) Newline(out, options, level);
  out.push_back(array ? ']' : '}');
}

namespace {

// One iterative writer for both canonical and display output, of a value
// found `level` containers deep (its lines are indented that much more).
class Writer {
 public:
  explicit Writer(const FormatOptions& options, std::size_t level = 0)
      : options_(options), level_(level) {}

  // Stops, returning what was written so far, once that is longer than
  // `limit`: over() then says so.
  std::string Write(const json::value& root,
                    std::size_t limit = std::numeric_limits<std::size_t>::max()) {
    Scalar(root);  // containers push a frame instead of writing scalars
    while (!stack_.empty()) {
      if (out_.size() > limit) {
        over_ = true;
        break;
      }
      Frame& f = stack_.back();
      const std::size_t size = f.array ? f.array->size() : f.members.size();
      const std::size_t level = level_ + stack_.size();  // of f's members
      if (f.next == size) {
        const bool is_array = f.array != nullptr;
        stack_.pop_back();
        AppendFormattedClose(out_, is_array, options_, level - 1, size == 0);
        continue;
      }
      const json::value* child;
      if (f.array) {
        AppendFormattedSeparator(out_, options_, level, f.next == 0);
        child = &(*f.array)[f.next];
      } else {
        const json::key_value_pair* kv = f.members[f.next];
        AppendFormattedKey(out_, kv->key(), options_, level, f.next == 0);
        child = &kv->value();
      }
      ++f.next;
      Scalar(*child);
    }
    if (out_.size() > limit) over_ = true;
    return std::move(out_);
  }
  bool over() const { return over_; }

 private:
  struct Frame {
    const json::array* array = nullptr;
    std::vector<const json::key_value_pair*> members;
    std::size_t next = 0;
  };

  void Paint(const char* code) { strata::Paint(out_, options_, code); }

  void Scalar(const json::value& v) {
    switch (v.kind()) {
      case json::kind::object:
        out_.push_back('{');
        stack_.push_back(Frame{nullptr, SortedMembers(v.get_object()), 0});
        return;
      case json::kind::array:
        out_.push_back('[');
        stack_.push_back(Frame{&v.get_array(), {}, 0});
        return;
      case json::kind::string:
        Paint(kColorString);
        AppendJsonString(out_, v.get_string());
        break;
      case json::kind::int64:
      case json::kind::uint64:
      case json::kind::double_:
        Paint(kColorNumber);
        AppendJsonNumber(out_, v);
        break;
      case json::kind::bool_:
        Paint(kColorLiteral);
        out_ += v.get_bool() ? "true" : "false";
        break;
      case json::kind::null:
        Paint(kColorLiteral);
        out_ += "null";
        break;
    }
    Paint(kColorReset);
  }

  FormatOptions options_;
  std::size_t level_;
  std::vector<Frame> stack_;
  std::string out_;
  bool over_ = false;
};

bool NumbersEqual(const json::value& a, const json::value& b) {
  if (a.kind() == b.kind()) {
    switch (a.kind()) {
      case json::kind::int64:
        return a.get_int64() == b.get_int64();
      case json::kind::uint64:
        return a.get_uint64() == b.get_uint64();
      default:
        return a.get_double() == b.get_double();
    }
  }
  // Mixed kinds: compare exactly, without rounding the integer to a double.
  auto as_long_double = [](const json::value& v) -> long double {
    switch (v.kind()) {
      case json::kind::int64:
        return static_cast<long double>(v.get_int64());
      case json::kind::uint64:
        return static_cast<long double>(v.get_uint64());
      default:
        return static_cast<long double>(v.get_double());
    }
  };
  return as_long_double(a) == as_long_double(b);  // long double holds 64-bit integers exactly
}

bool IsNumber(const json::value& v) { return v.is_int64() || v.is_uint64() || v.is_double(); }

}  // namespace

std::size_t CanonicalSize(const json::value& v, std::size_t limit) {
  std::size_t size = 0;
  std::string scratch;
  std::vector<const json::value*> pending{&v};
  while (!pending.empty() && size <= limit) {
    const json::value& x = *pending.back();
    pending.pop_back();
    switch (x.kind()) {
      case json::kind::object: {
        const auto& o = x.get_object();
        size += 2 + (o.empty() ? 0 : o.size() - 1);  // braces and commas
        for (const auto& kv : o) {
          scratch.clear();
          AppendJsonString(scratch, kv.key());
          size += scratch.size() + 1;  // key and colon
          pending.push_back(&kv.value());
        }
        break;
      }
      case json::kind::array: {
        const auto& a = x.get_array();
        size += 2 + (a.empty() ? 0 : a.size() - 1);
        for (const auto& e : a) pending.push_back(&e);
        break;
      }
      case json::kind::string:
        scratch.clear();
        AppendJsonString(scratch, x.get_string());
        size += scratch.size();
        break;
      case json::kind::bool_:
        size += x.get_bool() ? 4 : 5;
        break;
      case json::kind::null:
        size += 4;
        break;
      default:
        scratch.clear();
        AppendJsonNumber(scratch, x);
        size += scratch.size();
    }
  }
  return size;
}

std::string CanonicalJson(const json::value& v) { return Writer(FormatOptions{0, false}).Write(v); }

std::optional<std::string> CanonicalJsonUpTo(const json::value& v, std::size_t limit) {
  Writer writer(FormatOptions{0, false});
  std::string text = writer.Write(v, limit);
  if (writer.over()) return std::nullopt;
  return text;
}

std::string FormatJson(const json::value& v, const FormatOptions& options) {
  return Writer(options).Write(v);
}

void AppendFormattedJson(std::string& out, const json::value& v, const FormatOptions& options,
                         std::size_t level) {
  out += Writer(options, level).Write(v);
}

bool Equal(const json::value& a, const json::value& b) {
  std::vector<std::pair<const json::value*, const json::value*>> pending{{&a, &b}};
  while (!pending.empty()) {
    auto [x, y] = pending.back();
    pending.pop_back();
    if (IsNumber(*x) && IsNumber(*y)) {
      if (!NumbersEqual(*x, *y)) return false;
      continue;
    }
    if (x->kind() != y->kind()) return false;
    switch (x->kind()) {
      case json::kind::object: {
        const auto& ox = x->get_object();
        const auto& oy = y->get_object();
        if (ox.size() != oy.size()) return false;
        for (const auto& kv : ox) {
          const json::value* other = oy.if_contains(kv.key());
          if (!other) return false;
          pending.emplace_back(&kv.value(), other);
        }
        break;
      }
      case json::kind::array: {
        const auto& ax = x->get_array();
        const auto& ay = y->get_array();
        if (ax.size() != ay.size()) return false;
        for (std::size_t i = 0; i < ax.size(); ++i) pending.emplace_back(&ax[i], &ay[i]);
        break;
      }
      case json::kind::string:
        if (x->get_string() != y->get_string()) return false;
        break;
      case json::kind::bool_:
        if (x->get_bool() != y->get_bool()) return false;
        break;
      default:
        break;  // null
    }
  }
  return true;
}

bool IsValidUtf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    std::size_t n;
    std::uint32_t cp;
    if (c < 0x80) {
      ++i;
      continue;
    } else if (c >= 0xC2 && c <= 0xDF) {
      n = 1, cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
      n = 2, cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      n = 3, cp = c & 0x07;
    } else {
      return false;  // a continuation byte, or a lead byte never valid
    }
    if (s.size() - i <= n) return false;
    for (std::size_t k = 1; k <= n; ++k) {
      unsigned char d = static_cast<unsigned char>(s[i + k]);
      if ((d & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (d & 0x3F);
    }
    // Overlong forms, UTF-16 surrogates, beyond U+10FFFF.
    if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) || cp > 0x10FFFF ||
        (cp >= 0xD800 && cp <= 0xDFFF)) {
      return false;
    }
    i += n + 1;
  }
  return true;
}

namespace {

enum class Problem { kNonFinite, kBadString, kBadKey };

struct Found {
  Problem problem;
  std::string pointer;  // for kBadKey, the object's
};

// The first value (or member name) in `v` that cannot be stored, if any.
// Depth-first, with the path kept as the stack of containers being walked,
// so the pointer is spelled out only for what is found (a string per value
// costs O(depth^2) on deep values).
std::optional<Found> FindProblem(const json::value& v, bool check_utf8) {
  auto problem = [&](const json::value& x) -> std::optional<Problem> {
    if (x.is_double() && !std::isfinite(x.get_double())) return Problem::kNonFinite;
    if (check_utf8 && x.is_string() && !IsValidUtf8(x.get_string())) return Problem::kBadString;
    return std::nullopt;
  };
  if (std::optional<Problem> p = problem(v)) return Found{*p, ""};
  if (!v.is_structured()) return std::nullopt;
  struct Frame {
    const json::value* container;
    std::size_t next = 0;  // the child to visit next
  };
  std::vector<Frame> stack{{&v}};
  // The pointer to the child last visited in each of the first `frames`.
  auto pointer = [&stack](std::size_t frames) {
    std::string out;
    for (std::size_t i = 0; i < frames; ++i) {
      const Frame& f = stack[i];
      out.push_back('/');
      if (f.container->is_object()) {
        out += EscapePointerToken((f.container->get_object().begin() + (f.next - 1))->key());
      } else {
        out += std::to_string(f.next - 1);
      }
    }
    return out;
  };
  while (!stack.empty()) {
    Frame& f = stack.back();
    const json::value* child = nullptr;
    if (f.container->is_object()) {
      const json::object& o = f.container->get_object();
      if (f.next < o.size()) {
        const json::key_value_pair& kv = *(o.begin() + f.next);
        if (check_utf8 && !IsValidUtf8(kv.key())) {
          return Found{Problem::kBadKey, pointer(stack.size() - 1)};
        }
        child = &kv.value();
      }
    } else {
      const json::array& a = f.container->get_array();
      if (f.next < a.size()) child = &a[f.next];
    }
    if (child == nullptr) {
      stack.pop_back();
      continue;
    }
    ++f.next;
    if (std::optional<Problem> p = problem(*child)) return Found{*p, pointer(stack.size())};
    if (child->is_structured()) stack.push_back({child});
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::string> FindNonFinite(const json::value& v) {
  std::optional<Found> found = FindProblem(v, /*check_utf8=*/false);
  if (!found) return std::nullopt;
  return std::move(found->pointer);
}

std::size_t NestingDepth(const json::value& v) {
  if (!v.is_structured()) return 0;
  // (container, depth at which it sits) pairs still to visit.
  std::vector<std::pair<const json::value*, std::size_t>> stack{{&v, 1}};
  std::size_t deepest = 0;
  while (!stack.empty()) {
    auto [x, depth] = stack.back();
    stack.pop_back();
    deepest = std::max(deepest, depth);
    if (x->is_object()) {
      for (const auto& kv : x->get_object()) {
        if (kv.value().is_structured()) stack.emplace_back(&kv.value(), depth + 1);
      }
    } else {
      for (const auto& e : x->get_array()) {
        if (e.is_structured()) stack.emplace_back(&e, depth + 1);
      }
    }
  }
  return deepest;
}

Status CheckStorable(const json::value& v) try {
  std::optional<Found> found = FindProblem(v, /*check_utf8=*/true);
  if (!found) return Status::Ok();
  switch (found->problem) {
    case Problem::kNonFinite:
      return Status::InvalidArgument("non-finite number at '" + found->pointer + "'");
    case Problem::kBadString:
      return Status::InvalidArgument("string that is not valid UTF-8 at '" + found->pointer + "'");
    case Problem::kBadKey:
      break;
  }
  return Status::InvalidArgument("member name that is not valid UTF-8 in the object at '" +
                                 found->pointer + "'");
} catch (...) {
  return CaughtStatus("CheckStorable");
}

}  // namespace strata
