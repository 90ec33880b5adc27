#include "objects/spare_files.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <map>
#include <memory>
#include <mutex>
#include <new>
#include <random>
#include <vector>

#include "objects/file_io.h"

namespace strata {

std::uint64_t SpareRandom() {
  // Seeded once a thread from the kernel, without allocating (as
  // std::random_device may).
  static thread_local std::mt19937_64 random{[] {
    std::uint64_t seed = 0;
    if (::getrandom(&seed, sizeof seed, GRND_NONBLOCK) != sizeof seed) {
      seed =
          static_cast<std::uint64_t>(::getpid()) << 32 ^
          static_cast<std::uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
    }
    return seed;
  }()};
  return random();
}

namespace {

constexpr const char* kRetired = "/retired";
constexpr const char* kMaking = "/making";
constexpr const char* kSparePrefix = "s-";
constexpr const char* kRetiredPrefix = "r-";
// A process that found no spare lists the folder again after this many
// claims (another process's gc may have made some meanwhile).
constexpr unsigned kRelistEvery = 64;

// The names of a spare folder's spares as this process last listed them,
// the ones not yet claimed.
struct Pool {
  std::vector<std::string> names;
  bool listed = false;
  bool disabled = false;  // renameat2 refused (another file system, or none)
  unsigned misses = 0;
};

std::mutex pools_mutex;
std::map<std::string, Pool>& Pools() {
  // Never destroyed (a thread may write while the process exits), and made
  // without allocating: the allocation-failure tests count allocations.
  alignas(std::map<std::string, Pool>) static unsigned char
      storage[sizeof(std::map<std::string, Pool>)];
  static auto* pools = new (storage) std::map<std::string, Pool>();
  return *pools;
}

std::vector<std::string> NamesIn(const std::string& dir, const char* prefix) {
  std::vector<std::string> names;
  std::unique_ptr<DIR, int (*)(DIR*)> d(::opendir(dir.c_str()), &::closedir);
  if (!d) return names;
  const std::string_view want(prefix);
  while (const dirent* e = ::readdir(d.get())) {
    if (std::string_view(e->d_name).substr(0, want.size()) == want) names.emplace_back(e->d_name);
  }
  return names;
}

// Sixteen hex digits no other name here is likely to have.
std::string RandomName(const char* prefix) {
  char text[32];
  std::snprintf(text, sizeof text, "%s%016llx", prefix,
                static_cast<unsigned long long>(SpareRandom()));
  return text;
}

}  // namespace

std::string SpareDirOfPackDir(const std::string& pack_dir) {
  constexpr std::string_view kTail = "/objects/pack";
  std::string_view dir(pack_dir);
  while (dir.size() > 1 && dir.back() == '/') dir.remove_suffix(1);
  if (dir.size() <= kTail.size() || dir.substr(dir.size() - kTail.size()) != kTail) return "";
  return std::string(dir.substr(0, dir.size() - kTail.size())) + "/spare";
}

int ClaimSpareFile(const std::string& spare_dir, const std::string& path) {
  if (spare_dir.empty()) {
    errno = 0;
    return -1;
  }
  std::lock_guard<std::mutex> guard(pools_mutex);
  Pool& pool = Pools()[spare_dir];
  if (pool.disabled) {
    errno = 0;
    return -1;
  }
  if (pool.names.empty() && (!pool.listed || ++pool.misses % kRelistEvery == 0)) {
    pool.names = NamesIn(spare_dir, kSparePrefix);
    pool.listed = true;
  }
  while (!pool.names.empty()) {
    const std::string from = spare_dir + "/" + pool.names.back();
    if (::renameat2(AT_FDCWD, from.c_str(), AT_FDCWD, path.c_str(), RENAME_NOREPLACE) != 0) {
      const int error = errno;
      if (error == ENOENT) {  // another process claimed it
        pool.names.pop_back();
        continue;
      }
      if (error == EEXIST) {  // `path` is there: the spare stays
        errno = EEXIST;
        return -1;
      }
      // EXDEV (the spare folder is on another file system), EINVAL or
      // ENOSYS (no RENAME_NOREPLACE here): create files, as before.
      pool.disabled = true;
      errno = 0;
      return -1;
    }
    pool.names.pop_back();
    const int fd = ::open(path.c_str(), O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
    struct stat st {};
    if (fd >= 0 && ::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_nlink == 1 &&
        st.st_size == 0) {
      return fd;
    }
    // Not a spare as gc makes them (written to, linked elsewhere, not a
    // file): the name it got goes, and with it nothing another name keeps.
    if (fd >= 0) ::close(fd);
    ::unlink(path.c_str());
  }
  errno = 0;
  return -1;
}

void RetireFile(const std::string& spare_dir, const std::string& path) {
  if (spare_dir.empty()) return;
  const std::string to = spare_dir + kRetired + "/" + RandomName(kRetiredPrefix);
  if (::link(path.c_str(), to.c_str()) != 0) {
    // No retired folder (made by gc), or another file system: the rename
    // frees the file, as it did before spares.
  }
}

Status RemoveRetiredFiles(const std::string& spare_dir) {
  const std::string retired = spare_dir + kRetired;
  for (const std::string& name : NamesIn(retired, kRetiredPrefix)) {
    const std::string path = retired + "/" + name;
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
      return Status::IOError("cannot remove " + path + ": " + Errno());
    }
  }
  return Status::Ok();
}

Status TopUpSpareFiles(const std::string& spare_dir, std::size_t count) {
  if (spare_dir.empty()) return Status::Ok();
  const std::string retired = spare_dir + kRetired;
  const std::string making = spare_dir + kMaking;
  for (const std::string& dir : {spare_dir, retired, making}) {
    if (::mkdir(dir.c_str(), 0777) != 0 && errno != EEXIST) {
      return Status::IOError("cannot create " + dir + ": " + Errno());
    }
  }
  // Each spare is made in a folder of its own, then renamed into the
  // spare folder: creating a file holds its folder's lock for as long as
  // the file system takes to find an inode (up to ~2 ms on this disk after
  // removals), and writes claiming spares from the spare folder meanwhile
  // (automatic gc makes them on another thread) would wait that long.
  // What a killed top-up left there is used too.
  std::vector<std::string> made = NamesIn(making, kSparePrefix);
  std::size_t have = NamesIn(spare_dir, kSparePrefix).size();
  while (have < count) {
    std::string name;
    if (!made.empty()) {
      name = std::move(made.back());
      made.pop_back();
    } else {
      name = RandomName(kSparePrefix);
      const std::string path = making + "/" + name;
      Fd file(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666));
      if (file.fd < 0) {
        if (errno == EEXIST) continue;
        return Status::IOError("cannot create " + path + ": " + Errno());
      }
    }
    const std::string from = making + "/" + name, to = spare_dir + "/" + name;
    if (::renameat2(AT_FDCWD, from.c_str(), AT_FDCWD, to.c_str(), RENAME_NOREPLACE) != 0) {
      if (errno == EEXIST || errno == ENOENT) continue;  // taken, or gone: another
      return Status::IOError("cannot rename " + from + " to " + to + ": " + Errno());
    }
    ++have;
  }
  // This process lists the folder again at its next claim.
  std::lock_guard<std::mutex> guard(pools_mutex);
  Pools().erase(spare_dir);
  return Status::Ok();
}

