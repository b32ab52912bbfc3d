#pragma once
// The default seccomp filter: system calls that reach past the container's
// namespaces into the host kernel (modules, kexec, clock, swap, keyrings,
// BPF, perf, new namespaces and mounts) fail with EPERM unless the container
// holds the capability that would make them legitimate, as docker's default
// profile decides. Everything else is allowed.
#include <cstdint>
#include <string>
#include <vector>

namespace tug::runtime {

// Names of the system calls to refuse for a container with capability mask
// caps (bit n = capability n). Pure, for unit tests.
std::vector<std::string> blocked_syscalls(uint64_t caps);

// Whether clone/unshare may create namespaces (CAP_SYS_ADMIN kept).
bool may_create_namespaces(uint64_t caps);

// Loads the filter into the calling process (libseccomp). Needs CAP_SYS_ADMIN
// in the current user namespace or no_new_privs. Throws Error on failure.
void install_seccomp(uint64_t caps);

}  // namespace tug::runtime
