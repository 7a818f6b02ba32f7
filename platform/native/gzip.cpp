// rudder-analytics native platform: gzip request bodies with libdeflate.
// Copyright the rudder-analytics authors. MIT licence.
#include "native/gzip.hpp"

#include <libdeflate.h>

#include <string>

namespace rudder::native {

Gzipper::Gzipper(int level) : compressor_(libdeflate_alloc_compressor(level)) {}

Gzipper::~Gzipper() {
  if (compressor_ != nullptr) libdeflate_free_compressor(compressor_);
}

void Gzipper::compress(std::string_view plain, Done done) {
  if (compressor_ == nullptr) return done(std::nullopt);  // out of memory at start: send plain
  // Into a buffer kept from call to call, then copied out at its compressed size (about a
  // tenth): a string of the bound's size would be zeroed and allocated afresh every time.
  const std::size_t bound = libdeflate_gzip_compress_bound(compressor_, plain.size());
  if (scratch_.size() < bound) scratch_.resize(bound);
  const std::size_t size =
      libdeflate_gzip_compress(compressor_, plain.data(), plain.size(), scratch_.data(), bound);
  if (size == 0) return done(std::nullopt);  // cannot happen with the bound's room
  done(std::string(scratch_.data(), size));
}

}  // namespace rudder::native
