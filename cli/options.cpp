// rudder-analytics CLI: the command line, read into what one run should do.
// Copyright the rudder-analytics authors. MIT licence.
#include "options.hpp"

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <optional>
#include <set>

#include "json_input.hpp"
#include "suggest.hpp"

namespace rudder::cli {
namespace {

using json = nlohmann::json;

// ---- the commands and the flags that build a call ------------------------------------------

// Bit sets of commands, so each call flag can say which commands take it.
enum : unsigned {
  kIdentify = 1u << 0,
  kTrack = 1u << 1,
  kPage = 1u << 2,
  kScreen = 1u << 3,
  kGroup = 1u << 4,
  kAlias = 1u << 5,
  kAll = (1u << 6) - 1,
};

struct Command {
  std::string_view name;
  unsigned bit;
};
constexpr Command kCommands[] = {{"identify", kIdentify}, {"track", kTrack}, {"page", kPage},
                                 {"screen", kScreen},     {"group", kGroup}, {"alias", kAlias}};
constexpr std::string_view kCommandList = "identify, track, page, screen, group, alias";

enum class ValueKind {
  text,       // kept as a JSON string, digits included: "--user-id 42" is the id "42"
  json,       // parsed; the library then checks its type (object) and content
  timestamp,  // RFC 3339 text, or whole milliseconds since 1970 (handy with `date +%s%3N`)
};

struct CallFlag {
  std::string_view flag;
  std::string_view field;  // the payload's name for it, which Client::submit reads
  ValueKind kind;
  unsigned commands;
  std::string_view value;  // for help: what it takes
  std::string_view help;   // for help: one line
};
// The commands' own flags first, in the order their help lists them.
constexpr CallFlag kCallFlags[] = {
    {"--event", "event", ValueKind::text, kTrack, "NAME", "required: what the user did, e.g. \"Order Completed\""},
    {"--name", "name", ValueKind::text, kPage | kScreen, "NAME", "the page's or screen's name (required for screen)"},
    {"--category", "category", ValueKind::text, kPage | kScreen, "NAME", "its category"},
    {"--group-id", "groupId", ValueKind::text, kGroup, "ID", "required: the group's id"},
    {"--previous-id", "previousId", ValueKind::text, kAlias, "ID", "required: the id the user had before"},
    {"--properties", "properties", ValueKind::json, kTrack | kPage | kScreen, "JSON", "an object of the event's properties"},
    {"--traits", "traits", ValueKind::json, kIdentify | kGroup, "JSON", "an object of the user's (or group's) traits"},
    {"--user-id", "userId", ValueKind::text, kAll, "ID", "the user (required for alias; otherwise this or --anonymous-id)"},
    {"--anonymous-id", "anonymousId", ValueKind::text, kAll, "ID", "required when there is no --user-id"},
    {"--context", "context", ValueKind::json, kAll, "JSON", "merged into the event's context"},
    {"--integrations", "integrations", ValueKind::json, kAll, "JSON", "destinations on or off, e.g. '{\"All\":false,\"Amplitude\":true}'"},
    {"--timestamp", "timestamp", ValueKind::timestamp, kAll, "TIME", "when it happened: RFC 3339, or milliseconds since 1970"},
    {"--message-id", "messageId", ValueKind::text, kAll, "ID", "for deduplication; default: a random UUID"},
};

// ---- the flags that apply to the whole run -------------------------------------------------

enum class Setting {
  write_key,
  data_plane_url,
  no_gzip,
  timeout,
  max_retries,
  upload_size,
  upload_interval,
  max_queue_size,
  flush_timeout,
  storage_dir,
  proxy,
  ca_file,
  ca_path,
  dry_run,
  debug,
  ndjson,
  help,
  version,
};
struct SettingFlag {
  std::string_view flag;
  Setting setting;
  bool takes_value;
};
constexpr SettingFlag kSettingFlags[] = {
    {"--write-key", Setting::write_key, true},
    {"--data-plane-url", Setting::data_plane_url, true},
    {"--no-gzip", Setting::no_gzip, false},
    {"--timeout", Setting::timeout, true},
    {"--max-retries", Setting::max_retries, true},
    {"--upload-size", Setting::upload_size, true},
    {"--upload-interval", Setting::upload_interval, true},
    {"--max-queue-size", Setting::max_queue_size, true},
    {"--flush-timeout", Setting::flush_timeout, true},
    {"--storage-dir", Setting::storage_dir, true},
    {"--proxy", Setting::proxy, true},
    {"--ca-file", Setting::ca_file, true},
    {"--ca-path", Setting::ca_path, true},
    {"--dry-run", Setting::dry_run, false},
    {"--debug", Setting::debug, false},
    {"--ndjson", Setting::ndjson, true},
    {"--help", Setting::help, false},
    {"-h", Setting::help, false},
    {"--version", Setting::version, false},
};

const Command* find_command(std::string_view name) {
  for (const auto& c : kCommands) {
    if (c.name == name) return &c;
  }
  return nullptr;
}
const CallFlag* find_call_flag(std::string_view flag) {
  for (const auto& f : kCallFlags) {
    if (f.flag == flag) return &f;
  }
  return nullptr;
}
const SettingFlag* find_setting_flag(std::string_view flag) {
  for (const auto& f : kSettingFlags) {
    if (f.flag == flag) return &f;
  }
  return nullptr;
}

// " (did you mean X?)", or nothing.
std::string did_you_mean(std::string_view typed, const std::vector<std::string_view>& candidates) {
  const std::string best = closest(typed, candidates);
  return best.empty() ? std::string() : " (did you mean " + best + "?)";
}

std::vector<std::string_view> all_flags() {
  std::vector<std::string_view> flags;
  for (const auto& f : kSettingFlags) flags.push_back(f.flag);
  for (const auto& f : kCallFlags) flags.push_back(f.flag);
  return flags;
}

std::vector<std::string_view> all_commands() {
  std::vector<std::string_view> names = {"flush"};
  for (const auto& c : kCommands) names.push_back(c.name);
  return names;
}

std::string commands_taking(const CallFlag& flag) {
  std::string names;
  for (const auto& c : kCommands) {
    if ((flag.commands & c.bit) == 0) continue;
    if (!names.empty()) names += ", ";
    names += c.name;
  }
  return names;
}

// ---- values --------------------------------------------------------------------------------

// Digits only: strtoull alone would take "-1" (wrapping), " 7", "0x10" and "7abc".
std::optional<std::uint64_t> parse_count(std::string_view text) {
  if (text.empty() || text.size() > 19) return std::nullopt;
  std::uint64_t n = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    n = n * 10 + static_cast<std::uint64_t>(c - '0');
  }
  return n;
}

// Whole milliseconds since 1970, before it too ("-1"): a JSON number for the library, which says
// when it is outside the years 1 to 9999 (digits past a 64-bit integer stay a number: a
// double). Anything else is not a count (nullopt), and goes to the library as RFC 3339 text.
std::optional<json> parse_epoch_ms(std::string_view text) {
  const bool negative = !text.empty() && text.front() == '-';
  const std::string_view digits = negative ? text.substr(1) : text;
  if (digits.empty() || digits.find_first_not_of("0123456789") != std::string_view::npos) return std::nullopt;
  if (const auto n = parse_count(digits); n && *n <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
    return negative ? -static_cast<std::int64_t>(*n) : static_cast<std::int64_t>(*n);
  }
  return std::strtod(std::string(text).c_str(), nullptr);
}

// Seconds as plain decimal ("30", "0.5", ".25"): strtod alone would also take "inf", "nan",
// hex and exponents, none of which a person means for a timeout.
std::optional<std::chrono::milliseconds> parse_seconds(std::string_view text) {
  bool digits = false;
  bool dot = false;
  for (char c : text) {
    if (c >= '0' && c <= '9') {
      digits = true;
    } else if (c == '.' && !dot) {
      dot = true;
    } else {
      return std::nullopt;
    }
  }
  if (!digits) return std::nullopt;
  const double seconds = std::strtod(std::string(text).c_str(), nullptr);
  constexpr double kMaxSeconds = 1e9;  // ~31 years: far beyond any use, far from overflow
  if (!(seconds <= kMaxSeconds)) return std::nullopt;
  // Rounded up so that a tiny positive value stays positive rather than becoming 0 ms.
  return std::chrono::milliseconds(static_cast<std::int64_t>(std::ceil(seconds * 1000.0)));
}

std::string in_quotes(std::string_view text) { return "\"" + std::string(text) + "\""; }

// Config::validate() names Config fields; the user knows flags (or the variable they set).
std::string source_of(std::string_view field, bool key_from_env, bool url_from_env) {
  if (field == "write_key") return key_from_env ? "RUDDER_WRITE_KEY" : "--write-key";
  if (field == "data_plane_url") return url_from_env ? "RUDDER_DATA_PLANE_URL" : "--data-plane-url";
  std::string flag = "--" + std::string(field);
  for (char& c : flag) {
    if (c == '_') c = '-';
  }
  return flag;
}

// Parses the arguments; a member function per concern keeps each step short.
class Parser {
 public:
  Parser(const std::vector<std::string>& args,
         const std::function<const char*(const char*)>& getenv)
      : args_(args), getenv_(getenv) {}

