// kube generate: container records as a Pod (or Deployment) and a
// Service. Objects are built as JSON first, so keys come out sorted as
// Kubernetes' own marshalling (and so podman's output) sorts them, then
// written as block YAML with yaml-cpp.
#include <sys/stat.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <regex>
#include <set>

#include "container/health.hpp"
#include "container/pod.hpp"
#include "kube/kube.hpp"
#include "runtime/spec.hpp"
#include "util/digest.hpp"
#include "util/error.hpp"
#include "util/strings.hpp"
#include "volume/volume.hpp"

namespace tug::kube {

namespace {

std::vector<std::string> strings_of(const json& cfg, const char* key) {
  std::vector<std::string> out;
  auto it = cfg.find(key);
  if (it != cfg.end() && it->is_array())
    for (const auto& s : *it)
      if (s.is_string()) out.push_back(s.get<std::string>());
  return out;
}

// A string field of an image config ("" when absent or null).
std::string string_of(const json& cfg, const char* key) {
  auto it = cfg.find(key);
  return it != cfg.end() && it->is_string() ? it->get<std::string>() : "";
}

std::string cap_name(std::string c) {
  for (auto& ch : c) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  if (c != "ALL" && !starts_with(c, "CAP_")) c = "CAP_" + c;
  return c;
}

// Only what YAML would read as something other than this string is quoted.
bool needs_quotes(const std::string& s) {
  static const std::regex special(
      R"(^(|~|null|Null|NULL|true|True|TRUE|false|False|FALSE|yes|Yes|YES|no|No|NO|on|On|ON|off|Off|OFF|y|Y|n|N|[-+]?[0-9][0-9_]*(\.[0-9_]*)?([eE][-+]?[0-9]+)?|[-+]?\.[0-9]+|0x[0-9a-fA-F]+|0o[0-7]+|[-+]?\.(inf|Inf|INF)|\.(nan|NaN|NAN)|[0-9]+:[0-9:]+|[0-9]{4}-[0-9]{2}-[0-9]{2}([Tt ].*)?)$)");
  return std::regex_match(s, special);
}

void emit(YAML::Emitter& e, const json& j) {
  if (j.is_object()) {
    if (j.empty()) {
      e << YAML::Flow << YAML::BeginMap << YAML::EndMap;
      return;
    }
    e << YAML::BeginMap;
    for (const auto& [k, v] : j.items()) {
      e << YAML::Key << k << YAML::Value;
      emit(e, v);
    }
    e << YAML::EndMap;
  } else if (j.is_array()) {
    if (j.empty()) {
      e << YAML::Flow << YAML::BeginSeq << YAML::EndSeq;
      return;
    }
    e << YAML::BeginSeq;
    for (const auto& v : j) emit(e, v);
    e << YAML::EndSeq;
  } else if (j.is_string()) {
    const std::string& s = j.get_ref<const std::string&>();
    if (needs_quotes(s))
      e << YAML::DoubleQuoted << s;
    else
      e << s;
  } else if (j.is_boolean()) {
    e << j.get<bool>();
  } else if (j.is_number_integer()) {
    e << j.get<int64_t>();
  } else if (j.is_number()) {
    e << j.get<double>();
  } else {
    e << YAML::Null;
  }
}

std::string to_yaml(const json& j) {
  YAML::Emitter e;
  e.SetIndent(2);
  emit(e, j);
  return std::string(e.c_str()) + "\n";
}

std::string restart_policy(const std::string& p) {
  if (starts_with(p, "on-failure")) return "OnFailure";
  if (p == "always" || p == "unless-stopped") return "Always";
  return "Never";
}

// A name Kubernetes takes for a volume (a DNS label): lower case,
// alphanumerics and '-'.
std::string dns_label(const std::string& s) {
  std::string out;
  for (char c : s) {
    unsigned char u = static_cast<unsigned char>(c);
    if (std::isalnum(u))
      out += static_cast<char>(std::tolower(u));
    else if (!out.empty() && out.back() != '-')
      out += '-';
  }
  while (!out.empty() && out.back() == '-') out.pop_back();
  return out.empty() ? "root" : out;
}

struct PodBuilder {
  container::Store& store;
  image::Store& images;
  volume::Store vols;
  json volumes = json::array();
  std::map<std::string, std::string> volume_names;  // source key -> YAML name
  json annotations = json::object();

  PodBuilder(container::Store& s, image::Store& i)
      : store(s), images(i), vols(s.paths(), s.mapping()) {}

