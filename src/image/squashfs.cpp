#include "image/squashfs.hpp"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "image/layer.hpp"
#include "storage/driver.hpp"
#include "util/digest.hpp"
#include "util/error.hpp"
#include "util/fd.hpp"
#include "util/fs.hpp"
#include "util/process.hpp"
#include "util/strings.hpp"

namespace tug::image {

namespace {

constexpr const char* kPrefix = "squashfs:";

std::string absolute_path(const std::string& path) {
  char* real = ::realpath(path.c_str(), nullptr);
  if (!real) {
    int e = errno;
    if (e == ENOENT) throw Error(Errc::not_found, "squashfs image " + path + ": no such file");
    throw Error(Errc::permission, "squashfs image " + path + ": " + std::strerror(e));
  }
  std::string out(real);
  ::free(real);
  return out;
}

std::string first_line(const std::string& text) {
  std::string t = text;
  while (!t.empty() && (t.back() == '\n' || t.back() == ' ')) t.pop_back();
  auto nl = t.rfind('\n');
  return nl == std::string::npos ? t : t.substr(nl + 1);
}

// A file of the image's tree, or nullopt when the squashfs has no such file.
std::optional<std::string> read_inside(const std::string& image, const std::string& inside) {
  if (find_in_path("unsquashfs").empty())
    throw Error(Errc::not_found, "unsquashfs not found: it reads squashfs images",
                "install package squashfs-tools");
  CommandResult r = run_command({"unsquashfs", "-cat", image, inside});
  if (r.status == 0) return r.out;
  // 2: the file system is fine but has no such file (unsquashfs "no matches").
  if (r.status == 2) return std::nullopt;
  throw Error(Errc::corrupt, "cannot read squashfs image " + image + ": " + first_line(r.err),
              "the file is damaged or truncated: make it again with tug save --format squashfs");
}

}  // namespace

bool is_squashfs_ref(const std::string& text) {
  return starts_with(text, kPrefix);
}

bool looks_like_squashfs(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  char magic[4] = {};
  return fd && ::read(fd.get(), magic, 4) == 4 && std::memcmp(magic, "hsqs", 4) == 0;
}

Image open_squashfs(const std::string& text) {
  std::string path = is_squashfs_ref(text) ? text.substr(std::strlen(kPrefix)) : text;
  if (path.empty())
    throw Error(Errc::usage, "squashfs: needs a path", "use squashfs:/path/to/image.sqfs");
  std::string abs = absolute_path(path);
  struct stat st;
  if (::stat(abs.c_str(), &st) != 0 || !S_ISREG(st.st_mode))
    throw Error(Errc::invalid, abs + " is not a squashfs image (not a regular file)");
  if (::access(abs.c_str(), R_OK) != 0)
    throw Error(Errc::permission, "squashfs image " + abs + ": " + std::strerror(errno));
  if (!looks_like_squashfs(abs))
    throw Error(Errc::invalid, abs + " is not a squashfs image (no squashfs superblock)",
                "make one with tug save --format squashfs -o FILE IMAGE");
  Image img;
  img.squashfs = abs;
  img.size = st.st_size;
  std::optional<std::string> config = read_inside(abs, "/.tug/config.json");
  if (config) {
    img.id = sha256_hex(*config);
    img.config = parse_json(*config, "image config in " + abs);
  } else {
    // Another tool's squashfs (enroot, charliecloud): a rootfs, no config.
    img.id = sha256_hex(std::string(kPrefix) + abs);
    img.config = json::object();
  }
  img.created = json_str(img.config, "created");
  img.names = {kPrefix + abs};
  return img;
}

void save_squashfs(const Store& store, const std::string& ref, const std::string& out_path) {
  Image img = store.get(ref);
  if (!img.squashfs.empty())
    throw Error(Errc::unsupported,
                ref + " is a squashfs image already (" + img.squashfs + "): copy that file");
  std::string sqfstar = find_in_path("sqfstar");
  if (sqfstar.empty())
    throw Error(Errc::not_found, "sqfstar not found: it writes squashfs images",
                "install package squashfs-tools (4.5 or later)");
  std::string config = read_file(store.blob_path("sha256:" + img.id));
  std::vector<std::string> names;
  if (auto n = store.matching_name(img, ref))
    names.push_back(*n);
  else
    names = img.names;

  // /.tug/ is the top-most lower layer of the flattening overlay, so it
  // lands in the tar stream like any file of the image.
  TempDir work(store.paths().tmp(), "sqfs-");
  std::string meta = work.path() + "/meta", merged = work.path() + "/merged";
  make_dirs(meta + "/.tug", 0755);
  make_dirs(merged, 0755);
  ::chmod(meta.c_str(), 0755);
  write_file(meta + "/.tug/config.json", config, 0644);
  write_file(meta + "/.tug/image.json", json{{"names", names}}.dump() + "\n", 0644);
  std::string tmp_out = out_path + ".tmp-" + std::to_string(::getpid());
  ::unlink(tmp_out.c_str());
  ScopeExit drop_tmp([&] { ::unlink(tmp_out.c_str()); });

  Pipe tar = Pipe::make();
  UniqueFd err(::memfd_create("sqfstar-err", MFD_CLOEXEC));
  if (!err) throw_errno("memfd_create");
  pid_t pid = ::fork();
  if (pid < 0) throw_errno("fork");
  if (pid == 0) {
    ::dup2(tar.read.get(), 0);
    int devnull = ::open("/dev/null", O_WRONLY);
    ::dup2(devnull, 1);
    ::dup2(err.get(), 2);
    // The tar stream has no entry for "/": sqfstar would make it 0777 and
    // ours (outside the user namespace); an image's root is 0755 root's.
    ::execl(sqfstar.c_str(), "sqfstar", "-quiet", "-no-progress", "-root-mode", "0755", "-root-uid",
            "0", "-root-gid", "0", tmp_out.c_str(), nullptr);
    ::_exit(127);
  }
  Child writer(pid, Child::OnDestroy::kill_and_wait);
  tar.read.reset();

  storage::Driver driver = storage::select_driver(store.paths(), store.mapping());
  std::optional<Error> tar_error;
  try {
    userns::run_in_userns(store.mapping(), [&] {
      if (driver == storage::Driver::vfs) {
        // No overlay here: the layers are applied to a copy instead.
        std::vector<std::string> dirs;
        for (const auto& l : img.layers) dirs.push_back(store.layer_dir(l.diff_id));
        dirs.push_back(meta);
        apply_layers(dirs, merged);
      } else {
        storage::RootfsPlan plan;
        plan.driver = driver;
        plan.data_root = store.paths().data;
        plan.lowers.push_back(meta);
        for (auto it = img.layers.rbegin(); it != img.layers.rend(); ++it)
          plan.lowers.push_back(store.layer_link(it->diff_id));
        plan.target = merged;
        plan.readonly = true;
        storage::mount_rootfs(plan);
      }
      image::write_tar(merged, tar.write.get());
    });
  } catch (const Error& e) {
    tar_error = e;
  }
  tar.write.reset();
  int status = writer.wait();
  if (status != 0 || tar_error) {
    std::string msg;
    char buf[4096];
    for (off_t off = 0;;) {
      ssize_t n = ::pread(err.get(), buf, sizeof buf, off);
      if (n <= 0) break;
      msg.append(buf, static_cast<size_t>(n));
      off += n;
    }
    if (status != 0)
      throw Error(Errc::io, "sqfstar failed (status " + std::to_string(exit_code_of(status)) + ")" +
                                (msg.empty() ? "" : ": " + first_line(msg)));
    throw *tar_error;
  }
  if (::rename(tmp_out.c_str(), out_path.c_str()) != 0) throw_errno("rename to " + out_path);
  drop_tmp.dismiss();
  if (driver == storage::Driver::vfs)
    userns::run_in_userns(store.mapping(), [&] { remove_tree(merged); });
}

Image load_squashfs(Store& store, const std::string& path) {
  Image found = open_squashfs(path);
  std::optional<std::string> config = read_inside(found.squashfs, "/.tug/config.json");
  if (!config)
    throw Error(Errc::invalid, found.squashfs + " has no image config (/.tug/config.json)",
                "run it directly: tug run squashfs:" + found.squashfs + " COMMAND");
  std::vector<std::string> names;
  if (auto meta = read_inside(found.squashfs, "/.tug/image.json")) {
    json j = parse_json(*meta, "/.tug/image.json in " + found.squashfs);
    if (auto it = j.find("names"); it != j.end() && it->is_array())
      for (const auto& n : *it)
        if (n.is_string()) names.push_back(n.get<std::string>());
  }
  return store.add_squashfs(*config, names, found.squashfs);
}

}  // namespace tug::image
