// kube play and kube down: the file's objects as pods (container/pod.hpp),
// containers made with the same CreateOptions `run --pod` fills, and named
// volumes. A play checks everything it can before it makes anything, and
// removes what it made when a later step fails.
#include <fcntl.h>
#include <sys/stat.h>

#include <cstdio>
#include <set>
#include <sstream>

#include "container/lifecycle.hpp"
#include "container/pod.hpp"
#include "kube/kube.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"
#include "util/log.hpp"
#include "util/strings.hpp"
#include "volume/volume.hpp"

namespace tug::kube {

namespace {

// Marks the volumes a play makes for emptyDir volumes: they belong to their
// pod and go with it.
const char* const kEmptyDirLabel = "io.tug.kube.emptydir";

std::string describe(const Object& o) {
  return "document " + std::to_string(o.document) + " (" + o.kind + " " + o.name + ")";
}

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string restart_of(const std::string& policy) {
  if (policy == "OnFailure") return "on-failure";
  if (policy == "Never") return "no";
  return "always";  // Kubernetes' default, and podman's
}

std::string seconds(int s) {
  return std::to_string(s) + "s";
}

// A liveness probe as run's --health-* flags. httpGet and tcpSocket run a
// client inside the container, as podman's do (curl, else wget; nc).
container::HealthFlags health_of(const Probe& p) {
  container::HealthFlags h;
  if (!p.exec.empty()) {
    json test = json::array({"CMD"});
    for (const auto& a : p.exec) test.push_back(a);
    h.cmd = test.dump();
  } else if (p.http_port) {
    std::string url = (p.http_scheme.empty() ? "http" : lower(p.http_scheme)) + "://" +
                      (p.http_host.empty() ? "localhost" : p.http_host) + ":" +
                      std::to_string(p.http_port) + p.http_path;
    h.cmd =
        json::array({"CMD-SHELL", "if command -v curl >/dev/null; then curl -fsS -o /dev/null '" +
                                      url + "'; else wget -q -O /dev/null '" + url + "'; fi"})
            .dump();
  } else {
    h.cmd = json::array({"CMD-SHELL", "nc -z " + (p.tcp_host.empty() ? "localhost" : p.tcp_host) +
                                          " " + std::to_string(p.tcp_port)})
                .dump();
  }
  if (p.period > 0) h.interval = seconds(p.period);
  if (p.timeout > 0) h.timeout = seconds(p.timeout);
  if (p.initial_delay > 0) h.start_period = seconds(p.initial_delay);
  if (p.failure_threshold > 0) h.retries = p.failure_threshold;
  return h;
}

using Data = std::map<std::string, std::map<std::string, std::string>>;

struct Sources {
  Data config_maps, secrets;
};

// The environment of c, envFrom first (in order), then env, as K=V.
std::vector<std::string> env_of(const Object& o, const Container& c, const Sources& src) {
  std::vector<std::string> env;
  auto lookup = [&](bool secret,
                    const std::string& name) -> const std::map<std::string, std::string>* {
    const Data& d = secret ? src.secrets : src.config_maps;
    auto it = d.find(name);
    return it == d.end() ? nullptr : &it->second;
  };
  for (const auto& ef : c.env_from) {
    const auto* data = lookup(ef.secret, ef.name);
    if (!data) {
      if (ef.optional) continue;
      throw Error(Errc::not_found,
                  describe(o) + ": container " + c.name + ": envFrom: " +
                      (ef.secret ? "secret " : "configmap ") + quote(ef.name) + " not found",
                  ef.secret ? "define it in a Secret document"
                            : "define it in a ConfigMap document or give it with --configmap");
    }
    for (const auto& [k, v] : *data) env.push_back(ef.prefix + k + "=" + v);
  }
  for (const auto& e : c.env) {
    const std::optional<KeyRef>& ref = e.config_map ? e.config_map : e.secret;
    if (!ref) {
      env.push_back(e.name + "=" + e.value);
      continue;
    }
    bool secret = e.secret.has_value();
    const auto* data = lookup(secret, ref->name);
    const std::string* value = nullptr;
    if (data) {
      auto it = data->find(ref->key);
      if (it != data->end()) value = &it->second;
    }
    if (!value) {
      if (ref->optional) continue;
      throw Error(Errc::not_found,
                  describe(o) + ": container " + c.name + ": env " + e.name + ": " +
                      (secret ? "secret " : "configmap ") + quote(ref->name) +
                      (data ? " has no key " + quote(ref->key) : " not found"),
                  secret ? "define it in a Secret document"
                         : "define it in a ConfigMap document or give it with --configmap");
    }
    env.push_back(e.name + "=" + *value);
  }
  return env;
}

std::vector<std::string> names_of(const Object& o, int replicas) {
  if (o.kind == "Pod") return {o.name};
  std::vector<std::string> out;
  if (replicas == 1) return {o.name + "-pod"};
  for (int i = 0; i < replicas; ++i) out.push_back(o.name + "-pod-" + std::to_string(i));
  return out;
}

bool plays_pods(const Object& o) {
  return o.kind == "Pod" || o.kind == "Deployment";
}

// Volumes a pod's configMap/secret volumes are kept in: named as the
// configMap or secret, as podman names them.
std::string data_volume_name(const Volume& v) {
  return v.source;
}

std::string empty_dir_name(const std::string& pod, const Volume& v) {
  return pod + "-" + v.name;
}

class Player {
 public:
  Player(container::Store& store, image::Store& images, const File& file, const PlayOptions& o)
      : store_(store),
        images_(images),
        file_(file),
        o_(o),
        pods_(store, images),
        vols_(store.paths(), store.mapping()) {}

