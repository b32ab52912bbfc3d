#include "cgroup/cgroup.hpp"

#include <doctest/doctest.h>

#include <map>

#include "util/error.hpp"
#include "util/fs.hpp"

using namespace tug;

namespace {

// A directory laid out like a delegated cgroup v2 subtree.
std::string fake_cgroupfs(const TempDir& t, const std::string& delegated) {
  std::string root = t.path() + "/cg";
  std::string own = root + "/user.slice/user-1000.slice/user@1000.service";
  make_dirs(own);
  atomic_write(root + "/cgroup.controllers", "cpuset cpu io memory pids\n");
  atomic_write(own + "/cgroup.controllers", delegated);
  atomic_write(own + "/cgroup.subtree_control", "");
  atomic_write(own + "/cgroup.procs", "");
  return root;
}

const char* kSelf = "0::/user.slice/user-1000.slice/user@1000.service\n";

}  // namespace

TEST_CASE("detection reads the delegated controllers of our own cgroup") {
  TempDir t("/tmp", "tug-unit-");
  std::string root = fake_cgroupfs(t, "cpu memory pids\n");
  cgroup::Host h = cgroup::detect(kSelf, root);
  CHECK(h.v2);
  CHECK(h.own == "/user.slice/user-1000.slice/user@1000.service");
  CHECK(h.delegated == std::set<std::string>{"cpu", "memory", "pids"});
  CHECK(h.writable);
  // cgroup v1 only: no 0:: line.
  CHECK_FALSE(cgroup::detect("4:memory:/user.slice\n", root).v2);
}

TEST_CASE("limits that cannot be applied are named with the reason") {
  TempDir t("/tmp", "tug-unit-");
  cgroup::Limits l;
  l.memory = 256 << 20;
  l.pids = 100;
  cgroup::Host h = cgroup::detect(kSelf, fake_cgroupfs(t, "memory\n"));
  auto missing = cgroup::unapplied(l, h);
  REQUIRE(missing.size() == 1);
  CHECK(missing[0] == "--pids-limit: the pids controller is not delegated to you");
  cgroup::Host v1;
  auto all = cgroup::unapplied(l, v1);
  REQUIRE(all.size() == 2);
  CHECK(all[0].find("no cgroup v2") != std::string::npos);
}

TEST_CASE("limit files follow runc's conversions") {
  cgroup::Limits l;
  l.memory = 268435456;
  l.memory_swap = 536870912;
  l.cpus = 0.5;
  l.cpu_shares = 512;
  l.pids = 64;
  auto f = cgroup::limit_files(l);
  std::map<std::string, std::string> m(f.begin(), f.end());
  CHECK(m["memory.max"] == "268435456");
  CHECK(m["memory.swap.max"] == "268435456");
  CHECK(m["cpu.max"] == "50000 100000");
  CHECK(m["cpu.weight"] == "20");
  CHECK(m["pids.max"] == "64");
  cgroup::Limits unlimited;
  unlimited.memory_swap = -1;
  unlimited.pids = 0;
  auto u = cgroup::limit_files(unlimited);
  CHECK(u[0].second == "max");
  CHECK(u[1].second == "max");
}

TEST_CASE("create enables controllers, writes limits, and keeps processes out of inner nodes") {
  TempDir t("/tmp", "tug-unit-");
  std::string root = fake_cgroupfs(t, "cpu memory pids\n");
  std::string own = root + "/user.slice/user-1000.slice/user@1000.service";
  atomic_write(own + "/cgroup.procs", "4242\n");
  cgroup::Limits l;
  l.memory = 1 << 20;
  l.pids = 10;
  std::string path = cgroup::create(cgroup::detect(kSelf, root), "0123456789abcdef", l);
  CHECK(path == own + "/tug-0123456789ab");
  CHECK(read_file(path + "/memory.max") == "1048576");
  CHECK(read_file(path + "/pids.max") == "10");
  CHECK(read_file(own + "/cgroup.subtree_control") == "+memory +pids");
  CHECK(read_file(own + "/tug-cli/cgroup.procs") == "4242");
  cgroup::freeze(path, true);
  CHECK(read_file(path + "/cgroup.freeze") == "1");
}

