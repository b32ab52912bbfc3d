// GET|HEAD /_ping, GET /version, GET /info.
#include <sys/utsname.h>
#include <time.h>

#include "api/handlers.hpp"
#include "build_info.hpp"
#include "config/hostinfo.hpp"
#include "container/query.hpp"
#include "image/archive.hpp"
#include "util/strings.hpp"

namespace tug::api {

Response ping(Context&, const Target&, bool head) {
  Response r;
  r.content_type = "text/plain; charset=utf-8";
  r.body = head ? "" : "OK";
  // docker's: a client that cannot cache a ping must not.
  r.headers = {{"Cache-Control", "no-cache, no-store, must-revalidate"}, {"Pragma", "no-cache"}};
  return r;
}

Response version(Context&, const Target&) {
  struct utsname u;
  ::uname(&u);
  std::string arch = image::host_architecture();
  ordered_json engine = {{"Name", "Engine"},
                         {"Version", TUG_VERSION},
                         {"Details",
                          {{"ApiVersion", kApiVersion},
                           {"Arch", arch},
                           {"KernelVersion", u.release},
                           {"MinAPIVersion", kMinApiVersion},
                           {"Os", "linux"}}}};
  ordered_json v = {{"Platform", {{"Name", "tug"}}},
                    {"Components", ordered_json::array({engine})},
                    {"Version", TUG_VERSION},
                    {"ApiVersion", kApiVersion},
                    {"MinAPIVersion", kMinApiVersion},
                    {"GitCommit", ""},
                    {"GoVersion", "C++20, g++ " __VERSION__},
                    {"Os", "linux"},
                    {"Arch", arch},
                    {"KernelVersion", u.release},
                    {"BuildTime", ""}};
  return json_response(200, json(v));
}

// docker's SystemInfo, filled from what `tug info` reports
// (hostinfo::collect) and the container store's states.
Response info(Context& ctx, const Target&) {
  json h = hostinfo::collect(ctx.paths, ctx.mapping);
  const json& host = h["host"];
  const json& store = h["store"];
  container::Store ctrs(ctx.paths, ctx.mapping);
  container::ListOptions all;
  all.all = true;
  int running = 0, paused = 0, stopped = 0, total = 0;
  for (const auto& l : container::list(ctrs, ctx.images, all)) {
    ++total;
    if (l.st.status == "running")
      ++(l.st.paused ? paused : running);
    else
      ++stopped;
  }
  std::string cgroup_version = "2";
  if (host.contains("cgroups") && host["cgroups"].value("version", "v2") == "v1")
    cgroup_version = "1";
  json warnings = json::array();
  // "name": "warn: detail -- advice": docker lists warnings, not the fine ones.
  if (h.contains("checks") && h["checks"].is_object())
    for (auto it = h["checks"].begin(); it != h["checks"].end(); ++it)
      if (it->is_string() && it->get<std::string>().rfind("ok:", 0) != 0)
        warnings.push_back("WARNING: " + it.key() + ": " + it->get<std::string>());
  ordered_json j;
  j["ID"] = "";
  j["Containers"] = total;
  j["ContainersRunning"] = running;
  j["ContainersPaused"] = paused;
  j["ContainersStopped"] = stopped;
  j["Images"] = ctx.images.list().size();
  std::string driver = store.value("driver", "");
  j["Driver"] = driver.empty() || driver == "not probed yet" ? "overlay" : driver;
  j["DriverStatus"] = json::array({json::array({"Backing Filesystem", ctx.paths.data_fs})});
  j["Plugins"] = {{"Volume", {"local"}},
                  {"Network", {"bridge", "host", "none", "slirp4netns", "pasta"}},
                  {"Authorization", nullptr},
                  {"Log", {"k8s-file", "journald", "none"}}};
  j["MemoryLimit"] = true;
  j["SwapLimit"] = true;
  j["KernelMemory"] = false;
  j["CpuCfsPeriod"] = true;
  j["CpuCfsQuota"] = true;
  j["CPUShares"] = true;
  j["CPUSet"] = true;
  j["PidsLimit"] = true;
  j["OomKillDisable"] = false;
  j["IPv4Forwarding"] = true;
  j["BridgeNfIptables"] = false;
  j["BridgeNfIp6tables"] = false;
  j["Debug"] = false;
  j["NFd"] = 0;
  j["NGoroutines"] = 0;
  j["SystemTime"] = now_rfc3339();
  j["LoggingDriver"] = "k8s-file";
  j["CgroupDriver"] = "cgroupfs";
  j["CgroupVersion"] = cgroup_version;
  j["NEventsListener"] = 0;
  j["KernelVersion"] = host.value("kernel", "");
  j["OperatingSystem"] = host.value("os", "");
  j["OSVersion"] = "";
  j["OSType"] = "linux";
  j["Architecture"] = host.value("arch", "");
  j["IndexServerAddress"] = "https://index.docker.io/v1/";
  j["RegistryConfig"] = {{"AllowNondistributableArtifactsCIDRs", json::array()},
                         {"AllowNondistributableArtifactsHostnames", json::array()},
                         {"InsecureRegistryCIDRs", json::array()},
                         {"IndexConfigs", json::object()},
                         {"Mirrors", json::array()}};
  j["NCPU"] = host.value("cpus", 0);
  j["MemTotal"] = host.value("memTotal", int64_t{0});
  j["GenericResources"] = nullptr;
  j["DockerRootDir"] = ctx.paths.data;
  j["HttpProxy"] = "";
  j["HttpsProxy"] = "";
  j["NoProxy"] = "";
  j["Name"] = host.value("hostname", "");
  j["Labels"] = json::array();
  j["ExperimentalBuild"] = false;
  j["ServerVersion"] = TUG_VERSION;
  j["Runtimes"] = {{"tug", {{"path", "tug"}}}};
  j["DefaultRuntime"] = "tug";
  j["Swarm"] = {{"NodeID", ""},
                {"NodeAddr", ""},
                {"LocalNodeState", "inactive"},
                {"ControlAvailable", false},
                {"Error", ""},
                {"RemoteManagers", nullptr}};
  j["LiveRestoreEnabled"] = true;  // containers outlive the service: each has its monitor
  j["Isolation"] = "";
  j["InitBinary"] = "tug-init";
  j["ContainerdCommit"] = {{"ID", ""}, {"Expected", ""}};
  j["RuncCommit"] = {{"ID", ""}, {"Expected", ""}};
  j["InitCommit"] = {{"ID", ""}, {"Expected", ""}};
  j["SecurityOptions"] = json::array({"name=seccomp,profile=default", "name=rootless"});
  j["Warnings"] = warnings;
  return json_response(200, json(j));
}

}  // namespace tug::api
