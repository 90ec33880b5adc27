// The object store: reads and writes git blobs and trees for one repository.
//
// Open() gives the repository its object database (objects/loose_backend.h):
// staged objects, then packs, then loose objects read by strata. Writes are
// staged in memory (objects/stage_backend.h, ahead of the disk
// backends, so staged objects read back at once) until Flush(), which puts
// them on disk as one packfile and its index, fsynced (three fsync calls
// whatever their number; two when the index is small enough to be rebuilt
// from its pack after a power loss: RepairPackIndexes). Each staged object
// is compressed for the pack on a worker thread as soon as it is staged,
// while the caller goes on hashing and building trees; Flush waits for it,
// then writes. Nothing reaches the disk before Flush(), so
// a failed write leaves no trace; refs are moved only after Flush() returns. Each Flush adds a
// pack; `strata gc` (strata/gc.h) packs them into one.
#pragma once

#include <cstdint>
#include <cstdio>
#include <ctime>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "objects/git.h"
#include "objects/loose_object.h"
#include "objects/pack_backend.h"
#include "objects/pack_file.h"
#include "objects/pack_ids.h"
#include "strata/status.h"

namespace strata {

class PackReader;

struct TreeEntry {
  std::string name;
  ObjectId id;
  bool is_tree = false;
};

// A tree parsed once for lookups by name (ObjectStore::IndexTree): its
// entries sorted by name bytes, so a lookup is a binary search rather than a
// scan of up to kFlatMaxEntries names. Immutable, like the tree.
class TreeIndex {
 public:
  struct Entry {
    std::string_view name;  // into the index's own storage
    ObjectId id;
    bool is_tree = false;
  };
  TreeIndex() = default;
  TreeIndex(const TreeIndex&) = delete;  // entries point into bytes_
  TreeIndex& operator=(const TreeIndex&) = delete;

  // An index of `entries` (in any order), holding copies of their names;
  // for a node assembled from several trees. Not cached.
  static std::shared_ptr<const TreeIndex> Of(const std::vector<TreeEntry>& entries);
  static std::shared_ptr<const TreeIndex> Of(const std::vector<Entry>& entries);

  // The entry named `name`, or null.
  const Entry* Find(std::string_view name) const;
  // Every entry, sorted by name bytes.
  const std::vector<Entry>& entries() const { return entries_; }
  // The name of the tree's first entry in git's order ("" if it is empty):
  // a strata node's kind shows in it (a shard's names start with '.').
  std::string_view first_name() const { return first_; }
  std::size_t size() const { return entries_.size(); }
  // Bytes this index holds, for the cache's bound.
  std::size_t bytes() const;

 private:
  friend class ObjectStore;
  // Building: Reserve the bytes of every name (which must not be exceeded:
  // entries point into them), Add each entry, then Seal once.
  void Reserve(std::size_t entries, std::size_t bytes);
  void Add(std::string_view name, const ObjectId& id, bool is_tree);
  void Seal();
  template <typename Entries>
  static std::shared_ptr<const TreeIndex> Copy(const Entries& entries);

  std::string bytes_;           // the tree's content, or the names back to back
  std::vector<Entry> entries_;  // sorted by name
  std::string_view first_;
};

class ObjectStore {
 public:
  // Borrows `repo`, which must outlive the store, and installs the store's
  // object database on it (git_repository_set_odb), so that libgit2 reads
  // loose objects through strata's backend from then on. With
  // `repair_indexes`, first rebuilds the small pack indexes a power loss
  // tore (RepairPackIndexes); Repository's open leaves that out when no
  // restart happened since the journal was last written (repo/journal.h).
  static Result<std::unique_ptr<ObjectStore>> Open(git_repository* repo,
                                                   bool repair_indexes = true);
  ~ObjectStore();
  ObjectStore(const ObjectStore&) = delete;
  ObjectStore& operator=(const ObjectStore&) = delete;

