// POST /containers/create: docker's ContainerConfig, HostConfig and
// NetworkingConfig translated into the CreateOptions of `tug create`, then
// the same container::create. Fields tug cannot honour are refused (400 or
// 501) when they change what the container does, or named in Warnings.
#include <cmath>
#include <cstdio>

#include "api/handlers.hpp"
#include "config/containers_conf.hpp"
#include "container/conf_defaults.hpp"
#include "container/lifecycle.hpp"
#include "util/error.hpp"
#include "util/strings.hpp"

namespace tug::api {

namespace {

[[noreturn]] void bad(const std::string& what) {
  throw ApiError(400, what);
}

bool present(const json& o, const char* key) {
  return o.is_object() && o.contains(key) && !o[key].is_null();
}

std::string str(const json& o, const char* key) {
  if (!present(o, key)) return "";
  if (!o[key].is_string()) bad(std::string(key) + " must be a string");
  return o[key].get<std::string>();
}

bool boolean(const json& o, const char* key) {
  if (!present(o, key)) return false;
  if (!o[key].is_boolean()) bad(std::string(key) + " must be a boolean");
  return o[key].get<bool>();
}

int64_t integer(const json& o, const char* key) {
  if (!present(o, key)) return 0;
  if (!o[key].is_number_integer()) bad(std::string(key) + " must be an integer");
  return o[key].get<int64_t>();
}

// docker's strslice: an array of strings, or one string (a shell's words
// are not split: docker keeps it as one argument).
std::vector<std::string> strings(const json& o, const char* key) {
  std::vector<std::string> out;
  if (!present(o, key)) return out;
  const json& v = o[key];
  if (v.is_string()) return {v.get<std::string>()};
  if (!v.is_array()) bad(std::string(key) + " must be an array of strings");
  for (const auto& e : v) {
    if (!e.is_string()) bad(std::string(key) + " must be an array of strings");
    out.push_back(e.get<std::string>());
  }
  return out;
}

std::string nanos(int64_t ns) {
  return std::to_string(ns) + "ns";
}

// "80/tcp" -> ("80", "tcp"); docker's default protocol is tcp.
std::string port_key(const std::string& key) {
  if (key.empty() || key.find_first_not_of("0123456789/tcpud-") != std::string::npos)
    bad("invalid port specification: " + quote(key));
  return key.find('/') == std::string::npos ? key + "/tcp" : key;
}

void take_config(const json& c, container::CreateOptions& o, std::vector<std::string>& warnings) {
  o.image = str(c, "Image");
  if (o.image.empty()) bad("Config.Image is required");
  o.command = strings(c, "Cmd");
  if (present(c, "Entrypoint")) {
    // tug's entrypoint is one word, the rest goes before the command, as
    // compose's translation does: the image's Cmd is dropped either way.
    std::vector<std::string> ep = strings(c, "Entrypoint");
    if (ep.empty() || (ep.size() == 1 && ep[0].empty())) {
      o.entrypoint = "";
    } else {
      o.entrypoint = ep[0];
      o.command.insert(o.command.begin(), ep.begin() + 1, ep.end());
    }
  }
  for (const auto& e : strings(c, "Env")) o.env.push_back(e);
  if (std::string w = str(c, "WorkingDir"); !w.empty()) o.workdir = w;
  if (std::string u = str(c, "User"); !u.empty()) o.user = u;
  o.hostname = str(c, "Hostname");
  if (!str(c, "Domainname").empty())
    warnings.push_back("Domainname is not supported by tug and was ignored");
  if (present(c, "Labels")) {
    if (!c["Labels"].is_object()) bad("Labels must be an object");
    for (auto it = c["Labels"].begin(); it != c["Labels"].end(); ++it) {
      if (!it->is_string()) bad("label values must be strings");
      o.labels.push_back(it.key() + "=" + it->get<std::string>());
    }
  }
  o.tty = boolean(c, "Tty");
  o.interactive = boolean(c, "OpenStdin");
  o.stop_signal = str(c, "StopSignal");
  if (present(c, "StopTimeout")) o.stop_timeout = static_cast<int>(integer(c, "StopTimeout"));
  // Volumes: {"/data": {}}: anonymous volumes, as -v /data.
  if (present(c, "Volumes")) {
    if (!c["Volumes"].is_object()) bad("Volumes must be an object");
    for (auto it = c["Volumes"].begin(); it != c["Volumes"].end(); ++it)
      o.volumes.push_back(it.key());
  }
  if (present(c, "Healthcheck")) {
    const json& h = c["Healthcheck"];
    std::vector<std::string> test = strings(h, "Test");
    if (!test.empty()) {
      if (test[0] == "NONE") {
        o.health.disable = true;
      } else if (test[0] == "CMD-SHELL" && test.size() == 2) {
        o.health.cmd = test[1];
      } else if (test[0] == "CMD" && test.size() > 1) {
        o.health.cmd = json(std::vector<std::string>(test.begin() + 1, test.end())).dump();
      } else {
        bad("invalid Healthcheck.Test: use [\"NONE\"], [\"CMD\", ...] or [\"CMD-SHELL\", CMD]");
      }
    }
    if (int64_t v = integer(h, "Interval"); v > 0) o.health.interval = nanos(v);
    if (int64_t v = integer(h, "Timeout"); v > 0) o.health.timeout = nanos(v);
    if (int64_t v = integer(h, "StartPeriod"); v > 0) o.health.start_period = nanos(v);
    if (int64_t v = integer(h, "Retries"); v > 0) o.health.retries = static_cast<int>(v);
  }
}

void take_host_config(const json& h, container::CreateOptions& o,
                      std::vector<std::string>& warnings) {
  for (const auto& b : strings(h, "Binds")) o.volumes.push_back(b);
  if (present(h, "Mounts")) {
    if (!h["Mounts"].is_array()) bad("Mounts must be an array");
    for (const auto& m : h["Mounts"]) {
      std::string type = str(m, "Type"), target = str(m, "Target");
      if (type.empty()) type = "volume";
      if (type != "bind" && type != "volume" && type != "tmpfs")
        throw ApiError(501, "mount type " + quote(type) + " is not supported by tug");
      if (target.empty()) bad("invalid mount config: Target is required");
      if (target.find(',') != std::string::npos || str(m, "Source").find(',') != std::string::npos)
        bad("invalid mount config: commas in paths are not supported");
      std::string spec = "type=" + type + ",target=" + target;
      if (std::string src = str(m, "Source"); !src.empty()) spec += ",source=" + src;
      if (boolean(m, "ReadOnly")) spec += ",readonly";
      if (present(m, "TmpfsOptions")) {
        if (int64_t size = integer(m["TmpfsOptions"], "SizeBytes"); size > 0)
          spec += ",tmpfs-size=" + std::to_string(size);
        if (int64_t mode = integer(m["TmpfsOptions"], "Mode"); mode > 0) {
          char octal[16];
          std::snprintf(octal, sizeof octal, "%o", static_cast<unsigned>(mode));
          spec += std::string(",tmpfs-mode=") + octal;
        }
      }
      if (present(m, "VolumeOptions") && boolean(m["VolumeOptions"], "NoCopy"))
        spec += ",volume-nocopy";
      o.mounts.push_back(spec);
    }
  }
  if (present(h, "PortBindings")) {
    if (!h["PortBindings"].is_object()) bad("PortBindings must be an object");
    for (auto it = h["PortBindings"].begin(); it != h["PortBindings"].end(); ++it) {
      std::string ctr = port_key(it.key());
      if (it->is_null() || it->empty()) {
        o.publish.push_back(ctr);
        continue;
      }
      if (!it->is_array()) bad("PortBindings values must be arrays");
      for (const auto& b : *it) {
        std::string ip = str(b, "HostIp"), port = str(b, "HostPort");
        if (ip.find(':') != std::string::npos) ip = "[" + ip + "]";
        o.publish.push_back(ip.empty() ? (port.empty() ? ctr : port + ":" + ctr)
                                       : ip + ":" + port + ":" + ctr);
      }
    }
  }
  o.publish_all = boolean(h, "PublishAllPorts");
  std::string net = str(h, "NetworkMode");
  // docker's default bridge is tug's default network (slirp4netns).
  if (net != "default" && net != "bridge") o.network = net;
  o.auto_remove = boolean(h, "AutoRemove");
  if (present(h, "RestartPolicy")) {
    std::string name = str(h["RestartPolicy"], "Name");
    int64_t max = integer(h["RestartPolicy"], "MaximumRetryCount");
    if (!name.empty()) o.restart = name;
    if (name == "on-failure" && max > 0) o.restart += ":" + std::to_string(max);
  }
  o.privileged = boolean(h, "Privileged");
  o.cap_add = strings(h, "CapAdd");
  o.cap_drop = strings(h, "CapDrop");
  o.read_only = boolean(h, "ReadonlyRootfs");
  if (int64_t m = integer(h, "Memory"); m > 0) o.memory = std::to_string(m);
  if (int64_t m = integer(h, "MemorySwap"); m != 0) o.memory_swap = std::to_string(m);
  if (int64_t m = integer(h, "MemoryReservation"); m > 0) o.memory_reservation = std::to_string(m);
  if (int64_t n = integer(h, "NanoCpus"); n > 0) {
    char cpus[32];
    std::snprintf(cpus, sizeof cpus, "%.9g", static_cast<double>(n) / 1e9);
    o.cpus = cpus;
  }
  if (int64_t v = integer(h, "CpuShares"); v > 0) o.cpu_shares = v;
  if (int64_t v = integer(h, "CpuPeriod"); v > 0) o.cpu_period = v;
  if (int64_t v = integer(h, "CpuQuota"); v > 0) o.cpu_quota = v;
  if (int64_t v = integer(h, "BlkioWeight"); v > 0) o.blkio_weight = v;
  o.cpuset_cpus = str(h, "CpusetCpus");
  o.cpuset_mems = str(h, "CpusetMems");
  if (present(h, "PidsLimit") && integer(h, "PidsLimit") != 0)
    o.pids_limit = integer(h, "PidsLimit");
  if (int64_t v = integer(h, "ShmSize"); v > 0) o.shm_size = std::to_string(v);
  if (present(h, "Tmpfs")) {
    if (!h["Tmpfs"].is_object()) bad("Tmpfs must be an object");
    for (auto it = h["Tmpfs"].begin(); it != h["Tmpfs"].end(); ++it) {
      if (!it->is_string()) bad("Tmpfs values must be strings");
      std::string opts = it->get<std::string>();
      o.tmpfs.push_back(opts.empty() ? it.key() : it.key() + ":" + opts);
    }
  }
  o.add_hosts = strings(h, "ExtraHosts");
  o.dns = strings(h, "Dns");
  o.dns_search = strings(h, "DnsSearch");
  o.dns_options = strings(h, "DnsOptions");
  o.init = boolean(h, "Init");
  o.security_opt = strings(h, "SecurityOpt");
  o.group_add = strings(h, "GroupAdd");
  o.volumes_from = strings(h, "VolumesFrom");
  std::string ipc = str(h, "IpcMode");
  if (!ipc.empty()) o.ipc = ipc;
  if (std::string userns = str(h, "UsernsMode"); !userns.empty()) o.userns = userns;
  if (present(h, "Devices")) {
    if (!h["Devices"].is_array()) bad("Devices must be an array");
    for (const auto& d : h["Devices"]) {
      std::string spec = str(d, "PathOnHost");
      if (spec.empty()) bad("Devices need a PathOnHost");
      std::string in = str(d, "PathInContainer"), perms = str(d, "CgroupPermissions");
      spec += ":" + (in.empty() ? str(d, "PathOnHost") : in);
      if (!perms.empty()) spec += ":" + perms;
      o.devices.push_back(spec);
    }
  }
  if (present(h, "Ulimits")) {
    if (!h["Ulimits"].is_array()) bad("Ulimits must be an array");
    for (const auto& u : h["Ulimits"])
      o.ulimits.push_back(str(u, "Name") + "=" + std::to_string(integer(u, "Soft")) + ":" +
                          std::to_string(integer(u, "Hard")));
  }
  if (present(h, "LogConfig")) {
    std::string type = str(h["LogConfig"], "Type");
    if (!type.empty()) o.log_driver = type;
    if (present(h["LogConfig"], "Config")) {
      if (!h["LogConfig"]["Config"].is_object()) bad("LogConfig.Config must be an object");
      for (auto it = h["LogConfig"]["Config"].begin(); it != h["LogConfig"]["Config"].end(); ++it)
        if (it->is_string()) o.log_opts.push_back(it.key() + "=" + it->get<std::string>());
    }
  }
  // What tug has no equivalent for: refused where it would change what
  // runs, a warning where docker itself treats it as a hint.
  for (const char* key : {"Sysctls", "StorageOpt", "DeviceCgroupRules", "Links"})
    if (present(h, key) && !h[key].empty())
      throw ApiError(501, std::string("HostConfig.") + key + " is not supported by tug");
  if (boolean(h, "OomKillDisable"))
    warnings.push_back("OomKillDisable is not supported by tug and was ignored");
  if (present(h, "OomScoreAdj") && integer(h, "OomScoreAdj") != 0)
    warnings.push_back("OomScoreAdj is not supported by tug and was ignored");
  if (std::string pid = str(h, "PidMode"); !pid.empty())
    throw ApiError(501, "HostConfig.PidMode " + quote(pid) + " is not supported by tug");
  if (std::string uts = str(h, "UTSMode"); !uts.empty())
    throw ApiError(501, "HostConfig.UTSMode " + quote(uts) + " is not supported by tug");
}

void take_networking(const json& n, container::CreateOptions& o) {
  if (!present(n, "EndpointsConfig")) return;
  const json& eps = n["EndpointsConfig"];
  if (!eps.is_object()) bad("EndpointsConfig must be an object");
  for (auto it = eps.begin(); it != eps.end(); ++it) {
    const std::string& net = it.key();
    if (net == "bridge" || net == "default" || net == "host" || net == "none") continue;
    // The endpoint's network is the container's own, or a further one.
    if (o.network.empty())
      o.network = net;
    else if (("," + o.network + ",").find("," + net + ",") == std::string::npos)
      o.network += "," + net;
    for (const auto& a : strings(*it, "Aliases")) o.aliases_on[net].push_back(a);
    if (present(*it, "IPAMConfig")) {
      std::string ip = str((*it)["IPAMConfig"], "IPv4Address");
      if (!ip.empty()) o.ip_on[net] = ip;
    }
  }
}

}  // namespace

Response container_create(Context& ctx, const Target& t, const std::string& body) {
  json j;
  try {
    j = body.empty() ? json::object() : json::parse(body);
  } catch (const json::exception& e) {
    bad(std::string("invalid JSON: ") + e.what());
  }
  if (!j.is_object()) bad("the request body must be a JSON object");
  container::CreateOptions o;
  std::vector<std::string> warnings;
  if (auto it = t.query.find("name"); it != t.query.end()) {
    o.name = it->second;
    if (!o.name.empty() && o.name[0] == '/') o.name.erase(0, 1);
  }
  if (auto it = t.query.find("platform"); it != t.query.end() && !it->second.empty())
    warnings.push_back("the platform parameter is ignored: tug runs the image it has");
  try {
    take_config(j, o, warnings);
    if (present(j, "HostConfig")) take_host_config(j["HostConfig"], o, warnings);
    if (present(j, "NetworkingConfig")) take_networking(j["NetworkingConfig"], o);
  } catch (const json::exception& e) {
    bad(std::string("invalid container configuration: ") + e.what());
  }
  // docker's create never pulls: a missing image is the client's to pull.
  if (!ctx.images.find(o.image)) {
    // docker names it with its tag ("No such image: busybox:latest").
    std::string shown = o.image;
    size_t slash = shown.rfind('/');
    if (shown.find('@') == std::string::npos &&
        shown.find(':', slash == std::string::npos ? 0 : slash) == std::string::npos)
      shown += ":latest";
    throw ApiError(404, "No such image: " + shown);
  }
  container::apply_conf_defaults(containers_conf(), o);
  container::Store store(ctx.paths, ctx.mapping);
  container::Record rec;
  try {
    rec = container::create(store, ctx.images, o);
  } catch (const Error& e) {
    // docker's words, which its clients show as they are.
    if (e.code() == Errc::exists && !o.name.empty() && store.find(o.name))
      throw ApiError(409, "Conflict. The container name \"/" + o.name +
                              "\" is already in use by container \"" + store.find(o.name)->id +
                              "\". You have to remove (or rename) that container to be able to "
                              "reuse that name.");
    throw;
  }
  for (const auto& why : rec.limits_not_applied)
    warnings.push_back("resource limit not applied: " + why);
  return json_response(201, json{{"Id", rec.id}, {"Warnings", warnings}});
}

}  // namespace tug::api
