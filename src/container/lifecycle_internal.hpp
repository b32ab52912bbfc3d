#pragma once
// What the files of the lifecycle operations (create.cpp, start.cpp,
// exec.cpp, stop.cpp, remove.cpp, etc_files.cpp, lifecycle.cpp) share with
// each other. Not part of the module's contract: other modules use
// lifecycle.hpp.
#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "container/lifecycle.hpp"
#include "runtime/plan.hpp"
#include "userns/userns.hpp"

namespace tug::container {

// Sets KEY=VALUE in env, replacing an existing KEY.
void set_env(std::vector<std::string>& env, const std::string& kv);

// "-e KEY" takes KEY's value from tug's environment, or is dropped if unset.
void add_env_flag(std::vector<std::string>& env, const std::string& flag);

// Each line of an --env-file as an -e flag (comments and blank lines skipped).
void read_env_file(std::vector<std::string>& env, const std::string& path);

// Compiled seccomp filters, kept with the runtime state: gone at a reboot,
// when a new kernel or library may want them compiled again anyway.
std::string seccomp_cache(const Store& store);

// Gives r's addresses on its networks back.
void release_addresses(const Store& store, const Record& r);

// The container whose namespace a spec joins through mode ("container:ID"),
// or "".
std::string joined_id(const std::string& mode);

// The size of the terminal the CLI runs in (its stdout's, else its
// stdin's), for a container's terminal to have it from the start.
void caller_terminal_size(runtime::Plan& plan);

// The hostname a container gets when create did not fix one: the short id.
std::string effective_hostname(const Record& r);

// What the container sees as /etc/hosts, /etc/resolv.conf and
// /etc/hostname: made in its own /dev tmpfs at start, no files on the host.
runtime::PlanInputs etc_files(const Store& store, const image::Store& images, const Record& rec,
                              runtime::Spec spec);

// The mapping rec's container runs with: the store's, or keep-id's.
userns::Mapping container_mapping(const Store& store, const Record& rec);

// Whether the process pid started at start_time (not a reused pid) lives.
bool lives(pid_t pid, uint64_t start_time);

// A container between two runs has no process, but its monitor may be
// waiting out the restart back-off (it records itself in the exited state
// then). Once the stop marker is written, a signal wakes it to find the
// marker and exit; waiting for that lets stop and rm return with nothing
// of the container left.
void wake_waiting_monitor(const State& st);

}  // namespace tug::container
