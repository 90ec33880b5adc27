#include "strata/version.h"

#include <cctype>
#include <charconv>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <optional>

#include "objects/guard.h"

namespace strata {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() &&
         (s.back() == ' ' || s.back() == '\t' || s.back() == '\n' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

constexpr std::string_view kLabelTrailer = "Label: ";

bool IsBlank(char c) { return c == ' ' || c == '\t'; }
bool IsAsciiAlnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

// `text` split at '\n' ("" gives one empty line).
std::vector<std::string_view> Lines(std::string_view text) {
  std::vector<std::string_view> lines;
  std::size_t pos = 0;
  while (true) {
    std::size_t nl = text.find('\n', pos);
    if (nl == std::string_view::npos) {
      lines.push_back(text.substr(pos));
      return lines;
    }
    lines.push_back(text.substr(pos, nl - pos));
    pos = nl + 1;
  }
}

// True for a line git could read as a "Label" trailer: optional blanks,
// "label" in any case, optional blanks, ':'.
bool LooksLikeLabelTrailer(std::string_view line) {
  while (!line.empty() && IsBlank(line.front())) line.remove_prefix(1);
  constexpr std::string_view kKey = "label";
  if (line.size() < kKey.size()) return false;
  for (std::size_t i = 0; i < kKey.size(); ++i) {
    char c = line[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != kKey[i]) return false;
  }
  line.remove_prefix(kKey.size());
  while (!line.empty() && IsBlank(line.front())) line.remove_prefix(1);
  return !line.empty() && line.front() == ':';
}

// The label in a "Label: NAME" line as ComposeMessage writes it, if NAME is valid.
std::optional<std::string_view> LabelOf(std::string_view line) {
  if (line.substr(0, kLabelTrailer.size()) != kLabelTrailer) return std::nullopt;
  std::string_view label = line.substr(kLabelTrailer.size());
  if (!ValidateLabel(label).ok()) return std::nullopt;
  return label;
}

// True if `lines` (a paragraph) are trailers as git writes them: each
// "Token: value" with a token of letters, digits and '-', or a continuation
// line starting with a blank after the first.
bool IsTrailerParagraph(const std::vector<std::string_view>& lines) {
  if (lines.empty()) return false;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    std::string_view line = lines[i];
    if (i > 0 && !line.empty() && IsBlank(line.front())) continue;
    std::size_t n = 0;
    while (n < line.size() && (IsAsciiAlnum(line[n]) || (n > 0 && line[n] == '-'))) {
      ++n;
    }
    if (n == 0 || n == line.size() || line[n] != ':') return false;
  }
  return true;
}

// True if `message` ends in a paragraph of trailers that is not its first
// paragraph (git never reads the subject as trailers), with no newline after.
bool EndsInTrailers(std::string_view message) {
  if (message.empty() || message.back() == '\n') return false;
  std::size_t blank = message.rfind("\n\n");
  if (blank == std::string_view::npos) return false;
  return IsTrailerParagraph(Lines(message.substr(blank + 2)));
}

}  // namespace

Result<Signature> Signature::Parse(std::string_view text) try {
  // Checked first: otherwise the bytes reached the per-document metadata and
  // were refused there as "string that is not valid UTF-8 at '/updated/by'".
  if (!IsValidUtf8(text)) return Status::InvalidArgument("the author is not valid UTF-8");
  std::size_t lt = text.find('<');
  std::size_t gt = text.rfind('>');
  if (lt == std::string_view::npos || gt == std::string_view::npos || gt < lt ||
      Trim(text.substr(gt + 1)).size() != 0) {
    return Status::InvalidArgument("author '" + std::string(text) +
                                   "' must look like 'Name <email>'");
  }
  Signature s;
  s.name = std::string(Trim(text.substr(0, lt)));
  s.email = std::string(Trim(text.substr(lt + 1, gt - lt - 1)));
  if (s.name.empty())
    return Status::InvalidArgument("author '" + std::string(text) + "' has no name");
  for (char c : s.name + s.email) {
    if (c == '<' || c == '>' || c == '\n' || c == '\0') {
      return Status::InvalidArgument("author '" + std::string(text) +
                                     "' has '<', '>' or a newline inside");
    }
  }
  return s;
} catch (...) {
  return CaughtStatus("Signature::Parse");
}

Status ValidateLabel(std::string_view label) try {
  if (label.empty()) return Status::InvalidArgument("a label cannot be empty");
  for (char c : label) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-' || c == '/' || c == ':';
    if (!ok) {
      return Status::InvalidArgument("label '" + std::string(label) +
                                     "' may hold only letters, digits and . _ - / :");
    }
  }
  return Status::Ok();
} catch (...) {
  return CaughtStatus("ValidateLabel");
}

