// rudder-analytics native platform: accepted events kept in memory-mapped segment files, so
// kill -9, std::exit and a crash lose nothing (Config::storage_dir).
// Copyright the rudder-analytics authors. MIT licence.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/event_log.hpp"
#include "native/log.hpp"

namespace rudder::native {

/// Segment files in one directory, shared by any number of processes.
///
/// Why memory-mapped files: a call copies its event into a shared mapping of the file, which
/// is the kernel's page cache, so the event is in the OS's hands when the call returns (a
/// killed or crashed process loses nothing; only power loss can, until the OS writes the page
/// back or sync() runs) without a system call per event. Space is reserved with
/// posix_fallocate when a segment is made, so a full disk fails that call (and the client
/// keeps events in memory) instead of killing the process with SIGBUS on a later write.
///
/// Ownership between processes: each store is an owner with a random id, announced by
/// "<owner>.owner" (host, pid and the process's start time, so a reused pid is not mistaken for
/// the dead owner), and writes only "<owner>-<n>.seg" files. An owner whose process is gone
/// (its owner file names this host and a pid that no longer runs, or there is no owner file:
/// it shut down with events left, or one that cannot be read) is an orphan;
/// take_over_orphans() claims each of its files with one atomic rename to a name of its own,
/// so when several processes start at once every file goes to exactly one of them. An owner
/// on another host cannot be told alive or dead: its files are left, with a warning that
/// names the owner file to delete once that host is known to be gone.
///
/// Threading: every member may be called from any thread; one internal mutex.
class SegmentStore final : public core::BlockStore {
 public:
  /// Creates `dir` if needed and announces this process as an owner. `segment_bytes`: the
  /// size of the segments prepare_spare() makes ahead. Throws std::runtime_error
  /// ("storage_dir: ...") when the directory cannot be used.
  SegmentStore(std::string dir, std::size_t segment_bytes, const Log& log);
  /// Closes every segment still open (keeping the files: their events are pending) and
  /// withdraws the owner file.
  ~SegmentStore() override;
  SegmentStore(const SegmentStore&) = delete;
  SegmentStore& operator=(const SegmentStore&) = delete;

  /// `why`: "cannot reserve <n> bytes for \"<path>\": <errno text>" and the like (the driver
  /// says it, once, naming storage_dir).
  std::optional<Block> create(std::size_t min_capacity, std::string& why) override;
  void remove(const Block& block) noexcept override;
  void close(const Block& block) noexcept override;
  /// Unmaps the file and renames it with ".unknown" added (the core found it no segment).
  void set_aside(const Block& block) noexcept override;

  /// Makes the next segments ahead of time, so that a call filling a segment takes a ready
  /// one instead of creating, reserving and mapping a file itself; delivered segments are
  /// reused for this (zeroed and renamed), their pages still mapped. For the delivering
  /// thread, between its other work.
  void prepare_spare() noexcept;

  /// Claims, maps and returns the segments of owners that are gone, oldest first. The caller
  /// hands them to the driver (Driver::recover), which deletes each once delivered.
  std::vector<Block> take_over_orphans();

  /// Asks the OS to write every open segment to the disk now (msync) and waits for it. For
  /// Config::storage_sync_interval.
  void sync() noexcept;

  /// In a forked child: the parent's segments stay the parent's (unmapped here, never
  /// deleted), and this process becomes a new owner.
  void after_fork_child() noexcept;

  /// The client shut down and its driver let go of every segment (deleted, or closed with
  /// events kept): deletes the segments made ahead or kept for reuse, and withdraws the
  /// owner file, so that what is kept is a later run's at once. (Before, they stayed until
  /// the client was destroyed: never, in a forked child that shuts down and _exit()s.)
  void release() noexcept;

  const std::string& directory() const noexcept { return dir_; }

 private:
  struct Segment {
    int fd = -1;
    char* map = nullptr;
    std::size_t size = 0;
    std::string path;
  };

  void announce();
  // Where `owner` announces itself: "<dir>/<owner>.owner".
  std::string owner_path(const std::string& owner) const;
  std::string segment_path(std::uint64_t n) const;
  Block open_block(Segment s);  // registers a mapped segment in open_ under a new id
  std::optional<Segment> make_file(const std::string& path, std::size_t size, std::string& error);
  std::optional<Segment> recycled(Segment s, const std::string& path);
  void unmap(const Segment& s) noexcept;

  const std::string dir_;
  const std::size_t segment_bytes_;
  const Log& log_;
  std::mutex mu_;
  std::string owner_;  // this process's id
  std::uint64_t next_segment_ = 1;
  std::uint64_t next_id_ = 1;
  std::map<std::uint64_t, Segment> open_;  // by Block::id
  // Segments ready for create(), made ahead (or recycled) by prepare_spare(), at most
  // kSpares; and delivered ones waiting for prepare_spare() to make them new.
  static constexpr std::size_t kSpares = 2;
  std::vector<Segment> spares_;
  std::vector<Segment> recycle_;
  bool failing_ = false;  // the last create() failed: prepare_spare() waits for a success
};

}  // namespace rudder::native
