// rudder-analytics native platform: accepted events kept in memory-mapped segment files.
// Copyright the rudder-analytics authors. MIT licence.
#include "native/segment_store.hpp"

#include <fcntl.h>
#include <libdeflate.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <system_error>
#include <tuple>

#include "core/segment.hpp"
#include "native/entropy.hpp"

namespace rudder::native {
namespace {

namespace fs = std::filesystem;

std::uint32_t fast_crc32(std::string_view bytes) noexcept {
  return libdeflate_crc32(0, bytes.data(), bytes.size());
}

std::string errno_text(int err) { return std::strerror(err); }

std::string host_name() {
  char name[256] = {};
  if (gethostname(name, sizeof name - 1) != 0) return "?";
  return name;
}

// From /proc/<pid>/stat: the process's state (field 3) and start time in clock ticks since
// boot (field 22); empty where /proc is not readable. With the pid the start time names one
// process, even after the pid is reused.
struct ProcessInfo {
  std::string state;
  std::string started;
};
ProcessInfo process_info(long pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(in, line)) return {};
  const std::size_t close = line.rfind(')');  // the command name may hold spaces and ')'
  if (close == std::string::npos || close + 2 > line.size()) return {};
  std::istringstream fields(line.substr(close + 2));
  ProcessInfo info;
  std::string field;
  for (int i = 3; i <= 22 && fields >> field; ++i) {
    if (i == 3) info.state = field;
    if (i == 22) info.started = field;
  }
  return info;
}

// What is known of the owner that wrote `owner_file`. Unknown cases count as alive: taking a
// live owner's files would send its events twice, leaving a dead one's only delays them.
struct OwnerState {
  bool alive = false;
  std::string elsewhere;  // alive as far as can be told: the other host it names
};
OwnerState owner_state(const fs::path& owner_file, const std::string& this_host) {
  std::ifstream in(owner_file);
  if (!in) return {};  // no owner file: it shut down (or is gone); its files are free
  std::string host;
  long pid = 0;
  std::string started;
  // An owner file is renamed into place whole (announce()), so one that cannot be read was
  // damaged, as by a power loss before it reached the disk: its owner cannot be named, and
  // leaving its files to it would strand them for ever.
  if (!(in >> host >> pid)) return {};
  in >> started;
  if (host != this_host) return {true, host};  // another machine on a shared directory: cannot tell
  if (::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH) return {};
  const ProcessInfo now = process_info(pid);
  // A zombie has ended; only its parent has not collected its exit status yet.
  if (now.state == "Z" || now.state == "X") return {};
  return {started.empty() || now.started.empty() || now.started == started, {}};
}

std::string owner_of(const std::string& file_name) {
  const std::size_t dash = file_name.find('-');
  return dash == std::string::npos ? std::string() : file_name.substr(0, dash);
}

}  // namespace

SegmentStore::SegmentStore(std::string dir, std::size_t segment_bytes, const Log& log)
    : dir_(std::move(dir)), segment_bytes_(segment_bytes), log_(log) {
  checksum = &fast_crc32;
  std::error_code ec;
  // Made for the owner alone: the events hold user data, and a file another local user could
  // plant there would be delivered under this write key. (A directory given that exists keeps
  // its permissions: sharing it is the user's choice.)
  if (fs::create_directories(dir_, ec)) fs::permissions(dir_, fs::perms::owner_all, fs::perm_options::replace, ec);
  if (ec || !fs::is_directory(dir_)) {
    throw std::runtime_error("storage_dir: cannot use \"" + dir_ + "\" as a directory" +
                             (ec ? ": " + ec.message() : std::string()));
  }
  announce();
}

SegmentStore::~SegmentStore() { release(); }

void SegmentStore::release() noexcept {
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& [id, s] : open_) unmap(s);
  open_.clear();
  for (std::vector<Segment>* unused : {&spares_, &recycle_}) {
    for (const Segment& s : *unused) {
      ::unlink(s.path.c_str());
      unmap(s);
    }
    unused->clear();
  }
  ::unlink(owner_path(owner_).c_str());
}

