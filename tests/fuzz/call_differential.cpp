// rudder-analytics fuzzing: the two ways a call reaches the core, as JSON text
// (parse_call_text, the npm package's path) and as a tree (parse_call_of_type, the C++ API's
// and the CLI's), must agree on every input that is JSON.
// Copyright the rudder-analytics authors. MIT licence.
//
// Why: the text reader re-implements, without a tree, every rule the tree form applies, so
// that the wasm module needs no JSON parser; the header promises the same rules and the same
// error wording. Unit tests compare the two on hand-picked calls; this compares them on
// whatever the fuzzer finds. For each of the six types:
//  1. the text form given the tree's own serialization (dump(): keys sorted, each once, the
//     tree's escapes and number spellings) and the tree form give the same outcome byte for
//     byte: the same error text, or the same event and messageId;
//  2. the text form given the input as it stands accepts exactly when the tree form does,
//     builds the same JSON (compared as JSON: the text keeps the caller's key order, escapes
//     and number spellings, as documented), and words a refusal the same.
// Where the input itself makes the forms differ by design, step 2 asks less, and says why:
//  - a key given twice in one object: the tree keeps the last value only (so never checks the
//    first), while the text form reads every member. JSON.stringify never writes one.
//  - members not in the tree's (sorted) order: each form reports the first problem it meets,
//    so with two problems they may name different ones. Acceptance must still agree.
//  - a UTF-8 byte order mark before the value: nlohmann skips it; JSON.stringify never writes
//    one, and the text form refuses it as not JSON. Skipped, as is a NUL byte, where nlohmann
//    stops reading as if the text ended (call_text checks that the text form refuses it).
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "fuzz_support.hpp"

namespace {

using json = nlohmann::json;

// Generous, so that the size limit (which the forms measure on their own spellings) plays no
// part: inputs stay far below it under -max_len.
constexpr std::size_t kMaxMessageBytes = 32'768;

// Walks the input's objects as nlohmann reads them, noting whether every object's keys come
// in strictly increasing order (the tree's) and whether any key repeats in one object.
class KeyOrder : public nlohmann::json_sax<json> {
 public:
  bool sorted = true;
  bool repeated = false;

  bool null() override { return true; }
  bool boolean(bool) override { return true; }
  bool number_integer(number_integer_t) override { return true; }
  bool number_unsigned(number_unsigned_t) override { return true; }
  bool number_float(number_float_t, const string_t&) override { return true; }
  bool string(string_t&) override { return true; }
  bool binary(binary_t&) override { return true; }
  bool start_object(std::size_t) override {
    keys_.emplace_back();
    return true;
  }
  bool key(string_t& k) override {
    std::vector<std::string>& seen = keys_.back();
    if (!seen.empty() && !(seen.back() < k)) sorted = false;
    for (const std::string& s : seen) repeated = repeated || s == k;
    seen.push_back(k);
    return true;
  }
  bool end_object() override {
    keys_.pop_back();
    return true;
  }
  bool start_array(std::size_t) override { return true; }
  bool end_array() override { return true; }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) override {
    return false;
  }

 private:
  std::vector<std::vector<std::string>> keys_;
};

rudder::fuzz::Outcome from_text(rudder::core::MessageType type, std::string_view text) {
  rudder::core::ParsedCall call;
  const auto parse_error = rudder::core::parse_call_text(type, text, call);
  return rudder::fuzz::build(parse_error, call, kMaxMessageBytes);
}

rudder::fuzz::Outcome from_tree(rudder::core::MessageType type, const json& input) {
  rudder::core::ParsedCall call;
  const auto parse_error = rudder::core::parse_call_of_type(type, input, call);
  return rudder::fuzz::build(parse_error, call, kMaxMessageBytes);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace rudder;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  if (text.substr(0, 3) == "\xEF\xBB\xBF" || text.find('\0') != std::string_view::npos) return 0;
  const json input = json::parse(text, nullptr, false);
  if (input.is_discarded()) return 0;
  KeyOrder order;
  json::sax_parse(text, &order);
  const std::string canonical = input.dump();

  for (const core::MessageType type : fuzz::kTypes) {
    const std::string name = core::type_name(type);
    const fuzz::Outcome tree = from_tree(type, input);
    const fuzz::Outcome same_text = from_text(type, canonical);
    FUZZ_CHECK(same_text.error == tree.error && same_text.event == tree.event &&
                   same_text.message_id == tree.message_id,
               name + " of " + canonical + "\n text: " + same_text.describe() +
                   "\n tree: " + tree.describe());

    if (order.repeated) continue;
    const fuzz::Outcome raw = from_text(type, text);
    const std::string both = "\n text: " + raw.describe() + "\n tree: " + tree.describe();
    FUZZ_CHECK(raw.accepted() == tree.accepted(), name + both);
    if (raw.accepted()) {
      FUZZ_CHECK(raw.message_id == tree.message_id, name + both);
      const json raw_event = json::parse(raw.event + "}", nullptr, false);
      FUZZ_CHECK(raw_event == json::parse(tree.event + "}"), name + both);
    } else if (order.sorted) {
      FUZZ_CHECK(raw.error == tree.error, name + both);
    }
  }
  return 0;
}
