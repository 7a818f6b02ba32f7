// rudder-analytics native platform: gzip request bodies with zlib.
// Copyright the rudder-analytics authors. MIT licence.
#pragma once

#include <string>
#include <string_view>

#include <zlib.h>

namespace rudder::native {

/// Compresses into the gzip format (RFC 1952) the data plane accepts. Keeps one zlib stream
/// and resets it between bodies, so its ~256 KiB of state is allocated once, not per request.
/// Not thread-safe: one per sending thread.
class Gzipper {
 public:
  /// `level`: zlib's 1 (fastest) to 9 (smallest).
  explicit Gzipper(int level);
  ~Gzipper();
  Gzipper(const Gzipper&) = delete;
  Gzipper& operator=(const Gzipper&) = delete;

  /// Compresses `input` into `output` (replacing its contents). False only when zlib fails
  /// (out of memory); the caller then sends the body uncompressed.
  bool compress(std::string_view input, std::string& output);

 private:
  z_stream stream_{};
  bool ready_ = false;
};

}  // namespace rudder::native
