// rudder-analytics CLI: newline-delimited JSON input, one call per line.
// Copyright the rudder-analytics authors. MIT licence.
#include "ndjson.hpp"

#include "json_input.hpp"

namespace rudder::cli {
namespace {

bool is_blank(const std::string& line) {
  return line.find_first_not_of(" \t\r") == std::string::npos;
}

}  // namespace

bool read_ndjson(std::istream& in,
                 const std::function<void(std::size_t, const nlohmann::json&)>& on_value,
                 const std::function<void(std::size_t, const std::string&)>& on_bad,
                 const std::function<bool()>& stop) {
  std::string line;
  std::size_t number = 0;
  while ((!stop || !stop()) && std::getline(in, line)) {
    ++number;
    if (is_blank(line)) continue;
    std::string error;
    if (const auto value = parse_json_input(line, error)) {
      on_value(number, *value);
    } else {
      on_bad(number, error);
    }
  }
  return !in.bad();
}

}  // namespace rudder::cli
