#include "objects/git.h"

#include <dlfcn.h>
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>

#include "strata/strata.h"

namespace strata {

// Start-up without TLS. Debian's libgit2 is built with mbedTLS, whose set-up
// in git_libgit2_init parses the whole system CA bundle (about 200 KiB of PEM,
// 4-5 ms): half of what a `strata get` costs, for a certificate no local
// command uses. libgit2 1.5 has no switch for it, so strata defines
// mbedtls_x509_crt_parse_file and _path itself: libgit2 reaches them through
// the dynamic linker, which finds strata's definition first. While
// EnsureLibgit2 runs git_libgit2_init on this thread, they only note the
// location and leave the chain empty; every other call (a network transport's
// EnsureTransports, or any other code in the process) goes to mbedTLS's
// own. With a libgit2 built on OpenSSL, or one initialised before strata's,
// nothing is deferred and EnsureTransports only applies $GIT_SSL_CAINFO or
// $GIT_SSL_CAPATH when set.
//
// libssh2 likewise: git_libgit2_init calls libssh2_init, whose OpenSSL set-up
// (ENGINE_load_builtin_engines and the tables it fills) is about 1 ms of
// every command. While EnsureLibgit2 runs, strata's libssh2_init notes the
// call and returns success; EnsureTransports makes the real call before a
// network transport connects. libssh2 also initialises itself in
// libssh2_session_init if nobody has, so nothing can reach an uninitialised
// libssh2, and its libssh2_exit does nothing when it was never initialised.
//
// mbedTLS's random generator likewise: libgit2's TLS set-up seeds one at
// start-up. mbedtls_entropy_init fills HAVEGE's pool (a timing loop over
// rdtsc) and mbedtls_ctr_drbg_seed polls every source: about 0.2 ms of every
// command (perf, `strata get`: 6% of its samples), for a generator only a
// TLS handshake uses. While EnsureLibgit2 runs, strata's versions of the two
// note their arguments; EnsureTransports makes the real calls, in the same
// order, before a network transport connects. Until then the context is
// left as libgit2's static storage has it, which mbedtls_entropy_free (at
// libgit2's shutdown) and mbedtls_ctr_drbg_free accept.
//
// Two ways in, one per way of linking libgit2:
// - Shared (libstrata.so, the tests): the definitions below of
//   mbedtls_x509_crt_parse_file, _path, mbedtls_entropy_init,
//   mbedtls_ctr_drbg_seed and libssh2_init come before the
//   libraries' own in the dynamic linker's search; the real ones are found
//   with dlsym(RTLD_NEXT).
// - Static (the strata executable, STRATA_STATIC_LIBGIT2 in CMakeLists.txt):
//   the link renames every call to them to __wrap_NAME (ld --wrap=NAME), and
//   __real_NAME is the library's own. The plain definitions are weak, so the
//   library's archive member replaces them in that link instead of clashing.
namespace {

// Plain storage, no allocation: noted during libgit2's start-up, where a
// one-time allocation would be the process's (and the allocation-failure
// sweep's) to account for.
struct DeferredCertificates {
  std::mutex mutex;
  bool pending = false;  // a location was noted and nobody has set one since
  char file[4096] = {};  // "" for none
  char path[4096] = {};
};

DeferredCertificates& Deferred() {
  static DeferredCertificates d;
  return d;
}

thread_local bool deferring_network_setup = false;

// libssh2_init's flags, noted while EnsureLibgit2 ran; -1 for none.
std::atomic<int> deferred_ssh_flags{-1};

// mbedtls_ctr_drbg_seed's f_entropy.
using EntropyFn = int (*)(void*, unsigned char*, std::size_t);

// The random generator's set-up, noted while EnsureLibgit2 ran (contexts
// are opaque here: strata includes no mbedTLS header).
struct DeferredRng {
  std::mutex mutex;
  void* entropy = nullptr;  // mbedtls_entropy_init's context, if deferred
  void* drbg = nullptr;     // mbedtls_ctr_drbg_seed's, if deferred
  EntropyFn source = nullptr;
  void* source_context = nullptr;
};

DeferredRng& Rng() {
  static DeferredRng r;
  return r;
}

// `wrapped` is __real_NAME: the library's function in a static link with
// --wrap=NAME, null in any other.
template <typename Fn>
Fn RealFunction(Fn wrapped, const char* name) {
  if (wrapped != nullptr) return wrapped;
  return reinterpret_cast<Fn>(dlsym(RTLD_NEXT, name));
}

}  // namespace
}  // namespace strata

