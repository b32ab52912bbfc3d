// Kubernetes YAML -> kube::File. Every mapping is read through Fields,
// which remembers the keys it handed out: whatever is left is warned about
// by its path (spec.containers[0].lifecycle), so nothing is dropped unseen.
#include <yaml-cpp/yaml.h>

#include <cmath>
#include <cstdlib>
#include <set>

#include "kube/kube.hpp"
#include "registry/auth.hpp"
#include "util/error.hpp"
#include "util/strings.hpp"

namespace tug::kube {

namespace {

struct Ctx {
  std::string source;
  int doc = 0;
  std::vector<std::string>* warnings = nullptr;

  std::string where(const YAML::Node& n) const {
    std::string w = source;
    if (n.IsDefined() && n.Mark().line >= 0) w += ":" + std::to_string(n.Mark().line + 1);
    return w + ": document " + std::to_string(doc);
  }
  [[noreturn]] void fail(const YAML::Node& n, const std::string& path,
                         const std::string& what) const {
    throw Error(Errc::invalid, where(n) + ": " + path + ": " + what);
  }
};

class Fields {
 public:
  Fields(const YAML::Node& n, std::string path, const Ctx& c)
      : node_(n), path_(std::move(path)), c_(c) {
    if (n.IsDefined() && !n.IsNull() && !n.IsMap()) c_.fail(n, path_, "expected a mapping");
  }
  Fields(const Fields&) = delete;
  ~Fields() {
    if (!node_.IsDefined() || !node_.IsMap()) return;
    for (const auto& kv : node_) {
      std::string key = kv.first.Scalar();
      if (used_.count(key)) continue;
      c_.warnings->push_back(c_.where(kv.first) + ": field " + sub(key) +
                             " is not supported by tug: ignored");
    }
  }
  std::string sub(const std::string& key) const { return path_.empty() ? key : path_ + "." + key; }
  const std::string& path() const { return path_; }

  YAML::Node get(const std::string& key) {
    used_.insert(key);
    if (!node_.IsDefined() || !node_.IsMap()) return YAML::Node(YAML::NodeType::Undefined);
    // The const operator[]: the other one adds the key to the mapping.
    const YAML::Node& n = node_;
    return n[key];
  }
  bool has(const std::string& key) {
    YAML::Node n = get(key);
    return n.IsDefined() && !n.IsNull();
  }
  // Known fields without a local meaning, taken quietly.
  void quiet(std::initializer_list<const char*> keys) {
    for (const char* k : keys) used_.insert(k);
  }
  std::string str(const std::string& key, bool required = false) {
    YAML::Node n = get(key);
    if (!n.IsDefined() || n.IsNull()) {
      if (required) c_.fail(node_, sub(key), "missing");
      return "";
    }
    if (!n.IsScalar()) c_.fail(n, sub(key), "expected a string");
    return n.Scalar();
  }
  int64_t integer(const std::string& key, int64_t def = 0) {
    YAML::Node n = get(key);
    if (!n.IsDefined() || n.IsNull()) return def;
    char* end = nullptr;
    std::string s = n.IsScalar() ? n.Scalar() : "";
    long long v = std::strtoll(s.c_str(), &end, 10);
    if (s.empty() || *end) c_.fail(n, sub(key), "expected an integer, got " + quote(s));
    return v;
  }
  std::optional<bool> boolean(const std::string& key) {
    YAML::Node n = get(key);
    if (!n.IsDefined() || n.IsNull()) return std::nullopt;
    std::string s = n.IsScalar() ? n.Scalar() : "";
    if (s == "true" || s == "True" || s == "TRUE") return true;
    if (s == "false" || s == "False" || s == "FALSE") return false;
    c_.fail(n, sub(key), "expected true or false, got " + quote(s));
  }
  std::vector<std::string> strings(const std::string& key) {
    YAML::Node n = get(key);
    std::vector<std::string> out;
    if (!n.IsDefined() || n.IsNull()) return out;
    if (!n.IsSequence()) c_.fail(n, sub(key), "expected a list of strings");
    for (const auto& e : n) {
      if (!e.IsScalar()) c_.fail(e, sub(key), "expected a list of strings");
      out.push_back(e.Scalar());
    }
    return out;
  }
  std::map<std::string, std::string> string_map(const std::string& key) {
    YAML::Node n = get(key);
    std::map<std::string, std::string> out;
    if (!n.IsDefined() || n.IsNull()) return out;
    if (!n.IsMap()) c_.fail(n, sub(key), "expected a mapping of strings");
    for (const auto& kv : n) {
      if (!kv.second.IsScalar() && !kv.second.IsNull())
        c_.fail(kv.second, sub(key) + "." + kv.first.Scalar(), "expected a string");
      out[kv.first.Scalar()] = kv.second.IsNull() ? "" : kv.second.Scalar();
    }
    return out;
  }
  // Each element of a list of mappings, with its path.
  template <typename F>
  void each(const std::string& key, F fn) {
    YAML::Node n = get(key);
    if (!n.IsDefined() || n.IsNull()) return;
    if (!n.IsSequence()) c_.fail(n, sub(key), "expected a list");
    size_t i = 0;
    for (const auto& e : n) {
      Fields f(e, sub(key) + "[" + std::to_string(i++) + "]", c_);
      fn(f, e);
    }
  }
  const YAML::Node& node() const { return node_; }
  const Ctx& ctx() const { return c_; }