void SegmentStore::announce() {
  char id[17];
  std::snprintf(id, sizeof id, "%016llx", static_cast<unsigned long long>(fresh_seed()));
  owner_ = id;
  next_segment_ = 1;
  const std::string path = owner_path(owner_);
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << host_name() << ' ' << ::getpid() << ' ' << process_info(::getpid()).started << '\n';
    if (!out) {
      throw std::runtime_error("storage_dir: cannot write in \"" + dir_ + "\": " +
                               errno_text(errno));
    }
  }
  // Renamed into place whole, so a reader never sees half an owner file.
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    throw std::runtime_error("storage_dir: cannot write in \"" + dir_ + "\": " +
                             errno_text(errno));
  }
}

std::string SegmentStore::owner_path(const std::string& owner) const { return dir_ + "/" + owner + ".owner"; }

std::string SegmentStore::segment_path(std::uint64_t n) const {
  char name[64];
  std::snprintf(name, sizeof name, "-%08llu.seg", static_cast<unsigned long long>(n));
  return dir_ + "/" + owner_ + name;
}

namespace {

// Maps `size` bytes of `fd` for reading and writing, shared with the file. MAP_POPULATE: the
// pages are faulted in by this one call, not one fault per 4 KiB page as events are written.
char* map_shared(int fd, std::size_t size, const std::string& path, std::string& error) {
  void* map = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, 0);
  if (map == MAP_FAILED) {
    error = "cannot map \"" + path + "\": " + errno_text(errno);
    return nullptr;
  }
  return static_cast<char*>(map);
}

// Faults in every page of a fresh shared mapping for writing, now, on this (delivering)
// thread: the kernel maps a shared file's pages read-only until first written, to track what
// is dirty, so otherwise each 4 KiB of events would cost a caller a page fault.
// MADV_POPULATE_WRITE (Linux 5.14) maps them all in one call; the write to each page after it
// is still needed where the hypervisor tracks dirty pages itself (shadow paging, as on this
// project's test VM), or the caller's first write to each page traps instead. Measured there
// for a 1 MiB segment: 1.7 - 2.0 ms for both, against 4.4 - 4.6 ms for the writes alone (each
// a page fault), with callers' writes equally fast after either; the madvise alone took
// 0.4 ms but left callers 1.3 ms of trapping writes. Zeros over zeros: nothing changes.
void make_writable_now(char* map, std::size_t size) {
#ifdef MADV_POPULATE_WRITE
  ::madvise(map, size, MADV_POPULATE_WRITE);  // EINVAL on an older kernel: the writes do it
#endif
  volatile char* const bytes = map;
  const auto page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
  for (std::size_t at = 0; at < size; at += page) bytes[at] = 0;
}

}  // namespace

core::BlockStore::Block SegmentStore::open_block(Segment s) {
  const Block block{s.map, s.size, next_id_++};
  open_[block.id] = std::move(s);
  return block;
}

std::optional<SegmentStore::Segment> SegmentStore::make_file(const std::string& path,
                                                             std::size_t size,
                                                             std::string& error) {
  // Made under a temporary name and renamed once its header is written, so a process killed
  // halfway leaves a ".tmp" (deleted by whoever takes its files over), never a ".seg" that
  // is not a segment.
  const std::string tmp = path + ".tmp";
  const int fd = ::open(tmp.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    error = "cannot create \"" + path + "\": " + errno_text(errno);
    return std::nullopt;
  }
  // Reserved on disk now: a later write to the mapping cannot find the disk full.
  if (const int err = ::posix_fallocate(fd, 0, static_cast<off_t>(size)); err != 0) {
    error = "cannot reserve " + std::to_string(size) + " bytes for \"" + path + "\": " +
            errno_text(err);
    ::close(fd);
    ::unlink(tmp.c_str());
    return std::nullopt;
  }
  char* const map = map_shared(fd, size, path, error);
  if (map == nullptr) {
    ::close(fd);
    ::unlink(tmp.c_str());
    return std::nullopt;
  }
  make_writable_now(map, size);
  // A header with no creation time yet: a spare left by a crash is an empty segment (its
  // recovery deletes it), not an unknown file.
  core::segment::write_header(map, 0);
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    error = "cannot rename \"" + tmp + "\": " + errno_text(errno);
    ::munmap(map, size);
    ::close(fd);
    ::unlink(tmp.c_str());
    return std::nullopt;
  }
  return Segment{fd, map, size, path};
}

