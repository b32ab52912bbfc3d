#include <doctest/doctest.h>
#include <sys/stat.h>

#include <cstdlib>

#include "registry/auth.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"
#include "util/json.hpp"

using namespace tug;
using namespace tug::registry;

TEST_CASE("WWW-Authenticate: Bearer with realm, service and a scope holding commas") {
  auto cs = parse_www_authenticate(
      R"(Bearer realm="https://auth.example.com/token",service="registry.example.com",scope="repository:library/busybox:pull,push")");
  REQUIRE(cs.size() == 1);
  CHECK(cs[0].scheme == "bearer");
  CHECK(cs[0].param("realm") == "https://auth.example.com/token");
  CHECK(cs[0].param("service") == "registry.example.com");
  CHECK(cs[0].param("scope") == "repository:library/busybox:pull,push");
}

TEST_CASE("WWW-Authenticate: Basic, case, spaces, escapes and several challenges") {
  auto cs = parse_www_authenticate(R"(BASIC Realm = "Registry \"x\"")");
  REQUIRE(cs.size() == 1);
  CHECK(cs[0].scheme == "basic");
  CHECK(cs[0].param("realm") == "Registry \"x\"");

  cs = parse_www_authenticate(R"(Basic realm="a", Bearer realm="https://t/token", service=reg)");
  REQUIRE(cs.size() == 2);
  CHECK(cs[0].scheme == "basic");
  CHECK(cs[0].param("realm") == "a");
  CHECK(cs[1].scheme == "bearer");
  CHECK(cs[1].param("realm") == "https://t/token");
  CHECK(cs[1].param("service") == "reg");

  cs = parse_www_authenticate("Negotiate, Basic realm=x");
  REQUIRE(cs.size() == 2);
  CHECK(cs[0].scheme == "negotiate");
  CHECK(cs[1].param("realm") == "x");
  CHECK(parse_www_authenticate("").empty());
}

TEST_CASE("base64 round trips and rejects garbage") {
  for (std::string s : {"", "a", "ab", "abc", "user:pa:ss", "ünï"})
    CHECK(base64_decode(base64_encode(s)) == s);
  CHECK(base64_encode("user:pass") == "dXNlcjpwYXNz");
  CHECK_THROWS_AS(base64_decode("abc"), Error);
}

TEST_CASE("--creds splits at the first colon") {
  auto c = parse_creds("me:se:cret");
  CHECK(c.username == "me");
  CHECK(c.password == "se:cret");
  CHECK(parse_creds("me").password.empty());
  CHECK_THROWS_AS(parse_creds(":x"), Error);
}

namespace {

struct EnvGuard {
  std::string name, old;
  bool had;
  EnvGuard(const char* n, const std::string& v) : name(n) {
    const char* o = std::getenv(n);
    had = o != nullptr;
    if (o) old = o;
    ::setenv(n, v.c_str(), 1);
  }
  ~EnvGuard() {
    if (had)
      ::setenv(name.c_str(), old.c_str(), 1);
    else
      ::unsetenv(name.c_str());
  }
};

}  // namespace

TEST_CASE("auth.json: podman's locations, format, mode 0600, and docker's config.json") {
  TempDir dir("/tmp", "tug-auth-test-");
  std::string d = dir.path();
  EnvGuard home("HOME", d + "/home");
  EnvGuard run("XDG_RUNTIME_DIR", d + "/run");
  EnvGuard cfg("XDG_CONFIG_HOME", d + "/config");
  EnvGuard raf("REGISTRY_AUTH_FILE", "");
  make_dirs(d + "/home/.docker");

  AuthFile af;
  CHECK(af.write_path() == d + "/run/containers/auth.json");
  CHECK_FALSE(af.lookup("localhost:5000", "").has_value());

  af.store("localhost:5000", {"alice", "s3cret:x"});
  struct stat st;
  REQUIRE(::stat(af.write_path().c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  json j = read_json(af.write_path());
  CHECK(j["auths"]["localhost:5000"]["auth"] == base64_encode("alice:s3cret:x"));
  std::string from;
  auto c = af.lookup("localhost:5000", "ns/app", &from);
  REQUIRE(c);
  CHECK(c->username == "alice");
  CHECK(c->password == "s3cret:x");
  CHECK(from == af.write_path());

  // Repository-scoped credentials win over the host's.
  af.store("localhost:5000/ns", {"bob", "pw"});
  CHECK(af.lookup("localhost:5000", "ns/app")->username == "bob");
  CHECK(af.lookup("localhost:5000", "other/app")->username == "alice");

  // docker's file: read after podman's, URL keys and docker hub's key.
  atomic_write(d + "/home/.docker/config.json",
               json{{"auths",
                     {{"https://index.docker.io/v1/", {{"auth", base64_encode("hub:pw")}}},
                      {"https://quay.io", {{"auth", base64_encode("q:pw")}}}}}}
                   .dump());
  CHECK(af.lookup("docker.io", "library/busybox")->username == "hub");
  CHECK(af.lookup("quay.io", "")->username == "q");

  CHECK(af.remove("localhost:5000"));
  CHECK_FALSE(af.remove("localhost:5000"));
  CHECK_FALSE(af.lookup("localhost:5000", "").has_value());  // only the ns entry is left
  CHECK(af.remove_all());
  CHECK_FALSE(af.lookup("localhost:5000", "ns/app").has_value());

  // --authfile replaces every default location.
  AuthFile only(d + "/mine.json");
  CHECK(only.read_paths() == std::vector<std::string>{d + "/mine.json"});
  CHECK_FALSE(only.lookup("docker.io", "").has_value());
}

TEST_CASE("auth.json: a file that is not an auth file is an error naming it, never skipped") {
  TempDir dir("/tmp", "tug-auth-test-");
  std::string d = dir.path();
  EnvGuard raf("REGISTRY_AUTH_FILE", "");
  auto message_of = [](const std::string& path) {
    try {
      AuthFile(path).lookup("localhost:5000", "");
    } catch (const Error& e) {
      CHECK_FALSE(e.hint().empty());
      return std::string(e.what());
    }
    return std::string();
  };
  write_file(d + "/a.json", "{not json");
  CHECK(message_of(d + "/a.json").find("parsing " + d + "/a.json") != std::string::npos);
  write_file(d + "/b.json", "[1]");
  CHECK(message_of(d + "/b.json").find(d + "/b.json: not a JSON object") != std::string::npos);
  write_file(d + "/c.json", "{\"auths\": 3}");
  CHECK(message_of(d + "/c.json").find("\"auths\" is not a JSON object") != std::string::npos);
  write_file(d + "/d.json", "{\"auths\": null}");
  CHECK(message_of(d + "/d.json").empty());
  CHECK(message_of(d + "/missing.json").empty());
}
