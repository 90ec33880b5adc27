#include "objects/json_parse.h"

#include <boost/json/basic_parser_impl.hpp>
#include <boost/json/value_stack.hpp>
#include <charconv>
#include <cstdint>
#include <string>
#include <string_view>

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

  bool on_document_begin(json::error_code&) { return true; }
  bool on_document_end(json::error_code&) { return true; }
  bool on_object_begin(json::error_code&) { return true; }
  bool on_object_end(std::size_t n, json::error_code&) {
    stack.push_object(n);
    return true;
  }
  bool on_array_begin(json::error_code&) { return true; }
  bool on_array_end(std::size_t n, json::error_code&) {
    stack.push_array(n);
    return true;
  }
  bool on_key_part(json::string_view s, std::size_t, json::error_code&) {
    stack.push_chars(s);
    return true;
  }
  bool on_key(json::string_view s, std::size_t, json::error_code&) {
    stack.push_key(s);
    return true;
  }
  bool on_string_part(json::string_view s, std::size_t, json::error_code&) {
    stack.push_chars(s);
    return true;
  }
  bool on_string(json::string_view s, std::size_t, json::error_code&) {
    stack.push_string(s);
    return true;
  }
  bool on_number_part(json::string_view s, json::error_code&) {
    number_.append(s.data(), s.size());
    return true;
  }
  bool on_int64(std::int64_t i, json::string_view, json::error_code&) {
    number_.clear();
    stack.push_int64(i);
    return true;
  }
  bool on_uint64(std::uint64_t u, json::string_view, json::error_code&) {
    number_.clear();
    stack.push_uint64(u);
    return true;
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
    return true;
  }
  bool on_bool(bool b, json::error_code&) {
    stack.push_bool(b);
    return true;
  }
  bool on_null(json::error_code&) {
    stack.push_null();
    return true;
  }
  bool on_comment_part(json::string_view, json::error_code&) { return true; }
  bool on_comment(json::string_view, json::error_code&) { return true; }

  // The integer literal on_double refused, if any.
  std::string refused_integer;

 private:
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

json::value ParseValue(std::string_view text, const json::parse_options& options,
                       json::error_code& ec, std::size_t& consumed, std::string& refused_integer) {
  json::basic_parser<ValueHandler> parser(options);
  parser.handler().stack.reset(json::storage_ptr());
  // more = true, as stream_parser's write_some: the end of `text` may be the
  // middle of a number; finish (more = false) then completes it.
  consumed = parser.write_some(true, text.data(), text.size(), ec);
  if (!ec) {
    // Trailing whitespace is consumed by write_some; anything else is an error.
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
