#include "container/inspect.hpp"

#include <algorithm>

#include "network/mode.hpp"
#include "network/ports.hpp"
#include "network/setup.hpp"
#include "util/fs.hpp"
#include "util/strings.hpp"

namespace tug::container {

namespace {

std::vector<std::string> strings_of(const json& cfg, const char* key) {
  std::vector<std::string> out;
  if (!cfg.is_object()) return out;
  auto it = cfg.find(key);
  if (it == cfg.end() || !it->is_array()) return out;
  for (const auto& v : *it)
    if (v.is_string()) out.push_back(v.get<std::string>());
  return out;
}

json or_null(const std::vector<std::string>& v) {
  return v.empty() ? json(nullptr) : json(v);
}

std::string time_or_zero(const std::string& t) {
  return t.empty() ? kZeroTime : t;
}

// "on-failure:3" -> {"Name": "on-failure", "MaximumRetryCount": 3}.
json restart_policy(const std::string& policy) {
  bool has_count = false;
  auto [name, count] = split_once(policy, ':', &has_count);
  int max = 0;
  if (has_count) {
    try {
      max = std::stoi(count);
    } catch (const std::exception&) {
    }
  }
  return json{{"Name", name.empty() ? "no" : name}, {"MaximumRetryCount", max}};
}

// A bind source that is a named volume's data directory
// (<data>/volumes/<name>/_data) is shown as docker shows volumes.
std::string volume_name(const std::string& data_root, const std::string& source) {
  std::string prefix = data_root + "/volumes/";
  if (data_root.empty() || !starts_with(source, prefix) || !ends_with(source, "/_data")) return {};
  std::string name = source.substr(prefix.size(), source.size() - prefix.size() - 6);
  return name.find('/') == std::string::npos ? name : std::string();
}

// The running container's network: its address and published ports.
json network_settings(const Record& r, const State& st, const InspectContext& ctx) {
  const network::Mode& net = r.spec.network;
  bool running = st.status == "running";
  std::string ip = running ? network::container_address(net) : "";
  std::string gateway;
  if (!ip.empty() && net.kind == network::Mode::Kind::slirp4netns)
    gateway = network::slirp_addresses(net.cidr).gateway;
  json ports = json::object();
  for (const auto& p : r.spec.ports)
    ports[std::to_string(p.container_port) + "/" + p.protocol] = nullptr;
  if (running)
    for (const auto& d : st.ports)
      if (auto p = network::parse_described(d))
        ports[std::to_string(p->container_port) + "/" + p->protocol].push_back(
            {{"HostIp", p->host_ip.empty() ? "0.0.0.0" : p->host_ip},
             {"HostPort", std::to_string(p->host_port)}});
  int prefix = ip.empty() ? 0 : network::slirp_addresses(net.cidr).prefix;
  // docker's per-network entries (user-defined networks only; the top-level
  // address fields stay those of the default network, empty here).
  json networks = json::object();
  for (const auto& a : r.spec.networks) {
    auto n = std::find_if(ctx.networks.begin(), ctx.networks.end(),
                          [&](const network::Network& x) { return x.name == a.network; });
    json aliases = json::array({r.id.substr(0, 12)});
    for (const auto& al : a.aliases) aliases.push_back(al);
    networks[a.network] = {{"NetworkID", n != ctx.networks.end() ? n->id : ""},
                           {"IPAddress", a.address},
                           {"IPPrefixLen", n != ctx.networks.end() ? n->prefix : 0},
                           {"Gateway", n != ctx.networks.end() ? n->gateway : ""},
                           {"MacAddress", ""},
                           {"Aliases", aliases}};
  }
  return {{"Bridge", ""},
          {"SandboxID", ""},
          {"SandboxKey",
           running && net.own_namespace() ? "/proc/" + std::to_string(st.pid) + "/ns/net" : ""},
          {"Ports", ports},
          {"IPAddress", ip},
          {"IPPrefixLen", prefix},
          {"Gateway", gateway},
          {"MacAddress", ""},
          {"Networks", networks}};
}

}  // namespace

json inspect_json(const Record& r, const State& s, const InspectContext& ctx) {
  const runtime::Spec& spec = r.spec;
  std::string data_root = dirname_of(dirname_of(ctx.container_dir));

  auto [entrypoint, cmd] = entrypoint_and_cmd(r, strings_of(ctx.image_config, "Entrypoint"));

  json st = {{"Status", s.paused && s.status == "running" ? "paused" : s.status},
             {"Running", s.status == "running"},
             {"Paused", s.paused && s.status == "running"},
             {"Restarting", s.status == "restarting"},
             {"OOMKilled", false},
             {"Dead", s.status == "dead"},
             {"Pid", s.status == "running" ? s.pid : 0},
             {"ConmonPid", s.status == "running" ? s.monitor_pid : 0},
             {"ExitCode", s.exit_code},
             {"Error", ""},
             {"StartedAt", time_or_zero(s.started_at)},
             {"FinishedAt", time_or_zero(s.finished_at)}};

  json mounts = json::array(), binds = json::array(), tmpfs = json::object();
  for (const auto& m : spec.mounts) {
    if (m.type == runtime::MountSpec::Type::tmpfs) {
      tmpfs[m.destination] = m.options;
      continue;
    }
    json mj = {{"Destination", m.destination},
               {"Mode", m.readonly ? "ro" : ""},
               {"RW", !m.readonly},
               {"Propagation", "rprivate"}};
    std::string vol = m.volume.empty() ? volume_name(data_root, m.source) : m.volume;
    if (!vol.empty()) {
      mj["Type"] = "volume";
      mj["Name"] = vol;
      mj["Driver"] = "local";
    } else {
      mj["Type"] = "bind";
    }
    mj["Source"] = m.source;
    mounts.push_back(mj);
    binds.push_back((vol.empty() ? m.source : vol) + ":" + m.destination +
                    (m.readonly ? ":ro" : ""));
  }

  json extra_hosts = json::array();
  for (const auto& [host, ip] : spec.extra_hosts) extra_hosts.push_back(host + ":" + ip);

  std::string hostname = spec.hostname.empty() ? r.id.substr(0, 12) : spec.hostname;
  json config = {{"Hostname", hostname},
                 {"Domainname", ""},
                 {"User", spec.user},
                 {"AttachStdin", spec.stdin_open},
                 {"AttachStdout", true},
                 {"AttachStderr", true},
                 {"Tty", spec.tty},
                 {"OpenStdin", spec.stdin_open},
                 {"StdinOnce", false},
                 {"Env", spec.env},
                 {"Cmd", or_null(cmd)},
                 {"Entrypoint", or_null(entrypoint)},
                 {"Image", r.image_name},
                 {"Volumes", nullptr},
                 {"WorkingDir", spec.cwd},
                 {"Labels", r.labels},
                 {"StopSignal", spec.stop_signal},
                 {"StopTimeout", spec.stop_timeout},
                 {"SdNotifyMode", spec.sdnotify}};

  // Docker's shapes: "80/tcp": [{"HostIp": "", "HostPort": "8080"}]; a
  // free port chosen at start shows as "" here and as the port in
  // NetworkSettings.
  json bindings = json::object();
  for (const auto& p : spec.ports)
    bindings[std::to_string(p.container_port) + "/" + p.protocol].push_back(
        {{"HostIp", p.host_ip}, {"HostPort", p.host_port ? std::to_string(p.host_port) : ""}});
  json host_config = {{"Binds", binds.empty() ? json(nullptr) : binds},
                      {"NetworkMode", network::to_string(spec.network)},
                      {"PortBindings", bindings},
                      {"PublishAllPorts", false},
                      {"RestartPolicy", restart_policy(spec.restart_policy)},
                      {"AutoRemove", r.auto_remove},
                      {"CapAdd", or_null(spec.cap_add)},
                      {"CapDrop", or_null(spec.cap_drop)},
                      {"Dns", spec.dns},
                      {"ExtraHosts", extra_hosts.empty() ? json(nullptr) : extra_hosts},
                      {"Privileged", spec.privileged},
                      {"ReadonlyRootfs", spec.read_only},
                      {"SecurityOpt", or_null(spec.security_opt)},
                      {"Tmpfs", tmpfs.empty() ? json(nullptr) : tmpfs},
                      {"Init", spec.init}};
  host_config["UsernsMode"] = spec.userns;
  // The default is podman's (and a docker daemon's with default-ipc-mode shareable).
  host_config["ShmSize"] = spec.shm_size > 0 ? spec.shm_size : int64_t{64} << 20;
  host_config["IpcMode"] = spec.ipc.empty() ? std::string("shareable") : spec.ipc;
  json devices = json::array();
  for (const auto& d : spec.devices)
    devices.push_back(json{{"PathOnHost", d.source},
                           {"PathInContainer", d.destination},
                           {"CgroupPermissions", d.permissions}});
  host_config["Devices"] = devices;
  // docker's names and units for the resource flags (0: not set).
  const json& lim = spec.limits;
  host_config["Memory"] = lim.value("memory", int64_t{0});
  host_config["MemorySwap"] = lim.value("memory_swap", int64_t{0});
  host_config["NanoCpus"] = static_cast<int64_t>(lim.value("cpus", 0.0) * 1e9);
  host_config["CpuShares"] = lim.value("cpu_shares", int64_t{0});
  host_config["PidsLimit"] = lim.value("pids", int64_t{0});
  host_config["MemoryReservation"] = lim.value("memory_reservation", int64_t{0});
  host_config["CpuPeriod"] = lim.value("cpu_period", int64_t{0});
  host_config["CpuQuota"] = lim.value("cpu_quota", int64_t{0});
  host_config["CpusetCpus"] = lim.value("cpuset_cpus", std::string());
  host_config["CpusetMems"] = lim.value("cpuset_mems", std::string());
  host_config["BlkioWeight"] = lim.value("blkio_weight", int64_t{0});
  json ulimits = json::array();
  auto limit = [](const std::string& v) -> int64_t {
    return v == "unlimited" || v == "-1" ? -1 : std::stoll(v);  // validated at create
  };
  for (const auto& u : spec.ulimits) {
    auto [name, values] = split_once(u, '=');
    bool has_hard = false;
    auto [soft, hard] = split_once(values, ':', &has_hard);
    ulimits.push_back(
        {{"Name", name}, {"Soft", limit(soft)}, {"Hard", limit(has_hard ? hard : soft)}});
  }
  host_config["Ulimits"] = ulimits.empty() ? json(nullptr) : ulimits;
  host_config["Cgroups"] = spec.cgroups == "enabled" ? "default" : spec.cgroups;

  json graph = {{"Name", r.driver}};
  if (r.driver == "vfs") {
    graph["Data"] = {{"Dir", ctx.container_dir + "/rootfs"}};
  } else {
    graph["Data"] = {{"LowerDir", ctx.lower_dirs},
                     {"UpperDir", ctx.container_dir + "/upper"},
                     {"WorkDir", ctx.container_dir + "/work"},
                     {"MergedDir", ctx.container_dir + "/merged"}};
  }

  json j;
  j["Id"] = r.id;
  j["Created"] = r.created;
  j["Path"] = spec.args.empty() ? "" : spec.args[0];
  j["Args"] = spec.args.size() > 1
                  ? std::vector<std::string>(spec.args.begin() + 1, spec.args.end())
                  : std::vector<std::string>{};
  j["State"] = st;
  // The image's Id as image inspect prints it (podman's form, no sha256:).
  j["Image"] = r.image_id;
  j["ImageDigest"] = ctx.image_digest;
  j["ImageName"] = r.image_name;
  j["Name"] = "/" + r.name;
  j["RestartCount"] = s.restart_count;
  j["Driver"] = r.driver;
  j["Platform"] = "linux";
  // Made in the container's own /dev tmpfs at each start: no host file.
  j["ResolvConfPath"] = "";
  j["HostnamePath"] = "";
  j["HostsPath"] = "";
  j["LogPath"] = spec.log_driver == "k8s-file" || spec.log_driver == "json-file"
                     ? log_path(ctx.container_dir, r)
                     : "";
  {
    json cfg = json::object();
    for (const auto& [k, v] : spec.log_opts) cfg[k] = v;
    // docker's Type and Config, and podman's Path.
    host_config["LogConfig"] = {{"Type", spec.log_driver}, {"Config", cfg}, {"Path", j["LogPath"]}};
  }
  j["ConmonPidFile"] =
      r.conmon_pidfile.empty() ? ctx.container_dir + "/monitor.pid" : r.conmon_pidfile;
  j["MountLabel"] = "";
  j["ProcessLabel"] = "";
  j["AppArmorProfile"] = "";
  j["Mounts"] = mounts;
  // What create warned about (docker's create response carries Warnings):
  // resource limits this host could not enforce.
  json warnings = json::array();
  for (const auto& why : r.limits_not_applied) warnings.push_back("limit not applied: " + why);
  j["Warnings"] = warnings;
  if (!r.healthcheck.is_null()) config["Healthcheck"] = r.healthcheck;
  if (!ctx.health.is_null()) j["State"]["Health"] = ctx.health;
  j["Config"] = config;
  j["HostConfig"] = host_config;
  j["GraphDriver"] = graph;
  j["NetworkSettings"] = network_settings(r, s, ctx);
  return j;
}

}  // namespace tug::container
