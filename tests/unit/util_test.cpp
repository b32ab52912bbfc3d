#include <doctest/doctest.h>
#include <sys/stat.h>

#include "util/digest.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"
#include "util/strings.hpp"

using namespace tug;

TEST_CASE("sha256 of known input") {
  CHECK(sha256_hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(sha256_hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(is_sha256_digest("sha256:" + sha256_hex("x")));
  CHECK_FALSE(is_sha256_digest("sha256:ABC"));
  CHECK_THROWS_AS(digest_hex("md5:00"), Error);
}

TEST_CASE("human sizes follow docker's decimal units") {
  CHECK(human_size(0) == "0B");
  CHECK(human_size(999) == "999B");
  CHECK(human_size(1000) == "1kB");
  CHECK(human_size(4260000) == "4.26MB");
  CHECK(human_size(1234567890) == "1.23GB");
}

TEST_CASE("parse_size uses binary multiples") {
  CHECK(parse_size("256m") == 256LL * 1024 * 1024);
  CHECK(parse_size("1g") == 1024LL * 1024 * 1024);
  CHECK(parse_size("512") == 512);
  CHECK_THROWS_AS(parse_size("12q"), Error);
}

TEST_CASE("rfc3339 round trip and durations") {
  CHECK(parse_rfc3339("2020-01-01T00:00:00Z") == 1577836800);
  CHECK(parse_rfc3339("2020-01-01T01:00:00.5+01:00") == 1577836800);
  CHECK(parse_rfc3339("garbage") == -1);
  CHECK(human_duration(5) == "5 seconds");
  CHECK(human_duration(90) == "About a minute");
  CHECK(human_duration(3 * 3600) == "3 hours");
}

TEST_CASE("atomic_write replaces the file and remove_tree clears unreadable dirs") {
  TempDir t("/tmp", "tug-unit-");
  std::string f = t.path() + "/rec.json";
  atomic_write(f, "one");
  atomic_write(f, "two", 0600);
  CHECK(read_file(f) == "two");
  struct stat st;
  REQUIRE(::stat(f.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  make_dirs(t.path() + "/a/b/c");
  atomic_write(t.path() + "/a/b/c/file", "x");
  ::chmod((t.path() + "/a/b").c_str(), 0);
  remove_tree(t.path() + "/a");
  CHECK_FALSE(path_exists(t.path() + "/a"));
}

TEST_CASE("split and join") {
  CHECK(split("a:b::c", ':') == std::vector<std::string>{"a", "b", "", "c"});
  CHECK(join({"x", "y"}, ", ") == "x, y");
  bool found = true;
  auto [k, v] = split_once("KEY", '=', &found);
  CHECK(k == "KEY");
  CHECK_FALSE(found);
}
