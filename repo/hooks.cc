#include "repo/hooks.h"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <thread>
#include <vector>

extern char** environ;

namespace strata {
namespace {

using Clock = std::chrono::steady_clock;

constexpr std::size_t kMaxCapture = 1 << 20;
// After SIGTERM, how long the hook has to end before its group gets SIGKILL.
constexpr auto kTermGrace = std::chrono::seconds(1);
// Without a pidfd, how often the loop looks whether the hook ended.
constexpr int kTickMs = 20;

class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() { Close(); }
  int get() const { return fd_; }
  bool open() const { return fd_ >= 0; }
  void Reset(int fd) {
    Close();
    fd_ = fd;
  }
  void Close() {
    if (fd_ >= 0) close(fd_);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
};

bool Pipe(Fd& read_end, Fd& write_end) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return false;
  read_end.Reset(fds[0]);
  write_end.Reset(fds[1]);
  return true;
}

void SetNonBlocking(int fd) { fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK); }

// Whether `pid` has ended, without reaping it (its pid, and so its process
// group id, stays reserved until we do).
bool Ended(pid_t pid) {
  siginfo_t info;
  std::memset(&info, 0, sizeof info);
  if (waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | WNOWAIT) != 0) {
    return errno == ECHILD;
  }
  return info.si_pid != 0;
}

int OpenPidFd(pid_t pid) {
#ifdef SYS_pidfd_open
  long fd = syscall(SYS_pidfd_open, pid, 0);
  if (fd >= 0) {
    fcntl(static_cast<int>(fd), F_SETFD, FD_CLOEXEC);
    return static_cast<int>(fd);
  }
#endif
  (void)pid;
  return -1;
}

// Reads what `fd` has now into `into` (up to kMaxCapture; the rest is
// dropped). Closes it at end of file or on an error.
void Drain(Fd& fd, std::string& into) {
  char buf[65536];
  while (fd.open()) {
    ssize_t n = read(fd.get(), buf, sizeof buf);
    if (n > 0) {
      std::size_t keep = std::min<std::size_t>(static_cast<std::size_t>(n),
                                               kMaxCapture - std::min(kMaxCapture, into.size()));
      into.append(buf, keep);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
    fd.Close();
  }
}

// Holds SIGPIPE off on this thread while we write to a hook that may have
// stopped reading, and swallows the one our writes raised.
class HoldSigpipe {
 public:
  HoldSigpipe() {
    sigemptyset(&pipe_);
    sigaddset(&pipe_, SIGPIPE);
    sigset_t pending;
    sigemptyset(&pending);
    sigpending(&pending);
    was_pending_ = sigismember(&pending, SIGPIPE) == 1;
    pthread_sigmask(SIG_BLOCK, &pipe_, &old_);
  }
  ~HoldSigpipe() {
    if (!was_pending_) {
      sigset_t pending;
      sigemptyset(&pending);
      sigpending(&pending);
      if (sigismember(&pending, SIGPIPE) == 1) {
        struct timespec zero {};
        while (sigtimedwait(&pipe_, nullptr, &zero) < 0 && errno == EINTR) {
        }
      }
    }
    pthread_sigmask(SIG_SETMASK, &old_, nullptr);
  }

 private:
  sigset_t pipe_, old_;
  bool was_pending_ = false;
};

std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  std::size_t start = s.find_first_not_of("\n\r ");
  return start == std::string::npos ? std::string() : s.substr(start);
}

}  // namespace

Result<int> HookTimeout(git_repository* repo) {
  git_config* raw = nullptr;
  STRATA_GIT(git_repository_config_snapshot(&raw, repo), "cannot read the repository config");
  ConfigPtr cfg(raw);
  const char* value = nullptr;
  int rc = git_config_get_string(&value, raw, "strata.hookTimeout");
  if (rc == GIT_ENOTFOUND) {
    git_error_clear();
    return kDefaultHookTimeoutSeconds;
  }
  if (rc < 0) return GitError(rc, "cannot read strata.hookTimeout");
  const std::string text = value ? value : "";
  bool digits = !text.empty() && text.size() <= 7;
  for (char c : text) digits = digits && c >= '0' && c <= '9';
  if (!digits) {
    return Status::InvalidArgument("strata.hookTimeout is '" + text +
                                   "': it must be a whole number of seconds, at most 9999999 "
                                   "(0: no limit); fix it with git config --file " +
                                   std::string(git_repository_path(repo)) +
                                   "config strata.hookTimeout 60");
  }
  return std::stoi(text);
}

std::string DescribeHookFailure(const HookRun& run, int timeout_seconds) {
  if (!run.started) return "cannot start: " + run.error;
  if (run.timed_out) {
    return "killed after the " + std::to_string(timeout_seconds) +
           "-second time limit, strata.hookTimeout";
  }
  if (run.signal != 0) {
    return "killed by signal " + std::to_string(run.signal) + " (" + strsignal(run.signal) + ")";
  }
  return "exit " + std::to_string(run.exit_code);
}

std::string HookOutput(const HookRun& run) {
  std::string err = Trim(run.err);
  return err.empty() ? Trim(run.out) : err;
}

std::string HookPath(const std::string& git_dir, const std::string& name) {
  return git_dir + "/hooks/" + name;
}

