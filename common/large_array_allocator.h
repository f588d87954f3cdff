// LargeArrayAllocator<T>: an allocator for the std::vectors of arrays rebuilt whole when they
// resize (a hash table's slots). Through malloc, each array a growing table leaves behind is a hole
// in the heap that only smaller allocations reuse, and it stays in the process's RSS: a shard
// filled with 500,000 one-peer torrents held 18 MB of such holes, 37 bytes a torrent. So an array
// of kMinMappedBytes or more is mapped straight from the kernel and unmapped when freed, which
// gives its memory back at once (malloc maps only above a threshold that rises as mapped blocks are
// freed), populated at once (the array is written whole next; page by page faulted slower).
// Smaller arrays stay with malloc, where rounding to pages would cost more than their holes (up
// to a quarter at 16 KiB). A higher threshold leaves more: at 32 KiB, a shard of 300,000
// one-peer torrents grew 149 bytes a torrent instead of 116, the arrays below it left as holes.
#pragma once

#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <memory>
#include <new>

namespace shardtrack {

inline constexpr std::size_t kMinMappedBytes = 16 * 1024;

template <typename T>
class LargeArrayAllocator {
 public:
  using value_type = T;

  LargeArrayAllocator() = default;
  template <typename U>
  explicit LargeArrayAllocator(const LargeArrayAllocator<U>&) {}

  T* allocate(std::size_t count) {
    const std::size_t bytes = count * sizeof(T);  // std::vector keeps count below max_size()
    if (bytes < kMinMappedBytes) return std::allocator<T>().allocate(count);
    void* mapped = mmap(nullptr, bytes, PROT_READ | PROT_WRITE,
                        MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
    if (mapped == MAP_FAILED) throw std::bad_alloc();
    return static_cast<T*>(mapped);
  }

  void deallocate(T* array, std::size_t count) {
    const std::size_t bytes = count * sizeof(T);
    if (bytes < kMinMappedBytes) {
      std::allocator<T>().deallocate(array, count);
    } else {
      munmap(array, bytes);
    }
  }

  // What an array of `count` takes from the system: a mapped one, whole pages.
  static std::size_t BytesHeld(std::size_t count) {
    const std::size_t bytes = count * sizeof(T);
    if (bytes < kMinMappedBytes) return bytes;
    const auto page = static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
    return (bytes + page - 1) / page * page;
  }

  template <typename U>
  bool operator==(const LargeArrayAllocator<U>&) const {
    return true;  // stateless: any one frees what another allocated
  }
};

}  // namespace shardtrack
