#include "objects/json_parse.h"

#include <boost/json/basic_parser_impl.hpp>
#include <boost/json/value_stack.hpp>
#include <charconv>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

namespace strata {
namespace json = boost::json;
namespace {

// What Boost.JSON's own parser does with each event (boost::json::parser
// builds its value the same way, on a value_stack), except for numbers with a
// fraction or an exponent: Boost 1.81 converts those imprecisely (one unit in
// the last place off, for some literals), so a double printed exactly (in
// shortest round-trip form) could read back as another double, and a stored
// value would change on its way back. Their text is converted again with
// std::from_chars, which rounds correctly.
class ValueHandler {
 public:
  static constexpr std::size_t max_object_size = json::object::max_size();
  static constexpr std::size_t max_array_size = json::array::max_size();
  static constexpr std::size_t max_key_size = json::string::max_size();
  static constexpr std::size_t max_string_size = json::string::max_size();

  json::value_stack stack;
  // Set, a top-level object is never built: each of its members goes to
  // `on_member` as it completes, its value alone on the stack (`splitting`).
  const PieceParser::MemberFn* on_member = nullptr;
  bool splitting = false;
  std::string member_key;  // the top-level member's key, while splitting
  std::size_t depth = 0;   // containers open

  bool on_document_begin(json::error_code&) { return true; }
  bool on_document_end(json::error_code&) { return true; }
  bool on_object_begin(json::error_code&) {
    if (depth++ == 0 && on_member) splitting = true;
    return true;
  }
  bool on_object_end(std::size_t n, json::error_code& ec) {
    if (--depth == 0 && splitting) return true;
    stack.push_object(n);
    return Completed(ec);
  }
  bool on_array_begin(json::error_code&) {
    ++depth;
    return true;
  }
  bool on_array_end(std::size_t n, json::error_code& ec) {
    --depth;
    stack.push_array(n);
    return Completed(ec);
  }
  bool on_key_part(json::string_view s, std::size_t, json::error_code&) {
    if (InTopObject()) {
      member_key.append(s.data(), s.size());
    } else {
      stack.push_chars(s);
    }
    return true;
  }
  bool on_key(json::string_view s, std::size_t, json::error_code&) {
    if (InTopObject()) {
      member_key.append(s.data(), s.size());
    } else {
      stack.push_key(s);
    }
    return true;
  }
  bool on_string_part(json::string_view s, std::size_t, json::error_code&) {
    stack.push_chars(s);
    return true;
  }
  bool on_string(json::string_view s, std::size_t, json::error_code& ec) {
    stack.push_string(s);
    return Completed(ec);
  }
  bool on_number_part(json::string_view s, json::error_code&) {
    number_.append(s.data(), s.size());
    return true;
  }
  bool on_int64(std::int64_t i, json::string_view, json::error_code& ec) {
    number_.clear();
    stack.push_int64(i);
    return Completed(ec);
  }
  bool on_uint64(std::uint64_t u, json::string_view, json::error_code& ec) {
    number_.clear();
    stack.push_uint64(u);
    return Completed(ec);
  }
  bool on_double(double d, json::string_view s, json::error_code& ec) {
    number_.append(s.data(), s.size());
    // Boost reads an integer literal outside [-2^63, 2^64) as a double. Only
    // when that double prints back as the same number (100000000000000000000
    // is 1e20; 18446744073709552000 is how strata prints 2^64) is nothing
    // lost; any other such literal is refused, for ParseJson to name.
    if (number_.find_first_of(".eE") == std::string::npos && !PrintsBackAsItself(number_)) {
      refused_integer = std::move(number_);
      number_.clear();
      ec = json::error::not_number;
      return false;
    }
    double exact = 0;
    auto [end, err] = std::from_chars(number_.data(), number_.data() + number_.size(), exact);
    // Out of range (beyond a double, or below its smallest subnormal): keep
    // Boost's value, which ParseJson then refuses or which is zero.
    if (err == std::errc() && end == number_.data() + number_.size()) d = exact;
    number_.clear();
    stack.push_double(d);
    return Completed(ec);
  }
  bool on_bool(bool b, json::error_code& ec) {
    stack.push_bool(b);
    return Completed(ec);
  }
  bool on_null(json::error_code& ec) {
    stack.push_null();
    return Completed(ec);
  }
  bool on_comment_part(json::string_view, json::error_code&) { return true; }
  bool on_comment(json::string_view, json::error_code&) { return true; }

