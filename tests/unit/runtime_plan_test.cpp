#include <doctest/doctest.h>
#include <linux/capability.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/resource.h>

#include <algorithm>
#include <map>

#include "runtime/plan.hpp"
#include "util/error.hpp"
#include "volume/volume.hpp"

using namespace tug;
using runtime::MountOp;

namespace {

userns::Mapping ranged() {
  userns::Mapping m;
  m.uids = {{0, 1000, 1}, {1, 100000, 65536}};
  m.gids = {{0, 1000, 1}, {1, 100000, 65536}};
  return m;
}

userns::Mapping single() {
  userns::Mapping m;
  m.single = true;
  m.uids = {{0, 1000, 1}};
  m.gids = {{0, 1000, 1}};
  return m;
}

const MountOp* find_target(const runtime::Plan& p, const std::string& target) {
  for (const auto& op : p.mounts)
    if (op.target == target) return &op;
  return nullptr;
}

runtime::Plan plan_for(runtime::Spec s, const userns::Mapping& m = ranged()) {
  storage::RootfsPlan r;
  r.lowers = {"l/A", "l/B"};
  runtime::PlanInputs in{"127.0.0.1 localhost\n", "nameserver 10.0.2.3\n", "ctr\n",
                         "/x/libexec/tug/tug-init"};
  if (s.args.empty()) s.args = {"sh"};
  return runtime::build_plan(s, r, in, m);
}

}  // namespace

TEST_CASE("plan: namespaces follow the network mode") {
  runtime::Spec s;
  s.network = network::parse_mode("host");
  auto p = plan_for(s);
  CHECK((p.clone_flags & CLONE_NEWUSER) != 0);
  CHECK((p.clone_flags & CLONE_NEWPID) != 0);
  CHECK((p.clone_flags & CLONE_NEWNET) == 0);
  // With the host's network, sysfs cannot be mounted: the host's is bound read-only.
  const MountOp* sys = find_target(p, "/sys");
  REQUIRE(sys);
  CHECK(sys->kind == MountOp::Kind::bind);
  CHECK((sys->flags & MS_RDONLY) != 0);

  s.network = network::parse_mode("none");
  p = plan_for(s);
  CHECK((p.clone_flags & CLONE_NEWNET) != 0);
  REQUIRE(find_target(p, "/sys"));
  CHECK(find_target(p, "/sys")->kind == MountOp::Kind::sysfs);
}

TEST_CASE("plan: /proc comes before /dev and the volumes come after the /etc files") {
  runtime::Spec s;
  s.mounts.push_back(runtime::parse_volume_flag("/srv/data:/data:ro"));
  auto p = plan_for(s);
  auto index = [&](const std::string& t) {
    for (size_t i = 0; i < p.mounts.size(); ++i)
      if (p.mounts[i].target == t) return static_cast<int>(i);
    return -1;
  };
  CHECK(index("/proc") == 0);
  CHECK(index("/dev") > index("/proc"));
  CHECK(index("/dev/null") > index("/dev"));
  CHECK(index("/etc/hosts") > index("/dev/pts"));
  CHECK(index("/data") > index("/etc/hostname"));
  // The /etc files are made in the container's /dev tmpfs: no host file.
  const MountOp* hosts = find_target(p, "/etc/hosts");
  REQUIRE(hosts);
  CHECK(hosts->kind == MountOp::Kind::generated);
  CHECK(hosts->source == "127.0.0.1 localhost\n");
  const MountOp* data = find_target(p, "/data");
  REQUIRE(data);
  CHECK(data->source == "/srv/data");
  CHECK((data->flags & MS_RDONLY) != 0);
  CHECK(data->recursive);
}

TEST_CASE("plan: devpts names the tty group only when it is mapped") {
  runtime::Spec s;
  CHECK(find_target(plan_for(s, ranged()), "/dev/pts")->data.find("gid=5") != std::string::npos);
  CHECK(find_target(plan_for(s, single()), "/dev/pts")->data.find("gid=") == std::string::npos);
}

