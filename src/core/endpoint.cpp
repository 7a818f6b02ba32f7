// rudder-analytics core: the data plane's addresses derived from the URL a user configured.
// Copyright the rudder-analytics authors. MIT licence.
#include "core/endpoint.hpp"

namespace rudder::core {
namespace {

constexpr std::string_view kBatchPath = "/v1/batch";

// Whether `url` ends in `suffix`, which is then cut off.
bool cut_suffix(std::string_view& url, std::string_view suffix) {
  if (url.size() < suffix.size() || url.compare(url.size() - suffix.size(), suffix.size(), suffix) != 0) return false;
  url.remove_suffix(suffix.size());
  return true;
}

// The URL without trailing slashes, or a trailing /v1/batch or /v1: the SDK adds /v1/batch,
// and a URL copied with either part of it went to /v1/v1/batch, a 404 for every event.
std::string_view base_of(std::string_view url) {
  while (!url.empty() && url.back() == '/') url.remove_suffix(1);
  if (!cut_suffix(url, kBatchPath)) cut_suffix(url, "/v1");
  return url;
}

// RFC 3986 unreserved characters stay; every other byte is %XX.
std::string percent_encoded(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (const char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '.' || c == '_' || c == '~') {
      out += ch;
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

std::string base64(std::string_view in) {
  static constexpr char kDigits[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  auto byte = [&in](std::size_t i) { return static_cast<unsigned>(static_cast<unsigned char>(in[i])); };
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    const unsigned v = (byte(i) << 16) | (byte(i + 1) << 8) | byte(i + 2);
    out += kDigits[v >> 18];
    out += kDigits[(v >> 12) & 63];
    out += kDigits[(v >> 6) & 63];
    out += kDigits[v & 63];
  }
  if (i < in.size()) {
    const bool two = i + 1 < in.size();
    const unsigned v = (byte(i) << 16) | (two ? byte(i + 1) << 8 : 0);
    out += kDigits[v >> 18];
    out += kDigits[(v >> 12) & 63];
    out += two ? kDigits[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

}  // namespace

std::string basic_authorization(std::string_view write_key) {
  std::string credentials(write_key);
  credentials += ':';
  return "Basic " + base64(credentials);
}

std::string batch_endpoint(std::string_view data_plane_url) {
  return std::string(base_of(data_plane_url)) + std::string(kBatchPath);
}

std::string beacon_endpoint(std::string_view data_plane_url, std::string_view write_key) {
  return std::string(base_of(data_plane_url)) + "/beacon" + std::string(kBatchPath) +
         "?writeKey=" + percent_encoded(write_key);
}

}  // namespace rudder::core
