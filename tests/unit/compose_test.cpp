#include "compose/compose.hpp"

#include <doctest/doctest.h>

#include <filesystem>

#include "util/error.hpp"
#include "util/fs.hpp"

using namespace tug;

namespace {

std::optional<std::string> env(const std::string& k) {
  if (k == "SET") return std::string("value");
  if (k == "EMPTY") return std::string();
  return std::nullopt;
}

std::string interp(const std::string& s) {
  return compose::interpolate(s, env, "f:1");
}

}  // namespace

TEST_CASE("compose interpolation: docker's forms") {
  CHECK(interp("a ${SET} b $SET c") == "a value b value c");
  CHECK(interp("${UNSET}") == "");
  CHECK(interp("${UNSET:-dflt}") == "dflt");
  CHECK(interp("${EMPTY:-dflt}") == "dflt");
  CHECK(interp("${EMPTY-dflt}") == "");
  CHECK(interp("${UNSET-dflt}") == "dflt");
  CHECK(interp("${UNSET:-${SET}}") == "value");
  CHECK(interp("${SET:+alt}") == "alt");
  CHECK(interp("$$SET and $$") == "$SET and $");
  CHECK(interp("cost: 5$") == "cost: 5$");
  CHECK(interp("${SET:?must}") == "value");
  CHECK_THROWS_WITH_AS(interp("${UNSET:?must be set}"),
                       "f:1: required variable UNSET is missing a value: must be set", Error);
  CHECK_THROWS_AS(interp("${EMPTY:?x}"), Error);
  CHECK(interp("${EMPTY?x}") == "");
  CHECK_THROWS_AS(interp("${SET"), Error);
}

TEST_CASE("compose env files, words and project names") {
  auto m = compose::parse_env_file("# c\nA=1\nexport B = \"two words\"\nC='x'\nbad line\n");
  CHECK(m.size() == 3);
  CHECK(m["A"] == "1");
  CHECK(m["B"] == "two words");
  CHECK(m["C"] == "x");
  CHECK(compose::split_words("sh -c 'echo \"hi there\"' x\\ y") ==
        std::vector<std::string>{"sh", "-c", "echo \"hi there\"", "x y"});
  CHECK(compose::normalize_project_name("My App.v2") == "myappv2");
  CHECK(compose::normalize_project_name("_x-Y_") == "x-y_");
}

TEST_CASE("compose load: merge, model, start order, hash") {
  TempDir dir(std::filesystem::temp_directory_path().string(), "compose-test-");
  const std::string d = dir.path();
  atomic_write(d + "/compose.yaml",
               "services:\n"
               "  web:\n"
               "    image: busybox:${TAG:-1}\n"
               "    depends_on: [db]\n"
               "    volumes: [data:/d, ./src:/src:ro]\n"
               "    networks:\n"
               "      front:\n"
               "        aliases: [www]\n"
               "  db:\n"
               "    image: busybox\n"
               "    entrypoint: /bin/sh -c\n"
               "volumes:\n  data:\n"
               "networks:\n  front:\n    ipam:\n      config:\n        - subnet: 10.9.0.0/24\n",
               0644, false);
  atomic_write(d + "/compose.override.yaml", "services:\n  db:\n    environment: [A=1]\n", 0644,
               false);
  compose::LoadOptions o;
  o.cwd = d;
  o.environment["TAG"] = "2";
  compose::Project p = compose::load(o);
  CHECK(p.config_files.size() == 2);
  REQUIRE(p.services.size() == 2);
  CHECK(p.services[0].name == "db");
  CHECK(p.services[0].environment == std::vector<std::string>{"A=1"});
  CHECK(*p.services[0].entrypoint == std::vector<std::string>{"/bin/sh", "-c"});
  const auto& web = p.get("web");
  CHECK(web.image == "busybox:2");
  CHECK(web.volumes == std::vector<std::string>{"data:/d", d + "/src:/src:ro"});
  REQUIRE(web.networks.size() == 1);
  CHECK(web.networks[0].aliases == std::vector<std::string>{"www"});
  CHECK(p.networks.at("front").subnet == "10.9.0.0/24");
  std::string base = std::filesystem::path(d).filename().string();
  CHECK(p.volumes.at("data").name == compose::normalize_project_name(base) + "_data");
  CHECK(compose::start_order(p, {"web"}) == std::vector<std::string>{"db", "web"});
  CHECK(compose::config_hash(web) != compose::config_hash(p.get("db")));
  CHECK(compose::config_hash(web) == compose::config_hash(compose::load(o).get("web")));
  o.environment["TAG"] = "3";
  CHECK(compose::config_hash(web) != compose::config_hash(compose::load(o).get("web")));

  atomic_write(d + "/compose.yaml", "services:\n  a:\n    image: x\n    depends_on: [a]\n", 0644,
               false);
  std::filesystem::remove(d + "/compose.override.yaml");
  CHECK_THROWS_WITH_AS(compose::start_order(compose::load(o), {}), "dependency cycle: a -> a",
                       Error);
  atomic_write(d + "/compose.yaml", "services:\n  a:\n    image: x\n    read_only: maybe\n", 0644,
               false);
  CHECK_THROWS_WITH_AS(compose::load(o),
                       (d + "/compose.yaml:4: services.a.read_only: must be true or false, not "
                            "\"maybe\"")
                           .c_str(),
                       Error);
}