  PlayResult run() {
    gather_sources();
    check();
    for (const auto& obj : file_.objects)
      if (plays_pods(obj))
        for (const auto& c : all_containers(obj.pod)) o_.pull(c.image, c.image_pull_policy);
    try {
      for (const auto& obj : file_.objects) {
        try {
          play_object(obj);
        } catch (Error& e) {
          e.add_context(file_.source + ": " + describe(obj));
          throw;
        }
      }
    } catch (...) {
      undo();
      throw;
    }
    return result_;
  }

 private:
  static std::vector<Container> all_containers(const PodSpec& p) {
    std::vector<Container> all = p.init_containers;
    all.insert(all.end(), p.containers.begin(), p.containers.end());
    return all;
  }

  void gather_sources() {
    for (const auto& path : o_.configmaps) {
      std::string text;
      try {
        text = read_file(path);
      } catch (Error& e) {
        e.add_context("--configmap " + path);
        throw;
      }
      File f = parse(text, path);
      for (const auto& w : f.warnings) o_.warn(w);
      for (const auto& obj : f.objects) {
        if (obj.kind != "ConfigMap")
          throw Error(Errc::invalid, path + ": " + describe(obj) +
                                         ": --configmap files hold ConfigMap documents only");
        src_.config_maps[obj.name] = obj.data;
      }
    }
    for (const auto& obj : file_.objects) {
      if (obj.kind == "ConfigMap") src_.config_maps[obj.name] = obj.data;
      if (obj.kind == "Secret") src_.secrets[obj.name] = obj.data;
    }
  }

  // Everything that can be known to fail before the first change.
  void check() {
    std::set<std::string> names;
    for (const auto& obj : file_.objects) {
      if (!plays_pods(obj)) continue;
      auto where = [&] { return file_.source + ": " + describe(obj); };
      for (const auto& name : names_of(obj, obj.replicas)) {
        if (!container::valid_name(name))
          throw Error(Errc::invalid, where() + ": invalid pod name " + quote(name));
        if (!names.insert(name).second)
          throw Error(Errc::invalid, where() + ": pod " + quote(name) + " is defined twice");
        if (!o_.replace) {
          if (auto p = pods_.find(name); p && p->name == name)
            throw Error(Errc::exists,
                        where() + ": the pod name " + quote(name) + " is already in use by " +
                            p->id.substr(0, 12),
                        "remove it with tug kube down, or play with --replace");
          for (const auto& c : all_containers(obj.pod))
            if (auto r = store_.find(name + "-" + c.name); r && r->name == name + "-" + c.name)
              throw Error(Errc::exists,
                          where() + ": the container name " + quote(r->name) +
                              " is already in use by " + r->id.substr(0, 12),
                          "remove it, or play with --replace");
        }
      }
      for (const auto& c : all_containers(obj.pod)) {
        try {
          env_of(obj, c, src_);
        } catch (Error& e) {
          e.add_context(file_.source);
          throw;
        }
      }
      for (const auto& v : obj.pod.volumes) {
        if (v.kind == Volume::Kind::host_path) {
          bool exists = path_exists(v.path);
          if ((v.type == "Directory" && !is_directory(v.path)) ||
              (!exists && (v.type == "File" || v.type == "Socket" || v.type == "CharDevice" ||
                           v.type == "BlockDevice")))
            throw Error(Errc::not_found, where() + ": volume " + v.name + ": hostPath " + v.path +
                                             " (type " + v.type + ") does not exist");
        } else if (v.kind == Volume::Kind::config_map || v.kind == Volume::Kind::secret) {
          const Data& d = v.kind == Volume::Kind::secret ? src_.secrets : src_.config_maps;
          if (!d.count(v.source) && !v.optional)
            throw Error(Errc::not_found,
                        where() + ": volume " + v.name + ": " +
                            (v.kind == Volume::Kind::secret ? "secret " : "configmap ") +
                            quote(v.source) + " not found");
          if (!volume::valid_name(data_volume_name(v)))
            throw Error(Errc::invalid, where() + ": volume " + v.name + ": " + quote(v.source) +
                                           " is no valid volume name");
        }
      }
    }
  }

