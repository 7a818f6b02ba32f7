// Integration tests: with storage_dir, nothing a client accepted is lost however its process
// ends (SIGKILL, std::exit), a later client on the same directory delivers it exactly once,
// torn records are skipped and counted, and processes sharing a directory take only the files
// of owners that are gone. Real processes (fork), real files, the local data plane.
// Copyright the rudder-analytics authors. MIT licence.
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <set>
#include <thread>
#include <memory>
#include <string>
#include <vector>

#include "client_fixture.hpp"
#include "core/crc32.hpp"
#include "core/event_log.hpp"
#include "core/segment.hpp"

namespace rudder {
namespace {

namespace fs = std::filesystem;

// A fresh directory per test, removed afterwards.
class StorageTest : public ClientTest {
 protected:
  void SetUp() override {
    ClientTest::SetUp();
    std::string templ = (fs::temp_directory_path() / "rudder-storage-XXXXXX").string();
    ASSERT_NE(::mkdtemp(templ.data()), nullptr);
    dir_ = templ;
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  // A client that cannot deliver (nothing listens) and keeps retrying.
  Config unreachable_config() {
    Config c = config();
    c.data_plane_url = "http://127.0.0.1:" + std::to_string(testing::unused_port());
    c.storage_dir = dir_;
    c.max_retries = 1000;
    c.logger = [](LogLevel, std::string_view) {};
    return c;
  }

  Config storage_config() {
    Config c = config();
    c.storage_dir = dir_;
    return c;
  }

  // A new client on the directory, the data plane up, delivers exactly `expected`, each once.
  void expect_next_run_delivers(const std::set<std::string>& expected) {
    Client next(storage_config());
    EXPECT_TRUE(next.flush(60s).ok());
    const json events = plane_->events();
    EXPECT_EQ(message_ids(events), expected);
    EXPECT_EQ(events.size(), expected.size()) << "each once";
  }

  std::vector<std::string> segment_files() const {
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator(dir_)) {
      if (e.path().extension() == ".seg") names.push_back(e.path().string());
    }
    return names;
  }

