#include "repo/send_pack.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
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
                                            const std::vector<ObjectId>& tips,
                                            const std::vector<ObjectId>& haves) {
  git_odb* raw_odb = nullptr;
  STRATA_GIT(git_repository_odb(&raw_odb, repo), "cannot open the object database");
  OdbPtr odb(raw_odb);
  PackReader reader(store.objects_dir() + "/pack");
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
  for (const ObjectId& have : haves) {
    std::vector<ObjectId> tags;
    STRATA_ASSIGN_OR_RETURN(auto peeled, peel(have, &tags));
    for (const ObjectId& t : tags) known.insert(t);
    if (peeled.second == GIT_OBJECT_COMMIT) {
      STRATA_GIT(git_revwalk_hide(walk.get(), AsGit(peeled.first)), "cannot walk the history");
    } else if (peeled.second == GIT_OBJECT_TREE) {
      uninteresting_trees.push_back(peeled.first);
    } else if (peeled.second == GIT_OBJECT_BLOB) {
      known.insert(peeled.first);
    }
  }
  std::vector<ObjectId> interesting_trees;
  bool any_commit = false;
  for (const ObjectId& tip : tips) {
    std::vector<ObjectId> tags;
    STRATA_ASSIGN_OR_RETURN(auto peeled, peel(tip, &tags));
    for (const ObjectId& t : tags) {
      if (known.insert(t).second) out.push_back(t);
    }
    if (peeled.second == GIT_OBJECT_COMMIT) {
      STRATA_GIT(git_revwalk_push(walk.get(), AsGit(peeled.first)), "cannot walk the history");
      any_commit = true;
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
  std::vector<std::pair<ObjectId, ObjectId>> new_commits;  // commit, its tree
  std::vector<std::vector<ObjectId>> new_parents;
  if (any_commit) {
    git_oid oid;
    int rc;
    while ((rc = git_revwalk_next(&oid, walk.get())) == 0) {
      ObjectId tree;
      new_parents.emplace_back();
      STRATA_RETURN_IF_ERROR(links(FromGit(oid), tree, new_parents.back()));
      new_commits.emplace_back(FromGit(oid), tree);
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

  for (const auto& [id, tree] : new_commits) {
    out.push_back(id);
    interesting_trees.push_back(tree);
  }
  for (const ObjectId& tree : interesting_trees) {
    if (known.insert(tree).second) {
      out.push_back(tree);
      stack.push_back(tree);
    }
  }
  while (!stack.empty()) {
    const ObjectId tree = stack.back();
    stack.pop_back();
    STRATA_RETURN_IF_ERROR(store.ScanTree(
        tree,
        [&](std::string_view, const ObjectId& id, bool is_tree) {
          if (known.insert(id).second) {
            out.push_back(id);
            if (is_tree) stack.push_back(id);
          }
          return true;
        },
        reader));
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
  const bool scp_like = url.find("://") == std::string::npos &&
                        url.find(':') != std::string::npos && url.find(':') < url.find('/');
  if (StartsWith(url, "git://")) {
    real_ = {git_smart_subtransport_git, 0, nullptr};
  } else if (StartsWith(url, "http://") || StartsWith(url, "https://")) {
    real_ = {git_smart_subtransport_http, 1, nullptr};
  } else if (StartsWith(url, "ssh://") || StartsWith(url, "ssh+git://") ||
             StartsWith(url, "git+ssh://") || scp_like) {
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
                                         const std::vector<RefPush>& pushes,
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
  ReportReader reader(caps.side_band_64k, [&](std::string_view progress) {
    if (callbacks.sideband_progress) {
      callbacks.sideband_progress(progress.data(), static_cast<int>(progress.size()),
                                  callbacks.payload);
    }
  });
  while (!reader.done()) {
    std::size_t n = 0;
    if (int rc = stream->read(stream, buffer.data(), buffer.size(), &n); rc < 0) {
      return GitError(rc, "cannot read the remote's report");
    }
    if (n == 0) return Status::IOError("the remote closed the connection before it reported");
    STRATA_RETURN_IF_ERROR(reader.Feed(std::string_view(buffer.data(), n)));
  }
  PushReport report = reader.report();
  for (const RefPush& p : pushes) {
    if (!report.refused.count(p.ref) &&
        std::find(report.accepted.begin(), report.accepted.end(), p.ref) == report.accepted.end()) {
      report.refused[p.ref] = "the remote did not report it updated";
    }
  }
  return report;
}

}  // namespace strata
