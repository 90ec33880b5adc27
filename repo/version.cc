#include "repo/version.h"

#include <charconv>
#include <cstdlib>
#include <ctime>

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

}  // namespace

Result<Signature> Signature::Parse(std::string_view text) {
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
}

Status ValidateLabel(std::string_view label) {
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
}

std::string ComposeMessage(std::string_view message, const std::vector<std::string>& labels) {
  std::string out(Trim(message));
  if (!labels.empty()) {
    out += "\n\n";
    for (const auto& l : labels) {
      out += kLabelTrailer;
      out += l;
      out += "\n";
    }
  } else {
    out += "\n";
  }
  return out;
}

void SplitMessage(std::string_view raw, std::string* message, std::vector<std::string>* labels) {
  labels->clear();
  std::string_view body = Trim(raw);
  // The trailer block is the last paragraph, if every line in it is a label.
  std::size_t blank = body.rfind("\n\n");
  if (blank != std::string_view::npos) {
    std::string_view block = body.substr(blank + 2);
    std::vector<std::string> found;
    bool all_labels = !block.empty();
    std::size_t pos = 0;
    while (pos <= block.size() && all_labels) {
      std::size_t nl = block.find('\n', pos);
      std::string_view line =
          block.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
      if (line.substr(0, kLabelTrailer.size()) == kLabelTrailer) {
        found.emplace_back(Trim(line.substr(kLabelTrailer.size())));
      } else {
        all_labels = false;
      }
      if (nl == std::string_view::npos) break;
      pos = nl + 1;
    }
    if (all_labels) {
      *labels = std::move(found);
      body = Trim(body.substr(0, blank));
    }
  }
  *message = std::string(body);
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

Result<std::int64_t> ParseTime(std::string_view text) {
  auto bad = [&] {
    return Status::InvalidArgument("invalid time '" + std::string(text) +
                                   "': use 2026-11-28, 2026-11-28T19:54:21Z, "
                                   "2026-11-28T19:54+01:00 or @SECONDS");
  };
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
  if (pos < text.size() && (text[pos] == 'T' || text[pos] == ' ')) {
    ++pos;
    if (!number(2, &hour) || !expect(':') || !number(2, &minute)) return bad();
    if (expect(':') && !number(2, &second)) return bad();
  }
  int offset_minutes = 0;
  if (pos < text.size()) {
    if (expect('Z')) {
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
  // Days from the civil date (Howard Hinnant's algorithm), so no time zone
  // database or timegm is involved.
  int y = year - (month <= 2);
  int era = (y >= 0 ? y : y - 399) / 400;
  int yoe = y - era * 400;
  int doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
  int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  std::int64_t days = static_cast<std::int64_t>(era) * 146097 + doe - 719468;
  return days * 86400 + hour * 3600 + minute * 60 + second - offset_minutes * 60;
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
  o["state"] = v.state_id;
  return o;
}

}  // namespace strata
