// rudder-analytics core: the append-only writer the serializers on the hot paths write into.
// Copyright the rudder-analytics authors. MIT licence.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <string>
#include <string_view>

namespace rudder::core {

/// Appends to a std::string through a pointer, checking the room inline.
///
/// Why not std::string::append: a message is some fifty small pieces (keys, quotes, values),
/// and with libstdc++ each append is a call into the shared library that checks the length,
/// the capacity and the aliasing of its argument before it copies: a third of the instructions
/// of building a message went there (callgrind, 2026-11-30). Here a piece is a compare and a
/// memcpy the compiler inlines.
///
/// While a JsonOut is alive, the string's size() includes the room it may write into, not
/// only what was written: read size() and text() here, and the string only after finish()
/// (or the destructor), which trims it to what was written. One JsonOut per string at a time.
/// Not thread-safe: the thread that owns the string uses it.
class JsonOut {
 public:
  /// Writes after what `target` holds. `room` is the bytes expected: made ready (zeroed)
  /// at once, so it should be about what will be written; more is made as needed.
  explicit JsonOut(std::string& target, std::size_t room = 64) : s_(target), used_(target.size()) {
    s_.resize(used_ + room);
  }
  /// Writes over `target` from its start (a scratch string used before): what it holds is
  /// room already, so only what `room` asks beyond it is zeroed. A message's 512 bytes of room
  /// zeroed on every call were 6 % of a native call.
  struct Overwrite {};
  JsonOut(std::string& target, std::size_t room, Overwrite) : s_(target), used_(0) {
    if (s_.size() < room) s_.resize(room);
  }
  ~JsonOut() {
    if (open_) finish();
  }
  JsonOut(const JsonOut&) = delete;
  JsonOut& operator=(const JsonOut&) = delete;

  void put(char c) {
    if (used_ == s_.size()) grow(1);
    s_[used_++] = c;
  }
  /// `piece` must not point into the target string (growing it may move it).
  void put(std::string_view piece) {
    if (piece.empty()) return;  // (an empty view's data() may be null, which memcpy must not get)
    if (piece.size() > s_.size() - used_) grow(piece.size());
    std::memcpy(&s_[used_], piece.data(), piece.size());
    used_ += piece.size();
  }
  /// Room for `n` more bytes, to be written in place and then kept with commit().
  char* room(std::size_t n) {
    if (n > s_.size() - used_) grow(n);
    return &s_[used_];
  }
  void commit(std::size_t n) { used_ += n; }

  /// Bytes written (those that were in the string before included).
  std::size_t size() const { return used_; }
  /// What has been written so far; valid until the next write.
  std::string_view text() const { return std::string_view(s_.data(), used_); }
  /// Trims the string to what was written; the string is then the caller's again (the
  /// destructor leaves it alone), until the next write.
  void finish() {
    s_.resize(used_);
    open_ = false;
  }

 private:
  void grow(std::size_t n) {
    s_.resize(std::max(s_.size() * 2, used_ + n));
    open_ = true;
  }

  std::string& s_;
  std::size_t used_;
  bool open_ = true;  // the string holds room past what was written
};

}  // namespace rudder::core
