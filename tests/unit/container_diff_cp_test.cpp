#include <doctest/doctest.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>

#include <set>

#include "container/copy.hpp"
#include "container/diff.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"

using namespace tug;
using namespace tug::container;

namespace {

void touch(const std::string& path, const std::string& text = "x") {
  make_dirs(dirname_of(path));
  write_file(path, text);
}

// A whiteout is the one device node an unprivileged user may create; skip
// the assertion where even that is refused.
bool whiteout(const std::string& path) {
  make_dirs(dirname_of(path));
  return ::mknod(path.c_str(), S_IFCHR | 0600, makedev(0, 0)) == 0;
}

std::string render(const std::vector<Change>& cs) {
  std::string s;
  for (const auto& c : cs) s += std::string(1, change_letter(c.kind)) + " " + c.path + "\n";
  return s;
}

}  // namespace

TEST_CASE("diff: added, changed and deleted against the image's layers") {
  TempDir t("/tmp", "tug-diff-test-");
  std::string l1 = t.path() + "/l1", l2 = t.path() + "/l2", up = t.path() + "/upper";
  touch(l1 + "/etc/passwd");
  touch(l1 + "/bin/ls");
  touch(l1 + "/old/a");
  touch(l2 + "/etc/group");
  make_dirs(up);
  touch(up + "/etc/passwd", "changed");
  touch(up + "/new/file");
  bool wo = whiteout(up + "/bin/ls");
  touch(up + "/.wh.gone");       // fuse-overlayfs's fallback form
  touch(up + "/etc/hosts", "");  // the runtime's mount point: not a change

  LowerView lower = layers_view({l2, l1});
  auto changes = upper_changes(up, lower);
  std::string expect = std::string(wo ? "C /bin\nD /bin/ls\n" : "C /bin\n") +
                       "C /etc\nC /etc/passwd\nD /gone\nA /new\nA /new/file\n";
  CHECK(render(changes) == expect);
}

TEST_CASE("diff: the lower view honours whiteouts and opaque directories") {
  TempDir t("/tmp", "tug-diff-test-");
  std::string l1 = t.path() + "/l1", l2 = t.path() + "/l2";
  touch(l1 + "/d/a");
  touch(l1 + "/d/b");
  touch(l1 + "/e/x");
  touch(l2 + "/d/c");
  bool wo = whiteout(l2 + "/d/a");
  make_dirs(l2 + "/e");
  bool opaque = ::setxattr((l2 + "/e").c_str(), "user.overlay.opaque", "y", 1, 0) == 0;
  LowerView v = layers_view({l2, l1});
  CHECK(v.exists("/d/b"));
  CHECK(v.exists("/d/c"));
  CHECK(v.exists("/"));
  CHECK_FALSE(v.exists("/nope"));
  if (wo) CHECK_FALSE(v.exists("/d/a"));
  if (opaque) CHECK_FALSE(v.exists("/e/x"));
  auto kids = v.children("/d");
  std::set<std::string> got(kids.begin(), kids.end());
  CHECK(got.count("b"));
  CHECK(got.count("c"));
  if (wo) CHECK_FALSE(got.count("a"));
}

TEST_CASE("cp: container and host arguments are told apart like docker") {
  CHECK(parse_copy_arg("web:/etc/passwd").container == "web");
  CHECK(parse_copy_arg("web:/etc/passwd").path == "/etc/passwd");
  CHECK(parse_copy_arg("web:").path == "");
  CHECK(parse_copy_arg("/abs/a:b").container.empty());
  CHECK(parse_copy_arg("./x:y").container.empty());
  CHECK(parse_copy_arg("dir/x:y").container.empty());
  CHECK(parse_copy_arg("-").container.empty());
  CHECK(parse_copy_arg("plain").path == "plain");
}

TEST_CASE("cp: docker's table of file and directory cases") {
  // file
  CHECK(plan_copy("/f", false, "out", false, false) == CopyMode::replace);
  CHECK(plan_copy("/f", false, "out", true, false) == CopyMode::replace);
  CHECK(plan_copy("/f", false, "dir", true, true) == CopyMode::into);
  CHECK_THROWS_AS(plan_copy("/f", false, "missing/", false, false), Error);
  CHECK_THROWS_AS(plan_copy("/f/", false, "x", false, false), Error);
  CHECK_THROWS_AS(plan_copy("/f", false, "file/", true, false), Error);
  // directory
  CHECK(plan_copy("/d", true, "new", false, false) == CopyMode::replace);
  CHECK(plan_copy("/d", true, "dir", true, true) == CopyMode::into);
  CHECK(plan_copy("/d/", true, "dir", true, true) == CopyMode::into);
  CHECK(plan_copy("/d/.", true, "dir", true, true) == CopyMode::contents);
  CHECK(plan_copy("/d/.", true, "new", false, false) == CopyMode::replace);
  CHECK_THROWS_AS(plan_copy("/d", true, "file", true, false), Error);
}
