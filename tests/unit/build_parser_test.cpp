#include <doctest/doctest.h>

#include <map>

#include "build/dockerfile.hpp"
#include "build/ignore.hpp"
#include "build/mounts.hpp"
#include "util/error.hpp"

using namespace tug;
using namespace tug::build;

namespace {

Lookup env(std::map<std::string, std::string> vars) {
  return [vars](const std::string& n) -> std::optional<std::string> {
    auto it = vars.find(n);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

}  // namespace

TEST_CASE("instructions, continuations, comments and JSON forms") {
  auto df = parse_dockerfile(
      "# escape=\\\n"
      "FROM busybox AS b\n"
      "\n"
      "# a comment\n"
      "run echo a \\\n"
      "  # dropped\n"
      "  && echo b\n"
      "CMD [\"sh\", \"-c\", \"x\"]\n"
      "CMD [not json\n"
      "COPY --from=b --chown=1:2 /a /b\n",
      "Containerfile");
  REQUIRE(df.instructions.size() == 5);
  CHECK(df.instructions[0].keyword == "FROM");
  CHECK(df.instructions[1].keyword == "RUN");
  CHECK(df.instructions[1].args == "echo a   && echo b");
  CHECK(df.instructions[1].line == 5);
  CHECK(df.instructions[2].json_form);
  CHECK(df.instructions[2].json_args == std::vector<std::string>{"sh", "-c", "x"});
  CHECK_FALSE(df.instructions[3].json_form);
  CHECK(df.instructions[4].flags == std::vector<std::string>{"--from=b", "--chown=1:2"});
  CHECK(df.instructions[4].args == "/a /b");
}

TEST_CASE("the escape directive and unknown instructions with file:line") {
  auto df = parse_dockerfile("# escape=`\nFROM x\nRUN dir c:\\ `\n  /w\n", "Dockerfile");
  CHECK(df.escape == '`');
  CHECK(df.instructions[1].args == "dir c:\\   /w");
  try {
    parse_dockerfile("FROM x\n\nBOGUS y\n", "Dockerfile");
    FAIL("no error");
  } catch (const Error& e) {
    CHECK(std::string(e.what()) == "Dockerfile:3: unknown instruction: BOGUS");
  }
}

TEST_CASE("heredocs: plain, tab-stripped and quoted") {
  auto df = parse_dockerfile(
      "FROM x\nRUN <<EOF\necho $A\nEOF\nCOPY <<-'ONE' <<TWO /dst/\n\tfirst\n\tONE\nsecond\nTWO\n"
      "ENV X=1\n",
      "f");
  REQUIRE(df.instructions.size() == 4);
  auto& run = df.instructions[1];
  REQUIRE(run.heredocs.size() == 1);
  CHECK(run.heredocs[0].content == "echo $A\n");
  CHECK(run.heredocs[0].expand);
  auto& copy = df.instructions[2];
  REQUIRE(copy.heredocs.size() == 2);
  CHECK(copy.heredocs[0].name == "ONE");
  CHECK(copy.heredocs[0].content == "first\n");
  CHECK_FALSE(copy.heredocs[0].expand);
  CHECK(copy.heredocs[1].content == "second\n");
  CHECK(df.instructions[3].keyword == "ENV");
  CHECK_THROWS_AS(parse_dockerfile("FROM x\nRUN <<EOF\nnever closed\n", "f"), Error);
}

TEST_CASE("variable substitution follows docker's shell rules") {
  auto e = env({{"A", "value"}, {"EMPTY", ""}, {"P", "a/b/c.tar.gz"}});
  CHECK(expand_word("$A ${A}", e) == "value value");
  CHECK(expand_word("${UNSET:-def} ${EMPTY:-def} ${EMPTY-def}", e) == "def def ");
  CHECK(expand_word("${A:+alt}|${UNSET:+alt}|${EMPTY+alt}", e) == "alt||alt");
  CHECK(expand_word("\\$A '$A' \"$A\"", e) == "$A $A value");
  CHECK(expand_word("\"a \\\"q\\\" \\x\"", e) == "a \"q\" \\x");
  CHECK(expand_word("${P#*/} ${P##*/} ${P%.*} ${P%%.*}", e) ==
        "b/c.tar.gz c.tar.gz a/b/c.tar a/b/c");
  CHECK(expand_word("${P/\\//_} ${P//\\//_}", e) == "a_b/c.tar.gz a_b_c.tar.gz");
  CHECK(expand_word("${UNSET:-$A}", e) == "value");
  CHECK(expand_word("$ $1x cost$", e) == "$ x cost$");
  CHECK_THROWS_AS(expand_word("${UNSET:?needs a value}", e), Error);
  CHECK_THROWS_AS(expand_word("'open", e), Error);
  CHECK(expand_words("a \"b c\" '' d\\ e", e) == std::vector<std::string>{"a", "b c", "", "d e"});
}

TEST_CASE("ENV and LABEL key=value words, and the legacy form") {
  auto e = env({{"A", "1"}});
  auto kv = key_values("X=$A Y=\"two words\" \"quoted key\"=v Z=", e, '\\');
  REQUIRE(kv.size() == 4);
  CHECK(kv[0] == std::pair<std::string, std::string>{"X", "1"});
  CHECK(kv[1].second == "two words");
  CHECK(kv[2].first == "quoted key");
  CHECK(kv[3].second == "");
  auto legacy = key_values("NAME some  value $A", e, '\\');
  REQUIRE(legacy.size() == 1);
  CHECK(legacy[0].second == "some  value 1");
  CHECK_THROWS_AS(key_values("A=1 B", e, '\\'), Error);
}

TEST_CASE("flags are checked against the instruction's") {
  auto ins = parse_instruction("COPY --chown=a --link x y", "f", 7);
  auto flags = parse_flags(ins, {"chown", "link!"}, "f");
  REQUIRE(flags.size() == 2);
  CHECK(flags[0].value == "a");
  CHECK_FALSE(flags[1].has_value);
  try {
    parse_flags(parse_instruction("COPY --nope=1 x y", "f", 7), {"chown"}, "f");
    FAIL("no error");
  } catch (const Error& e) {
    CHECK(std::string(e.what()) == "f:7: unknown flag: --nope for COPY");
  }
}

TEST_CASE(".dockerignore patterns: **, exceptions, parents, leading /") {
  auto m =
      IgnoreMatcher::parse("# comment\n\n*.log\n**/*.tmp\nlogs\n!logs/keep.log\n/src/secret*\n");
  CHECK(m.excluded("a.log"));
  CHECK_FALSE(m.excluded("sub/a.log"));  // '*' stays in one component
  CHECK(m.excluded("x.tmp"));
  CHECK(m.excluded("deep/er/x.tmp"));
  CHECK(m.excluded("logs/other"));
  CHECK_FALSE(m.excluded("logs/keep.log"));
  CHECK(m.excluded("src/secret.key"));
  CHECK(m.excluded("src/secret/inside"));
  CHECK_FALSE(m.excluded("src/main.c"));
  CHECK(m.has_exceptions());
  CHECK(clean_relative("/a/./b/../c/") == "a/c");
  CHECK(clean_relative("a/./b/../c") == "a/c");
  CHECK(clean_relative("") == ".");
}

TEST_CASE("syntax directives: docker/dockerfile:1 and its tags, others refused") {
  for (const char* ok : {"docker/dockerfile:1", "docker/dockerfile:1.4", "docker/dockerfile:1-labs",
                         "docker.io/docker/dockerfile:1.7.0", "docker/dockerfile",
                         "docker/dockerfile-upstream:1.5-labs"})
    CHECK(parse_dockerfile(std::string("# syntax=") + ok + "\nFROM a\n", "D").instructions.size() ==
          1);
  for (const char* bad : {"example.com/frontend:1", "docker/dockerfile:0.9", "tonistiigi/x:1",
                          "docker/dockerfile:1@sha256:abc"}) {
    try {
      parse_dockerfile(std::string("# syntax=") + bad + "\nFROM a\n", "D");
      FAIL("accepted " << bad);
    } catch (const Error& e) {
      CHECK(std::string(e.what()).find("D:1: unsupported syntax") != std::string::npos);
    }
  }
}

TEST_CASE("RUN --mount options") {
  RunMount c =
      parse_run_mount("type=cache,target=/root/.cache,sharing=locked,mode=0700,uid=1,gid=2");
  CHECK(c.type == RunMount::Type::cache);
  CHECK(c.id == "/root/.cache");  // the target, by default
  CHECK(c.sharing == "locked");
  CHECK(*c.mode == 0700);
  CHECK(*c.uid == 1);
  CHECK(!c.readonly);
  RunMount b = parse_run_mount("target=/src,from=build,source=/out");
  CHECK(b.type == RunMount::Type::bind);
  CHECK(b.readonly);  // a bind is read-only unless rw
  CHECK(!parse_run_mount("type=bind,target=/src,rw").readonly);
  RunMount s = parse_run_mount("type=secret,id=tok");
  CHECK(s.target == "/run/secrets/tok");
  CHECK(parse_run_mount("type=secret,target=/etc/pw").id == "pw");
  CHECK(parse_run_mount("type=secret,id=t,env=T").target.empty());
  CHECK(parse_run_mount("type=ssh").id == "default");
  CHECK(parse_run_mount("type=tmpfs,dst=/t,size=10m").size == "10m");
  for (const char* bad : {"type=nfs,target=/x", "type=cache", "type=cache,target=/x,id=a/b",
                          "type=cache,target=/x,id=..", "type=tmpfs,target=/x,from=y",
                          "type=cache,target=/x,sharing=no", "type=cache,target=/x,uid=-1",
                          "type=bind,target=/x,rw=maybe", "type=cache,target=/x,mode=9",
                          "type=bind,target=/x,bogus=1", "type=secret"})
    CHECK_THROWS_AS(parse_run_mount(bad), Error);
  CHECK(mount_key(parse_run_mount("type=secret,id=a")) !=
        mount_key(parse_run_mount("type=secret,id=b")));
}