 private:
  YAML::Node node_;
  std::string path_;
  const Ctx& c_;
  std::set<std::string> used_;
};

// An int-or-string port field: named ports are not supported.
int port_of(Fields& f, const std::string& key) {
  YAML::Node n = f.get(key);
  if (!n.IsDefined() || n.IsNull()) return 0;
  std::string s = n.IsScalar() ? n.Scalar() : "";
  char* end = nullptr;
  long v = std::strtol(s.c_str(), &end, 10);
  if (s.empty() || *end || v < 1 || v > 65535)
    f.ctx().fail(n, f.sub(key), "expected a port number (1-65535), got " + quote(s));
  return static_cast<int>(v);
}

KeyRef key_ref(Fields& f) {
  KeyRef r;
  r.name = f.str("name", true);
  r.key = f.str("key", true);
  r.optional = f.boolean("optional").value_or(false);
  return r;
}

Probe parse_probe(Fields& f) {
  Probe p;
  int handlers = 0;
  if (f.has("exec")) {
    Fields e(f.get("exec"), f.sub("exec"), f.ctx());
    p.exec = e.strings("command");
    if (p.exec.empty()) f.ctx().fail(f.get("exec"), e.sub("command"), "missing");
    ++handlers;
  }
  if (f.has("httpGet")) {
    Fields h(f.get("httpGet"), f.sub("httpGet"), f.ctx());
    p.http_path = h.str("path");
    if (p.http_path.empty()) p.http_path = "/";
    p.http_host = h.str("host");
    p.http_scheme = h.str("scheme");
    p.http_port = port_of(h, "port");
    if (!p.http_port) f.ctx().fail(f.get("httpGet"), h.sub("port"), "missing");
    ++handlers;
  }
  if (f.has("tcpSocket")) {
    Fields t(f.get("tcpSocket"), f.sub("tcpSocket"), f.ctx());
    p.tcp_host = t.str("host");
    p.tcp_port = port_of(t, "port");
    if (!p.tcp_port) f.ctx().fail(f.get("tcpSocket"), t.sub("port"), "missing");
    ++handlers;
  }
  if (handlers != 1)
    f.ctx().fail(f.node(), f.path(), "needs exactly one of exec, httpGet and tcpSocket");
  p.initial_delay = static_cast<int>(f.integer("initialDelaySeconds"));
  p.period = static_cast<int>(f.integer("periodSeconds"));
  p.timeout = static_cast<int>(f.integer("timeoutSeconds"));
  p.failure_threshold = static_cast<int>(f.integer("failureThreshold"));
  f.quiet({"successThreshold"});  // 1 is the only value liveness probes allow
  return p;
}

void parse_security(Fields& s, Container& c) {
  c.privileged = s.boolean("privileged").value_or(false);
  c.read_only_root = s.boolean("readOnlyRootFilesystem").value_or(false);
  c.allow_privilege_escalation = s.boolean("allowPrivilegeEscalation");
  if (s.has("runAsUser")) c.run_as_user = s.integer("runAsUser");
  if (s.has("runAsGroup")) c.run_as_group = s.integer("runAsGroup");
  if (s.has("capabilities")) {
    Fields caps(s.get("capabilities"), s.sub("capabilities"), s.ctx());
    c.cap_add = caps.strings("add");
    c.cap_drop = caps.strings("drop");
  }
}

Container parse_container(Fields& f) {
  Container c;
  c.name = f.str("name", true);
  if (!container::valid_name(c.name))
    f.ctx().fail(f.get("name"), f.sub("name"), "invalid container name " + quote(c.name));
  c.image = f.str("image", true);
  c.image_pull_policy = f.str("imagePullPolicy");
  if (f.has("command")) c.command = f.strings("command");
  if (f.has("args")) c.args = f.strings("args");
  c.working_dir = f.str("workingDir");
  c.stdin_open = f.boolean("stdin").value_or(false);
  c.tty = f.boolean("tty").value_or(false);
  f.each("env", [&](Fields& e, const YAML::Node&) {
    EnvVar v;
    v.name = e.str("name", true);
    v.value = e.str("value");
    if (e.has("valueFrom")) {
      Fields from(e.get("valueFrom"), e.sub("valueFrom"), e.ctx());
      if (from.has("configMapKeyRef")) {
        Fields r(from.get("configMapKeyRef"), from.sub("configMapKeyRef"), e.ctx());
        v.config_map = key_ref(r);
      } else if (from.has("secretKeyRef")) {
        Fields r(from.get("secretKeyRef"), from.sub("secretKeyRef"), e.ctx());
        v.secret = key_ref(r);
      } else {
        e.ctx().fail(e.get("valueFrom"), e.sub("valueFrom"),
                     "only configMapKeyRef and secretKeyRef are supported");
      }
    }
    c.env.push_back(v);
  });
  f.each("envFrom", [&](Fields& e, const YAML::Node& n) {
    EnvFrom ef;
    ef.prefix = e.str("prefix");
    const char* key = e.has("configMapRef") ? "configMapRef"
                      : e.has("secretRef")  ? "secretRef"
                                            : nullptr;
    if (!key) e.ctx().fail(n, e.path(), "needs configMapRef or secretRef");
    ef.secret = std::string(key) == "secretRef";
    Fields r(e.get(key), e.sub(key), e.ctx());
    ef.name = r.str("name", true);
    ef.optional = r.boolean("optional").value_or(false);
    c.env_from.push_back(ef);
  });
  f.each("ports", [&](Fields& p, const YAML::Node&) {
    Port port;
    port.container_port = port_of(p, "containerPort");
    if (!port.container_port) p.ctx().fail(p.node(), p.sub("containerPort"), "missing");
    port.host_port = port_of(p, "hostPort");
    port.host_ip = p.str("hostIP");
    std::string proto = p.str("protocol");
    if (!proto.empty()) port.protocol = proto;
    if (port.protocol != "TCP" && port.protocol != "UDP")
      p.ctx().fail(p.get("protocol"), p.sub("protocol"),
                   "unsupported protocol " + quote(port.protocol) + " (TCP or UDP)");
    p.quiet({"name"});
    c.ports.push_back(port);
  });
  f.each("volumeMounts", [&](Fields& m, const YAML::Node&) {
    VolumeMount vm;
    vm.name = m.str("name", true);
    vm.mount_path = m.str("mountPath", true);
    if (vm.mount_path.empty() || vm.mount_path[0] != '/')
      m.ctx().fail(m.get("mountPath"), m.sub("mountPath"), "must be an absolute path");
    vm.sub_path = m.str("subPath");
    vm.read_only = m.boolean("readOnly").value_or(false);
    c.volume_mounts.push_back(vm);
  });
  if (f.has("securityContext")) {
    Fields s(f.get("securityContext"), f.sub("securityContext"), f.ctx());
    parse_security(s, c);
  }
  if (f.has("resources")) {
    Fields r(f.get("resources"), f.sub("resources"), f.ctx());
    if (r.has("limits")) {
      Fields l(r.get("limits"), r.sub("limits"), f.ctx());
      c.memory = l.str("memory");
      c.cpu = l.str("cpu");
      if (!c.memory.empty()) {
        try {
          memory_bytes(c.memory);
        } catch (const Error& e) {
          f.ctx().fail(l.get("memory"), l.sub("memory"), e.what());
        }
      }
      if (!c.cpu.empty()) {
        try {
          cpu_count(c.cpu);
        } catch (const Error& e) {
          f.ctx().fail(l.get("cpu"), l.sub("cpu"), e.what());
        }
      }
    }
  }
  if (f.has("livenessProbe")) {
    Fields p(f.get("livenessProbe"), f.sub("livenessProbe"), f.ctx());
    c.liveness = parse_probe(p);
  }
  // What a cluster's kubelet alone acts on (and podman leaves alone too).
  f.quiet({"terminationMessagePath", "terminationMessagePolicy"});
  return c;
}

Volume parse_volume(Fields& f) {
  Volume v;
  v.name = f.str("name", true);
  int kinds = 0;
  if (f.has("hostPath")) {
    Fields h(f.get("hostPath"), f.sub("hostPath"), f.ctx());
    v.kind = Volume::Kind::host_path;
    v.path = h.str("path", true);
    if (v.path.empty() || v.path[0] != '/')
      f.ctx().fail(h.get("path"), h.sub("path"), "must be an absolute path");
    v.type = h.str("type");
    static const std::set<std::string> types = {"",           "Directory",    "DirectoryOrCreate",
                                                "File",       "FileOrCreate", "Socket",
                                                "CharDevice", "BlockDevice"};
    if (!types.count(v.type))
      f.ctx().fail(h.get("type"), h.sub("type"), "unknown hostPath type " + quote(v.type));
    ++kinds;
  }
  if (f.has("persistentVolumeClaim")) {
    Fields p(f.get("persistentVolumeClaim"), f.sub("persistentVolumeClaim"), f.ctx());
    v.kind = Volume::Kind::pvc;
    v.source = p.str("claimName", true);
    v.read_only = p.boolean("readOnly").value_or(false);
    ++kinds;
  }
  auto items = [&](Fields& s) {
    s.each("items", [&](Fields& it, const YAML::Node&) {
      v.items[it.str("key", true)] = it.str("path", true);
    });
    v.default_mode = static_cast<int>(s.integer("defaultMode", -1));
    v.optional = s.boolean("optional").value_or(false);
  };
  if (f.has("configMap")) {
    Fields s(f.get("configMap"), f.sub("configMap"), f.ctx());
    v.kind = Volume::Kind::config_map;
    v.source = s.str("name", true);
    items(s);
    ++kinds;
  }
  if (f.has("secret")) {
    Fields s(f.get("secret"), f.sub("secret"), f.ctx());
    v.kind = Volume::Kind::secret;
    v.source = s.str("secretName", true);
    items(s);
    ++kinds;
  }
  if (f.has("emptyDir")) {
    Fields e(f.get("emptyDir"), f.sub("emptyDir"), f.ctx());
    e.quiet({"medium", "sizeLimit"});
    v.kind = Volume::Kind::empty_dir;
    ++kinds;
  }
  if (kinds != 1)
    f.ctx().fail(f.node(), f.path(),
                 "needs exactly one of hostPath, persistentVolumeClaim, configMap, secret and "
                 "emptyDir");
  return v;
}

PodSpec parse_pod_spec(Fields& f) {
  PodSpec p;
  f.each("containers",
         [&](Fields& c, const YAML::Node&) { p.containers.push_back(parse_container(c)); });
  if (p.containers.empty()) f.ctx().fail(f.node(), f.sub("containers"), "missing");
  f.each("initContainers",
         [&](Fields& c, const YAML::Node&) { p.init_containers.push_back(parse_container(c)); });
  f.each("volumes", [&](Fields& v, const YAML::Node&) { p.volumes.push_back(parse_volume(v)); });
  p.restart_policy = f.str("restartPolicy");
  if (!p.restart_policy.empty() && p.restart_policy != "Always" &&
      p.restart_policy != "OnFailure" && p.restart_policy != "Never")
    f.ctx().fail(f.get("restartPolicy"), f.sub("restartPolicy"),
                 "unknown policy " + quote(p.restart_policy) + " (Always, OnFailure, Never)");
  p.hostname = f.str("hostname");
  p.host_network = f.boolean("hostNetwork").value_or(false);
  if (f.has("terminationGracePeriodSeconds")) {
    p.grace_period = static_cast<int>(f.integer("terminationGracePeriodSeconds"));
    if (*p.grace_period < 0)
      f.ctx().fail(f.get("terminationGracePeriodSeconds"), f.sub("terminationGracePeriodSeconds"),
                   "must not be negative");
  }
  if (f.has("securityContext")) {
    Fields s(f.get("securityContext"), f.sub("securityContext"), f.ctx());
    if (s.has("runAsUser")) p.run_as_user = s.integer("runAsUser");
    if (s.has("runAsGroup")) p.run_as_group = s.integer("runAsGroup");
  }
  std::set<std::string> names;
  for (const auto* list : {&p.init_containers, &p.containers})
    for (const auto& c : *list)
      if (!names.insert(c.name).second)
        f.ctx().fail(f.node(), f.sub("containers"),
                     "container name " + quote(c.name) + " used twice");
  std::set<std::string> vols;
  for (const auto& v : p.volumes)
    if (!vols.insert(v.name).second)
      f.ctx().fail(f.node(), f.sub("volumes"), "volume name " + quote(v.name) + " used twice");
  for (const auto* list : {&p.init_containers, &p.containers})
    for (const auto& c : *list)
      for (const auto& m : c.volume_mounts)
        if (!vols.count(m.name))
          f.ctx().fail(f.node(), f.sub("containers"),
                       "container " + quote(c.name) + " mounts volume " + quote(m.name) +
                           ", which spec.volumes does not define");
  // Cluster placement and accounting: nothing to do on one host.
  f.quiet({"dnsPolicy", "enableServiceLinks", "automountServiceAccountToken", "schedulerName",
           "terminationGracePeriodSeconds", "serviceAccountName", "serviceAccount", "nodeSelector",
           "tolerations", "affinity", "priority", "priorityClassName"});
  return p;
}

void parse_metadata(Fields& doc, Object& o) {
  Fields m(doc.get("metadata"), "metadata", doc.ctx());
  o.name = m.str("name", true);
  o.labels = m.string_map("labels");
  o.annotations = m.string_map("annotations");
  m.quiet({"creationTimestamp", "namespace", "uid", "resourceVersion", "generation"});
}

Object parse_object(const YAML::Node& n, const Ctx& c) {
  Object o;
  o.document = c.doc;
  Fields doc(n, "", c);
  o.kind = doc.str("kind", true);
  doc.quiet({"apiVersion", "status"});
  if (o.kind == "Pod") {
    parse_metadata(doc, o);
    Fields spec(doc.get("spec"), "spec", c);
    if (!spec.node().IsDefined()) c.fail(n, "spec", "missing");
    o.pod = parse_pod_spec(spec);
  } else if (o.kind == "Deployment") {
    parse_metadata(doc, o);
    Fields spec(doc.get("spec"), "spec", c);
    o.replicas = static_cast<int>(spec.integer("replicas", 1));
    if (o.replicas < 0) c.fail(spec.get("replicas"), "spec.replicas", "must not be negative");
    spec.quiet({"selector", "strategy", "revisionHistoryLimit", "progressDeadlineSeconds",
                "minReadySeconds"});
    Fields tmpl(spec.get("template"), "spec.template", c);
    if (!tmpl.has("spec")) c.fail(n, "spec.template.spec", "missing");
    {
      Fields tm(tmpl.get("metadata"), "spec.template.metadata", c);
      for (const auto& [k, v] : tm.string_map("labels")) o.labels.emplace(k, v);
      for (const auto& [k, v] : tm.string_map("annotations")) o.annotations.emplace(k, v);
      tm.quiet({"creationTimestamp", "name"});
    }
    Fields ps(tmpl.get("spec"), "spec.template.spec", c);
    o.pod = parse_pod_spec(ps);
  } else if (o.kind == "PersistentVolumeClaim") {
    parse_metadata(doc, o);
    // The claim's size and access modes mean nothing to a local volume.
    Fields spec(doc.get("spec"), "spec", c);
    spec.quiet(
        {"accessModes", "resources", "storageClassName", "volumeMode", "volumeName", "selector"});
    for (const auto& [k, v] : o.annotations)
      if (starts_with(k, "volume.podman.io/")) o.volume_options[k.substr(17)] = v;
  } else if (o.kind == "ConfigMap" || o.kind == "Secret") {
    parse_metadata(doc, o);
    o.data = doc.string_map(o.kind == "Secret" ? "stringData" : "data");
    if (o.kind == "Secret") {
      for (const auto& [k, v] : doc.string_map("data")) {
        try {
          o.data[k] = registry::base64_decode(v);
        } catch (const Error&) {
          c.fail(doc.get("data"), "data." + k, "not valid base64");
        }
      }
      doc.quiet({"type"});
    } else {
      for (const auto& [k, v] : doc.string_map("binaryData")) {
        try {
          o.data[k] = registry::base64_decode(v);
        } catch (const Error&) {
          c.fail(doc.get("binaryData"), "binaryData." + k, "not valid base64");
        }
      }
    }
    doc.quiet({"immutable"});
  } else if (o.kind == "Service") {
    // What a cluster routes; locally the pods' hostPorts publish. Taken
    // so that `kube generate --service` output plays as it is.
    parse_metadata(doc, o);
    doc.quiet({"spec"});
  } else {
    c.fail(doc.get("kind"), "kind",
           "unsupported kind " + quote(o.kind) +
               " (tug plays Pod, Deployment, PersistentVolumeClaim, ConfigMap, "
               "Secret and Service)");
  }
  return o;
}

}  // namespace

File parse(const std::string& text, const std::string& source) {
  File f;
  f.source = source;
  std::vector<YAML::Node> docs;
  try {
    docs = YAML::LoadAll(text);
  } catch (const YAML::Exception& e) {
    throw Error(Errc::invalid,
                source + ":" + std::to_string(e.mark.line + 1) + ": malformed YAML: " + e.msg);
  }
  int i = 0;
  for (const auto& d : docs) {
    ++i;
    if (!d.IsDefined() || d.IsNull()) continue;  // an empty document (a trailing ---)
    Ctx c{source, i, &f.warnings};
    if (!d.IsMap()) c.fail(d, "(document)", "expected a mapping");
    f.objects.push_back(parse_object(d, c));
  }
  if (f.objects.empty()) throw Error(Errc::invalid, source + ": no Kubernetes objects in the file");
  return f;
}

int64_t memory_bytes(const std::string& q) {
  static const std::pair<const char*, double> units[] = {
      {"Ki", 1024.0}, {"Mi", 1048576.0}, {"Gi", 1073741824.0}, {"Ti", 1099511627776.0},
      {"k", 1e3},     {"K", 1e3},        {"M", 1e6},           {"G", 1e9},
      {"T", 1e12},    {"m", 1e-3}};
  std::string num = q;
  double mult = 1;
  for (const auto& [suffix, m] : units) {
    if (ends_with(q, suffix)) {
      num = q.substr(0, q.size() - std::string(suffix).size());
      mult = m;
      break;
    }
  }
  char* end = nullptr;
  double v = std::strtod(num.c_str(), &end);
  if (num.empty() || *end || v <= 0 || !std::isfinite(v))
    throw Error(Errc::invalid, "invalid memory quantity " + quote(q) + " (e.g. 128Mi, 1G)");
  return static_cast<int64_t>(std::llround(v * mult));
}

double cpu_count(const std::string& q) {
  std::string num = q;
  double mult = 1;
  if (ends_with(q, "m")) {
    num = q.substr(0, q.size() - 1);
    mult = 1e-3;
  }
  char* end = nullptr;
  double v = std::strtod(num.c_str(), &end);
  if (num.empty() || *end || v <= 0 || !std::isfinite(v))
    throw Error(Errc::invalid, "invalid cpu quantity " + quote(q) + " (e.g. 500m, 2)");
  return v * mult;
}

}  // namespace tug::kube
