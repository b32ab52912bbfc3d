#include <doctest/doctest.h>

#include "container/processes.hpp"

using namespace tug;

TEST_CASE("a /proc/PID/stat line, command names with spaces and parentheses included") {
  container::ProcessInfo p;
  std::string line =
      "4242 (my (odd) cmd) S 4241 4242 4242 34816 4242 4194560 100 0 0 0 25 7 0 0 20 0 1 0 "
      "123456 2000000 300 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0";
  REQUIRE(container::parse_proc_stat(line, &p));
  CHECK(p.pid == 4242);
  CHECK(p.ppid == 4241);
  CHECK(p.tty == "pts/0");
  CHECK(p.utime == 25);
  CHECK(p.stime == 7);
  CHECK(p.start == 123456);
  CHECK(p.rss == 300 * 4096);
  CHECK(p.cmd == "[my (odd) cmd]");
  CHECK_FALSE(container::parse_proc_stat("garbage", &p));
}
