// rudder-analytics wasm platform: storage segments written through to files by the host.
// Copyright the rudder-analytics authors. MIT licence.
#include "wasm/host_store.hpp"

#include <emscripten/emscripten.h>
#include <emscripten/html5.h>  // emscripten_date_now

#include <new>

#include "core/segment.hpp"
#include "wasm/host.hpp"

namespace rudder::wasm {

char* HostStore::allocate(std::size_t size) { return new (std::nothrow) char[size]; }

std::optional<core::BlockStore::Block> HostStore::create(std::size_t min_capacity, std::string& why) {
  char* bytes = allocate(min_capacity);
  if (bytes == nullptr) {
    why = "no memory for a segment of " + std::to_string(min_capacity) + " bytes";
    return std::nullopt;
  }
  core::segment::write_header(bytes, static_cast<std::int64_t>(emscripten_date_now()), destination);
  const Block block{bytes, min_capacity, next_id_++};
  if (!host::storage_create(static_cast<std::uint32_t>(block.id),
                            {bytes, core::segment::kHeaderBytes}, min_capacity, why)) {
    delete[] bytes;  // the log keeps this event in memory
    return std::nullopt;
  }
  return block;
}

void HostStore::remove(const Block& block) noexcept {
  host::storage_remove(static_cast<std::uint32_t>(block.id));
  delete[] block.bytes;
}

void HostStore::close(const Block& block) noexcept {
  host::storage_close(static_cast<std::uint32_t>(block.id));
  delete[] block.bytes;
}

void HostStore::set_aside(const Block& block) noexcept {
  host::storage_set_aside(static_cast<std::uint32_t>(block.id));
  delete[] block.bytes;
}

bool HostStore::written(const Block& block, std::size_t offset, std::size_t length, std::string& why) noexcept {
  return host::storage_write(static_cast<std::uint32_t>(block.id), static_cast<double>(offset),
                             {block.bytes + offset, length}, why);
}

}  // namespace rudder::wasm
