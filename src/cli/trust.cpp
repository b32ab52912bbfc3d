// tug image trust show|set: podman's view and edits of policy.json.
#include "registry/trust.hpp"

#include "cli/commands.hpp"
#include "cli/format.hpp"
#include "registry/policy.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"
#include "util/strings.hpp"

namespace tug::cli {

namespace {

void setup_trust_show(CLI::App* c) {
  struct Flags {
    bool json = false, raw = false, noheading = false;
    std::string policypath;
    std::string registry;
  };
  auto f = std::make_shared<Flags>();
  c->add_flag("-j,--json", f->json, "Output as JSON");
  c->add_flag("--raw", f->raw, "Output the raw policy file");
  c->add_flag("-n,--noheading", f->noheading, "Do not print column headings");
  c->add_option("--policypath", f->policypath, "Policy file (default: the one in use)");
  c->add_option("REGISTRY", f->registry, "Show only this scope");
  c->callback([f] {
    std::string path = f->policypath.empty() ? registry::policy_file() : f->policypath;
    if (path.empty())
      throw Error(Errc::not_found,
                  "no policy file: " + registry::user_policy_file() +
                      " and /etc/containers/policy.json do not exist",
                  "every image is accepted; create one with tug image trust set");
    if (f->raw) {
      std::string text = read_file(path);
      registry::Policy::parse(text, path);
      std::fputs(text.c_str(), stdout);
      return;
    }
    registry::Policy p = registry::Policy::load(path);
    std::vector<registry::TrustRow> rows = registry::trust_rows(p);
    for (auto& r : rows) {
      if (r.transport == "repository" && !r.name.empty())
        r.store = registry::detail::lookaside_for(r.name);
      if (r.type == "signed" && !r.id.empty()) {
        std::vector<std::string> ids;
        for (const auto& file : split(r.id, ','))
          for (const auto& id : registry::detail::gpg_key_identities(trim(file))) ids.push_back(id);
        if (!ids.empty()) r.id = join(ids, ", ");
      }
    }
    if (!f->registry.empty()) {
      std::vector<registry::TrustRow> keep;
      for (const auto& r : rows)
        if (r.name == f->registry) keep.push_back(r);
      rows = keep;
    }
    if (f->json) {
      json arr = json::array();
      for (const auto& r : rows) {
        json o = {{"transport", r.transport}, {"type", r.type}};
        if (r.transport == "all") {
          o["name"] = "* (default)";
          o["repo_name"] = "default";
        } else if (!r.name.empty()) {
          o["name"] = r.name;
          o["repo_name"] = r.name;
        }
        if (!r.id.empty()) o["gpg_id"] = r.id;
        if (!r.store.empty()) o["sigstore"] = r.store;
        arr.push_back(o);
      }
      out(arr.dump(4));
      return;
    }
    std::vector<std::vector<std::string>> table;
    if (!f->noheading) table.push_back({"TRANSPORT", "NAME", "TYPE", "ID", "STORE"});
    for (const auto& r : rows) table.push_back({r.transport, r.name, r.type, r.id, r.store});
    std::fputs(align_table(table).c_str(), stdout);
  });
}

void setup_trust_set(CLI::App* c) {
  struct Flags {
    std::string type, policypath, scope;
    std::vector<std::string> pubkeys;
  };
  auto f = std::make_shared<Flags>();
  c->add_option("-t,--type", f->type, "Trust type: accept, reject or signedBy")->required();
  c->add_option("-f,--pubkeysfile", f->pubkeys, "Public key file(s) for signedBy");
  c->add_option("--policypath", f->policypath, "Policy file to write (default: the user's)");
  c->add_option("REGISTRY", f->scope, "Registry or REGISTRY/REPOSITORY scope, or default")
      ->required();
  c->callback([f] {
    std::string path = f->policypath.empty() ? registry::user_policy_file() : f->policypath;
    if (f->policypath.empty() && !path_exists(path)) {
      // A first user file starts from the system's rules, not from nothing.
      if (auto sys = read_file_if_exists("/etc/containers/policy.json")) {
        registry::Policy::parse(*sys, "/etc/containers/policy.json");
        make_dirs(dirname_of(path), 0700);
        atomic_write(path, *sys, 0644);
      }
    }
    registry::trust_set(path, f->scope, f->type, f->pubkeys);
  });
}

}  // namespace

void setup_image_trust(CLI::App* c, Globals&) {
  c->require_subcommand(1);
  setup_trust_show(add_command(*c, "show", "Display trust policy for the system"));
  setup_trust_set(add_command(*c, "set", "Set default trust policy or a new one for a registry"));
}

}  // namespace tug::cli
