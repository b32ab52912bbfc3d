// keep-id, fake-chown, --device, storage.conf, the fs type hook and CDI specs.
#include <doctest/doctest.h>
#include <sys/mount.h>

#include <algorithm>
#include <cstdlib>

#include "cdi/cdi.hpp"
#include "config/paths.hpp"
#include "config/storage_conf.hpp"
#include "runtime/plan.hpp"
#include "userns/userns.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"

using namespace tug;

namespace {

userns::Mapping ranged() {
  userns::Mapping m;
  m.uids = {{0, 1000, 1}, {1, 100000, 65536}};
  m.gids = m.uids;
  return m;
}

runtime::Plan plan_for(runtime::Spec s, const userns::Mapping& m, runtime::PlanInputs in = {}) {
  storage::RootfsPlan r;
  r.lowers = {"l/A"};
  if (s.args.empty()) s.args = {"sh"};
  return runtime::build_plan(s, r, in, m);
}

}  // namespace

TEST_CASE("keep-id options") {
  auto k = userns::parse_keep_id("keep-id", 1000, 100);
  REQUIRE(k);
  CHECK(k->uid == 1000);
  CHECK(k->gid == 100);
  CHECK(k->canonical() == "keep-id:uid=1000,gid=100");
  k = userns::parse_keep_id("keep-id:uid=5,gid=6", 1000, 100);
  CHECK(k->uid == 5);
  CHECK(k->gid == 6);
  CHECK(userns::parse_keep_id("keep-id:gid=7", 1000, 100)->uid == 1000);
  CHECK_FALSE(userns::parse_keep_id("", 1, 1));
  CHECK_FALSE(userns::parse_keep_id("host", 1, 1));
  CHECK_THROWS_AS(userns::parse_keep_id("keep-id:", 1, 1), Error);
  CHECK_THROWS_AS(userns::parse_keep_id("keep-id:uid=x", 1, 1), Error);
  CHECK_THROWS_AS(userns::parse_keep_id("keep-id:size=3", 1, 1), Error);
  CHECK_THROWS_AS(userns::parse_keep_id("keep-id:uid", 1, 1), Error);
}

TEST_CASE("fuse-overlayfs id translation undoes keep-id's shift") {
  userns::Mapping base = ranged();
  userns::Mapping k = userns::keep_id_mapping(base, 1000, 1000);
  // Container 0..999 -> 100000.., 1000 -> the user, 1001.. -> 101000..
  std::string m = userns::fuse_idmapping(base.uids, k.uids);
  // Stored as the user (host 1000, seen as 1000) shows as 0; stored as
  // container 1..1000 (seen 0..999) as 1..1000; the rest in place.
  CHECK(m == "1000:0:1:0:1:1000:1001:1001:64536");
  // Identity when nothing moved.
  CHECK(userns::fuse_idmapping(base.uids, base.uids) == "0:0:1:1:1:65536");
}

TEST_CASE("keep-id adds the user's passwd and group lines and names the home") {
  runtime::Spec s;
  s.userns = "keep-id:uid=1000,gid=1000";
  runtime::PlanInputs in;
  in.user_name = "alice";
  in.user_home = "/home/alice";
  auto p = plan_for(s, userns::keep_id_mapping(ranged(), 1000, 1000), in);
  // The home field is decided at start (the image's home, else the
  // working directory); the plan carries the candidate.
  CHECK(p.passwd_entry == "alice:*:1000:1000");
  CHECK(p.group_entry == "alice:x:1000:");
  CHECK(p.keep_id_home == "/home/alice");
  runtime::Spec plain;
  CHECK(plan_for(plain, ranged(), in).passwd_entry.empty());
}

TEST_CASE("fake-chown: automatic with a single-id mapping, flags win") {
  userns::Mapping single;
  single.single = true;
  single.uids = {{0, 1000, 1}};
  single.gids = {{0, 1000, 1}};
  runtime::Spec s;
  auto p = plan_for(s, single);
  REQUIRE(p.fake_chown);
  CHECK(p.fake_chown->uid_lo == 0);
  CHECK(p.fake_chown->uid_hi == 1);
  CHECK(p.fake_chown->setgroups);
  CHECK_FALSE(plan_for(s, ranged()).fake_chown);
  s.security_opt = {"fake-chown=false"};
  CHECK_FALSE(plan_for(s, single).fake_chown);
  s.security_opt = {"fake-chown=true"};
  auto r = plan_for(s, ranged());
  REQUIRE(r.fake_chown);
  CHECK(r.fake_chown->uid_hi == 65537);
  CHECK_FALSE(r.fake_chown->setgroups);
  CHECK_NOTHROW(runtime::validate_security_opt("fake-chown=true"));
  CHECK_THROWS_AS(runtime::validate_security_opt("fake-chown=maybe"), Error);
  auto names = runtime::faked_syscalls();
  CHECK(std::find(names.begin(), names.end(), "fchownat") != names.end());
}

