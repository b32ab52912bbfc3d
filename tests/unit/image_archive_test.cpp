#include <doctest/doctest.h>
#include <fcntl.h>

#include "image/archive.hpp"
#include "image/store.hpp"
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

struct TestStore {
  TempDir dir{"/tmp", "tug-store-test-"};
  Paths paths = resolve_paths(dir.path() + "/data", dir.path() + "/run");
  Store store{paths, test::single_mapping()};
};

// A docker-archive with one image of one layer; diff_id_override replaces
// the config's diff_id (to fake a corrupt archive).
std::string docker_archive(const std::string& dir, const std::string& diff_id_override = {}) {
  write_test_tar(dir + "/layer.tar", {{"bin/", 'd'}, {"bin/hello", 'f', "hi", 0755}});
  std::string layer = read_file(dir + "/layer.tar");
  std::string diff_id = diff_id_override.empty() ? "sha256:" + sha256_hex(layer) : diff_id_override;
  std::string config = json{{"architecture", "amd64"},
                            {"os", "linux"},
                            {"created", "2024-01-01T00:00:00Z"},
                            {"config", {{"Cmd", {"/bin/hello"}}}},
                            {"rootfs", {{"type", "layers"}, {"diff_ids", {diff_id}}}}}
                           .dump();
  std::string cfg_name = sha256_hex(config) + ".json";
  std::string manifest =
      json::array(
          {{{"Config", cfg_name}, {"RepoTags", {"hello:1"}}, {"Layers", {"abc/layer.tar"}}}})
          .dump();
  std::string out = dir + "/archive.tar";
  write_test_tar(out, {{"abc/", 'd'},
                       {"abc/layer.tar", 'f', layer},
                       {cfg_name, 'f', config},
                       {"manifest.json", 'f', manifest}});
  return out;
}

}  // namespace

TEST_CASE("docker-archive: load, find by short name, save and load again") {
  TestStore s;
  auto loaded = load_archive(s.store, docker_archive(s.dir.path()));
  REQUIRE(loaded.size() == 1);
  CHECK(loaded[0].names == std::vector<std::string>{"docker.io/library/hello:1"});
  Image img = s.store.get("hello:1");
  CHECK(img.id == loaded[0].id);
  CHECK(s.store.get(img.id.substr(0, 8)).id == img.id);
  CHECK(s.store.get("sha256:" + img.id).id == img.id);
  CHECK_FALSE(s.store.find("hello").has_value());  // :latest does not exist
  REQUIRE(img.layers.size() == 1);
  CHECK(read_file(s.store.layer_dir(img.layers[0].diff_id) + "/bin/hello") == "hi");
  std::string link = s.store.layer_link(img.layers[0].diff_id);
  CHECK(link.size() <= 2 + 20);
  CHECK(is_directory(s.paths.data + "/" + link));

  for (auto fmt : {ArchiveFormat::docker, ArchiveFormat::oci}) {
    std::string out = s.dir.path() + "/saved.tar";
    {
      UniqueFd fd = open_or_throw(out, O_WRONLY | O_CREAT | O_TRUNC);
      save_archive(s.store, {"hello:1"}, fmt, fd.get());
    }
    TestStore other;
    auto again = load_archive(other.store, out);
    REQUIRE(again.size() == 1);
    CHECK(again[0].id == img.id);
    CHECK(again[0].names == img.names);
  }

  s.store.tag(img.id, "quay.io/x/y:2");
  CHECK(s.store.get("y:2").id == img.id);  // short name under any registry
  CHECK(s.store.untag("docker.io/library/hello:1") == img.id);
  s.store.remove(img.id);
  CHECK(s.store.list().empty());
  CHECK(list_dir(s.paths.layers()).empty());
  CHECK(list_dir(s.paths.links()).empty());
  CHECK(list_dir(s.paths.blobs()).empty());
}

TEST_CASE("docker-archive with a wrong diff_id stores nothing") {
  TestStore s;
  std::string bad = "sha256:" + std::string(64, '0');
  try {
    load_archive(s.store, docker_archive(s.dir.path(), bad));
    FAIL("loaded a corrupt archive");
  } catch (const Error& e) {
    CHECK(e.code() == Errc::corrupt);
    CHECK(std::string(e.what()).find("diff_id mismatch") != std::string::npos);
  }
  CHECK(s.store.list().empty());
  CHECK(list_dir(s.paths.layers()).empty());
  CHECK(list_dir(s.paths.blobs()).empty());
  CHECK(list_dir(s.paths.links()).empty());
  CHECK(list_dir(s.paths.tmp()).empty());
}

TEST_CASE("truncated archives and stale staging directories") {
  TestStore s;
  std::string good = read_file(docker_archive(s.dir.path()));
  atomic_write(s.dir.path() + "/cut.tar", good.substr(0, good.size() / 2));
  CHECK_THROWS_AS(load_archive(s.store, s.dir.path() + "/cut.tar"), Error);
  CHECK(s.store.list().empty());
  CHECK(list_dir(s.paths.tmp()).empty());
  // A staging directory of a process that no longer exists (pid_max is far
  // below this) is swept by the next writer.
  make_dirs(s.paths.tmp() + "/img-999999999-abcdef/layers/x");
  s.store.clean_stale_staging();
  CHECK(list_dir(s.paths.tmp()).empty());
}

TEST_CASE("import applies changes") {
  TestStore s;
  write_test_tar(s.dir.path() + "/rootfs.tar", {{"etc/", 'd'}, {"etc/os-release", 'f', "x"}});
  ImportOptions o;
  o.changes = {"CMD [\"/bin/sh\"]", "ENV A=1 B=\"two words\"", "WORKDIR /srv", "ENTRYPOINT run me"};
  o.name = "imported";
  Image img = import_tarball(s.store, s.dir.path() + "/rootfs.tar", o);
  CHECK(img.names == std::vector<std::string>{"localhost/imported:latest"});
  const json& c = img.runtime_config();
  CHECK(c["Cmd"] == json::array({"/bin/sh"}));
  CHECK(c["Env"] == json::array({"A=1", "B=two words"}));
  CHECK(c["WorkingDir"] == "/srv");
  CHECK(c["Entrypoint"] == json::array({"/bin/sh", "-c", "run me"}));
  CHECK_THROWS_AS(apply_config_changes(const_cast<json&>(c), {"FROB x"}), Error);
}