  Parsed run() {
    Parsed out;
    out.error = read_arguments(out.options);
    if (out.error.empty() && !stop_) out.error = finish(out.options);
    return out;
  }

 private:
  std::string read_arguments(Options& options) {
    for (std::size_t i = 0; i < args_.size(); ++i) {
      const std::string& arg = args_[i];
      if (arg.size() < 2 || arg[0] != '-' || arg == "--") {
        if (std::string e = read_word(arg); !e.empty()) return e;
        continue;
      }
      // "--flag=value" and "--flag value" are both accepted; only the latter is ambiguous.
      std::string flag = arg;
      std::optional<std::string> value;
      if (const auto eq = arg.find('='); eq != std::string::npos && arg.rfind("--", 0) == 0) {
        flag = arg.substr(0, eq);
        value = arg.substr(eq + 1);
      }
      const SettingFlag* setting = find_setting_flag(flag);
      const CallFlag* call = setting ? nullptr : find_call_flag(flag);
      if (!setting && !call) return "unknown flag " + flag + did_you_mean(flag, all_flags());
      const bool takes_value = setting ? setting->takes_value : true;
      if (!takes_value && value) return flag + " takes no value";
      if (takes_value && !value) {
        // A following "--x" is taken for a forgotten value, not as the value: "--user-id
        // --event X" is a mistake far more often than an id that starts with "--". Such a
        // value can still be given as --user-id=--x.
        if (i + 1 >= args_.size() || args_[i + 1].rfind("--", 0) == 0) {
          return flag + " needs a value";
        }
        value = args_[++i];
      }
      if (!seen_.insert(setting ? std::string(setting->flag) : flag).second) {
        return flag + " is given twice";
      }
      if (call) {
        call_values_.emplace_back(call, std::move(*value));
        continue;
      }
      if (std::string e = apply(*setting, value.value_or(""), options); !e.empty()) return e;
      if (stop_) return {};
    }
    return {};
  }

