// tug generate systemd: unit files for a container or a pod (see
// systemd/systemd.hpp); this file only gathers flags and records.
#include <fcntl.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>

#include "build_info.hpp"
#include "cli/commands.hpp"
#include "container/pod.hpp"
#include "systemd/systemd.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"
#include "util/json.hpp"
#include "util/strings.hpp"

namespace tug::cli {

namespace {

systemd::ContainerInfo info_of(container::Store& store, const container::Record& r) {
  systemd::ContainerInfo c;
  c.id = r.id;
  c.name = r.name;
  c.stop_timeout = r.spec.stop_timeout;
  c.create_command = r.create_command;
  c.pid_file = store.dir(r.id) + "/monitor.pid";
  return c;
}

// podman's header date: "Thu Nov 26 01:12:49 UTC 2026".
std::string header_time() {
  char buf[64];
  time_t now = ::time(nullptr);
  struct tm tm;
  ::localtime_r(&now, &tm);
  ::strftime(buf, sizeof buf, "%a %b %e %H:%M:%S %Z %Y", &tm);
  return buf;
}

// As Go's encoding/json writes strings: <, > and & as \u escapes.
std::string go_json(const json& j) {
  std::string text = j.dump(1), esc;
  for (char c : text) {
    if (c == '<')
      esc += "\\u003c";
    else if (c == '>')
      esc += "\\u003e";
    else if (c == '&')
      esc += "\\u0026";
    else
      esc += c;
  }
  return esc;
}

// The units printed, or written to the working directory (their paths
// printed); with --format json, podman's object of unit names (without
// ".service") to unit texts or paths.
void emit(const std::vector<systemd::Unit>& units, bool files, bool as_json) {
  json obj = json::object();
  for (const auto& u : units) {
    std::string value = u.text;
    if (files) {
      char cwd[4096];
      value = (::getcwd(cwd, sizeof cwd) ? std::string(cwd) + "/" : "") + u.name;
      write_file(value, u.text, 0644);
    }
    if (as_json)
      obj[u.name.substr(0, u.name.size() - std::string(".service").size())] = value;
    else if (files)
      out(value);
    else
      std::fwrite(value.data(), 1, value.size(), stdout);
  }
  if (as_json) out(go_json(obj));
}

}  // namespace

void register_generate(CLI::App& app, Globals& g) {
  CLI::App* gen = add_command(app, "generate", "Generate structured data based on containers");
  gen->require_subcommand(1);
  struct Flags {
    systemd::GenerateOptions o;
    bool files = false;
    unsigned restart_sec = 0, start_timeout = 0, stop_timeout = 0;
    std::string target, format;
    bool template_ = false;
  };
  auto f = std::make_shared<Flags>();
  CLI::App* c = add_command(*gen, "systemd", "Generate systemd units for a container or a pod");
  c->add_flag("--new", f->o.new_container,
              "Create a new container (tug run) when the unit starts, instead of starting an "
              "existing one");
  c->add_flag("-n,--name", f->o.use_name, "Use container/pod names instead of IDs");
  c->add_flag("-f,--files", f->files, "Write .service files in the current directory");
  c->add_flag("--no-header", f->o.no_header, "Skip the header comment");
  c->add_option("--restart-policy", f->o.restart_policy,
                "systemd restart policy (default on-failure)");
  c->add_option("--restart-sec", f->restart_sec, "systemd RestartSec");
  c->add_option("--start-timeout", f->start_timeout, "Start timeout (TimeoutStartSec)");
  c->add_option("-t,--time,--stop-timeout", f->stop_timeout,
                "Stop timeout (default: the container's, 10)");
  c->add_option("--container-prefix", f->o.container_prefix,
                "Unit name prefix for containers (default container)");
  c->add_option("--pod-prefix", f->o.pod_prefix, "Unit name prefix for pods (default pod)");
  c->add_option("--separator", f->o.separator,
                "Separator between the prefix and the name or id (default -)");
  c->add_option("--wants", f->o.wants, "Add a Wants= dependency")->allow_extra_args(false);
  c->add_option("--after", f->o.after, "Add an After= dependency")->allow_extra_args(false);
  c->add_option("--requires", f->o.requires_, "Add a Requires= dependency")
      ->allow_extra_args(false);
  c->add_option("-e,--env", f->o.env, "Set an environment variable in the units")
      ->allow_extra_args(false);
  c->add_flag("--template", f->template_,
              "A template unit (CONTAINER@.service): each instance %i runs a container of its "
              "own (implies --new; containers only)");
  c->add_option("--format", f->format,
                "Print the units as a JSON object of unit names to texts (json)");
  c->add_option("CONTAINER|POD", f->target, "The container or pod")->required();
  c->callback([c, f, &g] {
    if (!f->format.empty() && f->format != "json")
      throw Error(Errc::usage, "unknown --format argument: " + f->format, "use json");
    systemd::GenerateOptions o = f->o;
    if (f->template_) {
      if (c->count("--new") && !o.new_container)
        throw Error(Errc::usage, "--template cannot be set with --new=false");
      o.template_unit = true;
      o.new_container = true;
    }
    bool as_json = f->format == "json";
    if (c->count("--restart-sec")) o.restart_sec = f->restart_sec;
    if (c->count("--start-timeout")) o.start_timeout = f->start_timeout;
    if (c->count("--time")) o.stop_timeout = f->stop_timeout;
    systemd::validate(o);
    systemd::Context ctx;
    ctx.tug = self_exe();
    ctx.runroot = g.paths().run;
    ctx.version = std::string("tug ") + TUG_VERSION;
    ctx.timestamp = header_time();
    // <prefix>/bin/tug -> <prefix>/share/doc/tug/systemd.md
    std::string prefix = ctx.tug.substr(0, ctx.tug.rfind('/'));
    prefix = prefix.substr(0, prefix.rfind('/'));
    ctx.documentation = "file:" + prefix + "/share/doc/tug/systemd.md";
    container::Store store(g.paths(), g.mapping());
    if (auto r = store.find(f->target)) {
      if (r->infra)
        throw Error(Errc::invalid, r->name + " is the infra container of a pod",
                    "generate the units of its pod");
      if (o.new_container && r->create_command.empty())
        throw Error(Errc::invalid,
                    "container " + r->name +
                        " has no recorded create command (made by an "
                        "older tug)",
                    "generate a unit without --new");
      emit({systemd::container_unit(info_of(store, *r), o, ctx)}, f->files, as_json);
      return;
    }
    container::PodStore pods(store, g.images());
    auto pod = pods.find(f->target);
    if (!pod)
      throw Error(Errc::not_found, f->target +
                                       " does not refer to a container or pod: no container or pod "
                                       "with name or ID " +
                                       quote(f->target) + " found");
    systemd::PodInfo p;
    p.id = pod->id;
    p.name = pod->name;
    p.create_command = pod->create_command;
    for (const auto& m : pods.members(*pod)) {
      if (m.infra)
        p.infra = info_of(store, m);
      else
        p.members.push_back(info_of(store, m));
    }
    // Stable output: members by name.
    std::sort(p.members.begin(), p.members.end(),
              [](const auto& a, const auto& b) { return a.name < b.name; });
    emit(systemd::pod_units(p, o, ctx), f->files, as_json);
  });
  setup_generate_kube(
      add_command(*gen, "kube", "Generate Kubernetes YAML from containers or pods (kube generate)"),
      g);
}

}  // namespace tug::cli
