#include "userns/userns.hpp"

#include <doctest/doctest.h>

#include "util/fs.hpp"

using namespace tug;

TEST_CASE("subordinate ranges are found by name or uid") {
  TempDir t("/tmp", "tug-unit-");
  std::string f = t.path() + "/subuid";
  atomic_write(f, "# comment\nalice:100000:65536\n1234:200000:1000\nbroken line\n");
  auto a = userns::find_subid_range(f, "alice", 1);
  REQUIRE(a);
  CHECK(a->start == 100000);
  CHECK(a->count == 65536);
  auto b = userns::find_subid_range(f, "bob", 1234);
  REQUIRE(b);
  CHECK(b->start == 200000);
  CHECK_FALSE(userns::find_subid_range(f, "carol", 99));
  CHECK_FALSE(userns::find_subid_range(t.path() + "/missing", "alice", 1));
}

TEST_CASE("a user without a range gets the single-id mapping, with a reason") {
  TempDir t("/tmp", "tug-unit-");
  atomic_write(t.path() + "/subuid", "");
  atomic_write(t.path() + "/subgid", "");
  auto m = userns::default_mapping(t.path() + "/subuid", t.path() + "/subgid");
  CHECK(m.single);
  CHECK(m.uids.size() == 1);
  CHECK(m.uids[0].container == 0);
  CHECK(m.uids[0].size == 1);
  CHECK(m.single_reason.find("no subordinate id range") != std::string::npos);
}

TEST_CASE("mapping lookups and /proc text") {
  userns::Mapping m;
  m.uids = {{0, 1000, 1}, {1, 100000, 65536}};
  m.gids = m.uids;
  CHECK(*m.host_uid(0) == 1000);
  CHECK(*m.host_uid(1) == 100000);
  CHECK(*m.host_uid(65536) == 165535);
  CHECK_FALSE(m.host_uid(65537));
  CHECK(m.uid_map_text() == "0 1000 1\n1 100000 65536\n");
}

TEST_CASE("keep-id maps the user to the same id inside") {
  userns::Mapping m;
  m.uids = {{0, 1000, 1}, {1, 100000, 65536}};
  m.gids = m.uids;
  auto k = userns::keep_id_mapping(m, 1000, 1000);
  CHECK(*k.host_uid(1000) == 1000);
  CHECK(*k.host_uid(0) == 100000);
  CHECK(*k.host_uid(999) == 100999);
  CHECK(*k.host_uid(1001) == 101000);
  // Every subordinate id is still used exactly once.
  uint32_t total = 0;
  for (const auto& e : k.uids) total += e.size;
  CHECK(total == 65537);
}
