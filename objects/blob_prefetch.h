// BlobPrefetch: blobs read from the packs ahead of their reader, on a thread
// of its own, in the order the reader will ask for them.
//
// A write that adds many documents reads each one back to put it in the
// version's delta (repo/write.cc, Repository::Build); an import's documents
// are packed by then, and inflating each from its pack was a tenth of the
// writer's thread. This thread runs ahead of it, at most `window_bytes` of
// content ahead, through a PackReader of its own (objects/pack_reader.h:
// every object checked against its id), on the core the compressor leaves
// idle while the version is built.
//
// The writer's thread, waiting on it, had that core to spare: an import of
// 1,000,000 documents spent a third of its time reading them back, one
// thread busy and the other mostly waiting. So every kCallerEvery-th run of
// kRun ids is read by the caller itself, in Next, through a reader of its
// own, while the thread reads the runs around it.
//
//   BlobPrefetch ahead(store.objects_dir() + "/pack", ids);
//   for (const ObjectId& id : ids) {
//     std::shared_ptr<const RawObject> blob = ahead.Next();
//     if (!blob) ... read `id` otherwise (staged, loose, or an error to report)
//   }
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "objects/loose_object.h"
#include "objects/pack_reader.h"
#include "strata/object_id.h"

namespace strata {

class BlobPrefetch {
 public:
  static constexpr std::size_t kDefaultWindowBytes = std::size_t{4} << 20;
  // Blobs ready before a waiting reader is woken (or the last, or a full window).
  static constexpr std::size_t kWakeBatch = 64;
  // About the most of the packs' mapped pages the two lanes keep resident
  // together. A lane's reads span more of the packs than the blobs it
  // reads (the thread's 3/2 of its bytes, the caller's 3 times), so each
  // releases its pages after reading its share: the thread after
  // kThreadReleaseBytes of blobs, the caller after kCallerReleaseBytes.
  static constexpr std::size_t kReleaseBytes = std::size_t{16} << 20;
  // Ids come in runs of kRun; the caller reads each kCallerEvery-th run
  // itself (the thread the others). Its share is the smaller: it also
  // writes what it reads.
  static constexpr std::size_t kRun = 256;
  static constexpr std::size_t kCallerEvery = 3;
  // Whether the caller reads the `i`th id itself.
  static bool ReadByCaller(std::size_t i) { return (i / kRun) % kCallerEvery == kCallerEvery - 1; }
  static constexpr std::size_t kThreadReleaseBytes =
      kReleaseBytes / 2 * (kCallerEvery - 1) / kCallerEvery;
  static constexpr std::size_t kCallerReleaseBytes = kReleaseBytes / 2 / kCallerEvery;

  // Starts reading `ids`, in order, from the packs in `pack_dir` as they are
  // now. No thread is started when `ids` is empty.
  BlobPrefetch(std::string pack_dir, std::vector<ObjectId> ids,
               std::size_t window_bytes = kDefaultWindowBytes);
  // Stops the thread, whatever it has left to read.
  ~BlobPrefetch();
  BlobPrefetch(const BlobPrefetch&) = delete;
  BlobPrefetch& operator=(const BlobPrefetch&) = delete;

  // The next id's blob, in the order given; null when the thread did not
  // read it (not in those packs, not a blob, damaged, no memory):
  // the caller reads that one otherwise, and gets its error there. Called at
  // most once per id.
  std::shared_ptr<const RawObject> Next();

  // The most content held at once, read by the thread but not yet taken
  // (for tests of the window): at most window_bytes, or one blob when a
  // single blob is larger.
  std::size_t peak_bytes();

 private:
  void Run();
  // Reads id `i` in the caller's lane: null if it is not a packed blob.
  std::shared_ptr<const RawObject> ReadHere(std::size_t i);

  const std::string pack_dir_;
  const std::vector<ObjectId> ids_;
  const std::size_t window_bytes_;
  std::size_t taken_ = 0;  // the reader's: ids Next has answered
  // The caller's: its reader, opened at its first id, and the blob bytes
  // it read since it last released the packs' pages.
  std::unique_ptr<PackReader> here_;
  bool here_broken_ = false;
  std::size_t here_since_release_ = 0;

  std::mutex mu_;
  std::condition_variable ready_cv_;  // to the reader: a blob is ready
  std::condition_variable room_cv_;   // to the thread: room in the window, or stop
  std::deque<std::shared_ptr<const RawObject>> ready_;
  std::size_t ready_bytes_ = 0;
  std::size_t peak_bytes_ = 0;
  bool stop_ = false;
  bool broken_ = false;          // the thread stopped early: nothing more will be ready
  bool reader_waiting_ = false;  // Next is waiting for a blob
  std::thread thread_;           // last: it starts once the members above exist
};

}  // namespace strata
