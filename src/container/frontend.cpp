#include "container/frontend.hpp"

#include "util/fs.hpp"

namespace tug::container {

StartOptions start_options(const Paths& paths, const Record& rec, bool attach) {
  StartOptions so;
  so.attach = attach;
  if (!attach && rec.auto_remove)
    so.exit_command = {self_exe(), "--root", paths.data, "--runroot", paths.run,
                       "rm",       "-f",     "-v",       rec.id};
  return so;
}

}  // namespace tug::container
