// tug events: the event log (src/events/), filtered and formatted as docker
// prints it; follows the log until Ctrl-C unless --until or --stream=false.
#include "events/events.hpp"

#include <time.h>

#include <cstdio>

#include "cli/commands.hpp"
#include "cli/format.hpp"
#include "util/error.hpp"

namespace tug::cli {

void register_events(CLI::App& app, Globals& g) {
  struct Flags {
    std::vector<std::string> filters;
    std::string format, since, until;
    bool stream = true;
  };
  auto f = std::make_shared<Flags>();
  CLI::App* c = add_command(app, "events", "Show events from containers, images, volumes and pods");
  c->add_option("-f,--filter", f->filters,
                "Filter output (type=, event=, container=, image=, volume=, pod=, label=)")
      ->allow_extra_args(false);
  c->add_option("--format", f->format, "Format the output using a Go template, or json");
  c->add_option("--since", f->since, "Show events since a timestamp or a duration before now");
  c->add_option("--until", f->until, "Stream events until a timestamp or a duration before now");
  c->add_option("--stream", f->stream,
                "Keep streaming new events (default true; false stops at the end of the log)")
      ->expected(0, 1)
      ->default_str("true");
  c->callback([f, &g] {
    events::Filter filter(f->filters);
    std::optional<Template> tmpl;
    if (!f->format.empty() && f->format != "json") tmpl.emplace(f->format);
    struct timespec ts;
    ::clock_gettime(CLOCK_REALTIME, &ts);
    int64_t now = static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
    int64_t until = f->until.empty() ? 0 : events::parse_time(f->until);
    int64_t since = 0;
    if (!f->since.empty())
      since = events::parse_time(f->since);
    else if (f->stream && f->until.empty())
      since = now;  // docker: without --since only what happens from now on
    bool follow = f->stream && (f->until.empty() || until > now);
    events::read(g.paths(), since, until, follow, [&](const events::Event& e) {
      if (!filter.matches(e)) return true;
      std::string line;
      if (f->format == "json")
        line = events::to_docker_json(e).dump();
      else if (tmpl)
        line = tmpl->render(events::to_template_json(e), true);
      else
        line = events::to_text(e);
      line += "\n";
      std::fwrite(line.data(), 1, line.size(), stdout);
      std::fflush(stdout);
      return !std::ferror(stdout);
    });
  });
}

}  // namespace tug::cli
