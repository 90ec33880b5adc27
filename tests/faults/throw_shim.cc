// throw_shim: an LD_PRELOAD library that makes one allocation throw, so a
// test can show that no exception a strata process meets ends it badly
// (tests/cli/t1830-exceptions.sh).
//
//   STRATA_THROW_AT=N     the Nth operator new (1-based) made after the
//                         program's first pthread_create (strata runs its
//                         commands on a thread of its own: by then static
//                         initialisation is over) throws. 0: none; count.
//   STRATA_THROW_KIND     runtime (default): std::runtime_error("injected
//                         fault"), a stand-in for a bug; bad_alloc: out of memory.
//   STRATA_THROW_LOG=FILE "fired N" appended when it throws; with N=0,
//                         "count TOTAL" at exit.
//
// Never built with sanitizers (they replace operator new themselves).
#include <dlfcn.h>
#include <pthread.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <new>
#include <stdexcept>
#include <string_view>

namespace {

std::atomic<bool> g_armed{false};
std::atomic<long> g_seen{0};
long g_at = -1;  // -1: not read yet
bool g_bad_alloc = false;
const char* g_log = nullptr;

void ReadEnvironment() {
  if (g_at >= 0) return;
  const char* at = std::getenv("STRATA_THROW_AT");
  const char* kind = std::getenv("STRATA_THROW_KIND");
  g_log = std::getenv("STRATA_THROW_LOG");
  g_bad_alloc = kind && std::string_view(kind) == "bad_alloc";
  g_at = at ? std::atol(at) : 0;
}

void Log(const char* what, long n) {
  if (!g_log) return;
  if (FILE* f = std::fopen(g_log, "a")) {
    std::fprintf(f, "%s %ld\n", what, n);
    std::fclose(f);
  }
}

struct CountAtExit {
  ~CountAtExit() {
    if (g_at == 0) Log("count", g_seen.load());
  }
} count_at_exit;

void* Allocate(std::size_t n) {
  if (g_armed.load(std::memory_order_relaxed)) {
    long k = g_seen.fetch_add(1, std::memory_order_relaxed) + 1;
    if (k == g_at) {
      Log("fired", k);
      if (g_bad_alloc) throw std::bad_alloc();
      throw std::runtime_error("injected fault");
    }
  }
  void* p = std::malloc(n ? n : 1);
  if (!p) throw std::bad_alloc();
  return p;
}

}  // namespace

extern "C" int pthread_create(pthread_t* thread, const pthread_attr_t* attr, void* (*start)(void*),
                              void* arg) {
  using Fn = int (*)(pthread_t*, const pthread_attr_t*, void* (*)(void*), void*);
  static Fn real = reinterpret_cast<Fn>(dlsym(RTLD_NEXT, "pthread_create"));
  ReadEnvironment();
  g_armed = true;
  return real(thread, attr, start, arg);
}

void* operator new(std::size_t n) { return Allocate(n); }
void* operator new[](std::size_t n) { return Allocate(n); }
void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
  try {
    return Allocate(n);
  } catch (...) {
    return nullptr;
  }
}
void* operator new[](std::size_t n, const std::nothrow_t&) noexcept {
  try {
    return Allocate(n);
  } catch (...) {
    return nullptr;
  }
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
