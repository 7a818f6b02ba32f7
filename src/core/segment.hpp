// rudder-analytics core: the storage file format, the same on every target, so a queue left
// by the npm package in Node is delivered by the native client or CLI and the other way round.
// Copyright the rudder-analytics authors. MIT licence.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace rudder::core::segment {

// A segment file: a 64-byte header, then records back to back, then zeros (a file may be
// allocated ahead) or its end. All integers little-endian.
//   header  0  8 bytes  magic "RUDQSEG1"
//           8  u32      header size (64)
//          12  u32      flags (0)
//          16  u64      resume offset: where the first record not yet delivered starts
//          24  i64      created, unix ms
//          32  u64      destination: destination_tag() of the write key the events were
//                       accepted for (0 in files written before it was kept: any client
//                       delivers those)
//          40  24 bytes zero
//   record  0  u32      payload size (never 0: a 0 here marks the end)
//           4  u32      CRC-32 of the payload
//           8  payload  the event's JSON without its sentAt and closing brace (json_open)
// A record's size field is written last, so a writer stopped midway leaves a 0 (the end)
// rather than a size with no payload behind it.
inline constexpr std::size_t kHeaderBytes = 64;
/// Where the header's resume offset (8 bytes) is.
inline constexpr std::size_t kResumeOffsetAt = 16;
inline constexpr std::size_t kRecordHeaderBytes = 8;
/// Larger payloads are refused (no event comes near: max_message_bytes is far below).
inline constexpr std::uint32_t kMaxPayloadBytes = 64u << 20;

constexpr std::size_t record_bytes(std::size_t payload_bytes) noexcept {
  return kRecordHeaderBytes + payload_bytes;
}

/// Writes a header at `at` (kHeaderBytes), resume offset kHeaderBytes.
void write_header(char* at, std::int64_t created_unix_ms, std::uint64_t destination = 0) noexcept;
/// True when `bytes` starts with a header of this format.
bool has_header(std::string_view bytes) noexcept;
std::uint64_t resume_offset(const char* header) noexcept;
void set_resume_offset(char* header, std::uint64_t offset) noexcept;
std::int64_t created_unix_ms(const char* header) noexcept;
std::uint64_t destination(const char* header) noexcept;

/// Names the source a segment's events belong to, so that a client never sends events
/// accepted for another write key (a directory shared by mistake, a key changed between
/// runs): a 64-bit FNV-1a hash of the request's Authorization value, which carries the write
/// key, never 0. A hash, so the key itself is not written into the files again. The data
/// plane's URL is not part of it: a source's events follow it to a new address.
std::uint64_t destination_tag(std::string_view authorization) noexcept;

/// A file whose header's fixed fields (the magic, the header size) are damaged, but which
/// holds a whole record after it: rewrites those fields, so that scan() reads its records, and
/// returns true (the resume offset is checked by scan; the destination stays as it was read).
/// False, and nothing written, for anything else.
bool repair_header(char* bytes, std::size_t size, std::uint32_t (*checksum)(std::string_view)) noexcept;

/// Writes one record at `at` (record_bytes(payload.size()) bytes), the size field last.
void write_record(char* at, std::string_view payload, std::uint32_t crc) noexcept;

/// What a segment holds from its resume offset on.
struct Scan {
  struct Record {
    std::string_view payload;  ///< a view into the scanned bytes
    std::size_t next = 0;      ///< where the next good record (or the end) starts
  };
  std::vector<Record> records;  ///< those whose checksum holds, in order
  std::size_t corrupt = 0;      ///< records skipped: bad checksum, or cut off by the file's end
  std::size_t end = 0;          ///< offset of the end marker (or the file's end)
  bool valid = false;           ///< false: no header of this format; nothing else is set
  bool from_top = false;        ///< the resume offset was damaged: read from the first record
};

/// Reads records from the header's resume offset until a 0 size or the end. A record whose
/// checksum fails is skipped and counted; one whose size runs past the end is the torn last
/// record of a writer that died: counted, and the scan ends there.
Scan scan(std::string_view bytes, std::uint32_t (*checksum)(std::string_view));

}  // namespace rudder::core::segment