  // NotFound if the object is absent; Corruption if it has the wrong type or
  // its loose file is damaged.
  Result<std::string> ReadBlob(const ObjectId& id);
  // The same into `out`, whose memory is kept from one read to the next: for
  // a reader of many blobs that copies each where it wants it.
  Status ReadBlob(const ObjectId& id, std::string& out);
  Result<std::size_t> BlobSize(const ObjectId& id);
  Result<std::vector<TreeEntry>> ReadTree(const ObjectId& id);
  Result<std::vector<TreeEntry>> ReadTree(const ObjectId& id, PackReader& reader);
  // The entries of tree `id` in order, each given to `visit` without a copy
  // of its name (valid during the call); `visit` returns false to stop.
  // Errors as ReadTree's. For lookups that want one entry of a large tree.
  using TreeVisitor = std::function<bool(std::string_view name, const ObjectId& id, bool is_tree)>;
  Status ScanTree(const ObjectId& id, const TreeVisitor& visit);
  // Any object, read through `reader` first, else through libgit2 (staged,
  // loose, in an alternate).
  Result<std::shared_ptr<const RawObject>> ReadObject(const ObjectId& id, PackReader& reader);
  // The same, reading the tree through `reader` first (objects/pack_reader.h:
  // for a walk over many trees, such as a push's).
  Status ScanTree(const ObjectId& id, const TreeVisitor& visit, PackReader& reader);
  // Tree `id` parsed and sorted for lookups, from a cache of recently used
  // trees (bounded by kTreeIndexCacheBytes, least recently used out first):
  // a lookup in a tree read before, at any version, costs a binary search.
  // Errors as ReadTree's. Safe to call from several threads.
  Result<std::shared_ptr<const TreeIndex>> IndexTree(const ObjectId& id);
  static constexpr std::size_t kTreeIndexCacheBytes = std::size_t{64} << 20;
  // The cache's bound (tests set a small one); the default is kTreeIndexCacheBytes.
  void set_tree_index_cache_bytes(std::size_t bytes);
  // Trees in the cache now.
  std::size_t cached_tree_indexes();

  // Stage an object; returns its id. Objects already stored are not staged again.
  Result<ObjectId> WriteBlob(std::string_view data);
  // The same, keeping `data` itself (no copy of a large blob).
  Result<ObjectId> WriteBlob(std::string&& data);
  Result<ObjectId> WriteBlob(const char* data) { return WriteBlob(std::string_view(data)); }
  // Writes the blob whose content is `file`, from its start to its end, as a
  // pack of its own (fsynced, as Flush writes one), reading it a buffer at a
  // time: a blob too large to hold in memory (an import's delta) is never
  // held whole. Returns its id; nothing is written if it is stored already.
  // IOError if the file cannot be read or the pack written.
  Result<ObjectId> WriteBlobFile(std::FILE* file);
  // Sorts `entries` in git's order; names must be valid git entry names.
  Result<ObjectId> WriteTree(std::vector<TreeEntry> entries);

  // Stage any object (a commit made with git_commit_create_buffer, say).
  Result<ObjectId> WriteObject(std::string_view data, git_object_t type);
  Result<ObjectId> WriteObject(std::string&& data, git_object_t type);

  // Whether `id` is staged or on disk (packs written by other processes
  // since the last look included). Never answers from libgit2's cache.
  bool Exists(const ObjectId& id);
  // After a read of an object failed, whether the system refused it (too
  // many open files, no memory) rather than the repository lacking the
  // object or holding it damaged: the system's reason, or Ok. `denied`:
  // Exists or Contains said the object is not there, which a pack index the
  // system refused to list, open or map at the last look at the packs may
  // explain; else libgit2 failed to read it, and its last error says
  // (GitErrorIsSystem). Clears libgit2's error.
  Status Refusal(bool denied) const;
  // Whether `id` is staged or on disk as of the last look at the packs: no
  // rescan of the pack folder on a miss, so asking about many objects that
  // are absent (what a fetch brought) costs a lookup each, not a folder scan.
  bool Contains(const ObjectId& id) { return Stored(id); }
  // The same, for a staged or packed object only (no loose-file lookup):
  // with ListLoose, for a caller that asks about many objects at once.
  bool ContainsPacked(const ObjectId& id);
  // The ids of every loose object on disk now, from one listing of the
  // objects folder.
  Result<std::unordered_set<ObjectId>> ListLoose();

