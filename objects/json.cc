#include "objects/json.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <vector>

#include "objects/json_pointer.h"

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

Result<json::value> ParseJson(std::string_view text, std::string_view source) {
  json::parse_options options;
  options.max_depth = kMaxJsonDepth;
  json::stream_parser parser(json::storage_ptr(), options);
  json::error_code ec;
  std::size_t consumed = parser.write_some(text.data(), text.size(), ec);
  if (!ec) {
    // Trailing whitespace is consumed by write_some; anything else is an error.
    if (consumed < text.size()) ec = json::error::extra_data;
    else parser.finish(ec);
  }
  if (ec) {
    if (ec == json::error::incomplete || ec == json::error::exponent_overflow) consumed = text.size();
    auto [line, column] = LineColumn(text, consumed);
    std::string what = ec.message();
    if (ec == json::error::too_deep) what = "nesting deeper than " + std::to_string(kMaxJsonDepth);
    if (text.find_first_not_of(" \t\r\n") == std::string_view::npos) what = "empty input, expected a JSON value";
    return Status::InvalidArgument(std::string(source) + ":" + std::to_string(line) + ":" +
                                   std::to_string(column) + ": invalid JSON: " + what);
  }
  json::value v = parser.release();
  if (std::optional<std::string> bad = FindNonFinite(v)) {
    return Status::InvalidArgument(std::string(source) + ": number out of range at pointer '" +
                                   *bad + "': JSON numbers must fit a double (about 1.8e308)");
  }
  return v;
}

void AppendJsonString(std::string& out, std::string_view s) {
  static const char kHex[] = "0123456789abcdef";
  out.push_back('"');
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
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

void AppendJsonNumber(std::string& out, const json::value& number) {
  char buf[64];
  std::to_chars_result r{};
  switch (number.kind()) {
    case json::kind::int64:
      r = std::to_chars(buf, buf + sizeof buf, number.get_int64());
      break;
    case json::kind::uint64:
      r = std::to_chars(buf, buf + sizeof buf, number.get_uint64());
      break;
    default: {
      double d = number.get_double();
      if (d == 0) d = 0;  // -0 is stored as 0
      // Shortest form that reads back as the same double: 1.5, 10, 1e+100.
      r = std::to_chars(buf, buf + sizeof buf, d);
    }
  }
  out.append(buf, r.ptr);
}

namespace {

// One iterative writer for both canonical and display output.
class Writer {
 public:
  Writer(const FormatOptions& options) : options_(options) {}

  std::string Write(const json::value& root) {
    Scalar(root);  // containers push a frame instead of writing scalars
    while (!stack_.empty()) {
      Frame& f = stack_.back();
      std::size_t size = f.array ? f.array->size() : f.members.size();
      if (f.next == size) {
        bool empty = size == 0;
        bool is_array = f.array != nullptr;
        stack_.pop_back();
        if (!empty) Newline();
        out_.push_back(is_array ? ']' : '}');
        continue;
      }
      if (f.next > 0) out_.push_back(',');
      Newline();
      const json::value* child;
      if (f.array) {
        child = &(*f.array)[f.next];
      } else {
        const json::key_value_pair* kv = f.members[f.next];
        Paint(kColorKey);
        AppendJsonString(out_, kv->key());
        Paint(kColorReset);
        out_.push_back(':');
        if (options_.indent > 0) out_.push_back(' ');
        child = &kv->value();
      }
      ++f.next;
      Scalar(*child);
    }
    return std::move(out_);
  }

 private:
  struct Frame {
    const json::array* array = nullptr;
    std::vector<const json::key_value_pair*> members;
    std::size_t next = 0;
  };

  void Paint(const char* code) {
    if (options_.color) out_ += code;
  }

  void Newline() {
    if (options_.indent <= 0) return;
    out_.push_back('\n');
    out_.append(stack_.size() * static_cast<std::size_t>(options_.indent), ' ');
  }

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
  std::vector<Frame> stack_;
  std::string out_;
};

bool NumbersEqual(const json::value& a, const json::value& b) {
  if (a.kind() == b.kind()) {
    switch (a.kind()) {
      case json::kind::int64: return a.get_int64() == b.get_int64();
      case json::kind::uint64: return a.get_uint64() == b.get_uint64();
      default: return a.get_double() == b.get_double();
    }
  }
  // Mixed kinds: compare exactly, without rounding the integer to a double.
  auto as_long_double = [](const json::value& v) -> long double {
    switch (v.kind()) {
      case json::kind::int64: return static_cast<long double>(v.get_int64());
      case json::kind::uint64: return static_cast<long double>(v.get_uint64());
      default: return static_cast<long double>(v.get_double());
    }
  };
  return as_long_double(a) == as_long_double(b);  // long double holds 64-bit integers exactly
}

bool IsNumber(const json::value& v) {
  return v.is_int64() || v.is_uint64() || v.is_double();
}

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

std::string FormatJson(const json::value& v, const FormatOptions& options) {
  return Writer(options).Write(v);
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

std::optional<std::string> FindNonFinite(const json::value& v) {
  struct Item {
    const json::value* value;
    std::string pointer;
  };
  std::vector<Item> pending{{&v, ""}};
  while (!pending.empty()) {
    Item item = std::move(pending.back());
    pending.pop_back();
    const json::value& x = *item.value;
    if (x.is_double() && !std::isfinite(x.get_double())) return item.pointer;
    if (x.is_object()) {
      for (const auto& kv : x.get_object()) {
        if (kv.value().is_primitive() && !kv.value().is_double()) continue;
        pending.push_back({&kv.value(), item.pointer + "/" + EscapePointerToken(kv.key())});
      }
    } else if (x.is_array()) {
      const auto& arr = x.get_array();
      for (std::size_t i = 0; i < arr.size(); ++i) {
        if (arr[i].is_primitive() && !arr[i].is_double()) continue;
        pending.push_back({&arr[i], item.pointer + "/" + std::to_string(i)});
      }
    }
  }
  return std::nullopt;
}

}  // namespace strata
