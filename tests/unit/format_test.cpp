#include "cli/format.hpp"

#include <doctest/doctest.h>

#include "util/error.hpp"

using namespace tug;
using tug::cli::render_template;

namespace {
json sample() {
  return json::parse(R"({
    "Id": "abc", "Size": 4260000, "Ratio": 0.5, "Running": true, "Empty": "",
    "State": {"Pid": 42, "Status": "running"},
    "Names": ["a", "b"],
    "Labels": {"x": "1", "y": "2"},
    "Mounts": [{"Source": "/s1", "Destination": "/d1"}, {"Source": "/s2", "Destination": "/d2"}]
  })");
}
}  // namespace

TEST_CASE("fields, nested fields and missing fields") {
  auto d = sample();
  CHECK(render_template("{{.Id}}", d) == "abc");
  CHECK(render_template("{{.State.Pid}}", d) == "42");
  CHECK(render_template("{{ .State.Status }}", d) == "running");
  CHECK(render_template("{{.Size}}", d) == "4260000");
  CHECK(render_template("{{.Ratio}}", d) == "0.5");
  CHECK(render_template("{{.Nope}}", d) == "<no value>");
  CHECK(render_template("{{.State.Nope.Deeper}}", d) == "<no value>");
  CHECK(render_template("{{.Names}}", d) == "[a b]");
  CHECK(render_template("{{.Labels}}", d) == "map[x:1 y:2]");
  CHECK(render_template("id={{.Id}}\\tpid={{.State.Pid}}\\n", d) == "id=abc\tpid=42\n");
}

TEST_CASE("functions and pipelines") {
  auto d = sample();
  CHECK(render_template("{{json .State}}", d) == R"({"Pid":42,"Status":"running"})");
  CHECK(render_template("{{.State | json}}", d) == R"({"Pid":42,"Status":"running"})");
  CHECK(render_template("{{json .Id}}", d) == "\"abc\"");
  CHECK(render_template("{{upper .Id}}", d) == "ABC");
  CHECK(render_template("{{.Id | upper}}", d) == "ABC");
  CHECK(render_template("{{lower \"ABC\"}}", d) == "abc");
  CHECK(render_template("{{title \"hello world\"}}", d) == "Hello World");
  CHECK(render_template("{{join .Names \", \"}}", d) == "a, b");
  CHECK(render_template("{{index .Labels \"y\"}}", d) == "2");
  CHECK(render_template("{{index .Names 1}}", d) == "b");
  CHECK(render_template("{{len .Names}}", d) == "2");
  CHECK(render_template("{{printf \"%s-%d\" .Id .State.Pid}}", d) == "abc-42");
  CHECK(render_template("{{printf \"%5s|\" .Id}}", d) == "  abc|");
}

TEST_CASE("range and if") {
  auto d = sample();
  CHECK(render_template("{{range .Mounts}}{{.Source}}:{{.Destination}} {{end}}", d) ==
        "/s1:/d1 /s2:/d2 ");
  CHECK(render_template("{{range $k, $v := .Labels}}{{$k}}={{$v}};{{end}}", d) == "x=1;y=2;");
  CHECK(render_template("{{range $i, $n := .Names}}{{$i}}{{$n}}{{end}}", d) == "0a1b");
  CHECK(render_template("{{range .Nope}}x{{else}}none{{end}}", d) == "none");
  CHECK(render_template("{{if .Running}}up{{else}}down{{end}}", d) == "up");
  CHECK(render_template("{{if .Empty}}set{{else}}empty{{end}}", d) == "empty");
  CHECK(render_template("{{if .Nope}}x{{end}}", d) == "");
  CHECK(render_template("{{range .Mounts}}{{$.Id}}{{end}}", d) == "abcabc");
}

TEST_CASE("malformed templates are usage errors") {
  auto d = sample();
  CHECK_THROWS_AS(render_template("{{.Id", d), Error);
  CHECK_THROWS_AS(render_template("{{range .Names}}x", d), Error);
  CHECK_THROWS_AS(render_template("{{end}}", d), Error);
  CHECK_THROWS_AS(render_template("{{bogus .Id}}", d), Error);
  CHECK_THROWS_AS(render_template("{{$x}}", d), Error);
  try {
    render_template("{{nofunc}}", d);
  } catch (const Error& e) {
    CHECK(e.code() == Errc::usage);
    CHECK(std::string(e.what()).find("template:") == 0);
  }
}

TEST_CASE("tables align like tabwriter with padding 3") {
  std::string t = cli::align_table({{"REPOSITORY", "TAG", "SIZE"},
                                    {"docker.io/library/busybox", "latest", "2.13MB"},
                                    {"x", "1", ""}});
  CHECK(t ==
        "REPOSITORY                  TAG      SIZE\n"
        "docker.io/library/busybox   latest   2.13MB\n"
        "x                           1\n");
  // Width counts characters, not bytes.
  CHECK(cli::align_table({{"é", "x"}, {"ab", "y"}}) == "é    x\nab   y\n");
}
