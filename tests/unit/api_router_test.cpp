// The Engine API's routing, version prefixes, filters and errors, without a
// socket (api/router.hpp).
#include <doctest/doctest.h>
#include <sys/socket.h>
#include <unistd.h>

#include "api/router.hpp"
#include "api/streams.hpp"

using namespace tug;
using namespace tug::api;

TEST_CASE("api: targets split into path and decoded query, version prefix removed") {
  Target t = parse_target("/v1.41/containers/json?all=1&filters=%7B%22name%22%3A%5B%22x%22%5D%7D");
  CHECK(t.path == "/containers/json");
  CHECK(t.versioned);
  CHECK(t.minor == 41);
  CHECK(t.query.at("all") == "1");
  CHECK(t.query.at("filters") == "{\"name\":[\"x\"]}");
  Target u = parse_target("/_ping");
  CHECK(u.path == "/_ping");
  CHECK_FALSE(u.versioned);
  CHECK(parse_target("/v1.24/version").minor == 24);
  CHECK(parse_target("/containers/json/").path == "/containers/json");
  // A path that only looks like a version stays a path.
  CHECK(parse_target("/volumes/v1x").path == "/volumes/v1x");
}

TEST_CASE("api: versions outside 1.24..1.41 are docker's 400") {
  try {
    parse_target("/v1.99/version");
    FAIL("no error");
  } catch (const ApiError& e) {
    CHECK(e.status == 400);
    CHECK(std::string(e.what()) ==
          "client version 1.99 is too new. Maximum supported API version is 1.41");
  }
  CHECK_THROWS_AS(parse_target("/v1.23/version"), ApiError);
  CHECK_THROWS_AS(parse_target("/v2.0/version"), ApiError);
}

TEST_CASE("api: filters in both of docker's JSON forms") {
  auto f = parse_filters(R"({"status":["running","exited"],"label":{"a=b":true}})");
  CHECK(f["status"] == std::vector<std::string>{"running", "exited"});
  CHECK(f["label"] == std::vector<std::string>{"a=b"});
  CHECK(parse_filters("").empty());
  CHECK_THROWS_AS(parse_filters("bad"), ApiError);
  CHECK_THROWS_AS(parse_filters("[1]"), ApiError);
  CHECK_THROWS_AS(parse_filters(R"({"status":[1]})"), ApiError);
}

TEST_CASE("api: url decoding") {
  CHECK(url_decode("a%2Fb+c") == "a/b c");
  CHECK(url_decode("%zz%") == "%zz%");
}

TEST_CASE("api: docker's stream frames and a client's close") {
  std::string h = frame_header(2, 0x01020304);
  REQUIRE(h.size() == 8);
  CHECK(h[0] == 2);
  CHECK(h.substr(1, 3) == std::string(3, '\0'));
  CHECK(static_cast<unsigned char>(h[4]) == 1);
  CHECK(static_cast<unsigned char>(h[7]) == 4);
  int sv[2];
  REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
  CHECK(send_output(sv[0], false, 1, "hi", 2));
  char buf[16];
  CHECK(::read(sv[1], buf, sizeof buf) == 10);
  CHECK(std::string(buf + 8, 2) == "hi");
  CHECK(send_output(sv[0], true, 1, "raw", 3));
  CHECK(::read(sv[1], buf, sizeof buf) == 3);
  // docker's client half closes at its stdin's end: still there, unless
  // the stream takes no input (logs), where that is all a TCP close shows.
  ::shutdown(sv[1], SHUT_WR);
  CHECK_FALSE(client_gone(sv[0]));
  CHECK(client_gone(sv[0], false));
  ::close(sv[1]);
  CHECK(client_gone(sv[0]));
  CHECK_FALSE(send_output(sv[0], false, 1, "x", 1));
  ::close(sv[0]);
}
