// TransportSession: the git_remote_callbacks of every transfer (see
// repo/transport.h). Helpers run as subprocesses (`git credential`,
// `ssh-keygen -F`) with fork/exec and pipes; their input and output never
// reach the terminal, and a secret never reaches a Status message.
#include "repo/transport.h"

#include <fcntl.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <set>
#include <string_view>
#include <vector>

#include "objects/git.h"
#include "objects/guard.h"

extern char** environ;

namespace strata {
namespace {

// --- interruption --------------------------------------------------------------

std::atomic<int> g_signal{0};

extern "C" void OnInterrupt(int sig) {
  g_signal.store(sig);
  // The next signal ends the process as usual.
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  sigemptyset(&dfl.sa_mask);
  sigaction(SIGINT, &dfl, nullptr);
  sigaction(SIGTERM, &dfl, nullptr);
}

// --- URLs -------------------------------------------------------------------

std::string PercentDecode(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      auto hex = [](char c) -> int {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        return -1;
      };
      int hi = hex(s[i + 1]), lo = hex(s[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out += static_cast<char>(hi * 16 + lo);
        i += 2;
        continue;
      }
    }
    out += s[i];
  }
  return out;
}

// What the callbacks need of a remote's URL. `scheme` is "ssh" for git's
// scp-like form (user@host:path) and "" for a local path.
struct Url {
  std::string scheme, user, password, host, port, path;
};

Url ParseUrl(const std::string& url) {
  Url u;
  std::string_view s = url;
  std::size_t colon_slashes = s.find("://");
  std::string_view authority;
  if (colon_slashes == std::string_view::npos) {
    // user@host:path (ssh) unless it looks like a path.
    std::size_t colon = s.find(':');
    std::size_t slash = s.find('/');
    if (colon == std::string_view::npos || (slash != std::string_view::npos && slash < colon)) {
      u.path = url;
      return u;
    }
    u.scheme = "ssh";
    authority = s.substr(0, colon);
    u.path = std::string(s.substr(colon + 1));
  } else {
    u.scheme = std::string(s.substr(0, colon_slashes));
    for (char& c : u.scheme) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    std::string_view rest = s.substr(colon_slashes + 3);
    std::size_t slash = rest.find('/');
    authority = rest.substr(0, slash);
    u.path = slash == std::string_view::npos ? "" : std::string(rest.substr(slash));
  }
  std::size_t at = authority.rfind('@');
  if (at != std::string_view::npos) {
    std::string_view userinfo = authority.substr(0, at);
    authority = authority.substr(at + 1);
    std::size_t colon = userinfo.find(':');
    u.user = PercentDecode(userinfo.substr(0, colon));
    if (colon != std::string_view::npos) u.password = PercentDecode(userinfo.substr(colon + 1));
  }
  if (!authority.empty() && authority.front() == '[') {  // [::1]:port
    std::size_t close = authority.find(']');
    u.host = std::string(authority.substr(1, close == std::string_view::npos ? close : close - 1));
    if (close != std::string_view::npos && close + 1 < authority.size() &&
        authority[close + 1] == ':') {
      u.port = std::string(authority.substr(close + 2));
    }
  } else {
    std::size_t colon = authority.rfind(':');
    u.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) u.port = std::string(authority.substr(colon + 1));
  }
  return u;
}

// The URL as it may be shown: without a password.
std::string RedactUrl(const std::string& url) {
  std::size_t scheme = url.find("://");
  if (scheme == std::string::npos) return url;
  std::size_t start = scheme + 3;
  std::size_t end = url.find('/', start);
  std::size_t at = url.rfind('@', end == std::string::npos ? url.size() : end);
  if (at == std::string::npos || at < start) return url;
  std::size_t colon = url.find(':', start);
  if (colon == std::string::npos || colon > at) return url;
  return url.substr(0, colon) + url.substr(at);
}

std::string HomeDir() {
  const char* home = std::getenv("HOME");
  if (home && *home) return home;
  if (const passwd* pw = getpwuid(getuid()); pw && pw->pw_dir) return pw->pw_dir;
  return "";
}

std::string LoginName() {
  const char* user = std::getenv("USER");
  if (user && *user) return user;
  if (const passwd* pw = getpwuid(getuid()); pw && pw->pw_name) return pw->pw_name;
  return "";
}

