// tug manifest inspect: a registry's manifest or index, as served.
#include "cli/commands.hpp"
#include "cli/registry_flags.hpp"
#include "util/error.hpp"
#include "util/json.hpp"

namespace tug::cli {

void register_manifest(CLI::App& app, Globals&) {
  CLI::App* m = add_command(app, "manifest", "Inspect manifests and manifest lists");
  m->require_subcommand(1);
  // podman's local manifest lists are not implemented: say so, by name,
  // rather than "a subcommand is required".
  for (const char* verb : {"create", "add", "annotate", "push", "rm", "remove", "exists"}) {
    CLI::App* stub = add_command(*m, verb, "");
    stub->fallthrough(false);
    stub->prefix_command();  // whatever follows is not parsed
    stub->callback([verb] {
      throw Error(Errc::unsupported,
                  std::string("tug manifest ") + verb +
                      " is not implemented: tug has no local "
                      "manifest lists yet; only manifest inspect (of a registry's manifest) works");
    });
  }
  struct Flags {
    RegistryFlags reg;
    std::string ref;
    bool verbose = false;
  };
  auto f = std::make_shared<Flags>();
  CLI::App* c = add_command(*m, "inspect", "Display a manifest or manifest list of a registry");
  add_registry_flags(c, f->reg);
  c->add_flag("-v,--verbose", f->verbose, "Accepted for podman compatibility");
  c->add_option("IMAGE", f->ref, "Image reference")->required();
  c->callback([f] {
    registry::RawManifest man = registry::fetch_manifest(f->ref, f->reg.options());
    json doc = parse_json(man.bytes, "manifest of " + f->ref);
    out(doc.dump(4));
  });
}

}  // namespace tug::cli
