#include "cli/format.hpp"

#include <doctest/doctest.h>
#include <unistd.h>

#include <cstdio>

#include "util/error.hpp"

using namespace tug;
using tug::cli::render_template;

namespace {

json sample() {
  return json::parse(R"({
    "Id": "abc", "Size": 4260000, "Ratio": 0.5, "Running": true, "Empty": "", "Zero": 0,
    "State": {"Pid": 42, "Status": "running"},
    "Names": ["a", "b"],
    "Labels": {"x": "1", "y": "2"},
    "Nested": {"L": [1, "two", null, {"k": true}]},
    "Mounts": [{"Source": "/s1", "Destination": "/d1"}, {"Source": "/s2", "Destination": "/d2"}]
  })");
}

std::string render(const std::string& t) {
  return tug::cli::Template(t).render(sample());  // lenient: a missing key is <no value>
}

// Runs f with stdout captured.
template <class F>
std::string capture(F f) {
  std::fflush(stdout);
  char path[] = "/tmp/tug-format-test-XXXXXX";
  int fd = ::mkstemp(path);
  REQUIRE(fd >= 0);
  int saved = ::dup(1);
  ::dup2(fd, 1);
  try {
    f();
  } catch (...) {
    std::fflush(stdout);
    ::dup2(saved, 1);
    ::close(saved);
    ::close(fd);
    ::unlink(path);
    throw;
  }
  std::fflush(stdout);
  ::dup2(saved, 1);
  ::close(saved);
  std::string out;
  ::lseek(fd, 0, SEEK_SET);
  char buf[4096];
  for (ssize_t n; (n = ::read(fd, buf, sizeof buf)) > 0;) out.append(buf, static_cast<size_t>(n));
  ::close(fd);
  ::unlink(path);
  return out;
}

void check_usage_error(const std::string& tmpl, const std::string& fragment = "") {
  CAPTURE(tmpl);
  try {
    render(tmpl);
    FAIL("no error for " << tmpl);
  } catch (const Error& e) {
    CHECK(e.code() == Errc::usage);
    CHECK(std::string(e.what()).rfind("template: ", 0) == 0);
    if (!fragment.empty()) CHECK(std::string(e.what()).find(fragment) != std::string::npos);
  }
}

}  // namespace

TEST_CASE("fields, nested fields and missing fields") {
  CHECK(render("{{.Id}}") == "abc");
  CHECK(render("{{.State.Pid}}") == "42");
  CHECK(render("{{ .State.Status }}") == "running");
  CHECK(render("{{.Size}}") == "4260000");
  CHECK(render("{{.Ratio}}") == "0.5");
  CHECK(render("{{.Running}}") == "true");
  CHECK(render("{{.Nope}}") == "<no value>");
  CHECK(render("{{.State.Nope.Deeper}}") == "<no value>");
  CHECK(render("plain text") == "plain text");
  CHECK(render("") == "");
  CHECK(render("id={{.Id}}\\tpid={{.State.Pid}}\\n") == "id=abc\tpid=42\n");
  CHECK(render("{{$.Id}}") == "abc");
  // A field of a scalar is an error, as in Go.
  check_usage_error("{{.Id.Foo}}", "can't evaluate field Foo in type string");
}

TEST_CASE("strict keys (inspect): a field the object lacks is an error, deeper ones are not") {
  json obj = {{"Id", "abc"}, {"State", {{"Pid", 42}}}, {"Mounts", {{{"Type", "bind"}}}}};
  tug::cli::Template t("{{.Nope}}");
  CHECK_THROWS_WITH_AS(t.render(obj, true), doctest::Contains("can't evaluate field Nope"), Error);
  CHECK(t.render(obj) == "<no value>");
  CHECK(tug::cli::Template("{{.Id}} {{.State.Nope}}").render(obj, true) == "abc <no value>");
  CHECK(tug::cli::Template("{{range .Mounts}}{{.Type}}{{.Name}}{{end}}").render(obj, true) ==
        "bind<no value>");
}

TEST_CASE("keys that differ only in case are found (podman's struct names over JSON)") {
  json info = {{"host", {{"kernel", "6.1"}, {"idMappings", {{"mode", "single-uid"}}}}},
               {"Id", "abc"},
               {"ID", "exact"}};
  CHECK(render_template("{{.Host.Kernel}}", info) == "6.1");
  CHECK(render_template("{{.host.kernel}}", info) == "6.1");
  CHECK(render_template("{{.Host.IDMappings.Mode}}", info) == "single-uid");
  CHECK(render_template("{{.ID}}", info) == "exact");  // an exact match wins
  CHECK(render_template("{{.id}}", json{{"Id", "abc"}}) == "abc");
}

