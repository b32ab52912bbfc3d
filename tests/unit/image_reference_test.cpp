#include <doctest/doctest.h>

#include "image/reference.hpp"
#include "util/error.hpp"

using namespace tug;
using tug::image::parse_reference;

TEST_CASE("short names normalise to docker.io/library with :latest") {
  auto r = parse_reference("busybox");
  CHECK(r.registry == "docker.io");
  CHECK(r.repository == "library/busybox");
  CHECK(r.tag == "latest");
  CHECK(r.short_name);
  CHECK(r.str() == "docker.io/library/busybox:latest");
  CHECK(r.name() == "docker.io/library/busybox");
  CHECK(parse_reference("user/app").str() == "docker.io/user/app:latest");
  CHECK(parse_reference("busybox:1.36").str() == "docker.io/library/busybox:1.36");
  CHECK(parse_reference("index.docker.io/library/x").str() == "docker.io/library/x:latest");
}

TEST_CASE("registries are recognised by '.', ':' or localhost") {
  auto r = parse_reference("localhost:5000/x:1");
  CHECK(r.registry == "localhost:5000");
  CHECK(r.repository == "x");
  CHECK(r.tag == "1");
  CHECK_FALSE(r.short_name);
  CHECK(parse_reference("localhost/app").str() == "localhost/app:latest");
  CHECK(parse_reference("quay.io/team/app:v2").str() == "quay.io/team/app:v2");
  CHECK(parse_reference("my-registry.example.com:443/a/b/c").registry ==
        "my-registry.example.com:443");
  // A first component without '.', ':' is a docker.io namespace.
  CHECK(parse_reference("team/app").registry == "docker.io");
}

TEST_CASE("digests") {
  std::string d = "sha256:" + std::string(64, 'a');
  auto r = parse_reference("busybox@" + d);
  CHECK(r.digest == d);
  CHECK(r.tag.empty());
  CHECK(r.str() == "docker.io/library/busybox@" + d);
  auto both = parse_reference("quay.io/x:1@" + d);
  CHECK(both.tag == "1");
  CHECK(both.digest == d);
  CHECK_THROWS_AS(parse_reference("busybox@sha256:abc"), Error);
  CHECK_THROWS_AS(parse_reference("busybox@md5:" + std::string(32, 'a')), Error);
}

TEST_CASE("malformed references are refused with podman's wording") {
  for (const char* bad : {"", "Busybox", "busy box", "a//b", "-a", "a:", ":tag", "a:b:c", "x/y_-z",
                          "a@", "bad..name", "localhost:port/x"}) {
    CAPTURE(bad);
    try {
      parse_reference(bad);
      FAIL("accepted");
    } catch (const Error& e) {
      CHECK(e.code() == Errc::invalid);
      CHECK(std::string(e.what()).find("invalid reference format") != std::string::npos);
      CHECK(e.exit_code() == kExitToolError);
    }
  }
  try {
    parse_reference("Busybox");
  } catch (const Error& e) {
    CHECK(std::string(e.what()).find("repository name must be lowercase") != std::string::npos);
    CHECK(std::string(e.what()).find("\"Busybox\"") != std::string::npos);
  }
  // 64 hex digits look like an image id, never a repository.
  CHECK_THROWS_AS(parse_reference(std::string(64, 'a')), Error);
  CHECK_THROWS_AS(parse_reference("a:" + std::string(129, 't')), Error);
  CHECK_NOTHROW(parse_reference("a:" + std::string(128, 't')));
  CHECK_NOTHROW(parse_reference("a__b/c-d.e---f"));
}

TEST_CASE("names given to local images put short names under localhost, as podman") {
  using tug::image::parse_local_reference;
  CHECK(parse_local_reference("app").str() == "localhost/app:latest");
  CHECK(parse_local_reference("app:v1").str() == "localhost/app:v1");
  CHECK(parse_local_reference("team/app").str() == "localhost/team/app:latest");
  CHECK(parse_local_reference("library/app").str() == "localhost/library/app:latest");
  CHECK(parse_local_reference("docker.io/app").str() == "docker.io/library/app:latest");
  CHECK(parse_local_reference("quay.io/t/app:2").str() == "quay.io/t/app:2");
  CHECK(parse_local_reference("localhost:5000/app").str() == "localhost:5000/app:latest");
  CHECK_FALSE(parse_local_reference("app").short_name);
  CHECK_THROWS_AS(parse_local_reference("App"), tug::Error);
}
