/* fault_shim: an LD_PRELOAD library that makes chosen system calls fail, so
 * tests can show what strata does when a disk fills up or a device fails.
 *
 *   STRATA_FAULT=SPEC[,SPEC...]   SPEC := CALL:ERRNO[:nth=N|:after=N]
 *                                      |  count            (log calls, fail none)
 *     CALL  open (counted only with O_CREAT), write, pwrite, writev, fsync,
 *           fdatasync, close, rename, link, mkdir, ftruncate
 *           (each with the variants glibc exports: open64, openat, openat64,
 *           creat, creat64, pwrite64, pwritev, renameat, renameat2, ...)
 *     ERRNO ENOSPC, EIO, EACCES, EDQUOT, EFBIG, EROFS, ENOMEM, EPERM
 *     nth=N  only the Nth matching call fails (1-based)
 *     after=N  the first N succeed, every later one fails (default after=0)
 *   STRATA_FAULT_PATH=PREFIX  only calls on files under PREFIX count: open,
 *           rename, link, mkdir by their path; fd calls (write, fsync, close,
 *           ...) on fds that an open under PREFIX returned (close: only fds
 *           opened for writing). Unset: every call.
 *   STRATA_FAULT_LOG=FILE     one line per counted call that failed (and, with
 *           "count", per counted call): "CALL #N PATH errno=NAME" or
 *           "CALL #N PATH ok". Appended with O_APPEND, so child processes
 *           (hooks) add to the same file.
 *
 * Counting is per SPEC and per process. A failing close still closes the fd
 * (as Linux does), so the process does not leak it. Calls glibc makes to
 * itself (fwrite's flush, say) do not pass through here.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

enum call {
  C_OPEN,
  C_WRITE,
  C_PWRITE,
  C_WRITEV,
  C_FSYNC,
  C_FDATASYNC,
  C_CLOSE,
  C_RENAME,
  C_LINK,
  C_MKDIR,
  C_FTRUNCATE,
  C_COUNT
};
static const char* const kCallNames[C_COUNT] = {"open",      "write", "pwrite", "writev",
                                                "fsync",     "fdatasync", "close", "rename",
                                                "link",      "mkdir", "ftruncate"};

struct spec {
  int call;
  int err;
  long nth;    /* > 0: only this call fails */
  long after;  /* nth == 0: calls after this many fail */
  long seen;
};

#define MAX_SPECS 16
#define MAX_FDS 4096
static struct spec specs[MAX_SPECS];
static int nspecs = -1; /* -1: not parsed yet */
static int count_only;
static char prefix[PATH_MAX];
static size_t prefix_len;
static char log_path[PATH_MAX];
static char* fd_path[MAX_FDS]; /* fds opened under the prefix, with their path */
static unsigned char fd_writable[MAX_FDS]; /* opened for writing: close counts */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static __thread int in_shim; /* our own calls (the log) are not counted */

static int ErrnoByName(const char* name) {
  static const struct {
    const char* name;
    int value;
  } table[] = {{"ENOSPC", ENOSPC}, {"EIO", EIO},     {"EACCES", EACCES}, {"EDQUOT", EDQUOT},
               {"EFBIG", EFBIG},   {"EROFS", EROFS}, {"ENOMEM", ENOMEM}, {"EPERM", EPERM}};
  for (size_t i = 0; i < sizeof table / sizeof table[0]; ++i) {
    if (strcmp(name, table[i].name) == 0) return table[i].value;
  }
  return 0;
}

static const char* ErrnoName(int err) {
  switch (err) {
    case ENOSPC: return "ENOSPC";
    case EIO: return "EIO";
    case EACCES: return "EACCES";
    case EDQUOT: return "EDQUOT";
    case EFBIG: return "EFBIG";
    case EROFS: return "EROFS";
    case ENOMEM: return "ENOMEM";
    case EPERM: return "EPERM";
    default: return "?";
  }
}

static void Die(const char* what, const char* spec) {
  char msg[512];
  int n = snprintf(msg, sizeof msg, "fault_shim: bad STRATA_FAULT (%s): %s\n", what, spec);
  if (n > 0) (void)!write(2, msg, (size_t)n < sizeof msg ? (size_t)n : sizeof msg - 1);
  _exit(99);
}