TEST_CASE("--device flags and their mounts") {
  auto d = runtime::parse_device_flag("/dev/null");
  CHECK(d.destination == "/dev/null");
  CHECK(d.permissions == "rwm");
  d = runtime::parse_device_flag("/dev/zero:/dev/myzero");
  CHECK(d.destination == "/dev/myzero");
  d = runtime::parse_device_flag("/dev/zero:r");
  CHECK(d.destination == "/dev/zero");
  CHECK(d.permissions == "r");
  d = runtime::parse_device_flag("/dev/zero:/dev/z:rw");
  CHECK(d.permissions == "rw");
  CHECK_THROWS_AS(runtime::parse_device_flag("dev/zero"), Error);
  CHECK_THROWS_AS(runtime::parse_device_flag("/dev/zero:/dev/z:rx"), Error);
  CHECK_THROWS_AS(runtime::parse_device_flag("/dev/zero:z"), Error);
  runtime::Spec s;
  s.devices = {{"/dev/zero", "/dev/myzero", "r"}};
  auto p = plan_for(s, ranged());
  bool found = false;
  for (const auto& op : p.mounts)
    if (op.target == "/dev/myzero") {
      found = true;
      CHECK(op.source == "/dev/zero");
      CHECK((op.flags & MS_RDONLY) != 0);
    }
  CHECK(found);
}

TEST_CASE("storage.conf: graphroot, runroot, additional image stores") {
  auto c = parse_storage_conf(
      "[storage]\ndriver = \"overlay\"\ngraphroot = \"/scratch/g\"\nrunroot = \"/run/r\"\n"
      "[storage.options]\nadditionalimagestores = [\"/shared/a\", \"/shared/b\"]\n",
      "test.conf");
  CHECK(c.graphroot == "/scratch/g");
  CHECK(c.runroot == "/run/r");
  REQUIRE(c.additional_image_stores.size() == 2);
  CHECK(c.additional_image_stores[1] == "/shared/b");
  CHECK_THROWS_AS(parse_storage_conf("[storage.options]\nadditionalimagestores = [\"rel\"]\n", "x"),
                  Error);
  CHECK_THROWS_AS(parse_storage_conf("[storage\n", "x"), Error);
}

TEST_CASE("the filesystem type hook pretends a prefix is on another filesystem") {
  ::setenv("TUG_TEST_FS_TYPE", "/pretend/nfs=nfs:/pretend/lustre=lustre", 1);
  CHECK(fs_type_of("/pretend/nfs/home/u") == "nfs");
  CHECK(fs_type_of("/pretend/lustre") == "lustre");
  CHECK(fs_type_of("/pretend/nfsx") != "nfs");
  ::unsetenv("TUG_TEST_FS_TYPE");
  CHECK(fs_type_of("/proc") == "0x9fa0");
}

TEST_CASE("CDI specs: YAML and JSON, spec-level and device edits") {
  auto yaml = cdi::parse_spec(R"(cdiVersion: "0.6.0"
kind: example.com/dev
containerEdits:
  env: [SPEC=1]
devices:
  - name: one
    containerEdits:
      env: [ONE=1]
      deviceNodes:
        - path: /dev/one
          hostPath: /dev/null
      mounts:
        - hostPath: /etc/hostname
          containerPath: /etc/one
          options: [ro, bind]
      hooks:
        - hookName: createContainer
          path: /bin/true
          args: [true, x]
  - name: two
)",
                              "a.yaml");
  CHECK(yaml.kind == "example.com/dev");
  REQUIRE(yaml.devices.size() == 2);
  auto json_spec = cdi::parse_spec(
      R"({"cdiVersion":"0.7.0","kind":"other.org/x","devices":[{"name":"all",
          "containerEdits":{"env":["ALL=yes"]}}]})",
      "b.json");
  auto e = cdi::resolve({yaml, json_spec},
                        {"example.com/dev=one", "example.com/dev=two", "other.org/x=all"});
  CHECK(e.env == std::vector<std::string>{"SPEC=1", "ONE=1", "ALL=yes"});
  REQUIRE(e.device_nodes.size() == 1);
  CHECK(e.device_nodes[0].host_path == "/dev/null");
  REQUIRE(e.mounts.size() == 1);
  CHECK(e.mounts[0].options[0] == "ro");
  REQUIRE(e.hooks.size() == 1);
  CHECK(e.hooks[0].args.size() == 2);
  CHECK_THROWS_AS(cdi::resolve({yaml}, {"example.com/dev=three"}), Error);
  CHECK_THROWS_AS(cdi::resolve({yaml}, {"notqualified"}), Error);
  CHECK(cdi::is_qualified_name("nvidia.com/gpu=all"));
  CHECK_FALSE(cdi::is_qualified_name("/dev/null"));
  CHECK_THROWS_AS(
      cdi::parse_spec("cdiVersion: \"1.0.0\"\nkind: a.b/c\ndevices: [{name: x}]\n", "v"), Error);
  CHECK_THROWS_AS(
      cdi::parse_spec("cdiVersion: \"0.6.0\"\nkind: nokind\ndevices: [{name: x}]\n", "k"), Error);
  CHECK_THROWS_AS(cdi::parse_spec("cdiVersion: \"0.6.0\"\nkind: a.b/c\ndevices:\n  - name: x\n    "
                                  "containerEdits:\n      deviceNodes: [{path: rel}]\n",
                                  "r"),
                  Error);
}
