// rudder-analytics wasm platform: storage segments kept in the module's memory and written
// through to files by the JavaScript host (node:fs), for the package's storageDir in Node.
// Copyright the rudder-analytics authors. MIT licence.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "core/event_log.hpp"

namespace rudder::wasm {

/// Each block is memory in the module, mirrored by one segment file the host owns: the host
/// creates the file with the block's header, writes every record and resume offset the log
/// reports through written() at once (a synchronous write, so the event is in the OS's
/// hands when the call returns), and deletes or closes the file when the log lets go. The
/// host also does the ownership between processes (see js/src/storage.mjs); the file format
/// is the core's, so native clients and this package read each other's files.
class HostStore final : public core::BlockStore {
 public:
  std::optional<Block> create(std::size_t min_capacity, std::string& why) override;
  void remove(const Block& block) noexcept override;
  void close(const Block& block) noexcept override;
  void set_aside(const Block& block) noexcept override;
  bool written(const Block& block, std::size_t offset, std::size_t length, std::string& why) noexcept override;

  /// Memory for a segment the host read from a file it took over (file `id`, the host's
  /// number for it), to be filled by the host and passed to the driver's recover(). Owned by
  /// this store from then on, like the blocks create() makes.
  static char* allocate(std::size_t size);

 private:
  std::uint32_t next_id_ = 1u << 31;  // the host numbers taken-over files below this
};

}  // namespace rudder::wasm