Status ValidateMessage(std::string_view message) try {
  if (message.find('\0') != std::string_view::npos) {
    return Status::InvalidArgument("the message holds a NUL byte");
  }
  if (!IsValidUtf8(message)) return Status::InvalidArgument("the message is not valid UTF-8");
  std::vector<std::string_view> lines = Lines(message);
  for (std::size_t i = 0; i < lines.size(); ++i) {
    if (LooksLikeLabelTrailer(lines[i])) {
      return Status::InvalidArgument("line " + std::to_string(i + 1) + " of the message ('" +
                                     std::string(lines[i]) +
                                     "') would be read as a label; give labels with --label");
    }
  }
  return Status::Ok();
} catch (...) {
  return CaughtStatus("ValidateMessage");
}

std::string SummaryLine(std::string_view text, std::size_t max_bytes) {
  std::string out;
  for (char ch : text) {
    auto c = static_cast<unsigned char>(ch);
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c < 0x20 || c == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    } else {
      out.push_back(ch);
    }
  }
  if (out.size() <= max_bytes) return out;
  std::size_t cut = max_bytes >= 3 ? max_bytes - 3 : 0;
  // Back to the first byte of a UTF-8 sequence (continuation bytes are 10xxxxxx).
  while (cut > 0 && (static_cast<unsigned char>(out[cut]) & 0xC0) == 0x80) --cut;
  out.resize(cut);
  return out + "...";
}

std::string ComposeMessage(std::string_view message, const std::vector<std::string>& labels) {
  std::string out(message);
  if (labels.empty()) return out + "\n";
  out += EndsInTrailers(message) ? "\n" : "\n\n";
  for (const auto& l : labels) {
    out += kLabelTrailer;
    out += l;
    out += "\n";
  }
  return out;
}

void SplitMessage(std::string_view raw, std::string* message, std::vector<std::string>* labels) {
  labels->clear();
  std::string_view body = raw;
  if (!body.empty() && body.back() == '\n') body.remove_suffix(1);
  *message = std::string(body);
  // The labels are the trailing "Label: " lines of the last paragraph: all of
  // it, or the end of a paragraph of trailers (see the grammar in version.h).
  std::size_t blank = body.rfind("\n\n");
  if (blank == std::string_view::npos) return;
  std::size_t block_start = blank + 2;
  std::vector<std::string_view> lines = Lines(body.substr(block_start));
  std::size_t first = lines.size();
  while (first > 0 && LabelOf(lines[first - 1])) --first;
  if (first == lines.size()) return;
  std::vector<std::string_view> trailers(lines.begin(), lines.begin() + first);
  if (first > 0 && !IsTrailerParagraph(trailers)) return;
  for (std::size_t i = first; i < lines.size(); ++i) labels->emplace_back(*LabelOf(lines[i]));
  std::size_t end = blank;
  if (first > 0) {
    end = block_start;
    for (std::string_view line : trailers) end += line.size() + 1;
    end -= 1;  // the newline before the first label
  }
  *message = std::string(body.substr(0, end));
}

std::string FormatTime(std::int64_t time, int offset_minutes) {
  std::time_t t = static_cast<std::time_t>(time + offset_minutes * 60);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  int sign = offset_minutes < 0 ? -1 : 1;
  int off = offset_minutes * sign;
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d%c%02d:%02d", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, sign < 0 ? '-' : '+',
                off / 60, off % 60);
  return buf;
}

