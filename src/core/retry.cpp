// rudder-analytics core: what an answer from the data plane means for its batch, and how long
// to wait before trying again.
// Copyright the rudder-analytics authors. MIT licence.
#include "core/retry.hpp"

#include <algorithm>

#include "core/iso_time.hpp"
#include "core/text.hpp"

namespace rudder::core {

Verdict classify(const Response& response) noexcept {
  const int s = response.status;
  // A redirect is never a delivery, and never followed: clients turn a POST answered with
  // 301-303 into a GET without its body, so the events would be lost while "delivered".
  if (response.redirected || (s >= 300 && s < 400)) return Verdict::fail;
  if (s >= 200 && s < 300) return Verdict::delivered;
  if (s == 413) return Verdict::split;
  // 0: no answer at all. 408 and 429 are the server asking for patience, as 5xx (503 over the
  // concurrency limit, 504 at the storage deadline, 500 on a storage error) are.
  if (s == 0 || s == 408 || s == 429 || (s >= 500 && s < 600)) return Verdict::retry;
  return Verdict::fail;
}

std::string describe(const Response& r) {
  if (r.redirected || (r.status >= 300 && r.status < 400)) {
    std::string text = r.status != 0 ? "HTTP " + std::to_string(r.status) + " redirect" : "a redirect";
    // The server's Location, quoted, with any password in it hidden, as a URL is in messages.
    if (!r.location.empty()) text += " to " + quoted_url_for_message(r.location, {});
    return text + ": redirects are not followed (the POST would arrive as a GET without its "
                  "events); set the data plane URL to the address the data plane answers at";
  }
  if (r.status == 0) {
    // A transport of the user's may answer status 0 and no reason.
    return "network error: " + (r.network_error.empty() ? std::string("no answer, and no reason given") : r.network_error);
  }
  // A message is one line for a log: a data plane's answer is one short line, but a proxy's
  // error page is cut (the whole answer, up to the transport's cap, stays in the error's body).
  constexpr std::size_t kMaxBodyInMessage = 200;
  std::string_view body = r.body;
  while (!body.empty() && (body.back() == '\n' || body.back() == '\r')) body.remove_suffix(1);
  std::string text = "HTTP " + std::to_string(r.status);
  if (body.empty()) return text;
  if (body.size() <= kMaxBodyInMessage) return text + ": " + std::string(body);
  std::size_t cut = kMaxBodyInMessage;
  while (cut > 0 && (static_cast<unsigned char>(body[cut]) & 0xC0) == 0x80) --cut;  // whole UTF-8
  return text + ": " + std::string(body.substr(0, cut)) + "... (" + std::to_string(r.body.size()) +
         " bytes)";
}

std::optional<std::int64_t> retry_after_ms(std::string_view value, std::int64_t now_unix_ms,
                                           std::int64_t cap_ms) noexcept {
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == ' ' || value.back() == '\t' || value.back() == '\r')) {
    value.remove_suffix(1);
  }
  if (value.empty()) return std::nullopt;
  if (std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    std::int64_t seconds = 0;
    for (char c : value) {
      seconds = seconds * 10 + (c - '0');
      if (seconds * 1000 > cap_ms) return cap_ms;  // also stops overflow on long digit runs
    }
    return seconds * 1000;
  }
  const auto when = parse_http_date(value);
  if (!when) return std::nullopt;
  return std::clamp<std::int64_t>(*when - now_unix_ms, 0, cap_ms);
}

std::int64_t backoff_ms(int retry, std::int64_t base_ms, std::int64_t cap_ms, Rng& rng) noexcept {
  std::int64_t ceiling = base_ms;
  for (int i = 1; i < retry && ceiling < cap_ms; ++i) ceiling *= 2;
  ceiling = std::min(ceiling, cap_ms);
  return static_cast<std::int64_t>(rng.up_to(static_cast<std::uint64_t>(std::max<std::int64_t>(ceiling, 0))));
}

}  // namespace rudder::core
