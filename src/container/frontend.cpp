#include "container/frontend.hpp"

#include "util/fs.hpp"
#include "util/strings.hpp"

namespace tug::container {

StartOptions start_options(const Paths& paths, const Record& rec, bool attach) {
  StartOptions so;
  so.attach = attach;
  if (!attach && rec.auto_remove)
    so.exit_command = {self_exe(), "--root", paths.data, "--runroot", paths.run,
                       "rm",       "-f",     "-v",       rec.id};
  return so;
}

runtime::Started exec_begin(Store& store, const Record& r, const ExecOptions& opts,
                            const runtime::Stdio& stdio) {
  runtime::Started s = exec_start(store, r, opts, stdio);
  emit_event(store, r, "exec_start: " + join(opts.command, " "));
  return s;
}

void exec_ended(Store& store, const Record& r, int code) {
  emit_event(store, r, "exec_die", {{"exitCode", std::to_string(code)}});
}

}  // namespace tug::container
