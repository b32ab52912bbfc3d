#include "image/check.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <ctime>
#include <optional>

#include "events/events.hpp"
#include "image/layer.hpp"
#include "util/digest.hpp"
#include "util/error.hpp"
#include "util/fd.hpp"
#include "util/fs.hpp"
#include "util/lock.hpp"
#include "util/log.hpp"
#include "util/strings.hpp"

namespace tug::image {

namespace {

bool all_digits(const std::string& s) {
  return !s.empty() && s.find_first_not_of("0123456789") == std::string::npos;
}

std::string short_layer(const std::string& diff_id) {
  return digest_hex(diff_id).substr(0, 12);
}

std::string label(const std::string& id, const std::vector<std::string>& names) {
  std::string s = id.substr(0, 12);
  if (!names.empty()) s += " (" + names.front() + ")";
  return s;
}

// Removes trees that may hold files of container ids: as ourselves first
// (most hold only our own files), else inside the user namespace.
void remove_trees(const userns::Mapping& m, const std::vector<std::string>& paths) {
  std::vector<std::string> left;
  for (const auto& p : paths) {
    try {
      remove_tree(p);
    } catch (const Error&) {
      left.push_back(p);
    }
  }
  if (left.empty()) return;
  userns::run_in_userns(m, [&] {
    for (const auto& p : left) remove_tree(p);
  });
}

struct ImageEntry {
  std::string file;  // name in images/
  std::string id;
  std::optional<Image> img;         // parsed; nullopt: the record does not parse
  std::string parse_error;          // why not
  std::vector<std::string> damage;  // what makes the image unusable
};

// What verify_layer said of one layer.
struct Verified {
  std::string error;  // it could not be compared (unreadable blob, ...)
  LayerVerification v;
};

// Compares each layer's files with its blob, in one child in the store's
// user namespace (layer files belong to container ids). todo: diff id ->
// blob path. The results come back through a memfd: a pipe would fill up
// while the child still writes and the parent waits for it.
std::map<std::string, Verified> verify_layers(const Store& store,
                                              const std::map<std::string, std::string>& todo) {
  std::map<std::string, Verified> out;
  if (todo.empty()) return out;
  UniqueFd mem(::memfd_create("tug-check", MFD_CLOEXEC));
  if (!mem) throw_errno("memfd_create");
  userns::run_in_userns(store.mapping(), [&] {
    json results = json::object();
    for (const auto& [diff_id, blob] : todo) {
      json r;
      try {
        UniqueFd fd = open_or_throw(blob, O_RDONLY);
        LayerVerification v = verify_layer(
            fd.get(), path_join(store.paths().layers(), digest_hex(diff_id)) + "/diff");
        r["diff_id"] = v.digests.diff_id;
        r["digest"] = v.digests.digest;
        r["differences"] = v.differences;
        r["more"] = v.more;
      } catch (const Error& e) {
        r["error"] = e.what();
      }
      results[diff_id] = r;
    }
    std::string text = results.dump();
    write_all(mem.get(), text.data(), text.size());
  });
  std::string text;
  char buf[65536];
  for (off_t off = 0;;) {
    ssize_t n = ::pread(mem.get(), buf, sizeof buf, off);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw_errno("reading the layer check's results");
    if (n == 0) break;
    text.append(buf, static_cast<size_t>(n));
    off += n;
  }
  json results = parse_json(text, "the layer check's results");
  for (const auto& [diff_id, r] : results.items()) {
    Verified v;
    v.error = json_str(r, "error");
    v.v.digests.diff_id = json_str(r, "diff_id");
    v.v.digests.digest = json_str(r, "digest");
    v.v.differences = r.value("differences", std::vector<std::string>{});
    v.v.more = r.value("more", int64_t{0});
    out[diff_id] = std::move(v);
  }
  return out;
}

// One line for what verify_layer found wrong with a layer, "" if nothing.
std::string verification_damage(const Verified& r, const std::string& diff_id,
                                const std::string& blob_digest) {
  std::string layer = "layer " + short_layer(diff_id) + ": ";
  if (!r.error.empty()) return layer + "its blob cannot be read: " + r.error;
  if (!blob_digest.empty() && r.v.digests.digest != blob_digest)
    return layer + "its blob " + short_layer(blob_digest) + " is damaged (its content is " +
           short_layer(r.v.digests.digest) + ")";
  if (r.v.digests.diff_id != diff_id)
    return layer + "its blob holds another layer (diff id " + short_layer(r.v.digests.diff_id) +
           ")";
  if (r.v.differences.empty()) return "";
  size_t n = r.v.differences.size() + static_cast<size_t>(r.v.more);
  std::string s =
      layer + std::to_string(n) + (n == 1 ? " file differs" : " files differ") + " from its blob: ";
  for (size_t i = 0; i < r.v.differences.size() && i < 3; ++i)
    s += (i ? ", " : "") + r.v.differences[i];
  if (n > 3) s += ", ...";
  return s;
}

}  // namespace

pid_t temp_owner(const std::string& name) {
  if (size_t t = name.rfind(".tmp-"); t != std::string::npos) {
    std::string rest = name.substr(t + 5);
    return all_digits(rest) && rest.size() < 10 ? static_cast<pid_t>(std::atol(rest.c_str())) : 0;
  }
  auto parts = split(name, '-');
  for (size_t i = 0; i + 1 < parts.size(); ++i)
    if (all_digits(parts[i]) && parts[i].size() < 10)
      return static_cast<pid_t>(std::atol(parts[i].c_str()));
  return 0;
}

bool process_alive(pid_t pid) {
  return pid > 0 && (::kill(pid, 0) == 0 || errno == EPERM);
}

void check_temp_files(const std::string& dir, const std::string& rel, bool repair,
                      std::vector<Problem>& out) {
  for (const auto& name : list_dir(dir)) {
    if (name.find(".tmp-") == std::string::npos) continue;
    pid_t pid = temp_owner(name);
    if (pid <= 0 || process_alive(pid)) continue;
    Problem p{"temp", path_join(rel, name),
              "temporary file of process " + std::to_string(pid) + ", which is gone", "removed",
              false};
    if (repair) {
      std::string path = path_join(dir, name);
      if (::unlink(path.c_str()) == 0 || errno == ENOENT)
        p.fixed = true;
      else
        p.what += " (cannot remove it: " + std::string(std::strerror(errno)) + ")";
    }
    out.push_back(std::move(p));
  }
}

CheckReport check_store(Store& store, const CheckOptions& o) {
  const Paths& paths = store.paths();
  CheckReport rep;
  auto& problems = rep.problems;
  FileLock lock(paths.store_lock(), o.repair ? FileLock::Mode::exclusive : FileLock::Mode::shared);

  // Image records.
  std::vector<ImageEntry> entries;
  for (const auto& f : list_dir(paths.images())) {
    if (f.find(".tmp-") != std::string::npos) continue;  // check_temp_files below
    ImageEntry e;
    e.file = f;
    e.id = f.size() > 5 ? f.substr(0, f.size() - 5) : f;
    ++rep.images;
    if (!ends_with(f, ".json") || !is_hex64(e.id)) {
      e.parse_error = "not an image record";
    } else {
      try {
        json rec = read_json(path_join(paths.images(), f));
        if (json_str(rec, "id") != e.id)
          e.parse_error = "the record names another image (" + json_str(rec, "id") + ")";
        else
          e.img = store.from_record(rec);
      } catch (const Error& ex) {
        e.parse_error = std::string("the record does not parse: ") + ex.what();
      }
    }
    entries.push_back(std::move(e));
  }

  // Completeness: cheap, always.
  for (auto& e : entries) {
    if (!e.img) continue;
    const Image& img = *e.img;
    if (!img.squashfs.empty()) {
      if (!path_exists(img.squashfs))
        e.damage.push_back("its squashfs file " + img.squashfs + " is gone");
      continue;
    }
    std::string config = store.blob_path("sha256:" + img.id);
    if (!path_exists(config)) {
      e.damage.push_back("its config blob is missing");
    } else if (!o.quick) {
      auto text = read_file_if_exists(config);
      if (!text || sha256_hex(*text) != img.id)
        e.damage.push_back("its config blob is damaged (does not match the image id)");
    }
    for (const auto& l : img.layers) {
      std::string damage = store.layer_damage(l.diff_id);
      if (!damage.empty()) {
        e.damage.push_back("layer " + short_layer(l.diff_id) + ": " + damage);
        continue;
      }
      if (!l.digest.empty() && !path_exists(store.blob_path(l.digest)))
        e.damage.push_back("layer " + short_layer(l.diff_id) + ": its blob " +
                           short_layer(l.digest) + " is missing (save and push need it)");
    }
  }

  // Contents: every complete layer of an image against its blob.
  if (!o.quick) {
    std::map<std::string, std::string> todo, blob_of;
    for (const auto& e : entries) {
      if (!e.img) continue;
      for (const auto& l : e.img->layers) {
        if (todo.count(l.diff_id) || !store.layer_damage(l.diff_id).empty()) continue;
        if (!path_exists(path_join(paths.layers(), digest_hex(l.diff_id)))) continue;
        std::string blob = store.blob_path(l.digest);
        if (l.digest.empty() || !path_exists(blob)) continue;
        todo[l.diff_id] = blob;
        blob_of[l.diff_id] = l.digest;
      }
    }
    auto results = verify_layers(store, todo);
    rep.verified = static_cast<int>(results.size());
    for (auto& e : entries) {
      if (!e.img) continue;
      for (const auto& l : e.img->layers) {
        auto it = results.find(l.diff_id);
        if (it == results.end()) continue;
        std::string damage = verification_damage(it->second, l.diff_id, blob_of[l.diff_id]);
        if (!damage.empty()) e.damage.push_back(damage);
      }
    }
  }

  // Records that do not parse, damaged images: named, and with repair
  // removed (an image only when no container uses it). The layers only
  // they used go below, as orphans.
  std::set<std::string> freed_blobs, removed_layers_of;
  for (auto& e : entries) {
    std::string path = path_join(paths.images(), e.file);
    if (!e.img) {
      Problem p{"image", e.id.size() == 64 ? e.id.substr(0, 12) : "images/" + e.file, e.parse_error,
                "removed the record", false};
      if (o.repair) {
        if (::unlink(path.c_str()) == 0 || errno == ENOENT) p.fixed = true;
      }
      problems.push_back(std::move(p));
      continue;
    }
    if (e.damage.empty()) continue;
    const Image& img = *e.img;
    auto user = o.container_images.find(img.id);
    bool keep = user != o.container_images.end() || o.containers_unknown;
    for (size_t i = 0; i < e.damage.size(); ++i) {
      Problem p{"image", label(img.id, img.names), e.damage[i],
                "removed the image: pull or load it again", false};
      if (user != o.container_images.end()) {
        p.fix.clear();
        p.what += " (container " + user->second + " uses it: remove the container, then repair)";
      } else if (keep) {
        p.fix.clear();
        p.what += " (kept: a container record that does not parse may use it)";
      }
      problems.push_back(std::move(p));
    }
    if (!o.repair || keep) continue;
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
      problems.back().what += " (cannot remove it: " + std::string(std::strerror(errno)) + ")";
      continue;
    }
    for (size_t i = 0; i < e.damage.size(); ++i) problems[problems.size() - 1 - i].fixed = true;
    rep.removed_images.push_back(img.names.empty()
                                     ? img.id.substr(0, 12)
                                     : img.names.front() + " (" + img.id.substr(0, 12) + ")");
    freed_blobs.insert("sha256:" + img.id);
    if (!img.digest.empty()) freed_blobs.insert(img.digest);
    for (const auto& l : img.layers) {
      freed_blobs.insert(l.digest);
      removed_layers_of.insert(l.diff_id);
    }
    events::emit(paths, "image", "delete", "sha256:" + img.id,
                 {{"name", img.names.empty() ? img.id.substr(0, 12) : img.names.front()}});
    e.img.reset();
    e.parse_error = "removed";
  }