TEST_CASE("composite values print like Go's fmt %v") {
  CHECK(render("{{.Names}}") == "[a b]");
  CHECK(render("{{.Labels}}") == "map[x:1 y:2]");
  CHECK(render("{{.State}}") == "map[Pid:42 Status:running]");
  CHECK(render("{{.Nested}}") == "map[L:[1 two <nil> map[k:true]]]");
  CHECK(render("{{.Mounts}}") ==
        "[map[Destination:/d1 Source:/s1] map[Destination:/d2 Source:/s2]]");
  CHECK(render_template("{{.}}", json::array()) == "[]");
  CHECK(render_template("{{.}}", json::object()) == "map[]");
  CHECK(render_template("{{.}}", json("s")) == "s");
}

TEST_CASE("numbers print like Go: integers whole, floats shortest") {
  CHECK(render_template("{{.}}", json(3)) == "3");
  CHECK(render_template("{{.}}", json(-17)) == "-17");
  CHECK(render_template("{{.}}", json(2.0)) == "2");
  CHECK(render_template("{{.}}", json(0.1)) == "0.1");
  CHECK(render_template("{{.}}", json(1.5e-7)) == "1.5e-07");
  CHECK(render_template("{{.}}", json(0.0001)) == "0.0001");
  CHECK(render_template("{{.}}", json(123456.5)) == "123456.5");
  CHECK(render_template("{{.}}", json(1e6)) == "1e+06");
  CHECK(render_template("{{.}}", json(1234567.0)) == "1.234567e+06");
  CHECK(render_template("{{.}}", json(-2.5)) == "-2.5");
  CHECK(render("{{1.5}} {{-3}} {{0x10}} {{'a'}}") == "1.5 -3 16 97");
}

TEST_CASE("docker's and podman's functions") {
  CHECK(render("{{json .State}}") == R"({"Pid":42,"Status":"running"})");
  CHECK(render("{{.State | json}}") == R"({"Pid":42,"Status":"running"})");
  CHECK(render("{{json .Id}}") == "\"abc\"");
  CHECK(render("{{json .Nope}}") == "null");
  CHECK(render("{{json .}}").find("\"Names\":[\"a\",\"b\"]") != std::string::npos);
  CHECK(render("{{json \"<&>\"}}") == "\"<&>\"");  // no HTML escaping, as docker sets
  CHECK(render("{{upper .Id}}") == "ABC");
  CHECK(render("{{.Id | upper}}") == "ABC");
  CHECK(render("{{lower \"ABC\"}}") == "abc");
  CHECK(render("{{title \"hello world-wide\"}}") == "Hello World-Wide");
  CHECK(render("{{join .Names \", \"}}") == "a, b");
  CHECK(render("{{join (split \"a:b:c\" \":\") \"/\"}}") == "a/b/c");
  CHECK(render("{{split \"a,b\" \",\"}}") == "[a b]");
  CHECK(render("{{len (split \"héllo\" \"\")}}") == "5");
  CHECK(render("{{pad .Id 2 1}}|") == "  abc |");
  CHECK(render("{{truncate \"abcdef\" 3}}") == "abc");
  CHECK(render("{{truncate .Id 10}}") == "abc");
}

TEST_CASE("Go's builtin functions") {
  CHECK(render("{{index .Labels \"y\"}}") == "2");
  CHECK(render("{{index .Labels \"nope\"}}") == "<no value>");
  CHECK(render("{{index .Names 1}}") == "b");
  CHECK(render("{{index .Mounts 1 \"Source\"}}") == "/s2");
  CHECK(render("{{(index .Mounts 0).Destination}}") == "/d1");
  CHECK(render("{{len .Names}} {{len .Labels}} {{len .Id}}") == "2 2 3");
  CHECK(render("{{slice .Id 1}} {{slice .Id 0 2}} {{slice .Names 1 2}}") == "bc ab [b]");
  CHECK(render("{{not .Running}} {{not .Empty}}") == "false true");
  CHECK(render("{{and .Running .Id}}|{{and .Empty .Id}}|{{or .Empty .Id}}|{{or .Empty .Zero}}") ==
        "abc||abc|0");
  CHECK(render("{{and .Empty (index .Names 5)}}") == "");  // short-circuits like Go 1.18+
  CHECK(render("{{eq .Id \"abc\"}} {{eq .Id \"x\" \"abc\"}} {{ne .State.Pid 42}}") ==
        "true true false");
  CHECK(render("{{lt 1 2}} {{le 2 2}} {{gt 1.5 2}} {{ge \"b\" \"a\"}}") == "true true false true");
  CHECK(render("{{eq .Nope nil}}") == "true");
  CHECK(render("{{print \"a\" \"b\" 1 2 \"c\"}}") == "ab1 2c");
  CHECK(render("{{println \"a\" 1}}") == "a 1\n");
  CHECK(render("{{html \"<a href='x'>&</a>\"}}") == "&lt;a href=&#39;x&#39;&gt;&amp;&lt;/a&gt;");
  CHECK(render("{{urlquery \"a b&c\"}}") == "a+b%26c");
  check_usage_error("{{eq .Id 1}}", "incompatible types");
  check_usage_error("{{lt .Names 1}}", "non-comparable");
  check_usage_error("{{len .Size}}", "len of type int");
  check_usage_error("{{index .Names 5}}", "index out of range");
  check_usage_error("{{index .Id \"k\"}}");
  check_usage_error("{{upper}}", "wrong number of args for upper");
}

