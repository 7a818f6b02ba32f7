// rudder-analytics CLI: what a finished run prints, and its exit code.
// Copyright the rudder-analytics authors. MIT licence.
#include "report.hpp"

#include <cstdio>

namespace rudder::cli {
namespace {

// The server's answer body, made fit for one stderr line: trimmed, control characters
// flattened, and cut short if a proxy sent a whole HTML page.
std::string one_line(const std::string& body) {
  constexpr std::size_t kMax = 300;
  std::string text;
  for (char c : body) text += (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) ? ' ' : c;
  const auto first = text.find_first_not_of(' ');
  if (first == std::string::npos) return {};
  text = text.substr(first, text.find_last_not_of(' ') - first + 1);
  if (text.size() > kMax) text = text.substr(0, kMax) + "...";
  return text;
}

std::string why_failed(const DeliveryError& error) {
  const std::string gave_up =
      error.attempts > 1 ? " (gave up after " + std::to_string(error.attempts) + " attempts)" : "";
  // A redirect's message says where it pointed and what to change: shown whole.
  const bool redirect = error.status >= 300 && error.status < 400;
  if (error.kind == DeliveryError::Kind::http_status && !redirect) {
    const std::string body = one_line(error.body);
    return "data plane answered HTTP " + std::to_string(error.status) +
           (body.empty() ? "" : ": " + body) + gave_up;
  }
  return "could not deliver to the data plane: " + error.message;
}

// "1 event was", "3 events were".
std::string events_were(std::uint64_t n) {
  return std::to_string(n) + (n == 1 ? " event was" : " events were");
}

std::string seconds(std::chrono::milliseconds ms) {
  char text[32];
  std::snprintf(text, sizeof text, "%.3f", static_cast<double>(ms.count()) / 1000.0);
  std::string s = text;
  while (s.back() == '0') s.pop_back();
  if (s.back() == '.') s.pop_back();
  return s + " s";
}

}  // namespace

Report make_report(const Outcome& outcome, std::uint64_t invalid,
                   std::chrono::milliseconds flush_timeout, bool storage) {
  const Stats& s = outcome.stats;
  const std::uint64_t unsent = s.dropped_for(DropReason::unsent_at_shutdown);
  // Refused calls other than invalid ones (counted by the CLI, which also sees bad JSON),
  // minus queue_full refusals the CLI retried successfully.
  std::uint64_t refused = s.dropped_total() - s.dropped_for(DropReason::invalid) - unsent;
  refused = refused > outcome.requeued ? refused - outcome.requeued : 0;
  const std::uint64_t dropped = unsent + refused;

  Report report;
  report.summary = "delivered " + std::to_string(s.delivered) + ", failed " +
                   std::to_string(s.failed) + ", unknown " + std::to_string(s.unknown) +
                   ", dropped " + std::to_string(dropped) + ", invalid " + std::to_string(invalid);
  if (storage) {
    report.summary += ", recovered " + std::to_string(s.recovered) + ", kept " +
                      std::to_string(s.kept);
  }
  if (s.failed + s.unknown > 0 && outcome.last_failure) {
    report.errors.push_back("error: " + why_failed(*outcome.last_failure));
  }
  if (s.unknown > 0) {
    report.errors.push_back(
        "error: " + events_were(s.unknown) +
        " sent without an answer in time (a timeout or a lost connection after sending): the "
        "data plane may have stored what was sent; sending again is safe, it deduplicates by "
        "messageId");
  }
  // What ended the wait: the timeout the user gave, or a signal that cut it short.
  const std::string flush_end =
      outcome.flush_cut ? "the flush, cut short by the signal, ended"
                        : "the flush timeout (" + seconds(flush_timeout) + ") ran out";
  if (unsent > 0) {
    const std::string why =
        outcome.last_attempt.empty() ? "" : " (the last attempt got " + outcome.last_attempt + ")";
    report.errors.push_back("error: " + events_were(unsent) + " still undelivered when " +
                            flush_end + why + (outcome.flush_cut ? "" : "; see --flush-timeout"));
  }
  if (s.kept > 0) {
    report.errors.push_back("error: " + events_were(s.kept) + " not delivered before " +
                            flush_end +
                            ": kept in --storage-dir for the next run with it (or "
                            "rudder-analytics flush --storage-dir)");
  }
  if (s.corrupt_skipped > 0) {
    // Each stood for an event a run accepted: not delivered, so not a clean run.
    report.errors.push_back("error: " + std::to_string(s.corrupt_skipped) +
                            (s.corrupt_skipped == 1 ? " damaged record" : " damaged records") +
                            " in --storage-dir skipped (a write cut short by a crash, or a "
                            "damaged disk): the events they held cannot be sent");
  }
  if (refused > 0) {
    report.errors.push_back("error: " + events_were(refused) + " dropped");
  }
  if (s.foreign_segments > 0) {
    // Left where they are (the warning above says why): the directory is not drained.
    report.errors.push_back("error: " + std::to_string(s.foreign_segments) +
                            (s.foreign_segments == 1 ? " segment file in --storage-dir holds"
                                                     : " segment files in --storage-dir hold") +
                            " events of another write key: not sent by this run (run it with that key to "
                            "send them)");
  }
  // Invalid inputs need no line here: each was reported where it was refused, with its line
  // number or flag, which is what the user has to fix.
  const bool clean =
      s.failed == 0 && s.unknown == 0 && dropped == 0 && invalid == 0 && s.pending == 0 &&
      s.kept == 0 && s.corrupt_skipped == 0 && s.foreign_segments == 0;
  report.exit_code = clean ? 0 : 1;
  return report;
}

}  // namespace rudder::cli
