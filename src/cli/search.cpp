// tug search: a registry's v1 search, or its v2 catalog filtered by the term.
#include "cli/commands.hpp"
#include "cli/format.hpp"
#include "cli/registry_flags.hpp"
#include "util/error.hpp"

namespace tug::cli {

void register_search(CLI::App& app, Globals&) {
  struct Flags {
    RegistryFlags reg;
    std::string term, format;
    int limit = 25;
    bool no_trunc = false;
  };
  auto f = std::make_shared<Flags>();
  CLI::App* c = add_command(app, "search", "Search a registry for images");
  add_registry_flags(c, f->reg);
  c->add_option("--limit", f->limit, "Maximum number of results");
  c->add_option("--format", f->format, "Format the output (table, json or a Go template)");
  c->add_flag("--no-trunc", f->no_trunc, "Do not truncate the descriptions");
  c->add_option("TERM", f->term, "[REGISTRY/]TERM to search for")->required();
  c->callback([f] {
    if (f->limit < 1) throw Error(Errc::usage, "--limit must be at least 1");
    std::vector<json> rows;
    for (const auto& h : registry::search(f->term, f->limit, f->reg.options())) {
      std::string desc = h.description;
      if (!f->no_trunc && desc.size() > 44) desc = desc.substr(0, 41) + "...";
      rows.push_back({{"Index", h.name.substr(0, h.name.find('/'))},
                      {"Name", h.name},
                      {"Description", desc},
                      {"Stars", h.stars},
                      {"Official", h.official ? "[OK]" : ""},
                      {"Automated", h.automated ? "[OK]" : ""}});
    }
    print_rows(rows, f->format, {{"NAME", "Name"}, {"DESCRIPTION", "Description"}});
  });
}

}  // namespace tug::cli