bool IsFile(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

// Overwrites a secret before its memory is given back.
void Wipe(std::string& s) {
  if (!s.empty()) explicit_bzero(s.data(), s.size());
  s.clear();
}

// --- subprocesses -------------------------------------------------------------

struct ProcessResult {
  int exit_code = -1;  // -1: could not run
  std::string out;
};

// Runs argv (PATH searched) with `input` on its stdin, stdout captured,
// stderr discarded; `env` replaces the environment. Never touches the
// terminal's output.
ProcessResult RunProcess(const std::vector<std::string>& argv, const std::string& input,
                         const std::vector<std::string>& env) {
  ProcessResult result;
  int in[2], out[2];
  if (pipe2(in, O_CLOEXEC) != 0) return result;
  if (pipe2(out, O_CLOEXEC) != 0) {
    close(in[0]);
    close(in[1]);
    return result;
  }
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  std::vector<char*> envp;
  for (const std::string& e : env) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);
  pid_t pid = fork();
  if (pid == 0) {
    dup2(in[0], 0);
    dup2(out[1], 1);
    int devnull = open("/dev/null", O_WRONLY);
    if (devnull >= 0) dup2(devnull, 2);
    // A signal the parent turned into a flag must end a helper as usual.
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    signal(SIGPIPE, SIG_DFL);
    execvpe(args[0], args.data(), envp.data());
    _exit(127);
  }
  close(in[0]);
  close(out[1]);
  if (pid < 0) {
    close(in[1]);
    close(out[0]);
    return result;
  }
  // The input is a few lines: well under a pipe's buffer, so writing it all
  // first cannot block against a child that writes before reading. A child
  // that exits without reading gets EPIPE, not our SIGPIPE (MSG_NOSIGNAL is
  // for sockets; block the signal around the write).
  sigset_t pipe_set, old_set;
  sigemptyset(&pipe_set);
  sigaddset(&pipe_set, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &pipe_set, &old_set);
  std::size_t written = 0;
  while (written < input.size()) {
    ssize_t n = write(in[1], input.data() + written, input.size() - written);
    if (n <= 0) break;
    written += static_cast<std::size_t>(n);
  }
  close(in[1]);
  timespec zero{};
  while (sigtimedwait(&pipe_set, nullptr, &zero) > 0) {
  }
  pthread_sigmask(SIG_SETMASK, &old_set, nullptr);
  char buf[4096];
  for (;;) {
    ssize_t n = read(out[0], buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    result.out.append(buf, static_cast<std::size_t>(n));
  }
  explicit_bzero(buf, sizeof buf);
  close(out[0]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return result;
}

std::vector<std::string> CurrentEnvironment() {
  std::vector<std::string> env;
  for (char** e = environ; e && *e; ++e) env.emplace_back(*e);
  return env;
}

// --- ssh host keys --------------------------------------------------------------

std::string Base64Encode(std::string_view bytes, bool pad) {
  static const char* kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    unsigned v = (static_cast<unsigned char>(bytes[i]) << 16) |
                 (static_cast<unsigned char>(bytes[i + 1]) << 8) |
                 static_cast<unsigned char>(bytes[i + 2]);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  if (i < bytes.size()) {
    unsigned v = static_cast<unsigned char>(bytes[i]) << 16;
    if (i + 1 < bytes.size()) v |= static_cast<unsigned char>(bytes[i + 1]) << 8;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    if (i + 1 < bytes.size()) {
      out += kAlphabet[(v >> 6) & 63];
    } else if (pad) {
      out += '=';
    }
    if (pad) out += '=';
  }
  return out;
}

const char* KeyTypeName(git_cert_ssh_raw_type_t type) {
  switch (type) {
    case GIT_CERT_SSH_RAW_TYPE_RSA:
      return "ssh-rsa";
    case GIT_CERT_SSH_RAW_TYPE_DSS:
      return "ssh-dss";
    case GIT_CERT_SSH_RAW_TYPE_KEY_ECDSA_256:
      return "ecdsa-sha2-nistp256";
    case GIT_CERT_SSH_RAW_TYPE_KEY_ECDSA_384:
      return "ecdsa-sha2-nistp384";
    case GIT_CERT_SSH_RAW_TYPE_KEY_ECDSA_521:
      return "ecdsa-sha2-nistp521";
    case GIT_CERT_SSH_RAW_TYPE_KEY_ED25519:
      return "ssh-ed25519";
    default:
      return "unknown";
  }
}

enum class HostKeyVerdict { kNotChecked, kKnown, kUnknown, kChanged, kRevoked, kNoKey, kNoTool };

// Splits on blanks.
std::vector<std::string> Fields(std::string_view line) {
  std::vector<std::string> fields;
  std::size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    std::size_t start = i;
    while (i < line.size() && line[i] != ' ' && line[i] != '\t') ++i;
    if (i > start) fields.emplace_back(line.substr(start, i - start));
  }
  return fields;
}

// --- progress ------------------------------------------------------------------

std::string FormatBytes(double bytes) {
  char buf[32];
  if (bytes >= 1024.0 * 1024 * 1024) {
    std::snprintf(buf, sizeof buf, "%.2f GiB", bytes / (1024.0 * 1024 * 1024));
  } else if (bytes >= 1024.0 * 1024) {
    std::snprintf(buf, sizeof buf, "%.2f MiB", bytes / (1024.0 * 1024));
  } else if (bytes >= 1024.0) {
    std::snprintf(buf, sizeof buf, "%.2f KiB", bytes / 1024.0);
  } else {
    std::snprintf(buf, sizeof buf, "%.0f bytes", bytes);
  }
  return buf;
}

using Clock = std::chrono::steady_clock;

}  // namespace