  std::string dir_;
};

// Runs `body` in a forked child, which reports a count through `report` (a pipe) and is then
// left to the test (killed, or ends by itself). Returns the child's pid and that count.
struct Child {
  pid_t pid = -1;
  std::uint64_t reported = 0;
};
Child fork_child(const std::function<void(int report_fd)>& body) {
  int fds[2];
  if (::pipe(fds) != 0) return {};
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::close(fds[0]);
    body(fds[1]);
    ::_exit(0);
  }
  ::close(fds[1]);
  Child child{pid, 0};
  if (::read(fds[0], &child.reported, sizeof child.reported) != sizeof child.reported) {
    child.reported = ~0ull;  // the child died before reporting
  }
  ::close(fds[0]);
  return child;
}

void report(int fd, std::uint64_t n) { (void)!::write(fd, &n, sizeof n); }

int wait_for(pid_t pid) {
  int status = 0;
  ::waitpid(pid, &status, 0);
  return status;
}

// Tracks `n` events with messageIds "<prefix><i>"; returns how many were accepted.
std::uint64_t track_many(Client& client, const std::string& prefix, int n) {
  std::uint64_t accepted = 0;
  for (int i = 0; i < n; ++i) {
    CallOptions o;
    o.message_id = prefix + std::to_string(i);
    accepted += client.track("u", "Stored", {{"i", i}}, o).ok();
  }
  return accepted;
}

std::set<std::string> ids(const std::string& prefix, int n) {
  std::set<std::string> out;
  for (int i = 0; i < n; ++i) out.insert(prefix + std::to_string(i));
  return out;
}

TEST_F(StorageTest, ADirectoryTheClientMakesIsTheOwnersAloneOneGivenKeepsItsPermissions) {
  // The events hold user data, and a segment another local user planted would be delivered
  // under this write key (a security review): a directory the client makes is 0700.
  const std::string made = dir_ + "/made/here";
  {
    Config c = storage_config();
    c.storage_dir = made;
    Client client(c);
  }
  EXPECT_EQ(fs::status(made).permissions() & fs::perms::all, fs::perms::owner_all);
  fs::permissions(dir_, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec);
  { Client client(storage_config()); }
  EXPECT_EQ(fs::status(dir_).permissions() & fs::perms::all,
            fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec)
      << "a directory given is left as it is";
}

TEST_F(StorageTest, EventsAcceptedBeforeSigkillAreDeliveredOnceByTheNextClient) {
  constexpr int kEvents = 5000;
  const Config doomed = unreachable_config();
  const Child child = fork_child([&](int fd) {
    Client client(doomed);
    report(fd, track_many(client, "kill-", kEvents));
    for (;;) ::pause();
  });
  ASSERT_EQ(child.reported, static_cast<std::uint64_t>(kEvents));
  ::kill(child.pid, SIGKILL);
  wait_for(child.pid);
  ASSERT_FALSE(segment_files().empty()) << "the killed client's events are on disk";

  auto next = std::make_unique<Client>(storage_config());
  const FlushResult r = next->flush(60s);
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(r.delivered, static_cast<std::uint64_t>(kEvents));
  const Stats s = next->stats();
  EXPECT_EQ(s.recovered, static_cast<std::uint64_t>(kEvents));
  EXPECT_EQ(s.corrupt_skipped, 0u);
  next.reset();
  const json events = plane_->events();
  EXPECT_EQ(events.size(), static_cast<std::size_t>(kEvents)) << "each exactly once";
  EXPECT_EQ(message_ids(events), ids("kill-", kEvents));
  // The original times are kept; only sentAt is new.
  EXPECT_NE(events[0].at("originalTimestamp"), events[0].at("sentAt"));
  EXPECT_TRUE(segment_files().empty()) << "delivered segments are deleted, the spare too";
  EXPECT_TRUE(fs::is_empty(dir_)) << "and the owner file is withdrawn";
}

TEST_F(StorageTest, StdExitWithALocalClientLosesNothingEvenBeforeTheChildIsReaped) {
  constexpr int kEvents = 1000;
  const Config doomed = unreachable_config();
  const Child child = fork_child([&](int fd) {
    Client client(doomed);  // a local: std::exit runs no destructor for it
    report(fd, track_many(client, "exit-", kEvents));
    std::exit(0);
  });
  ASSERT_EQ(child.reported, static_cast<std::uint64_t>(kEvents));
  // Waited for without collecting it: the child stays a zombie, which has ended all the same.
  siginfo_t info{};
  ASSERT_EQ(::waitid(P_PID, static_cast<id_t>(child.pid), &info, WEXITED | WNOWAIT), 0);
  ASSERT_EQ(info.si_code, CLD_EXITED);

  Client next(storage_config());
  EXPECT_TRUE(next.flush(60s).ok());
  wait_for(child.pid);
  EXPECT_EQ(next.stats().recovered, static_cast<std::uint64_t>(kEvents));
  EXPECT_EQ(message_ids(plane_->events()), ids("exit-", kEvents));
  EXPECT_EQ(plane_->events().size(), static_cast<std::size_t>(kEvents));
}

TEST_F(StorageTest, EventsDeliveredBeforeACrashAreNotSentAgain) {
  // The child delivers 300 events, then the data plane refuses everything, then the child
  // accepts 200 more and is killed. The next client sends those 200 only.
  int go[2];
  int done[2];
  ASSERT_EQ(::pipe(go), 0);
  ASSERT_EQ(::pipe(done), 0);
  Config c = storage_config();
  c.max_retries = 1000;
  c.logger = [](LogLevel, std::string_view) {};
  const Child child = fork_child([&](int fd) {
    ::close(go[1]);
    ::close(done[0]);
    Client client(c);
    track_many(client, "first-", 300);
    // The client's total: a full batch the worker delivered before flush() began is not in
    // the flush's own count.
    report(fd, client.flush(30s).ok() ? client.stats().delivered : 0);
    char byte;
    (void)!::read(go[0], &byte, 1);  // the parent has made the data plane refuse
    report(done[1], track_many(client, "second-", 200));
    for (;;) ::pause();
  });
  ::close(go[0]);
  ::close(done[1]);
  ASSERT_EQ(child.reported, 300u);
  EXPECT_EQ(plane_->events().size(), 300u);
  plane_->misbehave({{"count", 1000000}, {"status", 503}});
  (void)!::write(go[1], "g", 1);
  std::uint64_t second = 0;
  EXPECT_EQ(::read(done[0], &second, sizeof second), static_cast<ssize_t>(sizeof second));
  EXPECT_EQ(second, 200u);
  ::kill(child.pid, SIGKILL);
  wait_for(child.pid);
  ::close(go[1]);
  ::close(done[0]);

  plane_->reset();
  Client next(storage_config());
  EXPECT_TRUE(next.flush(60s).ok());
  EXPECT_EQ(next.stats().recovered, 200u);
  EXPECT_EQ(message_ids(plane_->events()), ids("second-", 200));
}

// A segment file as a writer that died mid-record leaves it: `good` records, then
// optionally one whose checksum does not match, then one cut off by the end of the file.
void write_segment(const std::string& path, int good, bool bad_checksum_in_middle) {
  std::string bytes(rudder::core::segment::kHeaderBytes, '\0');
  rudder::core::segment::write_header(bytes.data(), 1'700'000'000'000);
  const auto add = [&](const std::string& payload, bool damage) {
    std::string record(rudder::core::segment::record_bytes(payload.size()), '\0');
    rudder::core::segment::write_record(record.data(), payload, rudder::core::crc32(payload));
    if (damage) record.back() ^= 0x20;
    bytes += record;
  };
  const auto event = [](int i) {
    return R"({"type":"track","messageId":"torn-)" + std::to_string(i) +
           R"(","userId":"u","event":"E","context":{"library":{"name":"t","version":"1"}},)"
           R"("integrations":{"All":true},"channel":"server","originalTimestamp":)"
           R"("2023-11-14T22:13:20.000Z")";
  };
  for (int i = 0; i < good; ++i) {
    add(event(i), false);
    if (bad_checksum_in_middle && i == good / 2) add(event(1000 + i), true);
  }
  std::string torn(rudder::core::segment::record_bytes(event(999).size()), '\0');
  rudder::core::segment::write_record(torn.data(), event(999), rudder::core::crc32(event(999)));
  bytes += torn.substr(0, torn.size() / 2);  // the process died halfway through this one
  std::ofstream(path, std::ios::binary) << bytes;
}