std::optional<core::BlockStore::Block> SegmentStore::create(std::size_t min_capacity, std::string& why) {
  std::lock_guard<std::mutex> lock(mu_);
  std::optional<Segment> made;
  if (!spares_.empty() && spares_.back().size >= min_capacity) {
    made = std::move(spares_.back());  // the usual case: the worker made it ahead of time
    spares_.pop_back();
  } else {
    made = make_file(segment_path(next_segment_++), min_capacity, why);
    if (!made) {
      failing_ = true;
      return std::nullopt;
    }
  }
  failing_ = false;
  const auto now = std::chrono::system_clock::now().time_since_epoch();
  core::segment::write_header(made->map, std::chrono::duration_cast<std::chrono::milliseconds>(now).count(),
                              destination);
  return open_block(std::move(*made));
}

void SegmentStore::prepare_spare() noexcept {
  for (;;) {
    std::optional<Segment> reuse;
    std::string path;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (spares_.size() >= kSpares || (failing_ && recycle_.empty())) return;
      if (!recycle_.empty()) {
        reuse = std::move(recycle_.back());
        recycle_.pop_back();
      }
      path = segment_path(next_segment_++);
    }
    std::optional<Segment> ready;
    if (reuse) {
      ready = recycled(std::move(*reuse), path);
    } else {
      std::string error;
      ready = make_file(path, segment_bytes_, error);
    }
    if (!ready) return;
    std::lock_guard<std::mutex> lock(mu_);
    spares_.push_back(std::move(*ready));
  }
}

std::optional<SegmentStore::Segment> SegmentStore::recycled(Segment s, const std::string& path) {
  // A delivered segment made new without giving its pages back: writing over mapped, dirty
  // pages costs no page faults, where a fresh file costs one a page. The order keeps every
  // moment of it safe to crash in: the records are zeroed while the header still says all
  // of them were delivered; then the file takes its new name; then a fresh header.
  std::memset(s.map + core::segment::kHeaderBytes, 0, s.size - core::segment::kHeaderBytes);
  if (std::rename(s.path.c_str(), path.c_str()) != 0) {
    ::unlink(s.path.c_str());
    unmap(s);
    return std::nullopt;
  }
  s.path = path;
  core::segment::write_header(s.map, 0);
  return s;
}

void SegmentStore::unmap(const Segment& s) noexcept {
  ::munmap(s.map, s.size);
  ::close(s.fd);
}

void SegmentStore::remove(const Block& block) noexcept {
  std::lock_guard<std::mutex> lock(mu_);
  const auto it = open_.find(block.id);
  if (it == open_.end()) return;
  if (it->second.size == segment_bytes_ && spares_.size() + recycle_.size() < kSpares) {
    // Made new by prepare_spare(), off this lock. Until then its header says that every
    // record in it was delivered, so a crash meanwhile sends nothing twice.
    recycle_.push_back(std::move(it->second));
  } else {
    // Unlinked first: a crash between the two leaves no file to send again.
    ::unlink(it->second.path.c_str());
    unmap(it->second);
  }
  open_.erase(it);
}

void SegmentStore::close(const Block& block) noexcept {
  std::lock_guard<std::mutex> lock(mu_);
  const auto it = open_.find(block.id);
  if (it == open_.end()) return;
  unmap(it->second);
  open_.erase(it);
}

void SegmentStore::set_aside(const Block& block) noexcept {
  std::lock_guard<std::mutex> lock(mu_);
  const auto it = open_.find(block.id);
  if (it == open_.end()) return;
  unmap(it->second);
  // Its name no longer ends in ".seg": no client claims it again. (The core logs it.)
  const std::string& path = it->second.path;
  if (std::rename(path.c_str(), (path + ".unknown").c_str()) != 0) {
    log_(LogLevel::error, "storage_dir: cannot rename \"" + path + "\": " + errno_text(errno));
  }
  open_.erase(it);
}

