#include "image/archive.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <map>
#include <memory>
#include <set>

#include "image/layer.hpp"
#include "image/reference.hpp"
#include "util/digest.hpp"
#include "util/error.hpp"
#include "util/fd.hpp"
#include "util/fs.hpp"
#include "util/libarchive.hpp"
#include "util/log.hpp"
#include "util/strings.hpp"

namespace tug::image {

namespace {

constexpr const char* kOciManifest = "application/vnd.oci.image.manifest.v1+json";
constexpr const char* kOciIndex = "application/vnd.oci.image.index.v1+json";
constexpr const char* kDockerManifest = "application/vnd.docker.distribution.manifest.v2+json";
constexpr const char* kDockerList = "application/vnd.docker.distribution.manifest.list.v2+json";
constexpr const char* kRefNameAnnotation = "org.opencontainers.image.ref.name";
constexpr const char* kContainerdNameAnnotation = "io.containerd.image.name";

[[noreturn]] void corrupt(const std::string& msg) {
  throw Error(Errc::corrupt, msg);
}

// Normalises a member path: no leading "/" or "./", no "." parts; ".." may
// only climb inside the archive (symlink targets such as ../x.tar).
std::string clean_member(const std::string& path) {
  std::vector<std::string> out;
  for (const auto& c : split(path, '/')) {
    if (c.empty() || c == ".") continue;
    if (c == "..") {
      if (out.empty()) corrupt("archive member " + quote(path) + " points outside the archive");
      out.pop_back();
      continue;
    }
    out.push_back(c);
  }
  return join(out, "/");
}

// The outer archive, unpacked member by member into flat files in a staging
// directory. Only names are kept from the archive; nothing is created on
// disk under a name taken from it, so a hostile archive cannot place files.
class Members {
 public:
  void unpack(int fd, const std::string& dir, const std::string& label) {
    make_dirs(dir, 0700);
    std::unique_ptr<archive, int (*)(archive*)> a(
        dl::archive_read_new(), [](archive* x) { return dl::archive_read_free(x); });
    dl::archive_read_support_filter_all(a.get());
    dl::archive_read_support_format_tar(a.get());
    auto fail = [&](const std::string& what) {
      dl::throw_if_out_of_space(a.get(), label + ": " + what + " into " + dir);
      const char* m = dl::archive_error_string(a.get());
      corrupt(label + ": " + what + ": " + (m ? m : "unreadable archive"));
    };
    if (dl::archive_read_open_fd(a.get(), fd, 1 << 16) != ARCHIVE_OK) fail("opening");
    std::map<std::string, std::string> symlinks;
    for (int n = 0;; ++n) {
      archive_entry* e = nullptr;
      int r = dl::archive_read_next_header(a.get(), &e);
      if (r == ARCHIVE_EOF) break;
      if (r < ARCHIVE_WARN) fail("reading");
      const char* p = dl::archive_entry_pathname(e);
      std::string name = clean_member(p ? p : "");
      if (name.empty()) continue;
      if (const char* hl = dl::archive_entry_hardlink(e)) {
        symlinks[name] = clean_member(hl);
        continue;
      }
      if (dl::archive_entry_filetype(e) == AE_IFLNK) {
        const char* t = dl::archive_entry_symlink(e);
        std::string target = t ? t : "";
        std::string base = name.find('/') == std::string::npos ? "" : dirname_of(name) + "/";
        symlinks[name] = clean_member(target.starts_with("/") ? target : base + target);
        continue;
      }
      if (dl::archive_entry_filetype(e) != AE_IFREG) continue;
      std::string file = dir + "/m" + std::to_string(n);
      UniqueFd out = open_or_throw(file, O_WRONLY | O_CREAT | O_EXCL, 0600);
      if (dl::archive_read_data_into_fd(a.get(), out.get()) != ARCHIVE_OK) fail("reading " + name);
      files_[name] = file;
    }
    for (const auto& [name, target] : symlinks) {
      std::string t = target;
      for (int hops = 0; hops < 16 && symlinks.count(t); ++hops) t = symlinks.at(t);
      if (auto it = files_.find(t); it != files_.end()) files_[name] = it->second;
    }
  }