  // Objects staged since the last Flush or Discard, and their total size.
  std::size_t staged_objects() const { return staged_.size(); }
  std::uint64_t staged_bytes() const { return staged_bytes_; }
  // Objects (and their bytes) this store has written to packs, and staged
  // since: a write's count is the difference across it, whether or not a
  // flush threshold wrote some of them on the way.
  std::uint64_t written_objects() const { return flushed_objects_ + staged_.size(); }
  std::uint64_t written_bytes() const { return flushed_bytes_ + staged_bytes_; }

  // Writes the staged objects to disk as one new packfile, whole (no deltas:
  // `strata gc` finds those), with its index: both under temporary names in
  // objects/pack, fsynced, renamed, then one fsync of objects/pack. Any
  // failure (write, fsync, rename) is an IOError naming the file, and
  // leaves no pack behind.
  Status Flush();

  // The staged objects as a pack written by PreparePack: under temporary
  // names in objects/pack (which no reader lists), neither fsynced, until
  // Install renames it into place. What is not installed is removed when
  // this is destroyed. For a write journal (repo/journal.h): the journal's
  // record makes `bytes` durable before Install makes the pack visible, so
  // no reader, in this process or another, sees objects a power loss could
  // take away.
  class PreparedPack {
   public:
    PreparedPack() = default;
    PreparedPack(const PreparedPack&) = delete;
    PreparedPack& operator=(const PreparedPack&) = delete;
    ~PreparedPack();
    const std::string& bytes() const { return bytes_; }  // the pack file, trailer included
    const ObjectId& name() const { return name_; }       // its checksum: pack-NAME.pack

   private:
    friend class ObjectStore;
    std::string pack_tmp_, index_tmp_, base_;  // base_: objects/pack/pack-NAME
    std::string bytes_;
    ObjectId name_;
    bool installed_ = false;
    // The mtime of objects/pack before the pack's files went in, if read.
    struct timespec folder_before_ {};
    bool folder_dated_ = false;
  };
  // Writes the staged objects as Flush does, but as a PreparedPack; nullptr
  // when nothing is staged.
  Result<std::unique_ptr<PreparedPack>> PreparePack();
  // Renames a prepared pack into place (its pack, then its index) and
  // empties the stage, as Flush ends. `sync`: the pack (and an index larger
  // than kUnsyncedIndexMax) are fsynced before, and objects/pack after, as
  // Flush does; otherwise nothing is, and the caller has made `bytes`
  // durable (RepairPackIndexes rebuilds a torn index from its pack).
  Status Install(PreparedPack& pack, bool sync);
  // The index of a pack of whole objects (the packs Flush and PreparePack
  // write), rebuilt from its bytes; Corruption, naming `path`, for any
  // other. For recovering a pack from a journal.
  static Result<std::string> IndexOfWholePack(const std::string& pack, const std::string& path);

  // Rescans objects/pack (libgit2's list of packs and Stored's): after
  // another writer's pack, or a gc, in this process. When a pack was
  // removed, libgit2's packs are opened again, so that this process holds
  // no removed pack (objects/pack_backend.h). Not while another thread
  // reads through the store.
  Status RefreshPacks();
  // How many packs objects/pack holds (kept ones included), from the
  // listing lookups use, listed again only if the folder changed since (one
  // `stat` when it did not); nullopt when an index could not be read (a
  // pack being written, or the system refused).
  std::optional<std::size_t> ListedPacks();

  // Writes one pack holding every entry of the packs `bases` (paths without
  // ".pack"), their bytes copied as they are: no object is inflated,
  // compressed or deltified again, and a delta keeps its base (each pack's
  // entries stay together, so the offsets between them hold). Pack and
  // index are written under temporary names in `objects_dir`/pack, fsynced,
  // renamed, and the folder fsynced; returns the new pack's path without
  // ".pack", and its object count. nullopt when an object is in two of the
  // packs (an index lists an id once: the caller repacks instead).
  // Corruption when a pack or its index does not match its checksum. The
  // packs given are left in place.
  struct CombinedPack {
    std::string base;
    std::uint64_t objects = 0;
  };
  static Result<std::optional<CombinedPack>> CombinePacks(const std::string& objects_dir,
                                                          const std::vector<std::string>& bases);

