// tug info: what this host offers and what tug does where something is missing.
#include "cli/commands.hpp"
#include "cli/format.hpp"
#include "config/hostinfo.hpp"
#include "registry/policy.hpp"
#include "util/strings.hpp"

namespace tug::cli {

namespace {

// podman's YAML-like layout: nested objects indent by two spaces.
void print_yaml(const json& j, int indent, std::string& out) {
  for (auto it = j.begin(); it != j.end(); ++it) {
    std::string pad(static_cast<size_t>(indent), ' ');
    if (it->is_object()) {
      out += pad + it.key() + ":\n";
      print_yaml(*it, indent + 2, out);
    } else if (it->is_array()) {
      out += pad + it.key() + ":" + (it->empty() ? " []" : "") + "\n";
      for (const auto& e : *it)
        out += pad + "- " + (e.is_string() ? e.get<std::string>() : e.dump()) + "\n";
    } else if (it->is_string()) {
      std::string v = it->get<std::string>();
      if (v.find('\n') != std::string::npos) {
        out += pad + it.key() + ": |\n";
        for (const auto& l : split(trim(v), '\n')) out += pad + "  " + l + "\n";
      } else {
        out += pad + it.key() + ": " + v + "\n";
      }
    } else {
      out += pad + it.key() + ": " + it->dump() + "\n";
    }
  }
}

}  // namespace

void register_info(CLI::App& app, Globals& g) {
  auto format = std::make_shared<std::string>();
  CLI::App* c = add_command(app, "info", "Display tug related system information");
  c->add_option("-f,--format", *format, "Format the output using a Go template or json");
  c->callback([format, &g] {
    json info = hostinfo::collect(g.paths(), g.mapping());
    // containers-policy.json: which file pulls are checked against.
    std::string policy = registry::policy_file();
    info["imageTrust"] = policy.empty()
                             ? json{{"policyFile", "none"},
                                    {"note", "no policy.json: every image is accepted (" +
                                                 registry::user_policy_file() +
                                                 " and /etc/containers/policy.json do not exist)"}}
                             : json{{"policyFile", policy}};
    if (*format == "json") {
      out(info.dump(4));
    } else if (!format->empty()) {
      out(render_template(*format, info));
    } else {
      std::string text;
      print_yaml(info, 0, text);
      std::fputs(text.c_str(), stdout);
    }
  });
}

}  // namespace tug::cli