// Defined by the linker only when it wraps the name (a static libgit2).
extern "C" int __real_mbedtls_x509_crt_parse_file(void*, const char*) __attribute__((weak));
extern "C" int __real_mbedtls_x509_crt_parse_path(void*, const char*) __attribute__((weak));
extern "C" int __real_libssh2_init(int) __attribute__((weak));
extern "C" void __real_mbedtls_entropy_init(void*) __attribute__((weak));
extern "C" int __real_mbedtls_ctr_drbg_seed(void*, strata::EntropyFn, void*, const unsigned char*,
                                            std::size_t) __attribute__((weak));

namespace strata {
namespace {

int NoteOrParse(void* chain, const char* location, bool is_file) {
  using Parse = int (*)(void*, const char*);
  DeferredCertificates& d = Deferred();
  const std::size_t length = location ? std::strlen(location) : 0;
  if (deferring_network_setup && length < sizeof d.file) {
    std::lock_guard lock(d.mutex);
    std::memcpy(is_file ? d.file : d.path, location ? location : "", length + 1);
    d.pending = true;
    return 0;
  }
  {
    std::lock_guard lock(d.mutex);
    d.pending = false;  // someone chose certificates: keep their choice
  }
  static Parse parse_file =
      RealFunction<Parse>(__real_mbedtls_x509_crt_parse_file, "mbedtls_x509_crt_parse_file");
  static Parse parse_path =
      RealFunction<Parse>(__real_mbedtls_x509_crt_parse_path, "mbedtls_x509_crt_parse_path");
  Parse real = is_file ? parse_file : parse_path;
  // MBEDTLS_ERR_X509_FILE_IO_ERROR: only reachable if mbedTLS is not loaded.
  return real ? real(chain, location) : -0x2900;
}

}  // namespace
}  // namespace strata

namespace strata {
namespace {

int NoteOrInitSsh(int flags) {
  if (deferring_network_setup) {
    deferred_ssh_flags = flags;
    return 0;
  }
  using Init = int (*)(int);
  static Init real = RealFunction<Init>(__real_libssh2_init, "libssh2_init");
  // LIBSSH2_ERROR_ALLOC: only reachable if libssh2 is not loaded.
  return real ? real(flags) : -6;
}

using EntropyInit = void (*)(void*);
using DrbgSeed = int (*)(void*, EntropyFn, void*, const unsigned char*, std::size_t);

EntropyInit RealEntropyInit() {
  static EntropyInit real =
      RealFunction<EntropyInit>(__real_mbedtls_entropy_init, "mbedtls_entropy_init");
  return real;
}

DrbgSeed RealDrbgSeed() {
  static DrbgSeed real =
      RealFunction<DrbgSeed>(__real_mbedtls_ctr_drbg_seed, "mbedtls_ctr_drbg_seed");
  return real;
}

void NoteOrInitEntropy(void* context) {
  if (deferring_network_setup) {
    std::lock_guard lock(Rng().mutex);
    Rng().entropy = context;
    return;
  }
  if (EntropyInit real = RealEntropyInit()) real(context);
}

int NoteOrSeed(void* drbg, EntropyFn source, void* source_context, const unsigned char* custom,
               std::size_t length) {
  // libgit2 passes no personalisation string; one would have to be copied.
  if (deferring_network_setup && custom == nullptr) {
    std::lock_guard lock(Rng().mutex);
    Rng().drbg = drbg;
    Rng().source = source;
    Rng().source_context = source_context;
    return 0;
  }
  DrbgSeed real = RealDrbgSeed();
  // MBEDTLS_ERR_CTR_DRBG_ENTROPY_SOURCE_FAILED: only if mbedTLS is not loaded.
  return real ? real(drbg, source, source_context, custom, length) : -0x0034;
}

// Makes the calls NoteOrInitEntropy and NoteOrSeed deferred, in libgit2's
// order; an error if the seeding fails (no entropy), as libgit2's start-up
// would have failed.
Status SetUpRng() {
  DeferredRng& r = Rng();
  std::lock_guard lock(r.mutex);
  if (r.entropy != nullptr) {
    if (EntropyInit real = RealEntropyInit()) real(r.entropy);
    r.entropy = nullptr;
  }
  if (r.drbg != nullptr) {
    DrbgSeed real = RealDrbgSeed();
    const int rc = real ? real(r.drbg, r.source, r.source_context, nullptr, 0) : -0x0034;
    r.drbg = nullptr;
    if (rc != 0) {
      return Status::IOError("cannot seed the TLS random generator (mbedTLS error " +
                             std::to_string(rc) + ")");
    }
  }
  return Status::Ok();
}

}  // namespace
}  // namespace strata