TEST_CASE("plan: --init runs tug-init as PID 1 in front of the command") {
  runtime::Spec s;
  s.args = {"sleep", "1"};
  s.init = true;
  auto p = plan_for(s);
  CHECK(p.args == std::vector<std::string>{"/run/tug-init", "sleep", "1"});
  const MountOp* init = find_target(p, "/run/tug-init");
  REQUIRE(init);
  CHECK(init->source == "/x/libexec/tug/tug-init");
  CHECK((init->flags & MS_RDONLY) != 0);
}

TEST_CASE("plan: sensitive paths are masked or read-only") {
  auto p = plan_for({});
  auto has = [](const std::vector<std::string>& v, const char* s) {
    return std::find(v.begin(), v.end(), s) != v.end();
  };
  CHECK(has(p.masked_paths, "/proc/kcore"));
  CHECK(has(p.masked_paths, "/sys/firmware"));
  CHECK(has(p.readonly_paths, "/proc/sys"));
  CHECK(has(p.readonly_paths, "/proc/sysrq-trigger"));
}

TEST_CASE("capabilities: docker's default set, adjusted by add and drop") {
  uint64_t def = runtime::capability_mask({}, {});
  CHECK((def & (1ULL << CAP_NET_RAW)) != 0);
  CHECK((def & (1ULL << CAP_CHOWN)) != 0);
  CHECK((def & (1ULL << CAP_SYS_ADMIN)) == 0);
  CHECK(__builtin_popcountll(def) == 14);
  uint64_t m = runtime::capability_mask({"sys_admin"}, {"CAP_NET_RAW"});
  CHECK((m & (1ULL << CAP_SYS_ADMIN)) != 0);
  CHECK((m & (1ULL << CAP_NET_RAW)) == 0);
  CHECK(runtime::capability_mask({}, {"ALL"}) == 0);
  CHECK(runtime::capability_mask({"ALL"}, {}) == ~0ULL);
  CHECK(runtime::capability_mask({"CHOWN"}, {"ALL"}) == 1ULL << CAP_CHOWN);
  CHECK(runtime::capability_mask({"ALL"}, {"CHOWN"}) == ~(1ULL << CAP_CHOWN));
  CHECK_THROWS_AS(runtime::capability_mask({"NOT_A_CAP"}, {}), Error);
}

TEST_CASE("volume flags") {
  auto m = runtime::parse_volume_flag("/a:/b");
  CHECK(m.source == "/a");
  CHECK(m.destination == "/b");
  CHECK_FALSE(m.readonly);
  CHECK(runtime::parse_volume_flag("/a:/b:ro").readonly);
  // A path alone is an anonymous volume there.
  CHECK(runtime::parse_volume_flag("/a").destination == "/a");
  CHECK(runtime::parse_volume_flag("/a").source.empty());
  CHECK(runtime::parse_volume_flag("/a").volume.empty());
  CHECK_THROWS_AS(runtime::parse_volume_flag("a"), Error);
  CHECK_THROWS_AS(runtime::parse_volume_flag("/a:relative"), Error);
  CHECK_THROWS_AS(runtime::parse_volume_flag("/a:/b:bogus"), Error);
  // A source without a slash names a volume (resolved by the caller).
  auto named = runtime::parse_volume_flag("named:/b");
  CHECK(named.volume == "named");
  CHECK(named.source.empty());
  CHECK(named.destination == "/b");
  CHECK_THROWS_AS(runtime::parse_volume_flag(":/b"), Error);
}