  // A word that is not a flag: the command, or a mistake.
  std::string read_word(const std::string& word) {
    if (word == "flush" && command_ == nullptr && !flush_) {
      flush_ = true;
      return {};
    }
    if (flush_ || (word == "flush" && command_ != nullptr)) {
      return "flush sends nothing new: it cannot be combined with " +
             in_quotes(flush_ ? word : std::string(command_->name));
    }
    const Command* c = find_command(word);
    if (c && command_ == nullptr) {
      command_ = c;
      return {};
    }
    if (c) {
      return "one command per run: got " + std::string(command_->name) + " and " + word +
             " (use --ndjson to send several calls)";
    }
    if (command_ == nullptr) {
      const std::string best = closest(word, all_commands());
      return "unknown command " + in_quotes(word) +
             (best.empty() ? " (expected one of " + std::string(kCommandList) + ", flush, or --ndjson)"
                           : " (did you mean " + best + "?)");
    }
    return "unexpected argument " + in_quotes(word) + " (flag values follow their flag, e.g. " +
           "--event \"Signed Up\")";
  }

  std::string apply(const SettingFlag& flag, const std::string& value, Options& options) {
    Config& config = options.config;
    const std::string name(flag.flag);
    // A flag whose value is text that must not be empty.
    const auto text = [&](std::string& target, const char* needs) -> std::string {
      if (value.empty()) return name + " needs " + needs;
      target = value;
      return {};
    };
    switch (flag.setting) {
      case Setting::help:
        // `track --help` (or `--help track`): that command's help.
        options.mode = Mode::help;
        for (const std::string& arg : args_) {
          if (find_command(arg) != nullptr) {
            options.help_command = arg;
            break;
          }
        }
        stop_ = true;
        return {};
      case Setting::version:
        options.mode = Mode::version;
        stop_ = true;
        return {};
      case Setting::write_key:
        write_key_ = value;
        return {};
      case Setting::data_plane_url:
        data_plane_url_ = value;
        return {};
      case Setting::no_gzip:
        config.gzip = false;
        return {};
      case Setting::debug:
        config.debug = true;
        return {};
      case Setting::ndjson:
        return text(options.ndjson_path, "a file name, or - for standard input");
      case Setting::storage_dir:
        return text(config.storage_dir, "a directory");
      case Setting::proxy:
        return text(config.proxy, "a URL, e.g. http://proxy.example.com:3128");
      case Setting::ca_file:
        return text(config.ca_file, "a file of PEM certificates");
      case Setting::ca_path:
        return text(config.ca_path, "a directory of certificates");
      case Setting::dry_run:
        options.dry_run = true;
        return {};
      case Setting::timeout:
      case Setting::upload_interval:
      case Setting::flush_timeout: {
        const auto ms = parse_seconds(value);
        // A minus sign is a number all the same, just not one these take: say which rule it broke.
        if (!ms && value.rfind('-', 0) == 0 && parse_seconds(value.substr(1))) return name + ": must be 0 or more seconds, not " + in_quotes(value);
        if (!ms) return name + ": " + in_quotes(value) + " is not a number of seconds (e.g. 2.5)";
        if (flag.setting == Setting::timeout) config.timeout = *ms;
        if (flag.setting == Setting::upload_interval) config.upload_interval = *ms;
        if (flag.setting == Setting::flush_timeout) options.flush_timeout = *ms;
        return {};
      }
      case Setting::max_retries:
      case Setting::upload_size:
      case Setting::max_queue_size: {
        const auto n = parse_count(value);
        if (!n && value.rfind('-', 0) == 0 && parse_count(value.substr(1))) return name + ": must be 0 or more, not " + in_quotes(value);
        if (!n) return name + ": " + in_quotes(value) + " is not a whole number";
        if (flag.setting == Setting::max_retries) {
          if (*n > 1000) return name + ": at most 1000";  // the int field, and common sense
          config.max_retries = static_cast<int>(*n);
        }
        if (flag.setting == Setting::upload_size) config.upload_size = static_cast<std::size_t>(*n);
        if (flag.setting == Setting::max_queue_size) {
          config.max_queue_size = static_cast<std::size_t>(*n);
        }
        return {};
      }
    }
    return {};
  }

