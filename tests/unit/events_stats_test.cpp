// The event log's line format, filters and times; the stats parsers of
// cgroup and /proc files; healthcheck flag merging.
#include <doctest/doctest.h>

#include "container/health.hpp"
#include "container/stats.hpp"
#include "events/events.hpp"
#include "util/error.hpp"

using namespace tug;

TEST_CASE("event lines round-trip and filter like docker's") {
  events::Event e{1700000000123456789,
                  "container",
                  "die",
                  "abc123",
                  {{"name", "web"}, {"image", "docker.io/library/busybox:latest"}, {"team", "a"}}};
  std::string line = events::to_line(e);
  CHECK(line.back() == '\n');
  auto back = events::parse_line(line.substr(0, line.size() - 1));
  REQUIRE(back);
  CHECK(back->time_nano == e.time_nano);
  CHECK(back->attributes == e.attributes);
  CHECK_FALSE(events::parse_line("not json"));
  CHECK(events::Filter({"event=died"}).matches(e));
  CHECK(events::Filter({"container=web", "container=x"}).matches(e));
  CHECK(events::Filter({"container=abc"}).matches(e));
  CHECK_FALSE(events::Filter({"container=we"}).matches(e));
  CHECK(events::Filter({"image=busybox"}).matches(e));
  CHECK(events::Filter({"label=team=a", "type=container"}).matches(e));
  CHECK_FALSE(events::Filter({"label=team=b"}).matches(e));
  CHECK_FALSE(events::Filter({"type=image"}).matches(e));
  events::Event h{1, "container", "health_status: healthy", "x", {}};
  CHECK(events::Filter({"event=health_status"}).matches(h));
  // An unknown key filters nothing (docker's rule); a malformed one is refused.
  CHECK(events::Filter({"nope=1"}).matches(e));
  CHECK_THROWS_AS(events::Filter({"nope"}), Error);
  CHECK_THROWS_AS(events::Filter({"event="}), Error);
  json t = events::to_template_json(e);
  CHECK(t["Name"] == "web");
  CHECK(t["Image"] == "docker.io/library/busybox:latest");
  events::Event v{1, "volume", "create", "vol", {{"name", "vol"}}};
  json vt = events::to_template_json(v);
  CHECK(vt["Status"] == "create");
  CHECK(vt["Name"] == "vol");
  CHECK_FALSE(events::to_docker_json(v).contains("status"));
  events::Event i{1, "image", "tag", "sha256:x", {{"name", "localhost/a:1"}}};
  CHECK(events::to_docker_json(i)["status"] == "tag");
  events::Event pr{1, "pod", "remove", "p", {{"name", "p"}}};
  CHECK(events::Filter({"event=remove"}).matches(pr));
  CHECK_FALSE(events::Filter({"event=destroy"}).matches(pr));
  events::Event cd{1, "container", "destroy", "c", {{"name", "c"}}};
  CHECK(events::Filter({"event=remove"}).matches(cd));
  json j = events::to_docker_json(e);
  CHECK(j["status"] == "die");
  CHECK(j["from"] == "docker.io/library/busybox:latest");
  CHECK(j["Actor"]["Attributes"]["name"] == "web");
  CHECK(j["time"] == 1700000000);
  CHECK(events::to_text(e).find(" container die abc123 (image=docker.io/library/busybox:latest, "
                                "name=web, team=a)") != std::string::npos);
}

TEST_CASE("event times: unix seconds, RFC 3339, durations") {
  CHECK(events::parse_time("1700000000") == 1700000000000000000);
  CHECK(events::parse_time("1700000000.5") == 1700000000500000000);
  CHECK(events::parse_time("2023-11-14T22:13:20Z") == 1700000000000000000);
  CHECK(events::parse_time("2023-11-14T22:13:20.25Z") == 1700000000250000000);
  CHECK_THROWS_AS(events::parse_time("soon"), Error);
}

TEST_CASE("stats parsers") {
  CHECK(container::parse_cpu_stat_usage("usage_usec 12345\nuser_usec 10000\n") == 12345);
  uint64_t r = 0, w = 0;
  container::parse_io_stat("8:0 rbytes=4096 wbytes=512 rios=1\n254:0 rbytes=10 wbytes=0\n", &r, &w);
  CHECK(r == 4106);
  CHECK(w == 512);
  uint64_t rx = 0, tx = 0;
  container::parse_net_dev(
      "Inter-|   Receive |  Transmit\n face |bytes packets errs drop fifo frame compressed "
      "multicast|bytes\n    lo: 100 1 0 0 0 0 0 0 100 1 0 0 0 0 0 0\n  tap0: 2000 5 0 0 0 0 0 0 "
      "300 4 0 0 0 0 0 0\n",
      &rx, &tx);
  CHECK(rx == 2000);
  CHECK(tx == 300);
  container::Usage a, b;
  a.taken_ns = 0;
  a.cpu_usec = 0;
  b.taken_ns = 1000000000;
  b.cpu_usec = 500000;
  CHECK(container::cpu_percent(a, b) == doctest::Approx(50.0));
}

TEST_CASE("healthcheck flags merge into the image's check") {
  json image = {{"Test", {"CMD-SHELL", "true"}}, {"Interval", 1000000000}};
  container::HealthFlags f;
  CHECK(container::merge_healthcheck(image, f) == image);
  f.retries = 5;
  json m = container::merge_healthcheck(image, f);
  CHECK(m["Retries"] == 5);
  CHECK(m["Interval"] == 1000000000);
  f.cmd = "[\"CMD\", \"ls\"]";
  CHECK(container::healthcheck_argv(container::merge_healthcheck(image, f)) ==
        std::vector<std::string>{"ls"});
  f.cmd = "[\"curl\", \"-f\"]";
  CHECK(container::merge_healthcheck(image, f)["Test"] == json({"CMD", "curl", "-f"}));
  f.cmd = "curl -f localhost";
  CHECK(container::healthcheck_argv(container::merge_healthcheck(image, f)) ==
        std::vector<std::string>{"/bin/sh", "-c", "curl -f localhost"});
  f.cmd = "NONE";
  CHECK_FALSE(container::has_healthcheck(container::merge_healthcheck(image, f)));
  container::HealthFlags bad;
  bad.interval = "1x";
  CHECK_THROWS_AS(container::merge_healthcheck(image, bad), Error);
  CHECK(container::go_duration(300000000) == "300ms");
  CHECK(container::go_duration(30000000000) == "30s");
  CHECK(container::go_duration(90000000000) == "1m30s");
}
