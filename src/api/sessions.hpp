#pragma once
// What the service remembers between requests, in memory only: attach
// sessions waiting for their container's start, and exec instances
// (docker's are the daemon's too). Nothing here is needed to recover a
// container: a killed service loses only these sessions.
#include <sys/types.h>

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "container/lifecycle.hpp"
#include "util/fd.hpp"

namespace tug::api {

// docker's clients attach before they start (run, start -a): the attach
// waits here. A start through the API then starts the container with a
// client connected to its monitor before it runs (no output missed) and
// leaves that connection for the first waiting session; a start from
// elsewhere (tug start) is noticed by the state, and the sessions connect.
struct AttachWaits {
  std::mutex mu;
  std::map<std::string, int> waiting;                   // container id -> sessions waiting
  std::map<std::string, bool> starting;                 // an API start of it is under way
  std::map<std::string, std::vector<UniqueFd>> handed;  // its pre-connected monitor clients
};

// POST /containers/{id}/exec makes one; /exec/{id}/start runs it.
struct ExecInstance {
  std::string id, container;
  container::ExecOptions opts;
  bool attach_in = false, attach_out = false, attach_err = false;
  bool started = false, running = false;
  std::optional<int> exit_code;
  pid_t pid = 0;
  UniqueFd terminal;  // the pty master while it runs with a terminal (resize)
  // A size asked for between start and the terminal's making (docker's
  // client resizes at once after the hijack): applied when it exists.
  std::optional<std::pair<unsigned short, unsigned short>> pending_size;  // rows, cols
};

struct Execs {
  std::mutex mu;
  std::map<std::string, std::shared_ptr<ExecInstance>> by_id;
};

struct Sessions {
  AttachWaits attach;
  Execs execs;
};

}  // namespace tug::api
