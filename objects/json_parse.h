// The JSON parser's core, in a file of its own (objects/CMakeLists.txt):
// Boost.JSON's basic_parser recurses once per nesting level, so this file is
// compiled optimised and without sanitizer instrumentation, as Debian's
// libboost_json is, to keep its frames small enough for values nested
// kMaxJsonDepth deep on a default stack in every gcc build (clang's frames
// are larger: its sanitizer build runs the unit tests with a 64 MiB stack,
// tests/CMakeLists.txt). Only ParseJson (strata/json.h) calls it.
#pragma once

#include <boost/json.hpp>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace strata {

// Parses `text` into a value as boost::json::stream_parser does (write_some,
// then finish), except that numbers with a fraction or exponent are read
// correctly rounded, and an integer literal outside [-2^63, 2^64) whose
// nearest double prints as another number is refused. On error `ec` is set
// and `consumed` says where it stopped; for a refused integer,
// `refused_integer` holds its literal and `consumed` is just past it.
boost::json::value ParseValue(std::string_view text, const boost::json::parse_options& options,
                              boost::json::error_code& ec, std::size_t& consumed,
                              std::string& refused_integer);

// ParseValue's parser, given the text a piece at a time: a piece may end
// anywhere (inside a string, a number or a UTF-8 sequence). On error `ec` is
// set; the text is not kept, so a caller that names where the error is
// parses the whole text again with ParseJson, off the common path.
class PieceParser {
 public:
  explicit PieceParser(const boost::json::parse_options& options);
  ~PieceParser();
  PieceParser(const PieceParser&) = delete;
  PieceParser& operator=(const PieceParser&) = delete;

  // What SplitTopObject gives each member to; false stops the parse (`ec`
  // then is boost::json::error::exception).
  using MemberFn = std::function<bool(std::string key, boost::json::value value)>;
  // If the text is an object, it is never built: each member goes to
  // `on_member` as the parser completes it, in the text's order (a key given
  // twice is given twice), and Finish returns null (split() is true). Any
  // other text parses as without it. Called before the first Write.
  void SplitTopObject(MemberFn on_member);
  bool split() const;

  // Parses the next piece; `ec` set on an error (more after the value is
  // extra_data). Nothing more may be written once it is.
  void Write(std::string_view piece, boost::json::error_code& ec);
  // The value, after the last piece; `ec` set if the text ends early.
  boost::json::value Finish(boost::json::error_code& ec);
  // The integer literal refused (as ParseValue's), once `ec` is set.
  std::string& refused_integer();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace strata
