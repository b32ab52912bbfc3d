// tug-systemd-generator: a systemd generator (systemd.generator(7)) that
// turns Quadlet-style files into service units (systemd/systemd.hpp does
// the work). systemd runs it at boot and at daemon-reload as
//   tug-systemd-generator NORMAL_DIR [EARLY_DIR LATE_DIR]
// from a user-generators directory (the user's units: installed as
// lib/systemd/user-generators/tug-systemd-generator) or a system one.
// --user forces the user's search path, --dryrun prints the units instead.
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "systemd/systemd.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"

namespace fs = std::filesystem;
using namespace tug;

namespace {

void warn(const std::string& msg) {
  std::fprintf(stderr, "tug-systemd-generator: %s\n", msg.c_str());
}

// <prefix>/libexec/tug/tug-systemd-generator -> <prefix>/bin/tug
std::string tug_binary() {
  std::string self = self_exe();
  fs::path prefix = fs::path(self).parent_path().parent_path().parent_path();
  return (prefix / "bin" / "tug").string();
}

}  // namespace

int main(int argc, char** argv) {
  bool user = std::strstr(argv[0], "user-generators") != nullptr;
  bool dryrun = false;
  std::vector<std::string> dirs;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--user" || a == "-user")
      user = true;
    else if (a == "--dryrun" || a == "-dryrun")
      dryrun = true;
    else if (a == "--help" || a == "-h") {
      std::printf(
          "usage: tug-systemd-generator [--user] [--dryrun] NORMAL_DIR [EARLY_DIR LATE_DIR]\n"
          "Writes a .service unit into NORMAL_DIR for each .container, .volume, .network,\n"
          ".pod and .kube file of the Quadlet search path (see docs/systemd.md).\n");
      return 0;
    } else if (!a.empty() && a[0] == '-') {
      warn("unknown option " + a);
      return 2;
    } else
      dirs.push_back(a);
  }
  if (dirs.empty() && !dryrun) {
    warn("missing output directory (usage: tug-systemd-generator NORMAL_DIR [EARLY LATE])");
    return 2;
  }
  std::string tug = tug_binary();
  int failures = 0;
  std::set<std::string> seen;  // file names: the first directory wins
  for (const auto& dir : systemd::quadlet_dirs(user)) {
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) continue;
    std::vector<fs::path> files;
    for (const auto& de : fs::directory_iterator(dir, ec)) {
      std::string ext = de.path().extension().string();
      if (ext == ".container" || ext == ".volume" || ext == ".network" || ext == ".pod" ||
          ext == ".kube")
        files.push_back(de.path());
    }
    std::sort(files.begin(), files.end());
    for (const auto& f : files) {
      if (!seen.insert(f.filename().string()).second) continue;
      try {
        systemd::QuadletUnit u = systemd::quadlet_unit(f.string(), read_file(f.string()), tug);
        if (dryrun) {
          std::printf("---%s---\n%s\n", u.name.c_str(), u.text.c_str());
          continue;
        }
        write_file(dirs[0] + "/" + u.name, u.text, 0644);
        // Generated units cannot be enabled: [Install]'s targets get the
        // .wants links systemctl enable would have made.
        for (const auto& target : u.wanted_by) {
          std::string wants = dirs[0] + "/" + target + ".wants";
          ::mkdir(wants.c_str(), 0755);
          std::string link = wants + "/" + u.name;
          ::unlink(link.c_str());
          if (::symlink(("../" + u.name).c_str(), link.c_str()) != 0)
            warn("linking " + link + ": " + std::strerror(errno));
        }
      } catch (const Error& e) {
        warn(std::string(e.what()) + (e.hint().empty() ? "" : " (" + e.hint() + ")"));
        ++failures;
      } catch (const std::exception& e) {
        warn(f.string() + ": " + e.what());
        ++failures;
      }
    }
  }
  return failures ? 1 : 0;
}
