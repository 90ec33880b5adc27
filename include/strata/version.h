// Versions as strata records them in git commits.
//
// A version's commit message is the user's message, byte for byte, then one
// "Label: NAME" trailer per label, so `git log` shows the labels and
// `git interpret-trailers` reads them (docs/format.md, "Versions"):
//
//   raw := MESSAGE "\n"                                  no labels
//        | MESSAGE "\n\n" ( "Label: " LABEL "\n" )+      labels
//        | MESSAGE "\n" ( "Label: " LABEL "\n" )+        labels, and MESSAGE ends in
//                                                       a paragraph of trailers
//
// The last form adds the labels to the message's own trailers
// ("Signed-off-by: ..."), so git reads all of them as one block. Labels come
// only from CommitOptions::labels (--label): ValidateMessage refuses a message
// with a line that could be read as a label, and for every message it accepts
// SplitMessage(ComposeMessage(m, labels)) gives back m and labels exactly.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "strata/json.h"
#include "strata/status.h"

namespace strata {

struct Signature {
  std::string name;
  std::string email;
  std::string ToString() const { return name + " <" + email + ">"; }
  // Parses "Name <email>". InvalidArgument says what is wrong.
  static Result<Signature> Parse(std::string_view text);
};

struct VersionInfo {
  std::string id;                    // the commit id, 40 hex digits
  std::vector<std::string> parents;  // first parent first
  Signature author;
  std::int64_t time = 0;   // seconds since the epoch
  int offset_minutes = 0;  // the author's time zone
  std::string message;     // without the label trailers
  std::vector<std::string> labels;
  std::vector<std::string> added_labels;  // added later by `strata label` (git notes)
  std::string state_id;                   // the state tree's id
};

// Labels are single words of letters, digits and . _ - / : (like git refs).
Status ValidateLabel(std::string_view label);

// Ok, or InvalidArgument if `message` cannot be stored as given: a line that
// starts (after optional spaces or tabs) with "Label:" in any letter case,
// spaces before the ':' allowed (git reads such a line as a label trailer;
// labels must come from --label), a NUL byte (git messages are C strings), or
// invalid UTF-8 (--json prints messages). Call it before ComposeMessage.
Status ValidateMessage(std::string_view message);

// A message strata makes up ("set config/app1 /db/host") as one line of at
// most `max_bytes`: control characters escaped (a newline as "\n", others as
// "\xNN"), so no key quoted in it can add lines or label trailers, and cut
// with "..." at a UTF-8 character boundary. Its result passes ValidateMessage
// for any UTF-8 `text` that does not itself start with "Label:".
std::string SummaryLine(std::string_view text, std::size_t max_bytes);

// The commit message for `message` and `labels` (valid labels; a message
// ValidateMessage accepts), in the grammar above.
std::string ComposeMessage(std::string_view message, const std::vector<std::string>& labels);
// Splits a commit message into the user's message and its labels: the
// trailing "Label: NAME" lines of its last paragraph, if each NAME is a valid
// label. Anything else is message.
void SplitMessage(std::string_view raw, std::string* message, std::vector<std::string>* labels);

// "2026-11-28T19:54:21+01:00"
std::string FormatTime(std::int64_t time, int offset_minutes);
// "2026-11-28T18:54:21Z"
std::string FormatUtcTime(std::int64_t time);
// How strata shows a time everywhere (log, show, ls, --json): UTC with "Z",
// or, when the TZ environment variable is set, that zone's local time with
// its offset ("2026-11-28T19:54:21+01:00"; "Z" when the offset is zero).
std::string FormatDisplayTime(std::int64_t time);

// How ParseTime reads a date without a time of day.
enum class DayPart {
  kStart,  // 00:00:00 (--since, --date)
  kEnd,    // 23:59:59 (--at, --until: "as of that day")
};

struct TimeParseOptions {
  std::int64_t now = 0;  // for relative forms; 0: the clock now
  DayPart date_only = DayPart::kStart;
};

// Parses a time as people write it (--at, --since, --until, --date):
//   - ISO 8601: "2026-11-28", "2026-11-28T19:54", "2026-11-28T19:54:21Z",
//     "2026-11-28 19:54:21+01:00". Without "Z" or an offset it is local time
//     (the TZ environment variable's zone); a date alone is the start or end
//     of that day, as `options.date_only` says.
//   - "@SECONDS" since the epoch.
//   - relative to `options.now`: "now", "today" (now), "yesterday" (24 hours
//     ago, as git reads it), "N UNIT ago" or "N.UNIT.ago" with UNIT one of
//     second, minute, hour, day, week, month (30 days), year (365 days),
//     singular or plural.
// InvalidArgument quotes the text and lists the forms.
Result<std::int64_t> ParseTime(std::string_view text, const TimeParseOptions& options);
// ParseTime with a date alone read as the start of its day.
Result<std::int64_t> ParseTime(std::string_view text);

// The JSON form of a version (docs/json-output.md).
json::object VersionToJson(const VersionInfo& v);

}  // namespace strata
