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
  std::string out(libdeflate_gzip_compress_bound(compressor_, plain.size()), '\0');
  const std::size_t size =
      libdeflate_gzip_compress(compressor_, plain.data(), plain.size(), out.data(), out.size());
  if (size == 0) return done(std::nullopt);  // cannot happen with the bound's room
  out.resize(size);
  done(std::move(out));
}

}  // namespace rudder::native