TEST_CASE("--mount flags: docker's keys, aliases and defaults") {
  auto b = runtime::parse_mount_flag("type=bind,source=/a,target=/b,readonly");
  CHECK(b.type == runtime::MountSpec::Type::bind);
  CHECK(b.source == "/a");
  CHECK(b.destination == "/b");
  CHECK(b.readonly);
  CHECK_FALSE(runtime::parse_mount_flag("type=bind,src=/a,dst=/b,ro=false").readonly);
  auto v = runtime::parse_mount_flag("source=data,target=/d");  // type defaults to volume
  CHECK(v.volume == "data");
  CHECK(v.source.empty());
  auto anon = runtime::parse_mount_flag("type=volume,destination=/d");
  CHECK(anon.volume.empty());
  CHECK(anon.source.empty());
  auto t = runtime::parse_mount_flag("type=tmpfs,target=/t,tmpfs-size=1m,tmpfs-mode=0700");
  CHECK(t.type == runtime::MountSpec::Type::tmpfs);
  CHECK(t.options == "size=1m,mode=0700");
  CHECK(runtime::parse_mount_flag("type=tmpfs,target=/t").options == "mode=1777");
  CHECK_THROWS_AS(runtime::parse_mount_flag("type=bind,target=/b"), Error);
  CHECK_THROWS_AS(runtime::parse_mount_flag("type=bind,source=rel,target=/b"), Error);
  CHECK_THROWS_AS(runtime::parse_mount_flag("type=volume,source=/abs,target=/b"), Error);
  CHECK_THROWS_AS(runtime::parse_mount_flag("type=tmpfs,source=x,target=/b"), Error);
  CHECK_THROWS_AS(runtime::parse_mount_flag("type=nfs,target=/b"), Error);
  CHECK_THROWS_AS(runtime::parse_mount_flag("type=bind,source=/a"), Error);
  CHECK_THROWS_AS(runtime::parse_mount_flag("type=bind,source=/a,target=/b,ro=maybe"), Error);
  CHECK_THROWS_AS(runtime::parse_mount_flag("type=bind,source=/a,target=/b,colour=red"), Error);
}

TEST_CASE("--ulimit: names, soft and hard, unlimited") {
  auto u = runtime::parse_ulimit("nofile=100:200");
  CHECK(u.resource == RLIMIT_NOFILE);
  CHECK(u.soft == 100);
  CHECK(u.hard == 200);
  auto same = runtime::parse_ulimit("core=0");
  CHECK(same.soft == 0);
  CHECK(same.hard == 0);
  auto inf = runtime::parse_ulimit("memlock=-1:unlimited");
  CHECK(inf.soft == RLIM_INFINITY);
  CHECK(inf.hard == RLIM_INFINITY);
  CHECK_THROWS_AS(runtime::parse_ulimit("nofile"), Error);
  CHECK_THROWS_AS(runtime::parse_ulimit("files=1"), Error);
  CHECK_THROWS_AS(runtime::parse_ulimit("nofile=2:1"), Error);
  CHECK_THROWS_AS(runtime::parse_ulimit("nofile=-5"), Error);
  CHECK_THROWS_AS(runtime::parse_ulimit("nofile=1k"), Error);
}

TEST_CASE("--privileged: every capability, no seccomp, nothing masked") {
  runtime::Spec s;
  s.privileged = true;
  auto p = plan_for(s);
  CHECK(p.capabilities == ~0ULL);
  CHECK_FALSE(p.seccomp);
  CHECK(p.masked_paths.empty());
  CHECK(p.readonly_paths.empty());
  s.privileged = false;
  auto q = plan_for(s);
  CHECK(q.seccomp);
  CHECK_FALSE(q.masked_paths.empty());
}

TEST_CASE("generated /etc files") {
  runtime::Spec s;
  s.hostname = "web";
  s.extra_hosts = {{"db", "10.0.0.5"}};
  std::string hosts = runtime::hosts_file_content(s);
  CHECK(hosts.find("127.0.0.1\tlocalhost") != std::string::npos);
  CHECK(hosts.find("10.0.0.5\tdb\n") != std::string::npos);
  CHECK(hosts.find("\tweb\n") != std::string::npos);

  std::string host_conf = "nameserver 127.0.0.53\nnameserver 9.9.9.9\nsearch example.org\n";
  s.network = network::parse_mode("none");
  std::string rc = runtime::resolv_conf_content(s, host_conf);
  CHECK(rc.find("127.0.0.53") == std::string::npos);
  CHECK(rc.find("nameserver 9.9.9.9") != std::string::npos);
  CHECK(rc.find("search example.org") != std::string::npos);
  s.network = network::parse_mode("host");
  CHECK(runtime::resolv_conf_content(s, host_conf) == host_conf);
  s.dns = {"1.1.1.1"};
  CHECK(runtime::resolv_conf_content(s, host_conf) == "nameserver 1.1.1.1\n");
}

