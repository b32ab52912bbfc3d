// tug volume create|ls|inspect|exists|rm|prune
#include "volume/volume.hpp"

#include <cstdio>
#include <set>

#include "cli/commands.hpp"
#include "cli/format.hpp"
#include "container/lifecycle.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"
#include "util/strings.hpp"

namespace tug::cli {

namespace {

// Volume name -> the containers (any state) that mount it.
std::map<std::string, std::vector<std::string>> users(Globals& g) {
  std::map<std::string, std::vector<std::string>> out;
  container::Store store(g.paths(), g.mapping());
  for (const auto& r : store.list())
    for (const auto& v : container::volumes_of(r)) out[v].push_back(r.id);
  return out;
}

// volume ls --filter: values of one key are alternatives, keys must all
// hold (docker's rule).
class VolumeFilter {
 public:
  explicit VolumeFilter(const std::vector<std::string>& specs) {
    for (const auto& spec : specs) {
      bool ok = false;
      auto [key, value] = split_once(spec, '=', &ok);
      if (!ok || (key != "name" && key != "label" && key != "dangling" && key != "driver"))
        throw Error(Errc::usage, "invalid filter " + quote(spec),
                    "use name=, label=, dangling= or driver=");
      if (key == "dangling" && value != "true" && value != "false" && value != "1" && value != "0")
        throw Error(Errc::usage, "invalid filter " + quote(spec) + ": dangling is true or false");
      by_key_[key].push_back(value);
    }
  }
  bool needs_users() const { return by_key_.count("dangling") > 0; }
  bool matches(const volume::Volume& v, bool used) const {
    for (const auto& [key, values] : by_key_) {
      bool any = false;
      for (const auto& value : values) {
        if (key == "name") {
          any = any || v.name.find(value) != std::string::npos;
        } else if (key == "driver") {
          any = any || value == "local";
        } else if (key == "dangling") {
          any = any || (value == "true" || value == "1") == !used;
        } else {
          bool has = false;
          auto [k, want] = split_once(value, '=', &has);
          auto it = v.labels.find(k);
          any = any || (it != v.labels.end() && (!has || it->second == want));
        }
      }
      if (!any) return false;
    }
    return true;
  }