extern "C" __attribute__((weak)) void mbedtls_entropy_init(void* context) {
  strata::NoteOrInitEntropy(context);
}
extern "C" __attribute__((weak)) int mbedtls_ctr_drbg_seed(void* drbg, strata::EntropyFn source,
                                                           void* source_context,
                                                           const unsigned char* custom,
                                                           std::size_t length) {
  return strata::NoteOrSeed(drbg, source, source_context, custom, length);
}
extern "C" void __wrap_mbedtls_entropy_init(void* context) { strata::NoteOrInitEntropy(context); }
extern "C" int __wrap_mbedtls_ctr_drbg_seed(void* drbg, strata::EntropyFn source,
                                            void* source_context, const unsigned char* custom,
                                            std::size_t length) {
  return strata::NoteOrSeed(drbg, source, source_context, custom, length);
}

extern "C" __attribute__((weak)) int mbedtls_x509_crt_parse_file(void* chain, const char* path) {
  return strata::NoteOrParse(chain, path, true);
}
extern "C" __attribute__((weak)) int mbedtls_x509_crt_parse_path(void* chain, const char* path) {
  return strata::NoteOrParse(chain, path, false);
}
extern "C" __attribute__((weak)) int libssh2_init(int flags) {
  return strata::NoteOrInitSsh(flags);
}

extern "C" int __wrap_mbedtls_x509_crt_parse_file(void* chain, const char* path) {
  return strata::NoteOrParse(chain, path, true);
}
extern "C" int __wrap_mbedtls_x509_crt_parse_path(void* chain, const char* path) {
  return strata::NoteOrParse(chain, path, false);
}
extern "C" int __wrap_libssh2_init(int flags) { return strata::NoteOrInitSsh(flags); }

namespace strata {

Status EnsureTransports() {
  EnsureLibgit2();
  static std::once_flag once;
  static Status certificates;
  std::call_once(once, [] {
    // libssh2 and the random generator first: libgit2's ssh and TLS
    // transports expect them set up, and nothing below can skip them.
    if (const int flags = deferred_ssh_flags.exchange(-1); flags >= 0) NoteOrInitSsh(flags);
    certificates = SetUpRng();
    if (!certificates.ok()) return;
    DeferredCertificates& d = Deferred();
    std::string file, path;
    {
      std::lock_guard lock(d.mutex);
      file = d.file;
      path = d.path;
      const bool pending = d.pending;
      d.pending = false;
      // git's variables name the certificate authorities to trust instead
      // of the system's (a private server's own CA), as they do for git.
      const char* env_file = std::getenv("GIT_SSL_CAINFO");
      const char* env_path = std::getenv("GIT_SSL_CAPATH");
      if ((env_file && *env_file) || (env_path && *env_path)) {
        file = env_file ? env_file : "";
        path = env_path ? env_path : "";
      } else if (!pending) {
        return;
      }
    }
    // Parses them now, through mbedTLS (not deferring on this thread). A
    // failure leaves the chain empty, as libgit2's own start-up would, and
    // is returned to every transport, which stops before it connects.
    if (git_libgit2_opts(GIT_OPT_SET_SSL_CERT_LOCATIONS, file.empty() ? nullptr : file.c_str(),
                         path.empty() ? nullptr : path.c_str()) < 0) {
      certificates = GitError(
          -1, "cannot load the certificate authorities from " + (file.empty() ? path : file));
    }
  });
  return certificates;
}

bool SshSetUpDeferred() { return deferred_ssh_flags.load() >= 0; }

bool RngSetUpDeferred() {
  std::lock_guard lock(Rng().mutex);
  return Rng().entropy != nullptr || Rng().drbg != nullptr;
}

namespace {

// How many packs libgit2 may hold open at once: half of the descriptors
// this process may open. libgit2 keeps one descriptor for every pack it
// has read, with no limit by default, so a repository of more packs than
// that (automatic gc off: every write is a pack) could not be read whole:
// under `ulimit -n 128`, a history of 300 versions failed with "Too many
// open files", reported as missing versions (t2100). Past this
// bound libgit2 closes the pack used longest ago, and opens it again when
// it is read; git bounds its packs by the same limit (packfile.c).
std::size_t PackFileLimit() {
  struct rlimit limit {};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY) return 4096;
  return static_cast<std::size_t>(std::clamp<rlim_t>(limit.rlim_cur / 2, 8, 4096));
}

}  // namespace

