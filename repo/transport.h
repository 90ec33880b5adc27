// What every transfer hands libgit2: credentials, host checks, progress
// and interruption (git_remote_callbacks).
//
//   TransportSession session(url, {.progress = isatty(2)});
//   git_fetch_options fo = GIT_FETCH_OPTIONS_INIT;
//   fo.callbacks = session.callbacks();
//   int rc = git_remote_fetch(remote, ...);
//   session.Finish(rc == 0);                // approve / reject the credential used
//   if (rc != 0) return session.Explain(GitError(rc, "fetch"));
//
// Credentials, tried in order, never written to the repository or printed:
// - ssh: the ssh agent (SSH_AUTH_SOCK), then $STRATA_SSH_KEY (a private key
//   file, its public key beside it as KEY.pub), then ~/.ssh/id_ed25519,
//   id_ecdsa, id_rsa; the user name from the URL, else $USER.
// - http(s): $STRATA_HTTP_USERNAME and $STRATA_HTTP_PASSWORD, then git's
//   credential helpers (`git credential fill`, and `approve` / `reject`
//   after the transfer, as git does), never a terminal prompt when stdin is
//   not a terminal. A user name in the URL is used; a password in the URL
//   is used but remote add refuses to store one.
// Each kind is tried once per transfer: a refused credential ends it with
// an error that says which were tried, instead of looping.
//
// ssh host keys are checked against ~/.ssh/known_hosts (and
// $STRATA_SSH_KNOWN_HOSTS when set), hashed entries included, as
// StrictHostKeyChecking=yes would: an unknown or changed key refuses the
// connection with a message naming the host and how to add it.
//
// Progress (when asked): "Receiving objects:  45% (450/1000), 1.20 MiB | 3.40 MiB/s"
// on stderr, redrawn at most ~10 times a second, ending with a newline; the
// same for "Writing objects" on push.
//
// Interruption: InstallInterruptHandler() makes SIGINT and SIGTERM set a
// flag instead of killing the process; every callback returns an error once
// it is set, so libgit2 stops the transfer cleanly and the caller cleans
// up (strata/remote.h: nothing half-done stays).
#pragma once

#include <git2.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "strata/remote.h"
#include "strata/status.h"

namespace strata {

struct TransportOptions {
  bool progress = false;
  // Refuse the transfer once this many bytes arrived (0: no limit).
  std::uint64_t max_bytes = 0;
};

class TransportSession {
 public:
  TransportSession(std::string url, TransportOptions options);
  ~TransportSession();
  TransportSession(const TransportSession&) = delete;
  TransportSession& operator=(const TransportSession&) = delete;

  // Callbacks whose payload is this session; valid while it lives.
  const git_remote_callbacks& callbacks();
  // After the transfer: tells git's credential helper whether the
  // credential it gave worked; ends the progress line.
  void Finish(bool ok);
  // The failure `status` made readable: what the callbacks know (the host
  // key was unknown, every credential was refused, the size limit, an
  // interruption) replaces libgit2's terse message.
  Status Explain(const Status& status) const;

  std::uint64_t received_bytes() const;
  std::size_t received_objects() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// InstallInterruptHandler() and Interrupted() are in strata/remote.h.

}  // namespace strata