TEST_CASE("the limits docker update adds: files, checks and the record's form") {
  cgroup::Limits l;
  l.memory_reservation = 64 << 20;
  l.cpu_quota = 50000;
  l.cpu_period = 200000;
  l.cpuset_cpus = "0";
  l.blkio_weight = 1000;
  auto f = cgroup::limit_files(l);
  std::map<std::string, std::string> m(f.begin(), f.end());
  CHECK(m["memory.low"] == "67108864");
  CHECK(m["cpu.max"] == "50000 200000");
  CHECK(m["cpuset.cpus"] == "0");
  CHECK(m["io.weight"] == "10000");
  CHECK(cgroup::limits_from_json(cgroup::to_json(l)).cpuset_cpus == "0");
  CHECK(cgroup::to_json(cgroup::limits_from_json(cgroup::to_json(l))) == cgroup::to_json(l));
  cgroup::Limits newer;
  newer.cpu_quota = 10000;
  l.merge(newer);
  CHECK(*l.cpu_quota == 10000);
  CHECK(*l.cpu_period == 200000);

  auto refused = [](cgroup::Limits x) {
    try {
      cgroup::validate(x);
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  cgroup::Limits small;
  small.memory = 1 << 20;
  CHECK(refused(small) == "Minimum memory limit allowed is 6MB");
  cgroup::Limits both;
  both.cpus = 1;
  both.cpu_quota = 2000;
  CHECK(refused(both) == "Conflicting options: Nano CPUs and CPU Quota cannot both be set");
  cgroup::Limits blkio;
  blkio.blkio_weight = 5;
  CHECK(refused(blkio) == "Range of blkio weight is from 10 to 1000");
  cgroup::Limits cpuset;
  cpuset.cpuset_cpus = "1-x";
  CHECK(refused(cpuset) == "Invalid value 1-x for cpuset cpus");
  cgroup::Limits fine;
  fine.memory = 64 << 20;
  fine.memory_swap = -1;
  fine.cpuset_mems = "0";
  CHECK(refused(fine).empty());
}

TEST_CASE("apply writes a running container's cgroup and names what it cannot take") {
  TempDir t("/tmp", "tug-unit-");
  std::string cg = t.path() + "/tug-0123456789ab";
  make_dirs(cg);
  atomic_write(cg + "/pids.max", "max");
  cgroup::Limits l;
  l.pids = 32;
  l.memory = 64 << 20;
  auto failed = cgroup::apply(cg, l);
  CHECK(read_file(cg + "/pids.max") == "32");
  REQUIRE(failed.size() == 1);
  CHECK(failed[0] == "--memory: the container's cgroup has no memory controller");
}

TEST_CASE("apply hands a running container's cgroup a controller it was started without") {
  TempDir t("/tmp", "tug-unit-");
  std::string root = fake_cgroupfs(t, "cpu memory pids\n");
  std::string own = root + "/user.slice/user-1000.slice/user@1000.service";
  atomic_write(own + "/cgroup.procs", "4242\n");
  std::string cg = own + "/tug-0123456789ab";
  make_dirs(cg);
  cgroup::Limits l;
  l.pids = 16;
  // A fake cgroupfs makes no pids.max when the controller is enabled: the
  // failure is still named, after the parent was asked for it.
  auto failed = cgroup::apply(cg, l);
  CHECK(read_file(own + "/cgroup.subtree_control") == "+pids");
  CHECK(read_file(own + "/tug-cli/cgroup.procs") == "4242");
  REQUIRE(failed.size() == 1);
  CHECK(failed[0] == "--pids-limit: the container's cgroup has no pids controller");
}