 private:
  std::map<std::string, std::vector<std::string>> by_key_;
};

}  // namespace

void register_volume(CLI::App& app, Globals& g) {
  CLI::App* vol = add_command(app, "volume", "Manage volumes");
  vol->require_subcommand(1);

  {
    struct Flags {
      std::string name;
      std::vector<std::string> labels, opts;
      std::string driver = "local";
      bool ignore = false;
    };
    auto f = std::make_shared<Flags>();
    CLI::App* c = add_command(*vol, "create", "Create a volume");
    c->add_option("NAME", f->name, "Volume name (random when omitted)");
    c->add_option("-l,--label", f->labels, "Set metadata for a volume")->allow_extra_args(false);
    c->add_option("-o,--opt", f->opts,
                  "Driver options: type=tmpfs|none, device=tmpfs|/path, o=size=64m|bind, "
                  "uid=N, gid=N")
        ->allow_extra_args(false);
    c->add_option("-d,--driver", f->driver, "Volume driver (local)");
    c->add_flag("--ignore", f->ignore, "Do nothing (and succeed) when the volume exists");
    c->callback([f, &g] {
      if (f->driver != "local")
        throw Error(Errc::unsupported, "volume driver " + quote(f->driver) + " is not available",
                    "tug has the local driver only");
      auto options = volume::parse_options(f->opts);
      volume::Store store(g.paths(), g.mapping());
      out(store.create(f->name, false, key_values(f->labels), f->ignore, options).first.name);
    });
  }
  {
    struct Flags {
      bool quiet = false;
      std::string format;
      std::vector<std::string> filters;
    };
    auto f = std::make_shared<Flags>();
    CLI::App* c = add_command(*vol, "ls", "List volumes");
    c->alias("list");
    c->add_flag("-q,--quiet", f->quiet, "Print volume names only");
    add_noheading_flag(c);
    c->add_option("--format", f->format, "Format output using a template or json");
    c->add_option("-f,--filter", f->filters,
                  "Filter output: name=TEXT, label=KEY[=VALUE], dangling=true|false, "
                  "driver=local")
        ->allow_extra_args(false);
    c->callback([f, &g] {
      volume::Store store(g.paths(), g.mapping());
      VolumeFilter filter(f->filters);
      std::map<std::string, std::vector<std::string>> used;
      if (filter.needs_users()) used = users(g);
      std::vector<json> rows;
      for (const auto& v : store.list()) {
        if (!filter.matches(v, used.count(v.name) > 0)) continue;
        json row = volume::to_inspect_json(v);
        rows.push_back(row);
      }
      if (f->quiet) {
        for (const auto& r : rows) out(r["Name"].get<std::string>());
        return;
      }
      print_rows(rows, f->format, {{"DRIVER", "Driver"}, {"VOLUME NAME", "Name"}});
    });
  }
  {
    struct Flags {
      std::string format;
      std::vector<std::string> names;
    };
    auto f = std::make_shared<Flags>();
    CLI::App* c = add_command(*vol, "inspect", "Display detailed information on volumes");
    c->add_option("-f,--format", f->format, "Format output using a Go template");
    c->add_option("VOLUME", f->names, "Volumes")->required();
    c->callback([f, &g] {
      volume::Store store(g.paths(), g.mapping());
      print_inspect_each(
          f->names, [&](const std::string& n) { return volume::to_inspect_json(store.get(n)); },
          f->format);
    });
  }
  {
    auto name = std::make_shared<std::string>();
    CLI::App* c = add_command(*vol, "exists", "Check if a volume exists (exit 0) or not (exit 1)");
    c->add_option("VOLUME", *name, "Volume")->required();
    c->callback([name, &g] {
      if (!volume::Store(g.paths(), g.mapping()).find(*name)) g.exit_code = 1;
    });
  }
  {
    struct Flags {
      bool force = false, all = false;
      std::vector<std::string> names;
    };
    auto f = std::make_shared<Flags>();
    CLI::App* c = add_command(*vol, "rm", "Remove volumes");
    c->alias("remove");
    c->add_flag("-f,--force", f->force, "Remove the containers using them first");
    c->add_flag("-a,--all", f->all,
                "Remove all volumes no container uses (with -f: all, and their containers)");
    c->add_option("VOLUME", f->names, "Volumes");
    c->callback([f, &g] {
      volume::Store store(g.paths(), g.mapping());
      auto used = users(g);
      if (f->all == !f->names.empty())
        throw Error(Errc::usage, "choose either one or more volumes or all");
      if (f->all) {
        // podman's --all: every volume no container uses goes; each one in
        // use is reported (exit 2, as podman), unless -f takes its
        // containers along.
        std::vector<std::string> busy;
        for (const auto& v : store.list())
          (f->force || !used.count(v.name) ? f->names : busy).push_back(v.name);
        for (const auto& n : f->names) {
          if (auto it = used.find(n); it != used.end()) {
            container::Store cs(g.paths(), g.mapping());
            for (const auto& id : it->second) container::remove(cs, cs.get(id), true);
          }
          store.remove(n);
          out(n);
        }
        for (const auto& n : busy)
          std::fputs(("Error: volume " + n + " is being used by container " +
                      used[n].front().substr(0, 12) + "\n")
                         .c_str(),
                     stderr);
        if (!busy.empty()) g.exit_code = 2;
        return;
      }
      for (const auto& n : f->names) {
        store.get(n);
        if (auto it = used.find(n); it != used.end()) {
          if (!f->force)
            throw Error(
                Errc::in_use,
                "volume " + n + " is being used by container " + it->second.front().substr(0, 12),
                "remove that container first, or use volume rm -f", 1);  // docker's 1
          container::Store cs(g.paths(), g.mapping());
          for (const auto& id : it->second) container::remove(cs, cs.get(id), true);
        }
        store.remove(n);
        out(n);
      }
    });
  }
  {
    auto force = std::make_shared<bool>(false);
    CLI::App* c = add_command(*vol, "prune", "Remove all volumes no container uses");
    c->add_flag("-f,--force", *force, "Do not prompt for confirmation");
    c->callback([force, &g] {
      if (!*force &&
          !confirm("WARNING! This will remove all volumes not used by at least one container."))
        return;
      volume::Store store(g.paths(), g.mapping());
      auto used = users(g);
      int64_t reclaimed = 0;
      std::vector<std::string> removed;
      for (const auto& v : store.list()) {
        if (used.count(v.name)) continue;
        reclaimed += disk_usage(v.mountpoint);
        store.remove(v.name);
        removed.push_back(v.name);
      }
      if (!removed.empty()) out("Deleted Volumes:");
      for (const auto& n : removed) out(n);
      out("Total reclaimed space: " + human_size(reclaimed));
    });
  }
}

}  // namespace tug::cli
