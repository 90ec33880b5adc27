#include "repo/send_pack.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <system_error>
#include <thread>
#include <unordered_map>
#include <unordered_set>

#include "objects/git.h"
#include "objects/guard.h"
#include "objects/pack_reader.h"
#include "strata/remote.h"
#include "strata/strata.h"

namespace strata {
namespace {

bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

void AppendPkt(std::string& out, std::string_view payload) {
  char len[5];
  std::snprintf(len, sizeof len, "%04zx", payload.size() + 4);
  out.append(len, 4);
  out.append(payload);
}

// A pkt-line at the front of `buf`: -1 when incomplete, else its whole
// length; `payload` empty with `flush` set for a flush-pkt.
Result<long> NextPkt(std::string_view buf, std::string_view& payload, bool& flush) {
  if (buf.size() < 4) return -1L;
  unsigned len = 0;
  for (int i = 0; i < 4; ++i) {
    const char c = buf[i];
    unsigned v;
    if (c >= '0' && c <= '9') {
      v = static_cast<unsigned>(c - '0');
    } else if (c >= 'a' && c <= 'f') {
      v = static_cast<unsigned>(c - 'a' + 10);
    } else if (c >= 'A' && c <= 'F') {
      v = static_cast<unsigned>(c - 'A' + 10);
    } else {
      return Status::Corruption("the remote sent a malformed pkt-line");
    }
    len = len * 16 + v;
  }
  flush = len == 0;
  if (flush) {
    payload = {};
    return 4L;
  }
  if (len < 4) return Status::Corruption("the remote sent a malformed pkt-line");
  if (buf.size() < len) return -1L;
  payload = buf.substr(4, len - 4);
  return static_cast<long>(len);
}

std::string_view Chomp(std::string_view s) {
  if (!s.empty() && s.back() == '\n') s.remove_suffix(1);
  return s;
}

// The type of `id` (from its header); GIT_OBJECT_INVALID if it is not here.
git_object_t TypeOf(git_odb* odb, const ObjectId& id) {
  std::size_t size = 0;
  git_object_t type = GIT_OBJECT_INVALID;
  if (git_odb_read_header(&size, &type, odb, AsGit(id)) < 0) {
    git_error_clear();
    return GIT_OBJECT_INVALID;
  }
  return type;
}

// A commit's tree and parents, from its first lines ("tree <hex>\n",
// "parent <hex>\n"...); false if they are not there.
bool ParseCommitLinks(std::string_view data, ObjectId& tree, std::vector<ObjectId>& parents) {
  auto field = [&](std::string_view name, ObjectId& out) {
    if (data.size() < name.size() + 1 + ObjectId::kHexSize + 1 || !StartsWith(data, name) ||
        data[name.size()] != ' ' || data[name.size() + 1 + ObjectId::kHexSize] != '\n') {
      return false;
    }
    std::optional<ObjectId> id =
        ObjectId::FromHex(data.substr(name.size() + 1, ObjectId::kHexSize));
    if (!id) return false;
    out = *id;
    data.remove_prefix(name.size() + 1 + ObjectId::kHexSize + 1);
    return true;
  };
  if (!field("tree", tree)) return false;
  ObjectId parent;
  while (StartsWith(data, "parent ")) {
    if (!field("parent", parent)) return false;
    parents.push_back(parent);
  }
  return true;
}

// A tree entry, its name pointing into the tree's bytes.
struct Entry {
  std::string_view name;
  ObjectId id;
  bool is_tree;
};

// The entries of tree `id` (its bytes in `raw`), into `out`.
Status ParseEntries(const ObjectId& id, const RawObject& raw, std::vector<Entry>& out) {
  out.clear();
  if (raw.type != GIT_OBJECT_TREE)
    return Status::Corruption("object " + id.Hex() + " is not a tree");
  const char* p = raw.data.data();
  const char* end = p + raw.data.size();
  while (p < end) {
    const char* space = static_cast<const char*>(std::memchr(p, ' ', end - p));
    const char* nul =
        space ? static_cast<const char*>(std::memchr(space + 1, '\0', end - space - 1)) : nullptr;
    if (!nul || end - nul < 1 + GIT_OID_RAWSZ)
      return Status::Corruption("malformed tree " + id.Hex());
    const std::string_view mode(p, space - p);
    Entry e{std::string_view(space + 1, nul - space - 1), ObjectId(), mode == "40000"};
    if (!e.is_tree && mode != "100644") {
      return Status::Corruption("tree " + id.Hex() + " has an entry of mode " + std::string(mode));
    }
    std::memcpy(e.id.bytes, nul + 1, GIT_OID_RAWSZ);
    out.push_back(e);
    p = nul + 1 + GIT_OID_RAWSZ;
  }
  return Status::Ok();
}

// git's order of tree entries: by name, a tree's name as if it ended in '/'.
int GitOrder(const Entry& a, const Entry& b) {
  const std::size_t n = std::min(a.name.size(), b.name.size());
  if (int c = std::memcmp(a.name.data(), b.name.data(), n); c != 0) return c;
  const unsigned ca =
      a.name.size() > n ? static_cast<unsigned char>(a.name[n]) : (a.is_tree ? '/' : 0);
  const unsigned cb =
      b.name.size() > n ? static_cast<unsigned char>(b.name[n]) : (b.is_tree ? '/' : 0);
  return static_cast<int>(ca) - static_cast<int>(cb);
}

// A tree to walk, and the tree at the same name in the first parent's
// state (nullopt: none, or not a tree).
struct TreeWork {
  ObjectId tree;
  std::optional<ObjectId> base;
};

// Below this many versions, one thread lists a push's objects.
constexpr std::size_t kParallelTreeWalk = 512;

// Each tree of `work` against its base, as a diff prunes them: an entry
// alike in both (name, kind, id) is covered by the base (sent with its
// version, or held by the remote), so it is neither opened nor looked up;
// what differs is checked against `known` (and added to it and to `out`
// when new), and a subtree is walked against the base's subtree at the
// same name. Without a base, everything not known is walked.
Status DiffWalk(ObjectStore& store, PackReader& reader, std::vector<TreeWork> work,
                std::unordered_set<ObjectId>& known, std::vector<ObjectId>& out) {
  std::vector<Entry> ours, theirs;
  auto differs = [&](const Entry& e, std::optional<ObjectId> base) {
    if (e.is_tree) {
      work.push_back({e.id, base});
    } else if (known.insert(e.id).second) {
      out.push_back(e.id);
    }
  };
  while (!work.empty()) {
    const TreeWork w = work.back();
    work.pop_back();
    if (w.base && *w.base == w.tree) continue;
    if (!known.insert(w.tree).second) continue;  // sent, or the remote has it
    out.push_back(w.tree);
    STRATA_ASSIGN_OR_RETURN(std::shared_ptr<const RawObject> tree,
                            store.ReadObject(w.tree, reader));
    STRATA_RETURN_IF_ERROR(ParseEntries(w.tree, *tree, ours));
    if (!w.base) {
      for (const Entry& e : ours) differs(e, std::nullopt);
      continue;
    }
    STRATA_ASSIGN_OR_RETURN(std::shared_ptr<const RawObject> base,
                            store.ReadObject(*w.base, reader));
    STRATA_RETURN_IF_ERROR(ParseEntries(*w.base, *base, theirs));
    std::size_t j = 0;
    for (const Entry& e : ours) {
      int c = 1;
      while (j < theirs.size() && (c = GitOrder(e, theirs[j])) > 0) ++j;
      if (j == theirs.size() || c < 0 || e.is_tree != theirs[j].is_tree) {
        differs(e, std::nullopt);
      } else if (!(e.id == theirs[j].id)) {
        differs(e, e.is_tree ? std::optional<ObjectId>(theirs[j].id) : std::nullopt);
      }
    }
  }
  return Status::Ok();
}

}  // namespace

ReceivePackCapabilities ParseCapabilities(std::string_view first_line) {
  ReceivePackCapabilities caps;
  const std::size_t nul = first_line.find('\0');
  if (nul == std::string_view::npos) return caps;
  std::string_view rest = Chomp(first_line.substr(nul + 1));
  while (!rest.empty()) {
    const std::size_t sp = rest.find(' ');
    const std::string_view cap = rest.substr(0, sp);
    if (cap == "report-status") caps.report_status = true;
    if (cap == "side-band-64k") caps.side_band_64k = true;
    if (cap == "ofs-delta") caps.ofs_delta = true;
    if (cap == "quiet") caps.quiet = true;
    if (sp == std::string_view::npos) break;
    rest.remove_prefix(sp + 1);
  }
  return caps;
}

std::string PushCommands(const std::vector<RefPush>& pushes, const ReceivePackCapabilities& caps) {
  std::string out;
  for (std::size_t i = 0; i < pushes.size(); ++i) {
    std::string line = pushes[i].old_id.Hex() + " " + pushes[i].new_id.Hex() + " " + pushes[i].ref;
    if (i == 0) {
      line.push_back('\0');
      // As git's send-pack: a space before each capability.
      if (caps.report_status) line += " report-status";
      if (caps.side_band_64k) line += " side-band-64k";
      line += " agent=strata/";
      line += LibraryVersion();
    }
    line.push_back('\n');
    AppendPkt(out, line);
  }
  out += "0000";
  return out;
}

Status ReportReader::Line(std::string_view payload) {
  payload = Chomp(payload);
  if (StartsWith(payload, "unpack ")) {
    const std::string_view what = payload.substr(7);
    report_.unpack_ok = what == "ok";
    if (!report_.unpack_ok) report_.unpack_error = std::string(what);
  } else if (StartsWith(payload, "ok ")) {
    report_.accepted.emplace_back(payload.substr(3));
  } else if (StartsWith(payload, "ng ")) {
    const std::string_view rest = payload.substr(3);
    const std::size_t sp = rest.find(' ');
    report_.refused[std::string(rest.substr(0, sp))] =
        sp == std::string_view::npos ? "refused" : std::string(rest.substr(sp + 1));
  } else if (StartsWith(payload, "ERR ")) {
    return Status::IOError("the remote reported an error: " + std::string(payload.substr(4)));
  } else {
    return Status::Corruption("the remote's report has a line strata does not know: " +
                              std::string(payload.substr(0, 80)));
  }
  return Status::Ok();
}

Status ReportReader::Feed(std::string_view bytes) {
  outer_.append(bytes);
  std::size_t used = 0;
  while (!done_) {
    std::string_view payload;
    bool flush = false;
    STRATA_ASSIGN_OR_RETURN(long n, NextPkt(std::string_view(outer_).substr(used), payload, flush));
    if (n < 0) break;
    used += static_cast<std::size_t>(n);
    if (!side_band_) {
      if (flush) {
        done_ = true;
      } else {
        STRATA_RETURN_IF_ERROR(Line(payload));
      }
      continue;
    }
    if (flush) {
      return Status::Corruption("the remote ended its report before it was complete");
    }
    const char band = payload[0];
    payload.remove_prefix(1);
    if (band == 2) {
      if (progress_) progress_(payload);
    } else if (band == 3) {
      return Status::IOError("the remote reported an error: " + std::string(Chomp(payload)));
    } else if (band == 1) {
      inner_.append(payload);
      std::size_t inner_used = 0;
      while (!done_) {
        std::string_view line;
        bool inner_flush = false;
        STRATA_ASSIGN_OR_RETURN(
            long m, NextPkt(std::string_view(inner_).substr(inner_used), line, inner_flush));
        if (m < 0) break;
        inner_used += static_cast<std::size_t>(m);
        if (inner_flush) {
          done_ = true;
        } else {
          STRATA_RETURN_IF_ERROR(Line(line));
        }
      }
      inner_.erase(0, inner_used);
    } else {
      return Status::Corruption("the remote sent data on an unknown side-band");
    }
  }
  outer_.erase(0, used);
  return Status::Ok();
}

Result<std::vector<ObjectId>> ObjectsToSend(git_repository* repo, ObjectStore& store,
                                            PackReader& reader, const std::vector<ObjectId>& tips,
                                            const std::vector<ObjectId>& haves) {
  git_odb* raw_odb = nullptr;
  STRATA_GIT(git_repository_odb(&raw_odb, repo), "cannot open the object database");
  OdbPtr odb(raw_odb);
  std::vector<ObjectId> out;
  std::unordered_set<ObjectId> known;  // the remote has it, or it is in `out`
  known.reserve(std::size_t{1} << 16);
  git_revwalk* raw_walk = nullptr;
  STRATA_GIT(git_revwalk_new(&raw_walk, repo), "cannot walk the history");
  RevwalkPtr walk(raw_walk);

  // Peels tags down to a commit (or tree, or blob); each tag met goes to
  // `tags`.
  auto peel = [&](ObjectId id,
                  std::vector<ObjectId>* tags) -> Result<std::pair<ObjectId, git_object_t>> {
    for (int depth = 0;; ++depth) {
      const git_object_t type = TypeOf(odb.get(), id);
      if (type != GIT_OBJECT_TAG) return std::make_pair(id, type);
      if (depth == 100) return Status::Corruption("a chain of tags too long at " + id.Hex());
      if (tags) tags->push_back(id);
      git_tag* tag = nullptr;
      STRATA_GIT(git_tag_lookup(&tag, repo, AsGit(id)), "cannot read tag " + id.Hex());
      id = FromGit(*git_tag_target_id(tag));
      git_tag_free(tag);
    }
  };

  std::vector<ObjectId> uninteresting_trees;
  bool any_hidden = false;
  for (const ObjectId& have : haves) {
    std::vector<ObjectId> tags;
    STRATA_ASSIGN_OR_RETURN(auto peeled, peel(have, &tags));
    for (const ObjectId& t : tags) known.insert(t);
    if (peeled.second == GIT_OBJECT_COMMIT) {
      STRATA_GIT(git_revwalk_hide(walk.get(), AsGit(peeled.first)), "cannot walk the history");
      any_hidden = true;
    } else if (peeled.second == GIT_OBJECT_TREE) {
      uninteresting_trees.push_back(peeled.first);
    } else if (peeled.second == GIT_OBJECT_BLOB) {
      known.insert(peeled.first);
    }
  }
  std::vector<ObjectId> interesting_trees;
  std::vector<ObjectId> tip_commits;
  for (const ObjectId& tip : tips) {
    std::vector<ObjectId> tags;
    STRATA_ASSIGN_OR_RETURN(auto peeled, peel(tip, &tags));
    for (const ObjectId& t : tags) {
      if (known.insert(t).second) out.push_back(t);
    }
    if (peeled.second == GIT_OBJECT_COMMIT) {
      STRATA_GIT(git_revwalk_push(walk.get(), AsGit(peeled.first)), "cannot walk the history");
      tip_commits.push_back(peeled.first);
    } else if (peeled.second == GIT_OBJECT_TREE) {
      interesting_trees.push_back(peeled.first);
    } else if (peeled.second == GIT_OBJECT_BLOB) {
      if (known.insert(peeled.first).second) out.push_back(peeled.first);
    } else {
      return Status::NotFound("cannot push " + tip.Hex() + ": it is not in this repository");
    }
  }

  // The commits to send, and the trees of the commits just below them
  // (the remote has those: their objects are not sent). Commits are read
  // through `reader` and parsed for their tree and parents only.
  auto links = [&](const ObjectId& commit, ObjectId& tree,
                   std::vector<ObjectId>& parents) -> Status {
    STRATA_ASSIGN_OR_RETURN(std::shared_ptr<const RawObject> raw, store.ReadObject(commit, reader));
    if (raw->type != GIT_OBJECT_COMMIT || !ParseCommitLinks(raw->data, tree, parents)) {
      return Status::Corruption("version " + commit.Hex() + " is not a valid commit");
    }
    return Status::Ok();
  };
  std::unordered_set<ObjectId> commits;
  std::unordered_map<ObjectId, ObjectId> tree_of;          // new and boundary commits
  std::vector<std::pair<ObjectId, ObjectId>> new_commits;  // commit, its tree
  std::vector<std::vector<ObjectId>> new_parents;
  auto add_commit = [&](const ObjectId& id) -> Status {
    ObjectId tree;
    new_parents.emplace_back();
    STRATA_RETURN_IF_ERROR(links(id, tree, new_parents.back()));
    new_commits.emplace_back(id, tree);
    tree_of.emplace(id, tree);
    return Status::Ok();
  };
  if (!tip_commits.empty() && !any_hidden) {
    // The remote has none of our history: every ancestor goes, found by
    // reading the commits once (libgit2's walk would read them again).
    std::vector<ObjectId> pending;
    for (const ObjectId& tip : tip_commits) {
      if (commits.insert(tip).second) pending.push_back(tip);
    }
    while (!pending.empty()) {
      const ObjectId id = pending.back();
      pending.pop_back();
      STRATA_RETURN_IF_ERROR(add_commit(id));
      for (const ObjectId& parent : new_parents.back()) {
        if (store.Exists(parent) && commits.insert(parent).second) pending.push_back(parent);
      }
    }
  } else if (!tip_commits.empty()) {
    git_oid oid;
    int rc;
    while ((rc = git_revwalk_next(&oid, walk.get())) == 0) {
      STRATA_RETURN_IF_ERROR(add_commit(FromGit(oid)));
      commits.insert(FromGit(oid));
    }
    if (rc != GIT_ITEROVER) return GitError(rc, "cannot walk the history");
    std::vector<ObjectId> ignored;
    for (const std::vector<ObjectId>& parents : new_parents) {
      for (const ObjectId& parent : parents) {
        if (commits.count(parent)) continue;
        ObjectId tree;
        ignored.clear();
        if (!store.Exists(parent)) continue;  // a shallow or pruned parent: nothing to exclude
        STRATA_RETURN_IF_ERROR(links(parent, tree, ignored));
        uninteresting_trees.push_back(tree);
        tree_of.emplace(parent, tree);
      }
    }
  }

  // Everything under the uninteresting trees is known; a subtree known
  // already is not opened again.
  std::vector<ObjectId> stack;
  for (const ObjectId& tree : uninteresting_trees) {
    if (known.insert(tree).second) stack.push_back(tree);
  }
  while (!stack.empty()) {
    const ObjectId tree = stack.back();
    stack.pop_back();
    STRATA_RETURN_IF_ERROR(store.ScanTree(
        tree,
        [&](std::string_view, const ObjectId& id, bool is_tree) {
          if (known.insert(id).second && is_tree) stack.push_back(id);
          return true;
        },
        reader));
  }

  std::vector<TreeWork> work;
  for (const ObjectId& tree : interesting_trees) work.push_back({tree, std::nullopt});
  for (std::size_t i = 0; i < new_commits.size(); ++i) {
    out.push_back(new_commits[i].first);
    std::optional<ObjectId> base;
    if (!new_parents[i].empty()) {
      if (auto it = tree_of.find(new_parents[i][0]); it != tree_of.end()) base = it->second;
    }
    work.push_back({new_commits[i].second, base});
  }
  if (work.size() < kParallelTreeWalk) {
    STRATA_RETURN_IF_ERROR(DiffWalk(store, reader, std::move(work), known, out));
    return out;
  }
  // A long history: the older half on a second thread (the receiver has
  // nothing to do until the pack starts, so the other core is free), with
  // its own reader and its own copy of what is known; its objects that the
  // first half listed too are dropped when the two are joined.
  std::vector<TreeWork> older(work.begin(), work.begin() + work.size() / 2);
  work.erase(work.begin(), work.begin() + work.size() / 2);
  std::unordered_set<ObjectId> older_known = known;
  std::vector<ObjectId> older_out;
  Status older_status = Status::Ok();
  std::thread helper;
  try {
    helper = std::thread([&] {
      try {
        PackReader older_reader(store.objects_dir() + "/pack");
        older_status = DiffWalk(store, older_reader, std::move(older), older_known, older_out);
      } catch (...) {
        older_status = Status::ResourceExhausted("out of memory while listing the objects to push");
      }
    });
  } catch (const std::system_error&) {  // no thread: walk it here
    STRATA_RETURN_IF_ERROR(DiffWalk(store, reader, std::move(older), known, out));
  }
  Status status = Status::Ok();
  try {
    status = DiffWalk(store, reader, std::move(work), known, out);
  } catch (...) {
    if (helper.joinable()) helper.join();
    throw;
  }
  if (helper.joinable()) helper.join();
  STRATA_RETURN_IF_ERROR(status);
  STRATA_RETURN_IF_ERROR(older_status);
  for (const ObjectId& id : older_out) {
    if (known.insert(id).second) out.push_back(id);
  }
  return out;
}

// --- the link ------------------------------------------------------------------

// libgit2's subtransport, wrapped so that the advertisement's first bytes
// are kept.
struct ReceivePackLink::Sub {
  git_smart_subtransport parent;
  git_smart_subtransport* real;
  ReceivePackLink* link;
};

struct ReceivePackLink::Snoop {
  git_smart_subtransport_stream parent;
  git_smart_subtransport_stream* real;
  ReceivePackLink* link;
};

ReceivePackLink::ReceivePackLink(const std::string& url) {
  if (StartsWith(url, "git://")) {
    real_ = {git_smart_subtransport_git, 0, nullptr};
  } else if (StartsWith(url, "http://") || StartsWith(url, "https://")) {
    real_ = {git_smart_subtransport_http, 1, nullptr};
  } else if (StartsWith(url, "ssh://") || StartsWith(url, "ssh+git://") ||
             StartsWith(url, "git+ssh://") || url.find("://") == std::string::npos) {
    // No scheme: git's scp-like "host:path" (the caller has ruled out a
    // local path).
    real_ = {git_smart_subtransport_ssh, 0, nullptr};
  }
  ours_ = {&ReceivePackLink::MakeSub, real_.rpc, this};
}

ReceivePackLink::~ReceivePackLink() = default;

int ReceivePackLink::MakeTransport(git_transport** out, git_remote* owner) {
  return git_transport_smart(out, owner, &ours_);
}

int ReceivePackLink::MakeSub(git_smart_subtransport** out, git_transport* owner, void* param) {
  auto* link = static_cast<ReceivePackLink*>(param);
  git_smart_subtransport* real = nullptr;
  if (int rc = link->real_.callback(&real, owner, link->real_.param); rc < 0) return rc;
  auto* sub = new (std::nothrow) Sub{};
  if (!sub) {
    real->free(real);
    git_error_set_oom();
    return -1;
  }
  sub->real = real;
  sub->link = link;
  sub->parent.action = [](git_smart_subtransport_stream** out, git_smart_subtransport* t,
                          const char* url, git_smart_service_t action) {
    auto* self = reinterpret_cast<Sub*>(t);
    if (int rc = self->real->action(out, self->real, url, action); rc < 0) return rc;
    if (action != GIT_SERVICE_RECEIVEPACK_LS) return 0;
    auto* snoop = new (std::nothrow) Snoop{};
    if (!snoop) {
      (*out)->free(*out);
      *out = nullptr;
      git_error_set_oom();
      return -1;
    }
    snoop->real = *out;
    snoop->link = self->link;
    snoop->parent.subtransport = t;
    snoop->parent.read = [](git_smart_subtransport_stream* s, char* buffer, size_t size,
                            size_t* bytes_read) {
      auto* me = reinterpret_cast<Snoop*>(s);
      int rc = me->real->read(me->real, buffer, size, bytes_read);
      ReceivePackLink& l = *me->link;
      if (rc >= 0 && l.first_line_.empty() && l.advertised_.size() < (std::size_t{1} << 17)) {
        l.advertised_.append(buffer, *bytes_read);
        // Smart HTTP first says "# service=git-receive-pack" and a
        // flush-pkt; the refs (the first with the capabilities) follow.
        std::string_view rest = l.advertised_;
        for (;;) {
          std::string_view payload;
          bool flush = false;
          Result<long> n = NextPkt(rest, payload, flush);
          if (!n.ok() || *n < 0) break;
          rest.remove_prefix(static_cast<std::size_t>(*n));
          if (flush || StartsWith(payload, "# service=")) continue;
          l.first_line_ = std::string(payload);
          break;
        }
      }
      return rc;
    };
    snoop->parent.write = [](git_smart_subtransport_stream* s, const char* buffer, size_t len) {
      auto* me = reinterpret_cast<Snoop*>(s);
      return me->real->write(me->real, buffer, len);
    };
    snoop->parent.free = [](git_smart_subtransport_stream* s) {
      auto* me = reinterpret_cast<Snoop*>(s);
      me->real->free(me->real);
      delete me;
    };
    *out = &snoop->parent;
    return 0;
  };
  sub->parent.close = [](git_smart_subtransport* t) {
    auto* self = reinterpret_cast<Sub*>(t);
    return self->real->close(self->real);
  };
  sub->parent.free = [](git_smart_subtransport* t) {
    auto* self = reinterpret_cast<Sub*>(t);
    self->real->free(self->real);
    if (self->link->sub_ == self->real) self->link->sub_ = nullptr;
    delete self;
  };
  link->sub_ = real;
  *out = &sub->parent;
  return 0;
}

Result<PushReport> ReceivePackLink::Send(const std::string& url, ObjectStore& store,
                                         PackReader& reader, const std::vector<RefPush>& pushes,
                                         const std::vector<ObjectId>& objects,
                                         const git_remote_callbacks& callbacks,
                                         ObjectStore::PackStreamStats* stats) {
  if (!sub_) return Status::Internal("push: the connection is gone");
  if (first_line_.empty()) {
    return Status::Corruption("the remote's ref advertisement could not be read");
  }
  const ReceivePackCapabilities caps = ParseCapabilities(first_line_);
  git_smart_subtransport_stream* stream = nullptr;
  STRATA_GIT(sub_->action(&stream, sub_, url.c_str(), GIT_SERVICE_RECEIVEPACK),
             "cannot start receive-pack");
  // git:// and ssh:// hand back the connection the refs came on, which the
  // transport frees; http opens a request of its own, freed here.
  struct Release {
    git_smart_subtransport_stream* s;
    bool owned;
    ~Release() {
      if (owned && s) s->free(s);
    }
  } release{stream, real_.rpc != 0};

  auto write = [&](std::string_view bytes) -> Status {
    if (Interrupted()) return Status::IOError("interrupted");
    if (int rc = stream->write(stream, bytes.data(), bytes.size()); rc < 0) {
      return GitError(rc, "cannot send to the remote");
    }
    return Status::Ok();
  };
  STRATA_RETURN_IF_ERROR(write(PushCommands(pushes, caps)));
  ObjectStore::PackStreamOptions options;
  options.ofs_delta = caps.ofs_delta;
  options.reader = &reader;
  if (callbacks.push_transfer_progress) {
    options.progress = [&](std::size_t written, std::size_t total, std::uint64_t bytes) -> Status {
      if (callbacks.push_transfer_progress(static_cast<unsigned>(written),
                                           static_cast<unsigned>(total), bytes,
                                           callbacks.payload) < 0) {
        return Status::IOError("interrupted");
      }
      return Status::Ok();
    };
  }
  STRATA_ASSIGN_OR_RETURN(*stats, store.StreamPack(objects, options, write));

  std::string buffer(std::size_t{1} << 16, '\0');
  if (!caps.report_status) {
    // Nothing will be reported: read to the end, which is when an http
    // request is finished and receive-pack has run.
    for (;;) {
      std::size_t n = 0;
      if (int rc = stream->read(stream, buffer.data(), buffer.size(), &n); rc < 0) {
        return GitError(rc, "cannot read the remote's answer");
      }
      if (n == 0) break;
    }
    PushReport report;
    report.unpack_ok = true;
    return report;
  }
  ReportReader report_reader(caps.side_band_64k, [&](std::string_view progress) {
    if (callbacks.sideband_progress) {
      callbacks.sideband_progress(progress.data(), static_cast<int>(progress.size()),
                                  callbacks.payload);
    }
  });
  while (!report_reader.done()) {
    std::size_t n = 0;
    if (int rc = stream->read(stream, buffer.data(), buffer.size(), &n); rc < 0) {
      return GitError(rc, "cannot read the remote's report");
    }
    if (n == 0) return Status::IOError("the remote closed the connection before it reported");
    STRATA_RETURN_IF_ERROR(report_reader.Feed(std::string_view(buffer.data(), n)));
  }
  PushReport report = report_reader.report();
  for (const RefPush& p : pushes) {
    if (!report.refused.count(p.ref) &&
        std::find(report.accepted.begin(), report.accepted.end(), p.ref) == report.accepted.end()) {
      report.refused[p.ref] = "the remote did not report it updated";
    }
  }
  return report;
}

}  // namespace strata
