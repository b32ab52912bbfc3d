// tug version: docker's Client/Server layout. tug has no daemon: the
// "server" is the same binary on the same host, so both halves describe it
// and templates written for docker ({{.Server.Version}}) keep working.
#include <sys/utsname.h>

#include "build_info.hpp"
#include "cli/commands.hpp"
#include "cli/format.hpp"

namespace tug::cli {

namespace {

std::string go_arch(const std::string& machine) {
  if (machine == "x86_64") return "amd64";
  if (machine == "aarch64") return "arm64";
  return machine;
}

// "Label:" padded as docker's tabwriter pads the block it belongs to.
std::string field(const std::string& indent, const std::string& label, const std::string& value,
                  size_t width) {
  std::string l = indent + label + ":";
  if (l.size() < width) l.append(width - l.size(), ' ');
  return l + value;
}

}  // namespace

void register_version(CLI::App& app, Globals&) {
  auto format = std::make_shared<std::string>();
  CLI::App* c = add_command(app, "version", "Display the tug version information");
  c->add_option("-f,--format", *format, "Format the output using a Go template or json");
  c->callback([format] {
    struct utsname u;
    ::uname(&u);
    std::string arch = go_arch(u.machine);
    ordered_json client = {{"Version", TUG_VERSION},
                           {"Os", "linux"},
                           {"Arch", arch},
                           {"OsArch", "linux/" + arch},
                           {"BuiltWith", "C++20, g++ " __VERSION__}};
    ordered_json engine = {
        {"Name", "Engine"},
        {"Version", TUG_VERSION},
        {"Details", {{"Os", "linux"}, {"Arch", arch}, {"KernelVersion", u.release}}}};
    ordered_json server = {{"Platform", {{"Name", "tug"}}},
                           {"Components", ordered_json::array({engine})},
                           {"Version", TUG_VERSION},
                           {"Os", "linux"},
                           {"Arch", arch},
                           {"KernelVersion", u.release}};
    ordered_json v = {{"Client", client}, {"Server", server}};
    if (*format == "json") return out(v.dump());
    if (!format->empty()) return out(render_template(*format, json(v)));
    out("Client:");
    out(field(" ", "Version", TUG_VERSION, 20));
    out(field(" ", "Built with", client["BuiltWith"].get<std::string>(), 20));
    out(field(" ", "OS/Arch", "linux/" + arch, 20));
    out("");
    out("Server:");
    out(" Engine:");
    out(field("  ", "Version", TUG_VERSION, 20));
    out(field("  ", "OS/Arch", "linux/" + arch, 20));
    out(field("  ", "Kernel version", u.release, 20));
  });
}

}  // namespace tug::cli
