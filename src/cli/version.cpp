// tug version: client version in docker's shape.
#include <sys/utsname.h>

#include "build_info.hpp"
#include "cli/commands.hpp"
#include "cli/format.hpp"

namespace tug::cli {

void register_version(CLI::App& app, Globals&) {
  auto format = std::make_shared<std::string>();
  CLI::App* c = add_command(app, "version", "Display the tug version information");
  c->add_option("-f,--format", *format, "Format the output using a Go template or json");
  c->callback([format] {
    struct utsname u;
    ::uname(&u);
    json v = {{"Client",
               {{"Version", TUG_VERSION},
                {"OsArch", std::string("linux/") +
                               (std::string(u.machine) == "x86_64" ? "amd64" : u.machine)},
                {"Os", "linux"},
                {"BuiltWith", "C++20, g++ " __VERSION__}}}};
    if (*format == "json") return out(v.dump(4));
    if (!format->empty()) return out(render_template(*format, v));
    out("Client:");
    out(" Version:      " + v["Client"]["Version"].get<std::string>());
    out(" OS/Arch:      " + v["Client"]["OsArch"].get<std::string>());
    out(" Built with:   " + v["Client"]["BuiltWith"].get<std::string>());
  });
}

}  // namespace tug::cli
