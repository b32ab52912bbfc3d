// containers.conf: the merge of several files key by key, the errors that
// name file and line (or key and type), and the defaults applied to
// CreateOptions below what the user gave.
#include "config/containers_conf.hpp"

#include <doctest/doctest.h>

#include <algorithm>

#include "container/conf_defaults.hpp"
#include "util/error.hpp"

using namespace tug;

namespace {

std::string error_of(const std::vector<ConfFile>& files) {
  try {
    parse_containers_conf(files);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

bool has(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

}  // namespace

TEST_CASE("containers.conf: a later file overrides key by key") {
  auto c = parse_containers_conf({
      {"/etc/containers/containers.conf",
       "[containers]\nenv = [\"A=1\"]\npids_limit = 100\nlog_tag = \"sys\"\n"
       "[engine]\nstop_timeout = 5\n"},
      {"/home/u/.config/containers/containers.conf", "[containers]\npids_limit = 200\n"},
      {"/home/u/.config/containers/containers.conf.d/10.conf", "[engine]\nstop_timeout = 7\n"},
  });
  CHECK(c.files.size() == 3);
  CHECK(c.env == std::vector<std::string>{"A=1"});  // absent later: kept
  CHECK(c.pids_limit == 200);
  CHECK(c.log_tag == "sys");
  CHECK(c.stop_timeout == 7);
  CHECK(c.ignored.empty());
}

TEST_CASE("containers.conf: a list is replaced whole, not appended") {
  auto c = parse_containers_conf({{"a", "[containers]\ndns_servers = [\"1.1.1.1\", \"8.8.8.8\"]\n"},
                                  {"b", "[containers]\ndns_servers = [\"9.9.9.9\"]\n"}});
  CHECK(c.dns_servers == std::vector<std::string>{"9.9.9.9"});
}

TEST_CASE("containers.conf: unknown keys and tables are listed once") {
  auto c = parse_containers_conf({{"a", "[containers]\ntz = \"UTC\"\n[machine]\ncpus = 2\n"},
                                  {"b", "[containers]\ntz = \"local\"\n[engine.runtimes]\n"}});
  CHECK(c.ignored == std::vector<std::string>{"containers.tz", "engine.runtimes", "machine.cpus"});
}

TEST_CASE("containers.conf: errors name the file and line, or key and type") {
  CHECK(error_of({{"ok", ""}, {"/x/bad.conf", "[containers]\n\nenv = [\"A=1\"\n"}})
            .find("/x/bad.conf:3") != std::string::npos);
  std::string e = error_of({{"/x/a.conf", "[containers]\npids_limit = \"many\"\n"}});
  CHECK(e.find("/x/a.conf") != std::string::npos);
  CHECK(e.find("containers.pids_limit must be an integer") != std::string::npos);
  e = error_of({{"/x/a.conf", "[containers]\nenv = \"A=1\"\n"}});
  CHECK(e.find("containers.env must be a list of strings") != std::string::npos);
  e = error_of({{"/x/a.conf", "[engine]\nimage_default_transport = \"oci-archive:\"\n"}});
  CHECK(e.find("not supported") != std::string::npos);
  // The type error names the file that set the value, not the last file.
  e = error_of({{"/x/one.conf", "[containers]\ninit = 1\n"}, {"/x/two.conf", "[engine]\n"}});
  CHECK(e.find("/x/one.conf") != std::string::npos);
}

TEST_CASE("containers.conf: the packaged /usr/share copy does not set capabilities") {
  auto c = parse_containers_conf({{"/usr/share/containers/containers.conf",
                                   "[containers]\ndefault_capabilities = [\"CHOWN\"]\n"}});
  CHECK(!c.default_capabilities);
  c = parse_containers_conf(
      {{"/usr/share/containers/containers.conf",
        "[containers]\ndefault_capabilities = [\"CHOWN\"]\n"},
       {"/etc/containers/containers.conf", "[containers]\ndefault_capabilities = [\"KILL\"]\n"}});
  REQUIRE(c.default_capabilities);
  CHECK(*c.default_capabilities == std::vector<std::string>{"KILL"});
}

TEST_CASE("containers.conf defaults: the command line wins") {
  auto c = parse_containers_conf(
      {{"a",
        "[containers]\nenv = [\"A=1\"]\ndns_servers = [\"1.1.1.1\"]\npids_limit = 50\n"
        "default_ulimits = [\"nofile=100:100\", \"nproc=20:20\"]\n"
        "volumes = [\"/srv:/data:ro\", \"/opt:/opt\"]\nlog_driver = \"json-file\"\n"
        "log_size_max = 4096\ndefault_capabilities = [\"CHOWN\", \"SYS_ADMIN\", \"KILL\"]\n"
        "[engine]\nstop_timeout = 3\n[network]\ndefault_rootless_network_cmd = \"pasta\"\n"}});
  container::CreateOptions o;
  o.dns = {"9.9.9.9"};
  o.ulimits = {"nofile=5:5"};
  o.volumes = {"/tmp:/data"};
  o.stop_timeout = 20;
  container::apply_conf_defaults(c, o);
  CHECK(o.default_env == std::vector<std::string>{"A=1"});
  CHECK(o.dns == std::vector<std::string>{"9.9.9.9"});
  CHECK(o.pids_limit == 50);
  CHECK(o.ulimits == std::vector<std::string>{"nproc=20:20", "nofile=5:5"});
  CHECK(o.volumes == std::vector<std::string>{"/opt:/opt", "/tmp:/data"});
  CHECK(o.log_driver == "json-file");
  CHECK(has(o.log_opts, "max-size=4096"));
  CHECK(o.stop_timeout == 20);
  CHECK(o.network == "pasta");
  CHECK(has(o.cap_drop, "NET_RAW"));
  CHECK(!has(o.cap_drop, "CHOWN"));
  CHECK(o.cap_add == std::vector<std::string>{"SYS_ADMIN"});

  container::CreateOptions in_pod;
  in_pod.pod = std::string("pod-") + "one";
  in_pod.cap_drop = {"sys_admin"};
  container::apply_conf_defaults(c, in_pod);
  CHECK(in_pod.network.empty());
  CHECK(in_pod.stop_timeout == 3);
  CHECK(in_pod.cap_add.empty());  // the user's --cap-drop wins over the conf's add
}