std::vector<core::BlockStore::Block> SegmentStore::take_over_orphans() {
  std::lock_guard<std::mutex> lock(mu_);
  const std::string this_host = host_name();
  std::map<std::string, OwnerState> owners;  // by owner id
  std::map<std::string, int> left_elsewhere;   // segment files of owners on other hosts, by owner id
  struct Claimed {
    std::int64_t created;
    std::string old_name;
    Block block;
  };
  std::vector<Claimed> claimed;
  std::vector<std::string> dead_owners;
  std::error_code ec;
  for (const fs::directory_entry& entry : fs::directory_iterator(dir_, ec)) {
    const std::string name = entry.path().filename().string();
    const bool unfinished = entry.path().extension() == ".tmp";  // see make_file()
    if (entry.path().extension() != ".seg" && !unfinished) continue;
    const std::string owner = owner_of(name);
    if (owner.empty() || owner == owner_) continue;
    auto known = owners.find(owner);
    if (known == owners.end()) {
      known = owners.emplace(owner, owner_state(owner_path(owner), this_host)).first;
      if (!known->second.alive) dead_owners.push_back(owner);
    }
    if (known->second.alive) {
      if (!known->second.elsewhere.empty() && !unfinished) ++left_elsewhere[owner];
      continue;
    }
    if (unfinished) {
      ::unlink(entry.path().c_str());  // holds no event: its header was not even written
      continue;
    }
    // The claim: one atomic rename. Whoever renames first owns the file; the others find
    // it gone (ENOENT) and move on.
    const std::string mine = segment_path(next_segment_++);
    if (std::rename(entry.path().c_str(), mine.c_str()) != 0) continue;
    const int fd = ::open(mine.c_str(), O_RDWR | O_CLOEXEC);
    struct stat st {};
    if (fd < 0 || ::fstat(fd, &st) != 0 || st.st_size < 0) {
      log_(LogLevel::error, "storage_dir: cannot open \"" + mine + "\": " + errno_text(errno));
      if (fd >= 0) ::close(fd);
      continue;
    }
    const auto size = static_cast<std::size_t>(st.st_size);
    if (size < core::segment::kHeaderBytes) {
      // Too short to hold anything (a process died creating it): nothing to deliver.
      ::close(fd);
      ::unlink(mine.c_str());
      continue;
    }
    std::string error;
    char* const map = map_shared(fd, size, mine, error);
    if (map == nullptr) {
      log_(LogLevel::error, "storage_dir: " + error);
      ::close(fd);
      continue;
    }
    // Whether it is a segment, and a damaged header's repair, the core decides on adopting it
    // (EventLog::adopt), as for every platform.
    claimed.push_back({core::segment::created_unix_ms(map), name, open_block({fd, map, size, mine})});
  }
  for (const std::string& owner : dead_owners) {
    ::unlink(owner_path(owner).c_str());
  }
  // Said, not silently left: a container replaced on the same volume has a new host name, and
  // its predecessor's events would otherwise wait for ever without a word.
  for (const auto& [owner, files] : left_elsewhere) {
    log_(LogLevel::warning, "storage_dir: " + std::to_string(files) + (files == 1 ? " segment file" : " segment files") +
                                " of a client on host \"" + owners[owner].elsewhere +
                                "\" are left to it, as this one cannot tell whether it still runs; if that "
                                "host is gone for good (a container replaced), delete \"" + owner_path(owner) +
                                "\" and the next client started here delivers them");
  }
  // Oldest first: by when each segment was made, then by its old name (owner, number).
  std::sort(claimed.begin(), claimed.end(), [](const Claimed& a, const Claimed& b) {
    return std::tie(a.created, a.old_name) < std::tie(b.created, b.old_name);
  });
  std::vector<Block> blocks;
  blocks.reserve(claimed.size());
  for (const Claimed& c : claimed) blocks.push_back(c.block);
  return blocks;
}

void SegmentStore::sync() noexcept {
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& [id, s] : open_) ::msync(s.map, s.size, MS_SYNC);
}

void SegmentStore::after_fork_child() noexcept {
  // Only this thread exists; the parent may have held mu_ when it forked.
  new (&mu_) std::mutex();
  for (const auto& [id, s] : open_) unmap(s);
  open_.clear();
  // The parent's, who uses or deletes them.
  for (const Segment& s : spares_) unmap(s);
  for (const Segment& s : recycle_) unmap(s);
  spares_.clear();
  recycle_.clear();
  try {
    announce();
  } catch (const std::exception& e) {
    log_(LogLevel::error, std::string(e.what()) + " (in a forked child)");
  }
}

}  // namespace rudder::native
