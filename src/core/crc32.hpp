// rudder-analytics core: CRC-32 (the gzip / zlib polynomial), for storage records.
// Copyright the rudder-analytics authors. MIT licence.
#pragma once

#include <cstdint>
#include <string_view>

namespace rudder::core {

/// CRC-32 of `bytes` as gzip, zlib and Node's zlib.crc32 compute it, so a record written by
/// one target checks on another. Table-driven, eight bytes a step: the WebAssembly build has
/// no zlib; the native platform may use libdeflate's (same values, faster) instead.
std::uint32_t crc32(std::string_view bytes) noexcept;

}  // namespace rudder::core
