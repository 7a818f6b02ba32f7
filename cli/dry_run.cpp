// rudder-analytics CLI: --dry-run's transport, which prints what would be sent.
// Copyright the rudder-analytics authors. MIT licence.
#include "dry_run.hpp"

#include <nlohmann/json.hpp>

namespace rudder::cli {

void DryRunTransport::send(HttpRequest request, Done done) {
  // Ordered: each event printed with its keys in the order they would be sent.
  const nlohmann::ordered_json body = nlohmann::ordered_json::parse(request.body, nullptr, false);
  const auto batch = body.find("batch");
  if (batch != body.end() && batch->is_array()) {
    for (const nlohmann::ordered_json& event : *batch) {
      const std::string line = event.dump() + "\n";
      std::fwrite(line.data(), 1, line.size(), out_);
    }
  }
  std::fflush(out_);
  HttpResponse answer;
  answer.status = 200;
  answer.body = "OK";
  done(std::move(answer));
}

}  // namespace rudder::cli
