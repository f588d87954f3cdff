// MappedArray<T>: a resizable array for a table that rebuilds itself in place at each resize (a
// hash table's slots). From a page on it is an anonymous mapping of its own that mremap grows and
// shrinks. Why not std::vector: through malloc, each array a growing table leaves behind is a
// hole in the heap that only smaller blocks reuse, and it stays in the RSS (a shard of 140,000
// one-peer torrents held 8.7 MB of holes, 62 bytes a torrent, when arrays under 16 KiB came from
// malloc). Mapping a fresh array at each resize ends the holes but faults every page of it again,
// ~10 us a page on a VM; mremap keeps the pages it has and faults only the new ones. Arrays under
// a page stay with malloc (realloc), where a page each would cost more than the holes. A mapped
// array's size is rounded up to fill its last page.
// T must be movable by its bytes (no pointer into itself nor kept elsewhere, as with
// std::unique_ptr members): a resize moves the elements without calling their constructors.
#pragma once

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <memory>
#include <new>
#include <type_traits>
#include <utility>

namespace shardtrack {

template <typename T>
class MappedArray {
  static_assert(alignof(T) <= alignof(std::max_align_t), "malloc aligns no further");

 public:
  MappedArray() = default;
  explicit MappedArray(std::size_t count) { Resize(count); }
  ~MappedArray() {
    std::destroy(begin(), end());
    Release(data_, size_);
  }
  MappedArray(MappedArray&& other) noexcept
      : data_(std::exchange(other.data_, nullptr)), size_(std::exchange(other.size_, 0)) {}
  MappedArray& operator=(MappedArray&& other) noexcept {
    MappedArray gone(std::move(*this));
    data_ = std::exchange(other.data_, nullptr);
    size_ = std::exchange(other.size_, 0);
    return *this;
  }

  std::size_t size() const { return size_; }
  T& operator[](std::size_t index) { return data_[index]; }
  const T& operator[](std::size_t index) const { return data_[index]; }
  T* begin() { return data_; }
  T* end() { return data_ + size_; }
  const T* begin() const { return data_; }
  const T* end() const { return data_ + size_; }

  // Makes the array hold SizeFor(count) elements: the first ones kept, new ones value-initialised.
  // Throws std::bad_alloc, changing nothing, when memory for a larger array cannot be had; when
  // the system refuses a smaller one the array keeps its size, the elements past `count` new.
  void Resize(std::size_t count) {
    // Here, not on the class: a nested T (a table's slot) is not complete enough there.
    static_assert(std::is_nothrow_default_constructible_v<T>, "new elements must not throw");
    if (count > std::numeric_limits<std::size_t>::max() / sizeof(T) / 2) throw std::bad_alloc();
    count = SizeFor(count);
    if (count == size_) return;
    if (count < size_) std::destroy(begin() + count, end());
    T* moved = MoveTo(count);
    if (moved == nullptr && count > 0) {
      if (count > size_) throw std::bad_alloc();
      std::uninitialized_value_construct(begin() + count, end());
      return;
    }
    if (count > size_) std::uninitialized_value_construct(moved + size_, moved + count);
    data_ = moved;
    size_ = count;
  }

  // The elements an array asked for `count` holds: a mapped one fills its last page.
  static std::size_t SizeFor(std::size_t count) {
    if (!Mapped(count)) return count;
    return PagesFor(count) / sizeof(T);
  }
  // What an array of SizeFor(count) elements takes from the system.
  static std::size_t BytesHeld(std::size_t count) {
    if (!Mapped(count)) return count * sizeof(T);
    return PagesFor(count);
  }
  std::size_t BytesHeld() const { return BytesHeld(size_); }

 private:
  static bool Mapped(std::size_t count) { return count * sizeof(T) >= Page(); }
  static std::size_t Page() { return static_cast<std::size_t>(sysconf(_SC_PAGESIZE)); }
  static std::size_t PagesFor(std::size_t count) {
    return (count * sizeof(T) + Page() - 1) / Page() * Page();
  }

  // The elements moved by their bytes into storage for `count` (the old storage released), or
  // null: nothing changed when storage could not be had, or all released for a count of 0.
  T* MoveTo(std::size_t count) {
    if (count == 0) {
      Release(data_, size_);
      return nullptr;
    }
    if (Mapped(size_) && Mapped(count)) {
      void* moved = mremap(data_, BytesHeld(size_), BytesHeld(count), MREMAP_MAYMOVE);
      return moved == MAP_FAILED ? nullptr : static_cast<T*>(moved);
    }
    if (!Mapped(size_) && !Mapped(count)) {
      return static_cast<T*>(std::realloc(static_cast<void*>(data_), count * sizeof(T)));
    }
    T* fresh = Acquire(count);
    if (fresh == nullptr) return nullptr;
    const std::size_t kept = std::min(count, size_) * sizeof(T);
    if (kept > 0) std::memcpy(static_cast<void*>(fresh), static_cast<const void*>(data_), kept);
    Release(data_, size_);
    return fresh;
  }
  static T* Acquire(std::size_t count) {
    if (!Mapped(count)) return static_cast<T*>(std::malloc(count * sizeof(T)));
    void* mapped =
        mmap(nullptr, BytesHeld(count), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    return mapped == MAP_FAILED ? nullptr : static_cast<T*>(mapped);
  }
  static void Release(T* data, std::size_t count) {
    if (Mapped(count)) {
      munmap(static_cast<void*>(data), BytesHeld(count));
    } else {
      std::free(static_cast<void*>(data));
    }
  }

  T* data_ = nullptr;
  std::size_t size_ = 0;
};

}  // namespace shardtrack