// --- the session ------------------------------------------------------------------

struct TransportSession::State {
  Status setup;  // EnsureTransports()'s
  std::string url;
  Url parsed;
  TransportOptions options;
  git_remote_callbacks callbacks = GIT_REMOTE_CALLBACKS_INIT;

  // Credentials: what was given, in order, described for messages.
  std::vector<std::string> tried;
  bool ssh_candidates_listed = false;
  std::vector<std::pair<std::string, std::string>> ssh_candidates;  // (what, key file; "" = agent)
  std::size_t ssh_next = 0;
  std::vector<std::string> ssh_notes;  // e.g. STRATA_SSH_KEY names a missing file
  bool http_env_tried = false, http_helper_tried = false;
  std::string helper_reply;  // `git credential fill`'s answer, for approve / reject
  bool helper_given = false, helper_refused = false;
  bool helper_last = false;  // the last credential given came from the helper
  bool credentials_exhausted = false;
  std::vector<std::string> secrets;  // scrubbed from every message

  // The ssh host key check.
  HostKeyVerdict host_key = HostKeyVerdict::kNotChecked;
  std::string known_hosts_name;  // "host" or "[host]:port"
  std::string host_key_text;     // "ssh-ed25519 SHA256:..."
  std::vector<std::string> known_hosts_files;

  // Transfer.
  std::uint64_t received_bytes = 0;
  std::size_t received_objects = 0;
  bool over_limit = false;
  bool interrupted = false;

  // Progress line.
  Clock::time_point start = Clock::now();
  Clock::time_point last_draw{};
  bool line_open = false;  // a progress line was drawn without its newline
  std::string phase;       // what the open line shows
  std::size_t last_width = 0;
  std::set<std::string> finished;  // phases whose line ended with "done."

  ~State() {
    Wipe(helper_reply);
    for (std::string& s : secrets) Wipe(s);
  }

  void AddSecret(const std::string& s) {
    if (!s.empty()) secrets.push_back(s);
  }

  std::string Scrub(std::string message) const {
    for (const std::string& secret : secrets) {
      for (std::size_t at = message.find(secret); at != std::string::npos;
           at = message.find(secret, at)) {
        message.replace(at, secret.size(), "***");
      }
    }
    return message;
  }

  std::string ShownUrl() const { return Scrub(RedactUrl(url)); }

  // Host and port as `git credential` wants them.
  std::string CredentialHost() const {
    std::string host =
        parsed.host.find(':') != std::string::npos ? "[" + parsed.host + "]" : parsed.host;
    if (!parsed.port.empty()) host += ":" + parsed.port;
    return host;
  }

  int Fail(int code, const std::string& message) {
    git_error_set_str(GIT_ERROR_NET, Scrub(message).c_str());
    return code;
  }

  // Returns non-zero (with libgit2's error set) once the transfer must stop.
  int CheckInterrupted() {
    if (g_signal.load() == 0) return 0;
    interrupted = true;
    return Fail(GIT_EUSER, "interrupted");
  }

  // Each connection (a transfer may make more than one: a push lists the
  // remote's refs, then sends) tries the credentials afresh: one accepted
  // on the first must be offered again, and a refused one is still tried
  // at most once per connection.
  int OnConnect() {
    if (int rc = CheckInterrupted()) return rc;
    if (!setup.ok()) return Fail(GIT_ERROR, setup.message());
    tried.clear();
    ssh_next = 0;
    http_env_tried = http_helper_tried = false;
    helper_last = false;
    credentials_exhausted = false;
    return 0;
  }

