// tug pod create|start|stop|rm|ps|inspect: pods of containers sharing
// network, uts and ipc (see container/pod.hpp).
#include "container/pod.hpp"

#include "cli/commands.hpp"
#include "cli/format.hpp"
#include "util/error.hpp"
#include "util/strings.hpp"

namespace tug::cli {

namespace {

json pod_json(container::PodStore& pods, container::Store& store, const container::Pod& p) {
  json ctrs = json::array();
  auto members = pods.members(p);
  for (const auto& r : members)
    ctrs.push_back({{"Id", r.id}, {"Name", r.name}, {"State", store.state(r.id).status}});
  std::string ports;
  if (!members.empty() && members.front().infra) {
    container::State st = store.state(members.front().id);
    if (st.status == "running") ports = join(st.ports, ", ");
  }
  return {{"Id", p.id},
          {"Name", p.name},
          {"Created", p.created},
          {"State", pods.status(p)},
          {"Hostname", p.hostname},
          {"InfraContainerID", p.infra_id},
          {"NumContainers", members.size()},
          {"Containers", ctrs},
          {"Ports", ports},
          {"Labels", p.labels}};
}

}  // namespace

void register_pod(CLI::App& app, Globals& g) {
  CLI::App* pod = add_command(app, "pod", "Manage pods");
  pod->require_subcommand(1);
  {
    auto o = std::make_shared<container::PodOptions>();
    CLI::App* c = add_command(*pod, "create", "Create a new empty pod");
    c->add_option("-n,--name", o->name, "Assign a name to the pod");
    c->add_option("--hostname", o->hostname, "Set the pod's hostname (default: its name)");
    c->add_option("--network,--net", o->network,
                  "The pod's network: slirp4netns[:OPTIONS] (default), pasta, none, host, ns:PATH");
    c->add_option("-p,--publish", o->publish, "Publish a port of the pod to the host")
        ->allow_extra_args(false);
    c->add_option("--add-host", o->add_hosts, "Add a custom host-to-IP mapping (host:ip)")
        ->allow_extra_args(false);
    c->add_option("--dns", o->dns, "Set custom DNS servers")->allow_extra_args(false);
    c->add_option("-l,--label", o->labels, "Set metadata on the pod")->allow_extra_args(false);
    c->add_flag("--replace", o->replace, "If a pod with the same name exists, replace it");
    c->callback([o, &g] {
      container::Store store(g.paths(), g.mapping());
      container::PodStore pods(store, g.images());
      out(pods.create(*o).id);
    });
  }
  auto each_pod = [&g](CLI::App* c,
                       std::function<void(container::PodStore&, const container::Pod&)> fn) {
    auto names = std::make_shared<std::vector<std::string>>();
    c->add_option("POD", *names, "Pods")->required();
    c->callback([names, fn, &g] {
      container::Store store(g.paths(), g.mapping());
      container::PodStore pods(store, g.images());
      for (const auto& n : *names) {
        container::Pod p = pods.get(n);
        fn(pods, p);
        out(p.id);
      }
    });
  };
  each_pod(add_command(*pod, "start", "Start one or more pods"),
           [](container::PodStore& pods, const container::Pod& p) { pods.start(p); });
  {
    CLI::App* c = add_command(*pod, "stop", "Stop one or more pods");
    auto timeout = std::make_shared<int>(-1);
    c->add_option("-t,--time", *timeout, "Seconds to wait before killing the containers");
    each_pod(c, [timeout](container::PodStore& pods, const container::Pod& p) {
      pods.stop(p, *timeout);
    });
  }
  {
    struct Flags {
      bool force = false, all = false;
      std::vector<std::string> names;
    };
    auto f = std::make_shared<Flags>();
    CLI::App* c = add_command(*pod, "rm", "Remove one or more pods and their containers");
    c->alias("remove");
    c->add_flag("-f,--force", f->force, "Stop and remove running containers too");
    c->add_flag("-a,--all", f->all, "Remove every pod");
    c->add_option("POD", f->names, "Pods");
    c->callback([f, &g] {
      if (f->all == !f->names.empty())
        throw Error(Errc::usage, f->all ? "--all and pod names cannot be combined"
                                        : "pod rm needs a pod name or --all");
      container::Store store(g.paths(), g.mapping());
      container::PodStore pods(store, g.images());
      std::vector<container::Pod> targets;
      if (f->all) targets = pods.list();
      for (const auto& n : f->names) targets.push_back(pods.get(n));
      for (const auto& p : targets) {
        pods.remove(p, f->force);
        out(p.id);
      }
    });
  }
  {
    struct Flags {
      bool quiet = false, no_trunc = false;
      std::string format;
    };
    auto f = std::make_shared<Flags>();
    CLI::App* c = add_command(*pod, "ps", "List pods");
    c->alias("ls");
    c->alias("list");
    c->add_flag("-q,--quiet", f->quiet, "Print pod IDs only");
    c->add_flag("--no-trunc", f->no_trunc, "Do not truncate IDs");
    c->add_option("--format", f->format, "Format output using a Go template or json");
    c->callback([f, &g] {
      container::Store store(g.paths(), g.mapping());
      container::PodStore pods(store, g.images());
      std::vector<json> rows;
      for (const auto& p : pods.list()) {
        json row = pod_json(pods, store, p);
        if (!f->no_trunc) {
          row["Id"] = p.id.substr(0, 12);
          row["InfraId"] = p.infra_id.substr(0, 12);
        } else {
          row["InfraId"] = p.infra_id;
        }
        row["Status"] = row["State"];
        row["CreatedAt"] = p.created;
        row["Created"] = human_ago(parse_rfc3339(p.created));
        if (f->quiet) {
          out(row["Id"].get<std::string>());
          continue;
        }
        rows.push_back(std::move(row));
      }
      if (f->quiet) return;
      print_rows(rows, f->format,
                 {{"POD ID", "Id"},
                  {"NAME", "Name"},
                  {"STATUS", "Status"},
                  {"CREATED", "Created"},
                  {"INFRA ID", "InfraId"},
                  {"# OF CONTAINERS", "NumContainers"}});
    });
  }
  {
    struct Flags {
      std::string format;
      std::vector<std::string> names;
    };
    auto f = std::make_shared<Flags>();
    CLI::App* c = add_command(*pod, "inspect", "Display detailed information on pods");
    c->add_option("-f,--format", f->format, "Format output using a Go template");
    c->add_option("POD", f->names, "Pods")->required();
    c->callback([f, &g] {
      container::Store store(g.paths(), g.mapping());
      container::PodStore pods(store, g.images());
      std::vector<json> objs;
      for (const auto& n : f->names) objs.push_back(pod_json(pods, store, pods.get(n)));
      print_inspect(objs, f->format);
    });
  }
}

}  // namespace tug::cli
