#include <doctest/doctest.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "image/check.hpp"
#include "image/layer.hpp"
#include "image_test_util.hpp"
#include "util/error.hpp"
#include "util/fd.hpp"
#include "util/fs.hpp"
#include "util/strings.hpp"

using namespace tug;
using namespace tug::image;
using test::TarEntry;
using test::write_test_tar;

namespace {

// Extracts tar into root, lets change alter the tree (all inside the user
// namespace, as the store does), then verifies the tree against the tar.
LayerVerification extract_change_verify(const std::string& tar, const std::string& root,
                                        const std::function<void()>& change = {}) {
  make_dirs(root);
  std::string out = root + ".result";
  userns::run_in_userns(
      test::single_mapping(),
      [&] {
        {
          UniqueFd fd = open_or_throw(tar, O_RDONLY);
          ExtractOptions o;
          o.ignore_chown_errors = true;
          extract_layer(fd.get(), root, o);
        }
        if (change) change();
        UniqueFd fd = open_or_throw(tar, O_RDONLY);
        LayerVerification v = verify_layer(fd.get(), root, 3);
        std::string text;
        for (const auto& d : v.differences) text += d + "\n";
        text += "more " + std::to_string(v.more) + "\n" + v.digests.diff_id + "\n";
        write_file(out, text);
      },
      0);
  std::string text = read_file(out);
  LayerVerification v;
  auto lines = split(text, '\n');
  for (const auto& l : lines) {
    if (starts_with(l, "more ")) {
      v.more = std::stoll(l.substr(5));
      break;
    }
    v.differences.push_back(l);
  }
  v.digests.diff_id = lines[v.differences.size() + 1];
  return v;
}

// A layer with what extraction treats specially: whiteouts, an opaque
// directory, hardlinks, a file written through the layer's own symlink, a
// directory replaced by a file, entries given twice.
const std::vector<TarEntry> kTricky = {
    {"etc/", 'd'},
    {"etc/passwd", 'f', "root:x:0:0::/root:/bin/sh\n"},
    {"etc/shadow", 'f', "root:*:1::::::\n", 0640},
    {"etc/.wh.motd", 'f'},
    {"var/", 'd', "", 01777},
    {"var/.wh..wh..opq", 'f'},
    {"var/log/", 'd'},
    {"bin/busybox", 'f', "elf", 04755},
    {"bin/sh", 'l', "busybox"},
    {"bin/ash", 'h', "bin/busybox"},
    {"real/", 'd'},
    {"via", 'l', "real"},
    {"via/file", 'f', "through the link"},
    {"gone/", 'd'},
    {"gone/child", 'f', "c"},
    {"gone", 'f', "now a file"},
    {"twice", 'f', "first"},
    {"twice", 'f', "second"},
};

}  // namespace

TEST_CASE("verify_layer: a freshly extracted layer matches its blob, however tricky") {
  TempDir t("/tmp", "tug-check-test-");
  write_test_tar(t.path() + "/l.tar", kTricky, "gzip");
  LayerVerification v = extract_change_verify(t.path() + "/l.tar", t.path() + "/root");
  CHECK(v.differences.empty());
  CHECK(v.more == 0);
  CHECK(starts_with(v.digests.diff_id, "sha256:"));
}

TEST_CASE("verify_layer: changed, missing, added files, modes and symlink targets are found") {
  TempDir t("/tmp", "tug-check-test-");
  write_test_tar(t.path() + "/l.tar", kTricky);
  std::string root = t.path() + "/root";
  LayerVerification v = extract_change_verify(t.path() + "/l.tar", root, [&] {
    write_file(root + "/etc/passwd", "evil:x:0:0::/root:/bin/sh\n");  // same size
    ::unlink((root + "/real/file").c_str());
  });
  REQUIRE(v.differences.size() == 2);
  CHECK(v.differences[0] == "/etc/passwd: content differs");
  CHECK(v.differences[1] == "/real/file: missing");

  TempDir t2("/tmp", "tug-check-test-");
  write_test_tar(t2.path() + "/l.tar", kTricky);
  root = t2.path() + "/root";
  v = extract_change_verify(t2.path() + "/l.tar", root, [&] {
    write_file(root + "/added", "x");
    ::chmod((root + "/etc/shadow").c_str(), 0644);
    ::unlink((root + "/bin/sh").c_str());
    ::symlink("/elsewhere", (root + "/bin/sh").c_str());
    write_file(root + "/twice", "first!");
  });
  REQUIRE(v.differences.size() == 3);
  CHECK(v.differences[0] == "/added: not in the layer's archive");
  CHECK(v.differences[1] ==
        "/bin/sh: symlink to \"/elsewhere\", the layer's archive has \"busybox\"");
  CHECK(v.differences[2] == "/etc/shadow: mode 0644, the layer's archive has 0640");
  CHECK(v.more == 1);  // /twice: size

  TempDir t3("/tmp", "tug-check-test-");
  write_test_tar(t3.path() + "/l.tar", kTricky);
  root = t3.path() + "/root";
  v = extract_change_verify(t3.path() + "/l.tar", root, [&] {
    remove_tree(root + "/var");              // a whole directory: named once
    ::unlink((root + "/etc/motd").c_str());  // the whiteout
  });
  REQUIRE(v.differences.size() == 2);
  CHECK(v.differences[0] == "/etc/motd: missing");
  CHECK(v.differences[1] == "/var: missing");
}

TEST_CASE("temp_owner: the pid in the names of tug's temporary files") {
  CHECK(temp_owner("state.json.tmp-1234") == 1234);
  CHECK(temp_owner("img-42-abcdef") == 42);
  CHECK(temp_owner("img-42-b1X2Y3") == 42);
  CHECK(temp_owner("build-stdin-77-XyZ123") == 77);
  CHECK(temp_owner("sqfs-123456") == 0);  // an older TempDir: no pid
  CHECK(temp_owner("state.json.tmp-x") == 0);
  CHECK(temp_owner("plain") == 0);
  CHECK(process_alive(::getpid()));
}
