// rudder-analytics native platform: queue memory that faults in 2 MiB at a time.
// Copyright the rudder-analytics authors. MIT licence.
#include "native/huge_page_memory.hpp"

#include <sys/mman.h>

#include <cstdint>

namespace rudder::native {
namespace {

std::size_t rounded_up(std::size_t bytes) {
  return (bytes + HugePageMemory::kHugePageBytes - 1) & ~(HugePageMemory::kHugePageBytes - 1);
}

}  // namespace

char* HugePageMemory::allocate(std::size_t bytes) noexcept {
  const std::size_t size = rounded_up(bytes);
  // A huge page must start on a 2 MiB boundary, which mmap does not promise: map one huge
  // page more than needed and unmap what lies outside the aligned range.
  const std::size_t mapped = size + kHugePageBytes;
  void* at = mmap(nullptr, mapped, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (at == MAP_FAILED) return nullptr;
  const auto start = reinterpret_cast<std::uintptr_t>(at);
  const std::uintptr_t aligned = (start + kHugePageBytes - 1) & ~(std::uintptr_t{kHugePageBytes} - 1);
  if (aligned > start) munmap(at, aligned - start);
  const std::uintptr_t end = start + mapped;
  if (end > aligned + size) munmap(reinterpret_cast<void*>(aligned + size), end - (aligned + size));
#ifdef MADV_HUGEPAGE
  // Advice only: refused (THP disabled, an old kernel), the block has ordinary pages.
  madvise(reinterpret_cast<void*>(aligned), size, MADV_HUGEPAGE);
#endif
  return reinterpret_cast<char*>(aligned);
}

void HugePageMemory::release(char* block, std::size_t bytes) noexcept {
  munmap(block, rounded_up(bytes));
}

}  // namespace rudder::native
