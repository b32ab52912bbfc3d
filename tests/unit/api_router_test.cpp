// The Engine API's routing, version prefixes, filters and errors, without a
// socket (api/router.hpp).
#include <doctest/doctest.h>

#include "api/router.hpp"

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
