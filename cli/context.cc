#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <iostream>

#include "cli/command.h"
#include "strata/worktree.h"

namespace strata::cli {

void AddCommonOptions(po::options_description& options) {
  options.add_options()("help,h", "show this help")(
      "repo", po::value<std::string>()->value_name("PATH"),
      "the repository (a .strata folder or the folder holding one); default: $STRATA_DIR, "
      "else found from the current folder upward")(
      "color", po::value<std::string>()->value_name("WHEN")->default_value("auto"),
      "colour output: auto (on a terminal, unless NO_COLOR is set), always, never")(
      "perspective", po::value<std::string>()->value_name("P"),
      "read and write through perspective P, defined in the .perspectives document (default: "
      "$STRATA_PERSPECTIVE, else none: the whole state)")(
      "no-pager", po::bool_switch(),
      "never page output (log, show, diff, tag, blame and history use $STRATA_PAGER, else "
      "$PAGER, else 'less -FRX' on a terminal; an empty value or 'cat' turns it off)");
}

void AddWriteOptions(po::options_description& options) {
  options.add_options()("message,m", po::value<std::string>()->value_name("MSG"),
                        "the version's message (default: says what changed)")(
      "author", po::value<std::string>()->value_name("'NAME <EMAIL>'"),
      "the version's author (default: $STRATA_AUTHOR, else git config user.name/user.email)")(
      "label", po::value<std::vector<std::string>>()->value_name("LABEL")->composing(),
      "a label for the version (repeatable): letters, digits and . _ - / :")(
      "expect", po::value<std::string>()->value_name("REV"),
      "write only if the documents this changes are as they were at REV (the version you "
      "read); otherwise refuse, naming what moved")(
      "branch", po::value<std::string>()->value_name("BRANCH"),
      "write to BRANCH (which must exist) instead of the current branch, without switching")(
      "date", po::value<std::string>()->value_name("DATE"),
      "the version's time, as `git commit --date`: ISO 8601 (2026-11-28T19:54:21+01:00; "
      "local time without a zone; a date alone is its start), @SECONDS, or relative "
      "(\"2 days ago\"); default: now, or $STRATA_TIME. May be older than the parent's");
  options.add_options()("force", po::bool_switch(),
                        "write a .schemas that documents already stored break (the documents "
                        "this version changes must still satisfy it; docs/schemas.md)");
  AddJsonOption(options);
}

void AddJsonOption(po::options_description& options) {
  options.add_options()("json", po::bool_switch(),
                        "print the result as JSON (docs/json-output.md)")(
      "pretty", po::bool_switch(), "indent JSON (the default on a terminal)")(
      "compact", po::bool_switch(), "print JSON on one line (the default when piped)");
}

Context::Context(const po::variables_map& args) : args_(args) {
  stdout_tty_ = isatty(STDOUT_FILENO) == 1;
  json_ = args.count("json") && args["json"].as<bool>();
  std::string when = args.count("color") ? args["color"].as<std::string>() : "auto";
  const char* no_color = std::getenv("NO_COLOR");
  if (when == "always")
    color_ = true;
  else if (when == "never")
    color_ = false;
  else
    color_ = stdout_tty_ && !(no_color && *no_color);
  if (args.count("pretty") && args["pretty"].as<bool>()) pretty_ = true;
  if (args.count("compact") && args["compact"].as<bool>()) pretty_ = false;
}

Result<Repository*> Context::Repo() {
  if (repo_) return repo_.get();
  Result<std::unique_ptr<Repository>> r = Status::NotFound("");
  if (args_.count("repo")) {
    r = Repository::Open(args_["repo"].as<std::string>());
  } else if (const char* env = std::getenv("STRATA_DIR"); env && *env) {
    r = Repository::Open(env);
  } else {
    r = Repository::Discover(".");
  }
  if (!r.ok()) return r.status();
  std::optional<std::string> perspective;
  if (args_.count("perspective")) {
    perspective = args_["perspective"].as<std::string>();
  } else if (const char* env = std::getenv("STRATA_PERSPECTIVE"); env && *env) {
    perspective = env;
  } else if (std::optional<std::string> folder = Worktree::Find(".");
             folder && !args_.count("repo") && !std::getenv("STRATA_DIR")) {
    // In a working folder: read through the folder's perspective (docs/worktrees.md).
    if (Result<WorktreeRecord> record = ReadWorktreeRecord(*folder); record.ok()) {
      perspective = record->perspective;
    }
  }
  if (perspective) STRATA_RETURN_IF_ERROR((*r)->UsePerspective(perspective));
  repo_ = std::move(r).value();
  // A post-* hook that failed, a subscriber that threw: the command's result stands.
  repo_->SetEventReporter(
      [](const std::string& message) { std::cerr << "strata: warning: " << message << "\n"; });
  return repo_.get();
}

FormatOptions Context::JsonFormat() const {
  FormatOptions f;
  f.indent = pretty_.value_or(stdout_tty_) ? 2 : 0;
  f.color = color_;
  return f;
}

void Context::PrintJson(const json::value& v) { std::cout << FormatJson(v, JsonFormat()) << "\n"; }

std::string Context::Paint(const char* ansi, const std::string& text) const {
  if (!color_) return text;
  return std::string(ansi) + text + "\x1b[0m";
}

void Context::Warn(const Snapshot& snapshot) {
  for (const std::string& w : snapshot.warnings()) std::cerr << "strata: warning: " << w << "\n";
}

int Context::Fail(const Status& status) {
  std::cout.flush();
  // One line, whatever the message quotes.
  std::string line;
  for (char c : status.message()) {
    if (c == '\n')
      line += "\\n";
    else if (c == '\r')
      line += "\\r";
    else
      line.push_back(c);
  }
  if (status.code() == Code::kInternal) {  // "internal error in Repository::Put: WHAT"
    const bool says_so = line.rfind("internal error", 0) == 0;
    std::cerr << "strata: " << (says_so ? "" : "internal error: ") << line
              << " (please report this)\n";
    return kExitInternal;
  }
  std::cerr << "strata: error: " << line << "\n";
  return kExitError;
}

Result<CommitOptions> Context::WriteOptions() {
  CommitOptions o;
  if (args_.count("message")) o.message = args_["message"].as<std::string>();
  STRATA_RETURN_IF_ERROR(ValidateMessage(o.message));
  if (args_.count("author")) {
    STRATA_ASSIGN_OR_RETURN(Signature s, Signature::Parse(args_["author"].as<std::string>()));
    o.author = s;
  }
  if (args_.count("label")) o.labels = args_["label"].as<std::vector<std::string>>();
  if (args_.count("expect")) o.expected = args_["expect"].as<std::string>();
  if (args_.count("branch")) o.branch = args_["branch"].as<std::string>();
  if (args_.count("force")) o.force = args_["force"].as<bool>();
  for (const auto& l : o.labels) STRATA_RETURN_IF_ERROR(ValidateLabel(l));
  // STRATA_TIME fixes the version time (seconds since the epoch), for
  // reproducible histories in tests and demos.
  if (const char* t = std::getenv("STRATA_TIME"); t && *t) {
    char* end = nullptr;
    errno = 0;
    long long v = std::strtoll(t, &end, 10);
    if (*end != '\0' || end == t) {
      return Status::InvalidArgument("STRATA_TIME must be seconds since the epoch, not '" +
                                     std::string(t) + "'");
    }
    if (errno == ERANGE) {
      return Status::InvalidArgument("STRATA_TIME '" + std::string(t) + "' is out of range");
    }
    o.time = v;
  }
  // --date wins over STRATA_TIME.
  if (args_.count("date")) {
    TimeParseOptions t;
    t.date_only = DayPart::kStart;
    Result<std::int64_t> when = ParseTime(args_["date"].as<std::string>(), t);
    if (!when.ok()) return when.status().WithContext("--date");
    o.time = *when;
  }
  return o;
}

int Context::ReportWrite(const Result<WriteResult>& result) {
  if (!result.ok() && result.status().code() == Code::kUnchanged) {
    if (json_) {
      PrintJson(json::object{{"version", nullptr}, {"unchanged", true}});
    } else {
      std::cout << "nothing changed; no version written\n";
    }
    return kExitOk;
  }
  if (!result.ok()) return Fail(result.status());
  const WriteResult& w = *result;
  if (json_) {
    PrintJson(json::object{{"version", VersionToJson(w.version)},
                           {"unchanged", false},
                           {"operations", w.operations},
                           {"objects_written", w.objects_written},
                           {"bytes_written", w.bytes_written},
                           {"branch", w.branch},
                           {"replayed", w.replayed}});
    return kExitOk;
  }
  std::cout << "[" << w.branch << " " << Paint(kYellow, w.version.id.substr(0, 12)) << "] "
            << w.version.message << " (" << w.operations << " operation"
            << (w.operations == 1 ? "" : "s") << ")";
  if (w.replayed) std::cout << ", replayed on a concurrent change";
  std::cout << "\n";
  return kExitOk;
}

Result<json::value> ParseJsonArgument(const std::string& text, const std::string& source) {
  return ParseJson(text, source);
}

}  // namespace strata::cli
