// tug kube play|down|generate (and `tug generate kube`): Kubernetes YAML
// (see kube/kube.hpp); this file only gathers flags and prints.
#include "kube/kube.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstdlib>

#include "build_info.hpp"
#include "cli/commands.hpp"
#include "cli/registry_flags.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"
#include "util/log.hpp"
#include "util/strings.hpp"

namespace tug::cli {

namespace {

// The file's text, or stdin's for "-".
kube::File read_kube_file(const std::string& path) {
  std::string text;
  if (path == "-") {
    char buf[65536];
    for (;;) {
      ssize_t n = ::read(0, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) throw_errno("reading the YAML from stdin");
      if (n == 0) break;
      text.append(buf, static_cast<size_t>(n));
    }
  } else {
    if (!path_exists(path))
      throw Error(Errc::not_found, "kube file " + path + ": no such file or directory");
    text = read_file(path);
  }
  kube::File f = kube::parse(text, path == "-" ? "(stdin)" : path);
  for (const auto& w : f.warnings) log_warn(w);
  return f;
}

void print_down(const kube::DownResult& r) {
  if (!r.pods.empty()) {
    out("Pods stopped:");
    for (const auto& id : r.pods) out(id);
    out("Pods removed:");
    for (const auto& id : r.pods) out(id);
  }
  if (!r.volumes.empty()) {
    out("Volumes removed:");
    for (const auto& v : r.volumes) out(v);
  }
}

struct GenerateFlags {
  bool service = false;
  std::string file, type = "pod";
  int replicas = 1;
  std::vector<std::string> names;
};

void setup_generate(CLI::App* c, Globals& g) {
  auto f = std::make_shared<GenerateFlags>();
  c->add_flag("-s,--service", f->service, "Also generate a Service of type NodePort for the ports");
  c->add_option("-f,--filename", f->file, "Write the YAML to this file instead of stdout");
  c->add_option("-t,--type", f->type, "Kind of object to generate: pod or deployment");
  c->add_option("-r,--replicas", f->replicas, "Replicas of a deployment (default 1)");
  c->add_option("CONTAINER|POD", f->names, "Containers or pods")->required();
  c->callback([f, &g] {
    kube::GenerateOptions o;
    o.service = f->service;
    o.type = f->type;
    if (f->replicas < 1) throw Error(Errc::usage, "--replicas must be at least 1");
    if (f->replicas != 1 && f->type != "deployment")
      throw Error(Errc::usage, "--replicas is only used with --type deployment");
    o.replicas = f->replicas;
    o.version = std::string("tug-") + TUG_VERSION;
    container::Store store(g.paths(), g.mapping());
    std::string yaml = kube::generate(store, g.images(), f->names, o);
    if (f->file.empty()) {
      std::fwrite(yaml.data(), 1, yaml.size(), stdout);
      return;
    }
    if (path_exists(f->file))
      throw Error(Errc::exists, "cannot write to " + quote(f->file) + ": the file exists",
                  "remove it first, or choose another name");
    write_file(f->file, yaml, 0644);
  });
}

void setup_play(CLI::App* play, Globals& g) {
  struct PlayFlags {
    bool replace = false, start = true, down = false;
    std::string network, file;
    std::vector<std::string> configmaps, publish, annotations;
  };
  auto pf = std::make_shared<PlayFlags>();
  play->add_flag("--replace", pf->replace, "Replace pods and containers of the same names");
  play->add_flag("--start", pf->start, "Start the pods (default true; --start=false only creates)");
  play->add_flag("--down", pf->down, "Remove what the file made instead (as kube down)");
  play->add_option("--network", pf->network, "Network the pods join");
  play->add_option("--configmap", pf->configmaps, "A YAML file of ConfigMap documents")
      ->delimiter(',')
      ->allow_extra_args(false);
  play->add_option("--publish", pf->publish,
                   "Publish ports [[IP:][HOSTPORT]:]CTRPORT[/PROTO] instead of the hostPorts")
      ->allow_extra_args(false);
  play->add_option("--annotation", pf->annotations,
                   "Add an annotation KEY=VALUE to every object (io.containers.autoupdate...)")
      ->allow_extra_args(false);
  play->add_option("FILE", pf->file, "The YAML file (- for stdin)")->required();
  play->callback([pf, &g] {
    kube::File file = read_kube_file(pf->file);
    container::Store store(g.paths(), g.mapping());
    if (pf->down) {
      print_down(kube::down(store, g.images(), file, false));
      return;
    }
    kube::PlayOptions o;
    o.replace = pf->replace;
    o.start = pf->start;
    o.network = pf->network;
    o.configmaps = pf->configmaps;
    o.publish = pf->publish;
    for (const auto& a : pf->annotations) {
      bool ok = false;
      auto [k, v] = split_once(a, '=', &ok);
      if (!ok || k.empty())
        throw Error(Errc::usage, "invalid --annotation " + quote(a), "use KEY=VALUE");
      o.annotations[k] = v;
    }
    // Under a Quadlet unit (Environment=PODMAN_SYSTEMD_UNIT=%n), as run
    // labels its container: auto-update restarts that unit.
    if (const char* unit = std::getenv("PODMAN_SYSTEMD_UNIT"); unit && *unit)
      o.labels.push_back(std::string("PODMAN_SYSTEMD_UNIT=") + unit);
    o.pull = [&g](const std::string& image, const std::string& policy) {
      std::string p = policy == "Always" ? "always" : policy == "Never" ? "never" : "missing";
      RegistryFlags rf;
      ensure_image(g, image, p, rf.options());
    };
    kube::PlayResult r = kube::play(store, g.images(), file, o);
    // podman's report: volumes, then each pod and its containers.
    if (!r.volumes.empty()) {
      out(r.volumes.size() == 1 ? "Volume:" : "Volumes:");
      for (const auto& v : r.volumes) out(v);
    }
    for (const auto& p : r.pods) {
      out("Pod:");
      out(p.id);
      out(p.containers.size() == 1 ? "Container:" : "Containers:");
      for (const auto& id : p.containers) out(id);
      out("");
    }
  });
}

}  // namespace

void setup_generate_kube(CLI::App* c, Globals& g) {
  setup_generate(c, g);
}

void register_kube(CLI::App& app, Globals& g) {
  CLI::App* k =
      add_command(app, "kube", "Play or remove pods from Kubernetes YAML, or generate it");
  k->require_subcommand(1);
  setup_play(add_command(*k, "play", "Create pods, containers and volumes from Kubernetes YAML"),
             g);

  struct DownFlags {
    bool force = false;
    std::string file;
  };
  auto df = std::make_shared<DownFlags>();
  CLI::App* down =
      add_command(*k, "down", "Remove the pods (and with --force the volumes) of Kubernetes YAML");
  down->add_flag("--force", df->force, "Remove the volumes the file's claims and data made too");
  down->add_option("FILE", df->file, "The YAML file (- for stdin)")->required();
  down->callback([df, &g] {
    kube::File file = read_kube_file(df->file);
    container::Store store(g.paths(), g.mapping());
    print_down(kube::down(store, g.images(), file, df->force));
  });

  setup_generate(add_command(*k, "generate", "Generate Kubernetes YAML from containers or pods"),
                 g);
}

// podman's older spelling, `play kube`.
void register_play(CLI::App& app, Globals& g) {
  CLI::App* p = add_command(app, "play", "Play Kubernetes YAML (as kube play)");
  p->require_subcommand(1);
  setup_play(add_command(*p, "kube", "Create pods, containers and volumes from Kubernetes YAML"),
             g);
}

}  // namespace tug::cli