  bool has(const std::string& name) const { return files_.count(clean_member(name)) > 0; }
  std::string path(const std::string& name) const {
    auto it = files_.find(clean_member(name));
    if (it == files_.end()) corrupt("archive has no file " + quote(name) + " (truncated?)");
    return it->second;
  }
  std::string read(const std::string& name) const { return read_file(path(name)); }

 private:
  std::map<std::string, std::string> files_;
};

std::vector<std::string> diff_ids_of(const json& config, const std::string& what) {
  auto rootfs = config.find("rootfs");
  if (rootfs == config.end() || !rootfs->is_object() || !rootfs->contains("diff_ids") ||
      !(*rootfs)["diff_ids"].is_array())
    corrupt(what + ": config has no rootfs.diff_ids");
  std::vector<std::string> out;
  for (const auto& d : (*rootfs)["diff_ids"]) {
    if (!d.is_string() || !is_sha256_digest(d.get<std::string>()))
      corrupt(what + ": config has a malformed diff_id");
    out.push_back(d.get<std::string>());
  }
  return out;
}

std::string normalise_name(const std::string& text) {
  return parse_reference(text).str();
}

// Verifies one layer of an archive against the config (and, for OCI, the
// manifest's descriptor) and stages it.
Layer stage_verified_layer(Staging& st, const std::string& file, const std::string& media_type,
                           const std::string& want_diff_id, const std::string& want_digest,
                           const std::string& what) {
  Layer l = with_context(what, [&] { return st.add_layer(file, media_type, want_diff_id); });
  if (!want_digest.empty() && l.digest != want_digest)
    corrupt(what + ": digest mismatch: archive blob is " + l.digest + ", manifest says " +
            want_digest);
  if (l.diff_id != want_diff_id)
    corrupt(what + ": diff_id mismatch: layer content is " + l.diff_id + ", config says " +
            want_diff_id);
  return l;
}

void load_docker(Staging& st, const Members& m, std::vector<LoadedImage>& out) {
  json manifest = parse_json(m.read("manifest.json"), "manifest.json");
  if (!manifest.is_array() || manifest.empty()) corrupt("manifest.json lists no images");
  std::optional<json> repositories;
  if (m.has("repositories")) repositories = parse_json(m.read("repositories"), "repositories");
  for (const auto& entry : manifest) {
    std::string cfg_name = json_str(entry, "Config");
    if (cfg_name.empty()) corrupt("manifest.json: image without Config");
    std::string cfg = m.read(cfg_name);
    std::string id = sha256_hex(cfg);
    // Docker names the config after its digest ("<hex>.json", or
    // "blobs/sha256/<hex>" since docker 25): the name is a promise to check.
    std::string base = basename_of(cfg_name);
    if (ends_with(base, ".json")) base = base.substr(0, base.size() - 5);
    if (is_hex64(base) && base != id)
      corrupt("config " + cfg_name + ": digest mismatch: content is sha256:" + id);
    json config = parse_json(cfg, "config " + cfg_name);
    auto diff_ids = diff_ids_of(config, "config " + cfg_name);
    auto layers_j = entry.value("Layers", json::array());
    if (!layers_j.is_array() || layers_j.size() != diff_ids.size())
      corrupt("image " + id.substr(0, 12) + ": manifest.json lists " +
              std::to_string(layers_j.size()) + " layers, config has " +
              std::to_string(diff_ids.size()));
    std::vector<Layer> layers;
    for (size_t i = 0; i < diff_ids.size(); ++i) {
      std::string name = layers_j[i].get<std::string>();
      std::string want_digest;
      if (starts_with(name, "blobs/sha256/") && is_hex64(basename_of(name)))
        want_digest = "sha256:" + basename_of(name);
      layers.push_back(stage_verified_layer(st, m.path(name), "", diff_ids[i], want_digest,
                                            "layer " + std::to_string(i + 1) + " (" + name + ")"));
    }
    std::vector<std::string> names;
    if (auto tags = entry.find("RepoTags"); tags != entry.end() && tags->is_array())
      for (const auto& t : *tags)
        if (t.is_string()) names.push_back(normalise_name(t.get<std::string>()));
    if (names.empty() && repositories && repositories->is_object() && !layers_j.empty()) {
      // Legacy archives name images by their top layer's v1 id.
      std::string top = dirname_of(clean_member(layers_j.back().get<std::string>()));
      for (const auto& [repo, tags] : repositories->items())
        if (tags.is_object())
          for (const auto& [tag, v1] : tags.items())
            if (v1.is_string() && v1.get<std::string>() == top)
              names.push_back(normalise_name(repo + ":" + tag));
    }
    st.add_image(cfg, "", layers, names);
    out.push_back({id, names});
  }
}

// Reads an OCI blob named by a descriptor and checks digest and size.
std::string read_oci_blob(const Members& m, const json& desc, const std::string& what) {
  std::string digest = json_str(desc, "digest");
  if (!is_sha256_digest(digest))
    corrupt(what + ": unsupported or malformed digest " + quote(digest));
  std::string bytes = m.read("blobs/sha256/" + digest_hex(digest));
  if ("sha256:" + sha256_hex(bytes) != digest) corrupt(what + ": digest mismatch for " + digest);
  if (desc.contains("size") && desc["size"].is_number() &&
      desc["size"].get<int64_t>() != static_cast<int64_t>(bytes.size()))
    corrupt(what + ": size mismatch for " + digest);
  return bytes;
}

std::string desc_media_type(const json& desc, const json& body) {
  std::string mt = json_str(desc, "mediaType");
  if (mt.empty()) mt = json_str(body, "mediaType");
  return mt;
}

// The platform this host runs, from a list: linux/<arch>, else the first.
const json* pick_platform(const json& manifests) {
  const json* first = nullptr;
  for (const auto& d : manifests) {
    if (!first) first = &d;
    auto p = d.find("platform");
    if (p != d.end() && json_str(*p, "os") == "linux" &&
        json_str(*p, "architecture") == host_architecture())
      return &d;
  }
  return first;
}

void load_oci_manifest(Staging& st, const Members& m, const json& desc,
                       const std::vector<std::string>& names, std::vector<LoadedImage>& out) {
  std::string mbytes = read_oci_blob(m, desc, "manifest");
  json man = parse_json(mbytes, "manifest " + json_str(desc, "digest"));
  std::string mt = desc_media_type(desc, man);
  if (mt == kOciIndex || mt == kDockerList || man.contains("manifests")) {
    const json* sub = pick_platform(man.value("manifests", json::array()));
    if (!sub) corrupt("image index " + json_str(desc, "digest") + " lists no manifests");
    load_oci_manifest(st, m, *sub, names, out);
    return;
  }
  if (!mt.empty() && mt != kOciManifest && mt != kDockerManifest)
    throw Error(Errc::unsupported, "unsupported manifest media type " + mt);
  if (!man.contains("config") || !man["config"].is_object())
    corrupt("manifest " + json_str(desc, "digest") + " has no config");
  std::string cfg = read_oci_blob(m, man["config"], "config");
  json config = parse_json(cfg, "image config");
  auto diff_ids = diff_ids_of(config, "config " + json_str(man["config"], "digest"));
  auto layers_j = man.value("layers", json::array());
  if (!layers_j.is_array() || layers_j.size() != diff_ids.size())
    corrupt("manifest lists " + std::to_string(layers_j.size()) + " layers, config has " +
            std::to_string(diff_ids.size()));
  std::vector<Layer> layers;
  for (size_t i = 0; i < diff_ids.size(); ++i) {
    const json& ld = layers_j[i];
    std::string digest = json_str(ld, "digest");
    if (!is_sha256_digest(digest)) corrupt("layer " + std::to_string(i + 1) + ": malformed digest");
    std::string what = "layer " + std::to_string(i + 1) + " (" + digest + ")";
    Layer l = stage_verified_layer(st, m.path("blobs/sha256/" + digest_hex(digest)),
                                   json_str(ld, "mediaType"), diff_ids[i], digest, what);
    if (ld.contains("size") && ld["size"].is_number() && ld["size"].get<int64_t>() != l.blob_size)
      corrupt(what + ": size mismatch");
    layers.push_back(l);
  }
  st.add_image(cfg, mbytes, layers, names);
  out.push_back({sha256_hex(cfg), names});
}

void load_oci(Staging& st, const Members& m, std::vector<LoadedImage>& out) {
  if (!m.has("oci-layout")) corrupt("index.json without oci-layout: not an oci-archive");
  json index = parse_json(m.read("index.json"), "index.json");
  auto manifests = index.value("manifests", json::array());
  if (!manifests.is_array() || manifests.empty()) corrupt("index.json lists no images");
  for (const auto& desc : manifests) {
    std::vector<std::string> names;
    auto ann = desc.value("annotations", json::object());
    std::string full = json_str(ann, kContainerdNameAnnotation);
    std::string ref = json_str(ann, kRefNameAnnotation);
    // ref.name is a full reference when podman or skopeo wrote it, but may be
    // a bare tag ("latest") in other layouts; a bare tag names nothing.
    if (!full.empty())
      names.push_back(normalise_name(full));
    else if (ref.find_first_of(":/") != std::string::npos)
      names.push_back(normalise_name(ref));
    load_oci_manifest(st, m, desc, names, out);
  }
}

// ---- writing ------------------------------------------------------------------

class ArchiveWriter {
 public:
  explicit ArchiveWriter(int fd) {
    a_.reset(dl::archive_write_new());
    dl::archive_write_set_format_pax_restricted(a_.get());
    if (dl::archive_write_open_fd(a_.get(), fd) != ARCHIVE_OK) fail("opening output");
  }

