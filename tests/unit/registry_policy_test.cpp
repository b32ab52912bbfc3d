#include <doctest/doctest.h>

#include "registry/policy.hpp"
#include "util/error.hpp"

using namespace tug;
using namespace tug::registry;

namespace {

const char* kPolicy = R"({
  "default": [{"type": "reject"}],
  "transports": {
    "docker": {
      "": [{"type": "insecureAcceptAnything"}],
      "localhost:5000": [{"type": "reject"}],
      "localhost:5000/team": [{"type": "insecureAcceptAnything"}],
      "localhost:5000/team/app:1": [{"type": "signedBy", "keyType": "GPGKeys", "keyPath": "/k"}],
      "*.example.com": [{"type": "reject"}]
    }
  }
})";

std::string scope_of(const Policy& p, const std::string& transport, const std::string& ref) {
  return p.requirements_for(transport, docker_scopes(ref)).scope;
}

}  // namespace

TEST_CASE("docker scopes go from the reference up to the host, then wildcards") {
  CHECK(docker_scopes("localhost:5000/a/b:1") ==
        std::vector<std::string>{"localhost:5000/a/b:1", "localhost:5000/a/b", "localhost:5000/a",
                                 "localhost:5000"});
  CHECK(docker_scopes("reg.example.com/x@sha256:" + std::string(64, 'a')) ==
        std::vector<std::string>{"reg.example.com/x@sha256:" + std::string(64, 'a'),
                                 "reg.example.com/x", "reg.example.com", "*.example.com", "*.com"});
}

TEST_CASE("the most specific scope wins, then the transport's default, then default") {
  Policy p = Policy::parse(kPolicy, "p.json");
  CHECK(scope_of(p, "docker", "localhost:5000/team/app:1") == "localhost:5000/team/app:1");
  CHECK(scope_of(p, "docker", "localhost:5000/team/app:2") == "localhost:5000/team");
  CHECK(scope_of(p, "docker", "localhost:5000/other:1") == "localhost:5000");
  CHECK(scope_of(p, "docker", "docker.io/library/busybox:latest") == "");
  CHECK(scope_of(p, "docker", "a.example.com/x:1") == "*.example.com");
  CHECK(scope_of(p, "docker-archive", "/tmp/x.tar") == "default");
  CHECK(p.requirements_for("docker", docker_scopes("localhost:5000/x:1")).where ==
        "transports.docker[\"localhost:5000\"]");
}

TEST_CASE("malformed policies name the file and the entry") {
  auto msg = [](const std::string& text) {
    try {
      Policy::parse(text, "/tmp/p.json");
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  CHECK(msg("{").find("/tmp/p.json: not valid JSON") != std::string::npos);
  CHECK(msg("{}").find("\"default\" is missing") != std::string::npos);
  CHECK(msg(R"({"default":[{"type":"acceptAll"}]})").find("unknown requirement type") !=
        std::string::npos);
  CHECK(msg(R"({"default":[]})").find("empty") != std::string::npos);
  CHECK(msg(R"({"default":[{"type":"signedBy","keyType":"GPGKeys"}]})")
            .find("exactly one of keyPath") != std::string::npos);
  CHECK(
      msg(R"({"default":[{"type":"reject"}],"transports":{"docker":{"x":[{"type":"signedBy","keyType":"GPGKeys","keyPath":"/k","signedIdentity":{"type":"nope"}}]}}})")
          .find("transports.docker[\"x\"]: signedIdentity: unknown type") != std::string::npos);
  CHECK(msg(R"({"default":[{"type":"insecureAcceptAnything","extra":1}]})")
            .find("unknown field \"extra\"") != std::string::npos);
  CHECK(msg(kPolicy) == "accepted");
  // Valid for podman, not checkable by tug: accepted in the file, refused
  // only when a pull meets them.
  CHECK(msg(R"({"default":[{"type":"insecureAcceptAnything"}],"transports":{"docker":{
    "a.io":[{"type":"signedBy","keyType":"X509Certificates","keyPath":"/c"}],
    "b.io":[{"type":"sigstoreSigned","fulcio":{"caPath":"/f"},"rekorPublicKeyPath":"/r"}]}}})") ==
        "accepted");
  CHECK(msg(R"({"default":[{"type":"signedBy","keyType":"PGP","keyPath":"/k"}]})")
            .find("unknown keyType \"PGP\"") != std::string::npos);
}

TEST_CASE("signed identities") {
  json def = json::object();
  const std::string d = "@sha256:" + std::string(64, 'b');
  // matchRepoDigestOrExact: a tag must match exactly, a digest only the repository.
  CHECK(identity_matches(def, "localhost:5000/a:1", "localhost:5000/a:1"));
  CHECK_FALSE(identity_matches(def, "localhost:5000/a:1", "localhost:5000/a:2"));
  CHECK(identity_matches(def, "localhost:5000/a" + d, "localhost:5000/a:2"));
  CHECK_FALSE(identity_matches(def, "localhost:5000/a" + d, "localhost:5000/b:2"));
  // Signature references are normalised as docker does.
  CHECK(identity_matches(def, "docker.io/library/busybox:latest", "busybox"));
  CHECK(
      identity_matches({{"type", "matchRepository"}}, "localhost:5000/a:1", "localhost:5000/a:9"));
  CHECK_FALSE(
      identity_matches({{"type", "matchExact"}}, "localhost:5000/a" + d, "localhost:5000/a:1"));
  CHECK(identity_matches({{"type", "exactReference"}, {"dockerReference", "quay.io/x:2"}},
                         "localhost:5000/a:1", "quay.io/x:2"));
  CHECK(identity_matches({{"type", "exactRepository"}, {"dockerRepository", "quay.io/x"}},
                         "localhost:5000/a:1", "quay.io/x:7"));
  json remap = {{"type", "remapIdentity"},
                {"prefix", "localhost:5000/mirror"},
                {"signedPrefix", "quay.io/orig"}};
  CHECK(identity_matches(remap, "localhost:5000/mirror/app:1", "quay.io/orig/app:1"));
  CHECK_FALSE(identity_matches(remap, "localhost:5000/mirrorx/app:1", "quay.io/orig/app:1"));
}

TEST_CASE("archive scopes: the file, then its directories up to /") {
  CHECK(path_scopes("/a/b/x.tar") == std::vector<std::string>{"/a/b/x.tar", "/a/b", "/a", "/"});
  CHECK(path_scopes("").empty());
  Policy p = Policy::parse(
      R"({"default":[{"type":"reject"}],"transports":{"docker-archive":{"/a":[{"type":"insecureAcceptAnything"}]}}})",
      "p.json");
  CHECK(p.requirements_for("docker-archive", path_scopes("/a/b/x.tar")).scope == "/a");
  CHECK(p.requirements_for("oci-archive", path_scopes("/a/b/x.tar")).scope == "default");
}