  // What the remaining images use.
  std::set<std::string> used_layers = o.container_layers, used_blobs;
  for (const auto& e : entries) {
    if (!e.img) continue;
    used_blobs.insert("sha256:" + e.img->id);
    if (!e.img->digest.empty()) used_blobs.insert(e.img->digest);
    for (const auto& l : e.img->layers) {
      used_layers.insert(l.diff_id);
      used_blobs.insert(l.digest);
    }
  }
  for (const auto& b : freed_blobs)
    if (!b.empty() && !used_blobs.count(b) && is_sha256_digest(b))
      ::unlink(store.blob_path(b).c_str());

  // Layers no image and no container uses.
  std::vector<std::string> discard;
  std::vector<size_t> discard_problems;
  for (const auto& name : list_dir(paths.layers())) {
    if (name.find(".tmp-") != std::string::npos) continue;
    ++rep.layers;
    std::string diff_id = "sha256:" + name;
    if (is_hex64(name) && used_layers.count(diff_id)) continue;
    if (is_hex64(name) && removed_layers_of.count(diff_id)) {
      discard.push_back(name);  // its image was removed just now, as that line says
      continue;
    }
    Problem p{"layer", is_hex64(name) ? name.substr(0, 12) : "layers/" + name, "", "removed",
              false};
    if (!is_hex64(name)) {
      p.what = "not a layer (unexpected entry in layers/)";
    } else {
      p.what = "orphaned: no image or container uses it";
      std::string damage = store.layer_damage(diff_id);
      if (!damage.empty()) p.what += "; " + damage;
    }
    if (o.containers_unknown && is_hex64(name)) {
      p.what += " (kept: a container record that does not parse may use it)";
      p.fix.clear();
    } else if (o.repair) {
      discard.push_back(name);
      discard_problems.push_back(problems.size());
    }
    problems.push_back(std::move(p));
  }
  if (o.repair && !discard.empty()) {
    try {
      store.discard_layers_locked(discard);
      for (size_t i : discard_problems) problems[i].fixed = true;
    } catch (const Error& ex) {
      for (size_t i : discard_problems) problems[i].what += std::string(" (") + ex.what() + ")";
    }
  }

