// Small POSIX file helpers for the writers that manage their own files (the
// pack writer, the loose ref writer): an owned descriptor, whole writes and
// whole reads, and errno as text.
#pragma once

#include <cstddef>
#include <limits>
#include <optional>
#include <string>
#include <string_view>

#include "strata/status.h"

namespace strata {

// A file descriptor closed on scope exit.
struct Fd {
  int fd = -1;
  Fd() = default;
  explicit Fd(int f) : fd(f) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd();
  // Closes now; false if close fails (a close can report a write error too).
  bool Close();
};

// strerror(errno).
std::string Errno();

// Writes all of `data` to `fd` (retrying short writes and EINTR); an
// IOError naming `path` otherwise.
Status WriteAll(int fd, std::string_view data, const std::string& path);

// The whole of file `path`; nullopt if it cannot be opened or read (errno
// says why) or holds more than `max` bytes.
std::optional<std::string> ReadFile(const std::string& path,
                                    std::size_t max = std::numeric_limits<std::size_t>::max());

}  // namespace strata
