#include "runtime/seccomp.hpp"

#include <doctest/doctest.h>
#include <linux/capability.h>
#include <seccomp.h>

#include <algorithm>

#include "runtime/plan.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"

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

TEST_CASE("seccomp profiles in docker's format") {
  json j = json::parse(R"({
    "defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 1,
    "syscalls": [
      {"names": ["read", "write"], "action": "SCMP_ACT_ALLOW"},
      {"names": ["mkdir"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13},
      {"names": ["personality"], "action": "SCMP_ACT_ALLOW",
       "args": [{"index": 0, "value": 8, "valueTwo": 0, "op": "SCMP_CMP_EQ"}]},
      {"names": ["mount"], "action": "SCMP_ACT_ALLOW", "includes": {"caps": ["CAP_SYS_ADMIN"]}},
      {"names": ["chroot"], "action": "SCMP_ACT_ALLOW", "excludes": {"caps": ["CAP_SYS_CHROOT"]}},
      {"names": ["uname"], "action": "SCMP_ACT_KILL_PROCESS", "includes": {"arches": ["amd64", "arm64"]}}
    ]})");
  uint64_t defaults = runtime::capability_mask({}, {});
  auto p = runtime::parse_seccomp_profile(j, defaults);
  CHECK(p.default_action == SCMP_ACT_ERRNO(1));
  auto find = [&](const std::string& name) -> const runtime::SeccompRule* {
    for (const auto& r : p.rules)
      for (const auto& n : r.names)
        if (n == name) return &r;
    return nullptr;
  };
  REQUIRE(find("write"));
  CHECK(find("write")->action == SCMP_ACT_ALLOW);
  CHECK(find("mkdir")->action == SCMP_ACT_ERRNO(13));
  REQUIRE(find("personality"));
  REQUIRE(find("personality")->args.size() == 1);
  CHECK(find("personality")->args[0].value == 8);
  CHECK(find("personality")->args[0].op == SCMP_CMP_EQ);
  // includes: only with CAP_SYS_ADMIN; excludes: only without CAP_SYS_CHROOT.
  CHECK_FALSE(find("mount"));
  CHECK_FALSE(find("chroot"));  // docker's default set has SYS_CHROOT
  auto admin = runtime::parse_seccomp_profile(j, ~0ULL);
  bool has_mount = false;
  for (const auto& r : admin.rules)
    for (const auto& n : r.names) has_mount = has_mount || n == "mount";
  CHECK(has_mount);
#if defined(__x86_64__) || defined(__aarch64__)
  CHECK(find("uname"));
#endif
  CHECK_THROWS_AS(
      runtime::parse_seccomp_profile(json::parse(R"({"defaultAction": "SCMP_ACT_NOTIFY"})"), 0),
      Error);
  CHECK_THROWS_AS(runtime::parse_seccomp_profile(json::parse(R"({"defaultAction": "SCMP_ACT_ALLOW",
    "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ERRNO", "args": [{"index": 9, "op": "SCMP_CMP_EQ"}]}]})"),
                                                 0),
                  Error);
  CHECK_THROWS_AS(runtime::parse_seccomp_profile(json::parse(R"({"defaultAction": "SCMP_ACT_ALLOW",
    "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ERRNO", "args": [{"index": 0, "op": "SCMP_CMP_LIKE"}]}]})"),
                                                 0),
                  Error);
  CHECK_THROWS_AS(runtime::parse_seccomp_profile(json::array(), 0), Error);
}

TEST_CASE("compiled filters are cached; a damaged entry is compiled again") {
  TempDir t("/tmp", "tug-unit-");
  std::string dir = t.path() + "/seccomp";
  uint64_t def = runtime::capability_mask({}, {});
  int compiled = 0;
  auto compile = [&] {
    ++compiled;
    return runtime::compile_seccomp(def);
  };
  std::string key = runtime::seccomp_key(def);
  runtime::Bpf first = runtime::cached_filter(dir, key, compile);
  CHECK(compiled == 1);
  CHECK(!first.empty());
  CHECK(first.size() % 8 == 0);  // struct sock_filter
  CHECK(runtime::cached_filter(dir, key, compile) == first);
  CHECK(compiled == 1);
  // One flipped byte in the program: the checksum catches it.
  auto entries = list_dir(dir);
  REQUIRE(entries.size() == 1);
  std::string path = dir + "/" + entries[0];
  std::string text = read_file(path);
  text[text.size() - 3] ^= 0x5a;
  write_file(path, text);
  CHECK(runtime::cached_filter(dir, key, compile) == first);
  CHECK(compiled == 2);
  // Other inputs, other entries; no directory, no cache.
  uint64_t admin = runtime::capability_mask({"SYS_ADMIN"}, {});
  CHECK(runtime::seccomp_key(admin) != key);
  CHECK(runtime::compile_seccomp(admin) != first);
  runtime::FakeIds one{0, 1, 0, 1, true}, ranges{0, 65536, 0, 65536, false};
  CHECK(runtime::fake_chown_key(one) != runtime::fake_chown_key(ranges));
  CHECK(runtime::cached_filter("", key, compile) == first);
  CHECK(compiled == 3);
}