  // Streams to `sink` a pack (git's pack format, version 2) of exactly the
  // objects `ids`, reusing the deltas stored here as git's send-pack does:
  // an object in one of this repository's packs is copied as stored
  // (checked against its index's CRC-32, never inflated), a delta staying
  // a delta when its base is sent too; any other object (loose, staged, in
  // an alternate, or a delta whose base is not sent) goes whole, read and
  // compressed afresh. Within a pack, entries go in the order they are
  // stored, so a delta's base precedes it. NotFound names an id that is
  // not here; an error from `sink` or `progress` stops the pack.
  struct PackStreamOptions {
    // Whether a delta may name its base by offset (the receiver advertised
    // "ofs-delta"); otherwise by id.
    bool ofs_delta = true;
    // Reads the packs (their indexes, the objects sent whole) through this
    // reader, shared with the walk that listed `ids`; nullptr: a new one.
    PackReader* reader = nullptr;
    // Called after each piece handed to `sink` and at the end: objects
    // written so far, objects in all, bytes so far.
    std::function<Status(std::size_t written, std::size_t total, std::uint64_t bytes)> progress;
    // When set, receives each object's entry as the index lists it: its id,
    // where the entry starts in the stream, and its CRC-32.
    std::vector<PackedEntry>* entries = nullptr;
  };
  struct PackStreamStats {
    std::size_t objects = 0;
    std::size_t reused_deltas = 0;  // deltas copied as stored
    // The same by pack, in the order of the reader's packs().
    std::vector<std::size_t> reused_deltas_by_pack;
    std::size_t whole = 0;  // objects read and compressed afresh
    std::uint64_t bytes = 0;
    std::string checksum;  // the pack's trailer: the SHA-1 of its bytes (20 bytes)
  };
  Result<PackStreamStats> StreamPack(const std::vector<ObjectId>& ids,
                                     const PackStreamOptions& options,
                                     const std::function<Status(std::string_view)>& sink);

  // Writes the pack StreamPack makes of `ids` into folder `dir`, with its
  // index (entries as StreamPack copies them, so nothing is inflated but
  // the objects that go whole), both fsynced under their final names
  // `dir`/pack-HEX.pack and .idx; returns "pack-HEX", and what StreamPack
  // counted in `stats` when given. gc writes its pack this way into its own
  // folder and moves it into objects/pack itself.
  Result<std::string> WritePackOf(const std::vector<ObjectId>& ids,
                                  const PackStreamOptions& options, const std::string& dir,
                                  PackStreamStats* stats = nullptr);

  // Rebuilds, from its pack, every pack index in `objects_dir`/pack of
  // kUnsyncedIndexMax bytes or less that is not whole and valid (one a
  // power loss tore: Flush does not fsync indexes that small). Open calls
  // it before libgit2 reads any index. Ok when every such index is valid
  // now; Corruption or IOError naming the last pack it could not re-index.
  static Status RepairPackIndexes(const std::string& objects_dir);
  // The largest pack index Flush writes without its own fsync (its pack,
  // and the folder, are fsynced).
  static constexpr long kUnsyncedIndexMax = 4096;
  // Forgets the staged objects, and the cached indexes (IndexTree): one may
  // be of a tree that was only staged.
  void Discard();

  // Whether staged objects are compressed on the worker thread (the
  // default: it starts once a write stages kParallelCompressionObjects
  // objects or kParallelCompressionBytes, and stops when the write is
  // flushed or discarded) or by Flush itself. The pack's bytes are the
  // same either way; tests compare the two.
  void set_parallel_compression(bool on);
  static constexpr std::size_t kParallelCompressionObjects = 128;
  static constexpr std::uint64_t kParallelCompressionBytes = std::uint64_t{256} << 10;
  // For tests: the worker fails to compress the `n`th object it is given
  // from now on (1 = the next), as a zlib error would; 0: never.
  void FailCompressionForTesting(std::size_t n);

  // While > 0, staging an object that brings the staged bytes to the
  // batch's bound flushes them at once (Flush), so that a long write (an
  // import) holds a batch staged, never all it writes. The bound grows with
  // the write: kFirstFlushBytes, then a quarter of the bytes flushed since
  // this call, up to `bytes`; so a small import's batch (its memory) stays
  // small beside its input, and a large one's reaches `bytes`. Objects
  // flushed so are on disk but named by no ref until the write's version
  // is: a write that fails after a flush leaves them unreachable (`strata
  // gc` removes them once old), never a version. 0 (the default): only
  // Flush() writes.
  void set_flush_threshold(std::uint64_t bytes) {
    flush_threshold_ = bytes;
    flushed_before_threshold_ = flushed_bytes_;
  }
  static constexpr std::uint64_t kFirstFlushBytes = std::uint64_t{8} << 20;