void EnsureLibgit2() {
  static std::once_flag once;
  std::call_once(once, [] {
    deferring_network_setup = true;
    git_libgit2_init();
    deferring_network_setup = false;
    // libgit2 does not fsync unless asked; objects are synced before the ref
    // that names them is written, because libgit2 writes them first.
    git_libgit2_opts(GIT_OPT_ENABLE_FSYNC_GITDIR, 1);
    // Hashing every object on every read costs a quarter of a diff; like git,
    // strata checks hashes when asked (strata verify), not on every read.
    git_libgit2_opts(GIT_OPT_ENABLE_STRICT_HASH_VERIFICATION, 0);
    // libgit2 caches only trees of up to 4 KiB by default, so every lookup
    // through a shard tree (hundreds of entries, tens of KiB) inflated it
    // again: a third of reading many documents from one snapshot. Trees are
    // immutable, so cache them up to 1 MiB each (the cache as a whole stays
    // bounded by libgit2's 256 MiB).
    git_libgit2_opts(GIT_OPT_SET_CACHE_OBJECT_LIMIT, GIT_OBJECT_TREE, std::size_t{1} << 20);
    git_libgit2_opts(GIT_OPT_SET_MWINDOW_FILE_LIMIT, PackFileLimit());
  });
}

namespace {
// The message of the last SetGitCorruptionError on this thread (libgit2's
// last error is per thread too).
thread_local std::string last_corruption;
}  // namespace

int SetGitCorruptionError(const std::string& message) {
  last_corruption = message;
  git_error_set_str(GIT_ERROR_ODB, message.c_str());
  return GIT_ERROR;
}

int HandOverObject(git_odb_backend* backend, std::string_view data, git_object_t type, void** out,
                   size_t* len, git_object_t* type_out) {
  char* buf = static_cast<char*>(git_odb_backend_data_alloc(backend, data.size() + 1));
  if (buf == nullptr) {
    git_error_set_oom();
    return GIT_ERROR;
  }
  std::memcpy(buf, data.data(), data.size());
  buf[data.size()] = '\0';
  *out = buf;
  *len = data.size();
  *type_out = type;
  return 0;
}

bool GitErrorIsSystem() {
  const git_error* e = git_error_last();
  return e && (e->klass == GIT_ERROR_OS || e->klass == GIT_ERROR_NOMEMORY);
}

Status GitError(int code, std::string_view what) {
  const git_error* e = git_error_last();
  std::string message(what);
  if (e && e->message) {
    message += ": ";
    message += e->message;
    if (e->klass == GIT_ERROR_ODB && !last_corruption.empty() && last_corruption == e->message) {
      return Status::Corruption(message);
    }
  }
  // Out of memory in libgit2, or in a backend of ours (a callback that
  // caught std::bad_alloc): what a failed allocation is everywhere else.
  if (e && e->klass == GIT_ERROR_NOMEMORY) return Status(Code::kResourceExhausted, message);
  if (code == GIT_ENOTFOUND) return Status::NotFound(message);
  if (code == GIT_EAMBIGUOUS || code == GIT_EINVALIDSPEC || code == GIT_EINVALID) {
    return Status::InvalidArgument(message);
  }
  if (code == GIT_EMODIFIED || code == GIT_ELOCKED || code == GIT_EEXISTS) {
    return Status::Conflict(message);
  }
  return Status::IOError(message);
}

}  // namespace strata

namespace strata {

const char* LibraryVersion() noexcept { return STRATA_LIBRARY_VERSION; }

const char* Libgit2Version() noexcept { return LIBGIT2_VERSION; }

}  // namespace strata
