#include <doctest/doctest.h>
#include <unistd.h>

#include "container/container.hpp"
#include "image_test_util.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"
#include "util/lock.hpp"

using namespace tug;
using namespace tug::container;

namespace {

struct TestStore {
  TempDir dir{"/tmp", "tug-ctr-store-test-"};
  Paths paths = resolve_paths(dir.path() + "/data", dir.path() + "/run");
  Store store{paths, test::single_mapping()};
};

Record named(const std::string& name) {
  Record r;
  r.name = name;
  r.image_id = std::string(64, 'b');
  r.image_name = "busybox";
  r.spec.args = {"true"};
  return r;
}

// A directory and claim as a create killed before config.json leaves them.
std::string abandoned_claim(TestStore& t, const std::string& name, char fill) {
  std::string id(64, fill);
  make_dirs(t.store.dir(id), 0700);
  REQUIRE(::symlink(id.c_str(), (t.paths.names() + "/" + name).c_str()) == 0);
  return id;
}

}  // namespace

TEST_CASE("store: summaries read what ps shows, escapes and all") {
  TestStore t;
  Record r = named("web");
  r.spec.args = {"sh", "-c", "echo \"quoted\" \\ back\nnext\t\u00e9\xf0\x9f\x90\xb3"};
  r.labels = {{"a", "x\"y"}, {"b/c", "\x01"}};
  r.spec.env = {"IGNORED=1"};
  Record made = t.store.create(r);
  auto all = t.store.summaries();
  REQUIRE(all.size() == 1);
  CHECK(all[0].id == made.id);
  CHECK(all[0].name == "web");
  CHECK(all[0].image_name == "busybox");
  CHECK(all[0].created == made.created);
  CHECK(all[0].args == r.spec.args);
  CHECK(all[0].labels == r.labels);
}

TEST_CASE("store: what create's completion adds is in the record from its first visible moment") {
  TestStore t;
  Record r = named("net");
  r.spec.networks = {{"app", "", {}}};
  bool record_absent = false, dir_present = false;
  Record made = t.store.create(r, [&](Record& rec) {
    dir_present = is_directory(t.store.dir(rec.id));
    record_absent = !path_exists(t.store.dir(rec.id) + "/config.json");
    CHECK_FALSE(t.store.find("net"));  // not visible yet
    rec.spec.networks[0].address = "10.89.1.2";
  });
  CHECK(dir_present);
  CHECK(record_absent);
  CHECK(made.spec.networks[0].address == "10.89.1.2");
  CHECK(t.store.get("net").spec.networks[0].address == "10.89.1.2");
  // A completion that fails leaves nothing: no directory, no name.
  Record other = named("failing");
  std::string seen_id;
  CHECK_THROWS_AS(t.store.create(other,
                                 [&](Record& rec) {
                                   seen_id = rec.id;
                                   throw Error(Errc::in_use, "address taken");
                                 }),
                  Error);
  CHECK_FALSE(path_exists(t.store.dir(seen_id)));
  CHECK_FALSE(path_exists(t.paths.names() + "/failing"));
  CHECK(t.store.create(named("failing")).name == "failing");
}

TEST_CASE("store: state round-trips, and a malformed state file is an error naming it") {
  TestStore t;
  Record made = t.store.create(named("s"));
  State s;
  s.status = "exited";
  s.exit_code = -1;
  s.restart_count = 3;
  s.pid_start_time = 18446744073709551615ull;
  s.started_at = "2026-01-02T03:04:05Z";
  t.store.save_state(made.id, s);
  State back = t.store.state(made.id);
  CHECK(back.status == "exited");
  CHECK(back.exit_code == -1);
  CHECK(back.restart_count == 3);
  CHECK(back.pid_start_time == 18446744073709551615ull);
  CHECK(back.started_at == "2026-01-02T03:04:05Z");
  for (const char* bad :
       {"{\"status\":\"exited\"", "{\"status\" \"x\"}", "[1,]", "{} x", "\"\\q\""}) {
    write_file(t.store.dir(made.id) + "/state.json", bad);
    CHECK_THROWS_WITH(t.store.state(made.id), doctest::Contains("state.json"));
  }
}

TEST_CASE("store: a running record whose monitor and process are gone reads as exited -1") {
  TestStore t;
  Record made = t.store.create(named("gone"));
  State s;
  s.status = "running";
  s.pid = s.monitor_pid = ::getpid();
  s.pid_start_time = s.monitor_start_time = 1;  // not this process's start time
  t.store.save_state(made.id, s);
  State now = t.store.state(made.id);
  CHECK(now.status == "exited");
  CHECK(now.exit_code == -1);
  CHECK(read_file(t.store.dir(made.id) + "/state.json").find("\"exited\"") != std::string::npos);
}

TEST_CASE(
    "store: a name held by a killed create is claimed again, one held by a live create is not") {
  TestStore t;
  std::string stale = abandoned_claim(t, "taken", 'c');
  Record made = t.store.create(named("taken"));
  CHECK(made.id != stale);
  CHECK(t.store.get("taken").id == made.id);

  // A create in progress holds its directory's lock until config.json exists.
  std::string busy = abandoned_claim(t, "busy", 'd');
  {
    FileLock creator(t.store.dir(busy) + "/lock");
    CHECK_THROWS_WITH(t.store.create(named("busy")), doctest::Contains("already in use"));
  }
  // And a claim whose directory is gone altogether is free.
  remove_tree(t.store.dir(busy));
  CHECK(t.store.create(named("busy")).name == "busy");
  // The loser of a claim leaves no directory behind.
  CHECK_THROWS_WITH(t.store.create(named("busy")), doctest::Contains("already in use"));
  CHECK(list_dir(t.paths.containers()).size() == 3);  // taken, busy, and the stale one
}

TEST_CASE(
    "store: remove takes the record, its claim and directory; a second remove finds nothing") {
  TestStore t;
  Record made = t.store.create(named("bye"));
  t.store.remove(made);
  CHECK_FALSE(path_exists(t.store.dir(made.id)));
  CHECK_FALSE(t.store.find("bye"));
  try {
    t.store.remove(made);
    FAIL("second remove succeeded");
  } catch (const Error& e) {
    CHECK(e.code() == Errc::not_found);
  }
  CHECK(t.store.summaries().empty());
}