  void undo() {
    for (auto it = made_pods_.rbegin(); it != made_pods_.rend(); ++it) {
      try {
        if (auto p = pods_.find(*it)) pods_.remove(*p, true);
      } catch (const Error& e) {
        log_warn("removing pod " + it->substr(0, 12) + ": " + e.what());
      }
    }
    for (const auto& v : made_volumes_) {
      try {
        vols_.remove(v);
      } catch (const Error& e) {
        log_warn("removing volume " + v + ": " + e.what());
      }
    }
  }

  // Creates the named volume unless it exists; remembers it when new.
  volume::Volume ensure_volume(const std::string& name,
                               const std::map<std::string, std::string>& labels = {},
                               const std::map<std::string, std::string>& options = {}) {
    auto [v, created] = vols_.create(name, false, labels, true, options);
    if (created) {
      made_volumes_.push_back(name);
      result_.volumes.push_back(name);
    }
    return v;
  }

  void play_object(const Object& obj) {
    if (obj.kind == "PersistentVolumeClaim") {
      std::map<std::string, std::string> options;
      for (const auto& [k, v] : obj.volume_options) {
        if (k == "uid" || k == "gid")
          options[k] = v;
        else
          o_.warn(file_.source + ": " + describe(obj) + ": annotation volume.podman.io/" + k +
                  " is not supported by tug: ignored");
      }
      ensure_volume(obj.name, obj.labels, options);
      return;
    }
    if (!plays_pods(obj)) return;
    if (obj.kind == "Deployment" && obj.replicas > kReplicaWarn)
      o_.warn(file_.source + ": " + describe(obj) + ": " + std::to_string(obj.replicas) +
              " replicas: " + std::to_string(obj.replicas) + " pods on this one host (more than " +
              std::to_string(kReplicaWarn) + ")");
    for (const auto& name : names_of(obj, obj.replicas)) play_pod(obj, name);
  }

  // The -v arguments of the pod's volumes, by volume name.
  std::map<std::string, std::string> volume_sources(const Object& obj, const std::string& pod) {
    std::map<std::string, std::string> out;
    for (const auto& v : obj.pod.volumes) {
      switch (v.kind) {
        case Volume::Kind::host_path:
          if (v.type == "DirectoryOrCreate" && !path_exists(v.path)) make_dirs(v.path, 0755);
          if (v.type == "FileOrCreate" && !path_exists(v.path)) {
            make_dirs(v.path.substr(0, v.path.rfind('/')), 0755);
            write_file(v.path, "", 0644);
          }
          out[v.name] = v.path;
          break;
        case Volume::Kind::pvc:
          ensure_volume(v.source);
          out[v.name] = v.source;
          break;
        case Volume::Kind::config_map:
        case Volume::Kind::secret: {
          const Data& d = v.kind == Volume::Kind::secret ? src_.secrets : src_.config_maps;
          auto it = d.find(v.source);
          volume::Volume vol = ensure_volume(data_volume_name(v));
          if (it != d.end()) fill(vol.mountpoint, v, it->second);
          out[v.name] = vol.name;
          break;
        }
        case Volume::Kind::empty_dir: {
          std::string name = empty_dir_name(pod, v);
          if (vols_.find(name)) vols_.remove(name);  // a stale one of an earlier pod
          ensure_volume(name, {{kEmptyDirLabel, pod}});
          out[v.name] = name;
          break;
        }
      }
    }
    return out;
  }

  // Writes a configMap's or secret's keys as files of the volume (its
  // items only when listed), over what an earlier play wrote (a key
  // dropped since stays as a file until the volume is removed).
  void fill(const std::string& dir, const Volume& v,
            const std::map<std::string, std::string>& data) {
    mode_t mode = v.default_mode >= 0 ? static_cast<mode_t>(v.default_mode) : 0644;
    for (const auto& [key, value] : data) {
      std::string rel = key;
      if (!v.items.empty()) {
        auto it = v.items.find(key);
        if (it == v.items.end()) continue;
        rel = it->second;
      }
      if (rel.empty() || rel[0] == '/' || rel.find("..") != std::string::npos)
        throw Error(Errc::invalid, "volume " + v.name + ": bad item path " + quote(rel));
      std::string path = dir + "/" + rel;
      if (auto slash = path.rfind('/'); slash > dir.size()) make_dirs(path.substr(0, slash), 0755);
      write_file(path, value, mode);
      ::chmod(path.c_str(), mode);
    }
  }

