#include "objects/blob_prefetch.h"

#include <utility>

#include "objects/pack_reader.h"

namespace strata {

BlobPrefetch::BlobPrefetch(std::string pack_dir, std::vector<ObjectId> ids,
                           std::size_t window_bytes)
    : pack_dir_(std::move(pack_dir)), ids_(std::move(ids)), window_bytes_(window_bytes) {
  if (ids_.empty()) return;
  try {
    thread_ = std::thread([this] { Run(); });
  } catch (...) {  // no thread: the reader reads every blob itself
    broken_ = true;
  }
}

BlobPrefetch::~BlobPrefetch() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  room_cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void BlobPrefetch::Run() {
  // Every blob read once and handed over: the reader's cache would only
  // hold what is never asked for again.
  std::optional<PackReader> reader;
  try {
    reader.emplace(pack_dir_, 0);
  } catch (...) {
  }
  std::size_t since_release = 0;
  // The last id this thread reads: the reader is woken for it.
  std::size_t last = ids_.size() - 1;
  while (last > 0 && ReadByCaller(last)) --last;
  for (std::size_t i = 0; i < ids_.size(); ++i) {
    if (ReadByCaller(i)) continue;
    // Each pack page is read once, in order: what was read goes back to
    // the system as the thread moves on, or an import of 1,000,000
    // documents would keep every one of its packs resident (~200 MB).
    if (reader && since_release >= kThreadReleaseBytes) {
      reader->ReleasePages();
      since_release = 0;
    }
    std::shared_ptr<const RawObject> blob;
    if (reader) {
      try {
        Result<std::shared_ptr<const RawObject>> object = reader->Read(ids_[i]);
        if (object.ok() && *object && (*object)->type == GIT_OBJECT_BLOB) blob = std::move(*object);
      } catch (...) {  // std::bad_alloc: the reader reads it itself
      }
    }
    const std::size_t bytes = blob ? blob->data.size() : 0;
    since_release += bytes;
    std::unique_lock lock(mu_);
    // A blob larger than the window goes alone.
    auto room = [&] { return stop_ || ready_.empty() || ready_bytes_ + bytes <= window_bytes_; };
    if (!room()) {
      lock.unlock();
      ready_cv_.notify_one();  // the reader may be waiting for less than a batch
      lock.lock();
      room_cv_.wait(lock, room);
    }
    if (stop_) return;
    try {
      ready_.push_back(std::move(blob));
    } catch (...) {  // std::bad_alloc: the reader reads this one and the rest itself
      broken_ = true;
      lock.unlock();
      ready_cv_.notify_one();
      return;
    }
    ready_bytes_ += bytes;
    if (ready_bytes_ > peak_bytes_) peak_bytes_ = ready_bytes_;
    // A waiting reader is woken for a batch, not for each blob: a wake-up
    // is a system call and a context switch, more than reading a blob.
    const bool wake = reader_waiting_ && (ready_.size() >= kWakeBatch || i == last);
    lock.unlock();
    if (wake) ready_cv_.notify_one();
  }
}

std::shared_ptr<const RawObject> BlobPrefetch::ReadHere(std::size_t i) {
  try {
    if (!here_ && !here_broken_) here_ = std::make_unique<PackReader>(pack_dir_, 0);
    if (!here_) return nullptr;
    if (here_since_release_ >= kCallerReleaseBytes) {
      here_->ReleasePages();
      here_since_release_ = 0;
    }
    Result<std::shared_ptr<const RawObject>> object = here_->Read(ids_[i]);
    if (!object.ok() || !*object || (*object)->type != GIT_OBJECT_BLOB) return nullptr;
    here_since_release_ += (*object)->data.size();
    return std::move(*object);
  } catch (...) {  // std::bad_alloc: the caller reads it otherwise
    here_broken_ = !here_;
    return nullptr;
  }
}

std::shared_ptr<const RawObject> BlobPrefetch::Next() {
  if (taken_ >= ids_.size()) return nullptr;
  if (ReadByCaller(taken_)) return ReadHere(taken_++);
  ++taken_;
  std::unique_lock lock(mu_);
  reader_waiting_ = true;
  ready_cv_.wait(lock, [&] { return !ready_.empty() || broken_; });
  reader_waiting_ = false;
  if (ready_.empty()) return nullptr;  // the thread stopped before this one
  std::shared_ptr<const RawObject> out = std::move(ready_.front());
  ready_.pop_front();
  ready_bytes_ -= out ? out->data.size() : 0;
  lock.unlock();
  room_cv_.notify_one();
  return out;
}

std::size_t BlobPrefetch::peak_bytes() {
  std::lock_guard lock(mu_);
  return peak_bytes_;
}

}  // namespace strata