  git_repository* repo() const { return repo_; }
  const std::string& objects_dir() const { return objects_dir_; }

  // The repository format the tree codec writes (strata.formatVersion;
  // objects/tree_codec.h): from 2, large arrays are array nodes; from 3,
  // object nodes are sharded 16 ways past 128 members; from 4, a document's
  // small members are kept in leaves. An older format is
  // kept for a repository whose readers may not know the newer encodings;
  // reading knows them all either way. New stores write kNewestFormat.
  static constexpr int kNewestFormat = 4;
  int format() const { return format_; }
  void set_format(int format) { format_ = format; }
  bool array_nodes() const { return format_ >= 2; }

 private:
  ObjectStore(git_repository* repo, OdbPtr odb, git_odb_backend* stage, git_odb_backend* packs,
              git_odb_backend* loose, std::string objects_dir,
              std::shared_ptr<SharedPackIds> pack_ids);
  // Whether `id` is staged or on disk. Asks the backends themselves, never
  // libgit2's object cache, which keeps objects that were staged, read back
  // and then discarded.
  bool Stored(const ObjectId& id);
  // Writes the staged objects as a new pack: installed (fsynced, as Flush
  // says) when `prepared` is null, else left under temporary names in it.
  Status WritePack(PreparedPack* prepared = nullptr);
  // Stages new object `id` (not stored yet), whose bytes are `data`.
  Result<ObjectId> StageNew(const ObjectId& id, std::string&& data, git_object_t type);
  // Empties the stage (its backend, the compressor's queue); what Flush
  // does once the staged objects are in a pack, where the indexes cached
  // of them stay true.
  void ClearStage();
  Result<OdbObjectPtr> ReadRawTree(const ObjectId& id);
  bool InPacks(const ObjectId& id);
  class Compressor;     // the worker thread (object_store.cc)
  struct PackDeflater;  // WritePack's zlib streams, kept from one write to the next
  void StartCompressor();
  Result<RawObject> Read(const ObjectId& id, const char* what);
  Status ReadInto(const ObjectId& id, const char* what, RawObject& out);

  git_repository* repo_;
  OdbPtr odb_;              // the repository's, set by Open
  git_odb_backend* stage_;  // owned by odb_
  git_odb_backend* packs_;  // owned by odb_
  git_odb_backend* loose_;  // owned by odb_
  std::string objects_dir_;
  // What the packs hold, for Stored; shared with packs_, which reads through it.
  std::shared_ptr<SharedPackIds> pack_ids_;
  std::uint64_t removed_packs_seen_ = 0;  // pack_ids_->ids.removed() at the last reopening
  std::vector<ObjectId> staged_;
  std::uint64_t staged_bytes_ = 0;
  std::uint64_t flush_threshold_ = 0;
  std::uint64_t flushed_before_threshold_ = 0;  // flushed_bytes_ when it was set
  std::uint64_t flushed_objects_ = 0;
  std::uint64_t flushed_bytes_ = 0;
  int format_ = kNewestFormat;
  bool parallel_compression_ = true;
  std::unique_ptr<Compressor> compressor_;  // null: Flush compresses
  std::unique_ptr<PackDeflater> deflater_;  // made by the first WritePack

  // IndexTree's cache: most recently used first.
  using IndexLru = std::list<std::pair<ObjectId, std::shared_ptr<const TreeIndex>>>;
  std::mutex index_mutex_;
  IndexLru index_lru_;
  std::unordered_map<ObjectId, IndexLru::iterator> index_map_;
  std::size_t index_bytes_ = 0;
  std::size_t index_limit_ = kTreeIndexCacheBytes;
};

// The name order git requires in a tree: bytewise, a tree's name compared as
// if it ended in '/'.
bool GitTreeOrder(const TreeEntry& a, const TreeEntry& b);

}  // namespace strata