  // --- credentials ---

  void ListSshCandidates() {
    if (ssh_candidates_listed) return;
    ssh_candidates_listed = true;
    const char* sock = std::getenv("SSH_AUTH_SOCK");
    struct stat st;
    if (sock && *sock && ::stat(sock, &st) == 0 && S_ISSOCK(st.st_mode)) {
      ssh_candidates.push_back({"the ssh agent", ""});
    }
    if (const char* key = std::getenv("STRATA_SSH_KEY"); key && *key) {
      if (IsFile(key)) {
        ssh_candidates.push_back({std::string("$STRATA_SSH_KEY (") + key + ")", key});
      } else {
        ssh_notes.push_back(std::string("$STRATA_SSH_KEY names ") + key + ", which is not a file");
      }
    }
    std::string home = HomeDir();
    if (!home.empty()) {
      for (const char* name : {"id_ed25519", "id_ecdsa", "id_rsa"}) {
        std::string path = home + "/.ssh/" + name;
        if (IsFile(path)) ssh_candidates.push_back({"~/.ssh/" + std::string(name), path});
      }
    }
  }

  int SshCredential(git_credential** out, const char* username_from_url, unsigned allowed) {
    std::string user = username_from_url && *username_from_url ? username_from_url
                       : !parsed.user.empty()                  ? parsed.user
                                                               : LoginName();
    if (allowed & GIT_CREDENTIAL_USERNAME && !(allowed & GIT_CREDENTIAL_SSH_KEY)) {
      return git_credential_username_new(out, user.c_str());
    }
    if (!(allowed & GIT_CREDENTIAL_SSH_KEY)) {
      credentials_exhausted = true;
      return Fail(GIT_EAUTH, "the ssh server accepts no key authentication");
    }
    ListSshCandidates();
    if (ssh_next >= ssh_candidates.size()) {
      credentials_exhausted = true;
      return Fail(GIT_EAUTH, "no ssh key was accepted");
    }
    const auto& [what, key] = ssh_candidates[ssh_next++];
    tried.push_back(what);
    if (key.empty()) return git_credential_ssh_key_from_agent(out, user.c_str());
    std::string pub = key + ".pub";
    return git_credential_ssh_key_new(out, user.c_str(), IsFile(pub) ? pub.c_str() : nullptr,
                                      key.c_str(), nullptr);
  }

  // `git credential fill` for this URL: (user, password), or nullopt.
  std::optional<std::pair<std::string, std::string>> CredentialFill(const std::string& user) {
    std::string input = "protocol=" + parsed.scheme + "\nhost=" + CredentialHost() + "\n";
    std::string path = parsed.path;
    if (!path.empty() && path.front() == '/') path.erase(0, 1);
    if (!path.empty()) input += "path=" + path + "\n";
    if (!user.empty()) input += "username=" + user + "\n";
    input += "\n";
    ProcessResult r = RunProcess({"git", "credential", "fill"}, input, HelperEnvironment());
    if (r.exit_code != 0) {
      Wipe(r.out);
      return std::nullopt;
    }
    std::string got_user, got_password;
    std::size_t pos = 0;
    while (pos < r.out.size()) {
      std::size_t end = r.out.find('\n', pos);
      if (end == std::string::npos) end = r.out.size();
      std::string_view line(r.out.data() + pos, end - pos);
      if (line.substr(0, 9) == "username=") got_user = std::string(line.substr(9));
      if (line.substr(0, 9) == "password=") got_password = std::string(line.substr(9));
      pos = end + 1;
    }
    if (got_user.empty() || got_password.empty()) {
      Wipe(r.out);
      Wipe(got_password);
      return std::nullopt;
    }
    helper_reply = std::move(r.out);
    return std::make_pair(got_user, got_password);
  }

  std::vector<std::string> HelperEnvironment() const {
    std::vector<std::string> env;
    for (std::string& e : CurrentEnvironment()) {
      if (e.rfind("GIT_TERMINAL_PROMPT=", 0) == 0) continue;
      env.push_back(std::move(e));
    }
    // A helper may ask on the terminal only when there is one to ask on.
    if (!isatty(0)) env.push_back("GIT_TERMINAL_PROMPT=0");
    return env;
  }

