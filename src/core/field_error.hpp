// rudder-analytics core: the error every validation step reports.
// Copyright the rudder-analytics authors. MIT licence.
#pragma once

#include <string>

namespace rudder::core {

/// A problem with one input field. `field` is the path a user wrote, e.g. "userId",
/// "properties.items[2].price"; `problem` says what is wrong with it.
struct FieldError {
  enum class Kind {
    missing,       ///< a required field is absent or empty
    wrong_type,    ///< the field has the wrong JSON type
    invalid_value, ///< right type, unusable value (bad UTF-8, bad time, unknown type name)
    out_of_range   ///< a number that is not finite, or a message over its size limit
  };
  Kind kind;
  std::string field;
  std::string problem;

  /// "field: problem"
  std::string to_string() const { return field + ": " + problem; }
};

}  // namespace rudder::core