  // Checks what only the whole command line shows, and builds the call.
  std::string finish(Options& options) {
    const bool ndjson = !options.ndjson_path.empty();
    if (options.dry_run && flush_) return "--dry-run sends nothing, and flush only sends: give one";
    if (options.dry_run && !options.config.storage_dir.empty()) {
      return "--dry-run keeps nothing: it cannot be combined with --storage-dir";
    }
    if (flush_) {
      if (ndjson) return "flush sends nothing new: it cannot be combined with --ndjson";
      if (!call_values_.empty()) {
        return std::string(call_values_.front().first->flag) + " belongs to a command (" +
               commands_taking(*call_values_.front().first) + "), not to flush";
      }
      if (options.config.storage_dir.empty()) {
        return "flush delivers what a storage directory holds: give --storage-dir DIR";
      }
      options.mode = Mode::flush;
      return settle_config(options);
    }
    if (ndjson && command_ != nullptr) {
      return "--ndjson reads the calls from its input; it cannot be combined with the command " +
             std::string(command_->name);
    }
    for (const auto& [flag, value] : call_values_) {
      if (command_ == nullptr) {
        return std::string(flag->flag) + " belongs to a command (" + commands_taking(*flag) + ")" +
               (ndjson ? "; with --ndjson, put " + std::string(flag->field) + " in each line" : "");
      }
      if ((flag->commands & command_->bit) == 0) {
        return std::string(flag->flag) + " is not a flag of " + std::string(command_->name) +
               " (it is for " + commands_taking(*flag) + ")";
      }
    }
    if (!ndjson && command_ == nullptr) {
      return "nothing to send: give a command (" + std::string(kCommandList) + ") or --ndjson FILE";
    }
    if (std::string e = build_call(options); !e.empty()) return e;
    options.mode = ndjson ? Mode::ndjson : Mode::call;
    return settle_config(options);
  }

