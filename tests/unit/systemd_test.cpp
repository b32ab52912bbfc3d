#include "systemd/systemd.hpp"

#include <doctest/doctest.h>

#include "util/error.hpp"

using namespace tug;
using namespace tug::systemd;

using V = std::vector<std::string>;

TEST_CASE("unit_run_command: create becomes run, the unit's flags replace the original's") {
  CHECK(unit_run_command({"tug", "run", "-d", "--rm", "--name", "web", "-p", "8080:80", "busybox",
                          "httpd", "-f", "-d"},
                         "/usr/bin/tug") == V{"/usr/bin/tug", "run", "--cidfile=%t/%n.ctr-id",
                                              "--cgroups=no-conmon", "--rm", "--sdnotify=conmon",
                                              "-d", "--replace", "--name", "web", "-p", "8080:80",
                                              "busybox", "httpd", "-f", "-d"});
  // Global flags stay; `container create` is a run; -dit loses only its d;
  // --sdnotify, --cidfile and --restart go with their values.
  CHECK(unit_run_command(
            {"/x/tug", "--root", "/s", "container", "create", "-dit", "--sdnotify", "ignore",
             "--cidfile=/tmp/c", "--restart", "always", "-e", "A=1", "busybox"},
            "/usr/bin/tug") == V{"/usr/bin/tug", "--root", "/s", "run", "--cidfile=%t/%n.ctr-id",
                                 "--cgroups=no-conmon", "--rm", "--sdnotify=conmon", "-d", "-it",
                                 "-e", "A=1", "busybox"});
  CHECK_THROWS_AS(unit_run_command({"tug", "pod", "create"}, "tug"), Error);
  CHECK_THROWS_AS(unit_run_command({}, "tug"), Error);
}

TEST_CASE("exec_word escapes specifiers and variables and quotes blanks") {
  CHECK(exec_word("plain") == "plain");
  CHECK(exec_word("50%") == "50%%");
  CHECK(exec_word("$HOME") == "$$HOME");
  CHECK(exec_word("has space") == "\"has space\"");
  CHECK(exec_word("x=y\"z") == "\"x=y\\\"z\"");
  CHECK(exec_word("") == "\"\"");
  CHECK(exec_line({"tug", "run", "--rm", "-e", "A=1", "img", "sh", "-c", "x"}) ==
        "tug run \\\n\t--rm \\\n\t-e A=1 img sh \\\n\t-c x");
}

TEST_CASE("container units: forking without --new, notify with it") {
  Context ctx{"/p/bin/tug", "/run/user/1/tug", "tug 1", "DATE", "file:/p/doc"};
  ContainerInfo c{"0123abcd", "web", 10, {"tug", "run", "--name", "web", "busybox"}, "/d/pid"};
  GenerateOptions o;
  Unit u = container_unit(c, o, ctx);
  CHECK(u.name == "container-0123abcd.service");
  CHECK(u.text.find("ExecStart=/p/bin/tug start 0123abcd\n") != std::string::npos);
  CHECK(u.text.find("PIDFile=/d/pid\nType=forking\n") != std::string::npos);
  CHECK(u.text.find("TimeoutStopSec=70\n") != std::string::npos);
  o.new_container = true;
  o.use_name = true;
  o.stop_timeout = 3;
  o.restart_sec = 4;
  o.container_prefix = "c";
  o.separator = "_";
  u = container_unit(c, o, ctx);
  CHECK(u.name == "c_web.service");
  CHECK(u.text.find("Restart=on-failure\nRestartSec=4\nTimeoutStopSec=63\n") != std::string::npos);
  CHECK(u.text.find("Type=notify\nNotifyAccess=all\n") != std::string::npos);
  CHECK(u.text.find("--ignore -t 3") != std::string::npos);
  o.restart_policy = "sometimes";
  CHECK_THROWS_AS(validate(o), Error);
}

TEST_CASE("pod units: the pod's unit wants its members, each member binds to it") {
  Context ctx{"/tug", "/run", "tug 1", "DATE", ""};
  PodInfo p{"podid", "pp", {"infraid", "abc-infra", 10, {}, "/i/pid"}, {}};
  p.members.push_back({"m1id", "m1", 10, {}, "/m1/pid"});
  p.members.push_back({"m2id", "m2", 10, {}, "/m2/pid"});
  GenerateOptions o;
  o.use_name = true;
  auto units = pod_units(p, o, ctx);
  REQUIRE(units.size() == 3);
  CHECK(units[0].name == "pod-pp.service");
  CHECK(units[0].text.find("Wants=container-m1.service\nWants=container-m2.service\n"
                           "Before=container-m1.service\nBefore=container-m2.service\n") !=
        std::string::npos);
  CHECK(units[0].text.find("ExecStart=/tug start abc-infra\n") != std::string::npos);
  CHECK(units[1].text.find("BindsTo=pod-pp.service\nAfter=pod-pp.service\n") != std::string::npos);
  // --new needs the pod's create command, a `pod create`.
  o.new_container = true;
  CHECK_THROWS_AS(pod_units(p, o, ctx), Error);
  p.create_command = {"tug", "run", "busybox"};
  CHECK_THROWS_AS(pod_units(p, o, ctx), Error);
  o.template_unit = true;
  CHECK_THROWS_AS(pod_units(p, o, ctx), Error);
}

