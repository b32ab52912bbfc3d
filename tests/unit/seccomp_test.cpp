#include "runtime/seccomp.hpp"

#include <doctest/doctest.h>
#include <linux/capability.h>

#include <algorithm>

#include "runtime/plan.hpp"

using namespace tug;

namespace {
bool blocks(uint64_t caps, const char* name) {
  auto b = runtime::blocked_syscalls(caps);
  return std::find(b.begin(), b.end(), name) != b.end();
}
}  // namespace

TEST_CASE("the default filter keeps host-kernel calls from a default container") {
  uint64_t def = runtime::capability_mask({}, {});
  for (const char* s : {"kexec_load", "init_module", "mount", "umount2", "unshare", "setns", "bpf",
                        "keyctl", "settimeofday", "swapon", "reboot", "open_by_handle_at"})
    CHECK_MESSAGE(blocks(def, s), s);
  CHECK_FALSE(blocks(def, "read"));
  CHECK_FALSE(blocks(def, "chown"));
  CHECK_FALSE(runtime::may_create_namespaces(def));
}

TEST_CASE("a capability re-allows what it legitimately covers") {
  uint64_t admin = runtime::capability_mask({"SYS_ADMIN"}, {});
  CHECK_FALSE(blocks(admin, "mount"));
  CHECK_FALSE(blocks(admin, "unshare"));
  CHECK(runtime::may_create_namespaces(admin));
  CHECK(blocks(admin, "kexec_load"));  // SYS_BOOT's, not SYS_ADMIN's
  CHECK_FALSE(blocks(runtime::capability_mask({"SYS_TIME"}, {}), "settimeofday"));
  // Never allowed, whatever the capabilities.
  CHECK(blocks(~0ULL, "uselib"));
}

TEST_CASE("security options reach the plan") {
  runtime::Spec s;
  runtime::Plan p;
  runtime::apply_security(s, p);
  CHECK(p.seccomp);
  CHECK_FALSE(p.no_new_privileges);
  s.security_opt = {"seccomp=unconfined", "no-new-privileges"};
  runtime::apply_security(s, p);
  CHECK_FALSE(p.seccomp);
  CHECK(p.no_new_privileges);
}