  // The integer literal on_double refused, if any.
  std::string refused_integer;

 private:
  // Whether the parser is directly inside the top-level object it splits.
  bool InTopObject() const { return splitting && depth == 1; }

  // A value was pushed: if it is a member of the top-level object being
  // split, it goes to on_member, and the stack starts again empty.
  bool Completed(json::error_code& ec) {
    if (!InTopObject()) return true;
    json::value v = stack.release();
    stack.reset(json::storage_ptr());
    if (!(*on_member)(std::move(member_key), std::move(v))) {
      ec = json::error::exception;
      return false;
    }
    member_key.clear();
    return true;
  }

  // Whether the integer literal `text` (digits, maybe a leading '-') names
  // the same number as the shortest digits of its nearest double: the same
  // significant digits at the same decimal exponent.
  static bool PrintsBackAsItself(const std::string& text) {
    double d = 0;
    auto [end, err] = std::from_chars(text.data(), text.data() + text.size(), d);
    if (err != std::errc() || end != text.data() + text.size()) return false;
    char buf[64];
    const char* printed_end =
        std::to_chars(buf, buf + sizeof buf, d, std::chars_format::scientific).ptr;
    std::string_view sci(buf, static_cast<std::size_t>(printed_end - buf));  // "-d.ddde+XX"
    std::string_view lit(text);
    if (!sci.empty() && sci.front() == '-') sci.remove_prefix(1);
    if (!lit.empty() && lit.front() == '-') lit.remove_prefix(1);
    const std::size_t e_pos = sci.find('e');
    std::string digits(sci.substr(0, e_pos));
    if (digits.size() > 1) digits.erase(1, 1);  // drop the '.'
    int exponent = 0;
    std::string_view exp_text = sci.substr(e_pos + 1);
    if (!exp_text.empty() && exp_text.front() == '+') exp_text.remove_prefix(1);
    std::from_chars(exp_text.data(), exp_text.data() + exp_text.size(), exponent);
    if (static_cast<std::size_t>(exponent) + 1 != lit.size()) return false;
    while (lit.size() > 1 && lit.back() == '0') lit.remove_suffix(1);
    while (digits.size() > 1 && digits.back() == '0') digits.pop_back();
    return lit == digits;
  }

  std::string number_;  // the literal of the number being read, so far
};

}  // namespace

struct PieceParser::Impl {
  explicit Impl(const json::parse_options& options) : parser(options) {
    parser.handler().stack.reset(json::storage_ptr());
  }
  json::basic_parser<ValueHandler> parser;
  MemberFn on_member;
};

PieceParser::PieceParser(const json::parse_options& options)
    : impl_(std::make_unique<Impl>(options)) {}

PieceParser::~PieceParser() = default;

void PieceParser::Write(std::string_view piece, json::error_code& ec) {
  // more = true, as stream_parser's write_some: the end of a piece may be the
  // middle of a token; Finish (more = false) completes the last one.
  const std::size_t consumed = impl_->parser.write_some(true, piece.data(), piece.size(), ec);
  // Trailing whitespace is consumed by write_some; anything else is an error.
  if (!ec && consumed < piece.size()) ec = json::error::extra_data;
}

void PieceParser::SplitTopObject(MemberFn on_member) {
  impl_->on_member = std::move(on_member);
  impl_->parser.handler().on_member = &impl_->on_member;
}

bool PieceParser::split() const { return impl_->parser.handler().splitting; }

json::value PieceParser::Finish(json::error_code& ec) {
  impl_->parser.write_some(false, nullptr, 0, ec);
  if (ec || split()) return json::value();
  return impl_->parser.handler().stack.release();
}

std::string& PieceParser::refused_integer() { return impl_->parser.handler().refused_integer; }

json::value ParseValue(std::string_view text, const json::parse_options& options,
                       json::error_code& ec, std::size_t& consumed, std::string& refused_integer) {
  json::basic_parser<ValueHandler> parser(options);
  parser.handler().stack.reset(json::storage_ptr());
  consumed = parser.write_some(true, text.data(), text.size(), ec);
  if (!ec) {
    if (consumed < text.size())
      ec = json::error::extra_data;
    else
      parser.write_some(false, nullptr, 0, ec);
  }
  if (ec) {
    refused_integer = std::move(parser.handler().refused_integer);
    return json::value();
  }
  return parser.handler().stack.release();
}

}  // namespace strata