TEST_CASE("printf follows Go's verbs") {
  CHECK(render("{{printf \"%s-%d\" .Id .State.Pid}}") == "abc-42");
  CHECK(render("{{printf \"%5s|%-5s|\" .Id .Id}}") == "  abc|abc  |");
  CHECK(render("{{printf \"%.2s\" .Id}}") == "ab");
  CHECK(render("{{printf \"%v %v %v\" .Names .Labels .Running}}") == "[a b] map[x:1 y:2] true");
  CHECK(render("{{printf \"%q\" .Id}}") == "\"abc\"");
  CHECK(render("{{printf \"%q\" \"a\\tb\"}}") == "\"a\\tb\"");
  CHECK(render("{{printf \"%05d|%x|%X|%o|%b|%c\" 42 255 255 8 5 65}}") == "00042|ff|FF|10|101|A");
  CHECK(render("{{printf \"%.2f %e %g\" .Ratio 1000.0 .Ratio}}") == "0.50 1.000000e+03 0.5");
  CHECK(render("{{printf \"%t %T %T\" .Running .Id .Names}}") == "true string []interface {}");
  CHECK(render("{{printf \"%x\" \"hi\"}}") == "6869");
  CHECK(render("{{printf \"100%%\"}}") == "100%");
  CHECK(render("{{printf \"%d\" .Id}}") == "%!d(string=abc)");
  CHECK(render("{{printf \"%s %s\" .Id}}") == "abc %!s(MISSING)");
  CHECK(render("{{printf \"%s\" .Id 1}}") == "abc%!(EXTRA int=1)");
  CHECK(render("{{printf \"%v|%s\" .Nope .Nope}}") == "<nil>|%!s(<nil>)");
  CHECK(render("{{.State.Pid | printf \"pid %d\"}}") == "pid 42");
  CHECK(render("{{printf \"%-4s|\" \"é\"}}") == "é   |");  // width counts characters
}

TEST_CASE("range, if, with and variables") {
  CHECK(render("{{range .Mounts}}{{.Source}}:{{.Destination}} {{end}}") == "/s1:/d1 /s2:/d2 ");
  CHECK(render("{{range $k, $v := .Labels}}{{$k}}={{$v}};{{end}}") == "x=1;y=2;");
  CHECK(render("{{range $i, $n := .Names}}{{$i}}{{$n}}{{end}}") == "0a1b");
  CHECK(render("{{range $n := .Names}}<{{$n}}>{{end}}") == "<a><b>");
  CHECK(render("{{range .Nope}}x{{else}}none{{end}}") == "none");
  CHECK(render("{{range 3}}{{.}}{{end}}") == "012");
  CHECK(render("{{range .Names}}{{if eq . \"b\"}}{{break}}{{end}}{{.}}{{end}}") == "a");
  CHECK(render("{{range .Names}}{{if eq . \"a\"}}{{continue}}{{end}}{{.}}{{end}}") == "b");
  CHECK(render("{{range .Mounts}}{{$.Id}}{{end}}") == "abcabc");
  CHECK(render("{{if .Running}}up{{else}}down{{end}}") == "up");
  CHECK(render("{{if .Empty}}set{{else}}empty{{end}}") == "empty");
  CHECK(render("{{if .Nope}}x{{end}}") == "");
  CHECK(render("{{if .Zero}}a{{else if .Empty}}b{{else if .Id}}c{{else}}d{{end}}") == "c");
  CHECK(render("{{if and .Running (eq .State.Status \"running\")}}ok{{end}}") == "ok");
  CHECK(render("{{if gt (len .Names) 1}}many{{end}}") == "many");
  CHECK(render("{{with .State}}{{.Status}}/{{.Pid}}{{end}}") == "running/42");
  CHECK(render("{{with .Nope}}x{{else}}no state{{end}}") == "no state");
  CHECK(render("{{$x := .Id}}{{$x}}-{{$x = \"new\"}}{{$x}}") == "abc-new");
  CHECK(render("{{if $p := .State.Pid}}pid {{$p}}{{end}}") == "pid 42");
  CHECK(render("{{$n := 0}}{{range .Names}}{{$n = .}}{{end}}{{$n}}") == "b");
}

