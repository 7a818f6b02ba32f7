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
                 const std::function<void(std::size_t, std::string_view)>& on_line,
                 const std::function<void(std::size_t, const std::string&)>& on_bad,
                 const std::function<bool()>& stop) {
  std::string line;
  std::size_t number = 0;
  while ((!stop || !stop()) && std::getline(in, line)) {
    ++number;
    if (is_blank(line)) continue;
    if (const auto problem = nesting_problem(line)) {
      on_bad(number, *problem);
    } else {
      on_line(number, line);
    }
  }
  return !in.bad();
}

}  // namespace rudder::cli
