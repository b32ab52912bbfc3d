#include <doctest/doctest.h>

#include "registry/manifest.hpp"
#include "registry/registries_conf.hpp"
#include "util/error.hpp"

using namespace tug;
using namespace tug::registry;

namespace {

std::vector<std::string> names(const std::vector<image::Reference>& refs) {
  std::vector<std::string> out;
  for (const auto& r : refs) out.push_back(r.str());
  return out;
}

}  // namespace

TEST_CASE("short names: docker.io without configuration, search registries with it") {
  RegistriesConf none;
  CHECK(names(none.candidates("busybox")) ==
        std::vector<std::string>{"docker.io/library/busybox:latest"});
  CHECK(names(none.candidates("localhost:5000/x@sha256:" + std::string(64, 'a'))) ==
        std::vector<std::string>{"localhost:5000/x@sha256:" + std::string(64, 'a')});

  RegistriesConf c;
  c.merge(R"(
unqualified-search-registries = ["127.0.0.1:5000", "docker.io"]
[aliases]
"tool" = "quay.io/team/tool"
)",
          "test.conf");
  CHECK(names(c.candidates("app:1")) ==
        std::vector<std::string>{"127.0.0.1:5000/app:1", "docker.io/library/app:1"});
  CHECK(names(c.candidates("team/app")) ==
        std::vector<std::string>{"127.0.0.1:5000/team/app:latest", "docker.io/team/app:latest"});
  // Aliases come first and keep the tag asked for.
  CHECK(names(c.candidates("tool:2")) == std::vector<std::string>{"quay.io/team/tool:2"});
  // Qualified names are never searched.
  CHECK(names(c.candidates("quay.io/x/y")) == std::vector<std::string>{"quay.io/x/y:latest"});
  CHECK_THROWS_AS(c.candidates("Bad::ref"), Error);
}

TEST_CASE("[[registry]]: prefix rewriting, mirrors, insecure and blocked") {
  RegistriesConf c;
  c.merge(R"(
[[registry]]
prefix = "example.com/foo"
location = "127.0.0.1:5000/bar"
insecure = true
[[registry.mirror]]
location = "mirror.local:6000/m"

[[registry]]
location = "blocked.example"
blocked = true

[[registry]]
prefix = "*.wild.example"
insecure = true
)",
          "test.conf");
  auto eps = c.endpoints(image::parse_reference("example.com/foo/app:1"), true);
  REQUIRE(eps.size() == 2);
  CHECK(eps[0].registry == "mirror.local:6000");
  CHECK(eps[0].repository == "m/app");
  CHECK(eps[0].mirror);
  CHECK(eps[1].registry == "127.0.0.1:5000");
  CHECK(eps[1].repository == "bar/app");
  CHECK(eps[1].insecure);
  // Pushes skip the mirrors.
  CHECK(c.endpoints(image::parse_reference("example.com/foo/app"), false).size() == 1);
  // A longer prefix only: example.com/foobar does not match example.com/foo.
  CHECK(c.endpoints(image::parse_reference("example.com/foobar/x"), true)[0].registry ==
        "example.com");
  CHECK_THROWS_AS(c.endpoints(image::parse_reference("blocked.example/x"), true), Error);
  CHECK(c.insecure("127.0.0.1:5000"));
  CHECK(c.insecure("a.wild.example"));
  CHECK_FALSE(c.insecure("example.org"));

  // A later file replaces the entry with the same prefix.
  c.merge("[[registry]]\nlocation = \"blocked.example\"\n", "drop-in.conf");
  CHECK(c.endpoints(image::parse_reference("blocked.example/x"), true).size() == 1);
}

TEST_CASE("registries.conf errors name the file and line") {
  RegistriesConf c;
  try {
    c.merge("unqualified-search-registries = [\n  \"a\",\n  oops\n]\n", "/etc/x.conf");
    FAIL("no error");
  } catch (const Error& e) {
    CHECK(std::string(e.what()).find("/etc/x.conf:3") != std::string::npos);
  }
  CHECK_THROWS_AS(c.merge("unqualified-search-registries = \"docker.io\"", "f"), Error);
  CHECK_THROWS_AS(c.merge("[[registry]]\ninsecure = true\n", "f"), Error);
}

TEST_CASE("platforms parse with aliases and select from an index") {
  CHECK(parse_platform("linux/arm64/v8").str() == "linux/arm64/v8");
  CHECK(parse_platform("x86_64").str() == "linux/amd64");
  CHECK(parse_platform("linux/aarch64").architecture == "arm64");
  CHECK_THROWS_AS(parse_platform("linux//v7"), Error);
  CHECK_THROWS_AS(parse_platform("a/b/c/d"), Error);

  json list = json::parse(R"([
    {"digest":"sha256:1","platform":{"os":"linux","architecture":"amd64"}},
    {"digest":"sha256:2","platform":{"os":"linux","architecture":"arm","variant":"v6"}},
    {"digest":"sha256:3","platform":{"os":"linux","architecture":"arm","variant":"v7"}},
    {"digest":"sha256:4","platform":{"os":"linux","architecture":"arm64"}},
    {"digest":"sha256:5","platform":{"os":"windows","architecture":"amd64"}},
    {"digest":"sha256:6","platform":{"os":"unknown","architecture":"unknown"}}
  ])");
  auto pick = [&](const std::string& p) {
    const json* d = select_platform(list, parse_platform(p));
    return d ? json_str(*d, "digest") : std::string("none");
  };
  CHECK(pick("linux/amd64") == "sha256:1");
  CHECK(pick("windows/amd64") == "sha256:5");
  CHECK(pick("linux/arm/v6") == "sha256:2");
  CHECK(pick("linux/arm") == "sha256:3");  // the highest variant
  CHECK(pick("linux/arm64") == "sha256:4");
  CHECK(pick("linux/arm64/v8") == "sha256:4");  // no variant on arm64 means v8
  CHECK(pick("linux/s390x") == "none");
  CHECK(list_platforms(list).find("linux/arm/v7") != std::string::npos);
}

TEST_CASE("manifest kinds from Content-Type or the document; schema 1 is recognised") {
  json img = json::parse(R"({"schemaVersion":2,"config":{},"layers":[]})");
  CHECK(manifest_kind(std::string(kDockerManifest) + "; charset=utf-8", img) ==
        ManifestKind::image);
  CHECK(manifest_kind("application/json", img) == ManifestKind::image);
  CHECK(manifest_kind(kOciIndex, json::object()) == ManifestKind::list);
  CHECK(manifest_kind("", json::parse(R"({"manifests":[]})")) == ManifestKind::list);
  CHECK(manifest_kind(kDockerSchema1Signed, json::object()) == ManifestKind::schema1);
  CHECK(manifest_kind("", json::parse(R"({"schemaVersion":1})")) == ManifestKind::schema1);
  CHECK_THROWS_AS(manifest_kind("text/html", json::object()), Error);
}
