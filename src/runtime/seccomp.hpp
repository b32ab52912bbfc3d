#pragma once
// The default seccomp filter: system calls that reach past the container's
// namespaces into the host kernel (modules, kexec, clock, swap, keyrings,
// BPF, perf, new namespaces and mounts) fail with EPERM unless the container
// holds the capability that would make them legitimate, as docker's default
// profile decides. Everything else is allowed.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "util/json.hpp"

namespace tug::runtime {

// Names of the system calls to refuse for a container with capability mask
// caps (bit n = capability n). Pure, for unit tests.
std::vector<std::string> blocked_syscalls(uint64_t caps);

// Whether clone/unshare may create namespaces (CAP_SYS_ADMIN kept).
bool may_create_namespaces(uint64_t caps);

// Filters are compiled (libseccomp) into classic BPF, a string of struct
// sock_filter, before the container's process is cloned, and only loaded
// there: compiling the default filter costs ~0.5 ms of every start, so
// compiled filters are kept in a cache directory (see cached_filter).
using Bpf = std::string;

// The default filter for a container with capability mask caps. Throws Error.
Bpf compile_seccomp(uint64_t caps);

// Loads a compiled filter into the calling process. Needs CAP_SYS_ADMIN in
// the current user namespace or no_new_privs. Throws Error on failure.
void load_filter(const Bpf& prog, const std::string& what);

// The compiled filter named by key (a description of everything the
// compilation depends on) from dir, or compile()'s result, stored there for
// the next start. An entry carries its checksum: a damaged one is compiled
// again. With an empty dir nothing is kept.
Bpf cached_filter(const std::string& dir, const std::string& key,
                  const std::function<Bpf()>& compile);
// The cache keys of the default and the fake-chown filter: the inputs of
// their compilation (rules, architecture, libseccomp's version).
std::string seccomp_key(uint64_t caps);

// A profile in docker's (and the OCI runtime spec's) JSON format, as
// `--security-opt seccomp=FILE` gives it: defaultAction, defaultErrnoRet,
// syscalls[{names, action, errnoRet, args[{index, value, valueTwo, op}],
// includes/excludes{caps, arches}}]. Checked when the container is created
// (Error naming the problem), compiled in the container's child.
struct SeccompRule {
  std::vector<std::string> names;
  uint32_t action = 0;  // libseccomp action (SCMP_ACT_*)
  struct Arg {
    unsigned index = 0;
    uint64_t value = 0, value_two = 0;
    int op = 0;  // scmp_compare
  };
  std::vector<Arg> args;
};
struct SeccompProfile {
  uint32_t default_action = 0;
  std::vector<SeccompRule> rules;  // those that apply to caps and this architecture
};
// --security-opt fake-chown (automatic with a single-id mapping): a second
// filter under which changing a file's owner, or the process's ids, to an id
// the user namespace does not map reports success and changes nothing, so
// package managers that chown what they unpack or drop to a service user
// (apt's _apt) go on. With a single-id mapping every chown-family, set*id
// and setgroups call naming another id is faked (with one id, a call naming
// it or -1 changes nothing either way); with ranges only chown-family calls
// naming an id in [hi, 2^31), and -1 runs for real. Only what
// the kernel would refuse anyway is faked: no privilege is gained.
struct FakeIds {
  uint32_t uid_lo = 0, uid_hi = 0;  // mapped container uids: [lo, hi)
  uint32_t gid_lo = 0, gid_hi = 0;
  bool setgroups = false;
};
// The system calls the filter fakes (for `tug info` and tests).
std::vector<std::string> faked_syscalls();
Bpf compile_fake_chown(const FakeIds& ids);
std::string fake_chown_key(const FakeIds& ids);

// Pure: the profile's rules for a container with capability mask caps.
SeccompProfile parse_seccomp_profile(const json& j, uint64_t caps);
// Compiles a parsed profile. Throws Error.
Bpf compile_seccomp_profile(const SeccompProfile& p);

}  // namespace tug::runtime
