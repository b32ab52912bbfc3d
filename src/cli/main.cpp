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

// Every command and the top-level names (and aliases) its registrar adds.
// A run registers only the registrar of the command it names: building the
// whole tree of ~60 commands and their flags was 9 million instructions
// (~3 ms) of every start. A name missing here still works (everything is
// registered then), it only starts slower.
struct Command {
  const char* names;  // space-separated
  Registrar add;
};

const Command kCommands[] = {
    {"run", register_run},
    {"top", register_top},
    {"stats", register_stats},
    {"healthcheck", register_healthcheck},
    {"events", register_events},
    {"pause unpause", register_pause},
    {"volume", register_volume},
    {"exec", register_exec},
    {"__monitor-restart __pod-member-exited", register_monitor_restart},
    {"create", register_create},
    {"start", register_start},
    {"stop", register_stop},
    {"kill", register_kill},
    {"restart", register_restart},
    {"wait", register_wait},
    {"logs", register_logs},
    {"attach", register_attach},
    {"ps list", register_ps},
    {"rm", register_rm},
    {"export", register_export},
    {"unshare", register_unshare},
    {"info", register_info},
    {"version", register_version},
    {"images", register_images},
    {"load", register_load},
    {"save", register_save},
    {"import", register_import},
    {"tag", register_tag},
    {"rmi", register_rmi},
    {"history", register_history},
    {"build", register_build},
    {"image", register_image},
    {"inspect", register_inspect},
    {"rename", register_rename},
    {"port", register_port},
    {"pod", register_pod},
    {"network", register_network},
    {"compose", register_compose},
    {"diff", register_diff},
    {"cp", register_cp},
    {"commit", register_commit},
    {"container", register_container},
    {"system", register_system},
    {"generate", register_generate},
    {"auto-update", register_auto_update},
    {"pull", register_pull},
    {"push", register_push},
    {"login", register_login},
    {"logout", register_logout},
    {"manifest", register_manifest},
    {"search", register_search},
};

bool names_command(const Command& c, const std::string& word) {
  for (const auto& n : split(c.names, ' '))
    if (n == word) return true;
  return false;
}

bool has_command(CLI::App& app, const std::string& word) {
  return !app.get_subcommands([&](CLI::App* c) { return c->check_name(word); }).empty();
}

// Registers the command `word` names, or every command when there is none
// (help) or when the word names none it knows. Returns whether `word`
// names a command.
bool register_commands(CLI::App& app, Globals& g, const std::string& word) {
  const Command* chosen = nullptr;
  if (!word.empty()) {
    for (const Command& c : kCommands)
      if (names_command(c, word)) chosen = &c;
  }
  if (chosen) {
    chosen->add(app, g);
    if (has_command(app, word)) return true;
  }
  for (const Command& c : kCommands)
    if (&c != chosen) c.add(app, g);
  return !word.empty() && has_command(app, word);
}

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
      if (a == "--root" || a == "--runroot" || a == "--log-level") {
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
