// rudder-analytics core: checks a Config before a client (native or wasm) uses it.
// Copyright the rudder-analytics authors. MIT licence.
#include <string>

#include "core/event.hpp"
#include "core/text.hpp"
#include "rudder/analytics.hpp"

namespace rudder {

std::string Config::validate() const {
  if (write_key.empty() || core::is_blank(write_key)) return "write_key: is required";
  if (!core::is_valid_utf8(write_key)) return "write_key: is not valid UTF-8";
  if (write_key.find_first_of(":\r\n") != std::string::npos) {
    return "write_key: must not contain ':' or line breaks";
  }
  if (data_plane_url.rfind("http://", 0) != 0 && data_plane_url.rfind("https://", 0) != 0) {
    return "data_plane_url: must start with http:// or https:// (got \"" + data_plane_url + "\")";
  }
  if (data_plane_url.find_first_of(" \r\n\t") != std::string::npos) {
    return "data_plane_url: must not contain white space";
  }
  if (max_queue_size == 0) return "max_queue_size: must be at least 1";
  if (upload_size == 0) return "upload_size: must be at least 1";
  if (timeout.count() <= 0) return "timeout: must be positive";
  if (upload_interval.count() < 0) return "upload_interval: must not be negative";
  if (max_retries < 0) return "max_retries: must not be negative";
  if (shutdown_timeout.count() < 0) return "shutdown_timeout: must not be negative";
  if (max_batch_bytes < 1024) return "max_batch_bytes: must be at least 1024";
  const std::size_t batch = std::min(max_batch_bytes, kGatewayMaxBodyBytes);
  if (max_message_bytes < 256) return "max_message_bytes: must be at least 256";
  if (max_message_bytes + core::kBatchEnvelopeSize > batch) {
    return "max_message_bytes: must leave room for the batch envelope: at most " +
           std::to_string(batch - core::kBatchEnvelopeSize) + " with max_batch_bytes " +
           std::to_string(batch);
  }
  if (channel.empty() || !core::is_valid_utf8(channel)) return "channel: must be non-empty UTF-8";
  return {};
}

}  // namespace rudder