HookRun RunHook(const std::string& path, const std::string& name, const std::string& git_dir,
                const std::string& cwd, const std::string& input, int timeout_seconds) {
  HookRun run;
  // Everything the child needs, made before fork: after it, only
  // async-signal-safe calls.
  std::vector<std::string> env_strings;
  for (char** e = environ; e && *e; ++e) {
    if (std::strncmp(*e, "STRATA_DIR=", 11) == 0 || std::strncmp(*e, "STRATA_HOOK=", 12) == 0) {
      continue;
    }
    env_strings.emplace_back(*e);
  }
  env_strings.push_back("STRATA_DIR=" + git_dir);
  env_strings.push_back("STRATA_HOOK=" + name);
  std::vector<char*> envp;
  for (std::string& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::string arg0 = path;
  char* argv[] = {arg0.data(), nullptr};

  Fd in_r, in_w, out_r, out_w, err_r, err_w, exec_r, exec_w;
  if (!Pipe(in_r, in_w) || !Pipe(out_r, out_w) || !Pipe(err_r, err_w) || !Pipe(exec_r, exec_w)) {
    run.error = std::string("cannot make a pipe: ") + std::strerror(errno);
    return run;
  }
  HoldSigpipe hold;
  const pid_t pid = fork();
  if (pid < 0) {
    run.error = std::string("cannot fork: ") + std::strerror(errno);
    return run;
  }
  if (pid == 0) {
    setpgid(0, 0);
    dup2(in_r.get(), 0);
    dup2(out_w.get(), 1);
    dup2(err_w.get(), 2);
    struct sigaction dfl {};
    dfl.sa_handler = SIG_DFL;
    sigemptyset(&dfl.sa_mask);
    sigaction(SIGPIPE, &dfl, nullptr);
    sigaction(SIGTERM, &dfl, nullptr);
    sigaction(SIGINT, &dfl, nullptr);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    int err = 0;
    if (chdir(cwd.c_str()) != 0) {
      err = errno;
    } else {
      execve(argv[0], argv, envp.data());
      err = errno;
    }
    ssize_t ignored = write(exec_w.get(), &err, sizeof err);
    (void)ignored;
    _exit(127);
  }
  setpgid(pid, pid);  // also here: no race with the kill below
  in_r.Close();
  out_w.Close();
  err_w.Close();
  exec_w.Close();
  {
    int err = 0;
    ssize_t n;
    while ((n = read(exec_r.get(), &err, sizeof err)) < 0 && errno == EINTR) {
    }
    if (n == static_cast<ssize_t>(sizeof err)) {
      int status = 0;
      while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
      }
      run.error = path + ": " + std::strerror(err);
      return run;
    }
  }
  run.started = true;

  SetNonBlocking(in_w.get());
  SetNonBlocking(out_r.get());
  SetNonBlocking(err_r.get());
  if (input.empty()) in_w.Close();
  Fd pidfd(OpenPidFd(pid));
  const bool limited = timeout_seconds > 0;
  const auto deadline = Clock::now() + std::chrono::seconds(timeout_seconds);
  std::size_t written = 0;
  for (;;) {
    if (Ended(pid)) {
      // Take what it left in the pipes, and no more: a child it left
      // running may hold them open.
      Drain(out_r, run.out);
      Drain(err_r, run.err);
      break;
    }
    pollfd fds[4];
    nfds_t n = 0;
    int in_at = -1, out_at = -1, err_at = -1;
    if (in_w.open()) {
      in_at = static_cast<int>(n);
      fds[n++] = {in_w.get(), POLLOUT, 0};
    }
    if (out_r.open()) {
      out_at = static_cast<int>(n);
      fds[n++] = {out_r.get(), POLLIN, 0};
    }
    if (err_r.open()) {
      err_at = static_cast<int>(n);
      fds[n++] = {err_r.get(), POLLIN, 0};
    }
    if (pidfd.open()) fds[n++] = {pidfd.get(), POLLIN, 0};
    int wait_ms = pidfd.open() ? -1 : kTickMs;
    if (limited) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
      if (left.count() <= 0) {
        run.timed_out = true;
        break;
      }
      int left_ms = static_cast<int>(std::min<long long>(left.count() + 1, 1 << 30));
      wait_ms = wait_ms < 0 ? left_ms : std::min(wait_ms, left_ms);
    }
    int ready = poll(fds, n, wait_ms);
    if (ready < 0) {
      if (errno == EINTR) continue;
      run.error = std::string("poll: ") + std::strerror(errno);
      break;
    }
    if (in_at >= 0 && fds[in_at].revents != 0) {
      if (fds[in_at].revents & (POLLERR | POLLHUP)) {
        in_w.Close();  // it stopped reading: fine
      } else {
        ssize_t w = write(in_w.get(), input.data() + written,
                          std::min<std::size_t>(input.size() - written, 65536));
        if (w > 0) {
          written += static_cast<std::size_t>(w);
          if (written == input.size()) in_w.Close();  // end of its input
        } else if (w < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
          in_w.Close();  // EPIPE: it exited or closed stdin without reading it all
        }
      }
    }
    if (out_at >= 0 && fds[out_at].revents != 0) Drain(out_r, run.out);
    if (err_at >= 0 && fds[err_at].revents != 0) Drain(err_r, run.err);
  }
  in_w.Close();

  int status = 0;
  if (run.timed_out || !Ended(pid)) {
    if (!run.timed_out) run.timed_out = true;  // poll failed: do not wait forever
    kill(-pid, SIGTERM);
    const auto give_up = Clock::now() + kTermGrace;
    while (!Ended(pid) && Clock::now() < give_up) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    // Its leader may be gone while others of its group ignore SIGTERM: the
    // unreaped leader keeps the group id ours, so this reaches only them.
    kill(-pid, SIGKILL);
  }
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status)) run.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) run.signal = WTERMSIG(status);
  if (run.timed_out) run.signal = 0;
  return run;
}

}  // namespace strata