  void dir(const std::string& name) { header(name, AE_IFDIR, 0755, 0); }

  void file(const std::string& name, const std::string& bytes) {
    header(name, AE_IFREG, 0644, static_cast<int64_t>(bytes.size()));
    data(bytes.data(), bytes.size());
  }

  // A member whose content is produced by fill(sink); it must write exactly size bytes.
  void stream(const std::string& name, int64_t size,
              const std::function<void(const std::function<void(const char*, size_t)>&)>& fill) {
    header(name, AE_IFREG, 0644, size);
    int64_t written = 0;
    fill([&](const char* p, size_t n) {
      if (written + static_cast<int64_t>(n) > size)
        corrupt(name + ": content larger than recorded");
      data(p, n);
      written += static_cast<int64_t>(n);
    });
    if (written != size)
      corrupt(name + ": content smaller than recorded (" + std::to_string(written) + " of " +
              std::to_string(size) + ")");
  }

  void copy_file(const std::string& name, const std::string& path) {
    UniqueFd fd = open_or_throw(path, O_RDONLY);
    struct stat st;
    if (::fstat(fd.get(), &st) != 0) throw_errno("stat " + path);
    stream(name, st.st_size, [&](const auto& sink) {
      char buf[1 << 16];
      for (;;) {
        ssize_t n = ::read(fd.get(), buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) throw_errno("read " + path);
        if (n == 0) break;
        sink(buf, static_cast<size_t>(n));
      }
    });
  }

