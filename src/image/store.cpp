#include "image/store.hpp"

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <set>

#include "events/events.hpp"
#include "image/layer.hpp"
#include "image/reference.hpp"
#include "util/digest.hpp"
#include "util/error.hpp"
#include "util/fd.hpp"
#include "util/fs.hpp"
#include "util/lock.hpp"
#include "util/log.hpp"
#include "util/strings.hpp"

namespace tug::image {

namespace {

constexpr const char* kStagingPrefix = "img-";

json layer_to_json(const Layer& l) {
  return {{"diff_id", l.diff_id},
          {"digest", l.digest},
          {"media_type", l.media_type},
          {"blob_size", l.blob_size},
          {"size", l.size}};
}

Layer layer_from_json(const json& j) {
  Layer l;
  l.diff_id = json_str(j, "diff_id");
  l.digest = json_str(j, "digest");
  l.media_type = json_str(j, "media_type");
  l.blob_size = j.value("blob_size", int64_t{0});
  l.size = j.value("size", int64_t{0});
  return l;
}

// Short names for overlay lowerdir options: 16 uppercase letters keep a
// 128-layer image's option string well inside one page.
std::string random_link_name() {
  std::string hex = random_hex64();
  std::string out;
  for (size_t i = 0; i < 16; ++i) {
    int v = std::stoi(hex.substr(i * 2, 2), nullptr, 16);
    out += static_cast<char>('A' + v % 26);
  }
  return out;
}

// A directory of the store's tmp named for this process: staging for what
// is being added, or the trash of what is being removed. Whoever finds one
// whose process is gone removes it (Store::clean_stale_staging).
std::string make_staging_dir(const Paths& paths) {
  std::string tmpl =
      path_join(paths.tmp(), std::string(kStagingPrefix) + std::to_string(::getpid()) + "-XXXXXX");
  if (!::mkdtemp(tmpl.data())) throw_errno("creating a directory in " + paths.tmp());
  return tmpl;
}

bool process_alive(pid_t pid) {
  return ::kill(pid, 0) == 0 || errno == EPERM;
}

// Removes trees holding files owned by container ids: only inside the user
// namespace may we unlink them.
void remove_trees_in_userns(const userns::Mapping& m, const std::vector<std::string>& paths) {
  if (paths.empty()) return;
  userns::run_in_userns(
      m,
      [&] {
        for (const auto& p : paths) remove_tree(p);
      },
      0);
}

std::string repo_of(const std::string& name) {
  // "reg/repo:tag" -> "reg/repo" (the tag colon is after the last slash);
  // a pull by digest names the image "reg/repo@sha256:...".
  std::string full_name = name.substr(0, name.find('@'));
  size_t slash = full_name.rfind('/');
  size_t colon = full_name.rfind(':');
  if (colon != std::string::npos && (slash == std::string::npos || colon > slash))
    return full_name.substr(0, colon);
  return full_name;
}

}  // namespace

const json& Image::runtime_config() const {
  static const json empty = json::object();
  auto it = config.find("config");
  if (it == config.end() || !it->is_object()) return empty;
  return *it;
}

Store::Store(const Paths& paths, const userns::Mapping& mapping)
    : paths_(paths), mapping_(mapping) {}

namespace {

// The image records of one store's images/ directory; those of an
// additional store carry "_store" (in memory only) naming it.
void read_records(const std::string& images_dir, const std::string& store,
                  std::set<std::string>& seen, std::vector<json>& out) {
  for (const auto& f : list_dir(images_dir)) {
    if (!ends_with(f, ".json") || f.size() != 64 + 5) continue;
    if (!store.empty() && seen.count(f)) continue;
    try {
      if (auto j = read_json_if_exists(path_join(images_dir, f))) {
        if (!store.empty()) (*j)["_store"] = store;
        out.push_back(*j);
        seen.insert(f);
      }
    } catch (const Error& e) {
      log_warn("ignoring unreadable image record " + path_join(images_dir, f) + ": " + e.what() +
               (store.empty() ? " (`tug system check --repair` removes it)" : ""));
    }
  }
}

Error read_only_store(const std::string& what, const std::string& store) {
  return Error(Errc::permission, what + " is in the read-only additional image store " + store,
               "additional image stores (storage.conf additionalimagestores) are never written; "
               "change it with --root " +
                   store + " where you may write");
}

}  // namespace

std::vector<json> Store::records() const {
  std::vector<json> out;
  std::set<std::string> seen;
  read_records(paths_.images(), "", seen, out);
  for (const auto& s : paths_.additional_stores) read_records(s + "/images", s, seen, out);
  return out;
}

std::optional<json> Store::additional_record(const std::string& id) const {
  for (const auto& s : paths_.additional_stores)
    if (auto rec = read_json_if_exists(s + "/images/" + id + ".json")) {
      (*rec)["_store"] = s;
      return rec;
    }
  return std::nullopt;
}

Image Store::from_record(const json& rec) const {
  Image img;
  img.id = json_str(rec, "id");
  if (auto n = rec.find("names"); n != rec.end() && n->is_array())
    img.names = n->get<std::vector<std::string>>();
  img.digest = json_str(rec, "digest");
  if (auto l = rec.find("layers"); l != rec.end() && l->is_array())
    for (const auto& lj : *l) img.layers.push_back(layer_from_json(lj));
  for (const auto& l : img.layers) img.size += l.size;
  img.squashfs = json_str(rec, "squashfs");
  if (struct stat st; !img.squashfs.empty() && ::stat(img.squashfs.c_str(), &st) == 0)
    img.size = st.st_size;
  img.store = json_str(rec, "_store");
  auto cfg = read_file_if_exists(img.store.empty() ? blob_path("sha256:" + img.id)
                                                   : img.store + "/blobs/sha256/" + img.id);
  img.config = cfg ? parse_json(*cfg, "image config " + img.id) : json::object();
  img.created = json_str(img.config, "created", json_str(rec, "created"));
  return img;
}

void Store::write_record(const Image& img, const std::string& manifest_digest) const {
  json layers = json::array();
  for (const auto& l : img.layers) layers.push_back(layer_to_json(l));
  json rec = {{"id", img.id},
              {"names", img.names},
              {"digest", manifest_digest},
              {"created", img.created},
              {"layers", layers}};
  if (!img.squashfs.empty()) rec["squashfs"] = img.squashfs;
  write_json_atomic(path_join(paths_.images(), img.id + ".json"), rec);
}

std::vector<Image> Store::list() const {
  std::vector<Image> out;
  for (const auto& r : records()) out.push_back(from_record(r));
  std::sort(out.begin(), out.end(), [](const Image& a, const Image& b) {
    int64_t ta = parse_rfc3339(a.created), tb = parse_rfc3339(b.created);
    if (ta != tb) return ta > tb;
    return a.id < b.id;
  });
  return out;
}

std::optional<Image> Store::find(const std::string& text) const {
  if (text.empty()) return std::nullopt;
  std::string id = starts_with(text, "sha256:") ? text.substr(7) : text;
  if (is_hex64(id)) {
    // A full id names its record file: no need to read the others (a
    // cached build looks up one image per step).
    auto rec = read_json_if_exists(path_join(paths_.images(), id + ".json"));
    if (!rec) rec = additional_record(id);
    if (rec && json_str(*rec, "id") == id) return from_record(*rec);
    return std::nullopt;
  }
  auto recs = records();
  auto names_of = [](const json& r) {
    std::vector<std::string> n;
    if (auto it = r.find("names"); it != r.end() && it->is_array())
      n = it->get<std::vector<std::string>>();
    return n;
  };

  std::optional<Reference> ref;
  std::optional<Error> parse_error;
  try {
    ref = parse_reference(text);
  } catch (const Error& e) {
    parse_error = e;
  }
  if (ref) {
    // Exact, normalised name (or repository plus manifest digest). A short
    // name is first a local image's (localhost/, where tag, build and commit
    // put them), then docker.io's: podman's order of candidates.
    std::vector<Reference> candidates;
    if (ref->short_name) candidates.push_back(parse_local_reference(text));
    candidates.push_back(*ref);
    for (const auto& c : candidates)
      for (const auto& r : recs)
        for (const auto& n : names_of(r)) {
          if (c.digest.empty() && n == c.str()) return from_record(r);
          if (!c.digest.empty() && json_str(r, "digest") == c.digest && repo_of(n) == c.name())
            return from_record(r);
        }
    // A short name may live under any registry: "app" finds localhost/app
    // or quay.io/team/app, when only one image matches.
    if (ref->short_name) {
      std::string path = text.substr(0, text.find('@'));
      if (size_t colon = path.rfind(':'); colon != std::string::npos) path = path.substr(0, colon);
      std::vector<const json*> hits;
      for (const auto& r : recs) {
        bool hit = false;
        for (const auto& n : names_of(r)) {
          std::string repo = repo_of(n);
          std::string rest = repo.substr(repo.find('/') + 1);
          bool repo_ok = rest == path || ends_with(rest, "/" + path);
          bool tag_ok = ref->digest.empty() ? n == repo + ":" + ref->tag
                                            : json_str(r, "digest") == ref->digest;
          hit |= repo_ok && tag_ok;
        }
        if (hit) hits.push_back(&r);
      }
      if (hits.size() == 1) return from_record(*hits[0]);
      if (hits.size() > 1)
        throw Error(Errc::invalid, quote(text) + " matches more than one image",
                    "use a fully qualified name such as docker.io/library/" + text);
    }
  }
  // A unique id prefix.
  bool hex = std::all_of(id.begin(), id.end(),
                         [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
  if (hex) {
    std::vector<const json*> hits;
    for (const auto& r : recs)
      if (starts_with(json_str(r, "id"), id)) hits.push_back(&r);
    if (hits.size() == 1) return from_record(*hits[0]);
    if (hits.size() > 1)
      throw Error(Errc::invalid, "image id prefix " + quote(id) + " is ambiguous",
                  "give more digits of the id");
  }
  if (parse_error) throw *parse_error;
  return std::nullopt;
}

std::optional<std::string> Store::matching_name(const Image& img, const std::string& text) const {
  std::string id = starts_with(text, "sha256:") ? text.substr(7) : text;
  if (!id.empty() && starts_with(img.id, id)) return std::nullopt;
  std::optional<Reference> ref;
  try {
    ref = parse_reference(text);
  } catch (const Error&) {
    return std::nullopt;
  }
  if (ref->short_name && ref->digest.empty()) {
    std::string local = parse_local_reference(text).str();
    for (const auto& n : img.names)
      if (n == local) return n;
  }
  for (const auto& n : img.names)
    if (n == ref->str()) return n;
  if (!ref->short_name || !ref->digest.empty()) return std::nullopt;
  std::string path = text;
  if (size_t colon = path.rfind(':'); colon != std::string::npos) path = path.substr(0, colon);
  for (const auto& n : img.names) {
    std::string repo = repo_of(n);
    std::string rest = repo.substr(repo.find('/') + 1);
    if ((rest == path || ends_with(rest, "/" + path)) && n == repo + ":" + ref->tag) return n;
  }
  return std::nullopt;
}

Image Store::get(const std::string& name_or_id) const {
  auto img = find(name_or_id);
  if (!img)
    throw Error(Errc::not_found, name_or_id + ": image not known", {},
                1);  // docker exits 1 for an object that does not exist
  return *img;
}

std::string Store::layer_dir(const std::string& diff_id) const {
  std::string own = path_join(paths_.layers(), digest_hex(diff_id)) + "/diff";
  if (!paths_.additional_stores.empty() && !is_directory(own))
    for (const auto& s : paths_.additional_stores) {
      std::string there = s + "/layers/" + digest_hex(diff_id) + "/diff";
      if (is_directory(there)) return there;
    }
  return own;
}

std::string Store::blob_path(const std::string& digest) const {
  return path_join(paths_.blobs(), digest_hex(digest));
}

bool Store::has_layer(const std::string& diff_id) const {
  // Complete: a layer is renamed into place with its record, and removal
  // renames it out whole before deleting (see remove), so a directory
  // without its record is one a crash damaged, never one to reuse.
  std::string dir = layer_dir(diff_id);
  return is_directory(dir) && path_exists(dir.substr(0, dir.rfind('/')) + "/layer.json");
}

std::string Store::layer_damage(const std::string& diff_id) const {
  std::string dir = path_join(paths_.layers(), digest_hex(diff_id));
  if (!is_directory(dir)) {
    for (const auto& s : paths_.additional_stores)
      if (is_directory(s + "/layers/" + digest_hex(diff_id) + "/diff")) return "";
    return "missing";
  }
  if (!path_exists(dir + "/layer.json")) return "incomplete (no layer.json)";
  if (!is_directory(dir + "/diff")) return "its files (diff) are missing";
  return "";
}

void Store::require_complete(const Image& img) const {
  if (!img.store.empty()) return;  // a read-only store: not ours to judge or repair
  for (const auto& l : img.layers) {
    std::string damage = layer_damage(l.diff_id);
    if (damage.empty()) continue;
    throw Error(Errc::corrupt,
                "image " + (img.names.empty() ? img.id.substr(0, 12) : img.names.front()) +
                    " is damaged: layer " + digest_hex(l.diff_id).substr(0, 12) + ": " + damage,
                "run `tug system check --repair` to remove it, then pull or load it again");
  }
}

std::string Store::layer_link(const std::string& diff_id) const {
  std::string hex = digest_hex(diff_id);
  std::string meta = path_join(paths_.layers(), hex) + "/layer.json";
  if (!paths_.additional_stores.empty() && !path_exists(meta)) {
    std::string there = layer_dir(diff_id);
    if (!starts_with(there, paths_.layers() + "/")) return there;
  }
  if (!path_exists(meta) || !is_directory(path_join(paths_.layers(), hex) + "/diff"))
    throw Error(Errc::corrupt,
                "layer " + hex.substr(0, 12) + " is damaged: " + layer_damage(diff_id),
                "run `tug system check --repair`, then pull or load its image again");
  json j = with_context("layer " + diff_id, [&] { return read_json(meta); });
  std::string link = json_str(j, "link");
  if (link.empty()) throw Error(Errc::corrupt, "layer " + diff_id + ": record has no link name");
  std::string lpath = path_join(paths_.links(), link);
  if (!path_exists(lpath)) {
    // Lost to a crash between the layer's rename and its link: recreate.
    if (::symlink(("../layers/" + hex + "/diff").c_str(), lpath.c_str()) != 0 && errno != EEXIST)
      throw_errno("symlink " + lpath);
  }
  return "l/" + link;
}

std::string Store::manifest(const Image& img) const {
  if (!img.digest.empty())
    if (auto m = read_file_if_exists(img.store.empty()
                                         ? blob_path(img.digest)
                                         : img.store + "/blobs/sha256/" + digest_hex(img.digest)))
      return *m;
  return make_oci_manifest(img.config.dump(), img.layers);
}

void Store::drop_name_locked(const std::string& name, const std::string& keep_id) {
  for (const auto& r : records()) {
    std::string id = json_str(r, "id");
    if (id == keep_id || r.contains("_store")) continue;
    Image img = from_record(r);
    auto it = std::find(img.names.begin(), img.names.end(), name);
    if (it == img.names.end()) continue;
    img.names.erase(it);
    write_record(img, img.digest);
  }
}

Image Store::add_squashfs(const std::string& config_bytes, const std::vector<std::string>& names,
                          const std::string& file) {
  FileLock lock(paths_.store_lock());
  Image img;
  img.id = sha256_hex(config_bytes);
  std::string rec_path = path_join(paths_.images(), img.id + ".json");
  if (auto old = read_json_if_exists(rec_path)) {
    Image prev = from_record(*old);
    if (prev.squashfs.empty())
      throw Error(Errc::exists, "image " + img.id.substr(0, 12) + " is in the store already",
                  "remove it (tug rmi) to use it from the squashfs file instead");
    img.names = prev.names;
  }
  std::string blob = blob_path("sha256:" + img.id);
  if (!path_exists(blob)) atomic_write(blob, config_bytes, 0644);
  for (const auto& n : names) {
    drop_name_locked(n, img.id);
    if (std::find(img.names.begin(), img.names.end(), n) == img.names.end()) img.names.push_back(n);
  }
  img.squashfs = file;
  img.config = parse_json(config_bytes, "image config");
  img.created = json_str(img.config, "created");
  write_record(img, "");
  return from_record(read_json(rec_path));
}

namespace {

// docker's events name an image the way a user writes it: "mine:1", not
// "docker.io/library/mine:1" (docker's reference.FamiliarString).
std::string familiar_name(const std::string& name) {
  std::string n = name;
  if (starts_with(n, "docker.io/")) {
    n = n.substr(10);
    if (starts_with(n, "library/") && n.find('/', 8) == std::string::npos) n = n.substr(8);
  }
  return n;
}

}  // namespace

void Store::tag(const std::string& id, const std::string& name) {
  FileLock lock(paths_.store_lock());
  auto rec = read_json_if_exists(path_join(paths_.images(), id + ".json"));
  if (!rec) {
    if (auto other = additional_record(id))
      throw read_only_store("image " + id.substr(0, 12), json_str(*other, "_store"));
    throw Error(Errc::not_found, id + ": image not known");
  }
  drop_name_locked(name, id);
  Image img = from_record(*rec);
  if (std::find(img.names.begin(), img.names.end(), name) == img.names.end()) {
    img.names.push_back(name);
    write_record(img, img.digest);
  }
  events::emit(paths_, "image", "tag", "sha256:" + id, {{"name", familiar_name(name)}});
}

std::string Store::untag(const std::string& name) {
  FileLock lock(paths_.store_lock());
  for (const auto& r : records()) {
    Image img = from_record(r);
    auto it = std::find(img.names.begin(), img.names.end(), name);
    if (it == img.names.end()) continue;
    if (!img.store.empty()) throw read_only_store("image " + name, img.store);
    img.names.erase(it);
    write_record(img, img.digest);
    events::emit(paths_, "image", "untag", "sha256:" + img.id, {{"name", familiar_name(name)}});
    return img.id;
  }
  throw Error(Errc::not_found, name + ": tag not known");
}

void Store::remove(const std::string& id) {
  FileLock lock(paths_.store_lock());
  std::string rec_path = path_join(paths_.images(), id + ".json");
  auto rec = read_json_if_exists(rec_path);
  if (!rec) {
    if (auto other = additional_record(id))
      throw read_only_store("image " + id.substr(0, 12), json_str(*other, "_store"));
    throw Error(Errc::not_found, id + ": image not known");
  }
  Image img = from_record(*rec);
  // The record goes first: a crash afterwards leaves unreferenced layers
  // (garbage), never an image whose layers are gone.
  if (::unlink(rec_path.c_str()) != 0) throw_errno("unlink " + rec_path);

  std::set<std::string> used_layers, used_blobs;
  for (const auto& r : records()) {
    Image other = from_record(r);
    used_blobs.insert("sha256:" + other.id);
    if (!other.digest.empty()) used_blobs.insert(other.digest);
    for (const auto& l : other.layers) {
      used_layers.insert(l.diff_id);
      used_blobs.insert(l.digest);
    }
  }
  std::vector<std::string> unused;
  for (const auto& l : img.layers) {
    if (used_layers.count(l.diff_id)) continue;
    used_layers.insert(l.diff_id);  // the same layer twice in one image
    unused.push_back(l.diff_id);
  }
  std::vector<std::string> blobs = {"sha256:" + img.id, img.digest};
  for (const auto& l : img.layers) blobs.push_back(l.digest);
  for (const auto& b : blobs)
    if (!b.empty() && !used_blobs.count(b) && is_sha256_digest(b)) ::unlink(blob_path(b).c_str());
  discard_layers_locked(unused);
  events::emit(paths_, "image", "delete", "sha256:" + id,
               {{"name", img.names.empty() ? id.substr(0, 12) : familiar_name(img.names.front())}});
}

void Store::discard_layers_locked(const std::vector<std::string>& diff_ids) {
  // Each layer leaves the store whole, by a rename into a directory named
  // like a staging one (so that whoever comes next removes it when this
  // process is killed), and only then is deleted.
  std::string trash;
  std::set<std::string> unnamed;  // damaged layers: their links are found by target
  for (const auto& diff_id : diff_ids) {
    std::string hex = is_sha256_digest(diff_id) ? digest_hex(diff_id) : diff_id;
    std::string dir = path_join(paths_.layers(), hex);
    if (!path_exists(dir)) continue;
    if (trash.empty()) trash = make_staging_dir(paths_);
    std::string link;
    try {
      if (auto meta = read_json_if_exists(dir + "/layer.json")) link = json_str(*meta, "link");
    } catch (const Error&) {
    }
    if (!link.empty() && link.find('/') == std::string::npos)
      ::unlink(path_join(paths_.links(), link).c_str());
    else
      unnamed.insert("../layers/" + hex + "/diff");
    std::string to = trash + "/" + hex;
    if (::rename(dir.c_str(), to.c_str()) != 0) throw_errno("rename " + dir + " to " + to);
  }
  if (!unnamed.empty())
    for (const auto& name : list_dir(paths_.links())) {
      std::string path = path_join(paths_.links(), name);
      char target[256];
      ssize_t n = ::readlink(path.c_str(), target, sizeof target - 1);
      if (n > 0 && unnamed.count(std::string(target, static_cast<size_t>(n))))
        ::unlink(path.c_str());
    }
  if (!trash.empty()) remove_trees_in_userns(mapping_, {trash});
}

void Store::clean_stale_staging() {
  std::vector<std::string> stale;
  for (const auto& name : list_dir(paths_.tmp())) {
    if (!starts_with(name, kStagingPrefix)) continue;
    auto parts = split(name, '-');
    if (parts.size() < 3) continue;
    pid_t pid = static_cast<pid_t>(std::atol(parts[1].c_str()));
    if (pid > 0 && !process_alive(pid)) stale.push_back(path_join(paths_.tmp(), name));
  }
  if (stale.empty()) return;
  log_debug("removing " + std::to_string(stale.size()) + " stale staging directories");
  try {
    remove_trees_in_userns(mapping_, stale);
  } catch (const Error& e) {
    log_warn(std::string("cannot remove stale staging directories: ") + e.what());
  }
}

std::optional<int64_t> Store::prune_blobs() {
  FileLock no_staging =
      FileLock::try_lock(path_join(paths_.data, "staging.lock"), FileLock::Mode::exclusive);
  if (!no_staging.held()) return std::nullopt;
  FileLock lock(paths_.store_lock());
  std::set<std::string> used;
  for (const auto& img : list()) {
    used.insert(img.id);
    if (!img.digest.empty()) used.insert(digest_hex(img.digest));
    for (const auto& l : img.layers) used.insert(digest_hex(l.digest));
  }
  int64_t freed = 0;
  for (const auto& name : list_dir(paths_.blobs())) {
    if (!is_hex64(name) || used.count(name)) continue;
    std::string p = path_join(paths_.blobs(), name);
    struct stat st;
    if (::lstat(p.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
    if (::unlink(p.c_str()) == 0) freed += st.st_size;
  }
  return freed;
}

// ---- Staging -------------------------------------------------------------------

Staging::Staging(Store& store)
    : store_(store),
      in_progress_(path_join(store.paths_.data, "staging.lock"), FileLock::Mode::shared) {
  store_.clean_stale_staging();
  dir_ = make_staging_dir(store_.paths_);
  make_dirs(dir_ + "/layers", 0700);
  make_dirs(dir_ + "/meta", 0700);
}

Staging::~Staging() {
  try {
    // Usually only our own files are left (layers were renamed out at
    // commit); forking into the user namespace is needed only otherwise.
    try {
      remove_tree(dir_);
      return;
    } catch (const Error&) {
    }
    remove_trees_in_userns(store_.mapping_, {dir_});
  } catch (const std::exception& e) {
    log_warn("cannot remove staging directory " + dir_ + ": " + e.what());
  }
}

Layer Staging::add_layer(const std::string& blob_file, const std::string& media_type,
                         const std::string& expected_diff_id, const BlobStream* stream) {
  Layer layer;
  layer.media_type =
      media_type.empty() ? oci_layer_media_type(detect_compression(blob_file)) : media_type;
  LayerDigests d;
  if (!expected_diff_id.empty() &&
      (staged_layers_.count(expected_diff_id) || store_.has_layer(expected_diff_id))) {
    if (stream) {
      d = digest_layer(stream->read_fd);
    } else {
      UniqueFd in = open_or_throw(blob_file, O_RDONLY);
      d = digest_layer(in.get());
    }
  } else {
    std::string work =
        dir_ + "/layers/new-" + std::to_string(staged_layers_.size()) + "-" + random_link_name();
    make_dirs(work + "/diff", 0755);
    Pipe result = Pipe::make();
    ExtractOptions opts;
    opts.ignore_chown_errors = store_.mapping_.single;
    userns::run_in_userns(
        store_.mapping_,
        [&] {
          UniqueFd in;
          if (stream) {
            ::close(stream->write_fd);
          } else {
            in = open_or_throw(blob_file, O_RDONLY);
          }
          LayerDigests r;
          try {
            r = extract_layer(stream ? stream->read_fd : in.get(), work + "/diff", opts);
          } catch (Error& e) {
            // The entry's name alone does not say which disk is full.
            if (std::string(e.what()).find("no space left on device") != std::string::npos)
              e.add_context("extracting into " + work + "/diff");
            throw;
          }
          std::string s = json{{"diff_id", r.diff_id},
                               {"digest", r.digest},
                               {"blob_size", r.blob_size},
                               {"size", r.size},
                               {"chown_failures", r.chown_failures}}
                              .dump();
          write_all(result.write.get(), s.data(), s.size());
        },
        0);
    result.write.reset();
    std::string text;
    char buf[4096];
    for (ssize_t n; (n = ::read(result.read.get(), buf, sizeof buf)) > 0;)
      text.append(buf, static_cast<size_t>(n));
    json r = parse_json(text, "layer extraction result");
    d.diff_id = json_str(r, "diff_id");
    d.digest = json_str(r, "digest");
    d.blob_size = r.value("blob_size", int64_t{0});
    d.size = r.value("size", int64_t{0});
    d.chown_failures = r.value("chown_failures", int64_t{0});
    if (d.chown_failures > 0)
      log_warn_once(
          "userns-single-chown",
          "files in image layers are owned by your user only: " + store_.mapping_.single_reason +
              " (add a range to /etc/subuid and /etc/subgid for real owners)");
    if (!staged_layers_.count(d.diff_id) && !store_.has_layer(d.diff_id)) {
      std::string final_dir = dir_ + "/layers/" + digest_hex(d.diff_id);
      if (::rename(work.c_str(), final_dir.c_str()) != 0) throw_errno("rename " + work);
      write_json_atomic(final_dir + "/layer.json",
                        {{"diff_id", d.diff_id}, {"link", random_link_name()}, {"size", d.size}});
      staged_layers_[d.diff_id] = final_dir;
    }
  }
  layer.diff_id = d.diff_id;
  layer.digest = d.digest;
  layer.blob_size = d.blob_size;
  layer.size = d.size;
  staged_blobs_.emplace(d.digest, blob_file);
  return layer;
}

std::string Staging::add_blob(const std::string& bytes) {
  std::string digest = "sha256:" + sha256_hex(bytes);
  if (!staged_blobs_.count(digest)) {
    std::string path = dir_ + "/meta/" + digest_hex(digest);
    atomic_write(path, bytes, 0644);
    staged_blobs_[digest] = path;
  }
  return digest;
}

void Staging::add_image(const std::string& config_bytes, const std::string& manifest,
                        const std::vector<Layer>& layers, const std::vector<std::string>& names) {
  Pending p{config_bytes, manifest.empty() ? make_oci_manifest(config_bytes, layers) : manifest,
            layers, names};
  add_blob(p.config);
  add_blob(p.manifest);
  images_.push_back(std::move(p));
}

std::vector<Image> Staging::commit() {
  const Paths& paths = store_.paths_;
  FileLock lock(paths.store_lock());
  for (const auto& [diff_id, dir] : staged_layers_) {
    std::string hex = digest_hex(diff_id);
    std::string target = path_join(paths.layers(), hex);
    if (store_.has_layer(diff_id)) continue;  // a concurrent load won; ours is discarded
    if (is_directory(target)) {
      // Incomplete (a crash of an older tug deleting it in place): goes
      // with the staging directory, ours takes its place.
      std::string damaged = dir_ + "/damaged-" + hex;
      log_warn("layer " + diff_id + " was damaged in the store; replacing it");
      if (::rename(target.c_str(), damaged.c_str()) != 0)
        throw_errno("rename " + target + " to " + damaged);
    }
    if (::rename(dir.c_str(), target.c_str()) != 0) throw_errno("rename " + dir + " to " + target);
    std::string link = json_str(read_json(target + "/layer.json"), "link");
    std::string lpath = path_join(paths.links(), link);
    if (::symlink(("../layers/" + hex + "/diff").c_str(), lpath.c_str()) != 0 && errno != EEXIST)
      throw_errno("symlink " + lpath);
  }
  for (const auto& [digest, file] : staged_blobs_) {
    std::string target = store_.blob_path(digest);
    if (path_exists(target)) continue;
    if (::rename(file.c_str(), target.c_str()) != 0)
      throw_errno("rename " + file + " to " + target);
  }
  std::vector<Image> out;
  for (const auto& p : images_) {
    for (const auto& l : p.layers)
      if (!store_.has_layer(l.diff_id))
        throw Error(Errc::generic, "layer " + l.diff_id + " was removed while the image was added",
                    "try again");
    Image img;
    img.id = sha256_hex(p.config);
    std::string rec_path = path_join(paths.images(), img.id + ".json");
    std::string digest = "sha256:" + sha256_hex(p.manifest);
    std::vector<std::string> names;
    img.layers = p.layers;
    if (auto old = read_json_if_exists(rec_path)) {
      // Loaded before (maybe from the other archive format): the existing
      // record's manifest and layer blobs stay, so they remain consistent.
      Image prev = store_.from_record(*old);
      names = prev.names;
      if (!prev.digest.empty()) digest = prev.digest;
      if (prev.layers.size() == p.layers.size()) img.layers = prev.layers;
    }
    for (const auto& n : p.names) {
      store_.drop_name_locked(n, img.id);
      if (std::find(names.begin(), names.end(), n) == names.end()) names.push_back(n);
    }
    img.names = names;
    img.config = parse_json(p.config, "image config");
    img.created = json_str(img.config, "created");
    store_.write_record(img, digest);
    out.push_back(store_.from_record(read_json(rec_path)));
  }
  committed_ = true;
  return out;
}

std::string make_oci_manifest(const std::string& config_bytes, const std::vector<Layer>& layers) {
  ordered_json m;
  m["schemaVersion"] = 2;
  m["mediaType"] = "application/vnd.oci.image.manifest.v1+json";
  m["config"] = {{"mediaType", "application/vnd.oci.image.config.v1+json"},
                 {"digest", "sha256:" + sha256_hex(config_bytes)},
                 {"size", config_bytes.size()}};
  m["layers"] = ordered_json::array();
  for (const auto& l : layers)
    m["layers"].push_back(
        {{"mediaType", l.media_type}, {"digest", l.digest}, {"size", l.blob_size}});
  return m.dump();
}

}  // namespace tug::image