  container::CreateOptions options_for(const Object& obj, const Container& c,
                                       const container::Pod& pod,
                                       const std::map<std::string, std::string>& sources,
                                       bool init) {
    container::CreateOptions o;
    o.image = c.image;
    o.name = pod.name + "-" + c.name;
    o.pod = pod.id;
    o.replace = o_.replace;
    // Kubernetes' command is the entrypoint, args the Cmd; CreateOptions'
    // entrypoint is one word (as --entrypoint), the rest goes first in the
    // command, as compose's entrypoint lists do.
    if (c.command) {
      if (c.command->empty()) {
        o.entrypoint = "";
      } else {
        o.entrypoint = c.command->front();
        o.command.assign(c.command->begin() + 1, c.command->end());
      }
      if (c.args) o.command.insert(o.command.end(), c.args->begin(), c.args->end());
    } else if (c.args) {
      o.command = *c.args;
    }
    o.env = env_of(obj, c, src_);
    if (!c.working_dir.empty()) o.workdir = c.working_dir;
    for (const auto& m : c.volume_mounts) {
      std::string source = sources.at(m.name);
      if (!m.sub_path.empty()) {
        if (m.sub_path[0] == '/' || m.sub_path.find("..") != std::string::npos)
          throw Error(Errc::invalid, "container " + c.name + ": volumeMount " + m.name +
                                         ": bad subPath " + quote(m.sub_path));
        // A subPath is a path under a host directory: a named volume's
        // directory is its _data.
        if (source[0] != '/') source = vols_.get(source).mountpoint;
        source += "/" + m.sub_path;
      }
      bool ro = m.read_only;
      for (const auto& v : obj.pod.volumes)
        if (v.name == m.name &&
            (v.read_only || v.kind == Volume::Kind::config_map || v.kind == Volume::Kind::secret))
          ro = true;
      o.volumes.push_back(source + ":" + m.mount_path + (ro ? ":ro" : ""));
    }
    o.privileged = c.privileged;
    o.cap_add = c.cap_add;
    o.cap_drop = c.cap_drop;
    o.read_only = c.read_only_root;
    if (c.allow_privilege_escalation == false) o.security_opt.push_back("no-new-privileges");
    std::optional<int64_t> uid = c.run_as_user ? c.run_as_user : obj.pod.run_as_user;
    std::optional<int64_t> gid = c.run_as_group ? c.run_as_group : obj.pod.run_as_group;
    if (uid)
      o.user = std::to_string(*uid) + (gid ? ":" + std::to_string(*gid) : "");
    else if (gid)
      throw Error(Errc::unsupported, "container " + c.name + ": runAsGroup without runAsUser",
                  "set runAsUser too");
    if (!c.memory.empty()) o.memory = std::to_string(memory_bytes(c.memory));
    if (!c.cpu.empty()) {
      char buf[32];
      std::snprintf(buf, sizeof buf, "%g", cpu_count(c.cpu));
      o.cpus = buf;
    }
    o.restart = init ? "no" : restart_of(obj.pod.restart_policy);
    if (obj.pod.grace_period) o.stop_timeout = *obj.pod.grace_period;
    if (c.liveness) o.health = health_of(*c.liveness);
    o.tty = c.tty;
    o.interactive = c.stdin_open;
    auto annotations = obj.annotations;
    for (const auto& [k, v] : o_.annotations) annotations[k] = v;
    auto ann = annotations.find("io.podman.annotations.init/" + c.name);
    if (ann != annotations.end() && lower(ann->second) == "true") o.init = true;
    // podman's auto-update annotations: per container, else for the pod.
    ann = annotations.find("io.containers.autoupdate/" + c.name);
    if (ann == annotations.end()) ann = annotations.find("io.containers.autoupdate");
    if (ann != annotations.end()) o.labels.push_back("io.containers.autoupdate=" + ann->second);
    o.labels.insert(o.labels.end(), o_.labels.begin(), o_.labels.end());
    return o;
  }

