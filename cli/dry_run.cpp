// rudder-analytics CLI: --dry-run's transport, which prints what would be sent.
// Copyright the rudder-analytics authors. MIT licence.
#include "dry_run.hpp"

#include <string_view>
#include <vector>

namespace rudder::cli {
namespace {

// The elements of the body's "batch" array as the body spells them. Sliced, not parsed and
// printed again: a tree would print 98765432109876543210987 as 9.876543210987654e+22 and
// sort the keys, and what is printed must be what would be sent. The body is the library's
// own ({"batch":[...],...}, compact JSON), so finding the elements needs only to know where
// strings are.
std::vector<std::string_view> batch_elements(std::string_view body) {
  std::vector<std::string_view> out;
  constexpr std::string_view kBatch = "\"batch\":[";
  const std::size_t open = body.find(kBatch);
  if (open == std::string_view::npos) return out;
  std::size_t start = open + kBatch.size();
  int depth = 0;
  bool in_string = false;
  for (std::size_t i = start; i < body.size(); ++i) {
    const char c = body[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      ++depth;
    } else if (c == '}' || c == ']') {
      if (depth == 0) {  // the array's own end
        if (i > start) out.push_back(body.substr(start, i - start));
        return out;
      }
      --depth;
    } else if (c == ',' && depth == 0) {
      out.push_back(body.substr(start, i - start));
      start = i + 1;
    }
  }
  return out;
}

}  // namespace

void DryRunTransport::send(HttpRequest request, Done done) {
  for (const std::string_view event : batch_elements(request.body)) {
    std::fwrite(event.data(), 1, event.size(), out_);
    std::fputc('\n', out_);
  }
  std::fflush(out_);
  HttpResponse answer;
  answer.status = 200;
  answer.body = "OK";
  done(std::move(answer));
}

}  // namespace rudder::cli
