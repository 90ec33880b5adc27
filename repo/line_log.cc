#include "repo/line_log.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

namespace strata {

Status AppendLines(const std::string& file, std::string_view lines, std::string_view what) {
  if (lines.empty()) return Status::Ok();
  const std::string where = "cannot save " + std::string(what) + " to " + file + ": ";
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(file).parent_path(), ec);
  int fd = ::open(file.c_str(), O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0644);
  if (fd < 0) return Status::IOError(where + std::strerror(errno));
  std::string data;
  struct stat st {};
  if (::fstat(fd, &st) == 0 && st.st_size > 0) {
    char last = '\n';
    if (::pread(fd, &last, 1, st.st_size - 1) == 1 && last != '\n') data = "\n";
  }
  data += lines;
  ssize_t n = ::write(fd, data.data(), data.size());
  int err = errno;
  ::close(fd);
  if (n != static_cast<ssize_t>(data.size())) {
    return Status::IOError(where + (n < 0 ? std::strerror(err) : "short write"));
  }
  return Status::Ok();
}

}  // namespace strata
