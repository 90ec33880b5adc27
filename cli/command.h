// What every command file provides, and what the dispatcher gives it.
//
// A command is one file, cli/cmd_NAME.cc, defining a CommandSpec: its name,
// one-line summary, usage and description (the same text feeds --help and
// docs/commands.md), a function that declares its options, and one that runs
// it. Run parses nothing and decides nothing: it calls the repository and
// prints. cli/README.md says how to add one.
#pragma once

#include <boost/program_options.hpp>
#include <cstdio>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "strata/json.h"
#include "strata/repository.h"

namespace strata::cli {

namespace po = boost::program_options;

// Exit codes.
inline constexpr int kExitOk = 0;
inline constexpr int kExitError = 1;  // the command failed; nothing changed
inline constexpr int kExitUsage = 2;  // bad flags or arguments
// A bug in strata (sysexits' EX_SOFTWARE): an exception reached main, or the
// library returned Code::kInternal. "strata: internal error: ... (please
// report this)" on stderr.
inline constexpr int kExitInternal = 70;

class Context;

struct CommandSpec {
  const char* name;
  const char* summary;      // one line, shown by `strata help`
  const char* usage;        // "strata set DOC POINTER JSON [options]"
  const char* description;  // paragraphs for --help and docs/commands.md
  // Declares the flags (`options`), the positional arguments (`arguments`,
  // listed by name in --help) and their order (`positional`).
  void (*define)(po::options_description& options, po::options_description& arguments,
                 po::positional_options_description& positional);
  int (*run)(Context& ctx, const po::variables_map& args);
};

// Options every command takes (added by the dispatcher).
// The value of a bool_switch option; false when the command does not declare it.
inline bool Flag(const po::variables_map& args, const char* name) {
  return args.count(name) && args[name].as<bool>();
}

// For a bad flag or argument: prints "strata: error: MESSAGE" and returns
// kExitUsage, for Run to return.
inline int UsageError(const std::string& message) {
  std::cerr << "strata: error: " << message << "\n";
  return kExitUsage;
}

void AddCommonOptions(po::options_description& options);
// -m, --author, --label, --expect, --branch and the JSON options, shared by the
// commands that write a version.
void AddWriteOptions(po::options_description& options);
// --json, --pretty and --compact, the same on every command that prints
// JSON (the commands that read, and -- through AddWriteOptions -- those
// that write).
void AddJsonOption(po::options_description& options);

class Context {
 public:
  explicit Context(const po::variables_map& args);

  // The repository: --repo, else $STRATA_DIR, else found from the current
  // folder upward. Errors are printed by the caller.
  Result<Repository*> Repo();

  bool json() const { return json_; }
  bool color() const { return color_; }
  bool stdout_is_terminal() const { return stdout_tty_; }

  // Prints a document, a value or --json output: indented on a terminal,
  // one line when piped, unless --pretty or --compact says otherwise;
  // coloured when colour is on.
  void PrintJson(const json::value& v);
  // How PrintJson prints: indented on a terminal or with --pretty, coloured
  // when colour is on.
  FormatOptions JsonFormat() const;
  // Wraps `text` in an ANSI colour when colour is on.
  std::string Paint(const char* ansi, const std::string& text) const;

  // Tells the reader, on stderr, what the snapshot says about how its
  // revision resolved ("strata: warning: log for 'main' only goes back to ...").
  void Warn(const Snapshot& snapshot);
  // Reports a failed call: "strata: error: ..." on stderr; returns the exit code.
  int Fail(const Status& status);
  // Reports the outcome of a write (or "nothing changed").
  int ReportWrite(const Result<WriteResult>& result);

  // Builds CommitOptions from -m, --author and --label.
  Result<CommitOptions> WriteOptions();

 private:
  const po::variables_map& args_;
  std::unique_ptr<Repository> repo_;
  bool json_ = false;
  bool color_ = false;
  bool stdout_tty_ = false;
  std::optional<bool> pretty_;
};

// Parses a JSON argument or file text; errors name `source`.
Result<json::value> ParseJsonArgument(const std::string& text, const std::string& source);

// The table of commands, in the order `strata help` lists them.
const std::vector<const CommandSpec*>& Commands();
const CommandSpec* FindCommand(const std::string& name);

// Colours.
inline constexpr const char* kYellow = "\x1b[33m";
inline constexpr const char* kGreen = "\x1b[32m";
inline constexpr const char* kRed = "\x1b[31m";
inline constexpr const char* kCyan = "\x1b[36m";
inline constexpr const char* kBold = "\x1b[1m";
inline constexpr const char* kDim = "\x1b[2m";

}  // namespace strata::cli
