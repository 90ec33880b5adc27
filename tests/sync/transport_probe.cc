// transport_probe: repo/transport.h's TransportSession on real transfers,
// with libgit2 directly (no Repository, no sync core), for
// tests/cli/t1401-transport-callbacks.sh.
//
//   transport_probe clone URL DIR [--progress] [--max-bytes N] [--interrupt]
//       a bare clone into DIR; prints "cloned N objects, B bytes"
//   transport_probe push GIT_DIR URL REFSPEC [--progress] [--interrupt]
//       pushes REFSPEC of the repository at GIT_DIR; prints "pushed REF"
//       for each ref the remote took, "rejected REF: WHY" for the others
//   transport_probe ls-twice fetch|push URL
//       connects twice with one session (as a transfer that lists, then
//       sends, does) and prints the remote's refs after each connection
//
// --interrupt raises SIGINT after InstallInterruptHandler, before the
// transfer: the process must survive it and the transfer must stop.
// --interrupt-twice raises it twice: the second must end the process.
// On failure: one line "transport_probe: error: MESSAGE" on stderr, exit 1.
#include <git2.h>
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "objects/git.h"
#include "repo/transport.h"

namespace {

using strata::Status;

struct Args {
  std::vector<std::string> positional;
  strata::TransportOptions options;
  int interrupts = 0;
};

int Usage() {
  std::fprintf(stderr,
               "usage: transport_probe clone URL DIR [--progress] [--max-bytes N] [--interrupt]\n"
               "       transport_probe push GIT_DIR URL REFSPEC [--progress] [--interrupt]\n"
               "       transport_probe ls-twice fetch|push URL\n");
  return 2;
}

int Fail(const Status& status) {
  std::fprintf(stderr, "transport_probe: error: %s\n", status.message().c_str());
  return 1;
}

std::vector<std::string> g_rejected;
std::vector<std::string> g_pushed;

int OnPushUpdate(const char* refname, const char* status, void* /*payload*/) {
  if (status) {
    g_rejected.push_back(std::string(refname) + ": " + status);
  } else {
    g_pushed.push_back(refname);
  }
  return 0;
}

int Clone(const Args& args) {
  if (args.positional.size() != 2) return Usage();
  const std::string& url = args.positional[0];
  strata::TransportSession session(url, args.options);
  git_clone_options opts = GIT_CLONE_OPTIONS_INIT;
  opts.bare = 1;
  opts.fetch_opts.callbacks = session.callbacks();
  git_repository* repo = nullptr;
  int rc = git_clone(&repo, url.c_str(), args.positional[1].c_str(), &opts);
  strata::RepositoryPtr owned(repo);
  session.Finish(rc == 0);
  if (rc != 0) return Fail(session.Explain(strata::GitError(rc, "clone")));
  std::printf("cloned %zu objects, %llu bytes\n", session.received_objects(),
              static_cast<unsigned long long>(session.received_bytes()));
  return 0;
}

int Push(const Args& args) {
  if (args.positional.size() != 3) return Usage();
  const std::string& url = args.positional[1];
  git_repository* raw = nullptr;
  if (int rc = git_repository_open_bare(&raw, args.positional[0].c_str()); rc != 0) {
    return Fail(strata::GitError(rc, "open " + args.positional[0]));
  }
  strata::RepositoryPtr repo(raw);
  git_remote* raw_remote = nullptr;
  if (int rc = git_remote_create_anonymous(&raw_remote, repo.get(), url.c_str()); rc != 0) {
    return Fail(strata::GitError(rc, "remote " + url));
  }
  strata::GitPtr<git_remote, git_remote_free> remote(raw_remote);
  strata::TransportSession session(url, args.options);
  git_push_options opts = GIT_PUSH_OPTIONS_INIT;
  opts.callbacks = session.callbacks();
  opts.callbacks.push_update_reference = OnPushUpdate;  // ignores the payload
  // For bench/transport.sh: libgit2 with no callbacks at all, to tell
  // the callbacks' cost from libgit2's own.
  if (std::getenv("PROBE_NO_CALLBACKS")) {
    git_remote_init_callbacks(&opts.callbacks, GIT_REMOTE_CALLBACKS_VERSION);
    opts.callbacks.push_update_reference = OnPushUpdate;
  }
  std::string refspec = args.positional[2];
  char* specs[] = {refspec.data()};
  git_strarray refspecs = {specs, 1};
  int rc = git_remote_push(remote.get(), &refspecs, &opts);
  session.Finish(rc == 0 && g_rejected.empty());
  if (rc != 0) return Fail(session.Explain(strata::GitError(rc, "push")));
  for (const std::string& ref : g_pushed) std::printf("pushed %s\n", ref.c_str());
  for (const std::string& ref : g_rejected) std::printf("rejected %s\n", ref.c_str());
  return g_rejected.empty() ? 0 : 1;
}

int LsTwice(const Args& args) {
  if (args.positional.size() != 2) return Usage();
  const std::string& url = args.positional[1];
  git_direction direction = args.positional[0] == "push" ? GIT_DIRECTION_PUSH : GIT_DIRECTION_FETCH;
  git_remote* raw_remote = nullptr;
  if (int rc = git_remote_create_detached(&raw_remote, url.c_str()); rc != 0) {
    return Fail(strata::GitError(rc, "remote " + url));
  }
  strata::GitPtr<git_remote, git_remote_free> remote(raw_remote);
  strata::TransportSession session(url, args.options);
  for (int round = 1; round <= 2; ++round) {
    int rc = git_remote_connect(remote.get(), direction, &session.callbacks(), nullptr, nullptr);
    const git_remote_head** heads = nullptr;
    std::size_t count = 0;
    if (rc == 0) rc = git_remote_ls(&heads, &count, remote.get());
    if (rc != 0) {
      session.Finish(false);
      return Fail(session.Explain(strata::GitError(rc, "connection " + std::to_string(round))));
    }
    for (std::size_t i = 0; i < count; ++i) {
      if (std::strncmp(heads[i]->name, "refs/heads/", 11) == 0) {
        std::printf("%d %s\n", round, heads[i]->name);
      }
    }
    git_remote_disconnect(remote.get());
  }
  session.Finish(true);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return Usage();
  Args args;
  for (int i = 2; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--progress") {
      args.options.progress = true;
    } else if (a == "--max-bytes" && i + 1 < argc) {
      args.options.max_bytes = std::strtoull(argv[++i], nullptr, 10);
    } else if (a == "--interrupt") {
      args.interrupts = 1;
    } else if (a == "--interrupt-twice") {
      args.interrupts = 2;
    } else if (a.rfind("--", 0) == 0) {
      return Usage();
    } else {
      args.positional.push_back(a);
    }
  }
  strata::EnsureLibgit2();
  strata::InstallInterruptHandler();
  for (int i = 0; i < args.interrupts; ++i) {
    raise(SIGINT);
    if (!strata::Interrupted()) return Fail(Status::IOError("SIGINT did not set the flag"));
  }
  std::string command = argv[1];
  if (command == "clone") return Clone(args);
  if (command == "push") return Push(args);
  if (command == "ls-twice") return LsTwice(args);
  return Usage();
}