std::string FormatUtcTime(std::int64_t time) {
  std::time_t t = static_cast<std::time_t>(time);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string FormatDisplayTime(std::int64_t time) {
  const char* tz = std::getenv("TZ");
  if (!tz || !*tz) return FormatUtcTime(time);
  std::time_t t = static_cast<std::time_t>(time);
  std::tm tm{};
  localtime_r(&t, &tm);
  int offset = static_cast<int>(tm.tm_gmtoff / 60);
  if (offset == 0) return FormatUtcTime(time);
  return FormatTime(time, offset);
}

namespace {

// Seconds from the epoch to a civil date's midnight UTC (Howard Hinnant's
// days_from_civil), so no time zone database or timegm is involved.
std::int64_t CivilToEpoch(int year, int month, int day) {
  int y = year - (month <= 2);
  int era = (y >= 0 ? y : y - 399) / 400;
  int yoe = y - era * 400;
  int doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
  int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return (static_cast<std::int64_t>(era) * 146097 + doe - 719468) * 86400;
}

// The local zone's offset from UTC at `t`, in seconds (TZ's zone).
std::int64_t LocalOffsetAt(std::int64_t t) {
  std::time_t tt = static_cast<std::time_t>(t);
  std::tm tm{};
  localtime_r(&tt, &tm);
  return tm.tm_gmtoff;
}

// "N UNIT ago" / "N.UNIT.ago": the seconds N UNITs span; nullopt if `text`
// is not of that form.
std::optional<std::int64_t> RelativeSpan(std::string_view text) {
  std::string words(text);
  for (char& c : words) {
    if (c == '.') c = ' ';
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  std::int64_t n = 0;
  char unit[16] = {0}, ago[8] = {0};
  int consumed = 0;
  if (std::sscanf(words.c_str(), " %18" SCNd64 " %15[a-z] %7[a-z] %n", &n, unit, ago, &consumed) !=
          3 ||
      static_cast<std::size_t>(consumed) != words.size() || std::string_view(ago) != "ago" ||
      n < 0 || n > 100000) {
    return std::nullopt;
  }
  std::string_view u(unit);
  if (u.size() > 1 && u.back() == 's') u.remove_suffix(1);
  static constexpr std::pair<std::string_view, std::int64_t> kUnits[] = {
      {"second", 1},        {"sec", 1},     {"minute", 60},      {"min", 60},
      {"hour", 3600},       {"day", 86400}, {"week", 7 * 86400}, {"month", 30 * 86400},
      {"year", 365 * 86400}};
  for (const auto& [name, seconds] : kUnits) {
    if (u == name) return n * seconds;
  }
  return std::nullopt;
}

}  // namespace

Result<std::int64_t> ParseTime(std::string_view text) { return ParseTime(text, {}); }

Result<std::int64_t> ParseTime(std::string_view text, const TimeParseOptions& options) try {
  auto bad = [&] {
    return Status::InvalidArgument("invalid time '" + std::string(text) +
                                   "': use 2026-11-28, 2026-11-28T19:54:21Z, "
                                   "2026-11-28T19:54+01:00, @SECONDS, yesterday or "
                                   "'2 hours ago'");
  };
  const std::int64_t now =
      options.now != 0 ? options.now : static_cast<std::int64_t>(std::time(nullptr));
  if (text == "now" || text == "today") return now;
  if (text == "yesterday") return now - 86400;
  if (std::optional<std::int64_t> span = RelativeSpan(text)) return now - *span;
  if (!text.empty() && text[0] == '@') {
    std::int64_t v = 0;
    auto [p, ec] = std::from_chars(text.data() + 1, text.data() + text.size(), v);
    if (ec != std::errc() || p != text.data() + text.size() || text.size() == 1) return bad();
    return v;
  }
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  std::size_t pos = 0;
  auto number = [&](int digits, int* out) {
    if (pos + digits > text.size()) return false;
    int v = 0;
    for (int i = 0; i < digits; ++i) {
      char c = text[pos + i];
      if (c < '0' || c > '9') return false;
      v = v * 10 + (c - '0');
    }
    *out = v;
    pos += digits;
    return true;
  };
  auto expect = [&](char c) {
    if (pos < text.size() && text[pos] == c) {
      ++pos;
      return true;
    }
    return false;
  };
  if (!number(4, &year) || !expect('-') || !number(2, &month) || !expect('-') || !number(2, &day)) {
    return bad();
  }
  bool date_only = true;
  if (pos < text.size() && (text[pos] == 'T' || text[pos] == ' ')) {
    ++pos;
    date_only = false;
    if (!number(2, &hour) || !expect(':') || !number(2, &minute)) return bad();
    if (expect(':') && !number(2, &second)) return bad();
  }
  std::optional<int> offset_minutes;  // nullopt: local time
  if (pos < text.size()) {
    if (expect('Z')) {
      offset_minutes = 0;
    } else if (text[pos] == '+' || text[pos] == '-') {
      int sign = text[pos] == '-' ? -1 : 1;
      ++pos;
      int oh = 0, om = 0;
      if (!number(2, &oh) || !expect(':') || !number(2, &om)) return bad();
      offset_minutes = sign * (oh * 60 + om);
    }
  }
  if (pos != text.size() || month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 ||
      minute > 59 || second > 60) {
    return bad();
  }
  if (date_only && options.date_only == DayPart::kEnd) {
    hour = 23;
    minute = 59;
    second = 59;
  }
  const std::int64_t wall = CivilToEpoch(year, month, day) + hour * 3600 + minute * 60 + second;
  if (offset_minutes) return wall - std::int64_t{*offset_minutes} * 60;
  // Local time: the offset in force at that moment (guess with the offset
  // at the wall time read as UTC, then correct once across a DST change).
  std::int64_t t = wall - LocalOffsetAt(wall);
  return wall - LocalOffsetAt(t);
} catch (...) {
  return CaughtStatus("ParseTime");
}

json::object VersionToJson(const VersionInfo& v) {
  json::object o;
  o["id"] = v.id;
  json::array parents;
  for (const auto& p : v.parents) parents.push_back(json::value(p));
  o["parents"] = std::move(parents);
  o["author"] = json::object{{"name", v.author.name}, {"email", v.author.email}};
  o["time"] = FormatDisplayTime(v.time);
  o["timestamp"] = v.time;
  o["message"] = v.message;
  json::array labels;
  for (const auto& l : v.labels) labels.push_back(json::value(l));
  o["labels"] = std::move(labels);
  json::array added;
  for (const auto& l : v.added_labels) added.push_back(json::value(l));
  o["added_labels"] = std::move(added);
  o["state"] = v.state_id;
  return o;
}

}  // namespace strata
