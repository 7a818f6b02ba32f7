// rudder-analytics core: the storage file format.
// Copyright the rudder-analytics authors. MIT licence.
#include "core/segment.hpp"

#include <cstring>

namespace rudder::core::segment {
namespace {

constexpr char kMagic[8] = {'R', 'U', 'D', 'Q', 'S', 'E', 'G', '1'};

void put32(char* at, std::uint32_t v) noexcept {
  for (int i = 0; i < 4; ++i) at[i] = static_cast<char>((v >> (8 * i)) & 0xFF);
}
void put64(char* at, std::uint64_t v) noexcept {
  for (int i = 0; i < 8; ++i) at[i] = static_cast<char>((v >> (8 * i)) & 0xFF);
}
std::uint32_t get32(const char* at) noexcept {
  std::uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v |= std::uint32_t{static_cast<unsigned char>(at[i])} << (8 * i);
  return v;
}
std::uint64_t get64(const char* at) noexcept {
  std::uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v |= std::uint64_t{static_cast<unsigned char>(at[i])} << (8 * i);
  return v;
}

}  // namespace

void write_header(char* at, std::int64_t created, std::uint64_t destination) noexcept {
  std::memset(at, 0, kHeaderBytes);
  std::memcpy(at, kMagic, sizeof kMagic);
  put32(at + 8, kHeaderBytes);
  put64(at + kResumeOffsetAt, kHeaderBytes);
  put64(at + 24, static_cast<std::uint64_t>(created));
  put64(at + 32, destination);
}

bool has_header(std::string_view bytes) noexcept {
  return bytes.size() >= kHeaderBytes && std::memcmp(bytes.data(), kMagic, sizeof kMagic) == 0 &&
         get32(bytes.data() + 8) == kHeaderBytes;
}

std::uint64_t resume_offset(const char* header) noexcept { return get64(header + kResumeOffsetAt); }

void set_resume_offset(char* header, std::uint64_t offset) noexcept {
  put64(header + kResumeOffsetAt, offset);
}

std::int64_t created_unix_ms(const char* header) noexcept {
  return static_cast<std::int64_t>(get64(header + 24));
}

std::uint64_t destination(const char* header) noexcept { return get64(header + 32); }

std::uint64_t destination_tag(std::string_view authorization) noexcept {
  std::uint64_t hash = 0xcbf29ce484222325ULL;  // FNV-1a, 64-bit
  for (const char c : authorization) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 0x100000001b3ULL;
  }
  return hash == 0 ? 1 : hash;
}

void write_record(char* at, std::string_view payload, std::uint32_t crc) noexcept {
  std::memcpy(at + kRecordHeaderBytes, payload.data(), payload.size());
  put32(at + 4, crc);
  // Last: until this store, a reader sees the end marker here.
  put32(at, static_cast<std::uint32_t>(payload.size()));
}

namespace {

// A record that is whole and whose checksum holds starts at `at`: its payload's size, else 0.
std::uint32_t valid_record_at(std::string_view bytes, std::size_t at, std::uint32_t (*checksum)(std::string_view)) {
  if (at + kRecordHeaderBytes > bytes.size()) return 0;
  const std::uint32_t size = get32(bytes.data() + at);
  if (size == 0 || size > kMaxPayloadBytes || size > bytes.size() - at - kRecordHeaderBytes) return 0;
  return checksum(bytes.substr(at + kRecordHeaderBytes, size)) == get32(bytes.data() + at + 4) ? size : 0;
}

// Where the first valid record after a damaged one starts, or npos. Only a few offsets can
// hold a plausible size (a payload is JSON text, whose bytes make sizes far over the limit),
// so the checksum is computed rarely: damage is read past at little cost.
std::size_t next_valid_record(std::string_view bytes, std::size_t from, std::uint32_t (*checksum)(std::string_view)) {
  for (std::size_t at = from; at + kRecordHeaderBytes < bytes.size(); ++at) {
    if (valid_record_at(bytes, at, checksum) != 0) return at;
  }
  return std::string_view::npos;
}

}  // namespace

bool repair_header(char* bytes, std::size_t size, std::uint32_t (*checksum)(std::string_view)) noexcept {
  const std::string_view file(bytes, size);
  if (size < kHeaderBytes || has_header(file)) return false;
  if (next_valid_record(file, kHeaderBytes, checksum) == std::string_view::npos) return false;
  std::memcpy(bytes, kMagic, sizeof kMagic);
  put32(bytes + 8, kHeaderBytes);
  return true;
}

Scan scan(std::string_view bytes, std::uint32_t (*checksum)(std::string_view)) {
  Scan s;
  if (!has_header(bytes)) return s;
  s.valid = true;
  std::size_t at = resume_offset(bytes.data());
  // A damaged header: from the top. The resume offset names a record's start, or the end
  // marker; anywhere else it was damaged, and starting there could skip events never sent.
  // From the top, events sent before are sent again, which the data plane drops by messageId.
  const bool at_record_or_end = at >= kHeaderBytes && at <= bytes.size() &&
                                (at + kRecordHeaderBytes > bytes.size() || get32(bytes.data() + at) == 0 ||
                                 valid_record_at(bytes, at, checksum) != 0);
  if (!at_record_or_end) {
    at = kHeaderBytes;
    s.from_top = true;
  }
  while (at + kRecordHeaderBytes <= bytes.size()) {
    const std::uint32_t size = get32(bytes.data() + at);
    if (size == 0) break;
    if (valid_record_at(bytes, at, checksum) != 0) {
      const std::size_t next = at + record_bytes(size);
      s.records.push_back({bytes.substr(at + kRecordHeaderBytes, size), next});
      at = next;
      continue;
    }
    // Damaged, or torn by a writer that died: read on from the next record that is whole,
    // so one bad byte costs one event, not the rest of the file.
    const std::size_t resume = next_valid_record(bytes, at + 1, checksum);
    // A payload is JSON text, which holds no NUL byte: without a whole record after it, a
    // record ends at the end marker (the first 0).
    std::size_t payload_end = resume;
    if (payload_end == std::string_view::npos) {
      payload_end = bytes.find('\0', at + kRecordHeaderBytes);
      if (payload_end == std::string_view::npos) payload_end = bytes.size();
    }
    // Its size field alone may be hit: the payload up to there, if its checksum holds, is it.
    const std::string_view payload =
        payload_end > at + kRecordHeaderBytes ? bytes.substr(at + kRecordHeaderBytes, payload_end - at - kRecordHeaderBytes)
                                              : std::string_view{};
    const std::size_t next = resume == std::string_view::npos ? payload_end : resume;
    if (!payload.empty() && checksum(payload) == get32(bytes.data() + at + 4)) {
      s.records.push_back({payload, next});
    } else {
      ++s.corrupt;
      if (!s.records.empty()) s.records.back().next = next;
    }
    if (resume == std::string_view::npos) {
      at = payload_end;
      break;
    }
    at = resume;
  }
  s.end = at;
  return s;
}

}  // namespace rudder::core::segment
