// tug system check [--repair] [--quick]: every host condition tug depends on,
// what was found and what to do about it; then the store (podman's `system
// check`): records that parse, images whose layers are present and complete
// and, unless --quick, whose files match their layers' blobs, no orphaned
// layers, container directories, name claims, staging or temp files
// (container/check.hpp and image/check.hpp say what exactly). One line per
// problem: kind, object, what is wrong. --repair removes what is broken (a
// damaged image unless a container uses it: a later pull or load restores
// it) and says what it did. Exit 1 when a host condition keeps containers
// from running or a problem of the store is left.
#include "cli/commands.hpp"
#include "config/hostinfo.hpp"
#include "container/check.hpp"
#include "storage/driver.hpp"
#include "util/error.hpp"
#include "util/log.hpp"
#include "util/strings.hpp"

namespace tug::cli {

namespace {

std::string plural(int n, const char* what) {
  return std::to_string(n) + " " + what + (n == 1 ? "" : "s");
}

std::string store_summary(const container::StoreCheckReport& r, bool quick) {
  return plural(r.images, "image") + " (" + plural(r.layers, "layer") +
         (quick ? ", contents not verified: --quick"
                : ", " + std::to_string(r.verified) + " verified against their blobs") +
         "), " + plural(r.containers, "container") + ", " + plural(r.volumes, "volume") + ", " +
         plural(r.networks, "network") + ", " + plural(r.pods, "pod");
}

std::string problem_line(const image::Problem& p) {
  std::string s = p.kind + " " + p.object + ": " + p.what;
  if (p.fixed) s += ": " + p.fix;
  return s;
}

}  // namespace

void setup_system_check(CLI::App* c, Globals& g) {
  struct Flags {
    std::string format;
    bool repair = false;
    bool quick = false;
  };
  auto f = std::make_shared<Flags>();
  c->add_option("--format", f->format, "Output format: json (default: text)");
  c->add_flag("-r,--repair", f->repair,
              "Remove what is damaged: broken records, damaged images not in use, orphaned "
              "layers, stale temporary files");
  c->add_flag("-q,--quick", f->quick, "Skip the slow checks (layer contents against their blobs)");
  c->callback([f, &g] {
    using S = hostinfo::Check::Status;
    if (!f->format.empty() && f->format != "json")
      throw Error(Errc::usage, "unknown --format " + quote(f->format), "use json");
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

    container::StoreCheckOptions so;
    so.quick = f->quick;
    so.repair = f->repair;
    container::StoreCheckReport store;
    try {
      store = container::check_store(g.paths(), g.mapping(), so);
    } catch (const Error& e) {
      // A store we may not write (its locks cannot be made) or read: a
      // problem of its own, reported with the host's.
      store.problems.push_back(image::Problem{
          "store", g.paths().data, std::string("cannot be checked: ") + e.what(), "", false});
    }
    int left = 0, fixed = 0;
    for (const auto& p : store.problems) (p.fixed ? fixed : left) += 1;
    for (const auto& name : store.removed_images)
      log_warn("removed the damaged image " + name + ": pull or load it again");

    if (f->format == "json") {
      json arr = json::array();
      for (const auto& c : checks)
        arr.push_back(json{{"name", c.name},
                           {"status", hostinfo::status_name(c.status)},
                           {"detail", c.detail},
                           {"advice", c.advice}});
      for (const auto& p : store.problems)
        arr.push_back(json{{"name", "store"},
                           {"status", p.fixed ? "fixed" : "fail"},
                           {"detail", problem_line(p)},
                           {"advice", p.fixed         ? ""
                                      : p.fix.empty() ? ""
                                                      : "tug system check --repair"},
                           {"kind", p.kind},
                           {"object", p.object},
                           {"problem", p.what},
                           {"repair", p.fix}});
      if (store.problems.empty())
        arr.push_back(json{{"name", "store"},
                           {"status", "ok"},
                           {"detail", store_summary(store, f->quick)},
                           {"advice", ""}});
      out(arr.dump(4));
    } else {
      for (const auto& c : checks) {
        std::string st = hostinfo::status_name(c.status);
        out(st + std::string(6 - st.size(), ' ') + c.name + ": " + c.detail);
        if (!c.advice.empty()) out("      -> " + c.advice);
      }
      if (store.problems.empty()) out("ok    store: " + store_summary(store, f->quick));
      for (const auto& p : store.problems)
        out(std::string(p.fixed ? "fixed " : "fail  ") + "store: " + problem_line(p));
      if (failed)
        out(std::to_string(failed) + " problem(s) keep containers from running here");
      else
        out("containers can run here" +
            (warned ? " (" + std::to_string(warned) + " warning(s): see above)" : std::string()));
      if (store.problems.empty()) {
        out("store: ok");
      } else if (f->repair) {
        out("store: " + std::to_string(fixed) + " problem(s) repaired" +
            (left ? ", " + std::to_string(left) + " left (see above)" : std::string()));
      } else {
        out("store: " + std::to_string(left) +
            " problem(s): `tug system check --repair` removes what is damaged");
      }
    }
    if (failed || left) g.exit_code = 1;
  });
}

}  // namespace tug::cli
