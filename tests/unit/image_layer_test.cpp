#include <doctest/doctest.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>

#include "image/layer.hpp"
#include "image_test_util.hpp"
#include "util/digest.hpp"
#include "util/error.hpp"
#include "util/fd.hpp"
#include "util/fs.hpp"

using namespace tug;
using namespace tug::image;
using test::TarEntry;
using test::write_test_tar;

namespace {

// Extracts tar into dir/root inside a user namespace; rethrows its Error.
void extract_in_userns(const std::string& tar, const std::string& root) {
  make_dirs(root);
  userns::run_in_userns(
      test::single_mapping(),
      [&] {
        UniqueFd fd = open_or_throw(tar, O_RDONLY);
        ExtractOptions o;
        o.ignore_chown_errors = true;
        extract_layer(fd.get(), root, o);
      },
      0);
}

std::string extract_error(const std::vector<TarEntry>& entries) {
  TempDir t("/tmp", "tug-layer-test-");
  write_test_tar(t.path() + "/l.tar", entries);
  try {
    extract_in_userns(t.path() + "/l.tar", t.path() + "/root");
  } catch (const Error& e) {
    CHECK(e.code() == Errc::invalid);
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("layer digests: diff_id of the tar stream, digest of the blob") {
  TempDir t("/tmp", "tug-layer-test-");
  std::vector<TarEntry> entries = {{"etc/", 'd'}, {"etc/hostname", 'f', "box\n"}};
  write_test_tar(t.path() + "/plain.tar", entries);
  write_test_tar(t.path() + "/gz.tar", entries, "gzip");
  write_test_tar(t.path() + "/zst.tar", entries, "zstd");
  std::string plain = sha256_file_hex(t.path() + "/plain.tar");
  CHECK(detect_compression(t.path() + "/plain.tar") == Compression::none);
  CHECK(detect_compression(t.path() + "/gz.tar") == Compression::gzip);
  CHECK(detect_compression(t.path() + "/zst.tar") == Compression::zstd);
  for (const char* name : {"/plain.tar", "/gz.tar", "/zst.tar"}) {
    CAPTURE(name);
    UniqueFd fd = open_or_throw(t.path() + name, O_RDONLY);
    LayerDigests d = digest_layer(fd.get());
    CHECK(d.diff_id == "sha256:" + plain);
    CHECK(d.digest == "sha256:" + sha256_file_hex(t.path() + name));
  }
}

TEST_CASE("extraction keeps files, symlinks, hardlinks and strips leading slashes") {
  TempDir t("/tmp", "tug-layer-test-");
  write_test_tar(t.path() + "/l.tar", {{"/abs/file", 'f', "a", 0600},
                                       {"bin/", 'd', "", 0755},
                                       {"bin/busybox", 'f', "elf", 0755},
                                       {"bin/sh", 'l', "busybox"},
                                       {"bin/ash", 'h', "bin/busybox"},
                                       {"./deep/er/file", 'f', "x"}});
  std::string root = t.path() + "/root";
  extract_in_userns(t.path() + "/l.tar", root);
  CHECK(read_file(root + "/abs/file") == "a");
  struct stat st;
  REQUIRE(::stat((root + "/abs/file").c_str(), &st) == 0);
  CHECK((st.st_mode & 07777) == 0600);
  CHECK(st.st_mtime == 1000000000);
  REQUIRE(::lstat((root + "/bin/sh").c_str(), &st) == 0);
  CHECK(S_ISLNK(st.st_mode));
  REQUIRE(::stat((root + "/bin/ash").c_str(), &st) == 0);
  CHECK(st.st_nlink == 2);
  CHECK(read_file(root + "/deep/er/file") == "x");
}

TEST_CASE("extraction refuses entries that escape the layer root") {
  CHECK(extract_error({{"../evil", 'f', "x"}}).find("escapes the layer root") != std::string::npos);
  CHECK(extract_error({{"a/../../evil", 'f', "x"}}).find("\"a/../../evil\"") != std::string::npos);
  // Writing through a symlink that leaves the root, absolute or relative.
  CHECK(
      extract_error({{"etc", 'l', "/etc"}, {"etc/passwd", 'f', "pwned"}}).find("points outside") !=
      std::string::npos);
  CHECK(
      extract_error({{"up", 'l', "../../../.."}, {"up/x", 'f', "pwned"}}).find("points outside") !=
      std::string::npos);
  // Hardlinks to files outside the root.
  CHECK_FALSE(extract_error({{"pw", 'h', "../../etc/passwd"}}).empty());
  CHECK_FALSE(extract_error({{"pw", 'h', "/etc/passwd"}}).empty());  // no such file in the layer
  // A symlink inside the root may be written through.
  CHECK(extract_error({{"real/", 'd'}, {"alias", 'l', "real"}, {"alias/f", 'f', "ok"}}).empty());
}

TEST_CASE("a symlink cannot redirect a later file entry") {
  TempDir t("/tmp", "tug-layer-test-");
  std::string victim = t.path() + "/victim";
  atomic_write(victim, "safe");
  write_test_tar(t.path() + "/l.tar", {{"f", 'l', victim}, {"f", 'f', "pwned"}});
  extract_in_userns(t.path() + "/l.tar", t.path() + "/root");
  CHECK(read_file(victim) == "safe");
  CHECK(read_file(t.path() + "/root/f") == "pwned");
}

TEST_CASE("whiteouts become overlay whiteouts and opaque directories") {
  TempDir t("/tmp", "tug-layer-test-");
  write_test_tar(t.path() + "/l.tar", {{"etc/", 'd'},
                                       {"etc/.wh.motd", 'f'},
                                       {"var/", 'd'},
                                       {"var/.wh..wh..opq", 'f'},
                                       {"var/new", 'f', "n"}});
  std::string root = t.path() + "/root";
  extract_in_userns(t.path() + "/l.tar", root);
  struct stat st;
  REQUIRE(::lstat((root + "/etc/motd").c_str(), &st) == 0);
  CHECK(S_ISCHR(st.st_mode));
  CHECK(st.st_rdev == makedev(0, 0));
  CHECK_FALSE(path_exists(root + "/etc/.wh.motd"));
  CHECK_FALSE(path_exists(root + "/var/.wh..wh..opq"));
  char v[8] = {};
  CHECK(::getxattr((root + "/var").c_str(), "user.overlay.opaque", v, sizeof v) == 1);
  CHECK(v[0] == 'y');
  CHECK(::getxattr((root + "/var").c_str(), "user.fuseoverlayfs.opaque", v, sizeof v) == 1);
}

TEST_CASE(
    "apply_layers flattens layers honouring whiteouts and opaque dirs; write_tar round trip") {
  TempDir t("/tmp", "tug-layer-test-");
  write_test_tar(t.path() + "/1.tar", {{"a", 'f', "1"},
                                       {"keep", 'f', "k"},
                                       {"dir/", 'd'},
                                       {"dir/old", 'f', "o"},
                                       {"link", 'l', "keep"}});
  write_test_tar(t.path() + "/2.tar",
                 {{".wh.a", 'f'}, {"dir/", 'd'}, {"dir/.wh..wh..opq", 'f'}, {"dir/new", 'f', "n"}});
  extract_in_userns(t.path() + "/1.tar", t.path() + "/l1");
  extract_in_userns(t.path() + "/2.tar", t.path() + "/l2");
  make_dirs(t.path() + "/flat");
  userns::run_in_userns(
      test::single_mapping(),
      [&] {
        apply_layers({t.path() + "/l1", t.path() + "/l2"}, t.path() + "/flat");
      },
      0);
  CHECK_FALSE(path_exists(t.path() + "/flat/a"));
  CHECK(read_file(t.path() + "/flat/keep") == "k");
  CHECK_FALSE(path_exists(t.path() + "/flat/dir/old"));
  CHECK(read_file(t.path() + "/flat/dir/new") == "n");
  CHECK(read_file(t.path() + "/flat/link") == "k");

  // The upper layer as a diff: overlay whiteouts turn back into .wh. entries.
  userns::run_in_userns(
      test::single_mapping(),
      [&] {
        UniqueFd out = open_or_throw(t.path() + "/diff.tar", O_WRONLY | O_CREAT | O_TRUNC);
        TarOptions o;
        o.overlay_whiteouts = true;
        write_tar(t.path() + "/l2", out.get(), o);
      },
      0);
  extract_in_userns(t.path() + "/diff.tar", t.path() + "/again");
  struct stat st;
  REQUIRE(::lstat((t.path() + "/again/a").c_str(), &st) == 0);
  CHECK(S_ISCHR(st.st_mode));
  char v[4];
  CHECK(::getxattr((t.path() + "/again/dir").c_str(), "user.overlay.opaque", v, sizeof v) == 1);
  CHECK(read_file(t.path() + "/again/dir/new") == "n");
}