  // Short links whose layer is gone.
  for (const auto& name : list_dir(paths.links())) {
    std::string path = path_join(paths.links(), name);
    char target[256];
    ssize_t n = ::readlink(path.c_str(), target, sizeof target - 1);
    if (n > 0) {
      target[n] = '\0';
      if (is_directory(path_join(paths.links(), target))) continue;
    }
    Problem p{"link", "l/" + name, n > 0 ? "dangling: its layer is gone" : "not a link to a layer",
              "removed", false};
    if (o.repair && (::unlink(path.c_str()) == 0 || errno == ENOENT)) p.fixed = true;
    problems.push_back(std::move(p));
  }

  // Staging directories and trash of processes that are gone (a killed
  // pull, load, import, build, commit or rmi); each live process sweeps
  // them too, but only when it stages something.
  std::vector<std::string> stale;
  std::vector<size_t> stale_problems;
  for (const auto& name : list_dir(paths.tmp())) {
    pid_t pid = temp_owner(name);
    std::string path = path_join(paths.tmp(), name);
    std::string what;
    if (pid > 0) {
      if (process_alive(pid)) continue;
      what = "left by process " + std::to_string(pid) +
             ", which is gone (a killed pull, load, build, commit or rmi)";
    } else {
      // Older tugs named some without their pid: only a day's age tells.
      struct stat st;
      if (::lstat(path.c_str(), &st) != 0 || ::time(nullptr) - st.st_mtime < 86400) continue;
      what = "left more than a day ago by a process that is gone";
    }
    if (o.repair) {
      stale.push_back(path);
      stale_problems.push_back(problems.size());
    }
    problems.push_back(Problem{"temp", "tmp/" + name, what, "removed", false});
  }
  if (!stale.empty()) {
    try {
      remove_trees(store.mapping(), stale);
      for (size_t i : stale_problems) problems[i].fixed = true;
    } catch (const Error& ex) {
      for (size_t i : stale_problems) problems[i].what += std::string(" (") + ex.what() + ")";
    }
  }

  check_temp_files(paths.data, "", o.repair, problems);
  check_temp_files(paths.images(), "images", o.repair, problems);
  check_temp_files(paths.blobs(), "blobs/sha256", o.repair, problems);
  check_temp_files(paths.layers(), "layers", o.repair, problems);
  check_temp_files(paths.data + "/build-cache", "build-cache", o.repair, problems);
  check_temp_files(paths.data + "/build-cache/intermediate", "build-cache/intermediate", o.repair,
                   problems);
  return rep;
}

}  // namespace tug::image
