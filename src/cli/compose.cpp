// tug compose: multi-container projects from compose files (compose/). The
// model comes from compose::load; this file turns services into containers,
// networks and volumes with the modules below, labelled like docker
// compose's so that `up` after an edit recreates only what changed and
// `down` finds everything it made.
#include "compose/compose.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <ctime>
#include <set>

#include "build/build.hpp"
#include "cli/commands.hpp"
#include "cli/container_flags.hpp"
#include "cli/format.hpp"
#include "container/health.hpp"
#include "container/lifecycle.hpp"
#include "container/processes.hpp"
#include "events/events.hpp"
#include "network/networks.hpp"
#include "registry/registry.hpp"
#include "util/digest.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"
#include "util/log.hpp"
#include "util/strings.hpp"
#include "volume/volume.hpp"

extern char** environ;

namespace tug::cli {

namespace {

// docker compose shows images as the compose file names them: the stored
// "localhost/b-app:latest" or "docker.io/library/busybox:latest" as
// "b-app:latest", "busybox:latest".
std::string familiar_image(const std::string& name) {
  for (const char* prefix : {"docker.io/library/", "docker.io/", "localhost/"})
    if (starts_with(name, prefix) &&
        name.find('/', std::string(prefix).size()) == std::string::npos)
      return name.substr(std::string(prefix).size());
  if (starts_with(name, "localhost/") || starts_with(name, "docker.io/"))
    return name.substr(name.find('/') + 1);
  return name;
}

// compose ps shows "busybox" for busybox:latest, as the file names it.
std::string strip_latest(const std::string& name) {
  return ends_with(name, ":latest") ? name.substr(0, name.size() - 7) : name;
}

const std::string kProject = "com.docker.compose.project";
const std::string kService = "com.docker.compose.service";
const std::string kNumber = "com.docker.compose.container-number";
const std::string kOneoff = "com.docker.compose.oneoff";
const std::string kWorkdir = "com.docker.compose.project.working_dir";
const std::string kFiles = "com.docker.compose.project.config_files";
const std::string kHash = "com.docker.compose.config-hash";
const std::string kNetworkKey = "com.docker.compose.network";
const std::string kVolumeKey = "com.docker.compose.volume";

struct ComposeFlags {
  std::vector<std::string> files;
  std::string project;
  std::vector<std::string> profiles;
  std::string project_directory;
};

compose::Project load_project(const ComposeFlags& cf) {
  compose::LoadOptions o;
  o.files = cf.files;
  o.project_name = cf.project;
  o.profiles = cf.profiles;
  o.project_directory = cf.project_directory;
  for (char** e = environ; e && *e; ++e) {
    auto [k, v] = split_once(*e, '=');
    o.environment[k] = v;
  }
  return compose::load(o);
}

// Progress lines go to stderr, as docker compose's do.
void progress(const std::string& what, const std::string& name, const std::string& state) {
  std::string line = " " + what + " " + name + "  " + state + "\n";
  std::fwrite(line.data(), 1, line.size(), stderr);
}

std::string label(const container::Record& r, const std::string& key) {
  auto it = r.labels.find(key);
  return it == r.labels.end() ? "" : it->second;
}

// The project's containers (one-off `run` containers only when asked),
// ordered by service and number.
std::vector<container::Record> project_containers(const container::Store& store,
                                                  const std::string& project, bool oneoff = false) {
  std::vector<container::Record> out;
  for (const auto& s : store.summaries()) {
    auto it = s.labels.find(kProject);
    if (it == s.labels.end() || it->second != project) continue;
    auto of = s.labels.find(kOneoff);
    if (!oneoff && of != s.labels.end() && of->second == "True") continue;
    if (auto r = store.find(s.id); r && r->id == s.id) out.push_back(*r);
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
    return std::make_pair(label(a, kService), a.name) < std::make_pair(label(b, kService), b.name);
  });
  return out;
}

std::vector<container::Record> service_containers(const container::Store& store,
                                                  const std::string& project,
                                                  const std::string& service) {
  std::vector<container::Record> out;
  for (auto& r : project_containers(store, project))
    if (label(r, kService) == service) out.push_back(r);
  return out;
}

// Containers of the named services (all of the project's when none).
std::vector<container::Record> selected(const container::Store& store, const compose::Project& p,
                                        const std::vector<std::string>& services,
                                        bool oneoff = false) {
  for (const auto& s : services) p.get(s);
  std::vector<container::Record> out;
  for (auto& r : project_containers(store, p.name, oneoff))
    if (services.empty() ||
        std::find(services.begin(), services.end(), label(r, kService)) != services.end())
      out.push_back(r);
  return out;
}

std::string image_of(const compose::Project& p, const compose::Service& s) {
  return s.image.empty() ? p.name + "-" + s.name : s.image;
}

std::vector<std::string> network_keys(const compose::Service& s) {
  std::vector<std::string> keys;
  if (!s.networks_set) return {"default"};
  for (const auto& n : s.networks) keys.push_back(n.name);
  return keys;
}

container::CreateOptions create_options(const compose::Project& p, const compose::Service& s) {
  container::CreateOptions o;
  o.image = image_of(p, s);
  if (s.healthcheck.set) {
    // The service's healthcheck over the image's, field by field, as
    // run's --health-* flags do.
    const auto& h = s.healthcheck;
    o.health.disable = h.disable;
    if (!h.test.empty()) o.health.cmd = json(h.test).dump();
    if (!h.interval.empty()) o.health.interval = h.interval;
    if (!h.timeout.empty()) o.health.timeout = h.timeout;
    if (!h.start_period.empty()) o.health.start_period = h.start_period;
    if (h.retries > 0) o.health.retries = h.retries;
  }
  std::vector<std::string> prefix;
  if (s.entrypoint) {
    if (s.entrypoint->empty()) {
      o.entrypoint = "";
    } else {
      o.entrypoint = (*s.entrypoint)[0];
      prefix.assign(s.entrypoint->begin() + 1, s.entrypoint->end());
    }
  }
  o.command = prefix;
  if (s.command) o.command.insert(o.command.end(), s.command->begin(), s.command->end());
  o.env = s.environment;
  o.env_files = s.env_files;
  if (!s.working_dir.empty()) o.workdir = s.working_dir;
  if (!s.user.empty()) o.user = s.user;
  o.hostname = s.hostname;
  std::vector<std::string> nets;
  for (const auto& key : network_keys(s)) nets.push_back(p.network_name(key));
  o.network = join(nets, ",");
  // Services find each other by service name on every network they share.
  o.network_aliases = {s.name};
  for (const auto& n : s.networks) {
    std::string real = p.network_name(n.name);
    if (!n.aliases.empty()) o.aliases_on[real] = n.aliases;
    if (!n.ipv4_address.empty()) o.ip_on[real] = n.ipv4_address;
  }
  o.publish = s.ports;
  for (auto v : s.volumes) {
    auto parts = split(v, ':');
    if (parts.size() >= 2 && !starts_with(parts[0], "/")) {
      parts[0] = p.volumes.at(parts[0]).name;
      v = join(parts, ":");
    }
    o.volumes.push_back(v);
  }
  o.tmpfs = s.tmpfs;
  o.add_hosts = s.extra_hosts;
  o.dns = s.dns;
  o.cap_add = s.cap_add;
  o.cap_drop = s.cap_drop;
  for (const auto& [k, v] : s.labels) o.labels.push_back(k + "=" + v);
  o.read_only = s.read_only;
  o.init = s.init;
  o.stop_signal = s.stop_signal;
  o.stop_timeout = s.stop_grace_period;
  o.memory = s.memory;
  o.cpus = s.cpus;
  if (!s.restart.empty()) o.restart = s.restart;
  return o;
}

void add_compose_labels(container::CreateOptions& o, const compose::Project& p,
                        const compose::Service& s, const std::string& number, bool oneoff) {
  o.labels.push_back(kProject + "=" + p.name);
  o.labels.push_back(kService + "=" + s.name);
  o.labels.push_back(kNumber + "=" + number);
  o.labels.push_back(kOneoff + "=" + (oneoff ? "True" : "False"));
  o.labels.push_back(kWorkdir + "=" + p.working_dir);
  o.labels.push_back(kFiles + "=" + join(p.config_files, ","));
  o.labels.push_back(kHash + "=" + compose::config_hash(s));
}

// Networks and volumes the services need, created when missing.
void ensure_resources(Globals& g, const compose::Project& p,
                      const std::vector<std::string>& order) {
  network::NetworkStore nets(g.paths());
  std::set<std::string> keys;
  for (const auto& name : order)
    for (const auto& k : network_keys(p.get(name))) keys.insert(k);
  for (const auto& key : keys) {
    compose::NetworkDef d;
    if (auto it = p.networks.find(key); it != p.networks.end()) d = it->second;
    std::string real = p.network_name(key);
    if (nets.find(real)) continue;
    if (d.external)
      throw Error(Errc::not_found,
                  "network " + real + " declared as external, but could not be found",
                  "create it with tug network create " + real);
    network::CreateRequest req;
    req.name = real;
    req.subnet = d.subnet;
    req.internal = d.internal;
    req.labels = d.labels;
    req.labels[kProject] = p.name;
    req.labels[kNetworkKey] = key;
    nets.create(req);
    progress("Network", real, "Created");
  }
  volume::Store vols(g.paths(), g.mapping());
  for (const auto& [key, v] : p.volumes) {
    if (vols.find(v.name)) continue;
    if (v.external)
      throw Error(Errc::not_found,
                  "volume " + quote(v.name) + " declared as external, but could not be found",
                  "create it with tug volume create " + v.name);
    auto labels = v.labels;
    labels[kProject] = p.name;
    labels[kVolumeKey] = key;
    vols.create(v.name, false, labels, true);
    progress("Volume", v.name, "Created");
  }
}

void build_service(Globals& g, const compose::Project& p, const compose::Service& s) {
  build::Options o;
  o.context = s.build.context;
  if (!s.build.dockerfile.empty())
    o.file = starts_with(s.build.dockerfile, "/") ? s.build.dockerfile
                                                  : s.build.context + "/" + s.build.dockerfile;
  o.tags = {image_of(p, s)};
  o.target = s.build.target;
  for (const auto& [k, v] : s.build.args) o.build_args.emplace_back(k, v);
  o.quiet = true;
  registry::Options ro;
  ro.quiet = true;
  o.pull_image = [&g, ro](const std::string& ref) { ensure_image(g, ref, "missing", ro); };
  container::Store store(g.paths(), g.mapping());
  progress("Image", image_of(p, s), "Building");
  build::build(store, g.images(), o);
  progress("Image", image_of(p, s), "Built");
}

// Builds (when asked, or when a build service's image is missing) and
// pulls missing images.
void ensure_images(Globals& g, const compose::Project& p, const std::vector<std::string>& order,
                   bool force_build) {
  for (const auto& name : order) {
    const auto& s = p.get(name);
    if (s.build.set && (force_build || !g.images().find(image_of(p, s)))) {
      build_service(g, p, s);
      continue;
    }
    RunFlags rf;
    rf.create.image = image_of(p, s);
    rf.registry.quiet = true;
    pull_for_create(g, rf);
  }
}

container::Record create_container(Globals& g, container::Store& store, const compose::Project& p,
                                   const compose::Service& s) {
  container::CreateOptions o = create_options(p, s);
  o.name = s.container_name.empty() ? p.name + "-" + s.name + "-1" : s.container_name;
  add_compose_labels(o, p, s, "1", false);
  return container::create(store, g.images(), o);
}

// Waits on what service s depends on before it starts.
void wait_dependencies(container::Store& store, const compose::Project& p,
                       const compose::Service& s) {
  for (const auto& d : s.depends_on) {
    if (d.condition == "service_healthy") {
      // Checked by each container's monitor; a dependency that turns
      // unhealthy or stops fails the start, as docker compose's does.
      for (const auto& r : service_containers(store, p.name, d.service)) {
        if (!container::has_healthcheck(r.healthcheck))
          throw Error(Errc::invalid, "dependency failed to start: container " + r.name +
                                         " has no healthcheck configured");
        progress("Container", r.name, "Waiting");
        if (!container::wait_healthy(store, r))
          throw Error(Errc::generic,
                      "dependency failed to start: container " + r.name + " is unhealthy");
        progress("Container", r.name, "Healthy");
      }
      continue;
    }
    if (d.condition != "service_completed_successfully") continue;
    for (const auto& r : service_containers(store, p.name, d.service)) {
      int code = container::wait_exit(store, r);
      if (code != 0)
        throw Error(Errc::generic, "service " + quote(d.service) +
                                       " didn't complete successfully: exit " +
                                       std::to_string(code));
    }
  }
}

bool is_running(const container::Store& store, const container::Record& r) {
  return store.state(r.id).status == "running";
}

void start_one(Globals& g, container::Store& store, const container::Record& r) {
  if (is_running(store, r)) return;
  container::start(store, g.images(), r, {});
  progress("Container", r.name, "Started");
}

void stop_one(container::Store& store, const container::Record& r, int timeout) {
  if (!is_running(store, r)) return;
  progress("Container", r.name, "Stopping");
  container::stop(store, r, timeout);
  progress("Container", r.name, "Stopped");
}

void remove_one(container::Store& store, const container::Record& r) {
  container::remove(store, r, true);
  progress("Container", r.name, "Removed");
}

// ---- logs: "service-1  | line" from every container's log file ----

struct LogSource {
  container::Record rec;
  std::string prefix;
  std::string path;
  size_t offset = 0;
  std::string pending;
  bool at_line_start = true;
};

std::string log_prefix_name(const container::Record& r) {
  std::string service = label(r, kService), number = label(r, kNumber);
  if (service.empty()) return r.name;
  return service + "-" + (number.empty() ? "1" : number);
}

std::vector<LogSource> log_sources(const container::Store& store,
                                   const std::vector<container::Record>& recs, bool no_prefix) {
  size_t width = 0;
  for (const auto& r : recs) width = std::max(width, log_prefix_name(r).size());
  std::vector<LogSource> out;
  for (const auto& r : recs) {
    LogSource s;
    s.rec = r;
    std::string n = log_prefix_name(r);
    if (!no_prefix) s.prefix = n + std::string(width - n.size(), ' ') + "  | ";
    s.path = container::log_path(store.dir(r.id), r);
    out.push_back(std::move(s));
  }
  return out;
}

void emit_log(LogSource& s, const LogRecord& r, bool timestamps) {
  std::string line;
  if (s.at_line_start) line = s.prefix + (timestamps ? r.time + " " : "");
  line += r.text;
  if (r.full) line += "\n";
  s.at_line_start = r.full;
  std::fwrite(line.data(), 1, line.size(), stdout);
}

// New whole lines of s's log since the last call.
void pump(LogSource& s, bool timestamps) {
  std::string now = read_file_if_exists(s.path).value_or("");
  if (now.size() <= s.offset) return;
  s.pending += now.substr(s.offset);
  s.offset = now.size();
  size_t nl;
  while ((nl = s.pending.find('\n')) != std::string::npos) {
    LogRecord r;
    if (parse_log_record(s.pending.substr(0, nl), &r)) emit_log(s, r, timestamps);
    s.pending.erase(0, nl + 1);
  }
  std::fflush(stdout);
}

volatile std::sig_atomic_t g_interrupted = 0;
void on_interrupt(int) {
  g_interrupted = g_interrupted + 1;
}

// Follows the logs until every container has stopped or the user presses
// Ctrl-C (returns true then).
bool follow_logs(container::Store& store, std::vector<LogSource>& sources, bool timestamps,
                 bool stop_on_interrupt) {
  struct sigaction sa = {}, old_int = {}, old_term = {};
  if (stop_on_interrupt) {
    sa.sa_handler = on_interrupt;
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
  }
  bool interrupted = false;
  for (;;) {
    bool any_running = false;
    for (auto& s : sources) {
      bool running = is_running(store, s.rec);
      pump(s, timestamps);
      any_running = any_running || running;
    }
    if (g_interrupted) {
      interrupted = true;
      break;
    }
    if (!any_running) break;
    ::usleep(50000);
  }
  if (stop_on_interrupt) {
    sigaction(SIGINT, &old_int, nullptr);
    sigaction(SIGTERM, &old_term, nullptr);
  }
  return interrupted;
}

std::string status_text(const container::State& st) {
  if (st.status == "running") {
    int64_t started = parse_rfc3339(st.started_at);
    return "Up " + human_duration(std::time(nullptr) - started) + (st.paused ? " (Paused)" : "");
  }
  if (st.status == "exited")
    return "Exited (" + std::to_string(st.exit_code) + ") " +
           human_ago(parse_rfc3339(st.finished_at));
  return "Created";
}

int timeout_for(const compose::Project& p, const container::Record& r, int flag) {
  if (flag >= 0) return flag;
  if (auto* s = p.find(label(r, kService)); s && s->stop_grace_period) return *s->stop_grace_period;
  return -1;
}

// ---- the verbs ----

struct UpFlags {
  bool detach = false, build = false, no_build = false, force_recreate = false, no_recreate = false,
       no_start = false, remove_orphans = false, no_deps = false;
  bool abort_on_exit = false;
  int timeout = -1;
  std::vector<std::string> services;
};

// up's core, also used by run for dependencies. Returns the containers of
// the services in start order.
std::vector<container::Record> up(Globals& g, const compose::Project& p, const UpFlags& f) {
  std::vector<std::string> order = f.no_deps ? f.services : compose::start_order(p, f.services);
  for (const auto& s : order) p.get(s);
  if (!f.no_build) ensure_images(g, p, order, f.build);
  ensure_resources(g, p, order);
  container::Store store(g.paths(), g.mapping());

  // Orphans: containers of this project whose service is gone from the file.
  for (const auto& r : project_containers(store, p.name)) {
    if (p.find(label(r, kService))) continue;
    if (f.remove_orphans) {
      stop_one(store, r, -1);
      remove_one(store, r);
    } else {
      log_warn("found orphan container " + r.name + " for this project; " +
               "run up with --remove-orphans to clean it up");
    }
  }

  std::vector<container::Record> out;
  for (const auto& name : order) {
    const compose::Service& s = p.get(name);
    std::string hash = compose::config_hash(s);
    auto existing = service_containers(store, p.name, name);
    container::Record rec;
    // A changed service, or a new image under its name (a rebuild, a
    // pull), makes a new container, as docker compose does.
    auto img = g.images().find(image_of(p, s));
    bool keep = !existing.empty() && !f.force_recreate &&
                (f.no_recreate ||
                 (label(existing[0], kHash) == hash && img && img->id == existing[0].image_id));
    if (keep) {
      rec = existing[0];
      for (size_t i = 1; i < existing.size(); ++i) remove_one(store, existing[i]);
      progress("Container", rec.name, is_running(store, rec) ? "Running" : "Created");
    } else {
      for (const auto& old : existing) {
        stop_one(store, old, timeout_for(p, old, f.timeout));
        container::remove(store, old, true);
      }
      rec = create_container(g, store, p, s);
      progress("Container", rec.name, existing.empty() ? "Created" : "Recreated");
    }
    if (!f.no_start) {
      wait_dependencies(store, p, s);
      start_one(g, store, rec);
    }
    out.push_back(rec);
  }
  return out;
}

void stop_all(container::Store& store, const compose::Project& p,
              const std::vector<container::Record>& recs, int timeout) {
  // Dependents first: the reverse of the start order.
  for (auto it = recs.rbegin(); it != recs.rend(); ++it)
    stop_one(store, *it, timeout_for(p, *it, timeout));
}

std::vector<container::Record> in_start_order(const compose::Project& p,
                                              std::vector<container::Record> recs) {
  std::vector<std::string> order;
  try {
    order = compose::start_order(p, {});
  } catch (const Error&) {
  }
  auto rank = [&](const container::Record& r) {
    auto it = std::find(order.begin(), order.end(), label(r, kService));
    return it - order.begin();
  };
  std::stable_sort(recs.begin(), recs.end(),
                   [&](const auto& a, const auto& b) { return rank(a) < rank(b); });
  return recs;
}

[[noreturn]] void not_implemented(const std::string& what) {
  throw Error(Errc::unsupported, "tug compose " + what + " is not implemented");
}

}  // namespace

