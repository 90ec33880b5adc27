#include "repo/journal.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <string_view>
#include <utility>
#include <vector>

#include "objects/file_io.h"
#include "objects/pack_file.h"
#include "repo/loose_ref.h"
#include "repo/transaction.h"

namespace strata {
namespace {

constexpr std::string_view kMagic = "strata-journal1\n";
constexpr std::uint32_t kRecordMagic = 0x4c4e524a;  // "JRNL"
constexpr std::uint32_t kVoidMagic = 0x44494f56;    // "VOID": a record voided, skipped
constexpr std::uint64_t kHintOffset = 512;
constexpr std::size_t kHeaderBytes = 64;
constexpr std::size_t kBootIdBytes = 36;
constexpr std::size_t kRecordHead = 24;

void Put32(std::string& out, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
void Put64(std::string& out, std::uint64_t v) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
std::uint64_t Get(std::string_view in, std::size_t at, int bytes) {
  std::uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) {
    v |= std::uint64_t{static_cast<unsigned char>(in[at + i])} << (8 * i);
  }
  return v;
}
std::uint32_t Crc(std::string_view a, std::string_view b = {}) {
  uLong crc = crc32(0, nullptr, 0);
  crc = crc32(crc, reinterpret_cast<const Bytef*>(a.data()), static_cast<uInt>(a.size()));
  crc = crc32(crc, reinterpret_cast<const Bytef*>(b.data()), static_cast<uInt>(b.size()));
  return static_cast<std::uint32_t>(crc);
}

struct Header {
  std::uint64_t generation = 0;
  std::string boot_id;
};

std::string EncodeHeader(const Header& h) {
  std::string out(kMagic);
  Put64(out, h.generation);
  std::string boot = h.boot_id.substr(0, kBootIdBytes);
  boot.resize(kBootIdBytes, '\0');
  out += boot;
  Put32(out, Crc(out));
  return out;
}

std::optional<Header> DecodeHeader(std::string_view in) {
  if (in.size() < kHeaderBytes || in.substr(0, kMagic.size()) != kMagic) return std::nullopt;
  if (Get(in, 60, 4) != Crc(in.substr(0, 60))) return std::nullopt;
  Header h;
  h.generation = Get(in, 16, 8);
  h.boot_id = std::string(in.substr(24, kBootIdBytes));
  h.boot_id.resize(std::strlen(h.boot_id.c_str()));
  return h;
}

// Whether `first`, the journal's bytes at kRecordsStart, begin a record of
// `generation` (whole or not, voided or not).
bool HoldsRecord(std::string_view first, std::uint64_t generation) {
  if (first.size() < kRecordHead || Get(first, 8, 8) != generation) return false;
  const std::uint64_t magic = Get(first, 0, 4);
  return magic == kRecordMagic || magic == kVoidMagic;
}

std::string EncodeHint(std::uint64_t end, std::uint64_t generation) {
  std::string out;
  Put64(out, end);
  Put64(out, generation);
  Put32(out, Crc(out));
  return out;
}

struct Record {
  struct Pack {
    ObjectId name;
    std::string bytes;
  };
  std::vector<Pack> packs;
  std::vector<JournalMove> moves;
};

std::string EncodeRecord(std::uint64_t generation, const ObjectStore::PreparedPack* pack,
                         const JournalMove& move) {
  std::string body;
  Put32(body, pack ? 1 : 0);
  if (pack) {
    body.append(reinterpret_cast<const char*>(pack->name().bytes), 20);
    Put32(body, static_cast<std::uint32_t>(pack->bytes().size()));
    body += pack->bytes();
  }
  Put32(body, 1);
  body.push_back(static_cast<char>(move.ref.size() & 0xff));
  body.push_back(static_cast<char>((move.ref.size() >> 8) & 0xff));
  body += move.ref;
  body.append(reinterpret_cast<const char*>(move.old_id.bytes), 20);
  body.append(reinterpret_cast<const char*>(move.new_id.bytes), 20);
  Put64(body, move.old_inode);
  Put64(body, move.new_inode);

  std::string out;
  Put32(out, kRecordMagic);
  Put32(out, static_cast<std::uint32_t>(body.size()));
  Put64(out, generation);
  Put32(out, Crc(out, body));
  Put32(out, 0);
  out += body;
  out.resize((out.size() + 7) / 8 * 8, '\0');
  return out;
}

// The record at the start of `in` of `generation`, and its size (padded);
// nullopt when there is none whole.
std::optional<std::pair<Record, std::size_t>> DecodeRecord(std::string_view in,
                                                           std::uint64_t generation) {
  if (in.size() < kRecordHead || Get(in, 8, 8) != generation) return std::nullopt;
  const std::uint64_t magic = Get(in, 0, 4);
  if (magic != kRecordMagic && magic != kVoidMagic) return std::nullopt;
  const std::uint64_t size = Get(in, 4, 4);
  if (size > in.size() - kRecordHead) return std::nullopt;
  if (magic == kVoidMagic) return std::make_pair(Record{}, (kRecordHead + size + 7) / 8 * 8);
  const std::string_view body = in.substr(kRecordHead, size);
  if (Get(in, 16, 4) != Crc(in.substr(0, 16), body)) return std::nullopt;
  Record r;
  std::size_t at = 0;
  auto need = [&](std::size_t n) { return body.size() - at >= n; };
  if (!need(4)) return std::nullopt;
  std::uint64_t packs = Get(body, at, 4);
  at += 4;
  for (; packs > 0; --packs) {
    if (!need(24)) return std::nullopt;
    Record::Pack p;
    std::memcpy(p.name.bytes, body.data() + at, 20);
    const std::uint64_t n = Get(body, at + 20, 4);
    at += 24;
    if (!need(n)) return std::nullopt;
    p.bytes = std::string(body.substr(at, n));
    at += n;
    r.packs.push_back(std::move(p));
  }
  if (!need(4)) return std::nullopt;
  std::uint64_t moves = Get(body, at, 4);
  at += 4;
  for (; moves > 0; --moves) {
    if (!need(2)) return std::nullopt;
    const std::uint64_t n = Get(body, at, 2);
    at += 2;
    if (!need(n + 56)) return std::nullopt;
    JournalMove m;
    m.ref = std::string(body.substr(at, n));
    at += n;
    std::memcpy(m.old_id.bytes, body.data() + at, 20);
    std::memcpy(m.new_id.bytes, body.data() + at + 20, 20);
    m.old_inode = Get(body, at + 40, 8);
    m.new_inode = Get(body, at + 48, 8);
    at += 56;
    r.moves.push_back(std::move(m));
  }
  return std::make_pair(std::move(r), (kRecordHead + size + 7) / 8 * 8);
}

Status PRead(int fd, std::string& out, std::size_t size, std::uint64_t offset,
             const std::string& path) {
  out.resize(size);
  std::size_t done = 0;
  while (done < size) {
    ssize_t n = ::pread(fd, out.data() + done, size - done, static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Status::IOError("cannot read " + path + ": " + Errno());
    if (n == 0) break;
    done += static_cast<std::size_t>(n);
  }
  out.resize(done);
  return Status::Ok();
}

Status PWrite(int fd, std::string_view data, std::uint64_t offset, const std::string& path) {
  std::size_t done = 0;
  while (done < data.size()) {
    ssize_t n =
        ::pwrite(fd, data.data() + done, data.size() - done, static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return Status::IOError("cannot write " + path + ": " + Errno());
    done += static_cast<std::size_t>(n);
  }
  return Status::Ok();
}

Status SyncFolder(const std::string& dir) {
  Fd d(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (d.fd < 0) return Status::IOError("cannot open " + dir + ": " + Errno());
  if (::fsync(d.fd) != 0) return Status::IOError("cannot fsync " + dir + ": " + Errno());
  return Status::Ok();
}

// Writes `data` as file `path` (mode `mode`): a temporary file in its
// folder, named `prefix`-XXXXXX, renamed over it, fsynced first if `sync`
// (else the checkpoint's syncfs follows).
Status ReplaceFile(const std::string& path, std::string_view data, mode_t mode, const char* prefix,
                   bool sync) {
  std::string temp = std::filesystem::path(path).parent_path().string() + "/" + prefix + "-XXXXXX";
  Fd file(::mkostemp(temp.data(), O_CLOEXEC));
  if (file.fd < 0) return Status::IOError("cannot create a file beside " + path + ": " + Errno());
  Status st = WriteAll(file.fd, data, temp);
  if (st.ok() && ::fchmod(file.fd, mode) != 0) st = Status::IOError("cannot chmod " + temp);
  if (st.ok() && sync && ::fsync(file.fd) != 0) {
    st = Status::IOError("cannot fsync " + temp + ": " + Errno());
  }
  if (st.ok() && !file.Close()) st = Status::IOError("cannot write " + temp + ": " + Errno());
  if (st.ok() && ::rename(temp.c_str(), path.c_str()) != 0) {
    st = Status::IOError("cannot rename " + temp + " to " + path + ": " + Errno());
  }
  if (!st.ok()) ::unlink(temp.c_str());
  return st;
}

std::optional<ObjectId> ReadRefFile(const std::string& path) {
  std::optional<std::string> text = ReadFile(path, 4096);
  if (!text) return std::nullopt;
  while (!text->empty() && std::isspace(static_cast<unsigned char>(text->back()))) text->pop_back();
  return ObjectId::FromHex(*text);
}

Status BadHeader(const std::string& path) {
  return Status::Corruption(
      path +
      " has no valid header, so the versions it may hold cannot be read: if the system "
      "has not restarted since the last strata write, nothing is lost by removing it "
      "(rm '" +
      path + "'); docs/format.md, \"The write journal\"");
}

// STRATA_JOURNAL_TEST_STOP=STEP: the process ends at once at STEP, as a
// SIGKILL would end it there (tests/cli/t2160-journal.sh).
void StopPoint(const char* step) {
  const char* stop = std::getenv("STRATA_JOURNAL_TEST_STOP");
  if (stop != nullptr && std::strcmp(stop, step) == 0) _exit(137);
}

}  // namespace

std::string Journal::BootId() {
  if (const char* test = std::getenv("STRATA_JOURNAL_TEST_BOOT_ID"); test && *test) return test;
  // Read each time (a few microseconds), not cached: a process's work stays
  // the same from its first call to its last.
  std::optional<std::string> id = ReadFile("/proc/sys/kernel/random/boot_id", 64);
  if (!id) return std::string();
  while (!id->empty() && std::isspace(static_cast<unsigned char>(id->back()))) id->pop_back();
  return id->size() == kBootIdBytes ? *id : std::string();
}

Journal::~Journal() {
  if (fd_ >= 0) ::close(fd_);
}

std::unique_ptr<Journal> Journal::ForWriter(const std::string& git_dir) {
  std::string boot = BootId();
  if (boot.empty()) return nullptr;
  return std::unique_ptr<Journal>(new Journal(git_dir, std::move(boot)));
}

Status Journal::OpenOrCreate() {
  if (fd_ >= 0) return Status::Ok();
  fd_ = ::open(path_.c_str(), O_RDWR | O_CLOEXEC);
  if (fd_ >= 0) return Status::Ok();
  if (errno != ENOENT) return Status::IOError("cannot open " + path_ + ": " + Errno());
  // Made whole, then renamed into place: a journal is never short.
  std::string file(kBytes, '\0');
  const std::string header = EncodeHeader(Header{1, boot_id_});
  file.replace(0, header.size(), header);
  const std::string hint = EncodeHint(kRecordsStart, 1);
  file.replace(kHintOffset, hint.size(), hint);
  STRATA_RETURN_IF_ERROR(ReplaceFile(path_, file, 0644, "journal-tmp", true));
  STRATA_RETURN_IF_ERROR(SyncFolder(git_dir_));
  fd_ = ::open(path_.c_str(), O_RDWR | O_CLOEXEC);
  if (fd_ < 0) return Status::IOError("cannot open " + path_ + ": " + Errno());
  return Status::Ok();
}

Result<bool> Journal::Append(const ObjectStore::PreparedPack* pack, const JournalMove& move) {
  const std::uint64_t pack_bytes = pack ? pack->bytes().size() : 0;
  if (pack_bytes + move.ref.size() + 256 > kBytes - kRecordsStart) return false;
  STRATA_RETURN_IF_ERROR(OpenOrCreate());
  std::string head;
  STRATA_RETURN_IF_ERROR(PRead(fd_, head, kRecordsStart, 0, path_));
  std::optional<Header> header = DecodeHeader(head);
  if (!header) return BadHeader(path_);
  if (header->boot_id != boot_id_) {
    // Written before a restart (and not recovered at open: a repository
    // opened before this journal appeared): replay it first.
    STRATA_RETURN_IF_ERROR(Checkpoint());
    return Append(pack, move);
  }
  // Where the next record goes: the hint, if it is whole and of this
  // generation; else after the last whole record.
  std::uint64_t end = 0;
  if (head.size() >= kHintOffset + 20) {
    const std::string_view hint = std::string_view(head).substr(kHintOffset, 20);
    if (Get(hint, 16, 4) == Crc(hint.substr(0, 16)) && Get(hint, 8, 8) == header->generation) {
      end = Get(hint, 0, 8);
    }
  }
  if (end < kRecordsStart || end > kBytes || end % 8 != 0) {
    std::string all;
    STRATA_RETURN_IF_ERROR(PRead(fd_, all, kBytes - kRecordsStart, kRecordsStart, path_));
    end = kRecordsStart;
    std::string_view rest(all);
    while (auto r = DecodeRecord(rest, header->generation)) {
      end += r->second;
      rest.remove_prefix(r->second);
    }
  }
  std::string record = EncodeRecord(header->generation, pack, move);
  if (end + record.size() > kBytes) {
    STRATA_RETURN_IF_ERROR(Checkpoint());
    return Append(pack, move);
  }
  Status st = PWrite(fd_, record, end, path_);
  if (st.ok())
    st = PWrite(fd_, EncodeHint(end + record.size(), header->generation), kHintOffset, path_);
  if (st.ok() && ::fdatasync(fd_) != 0) {
    st = Status::IOError("cannot fdatasync " + path_ + ": " + Errno());
  }
  if (!st.ok()) {
    // Void the record, as far as this process can: the write failed, so the
    // version must not come back after a restart.
    std::string magic;
    Put32(magic, kVoidMagic);
    static_cast<void>(PWrite(fd_, magic, end, path_));
    static_cast<void>(PWrite(fd_, EncodeHint(end, header->generation), kHintOffset, path_));
    return st.WithContext("cannot write the version to the journal");
  }
  last_offset_ = end;
  last_generation_ = header->generation;
  StopPoint("recorded");
  return true;
}

Status Journal::VoidLast() {
  if (last_offset_ == 0 || fd_ < 0) return Status::Ok();
  const std::uint64_t at = std::exchange(last_offset_, 0);
  std::string magic;
  Put32(magic, kVoidMagic);
  STRATA_RETURN_IF_ERROR(PWrite(fd_, magic, at, path_));
  STRATA_RETURN_IF_ERROR(PWrite(fd_, EncodeHint(at, last_generation_), kHintOffset, path_));
  if (::fdatasync(fd_) != 0) return Status::IOError("cannot fdatasync " + path_ + ": " + Errno());
  return Status::Ok();
}

Status Journal::Replay(bool restarted) {
  std::string all;
  STRATA_RETURN_IF_ERROR(PRead(fd_, all, kBytes, 0, path_));
  std::optional<Header> header = DecodeHeader(all);
  if (!header) return BadHeader(path_);
  std::vector<Record> records;
  std::string_view rest =
      std::string_view(all).substr(std::min<std::size_t>(all.size(), kRecordsStart));
  while (auto r = DecodeRecord(rest, header->generation)) {
    rest.remove_prefix(r->second);
    records.push_back(std::move(r->first));
  }

  // Packs: put back what a power loss took (or a killed writer never
  // renamed into place), with its index.
  const std::string pack_dir = git_dir_ + "objects/pack";
  for (const Record& r : records) {
    for (const Record::Pack& p : r.packs) {
      const std::string base = pack_dir + "/pack-" + p.name.Hex();
      bool write_pack = false;
      if (restarted) {
        std::optional<std::string> now = ReadFile(base + ".pack");
        write_pack = !now || *now != p.bytes;
      } else {
        struct stat st {};
        write_pack = ::stat((base + ".pack").c_str(), &st) != 0;
      }
      bool write_index = write_pack;
      if (!write_index) {
        std::optional<std::string> idx = ReadFile(base + ".idx");
        write_index = !idx || (restarted && !ValidPackIndex(*idx));
      }
      if (!write_pack && !write_index) continue;
      std::error_code ec;
      std::filesystem::create_directories(pack_dir, ec);
      STRATA_ASSIGN_OR_RETURN(std::string index,
                              ObjectStore::IndexOfWholePack(p.bytes, base + ".pack"));
      if (write_pack)
        STRATA_RETURN_IF_ERROR(
            ReplaceFile(base + ".pack", p.bytes, 0444, "strata-tmp-pack", false));
      STRATA_RETURN_IF_ERROR(ReplaceFile(base + ".idx", index, 0444, "strata-tmp-idx", false));
    }
  }

  // Refs: each to its last record's id, where the file is still theirs.
  std::map<std::string, std::vector<const JournalMove*>> by_ref;
  for (const Record& r : records) {
    for (const JournalMove& m : r.moves) by_ref[m.ref].push_back(&m);
  }
  for (const auto& [ref, moves] : by_ref) {
    if (ref.rfind("refs/", 0) != 0 || ref.find("..") != std::string::npos) continue;
    std::set<std::uint64_t> inodes{moves.front()->old_inode};
    std::set<ObjectId> ids{moves.front()->old_id};
    std::set<std::uint64_t> lock_inodes;
    for (const JournalMove* m : moves) {
      inodes.insert(m->new_inode);
      lock_inodes.insert(m->new_inode);
      ids.insert(m->new_id);
    }
    const JournalMove& last = *moves.back();
    const std::string path = git_dir_ + ref;
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) continue;  // deleted, or packed, since
    std::optional<ObjectId> now = ReadRefFile(path);
    if (now && *now == last.new_id) continue;
    if (inodes.count(static_cast<std::uint64_t>(st.st_ino)) == 0) continue;  // replaced since
    if (now && ids.count(*now) == 0) continue;
    // A lock file a journaled writer left (killed before its rename) goes;
    // another's stops the recovery, as a ref update would stop.
    const std::string lock_path = path + ".lock";
    struct stat lock_st {};
    if (::stat(lock_path.c_str(), &lock_st) == 0) {
      if (lock_inodes.count(static_cast<std::uint64_t>(lock_st.st_ino)) == 0) {
        return Status::Conflict("cannot finish a journaled move of " + ref + ": " +
                                DescribeGitLock(lock_path));
      }
      ::unlink(lock_path.c_str());
    }
    Fd lock(::open(lock_path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666));
    if (lock.fd < 0) return Status::IOError("cannot create " + lock_path + ": " + Errno());
    Status written = WriteAll(lock.fd, last.new_id.Hex() + "\n", lock_path);
    if (written.ok() && !lock.Close()) {
      written = Status::IOError("cannot write " + lock_path + ": " + Errno());
    }
    if (written.ok() && ::rename(lock_path.c_str(), path.c_str()) != 0) {
      written = Status::IOError("cannot rename " + lock_path + " to " + path + ": " + Errno());
    }
    if (!written.ok()) {
      ::unlink(lock_path.c_str());
      return written;
    }
    RecordRecoveredMove(ref, now, last.new_id);
  }
  return Status::Ok();
}

// The reflog line of a move Replay finished, in logs/REF (and logs/HEAD
// when HEAD names REF), where such a log exists and its last line does not
// already end at `to` (the writer appended it before a power loss took the
// ref's rename). Best effort, unsynced, as reflogs are (docs/format.md).
void Journal::RecordRecoveredMove(const std::string& ref, const std::optional<ObjectId>& from,
                                  const ObjectId& to) {
  std::string head;
  if (std::optional<std::string> text = ReadFile(git_dir_ + "HEAD", 4096)) head = *text;
  while (!head.empty() && std::isspace(static_cast<unsigned char>(head.back()))) head.pop_back();
  const ObjectId zero{};
  git_signature* raw = nullptr;
  if (git_signature_now(&raw, "strata", "strata@localhost") < 0) {
    git_error_clear();
    return;
  }
  SignaturePtr who(raw);
  const std::string line = ReflogLine(from.value_or(zero), to, *who,
                                      "strata: recovered from the journal after a restart");
  for (const std::string& log : {ref, std::string("HEAD")}) {
    if (log == "HEAD" && head != "ref: " + ref) continue;
    const std::string path = git_dir_ + "logs/" + log;
    Fd file(::open(path.c_str(), O_RDWR | O_APPEND | O_CLOEXEC));
    if (file.fd < 0) continue;  // no reflog kept
    struct stat st {};
    if (::fstat(file.fd, &st) != 0) continue;
    // The last line's new id: the second field of the last line.
    const std::uint64_t tail =
        std::min<std::uint64_t>(static_cast<std::uint64_t>(st.st_size), 4096);
    std::string end;
    if (!PRead(file.fd, end, tail, static_cast<std::uint64_t>(st.st_size) - tail, path).ok()) {
      continue;
    }
    while (!end.empty() && end.back() == '\n') end.pop_back();
    const std::size_t start = end.rfind('\n') == std::string::npos ? 0 : end.rfind('\n') + 1;
    if (end.size() >= start + 81 &&
        ObjectId::FromHex(std::string_view(end).substr(start + 41, 40)) == std::optional(to)) {
      continue;
    }
    static_cast<void>(WriteAll(file.fd, line, path));
  }
}

Status Journal::Checkpoint() {
  {
    struct stat st {};
    if (fd_ < 0 && ::stat(path_.c_str(), &st) != 0 && errno == ENOENT) return Status::Ok();
  }
  STRATA_RETURN_IF_ERROR(OpenOrCreate());
  std::string head;
  STRATA_RETURN_IF_ERROR(PRead(fd_, head, kHeaderBytes, 0, path_));
  std::optional<Header> header = DecodeHeader(head);
  if (!header) return BadHeader(path_);
  const bool restarted = header->boot_id != boot_id_;
  if (!restarted) {
    std::string first;
    STRATA_RETURN_IF_ERROR(PRead(fd_, first, kRecordHead, kRecordsStart, path_));
    if (!HoldsRecord(first, header->generation)) {
      return Status::Ok();  // no records
    }
  }
  STRATA_RETURN_IF_ERROR(Replay(restarted));
  // The packs too, should objects/ be on a file system of its own.
  struct stat journal_st {
  }, pack_st{};
  Fd pack_dir(::open((git_dir_ + "objects/pack").c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (pack_dir.fd >= 0 && ::fstat(fd_, &journal_st) == 0 && ::fstat(pack_dir.fd, &pack_st) == 0 &&
      journal_st.st_dev != pack_st.st_dev && ::syncfs(pack_dir.fd) != 0) {
    return Status::IOError("cannot sync the file system of " + git_dir_ +
                           "objects/pack: " + Errno());
  }
  if (::syncfs(fd_) != 0) {
    return Status::IOError("cannot sync the file system of " + path_ + ": " + Errno());
  }
  const std::uint64_t generation = header->generation + 1;
  STRATA_RETURN_IF_ERROR(PWrite(fd_, EncodeHeader(Header{generation, boot_id_}), 0, path_));
  STRATA_RETURN_IF_ERROR(PWrite(fd_, EncodeHint(kRecordsStart, generation), kHintOffset, path_));
  if (::fdatasync(fd_) != 0) return Status::IOError("cannot fdatasync " + path_ + ": " + Errno());
  return Status::Ok();
}

Result<bool> Journal::RecoverAtOpen(const std::string& git_dir, int lock_timeout) {
  const std::string path = git_dir + kFileName;
  std::string head;
  {
    Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (fd.fd < 0) {
      if (errno == ENOENT) return false;
      return Status::IOError("cannot open " + path + ": " + Errno());
    }
    STRATA_RETURN_IF_ERROR(PRead(fd.fd, head, kHeaderBytes, 0, path));
    // Read without the lock: a header a checkpoint is rewriting may read
    // torn. Then the checkpoint below reads it again under the lock.
    if (std::optional<Header> header = DecodeHeader(head)) {
      const std::string boot = BootId();
      if (!boot.empty() && header->boot_id == boot) return true;
      // Another boot's journal: anything to replay?
      std::string first;
      STRATA_RETURN_IF_ERROR(PRead(fd.fd, first, kRecordHead, kRecordsStart, path));
      if (!HoldsRecord(first, header->generation)) return false;
    }
  }
  Result<WriteLock> lock = WriteLock::Acquire(git_dir, lock_timeout);
  if (!lock.ok()) {
    return lock.status().WithContext(
        "the repository wrote versions through its journal before the system restarted, and "
        "they must be recovered with the write lock held");
  }
  // The checkpoint rereads the header under the lock: another process may
  // have recovered meanwhile (then there is nothing to replay).
  Journal journal(git_dir, BootId());
  STRATA_RETURN_IF_ERROR(journal.Checkpoint());
  return false;  // this process's open still repairs what the restart tore
}

}  // namespace strata
