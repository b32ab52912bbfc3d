// tug pod create|start|stop|rm|ps|inspect|exists: pods of containers sharing
// network, uts and ipc (see container/pod.hpp).
#include "container/pod.hpp"

#include <unistd.h>

#include <cctype>
#include <regex>
#include <set>

#include "cli/commands.hpp"
#include "cli/format.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"
#include "util/strings.hpp"

namespace tug::cli {

namespace {

json strings_or_null(const std::vector<std::string>& v) {
  return v.empty() ? json(nullptr) : json(v);
}

// podman's InfraConfig: what the infra container, which holds the pod's
// namespaces, was given (ports, network, dns, hosts).
json infra_config_json(const runtime::Spec& spec) {
  json bindings = json::object();
  for (const auto& p : spec.ports)
    bindings[std::to_string(p.container_port) + "/" + p.protocol].push_back(
        {{"HostIp", p.host_ip}, {"HostPort", p.host_port ? std::to_string(p.host_port) : ""}});
  std::vector<std::string> networks, hosts;
  for (const auto& m : spec.networks) networks.push_back(m.network);
  for (const auto& [host, ip] : spec.extra_hosts) hosts.push_back(host + ":" + ip);
  return {{"PortBindings", bindings},
          {"HostNetwork", spec.network.kind == network::Mode::Kind::host},
          {"StaticIP", ""},
          {"StaticMAC", ""},
          {"NoManageResolvConf", false},
          {"DNSServer", strings_or_null(spec.dns)},
          {"DNSSearch", nullptr},
          {"DNSOption", nullptr},
          {"NoManageHosts", false},
          {"HostAdd", strings_or_null(hosts)},
          {"Networks", strings_or_null(networks)},
          {"NetworkOptions", nullptr}};
}

json pod_json(container::PodStore& pods, container::Store& store, const container::Pod& p) {
  json ctrs = json::array();
  auto members = pods.members(p);
  for (const auto& r : members)
    ctrs.push_back({{"Id", r.id}, {"Name", r.name}, {"State", store.state(r.id).status}});
  std::string ports;
  json infra_config = nullptr;
  if (!members.empty() && members.front().infra) {
    container::State st = store.state(members.front().id);
    if (st.status == "running") ports = join(st.ports, ", ");
    infra_config = infra_config_json(members.front().spec);
  }
  json j = {{"Id", p.id},
            {"Name", p.name},
            {"Created", p.created},
            {"State", pods.status(p)},
            {"Hostname", p.hostname},
            {"CreateCgroup", false},
            {"CreateInfra", !infra_config.is_null()},
            {"InfraContainerID", p.infra_id},
            {"SharedNamespaces", {"ipc", "net", "uts"}},
            {"NumContainers", members.size()},
            {"Containers", ctrs},
            {"Ports", ports},
            {"Labels", p.labels},
            {"ExitPolicy", p.exit_policy},
            {"CreateCommand", p.create_command}};
  if (!infra_config.is_null()) j["InfraConfig"] = infra_config;
  return j;
}

// The pods named, then those whose ids are in the --pod-id-file files. With
// ignore, a file or pod that is gone is skipped (a unit's ExecStop after
// the pod went some other way).
std::vector<container::Pod> targets(container::PodStore& pods,
                                    const std::vector<std::string>& names,
                                    const std::vector<std::string>& id_files, bool ignore) {
  std::vector<container::Pod> out;
  auto add = [&](const std::string& key) {
    if (auto p = pods.find(key))
      out.push_back(*p);
    else if (!ignore)
      out.push_back(pods.get(key));  // throws: no pod with name or ID
  };
  for (const auto& n : names) add(n);
  for (const auto& file : id_files) {
    if (ignore && !path_exists(file)) continue;
    add(container::read_pod_id_file(file));
  }
  return out;
}

// pod ps --filter, podman's keys: values of one key are alternatives, keys
// must all hold. Works on pod_json's shape.
class PodFilter {
 public:
  explicit PodFilter(const std::vector<std::string>& specs) {
    static const std::set<std::string> keys = {"name",      "id",      "label",      "status",
                                               "ctr-names", "ctr-ids", "ctr-status", "ctr-number"};
    for (const auto& spec : specs) {
      bool ok = false;
      auto [key, value] = split_once(spec, '=', &ok);
      if (!ok || !keys.count(key))
        throw Error(Errc::usage, "invalid filter " + quote(spec),
                    "use name=, id=, label=, status=, ctr-names=, ctr-ids=, ctr-status= or "
                    "ctr-number=");
      if (key == "name") {
        try {
          names_.emplace_back(value);
        } catch (const std::regex_error&) {
          throw Error(Errc::usage, "invalid filter " + quote(spec) + ": not a regular expression");
        }
      }
      by_key_[key].push_back(value);
    }
  }
  bool matches(const json& pod) const {
    for (const auto& [key, values] : by_key_) {
      bool any = false;
      if (key == "name") {
        for (const auto& re : names_)
          any = any || std::regex_search(pod["Name"].get<std::string>(), re);
      }
      for (const auto& v : values) {
        if (key == "id") {
          any = any || pod["Id"].get<std::string>().rfind(v, 0) == 0;
        } else if (key == "label") {
          bool has = false;
          auto [k, want] = split_once(v, '=', &has);
          auto it = pod["Labels"].find(k);
          any = any || (it != pod["Labels"].end() && (!has || *it == want));
        } else if (key == "status") {
          any = any || lower(pod["State"].get<std::string>()) == lower(v);
        } else if (key == "ctr-number") {
          any = any || std::to_string(pod["NumContainers"].get<size_t>()) == v;
        } else if (key.rfind("ctr-", 0) == 0) {
          for (const auto& m : pod["Containers"]) {
            if (key == "ctr-names") any = any || m["Name"] == v;
            if (key == "ctr-ids") any = any || m["Id"].get<std::string>().rfind(v, 0) == 0;
            if (key == "ctr-status") any = any || m["State"] == lower(v);
          }
        }
      }
      if (!any) return false;
    }
    return true;
  }