  int HttpCredential(git_credential** out, const char* username_from_url, unsigned allowed) {
    if (helper_last) helper_refused = true;  // asked again: the last one failed
    helper_last = false;
    if (!(allowed & GIT_CREDENTIAL_USERPASS_PLAINTEXT)) {
      credentials_exhausted = true;
      return Fail(GIT_EAUTH, "the server asks for an authentication strata does not support");
    }
    std::string url_user =
        username_from_url && *username_from_url ? username_from_url : parsed.user;
    // libgit2 offers a password written in the URL before asking here.
    if (!http_env_tried && !parsed.password.empty()) tried.push_back("the password in the URL");
    if (!http_env_tried) {
      http_env_tried = true;
      const char* password = std::getenv("STRATA_HTTP_PASSWORD");
      const char* env_user = std::getenv("STRATA_HTTP_USERNAME");
      std::string user = env_user && *env_user ? env_user : url_user;
      if (password && *password && !user.empty()) {
        AddSecret(password);
        tried.push_back("$STRATA_HTTP_USERNAME/$STRATA_HTTP_PASSWORD");
        return git_credential_userpass_plaintext_new(out, user.c_str(), password);
      }
    }
    if (!http_helper_tried) {
      http_helper_tried = true;
      if (auto cred = CredentialFill(url_user)) {
        AddSecret(cred->second);
        tried.push_back("git's credential helper");
        helper_given = true;
        helper_last = true;
        int rc =
            git_credential_userpass_plaintext_new(out, cred->first.c_str(), cred->second.c_str());
        Wipe(cred->second);
        return rc;
      }
    }
    credentials_exhausted = true;
    return Fail(GIT_EAUTH, "no credential was accepted");
  }

  // --- host keys ---

  int CheckHostKey(git_cert* cert, const char* host) {
    if (cert->cert_type != GIT_CERT_HOSTKEY_LIBSSH2) return GIT_PASSTHROUGH;  // TLS: libgit2's
    const auto* hostkey = reinterpret_cast<const git_cert_hostkey*>(cert);
    std::string name = host && *host ? host : parsed.host;
    known_hosts_name =
        parsed.port.empty() || parsed.port == "22" ? name : "[" + name + "]:" + parsed.port;
    if (!(hostkey->type & GIT_CERT_SSH_RAW) || hostkey->hostkey_len == 0) {
      host_key = HostKeyVerdict::kNoKey;
      return Fail(GIT_ECERTIFICATE, "the ssh host key of " + known_hosts_name + " is not known");
    }
    std::string blob(hostkey->hostkey, hostkey->hostkey_len);
    host_key_text = KeyTypeName(hostkey->raw_type);
    known_hosts_files.clear();
    if (hostkey->type & GIT_CERT_SSH_SHA256) {
      host_key_text +=
          " SHA256:" +
          Base64Encode(std::string_view(reinterpret_cast<const char*>(hostkey->hash_sha256), 32),
                       false);
    }
    if (const char* extra = std::getenv("STRATA_SSH_KNOWN_HOSTS"); extra && *extra) {
      known_hosts_files.push_back(extra);
    }
    std::string home = HomeDir();
    if (!home.empty()) known_hosts_files.push_back(home + "/.ssh/known_hosts");
    std::string key_b64 = Base64Encode(blob, true);
    bool other_key = false, match = false, revoked = false;
    for (const std::string& file : known_hosts_files) {
      if (!IsFile(file)) continue;
      // ssh-keygen finds hashed entries and patterns as ssh would.
      ProcessResult r =
          RunProcess({"ssh-keygen", "-F", known_hosts_name, "-f", file}, "", CurrentEnvironment());
      if (r.exit_code == 127 || r.exit_code < 0) {
        host_key = HostKeyVerdict::kNoTool;
        return Fail(GIT_ECERTIFICATE, "cannot check the ssh host key: ssh-keygen did not run");
      }
      std::size_t pos = 0;
      while (pos < r.out.size()) {
        std::size_t end = r.out.find('\n', pos);
        if (end == std::string::npos) end = r.out.size();
        std::vector<std::string> f = Fields(std::string_view(r.out).substr(pos, end - pos));
        pos = end + 1;
        if (f.empty() || f[0][0] == '#') continue;
        std::string marker;
        if (f[0][0] == '@') {
          marker = f[0];
          f.erase(f.begin());
        }
        if (f.size() < 3 || marker == "@cert-authority") continue;
        if (f[2] == key_b64) {
          (marker == "@revoked" ? revoked : match) = true;
        } else if (marker.empty()) {
          other_key = true;
        }
      }
    }
    if (revoked) {
      host_key = HostKeyVerdict::kRevoked;
    } else if (match) {
      host_key = HostKeyVerdict::kKnown;
      return 0;
    } else {
      host_key = other_key ? HostKeyVerdict::kChanged : HostKeyVerdict::kUnknown;
    }
    return Fail(GIT_ECERTIFICATE, "the ssh host key of " + known_hosts_name + " was refused");
  }

