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

}  // namespace strata
