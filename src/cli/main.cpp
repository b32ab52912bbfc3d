// tug: entry point. Parses global flags, dispatches to one subcommand, and is
// the single place where errors turn into "Error: ..." and an exit code.
#include <unistd.h>

#include <cstdio>
#include <iostream>

#include "build_info.hpp"
#include "cli/commands.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"
#include "util/log.hpp"
#include "util/strings.hpp"

namespace tug::cli {

const Paths& Globals::paths() {
  if (!paths_) paths_ = resolve_paths(root, runroot);
  return *paths_;
}

const userns::Mapping& Globals::mapping() {
  if (!mapping_) mapping_ = userns::default_mapping();
  return *mapping_;
}

image::Store& Globals::images() {
  if (!images_) images_ = std::make_unique<image::Store>(paths(), mapping());
  return *images_;
}

CLI::App* add_command(CLI::App& app, const std::string& name, const std::string& desc) {
  CLI::App* c = app.add_subcommand(name, desc);
  c->fallthrough();
  if (desc.empty()) c->group("");  // internal commands stay out of --help
  return c;
}

void append_cidfile_ids(const std::vector<std::string>& cidfiles, bool ignore,
                        std::vector<std::string>& ids) {
  for (const auto& file : cidfiles) {
    auto text = read_file_if_exists(file);
    if (!text) {
      if (ignore) continue;
      throw Error(Errc::not_found, "reading container ID from " + file + ": no such file");
    }
    std::string id = trim(*text);
    if (id.empty()) throw Error(Errc::invalid, "container ID file " + file + " is empty");
    ids.push_back(id);
  }
}

void out(const std::string& text) {
  std::string s = text + "\n";
  std::fwrite(s.data(), 1, s.size(), stdout);
}

namespace {

const Registrar kRegistrars[] = {
    register_run,         register_top,      register_stats,
    register_healthcheck, register_events,   register_pause,
    register_volume,      register_exec,     register_monitor_restart,
    register_create,      register_start,    register_stop,
    register_kill,        register_restart,  register_wait,
    register_logs,        register_attach,   register_ps,
    register_rm,          register_export,   register_unshare,
    register_info,        register_version,  register_images,
    register_load,        register_save,     register_import,
    register_tag,         register_rmi,      register_history,
    register_build,       register_image,    register_inspect,
    register_rename,      register_port,     register_pod,
    register_network,     register_compose,  register_diff,
    register_cp,          register_commit,   register_container,
    register_system,      register_generate, register_auto_update,
    register_pull,        register_push,     register_login,
    register_logout,      register_manifest, register_search,
};

int report(const Error& e) {
  std::fflush(stdout);
  std::string msg = std::string("Error: ") + e.what() + "\n";
  if (!e.hint().empty()) msg += "Hint: " + e.hint() + "\n";
  std::fputs(msg.c_str(), stderr);
  return e.exit_code();
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"tug: rootless, daemonless containers", "tug"};
  app.require_subcommand(1);
  Globals g;
  g.argv.assign(argv, argv + argc);
  app.add_option("--root", g.root, "Storage root directory");
  app.add_option("--runroot", g.runroot, "Runtime state directory");
  app.add_option("--log-level", g.log_level, "Log level (error, warn, info, debug)")
      ->each([](const std::string& v) {
        LogLevel l;
        if (!parse_log_level(v, &l))
          throw Error(Errc::usage, "invalid log level " + quote(v),
                      "use error, warn, info or debug");
        set_log_level(l);
      });
  bool show_version = false;
  app.add_flag("-v,--version", show_version, "Print version information and exit");
  app.set_version_flag();
  for (Registrar r : kRegistrars) r(app, g);

  try {
    if (argc == 2 && (std::string(argv[1]) == "-v" || std::string(argv[1]) == "--version")) {
      out(std::string("tug version ") + TUG_VERSION);
      return 0;
    }
    // Name an unknown command as such rather than as an unexpected argument.
    for (int i = 1; i < argc; ++i) {
      std::string a = argv[i];
      if (a == "--root" || a == "--runroot" || a == "--log-level") {
        ++i;
        continue;
      }
      if (a.empty() || a[0] == '-') continue;
      auto subs = app.get_subcommands([&](CLI::App* c) { return c->check_name(a); });
      if (subs.empty())
        throw Error(Errc::usage, "unrecognized command `tug " + a + "`",
                    "try 'tug --help' for more information");
      break;
    }
    try {
      app.parse(argc, argv);
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
    return report(e);
  } catch (const std::exception& e) {
    return report(Error(Errc::generic, e.what()));
  }
}

}  // namespace tug::cli

int main(int argc, char** argv) {
  tug::LogLevel lvl;
  if (const char* l = std::getenv("TUG_LOG_LEVEL"); l && tug::parse_log_level(l, &lvl))
    tug::set_log_level(lvl);
  return tug::cli::main(argc, argv);
}
