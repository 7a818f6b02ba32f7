// rudder-analytics native platform: gzip request bodies with zlib.
// Copyright the rudder-analytics authors. MIT licence.
#include "native/gzip.hpp"

namespace rudder::native {

Gzipper::Gzipper(int level) {
  // windowBits 15 + 16 asks zlib for a gzip header and trailer instead of zlib's own.
  ready_ = deflateInit2(&stream_, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) == Z_OK;
}

Gzipper::~Gzipper() {
  if (ready_) deflateEnd(&stream_);
}

bool Gzipper::compress(std::string_view input, std::string& output) {
  if (!ready_ || deflateReset(&stream_) != Z_OK) return false;
  output.resize(deflateBound(&stream_, static_cast<uLong>(input.size())));
  stream_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(input.data()));
  stream_.avail_in = static_cast<uInt>(input.size());
  stream_.next_out = reinterpret_cast<Bytef*>(output.data());
  stream_.avail_out = static_cast<uInt>(output.size());
  // deflateBound guarantees one Z_FINISH call completes.
  if (deflate(&stream_, Z_FINISH) != Z_STREAM_END) return false;
  output.resize(stream_.total_out);
  return true;
}

}  // namespace rudder::native
