// The table of top-level commands (see commands.hpp: register_commands).
#include "cli/commands.hpp"

#include "util/strings.hpp"

namespace tug::cli {

// podman's untag and docker's buildx (image.cpp).
void register_untag(CLI::App&, Globals&);
void register_buildx(CLI::App&, Globals&);
// podman's older spelling of kube play (kube.cpp).
void register_play(CLI::App&, Globals&);

const std::vector<Command>& commands() {
  // Checked against what each registrar adds by the unit tests.
  static const std::vector<Command> all = {
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
      {"untag", register_untag},
      {"buildx", register_buildx},
      {"inspect", register_inspect},
      {"rename", register_rename},
      {"update", register_update},
      {"port", register_port},
      {"pod", register_pod},
      {"network", register_network},
      {"compose", register_compose},
      {"diff", register_diff},
      {"cp", register_cp},
      {"commit", register_commit},
      {"container", register_container},
      {"system", register_system},
      {"builder", register_builder},
      {"generate", register_generate},
      {"kube", register_kube},
      {"play", register_play},
      {"auto-update", register_auto_update},
      {"pull", register_pull},
      {"push", register_push},
      {"login", register_login},
      {"logout", register_logout},
      {"manifest", register_manifest},
      {"search", register_search},
  };
  return all;
}

namespace {

bool names_command(const Command& c, const std::string& word) {
  for (const auto& n : split(c.names, ' '))
    if (n == word) return true;
  return false;
}

bool has_command(CLI::App& app, const std::string& word) {
  return !app.get_subcommands([&](CLI::App* c) { return c->check_name(word); }).empty();
}

}  // namespace

bool register_commands(CLI::App& app, Globals& g, const std::string& word) {
  const Command* chosen = nullptr;
  if (!word.empty()) {
    for (const Command& c : commands())
      if (names_command(c, word)) chosen = &c;
  }
  if (chosen) {
    chosen->add(app, g);
    if (has_command(app, word)) return true;
  }
  for (const Command& c : commands())
    if (&c != chosen) c.add(app, g);
  return !word.empty() && has_command(app, word);
}

}  // namespace tug::cli
