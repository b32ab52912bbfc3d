// tug system check: every host condition tug depends on, what was found and
// what to do about it; exits 1 when one of them keeps containers from running.
#include "cli/commands.hpp"
#include "config/hostinfo.hpp"
#include "storage/driver.hpp"
#include "util/error.hpp"
#include "util/strings.hpp"

namespace tug::cli {

void setup_system_check(CLI::App* c, Globals& g) {
  auto format = std::make_shared<std::string>();
  c->add_option("--format", *format, "Output format: json (default: text)");
  c->callback([format, &g] {
    using S = hostinfo::Check::Status;
    std::vector<hostinfo::Check> checks = hostinfo::checks(g.paths(), g.mapping());
    try {
      // Probes once per store (a trial mount in a throw-away namespace), then remembered.
      storage::Driver d = storage::select_driver(g.paths(), g.mapping());
      if (d == storage::Driver::vfs)
        checks.push_back({"storage driver", S::warn, "vfs: every container copies its image",
                          "kernel overlay in a user namespace needs Linux >= 5.11; otherwise "
                          "make fuse-overlayfs usable (see above)"});
      else
        checks.push_back({"storage driver", S::ok, storage::driver_name(d), ""});
    } catch (const Error& e) {
      checks.push_back({"storage driver", S::fail, e.what(), e.hint()});
    }
    int failed = 0, warned = 0;
    for (const auto& c : checks) {
      failed += c.status == S::fail;
      warned += c.status == S::warn;
    }
    if (*format == "json") {
      json arr = json::array();
      for (const auto& c : checks)
        arr.push_back(json{{"name", c.name},
                           {"status", hostinfo::status_name(c.status)},
                           {"detail", c.detail},
                           {"advice", c.advice}});
      out(arr.dump(4));
    } else if (!format->empty()) {
      throw Error(Errc::usage, "unknown --format " + quote(*format), "use json");
    } else {
      for (const auto& c : checks) {
        std::string st = hostinfo::status_name(c.status);
        out(st + std::string(6 - st.size(), ' ') + c.name + ": " + c.detail);
        if (!c.advice.empty()) out("      -> " + c.advice);
      }
      if (failed)
        out(std::to_string(failed) + " problem(s) keep containers from running here");
      else
        out("containers can run here" +
            (warned ? " (" + std::to_string(warned) + " warning(s): see above)" : std::string()));
    }
    if (failed) g.exit_code = 1;
  });
}

}  // namespace tug::cli
