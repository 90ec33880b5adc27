// libgit2_floor: the least a process that reads through Debian's libgit2 can
// cost, for the start-up row of docs/performance.md (bench/startup.py).
//
//   libgit2_floor GIT_DIR REV:PATH     prints that blob, as `git cat-file -p`
//
// It loads libgit2 and its dependency closure (mbedTLS, libssh2, OpenSSL's
// libcrypto, Kerberos...), initialises it, opens the repository and reads
// one blob: nothing of strata's. strata's own start-up is this plus its own
// libraries and work; git's is a binary that links little more than zlib.
// Like strata (objects/git.cc), it skips mbedTLS's parse of the CA bundle in
// git_libgit2_init: it never connects anywhere.
//
// Built twice (bench/CMakeLists.txt): libgit2_floor links Debian's shared
// libgit2; libgit2_floor_static links it in as the strata executable does
// (STRATA_STATIC_LIBGIT2), where ld's --wrap sends libgit2's calls to the
// __wrap_ definitions and the weak plain ones give way to mbedTLS's own.
#include <git2.h>

#include <cstddef>
#include <cstdio>

extern "C" __attribute__((weak)) int mbedtls_x509_crt_parse_file(void*, const char*) { return 0; }
extern "C" __attribute__((weak)) int mbedtls_x509_crt_parse_path(void*, const char*) { return 0; }
extern "C" int __wrap_mbedtls_x509_crt_parse_file(void*, const char*) { return 0; }
extern "C" int __wrap_mbedtls_x509_crt_parse_path(void*, const char*) { return 0; }
// libssh2's start-up is left as libgit2 does it (strata defers it).
extern "C" int __real_libssh2_init(int) __attribute__((weak));
extern "C" int __wrap_libssh2_init(int flags) { return __real_libssh2_init(flags); }
// So is mbedTLS's random generator (strata defers it too).
extern "C" void __real_mbedtls_entropy_init(void*) __attribute__((weak));
extern "C" void __wrap_mbedtls_entropy_init(void* context) { __real_mbedtls_entropy_init(context); }
using EntropyFn = int (*)(void*, unsigned char*, std::size_t);
extern "C" int __real_mbedtls_ctr_drbg_seed(void*, EntropyFn, void*, const unsigned char*,
                                            std::size_t) __attribute__((weak));
extern "C" int __wrap_mbedtls_ctr_drbg_seed(void* drbg, EntropyFn source, void* source_context,
                                            const unsigned char* custom, std::size_t length) {
  return __real_mbedtls_ctr_drbg_seed(drbg, source, source_context, custom, length);
}

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: libgit2_floor GIT_DIR REV:PATH\n");
    return 2;
  }
  git_libgit2_init();
  git_repository* repo = nullptr;
  git_object* object = nullptr;
  if (git_repository_open_bare(&repo, argv[1]) < 0 ||
      git_revparse_single(&object, repo, argv[2]) < 0 ||
      git_object_type(object) != GIT_OBJECT_BLOB) {
    std::fprintf(stderr, "libgit2_floor: cannot read %s\n", argv[2]);
    return 1;
  }
  const auto* blob = reinterpret_cast<const git_blob*>(object);
  std::fwrite(git_blob_rawcontent(blob), 1, static_cast<std::size_t>(git_blob_rawsize(blob)),
              stdout);
  git_object_free(object);
  git_repository_free(repo);
  git_libgit2_shutdown();
  return 0;
}