TEST_F(StorageTest, ATornLastRecordAndADamagedOneAreSkippedAndCountedTheRestDelivered) {
  // No owner file: the writer is gone.
  write_segment(dir_ + "/0123456789abcdef-00000001.seg", 10, true);
  Client next(storage_config());
  EXPECT_TRUE(next.flush(30s).ok());
  const Stats s = next.stats();
  EXPECT_EQ(s.recovered, 10u);
  EXPECT_EQ(s.corrupt_skipped, 2u);
  EXPECT_EQ(message_ids(plane_->events()), ids("torn-", 10));
}

TEST_F(StorageTest, ADamagedHeaderIsReadPastAndAFileThatIsNoSegmentIsSetAsideNotDeleted) {
  // No owner files: their writers are gone.
  const std::string damaged = dir_ + "/00000000000000cc-00000001.seg";
  write_segment(damaged, 4, false);
  {
    std::fstream f(damaged, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(2);
    f.put('?');  // the magic
  }
  const std::string junk = dir_ + "/00000000000000dd-00000001.seg";
  const std::string junk_text(4096, 'j');
  std::ofstream(junk, std::ios::binary) << junk_text;
  {
    LogText log;
    Config c = storage_config();
    c.logger = log.handler(LogLevel::warning);
    Client next(c);
    EXPECT_TRUE(next.flush(30s).ok());
    EXPECT_EQ(next.stats().recovered, 4u) << log.text();
    EXPECT_NE(log.text().find("storage_dir: 1 segment file has a damaged header; the records after it are read all the same"),
              std::string::npos) << log.text();
    EXPECT_NE(log.text().find("storage_dir: 1 file named as a segment is not one, and nothing in it reads as an event: "
                              "set aside unread, marked \"unknown\""),
              std::string::npos) << log.text();
  }
  EXPECT_EQ(message_ids(plane_->events()), ids("torn-", 4));
  // The file that was no segment is kept, byte for byte, under a name no client claims.
  std::vector<std::string> unknown;
  for (const auto& entry : fs::directory_iterator(dir_)) {
    if (entry.path().extension() == ".unknown") unknown.push_back(entry.path().string());
  }
  ASSERT_EQ(unknown.size(), 1u);
  std::ifstream in(unknown[0], std::ios::binary);
  EXPECT_EQ(std::string(std::istreambuf_iterator<char>(in), {}), junk_text);
  EXPECT_TRUE(segment_files().empty());
}

TEST_F(StorageTest, AProcessTakesOnlyTheFilesOfOwnersThatAreGone) {
  constexpr int kEach = 500;
  const Config unreachable = unreachable_config();
  int stop[2];
  ASSERT_EQ(::pipe(stop), 0);
  // One owner lives on (blocked on a pipe), one is killed.
  const Child alive = fork_child([&](int fd) {
    ::close(stop[1]);
    Client client(unreachable);
    report(fd, track_many(client, "alive-", kEach));
    char byte;
    (void)!::read(stop[0], &byte, 1);
    ::_exit(0);  // as if killed: no shutdown, the events stay
  });
  ::close(stop[0]);
  const Child dead = fork_child([&](int fd) {
    Client client(unreachable);
    report(fd, track_many(client, "dead-", kEach));
    for (;;) ::pause();
  });
  ASSERT_EQ(alive.reported, static_cast<std::uint64_t>(kEach));
  ASSERT_EQ(dead.reported, static_cast<std::uint64_t>(kEach));
  ::kill(dead.pid, SIGKILL);
  wait_for(dead.pid);

  {
    Client first(storage_config());
    EXPECT_TRUE(first.flush(60s).ok());
    EXPECT_EQ(first.stats().recovered, static_cast<std::uint64_t>(kEach));
    EXPECT_EQ(message_ids(plane_->events()), ids("dead-", kEach))
        << "the live owner's events are its own to send";
  }
  // Now the other owner ends too: the next client takes its files.
  (void)!::write(stop[1], "x", 1);
  wait_for(alive.pid);
  ::close(stop[1]);
  plane_->reset();
  Client second(storage_config());
  EXPECT_TRUE(second.flush(60s).ok());
  EXPECT_EQ(second.stats().recovered, static_cast<std::uint64_t>(kEach));
  EXPECT_EQ(message_ids(plane_->events()), ids("alive-", kEach));
}

TEST_F(StorageTest, AnUnreadableOwnerFileFreesItsSegmentsAndAnotherHostsIsNamedInAWarning) {
  const auto write_owner = [&](const std::string& owner, const std::string& text) {
    std::ofstream(dir_ + "/" + owner + ".owner") << text;
  };
  // An owner file left empty (a power loss before it reached the disk) used to count as being
  // written, for ever: its segments were never delivered.
  write_segment(dir_ + "/00000000000000aa-00000001.seg", 3, false);
  write_owner("00000000000000aa", "");
  // One naming another host (a container since replaced) was left without a word.
  const std::string elsewhere = dir_ + "/00000000000000bb.owner";
  write_segment(dir_ + "/00000000000000bb-00000001.seg", 2, false);
  write_segment(dir_ + "/00000000000000bb-00000002.seg", 2, false);
  write_owner("00000000000000bb", "old-container-7 4242 123456\n");
  {
    LogText log;
    Config c = storage_config();
    c.logger = log.handler(LogLevel::warning);
    Client next(c);
    EXPECT_TRUE(next.flush(30s).ok());
    EXPECT_EQ(next.stats().recovered, 3u) << "the unreadable owner's file, not the other host's";
    EXPECT_NE(log.text().find("storage_dir: 2 segment files of a client on host \"old-container-7\" are left to it, as this one "
                              "cannot tell whether it still runs; if that host is gone for good (a container replaced), "
                              "delete \"" + elsewhere + "\" and the next client started here delivers them"),
              std::string::npos)
        << log.text();
  }
  EXPECT_TRUE(fs::exists(elsewhere));
  EXPECT_EQ(segment_files().size(), 2u);
  // As the warning says: with that owner file gone, the next client delivers its files.
  fs::remove(elsewhere);
  Client after(storage_config());
  EXPECT_TRUE(after.flush(30s).ok());
  EXPECT_EQ(after.stats().recovered, 4u);
}

TEST_F(StorageTest, EverySegmentIsTheSizeTheWorkerMakesAhead) {
  // The worker makes segments ahead (and recycles delivered ones) at one size, so that a call
  // filling a segment takes a ready one; a segment asked for at another size (as when the
  // queue's memory blocks once set it) is made by the caller, a file creation mid-call.
  {
    Client client(unreachable_config());
    ASSERT_EQ(track_many(client, "sized-", 12'000), 12'000u);
    client.shutdown(100ms);
  }
  const std::vector<std::string> files = segment_files();
  ASSERT_GE(files.size(), 3u) << "12,000 events fill several segments";
  for (const std::string& f : files) {
    EXPECT_EQ(fs::file_size(f), core::EventLog::kDefaultBlockBytes) << f;
  }
  expect_next_run_delivers(ids("sized-", 12'000));
}

TEST_F(StorageTest, ShutdownLeavesNoFileButTheEventsItKeeps) {
  // Segments made ahead, delivered ones kept for reuse and the owner file used to stay until
  // the client was destroyed: for ever in a forked child that shuts down and _exit()s.
  {
    Client delivered(storage_config());
    ASSERT_EQ(track_many(delivered, "done-", 500), 500u);
    EXPECT_TRUE(delivered.shutdown(30s).ok());
    EXPECT_TRUE(fs::is_empty(dir_)) << "nothing is left once everything was delivered";
  }
  plane_->reset();
  Client kept(unreachable_config());
  ASSERT_EQ(track_many(kept, "kept-", 500), 500u);
  EXPECT_EQ(kept.shutdown(100ms).kept, 500u);
  for (const auto& entry : fs::directory_iterator(dir_)) {
    EXPECT_EQ(entry.path().extension(), ".seg") << entry.path() << ": only the kept events' segments stay";
  }
  EXPECT_FALSE(segment_files().empty());
  expect_next_run_delivers(ids("kept-", 500));
}

TEST_F(StorageTest, ShutdownWithEventsLeftKeepsThemForTheNextRun) {
  Config c = unreachable_config();
  c.on_error = errors_.handler();
  {
    Client client(c);
    ASSERT_EQ(track_many(client, "kept-", 50), 50u);
    const FlushResult r = client.shutdown(300ms);
    EXPECT_FALSE(r.ok());
    EXPECT_EQ(r.kept, 50u);
    EXPECT_EQ(r.unsent, 0u);
    EXPECT_EQ(client.stats().kept, 50u);
    EXPECT_EQ(client.stats().stored, 50u);
  }
  EXPECT_TRUE(errors_.events.empty()) << "kept events are not reported lost";
  expect_next_run_delivers(ids("kept-", 50));
}

// Events belong to the source they were accepted for: a client with another write key on the
// same directory (shared by mistake, or the key changed between runs) used to take them over
// and send them with its own key, into the wrong source.
TEST_F(StorageTest, EventsOfAnotherWriteKeyAreLeftForAClientWithThatKey) {
  {
    Client client(unreachable_config());
    ASSERT_EQ(track_many(client, "source-a-", 20), 20u);
    EXPECT_EQ(client.shutdown(300ms).kept, 20u);
  }
  const std::size_t files = segment_files().size();
  ASSERT_GT(files, 0u);
  {
    LogText logged;
    Config other = storage_config();
    other.write_key = "another-source-key";
    other.logger = logged.handler(LogLevel::warning);
    Client client(other);
    EXPECT_EQ(client.stats().recovered, 0u);
    EXPECT_TRUE(client.flush(10s).ok());
    EXPECT_TRUE(plane_->requests().empty()) << "nothing was sent with the other key";
    const std::string warnings = logged.text();
    EXPECT_NE(warnings.find("storage_dir: " + std::to_string(files) + " segment file"), std::string::npos) << warnings;
    EXPECT_NE(warnings.find("events accepted for another write key; not sent here"), std::string::npos) << warnings;
  }
  EXPECT_EQ(segment_files().size(), files) << "the files stay";
  expect_next_run_delivers(ids("source-a-", 20));
}

TEST_F(StorageTest, AForkedChildKeepsItsOwnEventsAndNeverTouchesTheParents) {
  Config c = unreachable_config();
  c.upload_interval = 5s;
  c.shutdown_timeout = 200ms;
  {
    Client client(c);
    ASSERT_EQ(track_many(client, "parent-", 100), 100u);
    // Fork while the parent's worker sleeps (see ClientTest.ForkedChildDeliversItsEvents).
    std::this_thread::sleep_for(50ms);
    const pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      // The child: no gtest assertions; it ends as if killed, without a shutdown.
      const bool ok = track_many(client, "child-", 50) == 50;
      ::_exit(ok ? 0 : 1);
    }
    int status = 0;
    ::waitpid(pid, &status, 0);
    ASSERT_TRUE(WIFEXITED(status));
    ASSERT_EQ(WEXITSTATUS(status), 0);
    {
      // The child is gone and the parent lives on: another client takes the child's events,
      // which it wrote as an owner of its own, and leaves the parent's alone.
      Client other(storage_config());
      EXPECT_TRUE(other.flush(60s).ok());
      EXPECT_EQ(other.stats().recovered, 50u);
      EXPECT_EQ(message_ids(plane_->events()), ids("child-", 50));
    }
    plane_->reset();
    ASSERT_EQ(track_many(client, "parent-late-", 100), 100u);
    EXPECT_EQ(client.shutdown(200ms).kept, 200u) << "the child left the parent's segments intact";
  }
  Client next(storage_config());
  EXPECT_TRUE(next.flush(60s).ok());
  EXPECT_EQ(next.stats().recovered, 200u);
  std::set<std::string> expected = ids("parent-", 100);
  for (const std::string& id : ids("parent-late-", 100)) expected.insert(id);
  EXPECT_EQ(message_ids(plane_->events()), expected);
  EXPECT_EQ(plane_->events().size(), 200u) << "each once";
}

TEST_F(StorageTest, AnOutageLongerThanTheRetriesLosesNothing) {
  Config c = unreachable_config();
  c.max_retries = 0;  // without storage: one refused connection and the events are failed
  c.on_error = errors_.handler();
  {
    Client client(c);
    ASSERT_EQ(track_many(client, "outage-", 20), 20u);
    // The flush does not wait for the data plane to come back: once the stored batch has
    // used its retries it returns, the events pending and safe in storage.
    const auto start = std::chrono::steady_clock::now();
    const FlushResult waited = client.flush(60s);
    EXPECT_LT(std::chrono::steady_clock::now() - start, 10s);
    EXPECT_EQ(waited.failed, 0u);
    EXPECT_EQ(waited.pending, 20u) << "still waiting out the outage";
    EXPECT_EQ(waited.last_attempt.rfind("network error: ", 0), 0u) << "why: " << waited.last_attempt;
    EXPECT_GE(client.stats().retried, 1u);
    const FlushResult closed = client.shutdown(200ms);
    EXPECT_EQ(closed.kept, 20u);
    EXPECT_EQ(closed.failed, 0u);
  }
  EXPECT_TRUE(errors_.errors.empty()) << "nothing reported lost";
  expect_next_run_delivers(ids("outage-", 20));
}

TEST_F(StorageTest, SyncModeCallsDoNotBlockUntilAnOutageEnds) {
  // Each call sends on the caller's thread; stored events are never given up on, so without a
  // bound a call would wait for the data plane to come back.
  Config c = unreachable_config();
  c.sync_mode = true;
  c.max_retries = 1;
  {
    Client client(c);
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < 3; ++i) {
      CallOptions o;
      o.message_id = "sync-" + std::to_string(i);
      const Result r = client.track("u", "E", json::object(), o);
      ASSERT_TRUE(r.ok());
      ASSERT_TRUE(r.delivery);
      EXPECT_FALSE(r.delivery->ok());
      EXPECT_EQ(r.delivery->pending, static_cast<std::uint64_t>(i + 1)) << "kept, with those before";
      EXPECT_EQ(r.delivery->last_attempt.rfind("network error: ", 0), 0u) << r.delivery->last_attempt;
    }
    EXPECT_LT(std::chrono::steady_clock::now() - start, 20s) << "two attempts' back-off, then at once";
    EXPECT_EQ(client.shutdown(1s).kept, 3u);
  }
  expect_next_run_delivers(ids("sync-", 3));
}

TEST_F(StorageTest, StorageIsBoundedByMaxStorageBytesAndRefusesRatherThanBlocks) {
  Config c = unreachable_config();
  c.max_storage_bytes = 8 * 1024;
  Client client(c);
  Result refused;
  int accepted = 0;
  while ((refused = client.track("u", "E", {{"pad", std::string(200, 'x')}})).ok()) ++accepted;
  EXPECT_GT(accepted, 10);
  EXPECT_LT(accepted, 40) << "each event is over 200 bytes";
  EXPECT_EQ(refused.status, Status::queue_full);
  EXPECT_EQ(refused.error, "queue: is full (max_storage_bytes 8192)");
  EXPECT_EQ(client.stats().dropped_for(DropReason::queue_full), 1u);
}

TEST_F(StorageTest, AnUnusableDirectoryIsRefusedNamingTheSetting) {
  const std::string file = dir_ + "/not-a-directory";
  std::ofstream(file) << "x";
  Config c = config();
  c.storage_dir = file;
  try {
    Client client(c);
    FAIL() << "a file is not a storage directory";
  } catch (const std::runtime_error& e) {
    EXPECT_EQ(std::string(e.what()).rfind("storage_dir: ", 0), 0u) << e.what();
  }
}

TEST_F(StorageTest, ADirectoryThatCannotHoldASegmentIsRefusedAtOnce) {
  // A disk too small (or too full) for a segment was accepted with a warning, and every event
  // then stayed in memory only: a SIGKILL lost them all. A child limited to 64 KiB files
  // (RLIMIT_FSIZE) stands in for it.
  const Child child = fork_child([&](int fd) {
    ::signal(SIGXFSZ, SIG_IGN);  // the write fails with EFBIG instead of killing the child
    const rlimit small{64 * 1024, 64 * 1024};
    ::setrlimit(RLIMIT_FSIZE, &small);
    try {
      Client client(storage_config());
      report(fd, 1);
    } catch (const std::runtime_error& e) {
      const std::string what = e.what();
      report(fd, what.rfind("storage_dir: cannot reserve 1048576 bytes for \"", 0) == 0 &&
                         what.find("File too large") != std::string::npos
                     ? 2
                     : 3);
    }
  });
  wait_for(child.pid);
  EXPECT_EQ(child.reported, 2u) << "1: accepted; 3: refused with another message";
  for (const auto& e : fs::directory_iterator(dir_)) ADD_FAILURE() << "left behind: " << e.path();
}

TEST_F(StorageTest, AFullDirectoryHoldingEventsLeftStartsDeliversThemAndKeepsNewOnesInMemory) {
  // Refused like an empty full one, it stranded what it held: a service restarting in a loop
  // on a full disk, or `flush` asked to drain it, could never deliver the events whose
  // delivery frees the room.
  {
    Client client(unreachable_config());
    ASSERT_EQ(track_many(client, "left-", 20), 20u);
    EXPECT_EQ(client.shutdown(200ms).kept, 20u);
  }
  const Child child = fork_child([&](int fd) {
    ::signal(SIGXFSZ, SIG_IGN);
    const rlimit small{64 * 1024, 64 * 1024};
    ::setrlimit(RLIMIT_FSIZE, &small);
    std::vector<std::string> warnings;
    Config c = storage_config();
    c.logger = [&](LogLevel level, std::string_view line) {
      if (level == LogLevel::warning) warnings.emplace_back(line);
    };
    try {
      Client client(c);
      const std::uint64_t accepted = track_many(client, "new-", 5);
      const bool delivered = client.flush(30s).ok() && client.stats().delivered == 25 && client.stats().stored == 0;
      const bool said = !warnings.empty() && warnings[0].rfind("storage_dir: cannot reserve 1048576 bytes", 0) == 0 &&
                        warnings[0].find("(delivered all the same, freeing room: 20 events left by earlier runs)") !=
                            std::string::npos;
      report(fd, accepted == 5 && delivered && said ? 1 : 2);
    } catch (const std::runtime_error&) {
      report(fd, 3);
    }
  });
  wait_for(child.pid);
  EXPECT_EQ(child.reported, 1u) << "2: not all delivered or no warning; 3: refused";
  std::set<std::string> expected = ids("left-", 20);
  expected.merge(ids("new-", 5));
  EXPECT_EQ(message_ids(plane_->events()), expected);
}

}  // namespace
}  // namespace rudder