TEST_CASE("pod units with --new: the pod's unit creates the pod, members join it by its id file") {
  Context ctx{"/tug", "/run", "tug 1", "DATE", ""};
  PodInfo p{"podid", "pp", {"infraid", "abc-infra", 10, {}, "/i/pid"}, {}, {}};
  p.members.push_back(
      {"m1id", "m1", 10, {"tug", "create", "--pod", "pp", "--name", "m1", "busybox"}, "/m1/pid"});
  p.create_command = {"tug", "pod", "create", "--name", "pp", "-p", "8080:80"};
  GenerateOptions o;
  o.use_name = true;
  o.new_container = true;
  auto units = pod_units(p, o, ctx);
  REQUIRE(units.size() == 2);
  CHECK(units[0].text.find("ExecStartPre=/tug pod create \\\n\t--infra-conmon-pidfile "
                           "%t/pod-pp.pid \\\n\t--pod-id-file %t/pod-pp.pod-id \\\n\t"
                           "--exit-policy=stop \\\n\t--name pp \\\n\t-p 8080:80 \\\n\t"
                           "--replace\n") != std::string::npos);
  CHECK(units[0].text.find("ExecStart=/tug pod start \\\n\t--pod-id-file %t/pod-pp.pod-id\n") !=
        std::string::npos);
  CHECK(units[0].text.find("PIDFile=%t/pod-pp.pid\nType=forking\n") != std::string::npos);
  CHECK(units[1].text.find("--rm \\\n\t--pod-id-file %t/pod-pp.pod-id \\\n\t--sdnotify=conmon "
                           "\\\n\t-d \\\n\t--replace \\\n\t--name m1 busybox\n") !=
        std::string::npos);
  CHECK(units[1].text.find("--pod pp") == std::string::npos);
}

TEST_CASE("unit_pod_create_command: global flags stay, the unit's files replace the original's") {
  auto pc = unit_pod_create_command(
      {"tug", "--root", "/s t", "pod", "create", "--pod-id-file", "/x", "--exit-policy=continue",
       "--infra-conmon-pidfile=/y", "-l", "a=b c", "--replace"},
      "/usr/bin/tug", "%t/P.pid", "%t/P.pod-id");
  CHECK(pc.global == V{"--root", "\"/s t\""});
  CHECK(pc.words == V{"/usr/bin/tug", "--root", "\"/s t\"", "pod", "create",
                      "--infra-conmon-pidfile", "%t/P.pid", "--pod-id-file", "%t/P.pod-id",
                      "--exit-policy=continue", "-l", "\"a=b c\"", "--replace"});
  // Unnamed: no --replace added.
  CHECK(unit_pod_create_command({"tug", "pod", "create", "-p", "80"}, "t", "P", "I").words ==
        V{"t", "pod", "create", "--infra-conmon-pidfile", "P", "--pod-id-file", "I",
          "--exit-policy=stop", "-p", "80"});
  CHECK_THROWS_AS(unit_pod_create_command({"tug", "run", "x"}, "t", "P", "I"), Error);
  CHECK_THROWS_AS(unit_pod_create_command({"tug", "pod"}, "t", "P", "I"), Error);
}

TEST_CASE("--template: instance names, and a name added when the container had none") {
  RunCommandOptions ro;
  ro.template_name = "container-web";
  CHECK(unit_run_command({"tug", "create", "--name", "web", "busybox"}, "/t", ro) ==
        V{"/t", "run", "--cidfile=%t/%n.ctr-id", "--cgroups=no-conmon", "--rm", "--sdnotify=conmon",
          "-d", "--replace", "--name", "web-%i", "busybox"});
  CHECK(unit_run_command({"tug", "create", "--name=web", "busybox"}, "/t", ro) ==
        V{"/t", "run", "--cidfile=%t/%n.ctr-id", "--cgroups=no-conmon", "--rm", "--sdnotify=conmon",
          "-d", "--replace", "--name=web-%i", "busybox"});
  CHECK(unit_run_command({"tug", "run", "-e", "P=5%", "busybox"}, "/t", ro) ==
        V{"/t", "run", "--name=container-web-%i", "--cidfile=%t/%n.ctr-id", "--cgroups=no-conmon",
          "--rm", "--sdnotify=conmon", "-d", "--replace", "-e", "P=5%%", "busybox"});
  Context ctx{"/tug", "/run", "tug 1", "DATE", ""};
  ContainerInfo c{"0123abcd", "web", 10, {"tug", "run", "--name", "web", "busybox"}, "/d/pid"};
  GenerateOptions o;
  o.use_name = true;
  o.new_container = true;
  o.template_unit = true;
  Unit u = container_unit(c, o, ctx);
  CHECK(u.name == "container-web@.service");
  CHECK(u.text.rfind("# container-web@.service\n", 0) == 0);
  CHECK(u.text.find("Description=tug container-web.service for %I\n") != std::string::npos);
}