TEST_CASE("log drivers and log options") {
  CHECK(runtime::validate_log_driver("") == "k8s-file");
  CHECK(runtime::validate_log_driver("json-file") == "json-file");
  CHECK(runtime::validate_log_driver("local") == "json-file");
  CHECK(runtime::validate_log_driver("passthrough") == "passthrough");
  CHECK_THROWS_AS(runtime::validate_log_driver("syslog"), Error);
  std::map<std::string, std::string> opts;
  runtime::add_log_opt(opts, "max-size=10m");
  runtime::add_log_opt(opts, "max-file=3");
  runtime::add_log_opt(opts, "tag={{.Name}}");
  runtime::add_log_opt(opts, "path=/tmp/x.log");
  CHECK(opts.at("max-size") == "10m");
  CHECK(opts.at("tag") == "{{.Name}}");
  for (const char* bad :
       {"max-size=lots", "max-size=", "max-file=0", "max-file=x", "max-file=99999999999999999999",
        "path=relative", "colour=blue", "novalue"})
    CHECK_THROWS_AS(runtime::add_log_opt(opts, bad), Error);
}

TEST_CASE("volume create -o options") {
  auto t = volume::parse_options({"type=tmpfs", "device=tmpfs", "o=size=1m"});
  volume::Volume v;
  v.options = t;
  CHECK(v.is_tmpfs());
  CHECK(v.bind_device().empty());
  v.options = volume::parse_options({"type=none", "o=bind", "device=/"});
  CHECK_FALSE(v.is_tmpfs());
  CHECK(v.bind_device() == "/");
  CHECK(volume::parse_options({"uid=1000", "gid=10"}).at("uid") == "1000");
  CHECK(volume::parse_options({}).empty());
  for (auto bad : std::vector<std::vector<std::string>>{{"colour=blue"},
                                                        {"uid=me"},
                                                        {"device=/x"},
                                                        {"type=ext4", "device=/dev/sda"},
                                                        {"type=none", "device=/"},
                                                        {"type=none", "o=bind", "device=rel"},
                                                        {"type=tmpfs", "device=/dev/sda"}})
    CHECK_THROWS_AS(volume::parse_options(bad), Error);
}

TEST_CASE(
    "generated files: host names, the container's addresses, resolv.conf lines, .containerenv") {
  runtime::Spec s;
  s.hostname = "abc123";
  std::string hosts =
      runtime::hosts_file_content(s, {"10.89.0.2", "10.89.1.2"}, "192.0.2.2", "web");
  CHECK(hosts.find("192.0.2.2\thost.containers.internal\n") != std::string::npos);
  CHECK(hosts.find("192.0.2.2\thost.docker.internal\n") != std::string::npos);
  CHECK(hosts.find("10.89.0.2\tabc123 web\n") != std::string::npos);
  CHECK(hosts.find("10.89.1.2\tabc123 web\n") != std::string::npos);
  CHECK(runtime::hosts_file_content(s).find("127.0.1.1\tabc123\n") != std::string::npos);
  s.extra_hosts = {{"host.docker.internal", "1.2.3.4"}};
  hosts = runtime::hosts_file_content(s, {}, "192.0.2.2");
  CHECK(hosts.find("192.0.2.2\thost.docker.internal") == std::string::npos);
  CHECK(hosts.find("192.0.2.2\thost.containers.internal") != std::string::npos);

  std::string host_conf = "nameserver 9.9.9.9\nsearch example.org\noptions ndots:1\n";
  runtime::Spec r;
  r.network = network::parse_mode("none");
  r.dns_options = {"ndots:2", "timeout:3"};
  r.dns_search = {"a.test", "b.test"};
  CHECK(runtime::resolv_conf_content(r, host_conf) ==
        "search a.test b.test\nnameserver 9.9.9.9\noptions ndots:2 timeout:3\n");
  r.dns_search = {"."};
  r.dns_options.clear();
  CHECK(runtime::resolv_conf_content(r, host_conf) == "nameserver 9.9.9.9\noptions ndots:1\n");

  CHECK(runtime::containerenv_content(false, {}) == "");
  runtime::ContainerEnv c{"tug-1.0", "n", "i", "docker.io/library/busybox:latest", "abc", true};
  CHECK(runtime::containerenv_content(true, c) ==
        "engine=\"tug-1.0\"\nname=\"n\"\nid=\"i\"\nimage=\"docker.io/library/busybox:latest\"\n"
        "imageid=\"abc\"\nrootless=1\n");
}

