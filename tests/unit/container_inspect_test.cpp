#include <doctest/doctest.h>

#include "container/commit.hpp"
#include "container/inspect.hpp"

using namespace tug;
using namespace tug::container;

namespace {

Record sample_record() {
  Record r;
  r.id = std::string(64, 'a');
  r.name = "web";
  r.image_id = std::string(64, 'b');
  r.image_name = "busybox";
  r.created = "2026-01-02T03:04:05Z";
  r.driver = "overlay";
  r.spec.args = {"/entry", "sh", "-c", "echo hi"};
  r.spec.env = {"PATH=/bin"};
  r.spec.mounts.push_back({runtime::MountSpec::Type::bind, "/srv", "/data", true, "", ""});
  r.spec.mounts.push_back({runtime::MountSpec::Type::tmpfs, "", "/run", false, "size=1m", ""});
  r.spec.mounts.push_back(
      {runtime::MountSpec::Type::bind, "/d/volumes/v1/_data", "/v", false, "", "v1"});
  r.spec.extra_hosts = {{"db", "10.0.0.2"}};
  r.spec.restart_policy = "on-failure:3";
  r.spec.cap_drop = {"NET_RAW"};
  r.auto_remove = true;
  return r;
}

}  // namespace

TEST_CASE("inspect: docker's shape from a record and a running state") {
  State s;
  s.status = "running";
  s.pid = 4242;
  s.started_at = "2026-01-02T03:04:06Z";
  InspectContext ctx{"/d/containers/" + std::string(64, 'a'), "/d/layers/x/diff",
                     json{{"Entrypoint", {"/entry"}}}};
  json j = inspect_json(sample_record(), s, ctx);
  CHECK(j["Id"] == std::string(64, 'a'));
  CHECK(j["Name"] == "/web");
  CHECK(j["Image"] == std::string(64, 'b'));  // as image inspect prints the Id
  CHECK(j["Path"] == "/entry");
  CHECK(j["Args"] == json({"sh", "-c", "echo hi"}));
  CHECK(j["State"]["Running"] == true);
  CHECK(j["State"]["Pid"] == 4242);
  CHECK(j["State"]["FinishedAt"] == kZeroTime);
  CHECK(j["Config"]["Entrypoint"] == json({"/entry"}));
  CHECK(j["Config"]["Cmd"] == json({"sh", "-c", "echo hi"}));
  CHECK(j["Config"]["Hostname"] == "aaaaaaaaaaaa");
  CHECK(j["HostConfig"]["Binds"] == json({"/srv:/data:ro", "v1:/v"}));
  CHECK(j["HostConfig"]["Tmpfs"] == json({{"/run", "size=1m"}}));
  CHECK(j["HostConfig"]["ExtraHosts"] == json({"db:10.0.0.2"}));
  CHECK(j["HostConfig"]["RestartPolicy"]["Name"] == "on-failure");
  CHECK(j["HostConfig"]["RestartPolicy"]["MaximumRetryCount"] == 3);
  CHECK(j["HostConfig"]["AutoRemove"] == true);
  CHECK(j["HostConfig"]["CapDrop"] == json({"NET_RAW"}));
  REQUIRE(j["Mounts"].size() == 2);
  CHECK(j["Mounts"][0]["Type"] == "bind");
  CHECK(j["Mounts"][0]["RW"] == false);
  CHECK(j["Mounts"][1]["Type"] == "volume");
  CHECK(j["Mounts"][1]["Name"] == "v1");
  CHECK(j["GraphDriver"]["Data"]["UpperDir"] == ctx.container_dir + "/upper");
  CHECK(j["GraphDriver"]["Data"]["LowerDir"] == "/d/layers/x/diff");
}

TEST_CASE("inspect: an exited container has no pid; a replaced entrypoint shows as Cmd") {
  State s;
  s.status = "exited";
  s.pid = 99;
  s.exit_code = 3;
  json j =
      inspect_json(sample_record(), s, {"/d/containers/x", "", json{{"Entrypoint", {"/other"}}}});
  CHECK(j["State"]["Running"] == false);
  CHECK(j["State"]["Pid"] == 0);
  CHECK(j["State"]["ExitCode"] == 3);
  CHECK(j["State"]["StartedAt"] == kZeroTime);
  CHECK(j["Config"]["Entrypoint"].is_null());
  CHECK(j["Config"]["Cmd"].size() == 4);
}

TEST_CASE("inspect and commit: a record's own entrypoint (--entrypoint) is shown apart from Cmd") {
  Record r = sample_record();
  r.spec.args = {"/bin/echo", "hi"};
  r.entrypoint = std::vector<std::string>{"/bin/echo"};
  json j = inspect_json(r, State{}, {"/d/containers/x", "", json{{"Entrypoint", {"/entry"}}}});
  CHECK(j["Config"]["Entrypoint"] == json({"/bin/echo"}));
  CHECK(j["Config"]["Cmd"] == json({"hi"}));
  json parent = {{"config", {{"Entrypoint", {"/entry"}}, {"Cmd", {"old"}}}}};
  json c = commit_config(parent, r, "sha256:new", CommitOptions{}, "2026-01-01T00:00:00Z");
  CHECK(c["config"]["Entrypoint"] == json({"/bin/echo"}));
  CHECK(c["config"]["Cmd"] == json({"hi"}));
  // --entrypoint "": no entrypoint, the whole argv is Cmd
  r.entrypoint = std::vector<std::string>{};
  j = inspect_json(r, State{}, {"/d/containers/x", "", json{{"Entrypoint", {"/bin/echo"}}}});
  CHECK(j["Config"]["Entrypoint"].is_null());
  CHECK(j["Config"]["Cmd"] == json({"/bin/echo", "hi"}));
}

TEST_CASE("commit: the container's settings, the changes, the new layer and history") {
  json parent = {{"architecture", "amd64"},
                 {"config", {{"Entrypoint", {"/entry"}}, {"Cmd", {"old"}}}},
                 {"rootfs", {{"type", "layers"}, {"diff_ids", {"sha256:p"}}}},
                 {"history", {{{"created_by", "base"}}}}};
  CommitOptions o;
  o.changes = {"ENV A=b", "LABEL k=v"};
  o.message = "msg";
  o.author = "me";
  json c = commit_config(parent, sample_record(), "sha256:new", o, "2026-01-01T00:00:00Z");
  CHECK(c["config"]["Entrypoint"] == json({"/entry"}));
  CHECK(c["config"]["Cmd"] == json({"sh", "-c", "echo hi"}));
  CHECK(c["config"]["Env"] == json({"PATH=/bin", "A=b"}));
  CHECK(c["config"]["Labels"]["k"] == "v");
  CHECK(c["rootfs"]["diff_ids"] == json({"sha256:p", "sha256:new"}));
  REQUIRE(c["history"].size() == 2);
  CHECK(c["history"][1]["comment"] == "msg");
  CHECK(c["author"] == "me");
  CHECK(c["created"] == "2026-01-01T00:00:00Z");
}
