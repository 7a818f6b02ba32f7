// The native queue memory: 2 MiB-aligned mappings marked for transparent huge pages.
#include "native/huge_page_memory.hpp"

#include <gtest/gtest.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include <cerrno>

#include <cstdint>
#include <cstring>
#include <fstream>
#include <string>

namespace {

using rudder::native::HugePageMemory;

constexpr std::size_t kHuge = HugePageMemory::kHugePageBytes;

// The VmFlags line of the mapping that holds `at`, from /proc/self/smaps ("" if not found).
std::string vm_flags_of(const void* at) {
  std::ifstream smaps("/proc/self/smaps");
  const auto address = reinterpret_cast<std::uintptr_t>(at);
  bool inside = false;
  for (std::string line; std::getline(smaps, line);) {
    unsigned long long start = 0, end = 0;
    char dash = 0;
    // A mapping's first line starts "start-end perms ..." in hex; its fields follow.
    if (std::sscanf(line.c_str(), "%llx%c%llx", &start, &dash, &end) == 3 && dash == '-') {
      inside = address >= start && address < end;
    } else if (inside && line.rfind("VmFlags:", 0) == 0) {
      return line;
    }
  }
  return "";
}

// Whether the page holding `at` is mapped: mincore() fails with ENOMEM on an unmapped one
// (asked without allocating, so nothing can map that address again meanwhile).
bool mapped(const char* at) {
  const auto page = reinterpret_cast<std::uintptr_t>(at) & ~std::uintptr_t{4095};
  unsigned char resident = 0;
  return ::mincore(reinterpret_cast<void*>(page), 1, &resident) == 0 || errno != ENOMEM;
}

bool kernel_has_transparent_huge_pages() {
  struct stat st {};
  return ::stat("/sys/kernel/mm/transparent_hugepage", &st) == 0;
}

TEST(HugePageMemory, BlocksAreAlignedToAHugePageAndWritableToTheirEnd) {
  HugePageMemory memory;
  EXPECT_EQ(memory.block_bytes(), kHuge);
  for (const std::size_t asked : {std::size_t{1}, kHuge, kHuge + 1, 3 * kHuge}) {
    char* block = memory.allocate(asked);
    ASSERT_NE(block, nullptr) << asked;
    EXPECT_EQ(reinterpret_cast<std::uintptr_t>(block) % kHuge, 0u) << asked;
    std::memset(block, 0x5a, asked);  // every byte asked for can be written
    EXPECT_EQ(block[asked - 1], 0x5a);
    memory.release(block, asked);
  }
}

TEST(HugePageMemory, BlocksAreMarkedForHugePages) {
  if (!kernel_has_transparent_huge_pages()) GTEST_SKIP() << "this kernel has no transparent huge pages";
  HugePageMemory memory;
  char* block = memory.allocate(kHuge);
  ASSERT_NE(block, nullptr);
  block[0] = 1;
  // "hg": the mapping was given MADV_HUGEPAGE, which is what lets the kernel back it with
  // huge pages when transparent_hugepage/enabled is "madvise" (the usual setting).
  EXPECT_NE(vm_flags_of(block).find(" hg"), std::string::npos) << vm_flags_of(block);
  memory.release(block, kHuge);
}

TEST(HugePageMemory, AReleasedBlockIsUnmapped) {
  HugePageMemory memory;
  char* block = memory.allocate(kHuge + 1);  // two huge pages
  ASSERT_NE(block, nullptr);
  block[0] = block[2 * kHuge - 1] = 1;
  ASSERT_TRUE(mapped(block) && mapped(block + 2 * kHuge - 1));
  memory.release(block, kHuge + 1);
  const bool first_page = mapped(block), rounded_up_tail = mapped(block + 2 * kHuge - 1);
  EXPECT_FALSE(first_page) << "the first huge page is still mapped";
  EXPECT_FALSE(rounded_up_tail) << "the rounded-up tail is still mapped";
}

}  // namespace
