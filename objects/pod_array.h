// PodArray<T>: a growable array of trivially copyable T for the large,
// short-lived arrays of one read (a document's million members and their
// sort order, objects/key_sort.h).
//
// Beyond kMapBytes it lives in an anonymous mapping of its own, advised for
// transparent huge pages (the kernel's "madvise" mode, Debian's default),
// and grows by mremap, which moves page tables rather than bytes. Reading
// a 1M-member document touched ~37,000 pages of 4 KiB through std::vector
// and std::string, a fault each (a quarter of its time in the kernel), and
// its members, met in hash order, missed the TLB at every step; with 2 MiB
// pages both go away. Smaller arrays stay on the heap.
//
// Elements past size() are uninitialised: resize() does not write them.
#pragma once

#include <sys/mman.h>

#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <new>
#include <type_traits>
#include <utility>

namespace strata {

template <typename T>
class PodArray {
  static_assert(std::is_trivially_copyable_v<T>, "PodArray holds trivially copyable values");

 public:
  static constexpr std::size_t kMapBytes = std::size_t{1} << 20;
  static constexpr std::size_t kHugePage = std::size_t{2} << 20;

  PodArray() = default;
  explicit PodArray(std::size_t size) { resize(size); }
  ~PodArray() { Release(); }
  PodArray(PodArray&& other) noexcept { *this = std::move(other); }
  PodArray& operator=(PodArray&& other) noexcept {
    if (this != &other) {
      Release();
      data_ = std::exchange(other.data_, nullptr);
      size_ = std::exchange(other.size_, 0);
      capacity_ = std::exchange(other.capacity_, 0);
      mapped_ = std::exchange(other.mapped_, 0);
    }
    return *this;
  }
  PodArray(const PodArray&) = delete;
  PodArray& operator=(const PodArray&) = delete;

  T* data() { return data_; }
  const T* data() const { return data_; }
  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  T& operator[](std::size_t i) { return data_[i]; }
  const T& operator[](std::size_t i) const { return data_[i]; }
  T* begin() { return data_; }
  T* end() { return data_ + size_; }
  const T* begin() const { return data_; }
  const T* end() const { return data_ + size_; }

  void clear() { size_ = 0; }
  // Room for `n` elements without moving them again; throws std::bad_alloc.
  void reserve(std::size_t n) {
    if (n > capacity_) Grow(n);
  }
  void resize(std::size_t n) {
    reserve(n);
    size_ = n;
  }
  void push_back(const T& v) {
    if (size_ == capacity_) Grow(capacity_ < 16 ? 16 : capacity_ * 2);
    data_[size_++] = v;
  }

 private:
  void Grow(std::size_t n) {
    if (n > static_cast<std::size_t>(-1) / sizeof(T)) throw std::bad_alloc();
    std::size_t bytes = n * sizeof(T);
    if (bytes < kMapBytes) {
      void* p = std::realloc(data_, bytes);
      if (p == nullptr) throw std::bad_alloc();
      data_ = static_cast<T*>(p);
      capacity_ = n;
      return;
    }
    // Whole huge pages: the kernel aligns such a mapping to one.
    bytes = (bytes + kHugePage - 1) / kHugePage * kHugePage;
    void* p;
    if (mapped_ != 0) {
      p = ::mremap(data_, mapped_, bytes, MREMAP_MAYMOVE);
    } else {
      p = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    }
    if (p == MAP_FAILED) throw std::bad_alloc();
    if (mapped_ == 0) {
      ::madvise(p, bytes, MADV_HUGEPAGE);  // advice only: small pages if refused
      if (size_ != 0) std::memcpy(p, data_, size_ * sizeof(T));
      std::free(data_);
    }
    data_ = static_cast<T*>(p);
    mapped_ = bytes;
    capacity_ = bytes / sizeof(T);
  }
  void Release() {
    if (mapped_ != 0) {
      ::munmap(data_, mapped_);
    } else {
      std::free(data_);
    }
    data_ = nullptr;
    size_ = capacity_ = mapped_ = 0;
  }

  T* data_ = nullptr;
  std::size_t size_ = 0;
  std::size_t capacity_ = 0;
  std::size_t mapped_ = 0;  // bytes mapped, 0 while on the heap
};

}  // namespace strata
