// Push over the smart protocol with a pack strata makes itself.
//
// libgit2 1.5's push (git_remote_upload) builds its pack with
// git_packbuilder, which searches every delta afresh: 3.7x git's time for
// a 10,000-version history (docs/performance.md). git's send-pack instead
// copies the deltas already in its packs. So push lets libgit2 connect
// (its transports, credentials, certificate checks and the ref
// advertisement, unchanged) and then speaks receive-pack itself over the
// same connection (git's pack-protocol.txt, "Pushing Data To a Server"):
//
//   ReceivePackLink link(url);                    // nullptr-free: check link.smart()
//   callbacks.transport = ...link.MakeTransport   // before git_remote_connect
//   git_remote_connect(...); git_remote_ls(...);  // the refs, as before
//   SendPack(link, url, repo, store, updates, theirs, callbacks);
//
// A local path or file:// is not a smart transport: push keeps libgit2's
// own push there (repo/remote.cc).
#pragma once

#include <git2.h>
#include <git2/sys/transport.h>

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "objects/object_store.h"
#include "objects/pack_reader.h"
#include "strata/status.h"

namespace strata {

// The receiver's capabilities, from the first line of its advertisement.
struct ReceivePackCapabilities {
  bool report_status = false;
  bool side_band_64k = false;
  bool ofs_delta = false;
  bool quiet = false;
};
// `first_line`: the first pkt-line's payload ("<id> <ref>\0<caps>\n").
ReceivePackCapabilities ParseCapabilities(std::string_view first_line);

// One ref to move on the remote: from `old_id` (all zeros: the remote has
// no such ref) to `new_id`.
struct RefPush {
  std::string ref;
  ObjectId old_id;
  ObjectId new_id;
};

// The update commands as pkt-lines, capabilities on the first, then a
// flush-pkt.
std::string PushCommands(const std::vector<RefPush>& pushes, const ReceivePackCapabilities& caps);

// What receive-pack reported (report-status): whether it unpacked the
// pack, and each ref it refused with its reason.
struct PushReport {
  bool unpack_ok = false;
  std::string unpack_error;
  std::map<std::string, std::string> refused;  // ref -> reason
  std::vector<std::string> accepted;
};

// Reads receive-pack's report from the bytes it sends, demultiplexing
// side-band: band 2 (progress) goes to `progress`, band 3 ends with its
// message. Feed() takes what arrived; done() once the report's flush-pkt
// was read.
class ReportReader {
 public:
  ReportReader(bool side_band, std::function<void(std::string_view)> progress)
      : side_band_(side_band), progress_(std::move(progress)) {}
  Status Feed(std::string_view bytes);
  bool done() const { return done_; }
  const PushReport& report() const { return report_; }

 private:
  Status Line(std::string_view payload);
  bool side_band_;
  std::function<void(std::string_view)> progress_;
  std::string outer_;  // bytes not yet parsed
  std::string inner_;  // side-band 1's bytes not yet parsed
  PushReport report_;
  bool done_ = false;
};

// The objects a push of `tips` must send to a remote that has `haves`
// (the ids it advertised): every commit, tag, tree and blob reachable from
// the tips and not from the haves we have, walked with subtrees pruned by
// id (a tree the remote has is not opened).
// Objects are read through `reader` (objects/pack_reader.h) where packed.
Result<std::vector<ObjectId>> ObjectsToSend(git_repository* repo, ObjectStore& store,
                                            PackReader& reader, const std::vector<ObjectId>& tips,
                                            const std::vector<ObjectId>& haves);

// A smart transport (git://, ssh://, http(s)://) whose subtransport push
// can reach after libgit2 connected through it, and that keeps the first
// line of the receiver's advertisement (its capabilities, which libgit2
// does not expose).
class ReceivePackLink {
 public:
  // `url`: a remote's, not a local path (the caller tells them apart, as
  // push does for everything else: repo/remote.cc, IsLocalPath).
  explicit ReceivePackLink(const std::string& url);
  ~ReceivePackLink();
  ReceivePackLink(const ReceivePackLink&) = delete;
  ReceivePackLink& operator=(const ReceivePackLink&) = delete;

  // Whether `url` goes through one of libgit2's smart transports (git://,
  // http(s)://, ssh:// or scp-like); else (file://, another scheme) the
  // link is unused and push is libgit2's.
  bool smart() const { return real_.callback != nullptr; }
  // A git_transport_cb: the smart transport libgit2 connects with.
  int MakeTransport(git_transport** out, git_remote* owner);
  // The advertisement's first pkt-line payload, once connected.
  const std::string& first_line() const { return first_line_; }

  // Sends `pushes` and the pack of `objects`; the report, or the error
  // that stopped it. `callbacks` (the connection's): push_transfer_progress
  // and sideband_progress are called as libgit2 would.
  Result<PushReport> Send(const std::string& url, ObjectStore& store, PackReader& reader,
                          const std::vector<RefPush>& pushes, const std::vector<ObjectId>& objects,
                          const git_remote_callbacks& callbacks,
                          ObjectStore::PackStreamStats* stats);

 private:
  struct Sub;
  struct Snoop;
  static int MakeSub(git_smart_subtransport** out, git_transport* owner, void* param);
  git_smart_subtransport_definition real_{nullptr, 0, nullptr};
  git_smart_subtransport_definition ours_{nullptr, 0, nullptr};
  git_smart_subtransport* sub_ = nullptr;  // libgit2's, while the transport lives
  std::string advertised_;                 // the advertisement's first bytes
  std::string first_line_;
};

}  // namespace strata