  // --- progress ---

  // Draws (or redraws) the line of `phase_now`; `done` ends it for good:
  // libgit2 may report a finished phase again, and it is not drawn twice.
  void Draw(const std::string& phase_now, const std::string& text, bool done) {
    if (!options.progress || finished.count(phase_now)) return;
    Clock::time_point now = Clock::now();
    if (phase_now != phase) {
      if (line_open) std::fputc('\n', stderr);
      line_open = false;
      phase = phase_now;
    } else if (!done && now - last_draw < std::chrono::milliseconds(100)) {
      return;
    }
    last_draw = now;
    std::string line = phase_now + ": " + text;
    if (done) line += ", done.";
    std::size_t width = line.size();
    if (width < last_width) line.append(last_width - width, ' ');
    last_width = width;
    std::fprintf(stderr, "\r%s", line.c_str());
    if (done) {
      finished.insert(phase_now);
      std::fputc('\n', stderr);
      line_open = false;
      phase.clear();
      last_width = 0;
    } else {
      line_open = true;
    }
    std::fflush(stderr);
  }

  std::string Rate(std::uint64_t bytes) const {
    double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    if (seconds < 0.001) seconds = 0.001;
    return FormatBytes(static_cast<double>(bytes)) + " | " +
           FormatBytes(static_cast<double>(bytes) / seconds) + "/s";
  }

  static std::string Counted(unsigned done, unsigned total) {
    unsigned percent = total ? static_cast<unsigned>(100ull * done / total) : 100;
    char buf[64];
    std::snprintf(buf, sizeof buf, "%3u%% (%u/%u)", percent, done, total);
    return buf;
  }

  int OnTransfer(const git_indexer_progress* stats) {
    if (int rc = CheckInterrupted()) return rc;
    received_bytes = stats->received_bytes;
    received_objects = stats->received_objects;
    if (options.max_bytes != 0 && received_bytes > options.max_bytes) {
      over_limit = true;
      return Fail(GIT_EUSER, "the transfer exceeded its size limit");
    }
    if (stats->received_objects < stats->total_objects || stats->total_deltas == 0) {
      bool done = stats->total_objects > 0 && stats->received_objects == stats->total_objects &&
                  stats->indexed_objects == stats->total_objects;
      Draw("Receiving objects",
           Counted(stats->received_objects, stats->total_objects) + ", " +
               Rate(stats->received_bytes),
           done);
    } else {
      // Every object arrived: end the receiving line (whether or not a
      // callback came before), then count the deltas.
      Draw("Receiving objects",
           Counted(stats->received_objects, stats->total_objects) + ", " +
               Rate(stats->received_bytes),
           true);
      Draw("Resolving deltas", Counted(stats->indexed_deltas, stats->total_deltas),
           stats->indexed_deltas == stats->total_deltas);
    }
    return 0;
  }

  int OnPush(unsigned current, unsigned total, std::size_t bytes) {
    if (int rc = CheckInterrupted()) return rc;
    Draw("Writing objects", Counted(current, total) + ", " + Rate(bytes),
         total > 0 && current == total);
    return 0;
  }

