// JSON values: parsing with precise errors, the canonical encoding, display
// formatting, and value equality.
//
// Values are boost::json::value. Every function here is iterative, so a value
// nested as deep as the parser allows (kMaxDepth) never exhausts the stack in
// strata's code. (Boost.JSON's own copy and destructor recurse; the CLI runs on
// a thread with a large stack for that reason, see cli/main.cc.)
//
// Decisions (docs/format.md, "JSON values"):
// - Duplicate object keys: the last one wins, as in ECMAScript's JSON.parse.
// - A byte order mark at the start of a file is skipped (RFC 8259 section
//   8.1 allows it); anywhere else outside a string it is an error.
// - -0 is stored as 0 (as RFC 8785 does).
// - Integers in [-2^63, 2^64) are exact. An integer literal beyond them is
//   refused unless its nearest double prints back as the same number
//   (100000000000000000000); a fraction or exponent asks for the double.
// - A number beyond the double range (1e400) is refused: it has no JSON
//   spelling once parsed, and "Infinity" is never written.
// - Numbers print as people write them, as ECMAScript does (RFC 8785): the
//   shortest digits that read back as the same double, so 1.5, 10, 100000,
//   0.0001, 1e+21, 1e-7, 1e+100; never 1.5E0 or 1e+05. An integral double
//   that fits 64 bits prints as that exact integer, so 1e19 and
//   10000000000000000000 (equal values) give equal bytes.
#pragma once

#include <boost/json.hpp>
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "strata/status.h"

namespace strata {

namespace json = boost::json;

// Deepest nesting the parser accepts in a value: a document, or any value
// given to a command. Every stored form of such a value must read back.
inline constexpr std::size_t kMaxJsonDepth = 100000;

struct ParseOptions {
  // Named in errors: a file name, "<stdin>", "argument", "delta".
  std::string_view source = "input";
  // The line number of the text's first line (JSON Lines).
  std::size_t first_line = 1;
  // Deepest nesting accepted. A stored form that wraps values parses with
  // kMaxJsonDepth plus the levels it adds (the delta codec adds 2), so that
  // every value the parser accepted reads back from it.
  std::size_t max_depth = kMaxJsonDepth;
};

// The UTF-8 byte order mark, U+FEFF.
inline constexpr std::string_view kUtf8Bom = "\xEF\xBB\xBF";

// Parses one JSON text. Errors name the source with line and column:
// "config.json:3:14: syntax error", "input:1:100001: invalid JSON: nesting
// deeper than 100000". One byte order mark at the start of a text that starts
// a file (first_line 1) is skipped, and columns count from after it; a byte
// order mark anywhere else outside a string is a syntax error.
Result<json::value> ParseJson(std::string_view text, const ParseOptions& options);
Result<json::value> ParseJson(std::string_view text, std::string_view source = "input",
                              std::size_t first_line = 1);

// The canonical encoding: no whitespace, object members sorted by the bytes
// of their keys, minimal string escapes, numbers in shortest form. The same
// value always gives the same bytes; equal values (Equal) give equal bytes.
std::string CanonicalJson(const json::value& v);

// The length of CanonicalJson(v), or any number above `limit` once the
// length is known to exceed it (so the cost is bounded by `limit`).
std::size_t CanonicalSize(const json::value& v, std::size_t limit);

// CanonicalJson(v) if it is at most `limit` bytes long, else nullopt; the
// cost is bounded by `limit`, as CanonicalSize's (and it is one pass where
// CanonicalSize and then CanonicalJson are two).
std::optional<std::string> CanonicalJsonUpTo(const json::value& v, std::size_t limit);

// Appends the canonical encoding of a string (with quotes) to `out`.
void AppendJsonString(std::string& out, std::string_view s);
// The length of what AppendJsonString appends for `s`, counted without
// writing it.
std::size_t JsonStringSize(std::string_view s);
// Appends a number in canonical form to `out`.
void AppendJsonNumber(std::string& out, const json::value& number);

// How to print a value for people.
struct FormatOptions {
  int indent = 2;      // 0 prints compactly (canonical)
  bool color = false;  // ANSI colours for keys, strings, numbers, literals
};
std::string FormatJson(const json::value& v, const FormatOptions& options);

// Where a writer of text in pieces sends each piece (WriteValueText,
// Snapshot::ForEachDocumentText); an error stops the writer.
using TextSink = std::function<Status(std::string_view)>;

// FormatJson's text in pieces, for a writer that produces a value's text a
// part at a time (WriteValueText, for a document stored as trees): the pieces
// append exactly the bytes FormatJson gives for the whole value. `level` is
// the number of containers around the piece.
//
// `v` as it prints `level` containers deep (its lines indented that much more).
void AppendFormattedJson(std::string& out, const json::value& v, const FormatOptions& options,
                         std::size_t level);
// Before an array element: a comma unless it is the first, the line break
// and indent.
void AppendFormattedSeparator(std::string& out, const FormatOptions& options, std::size_t level,
                              bool first);
// Before an object member's value: the separator, then the key and colon.
void AppendFormattedKey(std::string& out, std::string_view key, const FormatOptions& options,
                        std::size_t level, bool first);
// A container's closing bracket (']' if `array`, else '}'), on a line of
// its own unless it is empty; `level` is the container's own.
void AppendFormattedClose(std::string& out, bool array, const FormatOptions& options,
                          std::size_t level, bool empty);

// Structural equality as JSON means it: numbers compare by value (1 == 1.0),
// objects ignore member order.
bool Equal(const json::value& a, const json::value& b);

// The JSON Pointer of the first non-finite double inside `v`, if any.
// (Values built in memory can hold them; they must never be stored.)
std::optional<std::string> FindNonFinite(const json::value& v);

// True if `s` is well-formed UTF-8: no overlong forms, UTF-16 surrogates or
// code points above U+10FFFF.
bool IsValidUtf8(std::string_view s);

// Ok if `v` can be stored and read back: every number finite, every string
// and member name valid UTF-8 (values built in memory, or from bytes that
// were never parsed as JSON, may break either). Otherwise InvalidArgument
// naming the pointer.
Status CheckStorable(const json::value& v);

// How deeply `v` nests arrays and objects: 0 for a scalar, 1 for [1] or {},
// as the parser's max_depth counts. Iterative.
std::size_t NestingDepth(const json::value& v);

}  // namespace strata