/* Parses the environment once; called under `lock`. */
static void Parse(void) {
  if (nspecs >= 0) return;
  nspecs = 0;
  const char* env = getenv("STRATA_FAULT");
  const char* p = getenv("STRATA_FAULT_PATH");
  if (p && *p && strlen(p) < sizeof prefix) {
    strcpy(prefix, p);
    prefix_len = strlen(prefix);
  }
  const char* l = getenv("STRATA_FAULT_LOG");
  if (l && strlen(l) < sizeof log_path) strcpy(log_path, l);
  if (!env || !*env) return;
  char buf[1024];
  if (strlen(env) >= sizeof buf) Die("too long", env);
  strcpy(buf, env);
  char* save = NULL;
  for (char* item = strtok_r(buf, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
    if (strcmp(item, "count") == 0) {
      count_only = 1;
      continue;
    }
    if (nspecs == MAX_SPECS) Die("too many specs", env);
    struct spec s = {-1, 0, 0, 0, 0};
    char* save2 = NULL;
    char* name = strtok_r(item, ":", &save2);
    for (int c = 0; name && c < C_COUNT; ++c) {
      if (strcmp(name, kCallNames[c]) == 0) s.call = c;
    }
    if (s.call < 0) Die("unknown call", env);
    char* err = strtok_r(NULL, ":", &save2);
    if (!err || !(s.err = ErrnoByName(err))) Die("unknown errno", env);
    for (char* opt = strtok_r(NULL, ":", &save2); opt; opt = strtok_r(NULL, ":", &save2)) {
      if (strncmp(opt, "nth=", 4) == 0) {
        s.nth = atol(opt + 4);
        if (s.nth <= 0) Die("nth must be at least 1", env);
      } else if (strncmp(opt, "after=", 6) == 0) {
        s.after = atol(opt + 6);
      } else {
        Die("unknown option", env);
      }
    }
    specs[nspecs++] = s;
  }
}

static void Log(int call, long n, const char* path, int err) {
  if (!log_path[0]) return;
  char line[PATH_MAX + 128];
  int len = snprintf(line, sizeof line, "%s #%ld %s %s%s\n", kCallNames[call], n,
                     path ? path : "-", err ? "errno=" : "ok", err ? ErrnoName(err) : "");
  if (len <= 0) return;
  if ((size_t)len >= sizeof line) len = (int)sizeof line - 1;
  in_shim = 1;
  int fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd >= 0) {
    (void)!write(fd, line, (size_t)len);
    close(fd);
  }
  in_shim = 0;
}

/* Whether this call fails: 0, or the errno to fail it with. `path` is the
 * file it is about (for the log). Counts the call in every matching spec. */
static int Decide(int call, const char* path) {
  if (in_shim) return 0;
  pthread_mutex_lock(&lock);
  Parse();
  int fail = 0;
  long n = 0;
  for (int i = 0; i < nspecs; ++i) {
    struct spec* s = &specs[i];
    if (s->call != call) continue;
    n = ++s->seen;
    if (fail) continue;
    if (s->nth > 0 ? n == s->nth : n > s->after) fail = s->err;
  }
  static long counts[C_COUNT];
  long total = ++counts[call];
  pthread_mutex_unlock(&lock);
  if (fail) {
    Log(call, n, path, fail);
  } else if (count_only) {
    Log(call, total, path, 0);
  }
  return fail;
}

/* Whether `path` (relative to `dirfd`) is under the prefix; its absolute
 * form in `abs`. */
static int UnderPrefix(int dirfd, const char* path, char* abs, size_t abs_size) {
  if (!path) return 0;
  if (path[0] == '/') {
    if (snprintf(abs, abs_size, "%s", path) >= (int)abs_size) return 0;
  } else {
    char base[PATH_MAX];
    if (dirfd == AT_FDCWD) {
      if (!getcwd(base, sizeof base)) return 0;
    } else {
      char link[64];
      snprintf(link, sizeof link, "/proc/self/fd/%d", dirfd);
      ssize_t n = readlink(link, base, sizeof base - 1);
      if (n < 0) return 0;
      base[n] = '\0';
    }
    if (snprintf(abs, abs_size, "%s/%s", base, path) >= (int)abs_size) return 0;
  }
  if (prefix_len == 0) return 1;
  return strncmp(abs, prefix, prefix_len) == 0;
}

/* Whether calls on `fd` count; for close, only an fd opened for writing. */
static int Tracked(int fd, int for_close) {
  if (prefix_len == 0 && !for_close) return fd >= 0;
  if (fd < 0 || fd >= MAX_FDS) return 0;
  pthread_mutex_lock(&lock);
  int yes = fd_path[fd] != NULL && (!for_close || fd_writable[fd]);
  pthread_mutex_unlock(&lock);
  return yes;
}