  void close() {
    if (dl::archive_write_close(a_.get()) != ARCHIVE_OK) fail("finishing archive");
  }

 private:
  struct Free {
    void operator()(archive* a) const { dl::archive_write_free(a); }
  };

  [[noreturn]] void fail(const std::string& what) {
    dl::throw_if_out_of_space(a_.get(), what);
    const char* m = dl::archive_error_string(a_.get());
    throw Error(Errc::io, what + ": " + (m ? m : "write failed"));
  }

  void header(const std::string& name, unsigned type, int perm, int64_t size) {
    archive_entry* e = dl::archive_entry_new();
    ScopeExit free_entry([e] { dl::archive_entry_free(e); });
    dl::archive_entry_set_pathname(e, name.c_str());
    dl::archive_entry_set_filetype(e, type);
    dl::archive_entry_set_perm(e, static_cast<mode_t>(perm));
    dl::archive_entry_set_size(e, size);
    dl::archive_entry_set_mtime(e, 0, 0);
    if (dl::archive_write_header(a_.get(), e) < ARCHIVE_WARN) fail("writing " + name);
  }

  void data(const char* p, size_t n) {
    if (dl::archive_write_data(a_.get(), p, n) < 0) fail("writing archive data");
  }

  std::unique_ptr<archive, Free> a_;
};

struct SaveItem {
  Image img;
  std::string name;  // the name the user gave, fully qualified; empty for ids
};

void save_docker(const Store& store, const std::vector<SaveItem>& items, ArchiveWriter& w) {
  std::set<std::string> written;
  json manifest = json::array();
  json repositories = json::object();
  for (const auto& it : items) {
    const Image& img = it.img;
    json layer_names = json::array();
    for (const auto& l : img.layers) {
      std::string member = digest_hex(l.diff_id) + ".tar";
      layer_names.push_back(member);
      if (!written.insert(member).second) continue;
      std::string blob = store.blob_path(l.digest);
      UniqueFd fd =
          with_context("layer " + l.diff_id, [&] { return open_or_throw(blob, O_RDONLY); });
      w.stream(member, l.size, [&](const auto& sink) { decompress_layer(fd.get(), sink); });
    }
    std::string cfg_member = img.id + ".json";
    if (written.insert(cfg_member).second)
      w.file(cfg_member, read_file(store.blob_path("sha256:" + img.id)));
    json tags = json::array();
    if (!it.name.empty()) {
      tags.push_back(it.name);
      Reference r = parse_reference(it.name);
      if (!r.tag.empty() && !img.layers.empty())
        repositories[r.name()][r.tag] = digest_hex(img.layers.back().diff_id);
    }
    manifest.push_back({{"Config", cfg_member},
                        {"RepoTags", tags.empty() ? json(nullptr) : tags},
                        {"Layers", layer_names}});
  }
  w.file("manifest.json", manifest.dump());
  if (!repositories.empty()) w.file("repositories", repositories.dump());
}

void save_oci(const Store& store, const std::vector<SaveItem>& items, ArchiveWriter& w) {
  std::set<std::string> written;
  w.file("oci-layout", R"({"imageLayoutVersion":"1.0.0"})");
  w.dir("blobs/");
  w.dir("blobs/sha256/");
  ordered_json index;
  index["schemaVersion"] = 2;
  index["manifests"] = ordered_json::array();
  for (const auto& it : items) {
    const Image& img = it.img;
    std::string man = store.manifest(img);
    json mj = parse_json(man, "manifest of " + img.id);
    // The blobs the manifest names, so its digests hold in the archive.
    for (const auto& l : mj.value("layers", json::array())) {
      std::string d = json_str(l, "digest");
      if (written.insert(d).second)
        with_context("image " + img.id.substr(0, 12),
                     [&] { w.copy_file("blobs/sha256/" + digest_hex(d), store.blob_path(d)); });
    }
    std::string cfg_digest = "sha256:" + img.id;
    if (written.insert(cfg_digest).second)
      w.file("blobs/sha256/" + img.id, read_file(store.blob_path(cfg_digest)));
    std::string man_digest = "sha256:" + sha256_hex(man);
    if (written.insert(man_digest).second) w.file("blobs/sha256/" + digest_hex(man_digest), man);
    ordered_json desc;
    desc["mediaType"] = json_str(mj, "mediaType", kOciManifest);
    desc["digest"] = man_digest;
    desc["size"] = man.size();
    if (!it.name.empty()) desc["annotations"] = {{kRefNameAnnotation, it.name}};
    index["manifests"].push_back(desc);
  }
  w.file("index.json", index.dump());
}

// Splits a Dockerfile-style exec or shell form into argv.
json command_form(const std::string& arg) {
  std::string t = trim(arg);
  if (starts_with(t, "[")) {
    try {
      json j = json::parse(t);
      if (j.is_array() &&
          std::all_of(j.begin(), j.end(), [](const json& x) { return x.is_string(); }))
        return j;
    } catch (const json::exception&) {
    }
  }
  return json::array({"/bin/sh", "-c", t});
}

std::string unquote(const std::string& s) {
  if (s.size() >= 2 && (s.front() == '"' || s.front() == '\'') && s.back() == s.front())
    return s.substr(1, s.size() - 2);
  return s;
}

// "A=1 B=2" or "A 1" (the legacy single-variable form).
std::vector<std::pair<std::string, std::string>> key_values(const std::string& arg) {
  std::vector<std::pair<std::string, std::string>> out;
  std::string t = trim(arg);
  size_t eq = t.find('='), sp = t.find_first_of(" \t");
  if (eq == std::string::npos || (sp != std::string::npos && sp < eq)) {
    if (sp == std::string::npos) return out;
    out.emplace_back(t.substr(0, sp), unquote(trim(t.substr(sp + 1))));
    return out;
  }
  // Split on whitespace outside quotes.
  std::vector<std::string> words;
  std::string cur;
  char q = 0;
  for (char c : t) {
    if (q) {
      if (c == q)
        q = 0;
      else
        cur += c;
    } else if (c == '"' || c == '\'') {
      q = c;
    } else if (c == ' ' || c == '\t') {
      if (!cur.empty()) words.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  if (!cur.empty()) words.push_back(cur);
  for (const auto& w : words) {
    bool found = false;
    auto [k, v] = split_once(w, '=', &found);
    if (!found || k.empty()) return {};
    out.emplace_back(k, v);
  }
  return out;
}

}  // namespace

ArchiveFormat parse_archive_format(const std::string& s) {
  if (s.empty() || s == "docker-archive" || s == "docker") return ArchiveFormat::docker;
  if (s == "oci-archive" || s == "oci") return ArchiveFormat::oci;
  throw Error(Errc::usage, "unsupported archive format " + quote(s),
              "use --format docker-archive or --format oci-archive");
}

std::string host_architecture() {
  struct utsname u;
  std::string m = ::uname(&u) == 0 ? u.machine : "x86_64";
  if (m == "x86_64") return "amd64";
  if (m == "aarch64") return "arm64";
  if (m == "i686" || m == "i386") return "386";
  if (starts_with(m, "armv7") || starts_with(m, "armv6")) return "arm";
  return m;
}

std::vector<LoadedImage> load_archive(Store& store, const std::string& path,
                                      const std::function<void(ArchiveFormat)>& admit) {
  bool from_stdin = path.empty() || path == "-";
  std::string label = from_stdin ? "stdin" : path;
  return with_context("loading " + label, [&] {
    UniqueFd file;
    if (!from_stdin) file = open_or_throw(path, O_RDONLY);
    Staging st(store);
    Members m;
    m.unpack(from_stdin ? 0 : file.get(), st.dir() + "/archive", "reading archive");
    std::vector<LoadedImage> out;
    if (admit && (m.has("manifest.json") || m.has("index.json")))
      admit(m.has("manifest.json") ? ArchiveFormat::docker : ArchiveFormat::oci);
    if (m.has("manifest.json"))
      load_docker(st, m, out);
    else if (m.has("index.json"))
      load_oci(st, m, out);
    else
      corrupt("not a docker-archive or oci-archive (no manifest.json or index.json)");
    st.commit();
    return out;
  });
}

void save_archive(const Store& store, const std::vector<std::string>& refs, ArchiveFormat format,
                  int out_fd) {
  std::vector<SaveItem> items;
  for (const auto& r : refs) {
    Image img = store.get(r);
    items.push_back({img, store.matching_name(img, r).value_or("")});
  }
  ArchiveWriter w(out_fd);
  if (format == ArchiveFormat::docker)
    save_docker(store, items, w);
  else
    save_oci(store, items, w);
  w.close();
}

void apply_config_changes(json& config, const std::vector<std::string>& changes) {
  if (!config.contains("config") || !config["config"].is_object())
    config["config"] = json::object();
  json& c = config["config"];
  for (const auto& change : changes) {
    std::string t = trim(change);
    size_t sp = t.find_first_of(" \t=");
    std::string word = t.substr(0, sp);
    std::string arg = sp == std::string::npos ? "" : trim(t.substr(sp + 1));
    for (auto& ch : word) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    auto bad = [&] {
      throw Error(
          Errc::usage, "invalid change " + quote(change),
          "supported: CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, STOPSIGNAL, USER, VOLUME, WORKDIR");
    };
    if (arg.empty()) bad();
    if (word == "CMD") {
      c["Cmd"] = command_form(arg);
    } else if (word == "ENTRYPOINT") {
      c["Entrypoint"] = command_form(arg);
    } else if (word == "ENV") {
      auto kvs = key_values(arg);
      if (kvs.empty()) bad();
      json env = c.value("Env", json::array());
      for (const auto& [k, v] : kvs) {
        json next = json::array();
        for (const auto& e : env)
          if (!e.is_string() || !starts_with(e.get<std::string>(), k + "=")) next.push_back(e);
        next.push_back(k + "=" + v);
        env = next;
      }
      c["Env"] = env;
    } else if (word == "LABEL") {
      auto kvs = key_values(arg);
      if (kvs.empty()) bad();
      for (const auto& [k, v] : kvs) c["Labels"][k] = v;
    } else if (word == "WORKDIR") {
      c["WorkingDir"] = unquote(arg);
    } else if (word == "USER") {
      c["User"] = unquote(arg);
    } else if (word == "STOPSIGNAL") {
      c["StopSignal"] = unquote(arg);
    } else if (word == "EXPOSE") {
      for (auto p : split(arg, ' ')) {
        p = trim(p);
        if (p.empty()) continue;
        if (p.find('/') == std::string::npos) p += "/tcp";
        c["ExposedPorts"][p] = json::object();
      }
    } else if (word == "VOLUME") {
      json v = command_form(arg);
      if (!starts_with(arg, "[")) v = json::array({unquote(arg)});
      for (const auto& p : v) c["Volumes"][p.get<std::string>()] = json::object();
    } else {
      bad();
    }
  }
}

Image import_tarball(Store& store, const std::string& path, const ImportOptions& opts) {
  bool from_stdin = path.empty() || path == "-";
  std::string label = from_stdin ? "-" : path;
  // Validate the cheap things before reading a large tarball.
  std::string name = opts.name.empty() ? "" : parse_local_reference(opts.name).str();
  ordered_json config;
  config["created"] = now_rfc3339();
  config["architecture"] = host_architecture();
  config["os"] = "linux";
  json runtime = json::object();
  apply_config_changes(runtime, opts.changes);
  config["config"] = runtime["config"];

  return with_context("importing " + label, [&] {
    Staging st(store);
    std::string blob = st.dir() + "/import.blob";
    {
      UniqueFd in;
      if (!from_stdin) in = open_or_throw(path, O_RDONLY);
      UniqueFd out = open_or_throw(blob, O_WRONLY | O_CREAT | O_EXCL, 0600);
      char buf[1 << 16];
      for (;;) {
        ssize_t n = ::read(from_stdin ? 0 : in.get(), buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) throw_errno("read " + label);
        if (n == 0) break;
        with_context("writing " + blob, [&] { write_all(out.get(), buf, static_cast<size_t>(n)); });
      }
    }
    Layer l = st.add_layer(blob);
    config["rootfs"] = {{"type", "layers"}, {"diff_ids", {l.diff_id}}};
    ordered_json h;
    h["created"] = config["created"];
    h["created_by"] = "/bin/sh -c #(nop) ADD file:" + digest_hex(l.diff_id) + " in / ";
    h["comment"] = opts.message.empty()
                       ? "Imported from " + (opts.source_label.empty() ? label : opts.source_label)
                       : opts.message;
    config["history"] = ordered_json::array({h});
    st.add_image(config.dump(), "", {l},
                 name.empty() ? std::vector<std::string>{} : std::vector<std::string>{name});
    return st.commit().at(0);
  });
}

}  // namespace tug::image