 private:
  static std::string lower(std::string s) {
    for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
  }
  std::map<std::string, std::vector<std::string>> by_key_;
  std::vector<std::regex> names_;
};

// An absolute path: a unit's files are written by later starts, from
// another working directory.
std::string absolute(const std::string& path) {
  if (path.empty() || path[0] == '/') return path;
  char cwd[4096];
  if (!::getcwd(cwd, sizeof cwd)) throw_errno("getcwd");
  return std::string(cwd) + "/" + path;
}

}  // namespace

void register_pod(CLI::App& app, Globals& g) {
  CLI::App* pod = add_command(app, "pod", "Manage pods");
  pod->require_subcommand(1);
  {
    auto o = std::make_shared<container::PodOptions>();
    CLI::App* c = add_command(*pod, "create", "Create a new empty pod");
    c->add_option("-n,--name", o->name, "Assign a name to the pod");
    auto positional = std::make_shared<std::string>();
    c->add_option("NAME", *positional, "The pod's name (as --name)");
    c->add_option("--hostname", o->hostname, "Set the pod's hostname (default: its name)");
    c->add_option("--network,--net", o->network,
                  "The pod's network: slirp4netns[:OPTIONS] (default), pasta, none, host, ns:PATH");
    c->add_option("-p,--publish", o->publish, "Publish a port of the pod to the host")
        ->allow_extra_args(false);
    c->add_option("--add-host", o->add_hosts, "Add a custom host-to-IP mapping (host:ip)")
        ->allow_extra_args(false);
    c->add_option("--dns", o->dns, "Set custom DNS servers")->allow_extra_args(false);
    c->add_option("-l,--label", o->labels, "Set metadata on the pod")->allow_extra_args(false);
    c->add_option("--label-file", o->label_files, "Read in a line delimited file of labels")
        ->allow_extra_args(false);
    c->add_flag("--replace", o->replace, "If a pod with the same name exists, replace it");
    c->add_option("--exit-policy", o->exit_policy,
                  "When the last container exits: continue (the default; the pod runs on) or "
                  "stop (the pod stops)");
    c->add_option("--pod-id-file", o->pod_id_file, "Write the pod ID to the file");
    c->add_option("--infra-conmon-pidfile", o->infra_conmon_pidfile,
                  "Write the pid of the infra container's monitor to the file (at each start)");
    c->callback([o, positional, &g] {
      container::PodOptions opts = *o;
      if (!positional->empty()) {
        if (!opts.name.empty() && opts.name != *positional)
          throw Error(Errc::usage, "cannot specify both a pod name and --name");
        opts.name = *positional;
      }
      opts.create_command = g.argv;
      opts.pod_id_file = absolute(opts.pod_id_file);
      opts.infra_conmon_pidfile = absolute(opts.infra_conmon_pidfile);
      container::Store store(g.paths(), g.mapping());
      container::PodStore pods(store, g.images());
      out(pods.create(opts).id);
    });
  }
  struct Flags {
    bool force = false, all = false, ignore = false;
    int timeout = -1;
    std::vector<std::string> names, id_files;
  };
  // start, stop, rm: pods by name or id, or from --pod-id-file.
  auto each_pod = [&g](CLI::App* c, std::shared_ptr<Flags> f,
                       std::function<void(container::PodStore&, const container::Pod&)> fn) {
    c->add_option("POD", f->names, "Pods");
    c->add_option("--pod-id-file", f->id_files, "Read the pod ID from the file")
        ->allow_extra_args(false);
    c->callback([c, f, fn, &g] {
      if (f->all && (!f->names.empty() || !f->id_files.empty()))
        throw Error(Errc::usage, "--all and pod names or --pod-id-file cannot be combined");
      if (!f->all && f->names.empty() && f->id_files.empty())
        throw Error(Errc::usage, "pod " + c->get_name() + " needs a pod name" +
                                     (c->get_name() == "rm" ? " or --all" : "") +
                                     " (or --pod-id-file)");
      container::Store store(g.paths(), g.mapping());
      container::PodStore pods(store, g.images());
      auto list = f->all ? pods.list() : targets(pods, f->names, f->id_files, f->ignore);
      for (const auto& p : list) {
        fn(pods, p);
        out(p.id);
      }
    });
  };
  {
    auto f = std::make_shared<Flags>();
    each_pod(add_command(*pod, "start", "Start one or more pods"), f,
             [](container::PodStore& pods, const container::Pod& p) { pods.start(p); });
  }
  {
    auto f = std::make_shared<Flags>();
    CLI::App* c = add_command(*pod, "stop", "Stop one or more pods");
    c->add_option("-t,--time,--timeout", f->timeout,
                  "Seconds to wait before killing the containers");
    c->add_flag("-i,--ignore", f->ignore,
                "Ignore pods that do not exist (and --pod-id-file files that do not)");
    each_pod(c, f,
             [f](container::PodStore& pods, const container::Pod& p) { pods.stop(p, f->timeout); });
  }
  {
    auto f = std::make_shared<Flags>();
    CLI::App* c = add_command(*pod, "rm", "Remove one or more pods and their containers");
    c->alias("remove");
    c->add_flag("-f,--force", f->force, "Stop and remove running containers too");
    c->add_option("-t,--time", f->timeout,
                  "Seconds to wait for running containers to stop before killing them (with -f)");
    c->add_flag("-a,--all", f->all, "Remove every pod");
    c->add_flag("-i,--ignore", f->ignore,
                "Ignore pods that do not exist (and --pod-id-file files that do not)");
    each_pod(c, f, [f](container::PodStore& pods, const container::Pod& p) {
      // -t: running members get that long to stop before -f kills them.
      if (f->force && f->timeout >= 0) pods.stop(p, f->timeout);
      pods.remove(p, f->force);
    });
  }
  {
    struct Flags {
      bool quiet = false, no_trunc = false;
      std::string format;
      std::vector<std::string> filters;
    };
    auto f = std::make_shared<Flags>();
    CLI::App* c = add_command(*pod, "ps", "List pods");
    c->add_option("-f,--filter", f->filters,
                  "Filter output: name=REGEX, id=PREFIX, label=KEY[=VALUE], status=STATE, "
                  "ctr-names=NAME, ctr-ids=PREFIX, ctr-status=STATE, ctr-number=N")
        ->allow_extra_args(false);
    c->alias("ls");
    c->alias("list");
    c->add_flag("-q,--quiet", f->quiet, "Print pod IDs only");
    add_noheading_flag(c);
    c->add_flag("--no-trunc", f->no_trunc, "Do not truncate IDs");
    c->add_option("--format", f->format, "Format output using a Go template or json");
    c->callback([f, &g] {
      container::Store store(g.paths(), g.mapping());
      container::PodStore pods(store, g.images());
      PodFilter filter(f->filters);
      std::vector<json> rows;
      for (const auto& p : pods.list()) {
        json row = pod_json(pods, store, p);
        if (!filter.matches(row)) continue;
        row["NumberOfContainers"] = row["NumContainers"];
        std::vector<std::string> names, ids, states;
        for (const auto& m : row["Containers"]) {
          names.push_back(m["Name"]);
          ids.push_back(m["Id"]);
          states.push_back(m["State"]);
        }
        row["ContainerNames"] = join(names, ",");
        row["ContainerIds"] = join(ids, ",");
        row["ContainerStatuses"] = join(states, ",");
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
    auto name = std::make_shared<std::string>();
    CLI::App* c = add_command(*pod, "exists", "Check if a pod exists (exit 0) or not (exit 1)");
    c->add_option("POD", *name, "Pod")->required();
    c->callback([name, &g] {
      if (!container::find_pod(g.paths(), *name)) g.exit_code = 1;
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
      auto lookup = [&](const std::string& n) { return pod_json(pods, store, pods.get(n)); };
      // podman 4.3 prints one pod as an object, several as an array.
      if (f->names.size() == 1 && (f->format.empty() || f->format == "json")) {
        if (pods.find(f->names.front())) return out(lookup(f->names.front()).dump(4));
      }
      print_inspect_each(f->names, lookup, f->format);
    });
  }
}

}  // namespace tug::cli
