#include "objects/loose_object.h"

#include <fcntl.h>
#include <unistd.h>
#include <zlib.h>

#include <cerrno>
#include <cstring>

namespace strata {
namespace {

// Reads a whole file; nullopt if it does not exist.
Result<std::optional<std::string>> ReadWholeFile(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return std::optional<std::string>();
    return Status::IOError("cannot open " + path + ": " + std::strerror(errno));
  }
  std::string out;
  char buf[1 << 16];
  while (true) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      ::close(fd);
      return Status::IOError("cannot read " + path + ": " + std::strerror(err));
    }
    if (n == 0) break;
    out.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return std::optional<std::string>(std::move(out));
}

}  // namespace

Result<RawObject> ParseLooseObject(std::string_view compressed, const std::string& name) {
  auto bad = [&](const std::string& why) {
    return Status::Corruption("loose object " + name + " is damaged: " + why);
  };
  z_stream z{};
  if (inflateInit(&z) != Z_OK) return Status::IOError("cannot start zlib");
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(compressed.data()));
  z.avail_in = static_cast<uInt>(compressed.size());
  std::string out;
  char buf[1 << 16];
  int rc = Z_OK;
  while (rc == Z_OK) {
    z.next_out = reinterpret_cast<Bytef*>(buf);
    z.avail_out = sizeof buf;
    rc = inflate(&z, Z_NO_FLUSH);
    out.append(buf, sizeof buf - z.avail_out);
    // No input left and no progress: the stream ends early.
    if (rc == Z_BUF_ERROR || (rc == Z_OK && z.avail_in == 0 && z.avail_out != 0)) {
      inflateEnd(&z);
      return bad("truncated (the compressed stream ends early)");
    }
  }
  std::string zmsg = z.msg ? z.msg : "error";
  inflateEnd(&z);
  if (rc != Z_STREAM_END) return bad("not a zlib stream: " + zmsg);
  std::size_t nul = out.find('\0');
  std::size_t space = out.find(' ');
  if (nul == std::string::npos || space == std::string::npos || space > nul) {
    return bad("no object header");
  }
  RawObject obj;
  obj.type = git_object_string2type(out.substr(0, space).c_str());
  if (obj.type == GIT_OBJECT_INVALID) return bad("unknown type '" + out.substr(0, space) + "'");
  std::string size_text = out.substr(space + 1, nul - space - 1);
  if (size_text.empty() || size_text.size() > 19 ||
      size_text.find_first_not_of("0123456789") != std::string::npos ||
      std::stoull(size_text) != out.size() - nul - 1) {
    return bad("its header gives the wrong size");
  }
  obj.data = out.substr(nul + 1);
  return obj;
}

Result<RawObject> InflateLooseObject(const std::filesystem::path& file) {
  STRATA_ASSIGN_OR_RETURN(std::optional<std::string> bytes, ReadWholeFile(file.string()));
  if (!bytes) return Status::NotFound("no such file: " + file.string());
  return ParseLooseObject(*bytes, file.string());
}

Result<std::optional<RawObject>> ReadLooseObject(const std::string& objects_dir,
                                                 const ObjectId& id) {
  std::string hex = id.Hex();
  std::string path = objects_dir + "/" + hex.substr(0, 2) + "/" + hex.substr(2);
  STRATA_ASSIGN_OR_RETURN(std::optional<std::string> bytes, ReadWholeFile(path));
  if (!bytes) return std::optional<RawObject>();
  STRATA_ASSIGN_OR_RETURN(RawObject obj, ParseLooseObject(*bytes, hex + " (" + path + ")"));
  return std::optional<RawObject>(std::move(obj));
}

}  // namespace strata
