#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "cli/command.h"
#include "strata/import.h"

namespace strata::cli {
namespace {

void Define(po::options_description& o, po::options_description& a,
            po::positional_options_description& p) {
  a.add_options()("doc", po::value<std::string>()->required(), "the document id");
  AddWriteOptions(o);
  p.add("doc", 1);
}

// Runs $VISUAL or $EDITOR (default vi) on `path`; returns its exit status.
int RunEditor(const std::string& path) {
  const char* editor = std::getenv("VISUAL");
  if (!editor || !*editor) editor = std::getenv("EDITOR");
  if (!editor || !*editor) editor = "vi";
  std::string script = std::string(editor) + " \"$1\"";
  pid_t pid = fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    execl("/bin/sh", "sh", "-c", script.c_str(), "sh", path.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  int status = 0;
  if (waitpid(pid, &status, 0) < 0) return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

bool AskAgain() {
  if (isatty(STDIN_FILENO) != 1) return false;
  std::cerr << "Edit again? [Y/n] " << std::flush;
  std::string answer;
  if (!std::getline(std::cin, answer)) return false;
  return answer.empty() || answer[0] == 'y' || answer[0] == 'Y';
}

int Run(Context& ctx, const po::variables_map& args) {
  std::string doc = args["doc"].as<std::string>();
  Result<CommitOptions> options = ctx.WriteOptions();
  if (!options.ok()) return ctx.Fail(options.status());
  Result<Repository*> repo = ctx.Repo();
  if (!repo.ok()) return ctx.Fail(repo.status());
  // The version read is the edit's base: if another process changes the
  // document while the editor is open, the write is refused, not lost.
  Result<Snapshot> base = (*repo)->Read(options->branch ? *options->branch : "HEAD");
  if (!base.ok()) return ctx.Fail(base.status());
  CommitOptions write_options = *options;
  if (!write_options.expected) {
    write_options.expected =
        base->version() ? base->version_id() : std::string(CommitOptions::kNoVersion);
  }
  json::value current = json::object();
  Result<json::value> existing = base->Get(doc);
  if (existing.ok())
    current = std::move(existing).value();
  else if (existing.status().code() != Code::kNotFound)
    return ctx.Fail(existing.status());

  std::error_code ec;
  std::filesystem::path tmp = std::filesystem::temp_directory_path(ec);  // honours TMPDIR
  if (ec) tmp = "/tmp";
  std::string path = (tmp / "strata-edit-XXXXXX.json").string();
  int fd = mkstemps(path.data(), 5);
  if (fd < 0) return ctx.Fail(Status::IOError("cannot create a temporary file like " + path));
  close(fd);
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << FormatJson(current, FormatOptions{2, false}) << "\n";
  }
  while (true) {
    int rc = RunEditor(path);
    if (rc != 0) {
      std::remove(path.c_str());
      return ctx.Fail(Status::IOError("the editor exited with status " + std::to_string(rc) +
                                      "; nothing was written"));
    }
    Result<std::string> text = ReadFile(path);
    if (!text.ok()) return ctx.Fail(text.status());
    Result<json::value> value = ParseJson(*text, path);
    if (value.ok()) {
      Result<WriteResult> written = (*repo)->Put(doc, std::move(value).value(), write_options);
      if (!written.ok() && written.status().code() == Code::kConflict) {
        return ctx.Fail(written.status().WithContext("your text is kept in " + path));
      }
      std::remove(path.c_str());
      return ctx.ReportWrite(written);
    }
    std::cerr << "strata: error: " << value.status().message() << "\n";
    if (!AskAgain()) {
      return ctx.Fail(Status::InvalidArgument("nothing was written; your text is kept in " + path));
    }
  }
}

}  // namespace

extern const CommandSpec kEditCommand{
    "edit",
    "edit a document in $EDITOR",
    "strata edit DOC [-m MSG] [--label L]...",
    "Opens document DOC (or {} if it does not exist yet) in $VISUAL or $EDITOR (default vi),\n"
    "and writes what you save as one new version. Invalid JSON is refused with its line and\n"
    "column, and offered back to edit again; if you decline (or there is no terminal to ask\n"
    "on), nothing is written and your text is kept in a temporary file. If another writer\n"
    "changes DOC while the editor is open, nothing is written (your text is kept) and the\n"
    "error names who changed it: nothing is silently overwritten.",
    Define,
    Run};

}  // namespace strata::cli