  std::string volume_for(const runtime::MountSpec& m) {
    std::string key = (m.type == runtime::MountSpec::Type::tmpfs ? "tmpfs:" + m.destination
                       : m.volume.empty()                        ? "host:" + m.source
                                                                 : "pvc:" + m.volume);
    if (auto it = volume_names.find(key); it != volume_names.end()) return it->second;
    std::string name;
    json v;
    if (m.type == runtime::MountSpec::Type::tmpfs) {
      name = dns_label(m.destination) + "-tmpfs";
      v = {{"name", name}, {"emptyDir", {{"medium", "Memory"}}}};
    } else if (m.volume.empty()) {
      name = dns_label(m.source) + "-host";
      struct stat st {};
      std::string type =
          ::stat(m.source.c_str(), &st) == 0 && !S_ISDIR(st.st_mode) ? "File" : "Directory";
      v = {{"name", name}, {"hostPath", {{"path", m.source}, {"type", type}}}};
    } else {
      name = dns_label(m.volume) + "-pvc";
      v = {{"name", name}, {"persistentVolumeClaim", {{"claimName", m.volume}}}};
    }
    // Two sources with one label: a number keeps them apart.
    std::string base = name;
    for (int i = 1; std::any_of(volumes.begin(), volumes.end(),
                                [&](const json& x) { return x["name"] == name; });
         ++i)
      name = base + "-" + std::to_string(i);
    v["name"] = name;
    volumes.push_back(v);
    volume_names[key] = name;
    return name;
  }