  // The callbacks libgit2 calls, their payload this State. An exception
  // inside (out of memory) must not unwind through libgit2: GuardedCallback
  // turns it into a failed transfer with its message.
  static State* Of(void* payload) { return static_cast<State*>(payload); }
  static int CredentialsCallback(git_credential** out, const char* /*url*/,
                                 const char* username_from_url, unsigned int allowed_types,
                                 void* payload) {
    return GuardedCallback("the transport", [&] {
      State* s = Of(payload);
      if (int rc = s->CheckInterrupted()) return rc;
      if (s->parsed.scheme == "http" || s->parsed.scheme == "https") {
        return s->HttpCredential(out, username_from_url, allowed_types);
      }
      return s->SshCredential(out, username_from_url, allowed_types);
    });
  }
  static int CertificateCheckCallback(git_cert* cert, int /*valid*/, const char* host,
                                      void* payload) {
    return GuardedCallback("the transport", [&] {
      State* s = Of(payload);
      if (int rc = s->CheckInterrupted()) return rc;
      return s->CheckHostKey(cert, host);
    });
  }
  static int TransferProgressCallback(const git_indexer_progress* stats, void* payload) {
    return GuardedCallback("the transport", [&] { return Of(payload)->OnTransfer(stats); });
  }
  static int RemoteReadyCallback(git_remote* /*remote*/, int /*direction*/, void* payload) {
    return GuardedCallback("the transport", [&] { return Of(payload)->OnConnect(); });
  }
  static int PushProgressCallback(unsigned int current, unsigned int total, size_t bytes,
                                  void* payload) {
    return GuardedCallback("the transport",
                           [&] { return Of(payload)->OnPush(current, total, bytes); });
  }
  static int PackProgressCallback(int /*stage*/, uint32_t /*current*/, uint32_t /*total*/,
                                  void* payload) {
    return GuardedCallback("the transport", [&] { return Of(payload)->CheckInterrupted(); });
  }
  // What the remote says ("remote: Counting objects...") is not shown: it
  // is the server's text, control characters included.
  static int SidebandCallback(const char* /*str*/, int /*len*/, void* payload) {
    return GuardedCallback("the transport", [&] { return Of(payload)->CheckInterrupted(); });
  }
};

namespace {

std::string Join(const std::vector<std::string>& items) {
  std::string out;
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i) out += i + 1 == items.size() ? " and " : ", ";
    out += items[i];
  }
  return out;
}

bool Contains(const std::string& s, std::string_view needle) {
  return s.find(needle) != std::string::npos;
}

}  // namespace

TransportSession::TransportSession(std::string url, TransportOptions options)
    : state_(std::make_unique<State>()) {
  // A failure (certificate authorities that cannot be read) stops the
  // transfer before it connects (OnConnect).
  state_->setup = EnsureTransports();
  state_->parsed = ParseUrl(url);
  state_->url = std::move(url);
  state_->options = options;
  state_->AddSecret(state_->parsed.password);
  git_remote_callbacks& cb = state_->callbacks;
  cb.credentials = State::CredentialsCallback;
  cb.certificate_check = State::CertificateCheckCallback;
  cb.transfer_progress = State::TransferProgressCallback;
  cb.push_transfer_progress = State::PushProgressCallback;
  cb.pack_progress = State::PackProgressCallback;
  cb.sideband_progress = State::SidebandCallback;
  cb.remote_ready = State::RemoteReadyCallback;
  cb.payload = state_.get();
}

TransportSession::~TransportSession() = default;

const git_remote_callbacks& TransportSession::callbacks() { return state_->callbacks; }

void TransportSession::Finish(bool ok) {
  State& s = *state_;
  if (s.line_open) {
    std::fputc('\n', stderr);
    std::fflush(stderr);
    s.line_open = false;
  }
  if (!s.helper_reply.empty()) {
    // As git does: a credential that worked is stored, one that was refused
    // is forgotten; a transfer that failed for another reason says nothing.
    if (ok && !s.helper_refused) {
      RunProcess({"git", "credential", "approve"}, s.helper_reply, s.HelperEnvironment());
    } else if (s.helper_refused) {
      RunProcess({"git", "credential", "reject"}, s.helper_reply, s.HelperEnvironment());
    }
    Wipe(s.helper_reply);
  }
}