TEST_CASE("comments and white space trimming") {
  CHECK(render("a {{/* a comment */}}b") == "a b");
  CHECK(render("a  {{- .Id -}}  b") == "aabcb");
  CHECK(render("{{range .Names -}}\n  {{.}}\n{{- end}}") == "ab");
  CHECK(render("x {{- /* gone */ -}} y") == "xy");
  CHECK(render("{{-3}}") == "-3");  // no blank after "{{-": a number, not a trim marker
  CHECK(render("{{\"}}\"}}") == "}}");
}

TEST_CASE("malformed templates are usage errors") {
  check_usage_error("{{.Id", "unclosed action");
  check_usage_error("{{range .Names}}x", "missing {{end}}");
  check_usage_error("{{if .Id}}x{{else}}y", "missing {{end}}");
  check_usage_error("{{end}}", "unexpected {{end}}");
  check_usage_error("{{else}}", "unexpected {{else}}");
  check_usage_error("{{bogus .Id}}", "function \"bogus\" not defined");
  check_usage_error("{{$x}}", "undefined variable \"$x\"");
  check_usage_error("{{$x = 1}}", "undefined variable");
  check_usage_error("{{}}", "missing value for command");
  check_usage_error("{{.Id .Size}}", "can't give argument to non-function");
  check_usage_error("{{.Id | .Size}}", "non executable command");
  check_usage_error("{{(len .Names}}", "unclosed left paren");
  check_usage_error("{{len .Names)}}", "unexpected");
  check_usage_error("{{\"abc}}", "unterminated quoted string");
  check_usage_error("{{break}}", "outside {{range}}");
  check_usage_error("{{/* open }}", "unclosed comment");
  check_usage_error("{{template \"x\"}}", "not supported");
  check_usage_error("{{range .Id}}{{end}}", "range can't iterate over abc");
  check_usage_error("line1\n{{if}}", ":2:");
  // Parsing happens before any data is seen.
  CHECK_THROWS_AS(cli::Template("{{nofunc}}"), Error);
}

TEST_CASE("tabwriter alignment, byte for byte") {
  // docker images: minimum width 10, padding 3.
  CHECK(cli::align_table({{"REPOSITORY", "TAG", "IMAGE ID", "CREATED", "SIZE"},
                          {"busybox", "latest", "beae173ccac6", "2 years ago", "1.24MB"}}) ==
        "REPOSITORY   TAG       IMAGE ID       CREATED       SIZE\n"
        "busybox      latest    beae173ccac6   2 years ago   1.24MB\n");
  // The last cell is never padded; an empty tab-terminated cell is.
  CHECK(cli::align_table({{"A", "B", "C"}, {"x", "", "z"}, {"y", "1", ""}}) ==
        "A         B         C\n"
        "x                   z\n"
        "y         1         \n");
  // Width counts characters, not bytes.
  CHECK(cli::align_table({{"é", "x"}, {"ab", "y"}}, 0, 3) == "é    x\nab   y\n");
  CHECK(cli::align_table({{"é", "x"}, {"ab", "y"}}, 0, 1) == "é  x\nab y\n");
  // A line without that column ends the block: later lines are sized anew.
  CHECK(cli::align_text("aaaaaaaa\tb\nno tabs\nc\td\n", 0, 1) == "aaaaaaaa b\nno tabs\nc d\n");
  // Lines with fewer cells take part only in the columns they have.
  CHECK(cli::align_text("a\tbbbbbb\tc\nxx\ty\n", 0, 2) == "a   bbbbbb  c\nxx  y\n");
  CHECK(cli::align_text("", 10, 3) == "");
}

