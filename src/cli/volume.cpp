// tug volume create|ls|inspect|rm|prune
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

}  // namespace

void register_volume(CLI::App& app, Globals& g) {
  CLI::App* vol = add_command(app, "volume", "Manage volumes");
  vol->require_subcommand(1);

  {
    struct Flags {
      std::string name;
      std::vector<std::string> labels;
      bool ignore = false;
    };
    auto f = std::make_shared<Flags>();
    CLI::App* c = add_command(*vol, "create", "Create a volume");
    c->add_option("NAME", f->name, "Volume name (random when omitted)");
    c->add_option("-l,--label", f->labels, "Set metadata for a volume")->allow_extra_args(false);
    c->add_flag("--ignore", f->ignore, "Do nothing (and succeed) when the volume exists");
    c->callback([f, &g] {
      volume::Store store(g.paths(), g.mapping());
      out(store.create(f->name, false, key_values(f->labels), f->ignore).first.name);
    });
  }
  {
    struct Flags {
      bool quiet = false;
      std::string format;
    };
    auto f = std::make_shared<Flags>();
    CLI::App* c = add_command(*vol, "ls", "List volumes");
    c->alias("list");
    c->add_flag("-q,--quiet", f->quiet, "Print volume names only");
    add_noheading_flag(c);
    c->add_option("--format", f->format, "Format output using a template or json");
    c->callback([f, &g] {
      volume::Store store(g.paths(), g.mapping());
      std::vector<json> rows;
      for (const auto& v : store.list()) {
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
      std::vector<json> objs;
      for (const auto& n : f->names) objs.push_back(volume::to_inspect_json(store.get(n)));
      print_inspect(objs, f->format);
    });
  }
  {
    struct Flags {
      bool force = false;
      std::vector<std::string> names;
    };
    auto f = std::make_shared<Flags>();
    CLI::App* c = add_command(*vol, "rm", "Remove volumes");
    c->alias("remove");
    c->add_flag("-f,--force", f->force, "Remove the containers using them first");
    c->add_option("VOLUME", f->names, "Volumes")->required();
    c->callback([f, &g] {
      volume::Store store(g.paths(), g.mapping());
      auto used = users(g);
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