Status TransportSession::Explain(const Status& status) const {
  const State& s = *state_;
  if (status.ok()) return status;
  const std::string url = s.ShownUrl();
  if (s.interrupted || Interrupted()) {
    int sig = g_signal.load();
    return Status::IOError(std::string("interrupted by ") +
                           (sig == SIGTERM ? "SIGTERM" : "SIGINT") + ": the transfer with " + url +
                           " stopped before it completed; run the command again to complete it");
  }
  if (s.over_limit) {
    return Status::InvalidArgument("the transfer from " + url + " exceeded the limit of " +
                                   std::to_string(s.options.max_bytes) + " bytes (" +
                                   std::to_string(s.received_bytes) + " received) and was stopped");
  }
  const std::string& host = s.known_hosts_name;
  std::string files =
      s.known_hosts_files.empty() ? "~/.ssh/known_hosts" : Join(s.known_hosts_files);
  std::string port_opt =
      s.parsed.port.empty() || s.parsed.port == "22" ? "" : "-p " + s.parsed.port + " ";
  switch (s.host_key) {
    case HostKeyVerdict::kUnknown:
      return Status::IOError("the ssh host key of " + host + " (" + s.host_key_text +
                             ") is not in " + files +
                             ": check its fingerprint with the server's administrator, then add "
                             "it with `ssh-keyscan " +
                             port_opt + s.parsed.host + " >> ~/.ssh/known_hosts`");
    case HostKeyVerdict::kChanged:
      return Status::IOError("the ssh host key of " + host + " (" + s.host_key_text +
                             ") does not match the one for it in " + files +
                             ": the server changed its key, or someone is in between; if the "
                             "change is expected, remove the old entry with `ssh-keygen -R '" +
                             host + "'` and add the new one");
    case HostKeyVerdict::kRevoked:
      return Status::IOError("the ssh host key of " + host + " (" + s.host_key_text +
                             ") is marked @revoked in " + files + "; refusing to connect");
    case HostKeyVerdict::kNoKey:
      return Status::IOError("the ssh server " + host +
                             " gave no host key that can be checked; refusing to connect");
    case HostKeyVerdict::kNoTool:
      return Status::IOError("cannot check the ssh host key of " + host +
                             ": ssh-keygen (package openssh-client) did not run");
    default:
      break;
  }
  if (s.parsed.scheme == "https" && Contains(status.message(), "SSL certificate is invalid")) {
    return Status::IOError(status.message() +
                           " (a server whose certificate a private authority signed: set "
                           "$GIT_SSL_CAINFO to that authority's certificate, PEM, as for git)");
  }
  if (s.credentials_exhausted ||
      Contains(status.message(), "too many redirects or authentication replays")) {
    bool http = s.parsed.scheme == "http" || s.parsed.scheme == "https";
    if (s.tried.empty()) {
      if (http) {
        return Status::InvalidArgument(
            url +
            " asks for a user name and password and none was found: set "
            "$STRATA_HTTP_USERNAME and $STRATA_HTTP_PASSWORD, or configure a git credential "
            "helper (git config --global credential.helper store)");
      }
      std::string notes = s.ssh_notes.empty() ? "" : " (" + Join(s.ssh_notes) + ")";
      return Status::InvalidArgument(
          url + " asks for an ssh key and none was found" + notes +
          ": start an ssh agent with your key, set $STRATA_SSH_KEY to a private key file, or "
          "create ~/.ssh/id_ed25519");
    }
    return Status::InvalidArgument("authentication to " + url + " failed: the server refused " +
                                   Join(s.tried) +
                                   (s.tried.size() > 1 ? " (each tried once)" : " (tried once)") +
                                   (http ? "; check the user name and password"
                                         : "; check that the server has your public key"));
  }
  // libgit2's own words, made to say what to do.
  std::string message = s.Scrub(status.message());
  std::string hint;
  if (Contains(message, "Connection refused") || Contains(message, "failed to connect")) {
    hint = "is a server listening at " + s.CredentialHost() + "?";
  } else if (Contains(message, "failed to resolve address")) {
    hint = "check the host name in " + url;
  } else if (Contains(message, "status code: 404") || Contains(message, "not found") ||
             Contains(message, "does not appear to be a git repository") ||
             Contains(message, "repository not exported")) {
    hint = "is there a repository at " + url + "?";
  } else if (Contains(message, "status code: 401") || Contains(message, "status code: 403")) {
    hint = "the server refused access to " + url;
  } else if (Contains(message, "non-fastforwardable") || Contains(message, "not present locally")) {
    hint = "the remote has versions this repository does not have: pull first, then push";
  } else if (Contains(message, "unsupported URL protocol")) {
    hint = "strata speaks file://, git://, http(s):// and ssh://";
  } else if (Contains(message, "early EOF") || Contains(message, "unexpected EOF") ||
             Contains(message, "connection reset") || Contains(message, "timed out")) {
    hint = "the connection to " + url + " dropped; run the command again to complete it";
  }
  if (!hint.empty()) message += " (" + hint + ")";
  return Status(status.code(), message);
}

std::uint64_t TransportSession::received_bytes() const { return state_->received_bytes; }
std::size_t TransportSession::received_objects() const { return state_->received_objects; }

void InstallInterruptHandler() {
  struct sigaction sa {};
  sa.sa_handler = OnInterrupt;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
}

bool Interrupted() { return g_signal.load() != 0; }

}  // namespace strata