std::vector<std::string> RetiredFiles(const std::string& spare_dir) {
  const std::string retired = spare_dir + kRetired;
  std::vector<std::string> paths = NamesIn(retired, kRetiredPrefix);
  for (std::string& name : paths) name = retired + "/" + name;
  return paths;
}

std::string MoveToRetired(const std::string& spare_dir, const std::string& path) {
  if (spare_dir.empty()) return "";
  std::string to = spare_dir + kRetired + "/" + RandomName(kRetiredPrefix);
  // A name another file took (one in 2^64) is not replaced.
  for (int attempt = 0; attempt < 2; ++attempt) {
    if (::renameat2(AT_FDCWD, path.c_str(), AT_FDCWD, to.c_str(), RENAME_NOREPLACE) == 0) return to;
    if (errno != ENOENT || attempt > 0) break;
    // No retired folder yet (gc makes it), or `path` is gone (then the
    // second attempt fails too).
    for (const std::string& dir : {spare_dir, spare_dir + kRetired}) {
      if (::mkdir(dir.c_str(), 0777) != 0 && errno != EEXIST) return "";
    }
  }
  return "";
}

void SpareKeeper::Start(std::string spare_dir, std::vector<std::string> remove) {
  Wait();
  auto work = [spare_dir = std::move(spare_dir), remove = std::move(remove)] {
    try {
      static_cast<void>(TopUpSpareFiles(spare_dir));
      for (const std::string& path : remove) ::unlink(path.c_str());
    } catch (...) {
      // Out of memory: the next gc does what is left.
    }
  };
  try {
    thread_ = std::thread(work);  // a copy: `work` stays whole if this throws
  } catch (...) {
    work();  // no thread to be had: done here, as gc did before
  }
}

void SpareKeeper::Wait() {
  if (thread_.joinable()) thread_.join();
}

SpareCount CountSpareFiles(const std::string& spare_dir) {
  return SpareCount{NamesIn(spare_dir, kSparePrefix).size(),
                    NamesIn(spare_dir + kRetired, kRetiredPrefix).size()};
}

}  // namespace strata