  std::string build_call(Options& options) {
    if (command_ == nullptr) return {};
    json call = json::object();
    call["type"] = command_->name;
    for (const auto& [flag, value] : call_values_) {
      json& slot = call[std::string(flag->field)];
      switch (flag->kind) {
        case ValueKind::text:
          slot = value;
          break;
        case ValueKind::timestamp:
          if (auto ms = parse_epoch_ms(value)) {
            slot = std::move(*ms);
          } else {
            slot = value;  // the library says whether it is RFC 3339
          }
          break;
        case ValueKind::json: {
          std::string error;
          auto parsed = parse_json_input(value, error);
          if (!parsed) return std::string(flag->flag) + ": " + error;
          slot = std::move(*parsed);
          break;
        }
      }
    }
    options.call = std::move(call);
    return {};
  }

  // Write key and URL from flag or environment; then the library's own check of the config,
  // run here so that a bad setting is a usage error (exit 2) before anything starts.
  std::string settle_config(Options& options) {
    Config& config = options.config;
    const auto from_env = [&](const char* name) -> std::optional<std::string> {
      const char* v = getenv_ ? getenv_(name) : nullptr;
      if (v == nullptr || *v == '\0') return std::nullopt;
      return std::string(v);
    };
    bool key_from_env = false;
    bool url_from_env = false;
    if (write_key_) {
      config.write_key = *write_key_;
    } else if (auto v = from_env("RUDDER_WRITE_KEY")) {
      config.write_key = *v;
      key_from_env = true;
    } else {
      return "no write key: pass --write-key or set RUDDER_WRITE_KEY";
    }
    if (data_plane_url_) {
      config.data_plane_url = *data_plane_url_;
    } else if (auto v = from_env("RUDDER_DATA_PLANE_URL")) {
      config.data_plane_url = *v;
      url_from_env = true;
    } else {
      return "no data plane URL: pass --data-plane-url or set RUDDER_DATA_PLANE_URL";
    }
    const std::string problem = config.validate();
    if (problem.empty()) return {};
    const auto colon = problem.find(':');
    if (colon == std::string::npos) return problem;
    return source_of(std::string_view(problem).substr(0, colon), key_from_env, url_from_env) +
           problem.substr(colon);
  }

  const std::vector<std::string>& args_;
  const std::function<const char*(const char*)>& getenv_;
  const Command* command_ = nullptr;
  std::vector<std::pair<const CallFlag*, std::string>> call_values_;
  std::set<std::string> seen_;
  std::optional<std::string> write_key_;
  std::optional<std::string> data_plane_url_;
  bool stop_ = false;  // --help or --version: the rest of the line does not matter
  bool flush_ = false;  // the word "flush": deliver what --storage-dir holds
};

}  // namespace

Parsed parse_options(const std::vector<std::string>& args,
                     const std::function<const char*(const char*)>& getenv) {
  return Parser(args, getenv).run();
}

std::string_view flag_for_field(std::string_view field) {
  for (const auto& f : kCallFlags) {
    if (f.field == field) return f.flag;
  }
  return {};
}

std::vector<CommandFlag> command_flags(std::string_view command) {
  std::vector<CommandFlag> flags;
  const Command* c = find_command(command);
  if (c == nullptr) return flags;
  for (const auto& f : kCallFlags) {
    if ((f.commands & c->bit) != 0) flags.push_back({f.flag, f.value, f.help});
  }
  return flags;
}

std::string_view flag_for_setting(std::string_view setting) {
  constexpr std::pair<std::string_view, std::string_view> kSettings[] = {
      {"storage_dir", "--storage-dir"}, {"ca_file", "--ca-file"}, {"ca_path", "--ca-path"},
      {"proxy", "--proxy"}, {"timeout", "--timeout"}, {"max_retries", "--max-retries"},
      {"upload_size", "--upload-size"}, {"upload_interval", "--upload-interval"},
      {"max_queue_size", "--max-queue-size"}};
  for (const auto& [name, flag] : kSettings) {
    if (name == setting) return flag;
  }
  return {};
}

}  // namespace rudder::cli