static void Track(int fd, const char* abs, int writable) {
  if (fd < 0 || fd >= MAX_FDS) return;
  char* copy = strdup(abs);
  pthread_mutex_lock(&lock);
  free(fd_path[fd]);
  fd_path[fd] = copy;
  fd_writable[fd] = (unsigned char)writable;
  pthread_mutex_unlock(&lock);
}

static void Untrack(int fd) {
  if (fd < 0 || fd >= MAX_FDS) return;
  pthread_mutex_lock(&lock);
  free(fd_path[fd]);
  fd_path[fd] = NULL;
  pthread_mutex_unlock(&lock);
}

/* The path of a tracked fd, for the log (copied into `out`). */
static const char* FdPath(int fd, char* out, size_t size) {
  snprintf(out, size, "fd%d", fd);
  if (fd < 0 || fd >= MAX_FDS) return out;
  pthread_mutex_lock(&lock);
  if (fd_path[fd]) snprintf(out, size, "%s", fd_path[fd]);
  pthread_mutex_unlock(&lock);
  return out;
}

/* real_NAME: the next definition of NAME (glibc's), looked up once. */
#define REAL(name)                                 \
  static __typeof__(&name) real_##name;            \
  if (!real_##name) real_##name = (__typeof__(&name))dlsym(RTLD_NEXT, #name)

static void EnsureParsed(void) {
  pthread_mutex_lock(&lock);
  Parse();
  pthread_mutex_unlock(&lock);
}

/* ---- open ---------------------------------------------------------------- */

typedef int (*openat_fn)(int, const char*, int, ...);

static int OpenCommon(openat_fn real, int dirfd, const char* path, int flags, mode_t mode) {
  if (in_shim) return real(dirfd, path, flags, mode);
  EnsureParsed();
  char abs[PATH_MAX];
  int under = UnderPrefix(dirfd, path, abs, sizeof abs);
  if (under && (flags & O_CREAT)) {
    int err = Decide(C_OPEN, abs);
    if (err) {
      errno = err;
      return -1;
    }
  }
  int fd = real(dirfd, path, flags, mode);
  if (fd >= 0) {
    if (under) {
      Track(fd, abs, (flags & (O_WRONLY | O_RDWR | O_CREAT)) != 0);
    } else {
      Untrack(fd);
    }
  }
  return fd;
}

static mode_t ModeArg(int flags, va_list ap) {
  return (flags & (O_CREAT | __O_TMPFILE)) ? (mode_t)va_arg(ap, int) : 0;
}

int open(const char* path, int flags, ...) {
  REAL(openat);
  va_list ap;
  va_start(ap, flags);
  mode_t mode = ModeArg(flags, ap);
  va_end(ap);
  return OpenCommon(real_openat, AT_FDCWD, path, flags, mode);
}
int open64(const char* path, int flags, ...) {
  REAL(openat64);
  va_list ap;
  va_start(ap, flags);
  mode_t mode = ModeArg(flags, ap);
  va_end(ap);
  return OpenCommon(real_openat64, AT_FDCWD, path, flags, mode);
}
int openat(int dirfd, const char* path, int flags, ...) {
  REAL(openat);
  va_list ap;
  va_start(ap, flags);
  mode_t mode = ModeArg(flags, ap);
  va_end(ap);
  return OpenCommon(real_openat, dirfd, path, flags, mode);
}
int openat64(int dirfd, const char* path, int flags, ...) {
  REAL(openat64);
  va_list ap;
  va_start(ap, flags);
  mode_t mode = ModeArg(flags, ap);
  va_end(ap);
  return OpenCommon(real_openat64, dirfd, path, flags, mode);
}
int creat(const char* path, mode_t mode) {
  REAL(openat);
  return OpenCommon(real_openat, AT_FDCWD, path, O_CREAT | O_WRONLY | O_TRUNC, mode);
}
int creat64(const char* path, mode_t mode) {
  REAL(openat64);
  return OpenCommon(real_openat64, AT_FDCWD, path, O_CREAT | O_WRONLY | O_TRUNC, mode);
}

/* ---- calls on an fd ------------------------------------------------------ */

static int FdFault(int call, int fd) {
  if (in_shim || !Tracked(fd, call == C_CLOSE)) return 0;
  char path[PATH_MAX];
  return Decide(call, FdPath(fd, path, sizeof path));
}

#define FD_CALL(call, fd)          \
  do {                             \
    int err_ = FdFault(call, fd);  \
    if (err_) {                    \
      errno = err_;                \
      return -1;                   \
    }                              \
  } while (0)

ssize_t write(int fd, const void* buf, size_t n) {
  REAL(write);
  FD_CALL(C_WRITE, fd);
  return real_write(fd, buf, n);
}
ssize_t pwrite(int fd, const void* buf, size_t n, off_t off) {
  REAL(pwrite);
  FD_CALL(C_PWRITE, fd);
  return real_pwrite(fd, buf, n, off);
}
ssize_t pwrite64(int fd, const void* buf, size_t n, off64_t off) {
  REAL(pwrite64);
  FD_CALL(C_PWRITE, fd);
  return real_pwrite64(fd, buf, n, off);
}
ssize_t writev(int fd, const struct iovec* iov, int cnt) {
  REAL(writev);
  FD_CALL(C_WRITEV, fd);
  return real_writev(fd, iov, cnt);
}
ssize_t pwritev(int fd, const struct iovec* iov, int cnt, off_t off) {
  REAL(pwritev);
  FD_CALL(C_WRITEV, fd);
  return real_pwritev(fd, iov, cnt, off);
}
ssize_t pwritev64(int fd, const struct iovec* iov, int cnt, off64_t off) {
  REAL(pwritev64);
  FD_CALL(C_WRITEV, fd);
  return real_pwritev64(fd, iov, cnt, off);
}
int fsync(int fd) {
  REAL(fsync);
  FD_CALL(C_FSYNC, fd);
  return real_fsync(fd);
}
int fdatasync(int fd) {
  REAL(fdatasync);
  FD_CALL(C_FDATASYNC, fd);
  return real_fdatasync(fd);
}
int ftruncate(int fd, off_t len) {
  REAL(ftruncate);
  FD_CALL(C_FTRUNCATE, fd);
  return real_ftruncate(fd, len);
}
int ftruncate64(int fd, off64_t len) {
  REAL(ftruncate64);
  FD_CALL(C_FTRUNCATE, fd);
  return real_ftruncate64(fd, len);
}
int close(int fd) {
  REAL(close);
  int err = FdFault(C_CLOSE, fd);
  if (!in_shim) Untrack(fd);
  int rc = real_close(fd);
  if (err) {
    errno = err;
    return -1;
  }
  return rc;
}

/* ---- calls on paths ------------------------------------------------------ */

static int PathFault(int call, int dirfd1, const char* p1, int dirfd2, const char* p2) {
  if (in_shim) return 0;
  EnsureParsed();
  char abs1[PATH_MAX], abs2[PATH_MAX];
  int under1 = UnderPrefix(dirfd1, p1, abs1, sizeof abs1);
  int under2 = p2 && UnderPrefix(dirfd2, p2, abs2, sizeof abs2);
  if (!under1 && !under2) return 0;
  return Decide(call, under2 ? abs2 : abs1);
}

#define PATH_CALL(call, d1, p1, d2, p2)                 \
  do {                                                  \
    int err_ = PathFault(call, d1, p1, d2, p2);         \
    if (err_) {                                         \
      errno = err_;                                     \
      return -1;                                        \
    }                                                   \
  } while (0)

int rename(const char* from, const char* to) {
  REAL(rename);
  PATH_CALL(C_RENAME, AT_FDCWD, from, AT_FDCWD, to);
  return real_rename(from, to);
}
int renameat(int fd1, const char* from, int fd2, const char* to) {
  REAL(renameat);
  PATH_CALL(C_RENAME, fd1, from, fd2, to);
  return real_renameat(fd1, from, fd2, to);
}
int renameat2(int fd1, const char* from, int fd2, const char* to, unsigned flags) {
  REAL(renameat2);
  PATH_CALL(C_RENAME, fd1, from, fd2, to);
  return real_renameat2(fd1, from, fd2, to, flags);
}
int link(const char* from, const char* to) {
  REAL(link);
  PATH_CALL(C_LINK, AT_FDCWD, from, AT_FDCWD, to);
  return real_link(from, to);
}
int linkat(int fd1, const char* from, int fd2, const char* to, int flags) {
  REAL(linkat);
  PATH_CALL(C_LINK, fd1, from, fd2, to);
  return real_linkat(fd1, from, fd2, to, flags);
}
int mkdir(const char* path, mode_t mode) {
  REAL(mkdir);
  PATH_CALL(C_MKDIR, AT_FDCWD, path, AT_FDCWD, NULL);
  return real_mkdir(path, mode);
}
int mkdirat(int dirfd, const char* path, mode_t mode) {
  REAL(mkdirat);
  PATH_CALL(C_MKDIR, dirfd, path, AT_FDCWD, NULL);
  return real_mkdirat(dirfd, path, mode);
}