  json container(const container::Record& r, const std::string& yaml_name,
                 const std::vector<network::PortMapping>& ports) {
    json c = {{"name", yaml_name}, {"image", r.image_name}};
    json cfg = json::object();
    if (auto img = images.find(r.image_id)) cfg = img->runtime_config();
    std::vector<std::string> img_ep = strings_of(cfg, "Entrypoint"),
                             img_cmd = strings_of(cfg, "Cmd");
    auto [ep, cmd] = container::entrypoint_and_cmd(r, img_ep);
    // Kubernetes runs command (the entrypoint) with args (the Cmd); a
    // command without args drops the image's Cmd, as --entrypoint does.
    if (ep != img_ep) {
      if (!ep.empty()) c["command"] = ep;
      if (!cmd.empty()) c["args"] = cmd;
    } else if (cmd != img_cmd) {
      c["args"] = cmd;
    }
    std::set<std::string> img_env;
    for (const auto& e : strings_of(cfg, "Env")) img_env.insert(e);
    json env = json::array();
    for (const auto& e : r.spec.env) {
      if (img_env.count(e) || e == "container=tug") continue;
      if (r.spec.tty && e == "TERM=xterm") continue;
      bool has = false;
      auto [k, v] = split_once(e, '=', &has);
      env.push_back({{"name", k}, {"value", v}});
    }
    if (!env.empty()) c["env"] = env;
    std::string img_wd = string_of(cfg, "WorkingDir");
    if (img_wd.empty()) img_wd = "/";
    if (r.spec.cwd != img_wd) c["workingDir"] = r.spec.cwd;
    json jp = json::array();
    for (const auto& p : ports) {
      json x = {{"containerPort", p.container_port}};
      std::string proto = p.protocol == "udp" ? "UDP" : "TCP";
      if (p.host_port) x["hostPort"] = p.host_port;
      if (!p.host_ip.empty() && p.host_ip != "0.0.0.0") x["hostIP"] = p.host_ip;
      if (proto != "TCP") x["protocol"] = proto;
      jp.push_back(x);
    }
    if (!jp.empty()) c["ports"] = jp;
    json mounts = json::array();
    for (const auto& m : r.spec.mounts) {
      if (m.type == runtime::MountSpec::Type::bind && !m.volume.empty()) {
        auto v = vols.find(m.volume);
        if (v && v->anonymous) continue;  // the image's VOLUME: made again from the image
      }
      json vm = {{"name", volume_for(m)}, {"mountPath", m.destination}};
      if (m.readonly) vm["readOnly"] = true;
      mounts.push_back(vm);
    }
    if (!mounts.empty()) c["volumeMounts"] = mounts;
    json sec = json::object();
    const auto& defaults = runtime::default_capabilities();
    std::set<std::string> dflt;
    for (const auto& d : defaults) dflt.insert(cap_name(d));
    json add = json::array(), drop = json::array();
    for (const auto& a : r.spec.cap_add)
      if (!dflt.count(cap_name(a))) add.push_back(cap_name(a));
    for (const auto& d : r.spec.cap_drop)
      if (dflt.count(cap_name(d)) || cap_name(d) == "ALL") drop.push_back(cap_name(d));
    if (!add.empty() || !drop.empty()) {
      json caps = json::object();
      if (!add.empty()) caps["add"] = add;
      if (!drop.empty()) caps["drop"] = drop;
      sec["capabilities"] = caps;
    }
    if (r.spec.privileged) sec["privileged"] = true;
    if (r.spec.read_only) sec["readOnlyRootFilesystem"] = true;
    if (std::find(r.spec.security_opt.begin(), r.spec.security_opt.end(), "no-new-privileges") !=
        r.spec.security_opt.end())
      sec["allowPrivilegeEscalation"] = false;
    if (r.spec.user != string_of(cfg, "User") && !r.spec.user.empty()) {
      static const std::regex numeric(R"(^([0-9]+)(:([0-9]+))?$)");
      std::smatch m;
      if (std::regex_match(r.spec.user, m, numeric)) {
        sec["runAsUser"] = std::stoll(m[1]);
        if (m[3].matched) sec["runAsGroup"] = std::stoll(m[3]);
      } else {
        annotations["io.tug.kube.user/" + yaml_name] = r.spec.user;
      }
    }
    if (!sec.empty()) c["securityContext"] = sec;
    json limits = json::object();
    if (auto m = r.spec.limits.find("memory"); m != r.spec.limits.end() && m->is_number())
      limits["memory"] = std::to_string(m->get<int64_t>());
    if (auto cp = r.spec.limits.find("cpus"); cp != r.spec.limits.end() && cp->is_number()) {
      double v = cp->get<double>();
      limits["cpu"] = std::fabs(v - std::round(v)) < 1e-9
                          ? std::to_string(static_cast<int64_t>(std::llround(v)))
                          : std::to_string(static_cast<int64_t>(std::llround(v * 1000))) + "m";
    }
    if (!limits.empty()) c["resources"] = {{"limits", limits}};
    json img_hc = cfg.contains("Healthcheck") ? cfg["Healthcheck"] : json();
    if (container::has_healthcheck(r.healthcheck) && r.healthcheck != img_hc) {
      const json& hc = r.healthcheck;
      std::vector<std::string> test = hc.value("Test", std::vector<std::string>{});
      json probe = json::object();
      if (!test.empty() && test[0] == "CMD")
        probe["exec"] = {{"command", std::vector<std::string>(test.begin() + 1, test.end())}};
      else if (test.size() == 2 && test[0] == "CMD-SHELL")
        probe["exec"] = {{"command", {"/bin/sh", "-c", test[1]}}};
      auto secs = [&](const char* key) { return hc.value(key, int64_t{0}) / 1'000'000'000; };
      if (secs("Interval") > 0) probe["periodSeconds"] = secs("Interval");
      if (secs("Timeout") > 0) probe["timeoutSeconds"] = secs("Timeout");
      if (secs("StartPeriod") > 0) probe["initialDelaySeconds"] = secs("StartPeriod");
      if (hc.value("Retries", 0) > 0) probe["failureThreshold"] = hc.value("Retries", 0);
      if (probe.contains("exec")) c["livenessProbe"] = probe;
    }
    if (r.spec.tty) c["tty"] = true;
    if (r.spec.stdin_open) c["stdin"] = true;
    if (r.spec.init) annotations["io.podman.annotations.init/" + yaml_name] = "TRUE";
    if (r.auto_remove) annotations["io.podman.annotations.autoremove/" + yaml_name] = "TRUE";
    return c;
  }
};

struct Generated {
  json pod;  // the Pod object
  std::vector<network::PortMapping> ports;
};

Generated pod_object(container::Store& store, image::Store& images, const std::string& name,
                     const std::string& hostname, const std::map<std::string, std::string>& labels,
                     const std::vector<container::Record>& members,
                     const std::vector<network::PortMapping>& ports, bool strip_prefix) {
  PodBuilder b(store, images);
  json containers = json::array();
  bool first = true;
  for (const auto& r : members) {
    std::string yaml_name = r.name;
    if (strip_prefix && starts_with(yaml_name, name + "-") && yaml_name.size() > name.size() + 1)
      yaml_name = yaml_name.substr(name.size() + 1);
    // The pod's ports (its infra container's) go with its first container.
    containers.push_back(
        b.container(r, yaml_name, first ? ports : std::vector<network::PortMapping>{}));
    first = false;
  }
  json meta = {{"name", name}, {"creationTimestamp", now_rfc3339().substr(0, 19) + "Z"}};
  json lab = {{"app", name}};
  for (const auto& [k, v] : labels) lab[k] = v;
  meta["labels"] = lab;
  if (!b.annotations.empty()) meta["annotations"] = b.annotations;
  json spec = {{"containers", containers},
               {"restartPolicy", restart_policy(members.front().spec.restart_policy)}};
  if (!hostname.empty() && hostname != name) spec["hostname"] = hostname;
  if (!b.volumes.empty()) spec["volumes"] = b.volumes;
  return {{{"apiVersion", "v1"}, {"kind", "Pod"}, {"metadata", meta}, {"spec", spec}}, ports};
}

json deployment_of(const json& pod, int replicas) {
  std::string name = pod["metadata"]["name"];
  json tmpl_meta = pod["metadata"];
  tmpl_meta.erase("creationTimestamp");
  return {{"apiVersion", "apps/v1"},
          {"kind", "Deployment"},
          {"metadata",
           {{"name", name + "-deployment"},
            {"creationTimestamp", pod["metadata"]["creationTimestamp"]},
            {"labels", {{"app", name}}}}},
          {"spec",
           {{"replicas", replicas},
            {"selector", {{"matchLabels", {{"app", name}}}}},
            {"template", {{"metadata", tmpl_meta}, {"spec", pod["spec"]}}}}}};
}

json service_of(const std::string& name, const std::vector<network::PortMapping>& ports) {
  json jp = json::array();
  for (const auto& p : ports) {
    // A NodePort in Kubernetes' default range, as podman picks one.
    unsigned char b[2];
    random_bytes(b, sizeof b);
    int node_port = 30000 + ((b[0] << 8 | b[1]) % 2768);
    json port = {{"name", std::to_string(p.container_port)},
                 {"nodePort", node_port},
                 {"port", p.container_port},
                 {"targetPort", p.container_port}};
    if (p.protocol == "udp") {
      port["name"] = std::to_string(p.container_port) + "-udp";
      port["protocol"] = "UDP";
    }
    jp.push_back(port);
  }
  return {{"apiVersion", "v1"},
          {"kind", "Service"},
          {"metadata",
           {{"name", name},
            {"creationTimestamp", now_rfc3339().substr(0, 19) + "Z"},
            {"labels", {{"app", name}}}}},
          {"spec", {{"ports", jp}, {"selector", {{"app", name}}}, {"type", "NodePort"}}}};
}

}  // namespace

std::string generate(container::Store& store, image::Store& images,
                     const std::vector<std::string>& names, const GenerateOptions& opts) {
  if (names.empty()) throw Error(Errc::usage, "at least one container or pod is required");
  if (opts.type != "pod" && opts.type != "deployment")
    throw Error(Errc::usage, "invalid type " + quote(opts.type), "use pod or deployment");
  container::PodStore pods(store, images);
  std::vector<container::Record> ctrs;
  std::vector<container::Pod> pod_list;
  for (const auto& n : names) {
    if (auto r = store.find(n)) {
      if (r->infra)
        throw Error(Errc::invalid, r->name + " is the infra container of a pod",
                    "generate the YAML of its pod");
      if (!r->pod.empty()) {
        auto p = container::find_pod(store.paths(), r->pod);
        throw Error(Errc::invalid,
                    "container " + r->name + " is a member of pod " + (p ? p->name : r->pod),
                    "generate the YAML of its pod");
      }
      ctrs.push_back(*r);
    } else if (auto p = pods.find(n)) {
      pod_list.push_back(*p);
    } else {
      throw Error(Errc::not_found,
                  "name or ID " + quote(n) + " not found: no such container or pod", {}, 125);
    }
  }
  if (!ctrs.empty() && !pod_list.empty())
    throw Error(Errc::usage, "containers and pods cannot be generated together",
                "name either containers or pods");
  std::vector<Generated> gens;
  if (!ctrs.empty()) {
    // Containers outside pods become one pod, named after the first, as
    // podman names it.
    std::vector<network::PortMapping> ports;
    for (const auto& r : ctrs) ports.insert(ports.end(), r.spec.ports.begin(), r.spec.ports.end());
    gens.push_back(
        pod_object(store, images, ctrs.front().name + "-pod", "", {}, ctrs, ports, false));
  }
  for (const auto& p : pod_list) {
    std::vector<container::Record> members;
    std::vector<network::PortMapping> ports;
    for (auto& r : pods.members(p)) {
      if (r.infra)
        ports = r.spec.ports;
      else
        members.push_back(std::move(r));
    }
    if (members.empty())
      throw Error(Errc::invalid, "pod " + p.name + " has no containers besides its infra container",
                  "add one with tug run --pod " + p.name);
    gens.push_back(pod_object(store, images, p.name, p.hostname, p.labels, members, ports, true));
  }
  std::string out =
      "# Save the output of this file and use kubectl create -f to import\n"
      "# it into Kubernetes.\n#\n# Created with " +
      (opts.version.empty() ? std::string("tug") : opts.version) + "\n";
  bool first = true;
  for (const auto& g : gens) {
    if (!first) out += "---\n";
    first = false;
    // podman's order: the Service first, then what it selects.
    if (opts.service && !g.ports.empty()) {
      out += to_yaml(service_of(g.pod["metadata"]["name"], g.ports));
      out += "---\n";
    }
    out += to_yaml(opts.type == "deployment" ? deployment_of(g.pod, opts.replicas) : g.pod);
  }
  return out;
}

}  // namespace tug::kube