void register_compose(CLI::App& app, Globals& g) {
  auto cf = std::make_shared<ComposeFlags>();
  CLI::App* cmp = add_command(app, "compose", "Define and run multi-container applications");
  cmp->require_subcommand(1);
  cmp->add_option("-f,--file", cf->files,
                  "Compose configuration files (repeatable, merged in order)")
      ->allow_extra_args(false);
  cmp->add_option("-p,--project-name", cf->project, "Project name");
  cmp->add_option("--profile", cf->profiles, "Enable a profile")->allow_extra_args(false);
  cmp->add_option("--project-directory", cf->project_directory,
                  "Directory of .env and relative paths (default: the first file's)");

  {
    auto f = std::make_shared<UpFlags>();
    CLI::App* c = add_command(*cmp, "up", "Create and start containers");
    c->add_flag("-d,--detach", f->detach, "Detached mode: run containers in the background");
    c->add_flag("--build", f->build, "Build images before starting containers");
    c->add_flag("--no-build", f->no_build, "Don't build an image, even if it's missing");
    c->add_flag("--force-recreate", f->force_recreate, "Recreate containers even if unchanged");
    c->add_flag("--no-recreate", f->no_recreate, "Keep existing containers even if changed");
    c->add_flag("--no-start", f->no_start, "Don't start the services after creating them");
    c->add_flag("--no-deps", f->no_deps, "Don't start linked services");
    c->add_flag("--remove-orphans", f->remove_orphans,
                "Remove containers for services not defined in the compose file");
    c->add_option("-t,--timeout", f->timeout, "Shutdown timeout in seconds");
    c->add_option("SERVICE", f->services, "Services");
    c->callback([cf, f, &g] {
      compose::Project p = load_project(*cf);
      std::vector<container::Record> recs = up(g, p, *f);
      if (f->detach || f->no_start) return;
      container::Store store(g.paths(), g.mapping());
      auto sources = log_sources(store, recs, false);
      g_interrupted = 0;
      if (follow_logs(store, sources, false, true)) {
        std::fputs("Gracefully stopping... (press Ctrl+C again to force)\n", stderr);
        stop_all(store, p, recs, f->timeout);
        // What the services printed while stopping.
        for (auto& s : sources) pump(s, false);
      }
    });
  }
  {
    struct Flags {
      bool volumes = false, remove_orphans = false;
      std::string rmi;
      int timeout = -1;
    };
    auto f = std::make_shared<Flags>();
    CLI::App* c = add_command(*cmp, "down", "Stop and remove containers, networks");
    c->add_flag("-v,--volumes", f->volumes, "Remove the named volumes of the project");
    c->add_option("--rmi", f->rmi, "Remove images used by services: local or all");
    c->add_flag("--remove-orphans", f->remove_orphans,
                "Remove containers for services not defined in the compose file");
    c->add_option("-t,--timeout", f->timeout, "Shutdown timeout in seconds");
    c->callback([cf, f, &g] {
      if (!f->rmi.empty() && f->rmi != "local" && f->rmi != "all")
        throw Error(Errc::usage, "invalid --rmi " + quote(f->rmi), "use local or all");
      compose::Project p = load_project(*cf);
      container::Store store(g.paths(), g.mapping());
      auto recs = in_start_order(p, project_containers(store, p.name, true));
      stop_all(store, p, recs, f->timeout);
      std::set<std::string> image_ids;
      for (auto it = recs.rbegin(); it != recs.rend(); ++it) {
        image_ids.insert(it->image_id);
        remove_one(store, *it);
      }
      network::NetworkStore nets(g.paths());
      for (const auto& n : nets.list()) {
        auto it = n.labels.find(kProject);
        if (it == n.labels.end() || it->second != p.name) continue;
        nets.remove(n.name);
        progress("Network", n.name, "Removed");
      }
      if (f->volumes) {
        volume::Store vols(g.paths(), g.mapping());
        for (const auto& [key, v] : p.volumes) {
          if (v.external) continue;
          auto found = vols.find(v.name);
          if (!found) continue;
          auto it = found->labels.find(kProject);
          if (it == found->labels.end() || it->second != p.name) continue;
          vols.remove(v.name);
          progress("Volume", v.name, "Removed");
        }
      }
      if (!f->rmi.empty()) {
        for (const auto& s : p.services) {
          if (f->rmi == "local" && !s.image.empty()) continue;
          auto img = g.images().find(image_of(p, s));
          if (!img) continue;
          if (container::image_ids_in_use(g.paths()).count(img->id)) continue;
          g.images().remove(img->id);
          progress("Image", image_of(p, s), "Removed");
        }
      }
    });
  }
  {
    struct Flags {
      bool all = false, quiet = false, services = false;
      std::string format;
      std::vector<std::string> names;
    };
    auto f = std::make_shared<Flags>();
    CLI::App* c = add_command(*cmp, "ps", "List containers");
    c->add_flag("-a,--all", f->all, "Show all stopped containers");
    c->add_flag("-q,--quiet", f->quiet, "Only display IDs");
    c->add_flag("--services", f->services, "Display services");
    c->add_option("--format", f->format, "Format output using a template or json");
    c->add_option("SERVICE", f->names, "Services");
    c->callback([cf, f, &g] {
      compose::Project p = load_project(*cf);
      container::Store store(g.paths(), g.mapping());
      std::vector<json> rows;
      for (const auto& r : selected(store, p, f->names)) {
        container::State st = store.state(r.id);
        if (!f->all && st.status != "running") continue;
        if (f->quiet) {
          out(r.id);
          continue;
        }
        if (f->services) {
          out(label(r, kService));
          continue;
        }
        std::string cmd = join(r.spec.args, " ");
        rows.push_back({{"ID", r.id.substr(0, 12)},
                        {"Name", r.name},
                        {"Image", strip_latest(familiar_image(r.image_name))},
                        {"Command", "\"" + cmd + "\""},
                        {"Service", label(r, kService)},
                        {"Project", p.name},
                        {"CreatedAt", r.created},
                        {"Created", human_ago(parse_rfc3339(r.created))},
                        {"State", st.status},
                        {"Status", status_text(st)},
                        {"ExitCode", st.exit_code},
                        {"Ports", join(st.ports, ", ")},
                        {"Labels", r.labels}});
      }
      if (f->quiet || f->services) return;
      print_rows(rows, f->format,
                 {{"NAME", "Name"},
                  {"IMAGE", "Image"},
                  {"COMMAND", "Command"},
                  {"SERVICE", "Service"},
                  {"CREATED", "Created"},
                  {"STATUS", "Status"},
                  {"PORTS", "Ports"}});
    });
  }
  {
    struct Flags {
      bool follow = false, timestamps = false, no_prefix = false;
      std::string tail = "all";
      std::vector<std::string> services;
    };
    auto f = std::make_shared<Flags>();
    CLI::App* c = add_command(*cmp, "logs", "View output from containers");
    c->add_flag("-f,--follow", f->follow, "Follow log output");
    c->add_flag("-t,--timestamps", f->timestamps, "Show timestamps");
    c->add_flag("--no-log-prefix", f->no_prefix, "Don't print prefix in logs");
    c->add_option("-n,--tail", f->tail, "Number of lines to show from the end of each log");
    c->add_option("SERVICE", f->services, "Services");
    c->callback([cf, f, &g] {
      compose::Project p = load_project(*cf);
      container::Store store(g.paths(), g.mapping());
      long tail = -1;
      if (f->tail != "all") {
        try {
          tail = std::stol(f->tail);
        } catch (...) {
          throw Error(Errc::usage, "invalid --tail value " + quote(f->tail));
        }
      }
      auto sources = log_sources(store, selected(store, p, f->services), f->no_prefix);
      for (auto& s : sources) {
        std::string text = read_file_if_exists(s.path).value_or("");
        auto nl = text.rfind('\n');
        s.offset = nl == std::string::npos ? 0 : nl + 1;
        std::vector<LogRecord> kept;
        for (const auto& line : split(text.substr(0, s.offset), '\n')) {
          LogRecord r;
          if (parse_log_record(line, &r)) kept.push_back(r);
        }
        size_t from = 0;
        if (tail >= 0) {
          // Count whole lines from the end.
          long lines = 0;
          from = kept.size();
          while (from > 0) {
            if (kept[from - 1].full) {
              if (lines == tail) break;
              ++lines;
            }
            --from;
          }
        }
        for (size_t i = from; i < kept.size(); ++i) emit_log(s, kept[i], f->timestamps);
      }
      std::fflush(stdout);
      if (f->follow) follow_logs(store, sources, f->timestamps, false);
    });
  }
  {
    auto services = std::make_shared<std::vector<std::string>>();
    CLI::App* c = add_command(*cmp, "start", "Start services");
    c->add_option("SERVICE", *services, "Services");
    c->callback([cf, services, &g] {
      compose::Project p = load_project(*cf);
      container::Store store(g.paths(), g.mapping());
      for (const auto& r : in_start_order(p, selected(store, p, *services))) start_one(g, store, r);
    });
  }
  for (const char* verb : {"stop", "restart"}) {
    struct Flags {
      int timeout = -1;
      std::vector<std::string> services;
    };
    auto f = std::make_shared<Flags>();
    std::string v = verb;
    CLI::App* c = add_command(*cmp, v, v == "stop" ? "Stop services" : "Restart services");
    c->add_option("-t,--timeout", f->timeout, "Shutdown timeout in seconds");
    c->add_option("SERVICE", f->services, "Services");
    c->callback([cf, f, v, &g] {
      compose::Project p = load_project(*cf);
      container::Store store(g.paths(), g.mapping());
      auto recs = in_start_order(p, selected(store, p, f->services));
      stop_all(store, p, recs, f->timeout);
      if (v == "restart")
        for (const auto& r : recs) start_one(g, store, r);
    });
  }
  {
    struct Flags {
      std::string signal = "SIGKILL";
      std::vector<std::string> services;
    };
    auto f = std::make_shared<Flags>();
    CLI::App* c = add_command(*cmp, "kill", "Force stop service containers");
    c->add_option("-s,--signal", f->signal, "Signal to send to the container");
    c->add_option("SERVICE", f->services, "Services");
    c->callback([cf, f, &g] {
      compose::Project p = load_project(*cf);
      container::Store store(g.paths(), g.mapping());
      std::string s = f->signal;
      if (starts_with(s, "SIG")) s = s.substr(3);
      int sig = 0;
      for (int i = 1; i < NSIG; ++i) {
        const char* abbrev = sigabbrev_np(i);
        if (abbrev && s == abbrev) sig = i;
      }
      if (!sig && !s.empty() && s.find_first_not_of("0123456789") == std::string::npos)
        sig = std::stoi(s);
      if (sig <= 0) throw Error(Errc::usage, "invalid signal " + quote(f->signal));
      for (const auto& r : selected(store, p, f->services)) {
        if (!is_running(store, r)) continue;
        container::kill(store, r, sig);
        progress("Container", r.name, "Killed");
      }
    });
  }
  {
    struct Flags {
      bool force = false, stop = false, volumes = false;
      std::vector<std::string> services;
    };
    auto f = std::make_shared<Flags>();
    CLI::App* c = add_command(*cmp, "rm", "Removes stopped service containers");
    c->add_flag("-f,--force", f->force, "Don't ask to confirm removal");
    c->add_flag("-s,--stop", f->stop, "Stop the containers, if required, before removing");
    c->add_flag("-v,--volumes", f->volumes, "Remove anonymous volumes attached to containers");
    c->add_option("SERVICE", f->services, "Services");
    c->callback([cf, f, &g] {
      compose::Project p = load_project(*cf);
      container::Store store(g.paths(), g.mapping());
      auto recs = selected(store, p, f->services);
      if (f->stop) stop_all(store, p, recs, -1);
      for (const auto& r : recs) {
        if (is_running(store, r)) continue;
        remove_one(store, r);
      }
    });
  }
  {
    struct Flags {
      bool no_tty = false, detach = false, privileged = false;
      int index = 1;
      std::vector<std::string> env;
      std::string user, workdir, service;
      std::vector<std::string> command;
    };
    auto f = std::make_shared<Flags>();
    CLI::App* c = add_command(*cmp, "exec", "Execute a command in a running container");
    c->fallthrough(false);
    c->prefix_command();
    c->add_flag("-T,--no-TTY", f->no_tty, "Disable pseudo-TTY allocation");
    c->add_flag("-d,--detach", f->detach, "Detached mode: run command in the background");
    c->add_option("-e,--env", f->env, "Set environment variables")->allow_extra_args(false);
    c->add_option("-u,--user", f->user, "Run the command as this user");
    c->add_option("-w,--workdir", f->workdir, "Path to workdir directory for this command");
    c->add_option("--index", f->index, "Index of the container if there are several");
    c->callback([c, cf, f, &g] {
      std::vector<std::string> rest = c->remaining();
      if (rest.size() < 2)
        throw Error(Errc::usage, "exec needs a service and a command",
                    "tug compose exec SERVICE COMMAND [ARG...]");
      compose::Project p = load_project(*cf);
      p.get(rest[0]);
      container::Store store(g.paths(), g.mapping());
      auto recs = service_containers(store, p.name, rest[0]);
      if (recs.empty() || f->index < 1 || static_cast<size_t>(f->index) > recs.size())
        throw Error(Errc::not_found, "service " + quote(rest[0]) + " is not running");
      const auto& r = recs[f->index - 1];
      if (!is_running(store, r))
        throw Error(Errc::invalid, "service " + quote(rest[0]) + " is not running");
      container::ExecOptions o;
      o.command.assign(rest.begin() + 1, rest.end());
      o.env = f->env;
      if (!f->user.empty()) o.user = f->user;
      if (!f->workdir.empty()) o.workdir = f->workdir;
      o.detach = f->detach;
      o.interactive = !f->detach;
      o.tty = !f->no_tty && !f->detach && ::isatty(0) && ::isatty(1);
      g.exit_code = container::exec(store, r, o);
    });
  }
  {
    struct Flags {
      bool rm = false, detach = false, no_deps = false, service_ports = false, no_tty = false;
      std::vector<std::string> env, publish;
      std::string name, user, workdir, entrypoint;
    };
    auto f = std::make_shared<Flags>();
    CLI::App* c = add_command(*cmp, "run", "Run a one-off command on a service");
    c->fallthrough(false);
    c->prefix_command();
    c->add_flag("--rm", f->rm, "Automatically remove the container when it exits");
    c->add_flag("-d,--detach", f->detach, "Run container in background and print container ID");
    c->add_flag("--no-deps", f->no_deps, "Don't start linked services");
    c->add_flag("--service-ports", f->service_ports, "Publish the service's ports");
    c->add_flag("-T,--no-TTY", f->no_tty, "Disable pseudo-TTY allocation");
    c->add_option("-e,--env", f->env, "Set environment variables")->allow_extra_args(false);
    c->add_option("-p,--publish", f->publish, "Publish a container's port")
        ->allow_extra_args(false);
    c->add_option("--name", f->name, "Assign a name to the container");
    c->add_option("-u,--user", f->user, "Run as this user");
    c->add_option("-w,--workdir", f->workdir, "Working directory inside the container");
    c->add_option("--entrypoint", f->entrypoint, "Override the entrypoint of the image");
    c->callback([c, cf, f, &g] {
      std::vector<std::string> rest = c->remaining();
      if (rest.empty())
        throw Error(Errc::usage, "run needs a service", "tug compose run SERVICE [COMMAND...]");
      compose::Project p = load_project(*cf);
      const compose::Service& s = p.get(rest[0]);
      if (!f->no_deps && !s.depends_on.empty()) {
        UpFlags uf;
        uf.detach = true;
        uf.no_recreate = true;
        for (const auto& d : s.depends_on) uf.services.push_back(d.service);
        up(g, p, uf);
      }
      ensure_images(g, p, {s.name}, false);
      ensure_resources(g, p, {s.name});
      container::Store store(g.paths(), g.mapping());
      container::CreateOptions o = create_options(p, s);
      if (rest.size() > 1) o.command.assign(rest.begin() + 1, rest.end());
      if (!f->entrypoint.empty() || c->count("--entrypoint")) o.entrypoint = f->entrypoint;
      if (!f->service_ports) o.publish.clear();
      o.publish.insert(o.publish.end(), f->publish.begin(), f->publish.end());
      o.env.insert(o.env.end(), f->env.begin(), f->env.end());
      if (!f->user.empty()) o.user = f->user;
      if (!f->workdir.empty()) o.workdir = f->workdir;
      o.restart = "no";
      o.auto_remove = f->rm;
      o.interactive = !f->detach;
      o.tty = !f->no_tty && !f->detach && ::isatty(0) && ::isatty(1);
      o.name = f->name.empty() ? p.name + "-" + s.name + "-run-" + random_hex64().substr(0, 12)
                               : f->name;
      add_compose_labels(o, p, s, "1", true);
      container::Record rec = container::create(store, g.images(), o);
      container::StartOptions so = start_options(g, rec, !f->detach);
      int code = 0;
      try {
        container::Running running = container::start(store, g.images(), rec, so);
        if (f->detach) {
          out(rec.id);
          return;
        }
        code = container::attach_session(store, rec, running.attach.get(), running.pid);
        if (code == container::kDetached) return;
      } catch (...) {
        if (rec.auto_remove) container::remove(store, rec, true);
        throw;
      }
      if (rec.auto_remove) container::remove(store, rec, true);
      g.exit_code = code;
    });
  }
  {
    struct Flags {
      bool services = false, volumes = false, quiet = false;
      std::string output;
    };
    auto f = std::make_shared<Flags>();
    CLI::App* c = add_command(*cmp, "config", "Parse, resolve and render compose file");
    c->alias("convert");
    c->add_flag("--services", f->services, "Print the service names, one per line");
    c->add_flag("--volumes", f->volumes, "Print the volume names, one per line");
    c->add_flag("-q,--quiet", f->quiet, "Only validate the configuration, don't print anything");
    c->add_option("-o,--output", f->output, "Save to file (default to stdout)");
    c->callback([cf, f, &g] {
      (void)g;
      compose::Project p = load_project(*cf);
      if (f->quiet) return;
      if (f->services) {
        for (const auto& s : p.services) out(s.name);
        return;
      }
      if (f->volumes) {
        for (const auto& [k, v] : p.volumes) out(k);
        return;
      }
      std::string text = compose::to_yaml(p);
      if (!f->output.empty())
        atomic_write(f->output, text, 0644, false);
      else
        std::fwrite(text.data(), 1, text.size(), stdout);
    });
  }
  {
    struct Flags {
      bool quiet = false, ignore_failures = false;
      std::vector<std::string> services;
    };
    auto f = std::make_shared<Flags>();
    CLI::App* c = add_command(*cmp, "pull", "Pull service images");
    c->add_flag("-q,--quiet", f->quiet, "Pull without printing progress information");
    c->add_flag("--ignore-pull-failures", f->ignore_failures, "Pull what it can");
    c->add_option("SERVICE", f->services, "Services");
    c->callback([cf, f, &g] {
      compose::Project p = load_project(*cf);
      for (const auto& name : f->services) p.get(name);
      for (const auto& s : p.services) {
        if (!f->services.empty() &&
            std::find(f->services.begin(), f->services.end(), s.name) == f->services.end())
          continue;
        if (s.image.empty()) continue;  // built, not pulled
        RunFlags rf;
        rf.create.image = s.image;
        rf.pull = "always";
        rf.registry.quiet = f->quiet;
        try {
          pull_for_create(g, rf);
          progress("Image", s.image, "Pulled");
        } catch (const Error& e) {
          if (!f->ignore_failures) throw;
          log_warn("pulling " + s.image + ": " + e.what());
        }
      }
    });
  }
  {
    auto services = std::make_shared<std::vector<std::string>>();
    CLI::App* c = add_command(*cmp, "build", "Build or rebuild services");
    c->add_option("SERVICE", *services, "Services");
    c->callback([cf, services, &g] {
      compose::Project p = load_project(*cf);
      for (const auto& name : *services) p.get(name);
      for (const auto& s : p.services) {
        if (!services->empty() &&
            std::find(services->begin(), services->end(), s.name) == services->end())
          continue;
        if (s.build.set) build_service(g, p, s);
      }
    });
  }
  {
    struct Flags {
      RegistryFlags reg;
      bool ignore_failures = false;
      std::vector<std::string> services;
    };
    auto f = std::make_shared<Flags>();
    CLI::App* c = add_command(*cmp, "push", "Push service images");
    add_registry_flags(c, f->reg);
    c->add_flag("-q,--quiet", f->reg.quiet, "Push without printing progress information");
    c->add_flag("--ignore-push-failures", f->ignore_failures, "Push what it can");
    c->add_option("SERVICE", f->services, "Services");
    c->callback([cf, f, &g] {
      compose::Project p = load_project(*cf);
      for (const auto& name : f->services) p.get(name);
      // As docker compose: the services that name an image (built or
      // pulled) push it under that name.
      for (const auto& s : p.services) {
        if (!f->services.empty() &&
            std::find(f->services.begin(), f->services.end(), s.name) == f->services.end())
          continue;
        if (s.image.empty()) continue;
        try {
          auto r = registry::push(g.images(), s.image, "", f->reg.options());
          events::emit(g.paths(), "image", "push", s.image,
                       {{"name", s.image}, {"digest", r.digest}});
          progress("Image", s.image, "Pushed");
        } catch (const Error& e) {
          if (!f->ignore_failures) throw;
          log_warn("pushing " + s.image + ": " + e.what());
        }
      }
    });
  }
  {
    auto services = std::make_shared<std::vector<std::string>>();
    CLI::App* c = add_command(*cmp, "top", "Display the running processes");
    c->add_option("SERVICE", *services, "Services");
    c->callback([cf, services, &g] {
      compose::Project p = load_project(*cf);
      container::Store store(g.paths(), g.mapping());
      bool first = true;
      for (const auto& r : selected(store, p, *services)) {
        container::State st = store.state(r.id);
        if (st.status != "running") continue;
        if (!first) out("");
        first = false;
        out(r.name);
        std::vector<std::vector<std::string>> rows = {{"UID", "PID", "PPID", "CMD"}};
        for (const auto& pr : container::processes_of(st.pid))
          rows.push_back(
              {std::to_string(pr.uid), std::to_string(pr.pid), std::to_string(pr.ppid), pr.cmd});
        std::fputs(align_table(rows).c_str(), stdout);
      }
    });
  }
  {
    struct Flags {
      std::string service, port, protocol = "tcp";
      int index = 1;
    };
    auto f = std::make_shared<Flags>();
    CLI::App* c = add_command(*cmp, "port", "Print the public port for a port binding");
    c->add_option("--protocol", f->protocol, "tcp or udp");
    c->add_option("--index", f->index, "Index of the container if there are several");
    c->add_option("SERVICE", f->service, "Service")->required();
    c->add_option("PRIVATE_PORT", f->port, "Container port")->required();
    c->callback([cf, f, &g] {
      compose::Project p = load_project(*cf);
      p.get(f->service);
      container::Store store(g.paths(), g.mapping());
      auto recs = service_containers(store, p.name, f->service);
      if (recs.empty() || f->index < 1 || static_cast<size_t>(f->index) > recs.size())
        throw Error(Errc::not_found, "service " + quote(f->service) + " has no container");
      std::string want = "->" + f->port + "/" + f->protocol;
      for (const auto& m : store.state(recs[f->index - 1].id).ports) {
        if (!ends_with(m, want)) continue;
        out(m.substr(0, m.size() - want.size()));
        return;
      }
      throw Error(Errc::not_found,
                  "no port " + f->port + "/" + f->protocol + " published for " + f->service);
    });
  }
  {
    struct Flags {
      bool quiet = false;
      std::string format;
      std::vector<std::string> services;
    };
    auto f = std::make_shared<Flags>();
    CLI::App* c = add_command(*cmp, "images", "List images used by the created containers");
    c->add_flag("-q,--quiet", f->quiet, "Only display IDs");
    c->add_option("--format", f->format, "Format output using a template or json");
    c->add_option("SERVICE", f->services, "Services");
    c->callback([cf, f, &g] {
      compose::Project p = load_project(*cf);
      container::Store store(g.paths(), g.mapping());
      std::vector<json> rows;
      for (const auto& r : selected(store, p, f->services)) {
        if (f->quiet) {
          out(r.image_id);
          continue;
        }
        std::string repo = familiar_image(r.image_name), tag = "latest";
        auto colon = repo.rfind(':');
        if (colon != std::string::npos && repo.find('/', colon) == std::string::npos) {
          tag = repo.substr(colon + 1);
          repo = repo.substr(0, colon);
        }
        rows.push_back({{"Container", r.name},
                        {"Repository", repo},
                        {"Tag", tag},
                        {"ID", r.image_id.substr(0, 12)}});
      }
      if (!f->quiet)
        print_rows(rows, f->format,
                   {{"CONTAINER", "Container"},
                    {"REPOSITORY", "Repository"},
                    {"TAG", "Tag"},
                    {"IMAGE ID", "ID"}});
    });
  }
  for (const char* verb : {"pause", "unpause", "events", "create", "cp", "ls", "version", "wait",
                           "watch", "scale", "stats", "attach", "commit", "export"}) {
    std::string v = verb;
    CLI::App* c = add_command(*cmp, v, "");
    c->allow_extras();
    c->callback([v] { not_implemented(v); });
  }
}

}  // namespace tug::cli
