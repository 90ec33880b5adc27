#include "repo/version_index.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "objects/tree_codec.h"
#include "repo/version_tree.h"
#include "strata/version.h"

namespace strata {
namespace {

// record := magic u32 | length u32 | payload (length bytes) | checksum u64
// payload := id[20] time i64 state[20] nparents u16 nlabels u16 ndocs u32
//            parent[20]* label u64* doc u64*
// Integers little-endian; ndocs 0xffffffff: "many" (no doc hashes follow).
// checksum: IndexHash of magic, length and payload.
constexpr std::uint32_t kMagic = 0x31495653;  // "SVI1"
constexpr std::uint32_t kManyDocs = 0xffffffffu;
constexpr std::size_t kFixedPayload = 20 + 8 + 20 + 2 + 2 + 4;
constexpr std::size_t kMaxPayload = 1 << 24;

void PutU(std::string& out, std::uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
std::uint64_t GetU(const char* p, int bytes) {
  std::uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v |= std::uint64_t(static_cast<unsigned char>(p[i])) << (8 * i);
  return v;
}
void PutId(std::string& out, const ObjectId& id) {
  out.append(reinterpret_cast<const char*>(id.bytes), GIT_OID_RAWSZ);
}
ObjectId GetId(const char* p) {
  ObjectId id;
  std::memcpy(id.bytes, p, GIT_OID_RAWSZ);
  return id;
}

// The record in `payload`, or nullopt if its parts do not add up.
std::optional<VersionRecord> DecodePayload(std::string_view payload) {
  if (payload.size() < kFixedPayload) return std::nullopt;
  const char* p = payload.data();
  VersionRecord r;
  r.id = GetId(p);
  r.time = static_cast<std::int64_t>(GetU(p + 20, 8));
  r.state = GetId(p + 28);
  const std::size_t nparents = GetU(p + 48, 2), nlabels = GetU(p + 50, 2);
  const std::uint32_t ndocs = static_cast<std::uint32_t>(GetU(p + 52, 4));
  r.many_docs = ndocs == kManyDocs;
  const std::size_t docs = r.many_docs ? 0 : ndocs;
  if (payload.size() != kFixedPayload + 20 * nparents + 8 * nlabels + 8 * docs) return std::nullopt;
  p += kFixedPayload;
  for (std::size_t i = 0; i < nparents; ++i, p += 20) r.parents.push_back(GetId(p));
  for (std::size_t i = 0; i < nlabels; ++i, p += 8) r.labels.push_back(GetU(p, 8));
  for (std::size_t i = 0; i < docs; ++i, p += 8) r.docs.push_back(GetU(p, 8));
  return r;
}

bool IsShard(const std::vector<TreeEntry>& entries) {
  return !entries.empty() && entries.front().name[0] == '.';
}

bool ByName(const TreeEntry& x, const TreeEntry& y) { return x.name < y.name; }

// The documents whose ids differ between state nodes `a` and `b`, by their
// escaped names, as tree_diff.h's ChangedMembers finds them (skipping equal
// buckets) but without a map per node: entries are joined in name order.
// Stops past kMaxIndexedDocs + 1 names. Nodes at the top level are kept in
// `cache` (a version's state is its child's parent state).
class ChangedDocs {
 public:
  ChangedDocs(ObjectStore& store, VersionRecordCache* cache) : store_(store), cache_(cache) {}

  Status Run(const std::optional<ObjectId>& a, const std::optional<ObjectId>& b, int level,
             std::vector<std::string>& out) {
    if ((a && b && *a == *b) || out.size() > kMaxIndexedDocs) return Status::Ok();
    if (level > kMaxShardLevels) return Status::Corruption("trees sharded too deep");
    std::vector<TreeEntry> ea, eb;
    if (a) STRATA_RETURN_IF_ERROR(Read(*a, level, ea));
    if (b) STRATA_RETURN_IF_ERROR(Read(*b, level, eb));
    // Buckets pair by name only between nodes sharded alike (formats differ).
    if (IsShard(ea) && IsShard(eb) &&
        ShapeOfBucket(ea.front().name) == ShapeOfBucket(eb.front().name)) {
      std::size_t i = 0, j = 0;
      while (i < ea.size() || j < eb.size()) {
        if (j == eb.size() || (i < ea.size() && ea[i].name < eb[j].name)) {
          STRATA_RETURN_IF_ERROR(Run(ea[i++].id, std::nullopt, level + 1, out));
        } else if (i == ea.size() || eb[j].name < ea[i].name) {
          STRATA_RETURN_IF_ERROR(Run(std::nullopt, eb[j++].id, level + 1, out));
        } else {
          STRATA_RETURN_IF_ERROR(Run(ea[i++].id, eb[j++].id, level + 1, out));
        }
      }
      return Status::Ok();
    }
    std::vector<TreeEntry> ma, mb;
    STRATA_RETURN_IF_ERROR(Members(ea, level, ma));
    STRATA_RETURN_IF_ERROR(Members(eb, level, mb));
    std::size_t i = 0, j = 0;
    while (i < ma.size() || j < mb.size()) {
      if (j == mb.size() || (i < ma.size() && ma[i].name < mb[j].name)) {
        out.push_back(ma[i++].name);
      } else if (i == ma.size() || mb[j].name < ma[i].name) {
        out.push_back(mb[j++].name);
      } else {
        if (!(ma[i].id == mb[j].id) || ma[i].is_tree != mb[j].is_tree) out.push_back(ma[i].name);
        ++i;
        ++j;
      }
    }
    return Status::Ok();
  }

 private:
  // A node's entries, sorted by name (git orders a tree's name as if it
  // ended in '/').
  Status Read(const ObjectId& id, int level, std::vector<TreeEntry>& out) {
    if (level == 0 && cache_) {
      for (const auto& [cached, entries] : cache_->nodes) {
        if (cached == id) {
          out = entries;
          return Status::Ok();
        }
      }
    }
    STRATA_ASSIGN_OR_RETURN(out, store_.ReadTree(id));
    if (!std::is_sorted(out.begin(), out.end(), ByName)) std::sort(out.begin(), out.end(), ByName);
    if (level == 0 && cache_) {
      cache_->nodes[cache_->next] = {id, out};
      cache_->next = (cache_->next + 1) % cache_->nodes.size();
    }
    return Status::Ok();
  }

  // Every member under a node's entries (through its buckets, if sharded), sorted.
  Status Members(const std::vector<TreeEntry>& entries, int level, std::vector<TreeEntry>& out) {
    if (!IsShard(entries)) {
      out.insert(out.end(), entries.begin(), entries.end());
    } else {
      if (level > kMaxShardLevels) return Status::Corruption("trees sharded too deep");
      for (const TreeEntry& bucket : entries) {
        std::vector<TreeEntry> sub;
        STRATA_RETURN_IF_ERROR(Read(bucket.id, level + 1, sub));
        STRATA_RETURN_IF_ERROR(Members(sub, level + 1, out));
      }
    }
    if (!std::is_sorted(out.begin(), out.end(), ByName)) std::sort(out.begin(), out.end(), ByName);
    return Status::Ok();
  }

  ObjectStore& store_;
  VersionRecordCache* cache_;
};

}  // namespace

std::uint64_t IndexHash(std::string_view text) {
  std::uint64_t h = 0xcbf29ce484222325ull;
  for (unsigned char c : text) {
    h ^= c;
    h *= 0x100000001b3ull;
  }
  return h;
}

bool VersionRecord::HasLabel(std::uint64_t h) const {
  return std::binary_search(labels.begin(), labels.end(), h);
}

bool VersionRecord::MayHaveChanged(std::uint64_t h) const {
  return many_docs || std::binary_search(docs.begin(), docs.end(), h);
}

bool operator==(const VersionRecord& a, const VersionRecord& b) {
  return a.id == b.id && a.time == b.time && a.state == b.state && a.parents == b.parents &&
         a.labels == b.labels && a.many_docs == b.many_docs && a.docs == b.docs;
}

Result<VersionRecord> ComputeVersionRecord(ObjectStore& store, const git_commit* commit,
                                           const std::optional<ObjectId>& parent_state,
                                           const std::optional<ObjectId>& state,
                                           VersionRecordCache* cache) {
  VersionRecord r;
  r.id = FromGit(*git_commit_id(commit));
  r.time = git_commit_time(commit);
  for (unsigned i = 0; i < git_commit_parentcount(commit); ++i) {
    r.parents.push_back(FromGit(*git_commit_parent_id(commit, i)));
  }
  std::string message;
  std::vector<std::string> labels;
  SplitMessage(git_commit_message(commit), &message, &labels);
  for (const std::string& l : labels) r.labels.push_back(IndexHash(l));
  std::sort(r.labels.begin(), r.labels.end());
  r.labels.erase(std::unique(r.labels.begin(), r.labels.end()), r.labels.end());
  if (state) {
    r.state = *state;
  } else {
    STRATA_ASSIGN_OR_RETURN(VersionTrees trees, ReadVersionTrees(store, commit));
    r.state = trees.state;
  }
  std::vector<std::string> changed;
  Status s = ChangedDocs(store, cache).Run(parent_state, r.state, 0, changed);
  if (!s.ok()) return s.WithContext("version " + r.id.Hex());
  if (changed.size() > kMaxIndexedDocs) {
    r.many_docs = true;
  } else {
    for (const std::string& name : changed) {
      // An array node's entry carries the "%[" mark: the same document.
      Result<std::string> doc = UnescapeKey(MemberEntryKey(name));
      if (!doc.ok()) return doc.status().WithContext("version " + r.id.Hex());
      r.docs.push_back(IndexHash(*doc));
    }
    std::sort(r.docs.begin(), r.docs.end());
    r.docs.erase(std::unique(r.docs.begin(), r.docs.end()), r.docs.end());
  }
  return r;
}

std::string EncodeVersionRecord(const VersionRecord& r) {
  std::string payload;
  PutId(payload, r.id);
  PutU(payload, static_cast<std::uint64_t>(r.time), 8);
  PutId(payload, r.state);
  PutU(payload, r.parents.size(), 2);
  PutU(payload, r.labels.size(), 2);
  PutU(payload, r.many_docs ? kManyDocs : r.docs.size(), 4);
  for (const ObjectId& p : r.parents) PutId(payload, p);
  for (std::uint64_t h : r.labels) PutU(payload, h, 8);
  if (!r.many_docs) {
    for (std::uint64_t h : r.docs) PutU(payload, h, 8);
  }
  std::string out;
  PutU(out, kMagic, 4);
  PutU(out, payload.size(), 4);
  out += payload;
  PutU(out, IndexHash(out), 8);
  return out;
}

VersionIndex::VersionIndex(std::string file) : file_(std::move(file)) {
  int fd = ::open(file_.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return;
  std::string data;
  struct stat st {};
  if (::fstat(fd, &st) == 0 && st.st_size > 0) {
    data.resize(static_cast<std::size_t>(st.st_size));
    std::size_t got = 0;
    while (got < data.size()) {
      ssize_t n = ::read(fd, data.data() + got, data.size() - got);
      if (n <= 0) break;
      got += static_cast<std::size_t>(n);
    }
    data.resize(got);
  }
  ::close(fd);
  Parse(data);
}

void VersionIndex::Parse(std::string_view data) {
  by_id_.reserve(data.size() / 80);
  std::size_t pos = 0;
  while (pos < data.size()) {
    // A record that does not read whole is skipped a byte at a time, to the
    // next one that does (a torn append may be followed by whole ones).
    std::optional<VersionRecord> r;
    std::size_t length = 0;
    if (data.size() - pos >= 16 && GetU(data.data() + pos, 4) == kMagic) {
      length = GetU(data.data() + pos + 4, 4);
      if (length <= kMaxPayload && data.size() - pos - 16 >= length &&
          IndexHash(data.substr(pos, 8 + length)) == GetU(data.data() + pos + 8 + length, 8)) {
        r = DecodePayload(data.substr(pos + 8, length));
      }
    }
    if (!r) {
      ++damaged_bytes_;
      ++pos;
      continue;
    }
    pos += 16 + length;
    if (by_id_.count(r->id)) continue;  // a duplicate: concurrent appenders
    by_id_.emplace(r->id, static_cast<std::uint32_t>(records_.size()));
    records_.push_back(std::move(*r));
  }
}

const VersionRecord* VersionIndex::Find(const ObjectId& id) const {
  auto it = by_id_.find(id);
  return it == by_id_.end() ? nullptr : &records_[it->second];
}

const VersionRecord& VersionIndex::Add(VersionRecord r) {
  auto [it, added] = by_id_.emplace(r.id, static_cast<std::uint32_t>(records_.size()));
  if (added) {
    records_.push_back(std::move(r));
    pending_.push_back(it->second);
  }
  return records_[it->second];
}

Status VersionIndex::Save() {
  if (pending_.empty() && damaged_bytes_ == 0) return Status::Ok();
  const std::string where = "cannot save the version index to " + file_ + ": ";
  std::string data;
  const bool whole = damaged_bytes_ > 0;
  if (whole) {
    for (const VersionRecord& r : records_) data += EncodeVersionRecord(r);
  } else {
    for (std::uint32_t i : pending_) data += EncodeVersionRecord(records_[i]);
  }
  pending_.clear();
  const std::string target = whole ? file_ + ".tmp" + std::to_string(::getpid()) : file_;
  int flags = O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW | (whole ? O_TRUNC : O_APPEND);
  int fd = ::open(target.c_str(), flags, 0644);
  if (fd < 0) return Status::IOError(where + std::strerror(errno));
  ssize_t n = ::write(fd, data.data(), data.size());
  int err = errno;
  ::close(fd);
  if (n != static_cast<ssize_t>(data.size())) {
    if (whole) ::unlink(target.c_str());
    return Status::IOError(where + (n < 0 ? std::strerror(err) : "short write"));
  }
  if (whole) {
    if (::rename(target.c_str(), file_.c_str()) != 0) {
      err = errno;
      ::unlink(target.c_str());
      return Status::IOError(where + std::strerror(err));
    }
    damaged_bytes_ = 0;
  }
  return Status::Ok();
}

bool VersionIndexEnabled() {
  const char* v = std::getenv("STRATA_VERSION_INDEX");
  return !(v && std::string_view(v) == "off");
}

}  // namespace strata
