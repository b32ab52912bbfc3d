#include "config/hostinfo.hpp"

#include <doctest/doctest.h>

using namespace tug;

TEST_CASE("the unified cgroup path is read from /proc/self/cgroup") {
  CHECK(hostinfo::cgroup2_path(
            "12:memory:/user.slice\n0::/user.slice/user-1000.slice/session-2.scope\n") ==
        "/user.slice/user-1000.slice/session-2.scope");
  CHECK(hostinfo::cgroup2_path("4:pids:/\n3:cpu:/\n") == "");
}

TEST_CASE("controllers and filesystems") {
  CHECK(hostinfo::parse_controllers("cpu io memory pids\n") ==
        std::vector<std::string>{"cpu", "io", "memory", "pids"});
  CHECK(hostinfo::parse_controllers("").empty());
  CHECK(hostinfo::fs_type_name(0xEF53) == "ext4");
  CHECK(hostinfo::fs_type_name(0x6969) == "nfs");
  CHECK(hostinfo::fs_type_name(0x0BD00BD0) == "lustre");
  CHECK(hostinfo::is_network_fs("gpfs"));
  CHECK_FALSE(hostinfo::is_network_fs("xfs"));
}
