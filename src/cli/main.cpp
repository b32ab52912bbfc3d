// tug: entry point. Parses global flags, dispatches to one subcommand, and is
// the single place where errors turn into "Error: ..." and an exit code.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <iostream>

#include "build_info.hpp"
#include "cli/args.hpp"
#include "cli/commands.hpp"
#include "config/containers_conf.hpp"
#include "storage/driver.hpp"
#include "util/error.hpp"
#include "util/log.hpp"
#include "util/strings.hpp"

namespace tug::cli {

namespace {

int report(const Error& e, int code) {
  std::fflush(stdout);
  std::string msg = std::string("Error: ") + e.what() + "\n";
  if (!e.hint().empty()) msg += "Hint: " + e.hint() + "\n";
  std::fputs(msg.c_str(), stderr);
  return code;
}

// What the stores' get() exit with when the object a command names does not
// exist: docker's 1 (podman's too in rm, rmi, volume rm, network rm, pod rm).
constexpr int kExitNoSuchObject = 1;

// The exit code of a failed command. docker's run reports every failure of
// its own as 125 (only the container's 126/127 differ), where docker's other
// commands exit 1 for an object that does not exist. podman's own commands
// (pods but pod rm, healthcheck) keep podman's 125.
int exit_code_for(const Error& e, CLI::App& app) {
  // Only a missing object's 1 is the command's to decide; an error that
  // chose its code (run -it without a terminal: docker's 1) keeps it.
  if (e.exit_code() != kExitNoSuchObject || e.code() != Errc::not_found) return e.exit_code();
  CLI::App* leaf = &app;
  while (!leaf->get_subcommands().empty()) leaf = leaf->get_subcommands().front();
  std::string group = leaf->get_parent() ? leaf->get_parent()->get_name() : "";
  if (leaf->get_name() == "run" || group == "healthcheck" ||
      (group == "pod" && leaf->get_name() != "rm"))
    return kExitToolError;
  return e.exit_code();
}

}  // namespace

// docker's and podman's global flags. Those that configure a module below
// cli/ pass their value on as the environment variable the module reads, so
// the monitors and helpers tug starts inherit it too.
static void add_global_flags(CLI::App& app, Globals& g) {
  app.add_option("--root", g.root, "Storage root directory");
  app.add_option("--runroot", g.runroot, "Runtime state directory");
  app.add_option("--log-level", g.log_level,
                 "Log level (trace, debug, info, warn, error, fatal, panic)")
      ->each([](const std::string& v) {
        LogLevel l;
        if (!parse_log_level(v, &l))
          throw Error(Errc::usage, "invalid log level " + quote(v),
                      "use error, warn, info or debug");
        set_log_level(l);
      });
  app.add_flag_callback(
      "-D,--debug", [] { set_log_level(LogLevel::debug); },
      "Enable debug mode (--log-level debug)");
  app.add_option("--config", "Location of client config files (docker's; default ~/.docker)")
      ->each([](const std::string& v) { ::setenv("DOCKER_CONFIG", v.c_str(), 1); });
  app.add_option("--storage-driver", "Storage driver: overlay, fuse-overlayfs or vfs")
      ->each([](const std::string& v) {
        storage::parse_driver(v);  // refuses an unknown name now
        ::setenv("TUG_STORAGE_DRIVER", v.c_str(), 1);
      });
  app.add_option("--events-backend", "Where events go: file (the default) or none")
      ->each([](const std::string& v) {
        if (v == "journald") {
          log_warn("the journald events backend is not available; using file");
        } else if (v != "file" && v != "none") {
          throw Error(Errc::usage, "invalid events backend " + quote(v),
                      "use file, journald or none");
        }
        ::setenv("TUG_EVENTS_BACKEND", v == "none" ? "none" : "file", 1);
      });
  app.add_flag_callback(
      "--noout",
      [] {
        std::fflush(stdout);
        int fd = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
        if (fd >= 0) {
          ::dup3(fd, STDOUT_FILENO, 0);
          ::close(fd);
        }
      },
      "Do not print to stdout");
  static bool show_version = false;
  app.add_flag("-v,--version", show_version, "Print version information and exit");
  app.set_version_flag();
}

int main(int argc, char** argv) {
  CLI::App app{"tug: rootless, daemonless containers", "tug"};
  app.require_subcommand(1);
  take_last_values(app);
  Globals g;
  g.argv.assign(argv, argv + argc);
  add_global_flags(app, g);

  try {
    if (argc == 2 && (std::string(argv[1]) == "-v" || std::string(argv[1]) == "--version")) {
      out(std::string("tug version ") + TUG_VERSION);
      return 0;
    }
    // The command is the first word that is neither a global flag nor its
    // value.
    std::string word;
    for (int i = 1; i < argc; ++i) {
      std::string a = argv[i];
      if (const CLI::Option* o = app.get_option_no_throw(a);
          o && a.find('=') == std::string::npos && takes_value(o)) {
        ++i;
        continue;
      }
      if (a.empty() || a[0] == '-') continue;
      word = a;
      break;
    }
    // Name an unknown command as such rather than as an unexpected argument.
    if (!register_commands(app, g, word) && !word.empty())
      throw Error(Errc::usage, "unrecognized command `tug " + word + "`",
                  "try 'tug --help' for more information");
    // containers.conf is read by every command, so a malformed file is
    // reported at once, as podman does. Its events_logger is a default:
    // --events-backend (whose callback runs in parse) and a value
    // inherited from a parent tug win.
    if (!word.empty() && !std::getenv("TUG_EVENTS_BACKEND")) {
      const std::string& ev = containers_conf().events_logger;
      if (ev == "journald")
        log_warn("containers.conf: the journald events backend is not available; using file");
      if (!ev.empty()) ::setenv("TUG_EVENTS_BACKEND", ev == "none" ? "none" : "file", 1);
    }
    try {
      // CLI11 takes the words last first.
      std::vector<std::string> args =
          normalize_args(app, std::vector<std::string>(argv + 1, argv + argc));
      std::reverse(args.begin(), args.end());
      app.parse(std::move(args));
    } catch (const CLI::CallForHelp&) {
      return app.exit(CLI::CallForHelp());
    } catch (const CLI::CallForAllHelp&) {
      return app.exit(CLI::CallForAllHelp());
    } catch (const CLI::ParseError& e) {
      if (e.get_exit_code() == 0) return app.exit(e);
      throw Error(Errc::usage, e.what(), "see 'tug --help'");
    }
    return g.exit_code;
  } catch (const Error& e) {
    return report(e, exit_code_for(e, app));
  } catch (const std::exception& e) {
    return report(Error(Errc::generic, e.what()), kExitToolError);
  }
}

}  // namespace tug::cli

int main(int argc, char** argv) {
  tug::LogLevel lvl;
  if (const char* l = std::getenv("TUG_LOG_LEVEL"); l && tug::parse_log_level(l, &lvl))
    tug::set_log_level(lvl);
  int code = tug::cli::main(argc, argv);
  // Straight out: the static destructors (CLI11's validators in every
  // command's file, the iostreams) free memory the kernel takes back
  // anyway, and paging their code in again cost 0.1-0.25 ms of each exit.
  std::fflush(nullptr);
  std::cout.flush();
  ::_exit(code);
}