TEST_CASE("plan: .containerenv, /etc/mtab, and the --ipc modes") {
  runtime::Spec s;
  auto p = plan_for(s);
  REQUIRE(find_target(p, "/run/.containerenv"));
  CHECK(find_target(p, "/run/.containerenv")->kind == MountOp::Kind::generated);
  REQUIRE(find_target(p, "/etc/mtab"));
  CHECK(find_target(p, "/etc/mtab")->kind == MountOp::Kind::symlink);
  CHECK(find_target(p, "/etc/mtab")->source == "/proc/mounts");
  CHECK((p.clone_flags & CLONE_NEWIPC) != 0);
  CHECK(find_target(p, "/dev/shm")->kind == MountOp::Kind::tmpfs);

  s.ipc = "none";
  p = plan_for(s);
  CHECK((p.clone_flags & CLONE_NEWIPC) != 0);
  CHECK_FALSE(find_target(p, "/dev/shm"));
  CHECK(find_target(p, "/dev/mqueue")->kind == MountOp::Kind::mqueue);

  s.ipc = "host";
  p = plan_for(s);
  CHECK((p.clone_flags & CLONE_NEWIPC) == 0);
  CHECK(find_target(p, "/dev/shm")->kind == MountOp::Kind::bind);
  CHECK(find_target(p, "/dev/mqueue")->kind == MountOp::Kind::bind);

  CHECK(runtime::validate_ipc_mode("shareable") == "shareable");
  CHECK(runtime::validate_ipc_mode("container:abc") == "container:abc");
  CHECK_THROWS(runtime::validate_ipc_mode("bogus"));
  CHECK_THROWS(runtime::validate_ipc_mode("container:"));
}

TEST_CASE("plan: share_shm puts the owner's /dev/shm in place of the tmpfs") {
  runtime::Spec s;
  s.ipc = "container:abc";
  auto p = plan_for(s);
  size_t before = p.mounts.size();
  runtime::share_shm(p, 7);
  REQUIRE(find_target(p, "/dev/shm"));
  CHECK(find_target(p, "/dev/shm")->kind == MountOp::Kind::tree);
  CHECK(find_target(p, "/dev/shm")->fd == 7);
  CHECK(p.mounts.size() == before);
  // Still after /dev (its mount point lives in that tmpfs).
  auto dev = std::find_if(p.mounts.begin(), p.mounts.end(),
                          [](const MountOp& op) { return op.target == "/dev"; });
  auto shm = std::find_if(p.mounts.begin(), p.mounts.end(),
                          [](const MountOp& op) { return op.target == "/dev/shm"; });
  CHECK(dev < shm);

  // No /dev/shm of its own (--ipc none): nothing to replace.
  s.ipc = "none";
  p = plan_for(s);
  runtime::share_shm(p, 7);
  CHECK_FALSE(find_target(p, "/dev/shm"));
}
