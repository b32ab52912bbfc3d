// tug auto-update: newer images for containers running as systemd units
// (systemd/systemd.hpp does the work).
#include <cstdio>
#include <cstdlib>

#include "cli/commands.hpp"
#include "cli/format.hpp"
#include "cli/registry_flags.hpp"
#include "systemd/systemd.hpp"
#include "util/error.hpp"

namespace tug::cli {

void register_auto_update(CLI::App& app, Globals& g) {
  struct Flags {
    bool dry_run = false;
    std::string format;
    RegistryFlags reg;
  };
  auto f = std::make_shared<Flags>();
  CLI::App* c = add_command(app, "auto-update",
                            "Update containers labelled io.containers.autoupdate=registry and "
                            "restart their systemd units");
  c->add_flag("--dry-run", f->dry_run, "Check for newer images, change nothing");
  c->add_option("--format", f->format, "Format output using a Go template or json");
  add_registry_flags(c, f->reg, false);
  c->callback([f, &g] {
    Template check(f->format.empty() ? "{{.}}" : f->format);  // a bad template fails first
    systemd::AutoUpdateOptions o;
    o.dry_run = f->dry_run;
    o.registry = f->reg.options();
    if (const char* s = std::getenv("TUG_SYSTEMCTL"); s && *s) o.systemctl = s;
    container::Store store(g.paths(), g.mapping());
    auto results = systemd::auto_update(store, g.images(), o);
    std::vector<json> rows;
    bool failed = false;
    for (const auto& r : results) {
      rows.push_back({{"Unit", r.unit},
                      {"Container", r.container_id.substr(0, 12) + " (" + r.container_name + ")"},
                      {"ContainerID", r.container_id},
                      {"ContainerName", r.container_name},
                      {"Image", r.image},
                      {"Policy", r.policy},
                      {"Updated", r.updated}});
      if (r.updated == "failed") failed = true;
    }
    print_rows(rows, f->format,
               {{"UNIT", "Unit"},
                {"CONTAINER", "Container"},
                {"IMAGE", "Image"},
                {"POLICY", "Policy"},
                {"UPDATED", "Updated"}});
    for (const auto& r : results)
      if (!r.error.empty())
        std::fputs(("Error: " + r.container_name + ": " + r.error + "\n").c_str(), stderr);
    if (failed) g.exit_code = kExitToolError;
  });
}

}  // namespace tug::cli