TEST_CASE("print_rows: default table, table templates, json and plain templates") {
  std::vector<json> rows = {{{"Repository", "docker.io/library/busybox"},
                             {"Tag", "latest"},
                             {"ID", "beae173ccac6"},
                             {"CreatedSince", "2 years ago"},
                             {"Size", "1.24MB"},
                             {"CreatedAt", "2021-01-01"}},
                            {{"Repository", "x"},
                             {"Tag", "1"},
                             {"ID", "0123456789ab"},
                             {"CreatedSince", "1 second ago"},
                             {"Size", "10kB"},
                             {"CreatedAt", "2024-01-01"}}};
  std::vector<cli::Column> cols = {{"REPOSITORY", "Repository"},
                                   {"TAG", "Tag"},
                                   {"IMAGE ID", "ID"},
                                   {"CREATED", "CreatedSince"},
                                   {"SIZE", "Size"}};
  CHECK(capture([&] { cli::print_rows(rows, "", cols); }) ==
        "REPOSITORY                  TAG       IMAGE ID       CREATED        SIZE\n"
        "docker.io/library/busybox   latest    beae173ccac6   2 years ago    1.24MB\n"
        "x                           1         0123456789ab   1 second ago   10kB\n");
  CHECK(capture([&] { cli::print_rows(rows, "table", cols); }) ==
        capture([&] { cli::print_rows(rows, "", cols); }));
  CHECK(capture([&] { cli::print_rows(rows, "table {{.ID}}\\t{{.Tag}}", cols); }) ==
        "IMAGE ID       TAG\n"
        "beae173ccac6   latest\n"
        "0123456789ab   1\n");
  // Unknown keys are upper-cased at camel case; transforms keep the name.
  CHECK(capture([&] { cli::print_rows(rows, "table {{.CreatedAt}}\t{{upper .Tag}}", cols); }) ==
        "CREATED AT   TAG\n"
        "2021-01-01   LATEST\n"
        "2024-01-01   1\n");
  CHECK(capture([&] { cli::print_rows(rows, "{{.Repository}}:{{.Tag}}", cols); }) ==
        "docker.io/library/busybox:latest\nx:1\n");
  CHECK(capture([&] { cli::print_rows(rows, " {{.Tag}} ", cols); }) == "latest\n1\n");
  std::string js = capture([&] { cli::print_rows(rows, "json", cols); });
  CHECK(json::parse(js) == json(rows));
  CHECK(js.find("\n    {\n        \"CreatedAt\"") != std::string::npos);  // 4-space indent
  CHECK(capture([&] { cli::print_rows({}, "json", cols); }) == "[]\n");
  CHECK(capture([&] { cli::print_rows({}, "", cols); }) ==
        "REPOSITORY   TAG       IMAGE ID   CREATED   SIZE\n");
  // A bad template fails even with nothing to list.
  CHECK_THROWS_AS(capture([&] { cli::print_rows({}, "{{.ID", cols); }), Error);
}

TEST_CASE("header names") {
  CHECK(cli::header_for_key("CreatedAt") == "CREATED AT");
  CHECK(cli::header_for_key("ID") == "ID");
  CHECK(cli::header_for_key("ImageID") == "IMAGE ID");
  CHECK(cli::header_for_key("LocalVolumes") == "LOCAL VOLUMES");
  CHECK(cli::header_for_key("HTTPProxy") == "HTTP PROXY");
  CHECK(cli::header_for_key("names") == "NAMES");
  cli::Template t(
      "{{.ID}}\t{{.Names | json}}\t{{printf \"%-8s\" .Status}}\t{{index .Labels \"a\"}}");
  CHECK(t.render_header({{"CONTAINER ID", "ID"}}) == "CONTAINER ID\tNAMES\tSTATUS  \tLABELS");
}

TEST_CASE("print_inspect: pretty JSON or a template per object") {
  std::vector<json> objs = {{{"Id", "a"}, {"Config", {{"Env", {"A=1"}}}}}, {{"Id", "b"}}};
  std::string js = capture([&] { cli::print_inspect(objs, ""); });
  CHECK(js ==
        "[\n    {\n        \"Config\": {\n            \"Env\": [\n                \"A=1\"\n"
        "            ]\n        },\n        \"Id\": \"a\"\n    },\n    {\n        \"Id\": \"b\"\n"
        "    }\n]\n");
  CHECK(capture([&] { cli::print_inspect(objs, "json"); }) == js);
  CHECK(capture([&] { cli::print_inspect(objs, "{{.Id}} {{.Config.Env}}"); }) ==
        "a [A=1]\nb <no value>\n");
  CHECK(capture([&] { cli::print_inspect(objs, "{{json .Config}}"); }) ==
        "{\"Env\":[\"A=1\"]}\nnull\n");
}