  void play_pod(const Object& obj, const std::string& name) {
    if (auto old = pods_.find(name); old && old->name == name) {
      // --replace (check() refused it otherwise): as kube down would.
      pods_.stop(*old, obj.pod.grace_period.value_or(0));
      pods_.remove(*old, true);
    }
    container::PodOptions po;
    po.name = name;
    po.hostname = obj.pod.hostname;
    po.network = obj.pod.host_network ? "host" : o_.network;
    for (const auto& [k, v] : obj.labels) po.labels.push_back(k + "=" + v);
    if (!o_.publish.empty()) {
      po.publish = o_.publish;
    } else {
      for (const auto& c : obj.pod.containers)
        for (const auto& p : c.ports)
          if (p.host_port)
            po.publish.push_back((p.host_ip.empty() ? "" : p.host_ip + ":") +
                                 std::to_string(p.host_port) + ":" +
                                 std::to_string(p.container_port) + "/" + lower(p.protocol));
    }
    container::Pod pod = pods_.create(po);
    made_pods_.push_back(pod.id);
    PlayedPod played{pod.name, pod.id, {}};
    auto sources = volume_sources(obj, name);
    for (const auto& c : obj.pod.init_containers) {
      container::Record r =
          container::create(store_, images_, options_for(obj, c, pod, sources, true));
      if (!o_.start) continue;
      // Init containers run one after the other, each to its end, before
      // the pod's containers are made; they go once they succeeded.
      container::start(store_, images_, r, {});
      int code = container::wait_exit(store_, r);
      if (code != 0)
        throw Error(Errc::generic,
                    "init container " + c.name + " exited with code " + std::to_string(code),
                    "tug logs " + r.name + " shows its output");
      container::remove(store_, r, true);
    }
    for (const auto& c : obj.pod.containers) {
      container::Record r =
          container::create(store_, images_, options_for(obj, c, pod, sources, false));
      played.containers.push_back(r.id);
    }
    if (o_.start) pods_.start(pod);
    result_.pods.push_back(played);
  }

  container::Store& store_;
  image::Store& images_;
  const File& file_;
  const PlayOptions& o_;
  container::PodStore pods_;
  volume::Store vols_;
  Sources src_;
  PlayResult result_;
  std::vector<std::string> made_pods_, made_volumes_;
};

}  // namespace

std::vector<std::string> pod_names(const Object& o) {
  if (!plays_pods(o)) return {};
  return names_of(o, o.replicas);
}

PlayResult play(container::Store& store, image::Store& images, const File& file,
                const PlayOptions& opts) {
  PlayOptions o = opts;
  if (!o.warn) o.warn = [](const std::string& w) { log_warn(w); };
  if (!o.pull) o.pull = [](const std::string&, const std::string&) {};
  return Player(store, images, file, o).run();
}

DownResult down(container::Store& store, image::Store& images, const File& file, bool force) {
  DownResult res;
  container::PodStore pods(store, images);
  volume::Store vols(store.paths(), store.mapping());
  std::set<std::string> volumes, empty_dirs;
  for (const auto& obj : file.objects) {
    if (obj.kind == "PersistentVolumeClaim") volumes.insert(obj.name);
    if (!plays_pods(obj)) continue;
    for (const auto& v : obj.pod.volumes) {
      if (v.kind == Volume::Kind::pvc) volumes.insert(v.source);
      if (v.kind == Volume::Kind::config_map || v.kind == Volume::Kind::secret)
        volumes.insert(data_volume_name(v));
    }
    // Every replica count a play may have used: a Deployment edited
    // between play and down still comes down whole.
    std::set<std::string> names;
    for (const auto& n : names_of(obj, 1)) names.insert(n);
    for (const auto& p : pods.list())
      if (obj.kind == "Deployment" && starts_with(p.name, obj.name + "-pod-")) names.insert(p.name);
    for (const auto& name : names) {
      auto p = pods.find(name);
      if (!p || p->name != name) continue;
      pods.stop(*p, obj.pod.grace_period.value_or(0));
      pods.remove(*p, true);
      res.pods.push_back(p->id);
      for (const auto& v : obj.pod.volumes)
        if (v.kind == Volume::Kind::empty_dir) empty_dirs.insert(empty_dir_name(name, v));
    }
  }
  for (const auto& v : empty_dirs)
    if (vols.find(v)) vols.remove(v);
  if (!force) return res;
  std::set<std::string> in_use;
  for (const auto& r : store.list())
    for (const auto& v : container::volumes_of(r)) in_use.insert(v);
  for (const auto& v : volumes) {
    if (!vols.find(v)) continue;
    if (in_use.count(v)) {
      log_warn("volume " + v + " is in use by a container: kept");
      continue;
    }
    vols.remove(v);
    res.volumes.push_back(v);
  }
  return res;
}

}  // namespace tug::kube
