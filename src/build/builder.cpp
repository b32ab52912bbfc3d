#include <fcntl.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <map>
#include <optional>
#include <sstream>

#include "build/build.hpp"
#include "build/cache.hpp"
#include "build/copier.hpp"
#include "build/dockerfile.hpp"
#include "build/ignore.hpp"
#include "build/mounts.hpp"
#include "container/diff.hpp"
#include "container/lifecycle.hpp"
#include "container/prune.hpp"
#include "image/archive.hpp"
#include "image/layer.hpp"
#include "image/reference.hpp"
#include "storage/driver.hpp"
#include "userns/userns.hpp"
#include "util/curl.hpp"
#include "util/digest.hpp"
#include "util/error.hpp"
#include "util/fd.hpp"
#include "util/fs.hpp"
#include "util/log.hpp"
#include "util/process.hpp"
#include "util/strings.hpp"

namespace tug::build {

namespace {

// Usable in RUN without an ARG, and kept out of history and cache keys
// (docker's predefined args).
const std::set<std::string> kProxyArgs = {"HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy",
                                          "FTP_PROXY",  "ftp_proxy",  "NO_PROXY",    "no_proxy",
                                          "ALL_PROXY",  "all_proxy"};

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string key_of(const std::vector<std::string>& parts) {
  Sha256 h;
  for (const auto& p : parts) {
    h.update(p);
    h.update("\n\0", 2);
  }
  return h.hex();
}

std::string json_array_text(const std::vector<std::string>& v) {
  return json(v).dump();
}

struct Stage {
  int index = 0;
  std::string name;  // lower case; empty without AS
  size_t from = 0, end = 0;
};

// Where a stage stands: the image of its last step and what the
// Dockerfile declared on the way.
struct State {
  std::string id;  // "" while nothing is committed on scratch
  json config;
  std::vector<image::Layer> layers;
  std::vector<std::pair<std::string, std::optional<std::string>>> args;  // declared, in order
  bool cmd_set = false;
  size_t base_layers = 0;  // layers the stage's FROM brought
};

json& runtime_config(State& st) {
  if (!st.config.contains("config") || !st.config["config"].is_object())
    st.config["config"] = json::object();
  return st.config["config"];
}

std::vector<std::string> strings_of(const json& j, const char* key) {
  std::vector<std::string> out;
  auto it = j.find(key);
  if (it == j.end() || !it->is_array()) return out;
  for (const auto& v : *it)
    if (v.is_string()) out.push_back(v.get<std::string>());
  return out;
}

std::optional<std::string> env_value(const json& rc, const std::string& name) {
  std::optional<std::string> out;
  for (const auto& e : strings_of(rc, "Env"))
    if (e.size() > name.size() && e.compare(0, name.size(), name) == 0 && e[name.size()] == '=')
      out = e.substr(name.size() + 1);
  return out;
}

void set_env(json& rc, const std::string& k, const std::string& v) {
  json env = json::array();
  for (const auto& e : strings_of(rc, "Env"))
    if (!starts_with(e, k + "=")) env.push_back(e);
  env.push_back(k + "=" + v);
  rc["Env"] = env;
}

// A scratch directory under tmp/ named like the image store's staging
// ("img-<pid>-..."), so a killed build's leftovers are swept by the next
// store operation. Removed inside the user namespace: COPY writes files
// of container ids there.
class WorkDir {
 public:
  WorkDir(const image::Store& images) : images_(images) {
    std::string tmpl = images.paths().tmp() + "/img-" + std::to_string(::getpid()) + "-bXXXXXX";
    make_dirs(images.paths().tmp(), 0700);
    if (!::mkdtemp(tmpl.data()))
      throw_errno("creating a build directory in " + images.paths().tmp());
    path_ = tmpl;
  }
  ~WorkDir() {
    try {
      userns::run_in_userns(
          images_.mapping(), [&] { remove_tree(path_); }, 0);
    } catch (const std::exception& e) {
      log_warn("cannot remove build directory " + path_ + ": " + e.what());
    }
  }
  const std::string& path() const { return path_; }

 private:
  const image::Store& images_;
  std::string path_;
};

// Where a download goes; what failed writing there, for after curl
// returns (an exception must not cross libcurl).
struct Sink {
  int fd;
  std::string file;
  std::optional<Error> error;
};

size_t write_to_fd(char* data, size_t size, size_t n, void* p) {
  auto* sink = static_cast<Sink*>(p);
  try {
    with_context("writing " + sink->file, [&] { write_all(sink->fd, data, size * n); });
  } catch (const Error& e) {
    sink->error = e;
    return 0;
  }
  return size * n;
}

struct Download {
  std::string file;
  int64_t mtime = -1;
};

Download download(const std::string& url, const std::string& file) {
  UniqueFd out = open_or_throw(file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  CURL* c = dl::curl_easy_init();
  if (!c) throw Error(Errc::generic, "cannot initialise libcurl");
  ScopeExit cleanup([&] { dl::curl_easy_cleanup(c); });
  Sink sink{out.get(), file, std::nullopt};
  char err[CURL_ERROR_SIZE] = "";
  dl::curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  dl::curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
  dl::curl_easy_setopt(c, CURLOPT_FAILONERROR, 1L);
  dl::curl_easy_setopt(c, CURLOPT_FILETIME, 1L);
  dl::curl_easy_setopt(c, CURLOPT_ERRORBUFFER, err);
  dl::curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, write_to_fd);
  dl::curl_easy_setopt(c, CURLOPT_WRITEDATA, &sink);
  dl::curl_easy_setopt(c, CURLOPT_USERAGENT, "tug-build");
  CURLcode rc = dl::curl_easy_perform(c);
  if (sink.error) throw sink.error->add_context("downloading " + url);
  if (rc != CURLE_OK)
    throw Error(Errc::io,
                "downloading " + url + ": " + (err[0] ? err : dl::curl_easy_strerror(rc)));
  Download d;
  d.file = file;
  long t = -1;
  if (dl::curl_easy_getinfo(c, CURLINFO_FILETIME, &t) == CURLE_OK && t >= 0) d.mtime = t;
  return d;
}

std::string url_basename(const std::string& url) {
  std::string path = url.substr(0, url.find_first_of("?#"));
  size_t scheme = path.find("://");
  if (scheme != std::string::npos) {
    path = path.substr(scheme + 3);
    size_t slash = path.find('/');
    path = slash == std::string::npos ? "" : path.substr(slash);
  }
  while (!path.empty() && path.back() == '/') path.pop_back();
  std::string b = basename_of(path);
  return b.empty() || b == "/" ? "__unnamed__" : b;
}

bool is_url(const std::string& s) {
  return starts_with(s, "http://") || starts_with(s, "https://");
}

// A git repository as ADD takes it (BuildKit's forms): git://, ssh://,
// git@host:path, or an http(s) URL whose path ends in .git; "#REF[:DIR]"
// picks a branch, tag or commit and a directory of it.
bool is_git_url(const std::string& s) {
  if (starts_with(s, "git://") || starts_with(s, "git@") || starts_with(s, "ssh://")) return true;
  if (!is_url(s)) return false;
  std::string path = s.substr(0, s.find('#'));
  path = path.substr(0, path.find('?'));
  while (ends_with(path, "/")) path.pop_back();
  return ends_with(path, ".git");
}

struct GitCheckout {
  std::string dir, commit;
};

// Clones url (with its "#REF[:DIR]") into dir as the invoking user; the
// checkout's .git goes unless keep_git_dir. Error naming the repository
// when git fails.
GitCheckout git_checkout(const std::string& text, const std::string& dir, bool keep_git_dir,
                         std::string& subdir) {
  std::string url = text, ref;
  size_t hash = text.find('#');
  if (hash != std::string::npos) {
    url = text.substr(0, hash);
    std::string frag = text.substr(hash + 1);
    size_t colon = frag.find(':');
    ref = frag.substr(0, colon);
    if (colon != std::string::npos) subdir = frag.substr(colon + 1);
  }
  if (find_in_path("git").empty())
    throw Error(Errc::not_found, "ADD of a git repository needs git", "install package git");
  ::setenv("GIT_TERMINAL_PROMPT", "0", 1);
  auto git = [&](std::vector<std::string> args) {
    args.insert(args.begin(), "git");
    CommandResult r = run_command(args);
    if (r.status != 0) {
      std::string err = trim(r.err);
      throw Error(Errc::io, "git " + args[1] + " of " + url + " failed" +
                                (err.empty() ? "" : ": " + err.substr(err.rfind('\n') + 1)));
    }
    return trim(r.out);
  };
  bool commit_ref = ref.size() >= 7 && ref.size() <= 40 &&
                    ref.find_first_not_of("0123456789abcdef") == std::string::npos;
  if (ref.empty() || !commit_ref) {
    std::vector<std::string> args = {"clone", "--quiet", "--depth", "1"};
    if (!ref.empty()) {
      args.push_back("--branch");
      args.push_back(ref);
    }
    args.push_back("--");
    args.push_back(url);
    args.push_back(dir);
    try {
      git(args);
    } catch (const Error& e) {
      // A server without shallow clones (git's dumb http): the whole history.
      if (std::string(e.what()).find("shallow") == std::string::npos) throw;
      remove_tree(dir);
      args.erase(args.begin() + 2, args.begin() + 4);
      git(args);
    }
  } else {
    git({"clone", "--quiet", "--no-checkout", "--", url, dir});
    git({"-C", dir, "checkout", "--quiet", ref});
  }
  GitCheckout c;
  c.dir = dir;
  c.commit = git({"-C", dir, "rev-parse", "HEAD"});
  if (!keep_git_dir) remove_tree(dir + "/.git");
  return c;
}

// One source of a COPY/ADD as resolved before the copy.
struct Source {
  enum Kind { context, heredoc, url, image, git } kind = context;
  std::string rel;       // context/image/git: path relative to the root
  std::string root;      // git: the checkout
  std::string name;      // heredoc/url: file name
  std::string content;   // heredoc: text
  Download dl;           // url
  bool extract = false;  // ADD of a local archive
};

// A RUN --mount as resolved before the step's cache lookup.
struct PreparedMount {
  RunMount m;
  bool from_context = false;  // bind/cache: the source is in the build context
  std::string image_id;       // ... else in this stage's or image's files
  std::vector<image::Layer> layers;
  std::string rel;                   // the source, relative to its root
  std::optional<std::string> given;  // secret: its bytes; ssh: the socket
  bool skip = false;                 // an optional secret or ssh socket not given
};

std::string rfc3339_of(int64_t t) {
  time_t tt = static_cast<time_t>(t);
  struct tm tm {};
  ::gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

class Builder {
 public:
  Builder(container::Store& ctrs, image::Store& images, const Options& o)
      : ctrs_(ctrs), images_(images), o_(o), memo_(cache_dir(images.paths()) + "/file-hashes") {}

  Result run();

 private:
  // ---- output ----
  void say(const std::string& line) {
    if (o_.quiet) return;
    std::string s = line + "\n";
    std::fwrite(s.data(), 1, s.size(), stdout);
    std::fflush(stdout);
  }
  [[noreturn]] void fail(const Instruction& ins, const std::string& msg,
                         const std::string& hint = {}, int exit_code = kExitToolError) {
    throw Error(Errc::invalid, df_.file + ":" + std::to_string(ins.line) + ": " + msg, hint,
                exit_code);
  }
  // Runs f; an Error from it is prefixed with the file, line and
  // instruction unless it names them already.
  template <class F>
  auto at(const Instruction& ins, F&& f) -> decltype(f()) {
    try {
      return f();
    } catch (Error& e) {
      if (std::string(e.what()).rfind(df_.file + ":", 0) != 0)
        e.add_context(df_.file + ":" + std::to_string(ins.line) + ": " + ins.keyword);
      throw;
    }
  }

  void load_dockerfile();
  void find_stages();
  std::vector<int> needed_stages();
  std::optional<int> stage_ref(const std::string& text, int before) const;

  Lookup global_lookup() const {
    return [this](const std::string& n) -> std::optional<std::string> {
      for (const auto& [k, v] : global_args_)
        if (k == n) return v;
      return std::nullopt;
    };
  }
  Lookup lookup(State& st) {
    return [this, &st](const std::string& n) -> std::optional<std::string> {
      if (auto v = env_value(runtime_config(st), n)) return v;
      for (const auto& [k, v] : st.args)
        if (k == n) return v;
      return std::nullopt;
    };
  }

  std::optional<std::string> build_arg(const std::string& name) {
    for (const auto& [k, v] : o_.build_args)
      if (k == name) {
        used_args_.insert(k);
        return v;
      }
    return std::nullopt;
  }

  image::Image base_image(const Instruction& ins, const std::string& ref);
  State run_stage(const Stage& s, int shown_index, int shown_total);
  void step(State& st, const Instruction& ins);
  void from_image_triggers(State& st);

  bool use_cache(State& st, const std::string& key);
  void commit(State& st, const std::string& key, const std::string& created_by,
              const std::string& layer_blob);
  void config_step(State& st, const Instruction& ins, const std::string& shown,
                   const std::function<void(json& rc)>& change);

  void run_step(State& st, const Instruction& ins);
  int stage_of(const Instruction& ins) const;
  PreparedMount resolve_mount(State& st, const Instruction& ins, const std::string& text,
                              std::string& key);
  void attach_mounts(const Instruction& ins, std::vector<PreparedMount>& mounts,
                     container::CreateOptions& co, std::vector<FileLock>& locks,
                     std::vector<std::string>& stubs);
  void copy_out(const PreparedMount& p, const std::string& dir, const std::string& dest);
  std::string cache_mount(const Instruction& ins, const PreparedMount& p,
                          std::vector<FileLock>& locks, std::set<std::string>& locked);
  void export_output(const State& st);
  // The cache key as this build uses it: --timestamp makes other images.
  std::string timed_key(const std::string& key) const {
    return o_.timestamp ? key_of({key, "timestamp", std::to_string(*o_.timestamp)}) : key;
  }
  void copy_step(State& st, const Instruction& ins);
  void arg_step(State& st, const Instruction& ins);

  std::string workdir(State& st) {
    std::string w = json_str(runtime_config(st), "WorkingDir");
    return w.empty() ? "/" : w;
  }
  storage::RootfsPlan plan_for(const std::vector<image::Layer>& layers, const std::string& dir);
  // The layer of a RUN: its container's upper dir as a tar in the work dir.
  // stubs: the mount points of RUN --mount targets, which go when the
  // runtime made them (with the parents it made for them).
  std::string tar_upper(const std::string& upper, const std::vector<image::Layer>& layers,
                        const std::vector<std::string>& stubs = {});
  void squash(State& st);

  container::Store& ctrs_;
  image::Store& images_;
  const Options& o_;
  Dockerfile df_;
  std::string context_;
  IgnoreMatcher ignore_;
  std::vector<Stage> stages_;
  std::vector<std::pair<std::string, std::optional<std::string>>> global_args_;
  std::set<std::string> used_args_;
  std::map<int, State> done_;
  std::vector<std::string> created_;  // images this build committed
  HashMemo memo_;
  std::unique_ptr<WorkDir> work_;
  int step_no_ = 0, step_total_ = 0;
  std::string stage_prefix_;
  storage::Driver driver_ = storage::Driver::overlay;
  // A RUN step's mount copies and secret files: gone once the step is.
  std::vector<std::string> step_scratch_;
  void remove_step_scratch() {
    if (step_scratch_.empty()) return;
    try {
      userns::run_in_userns(images_.mapping(), [&] {
        for (const auto& d : step_scratch_) remove_tree(d);
      });
    } catch (const Error& e) {
      log_warn("removing a build step's mounts: " + std::string(e.what()));
    }
    step_scratch_.clear();
  }
};

void Builder::load_dockerfile() {
  std::string text, name;
  if (o_.file == "-") {
    text = o_.file_text;
    name = "Dockerfile";
  } else if (o_.file.empty()) {
    for (const char* n : {"Containerfile", "Dockerfile"}) {
      if (path_exists(context_ + "/" + n)) {
        name = n;
        text = read_file(context_ + "/" + n);
        break;
      }
    }
    if (name.empty())
      throw Error(Errc::not_found, "no Containerfile or Dockerfile found in " + context_,
                  "name one with -f");
  } else {
    std::string path = o_.file;
    if (!path_exists(path) && path[0] != '/' && path_exists(context_ + "/" + path))
      path = context_ + "/" + path;
    auto t = read_file_if_exists(path);
    if (!t) throw Error(Errc::not_found, "the Dockerfile " + o_.file + " does not exist");
    text = *t;
    name = o_.file;
  }
  df_ = parse_dockerfile(text, name);
  for (const auto& w : df_.warnings) log_info(w);
  if (df_.instructions.empty()) throw Error(Errc::invalid, name + ": the file has no instructions");
}

void Builder::find_stages() {
  bool in_stage = false;
  for (size_t i = 0; i < df_.instructions.size(); ++i) {
    const Instruction& ins = df_.instructions[i];
    if (ins.keyword == "FROM") {
      if (in_stage) stages_.back().end = i;
      Stage s;
      s.index = static_cast<int>(stages_.size());
      s.from = i;
      auto words = raw_words(ins.args, df_.escape);
      if (words.size() == 3 && lower(words[1]) == "as") {
        s.name = lower(words[2]);
      } else if (words.size() != 1) {
        fail(ins, "FROM requires either one argument, or three: FROM <source> [AS <name>]");
      }
      for (const auto& other : stages_)
        if (!s.name.empty() && other.name == s.name)
          fail(ins, "duplicate stage name " + quote(s.name));
      stages_.push_back(s);
      in_stage = true;
      continue;
    }
    if (!in_stage) {
      if (ins.keyword != "ARG")
        fail(ins, "no build stage in context: " + ins.keyword + " before the first FROM",
             "a Dockerfile starts with FROM (only ARG may come before it)");
      for (const auto& w : raw_words(ins.args, df_.escape)) {
        auto [k, v] = split_once(w, '=');
        bool has = w.find('=') != std::string::npos;
        std::optional<std::string> val;
        if (auto b = build_arg(k))
          val = b;
        else if (has)
          val = at(ins, [&] { return expand_word(v, global_lookup(), df_.escape); });
        global_args_.emplace_back(k, val);
      }
    }
  }
  if (in_stage) stages_.back().end = df_.instructions.size();
}

std::optional<int> Builder::stage_ref(const std::string& text, int before) const {
  std::string t = lower(text);
  for (const auto& s : stages_)
    if (s.index < before && !s.name.empty() && s.name == t) return s.index;
  if (!t.empty() && std::all_of(t.begin(), t.end(), ::isdigit)) {
    int n = std::stoi(t);
    if (n < before) return n;
  }
  return std::nullopt;
}

std::vector<int> Builder::needed_stages() {
  int target = static_cast<int>(stages_.size()) - 1;
  if (!o_.target.empty()) {
    auto t = stage_ref(o_.target, static_cast<int>(stages_.size()));
    if (!t)
      throw Error(Errc::not_found, "target stage " + quote(o_.target) + " could not be found");
    target = *t;
  }
  std::set<int> need;
  std::vector<int> todo = {target};
  while (!todo.empty()) {
    int i = todo.back();
    todo.pop_back();
    if (!need.insert(i).second) continue;
    const Stage& s = stages_[static_cast<size_t>(i)];
    for (size_t k = s.from; k < s.end; ++k) {
      const Instruction& ins = df_.instructions[k];
      std::string ref;
      if (ins.keyword == "FROM") {
        auto w = raw_words(ins.args, df_.escape);
        ref = at(ins, [&] { return expand_word(w.at(0), global_lookup(), df_.escape); });
      } else if (ins.keyword == "COPY" || ins.keyword == "ADD") {
        for (const auto& f : ins.flags)
          if (starts_with(f, "--from="))
            ref = expand_word(f.substr(7), global_lookup(), df_.escape);
      } else if (ins.keyword == "RUN") {
        // RUN --mount=...,from=STAGE: that stage is needed too.
        for (const auto& f : ins.flags)
          if (starts_with(f, "--mount="))
            for (const auto& field : split(f.substr(8), ','))
              if (starts_with(field, "from="))
                if (auto d = stage_ref(at(ins,
                                          [&] {
                                            return expand_word(field.substr(5), global_lookup(),
                                                               df_.escape);
                                          }),
                                       i))
                  todo.push_back(*d);
      }
      if (ref.empty()) continue;
      if (auto d = stage_ref(ref, i)) todo.push_back(*d);
    }
  }
  return std::vector<int>(need.begin(), need.end());
}

image::Image Builder::base_image(const Instruction& ins, const std::string& ref) {
  return at(ins, [&]() -> image::Image {
    if (o_.pull && o_.pull_image) o_.pull_image(ref);
    if (auto img = images_.find(ref); img && !img->squashfs.empty())
      throw Error(
          Errc::unsupported,
          "building FROM a squashfs-backed image (" + img->squashfs + ") is not implemented",
          "build FROM the image it was saved from");
    if (auto img = images_.find(ref)) return *img;
    if (o_.pull_image && !o_.pull) {
      o_.pull_image(ref);
      if (auto img = images_.find(ref)) return *img;
    }
    throw Error(Errc::not_found, ref + ": image not known");
  });
}

bool Builder::use_cache(State& st, const std::string& key) {
  if (o_.no_cache || !o_.layers) return false;
  auto id = read_file_if_exists(cache_dir(images_.paths()) + "/" + timed_key(key));
  if (!id) return false;
  std::string hex = trim(*id);
  if (!is_hex64(hex)) return false;
  auto img = images_.find(hex);
  if (!img) return false;
  st.id = img->id;
  st.config = img->config;
  st.layers = img->layers;
  say("--> Using cache " + img->id);
  say("--> " + img->id.substr(0, 12));
  return true;
}

void Builder::commit(State& st, const std::string& key, const std::string& created_by,
                     const std::string& layer_blob) {
  image::Staging staging(images_);
  json cfg = st.config;
  std::string now = o_.timestamp ? rfc3339_of(*o_.timestamp) : now_rfc3339();
  cfg["created"] = now;
  if (!cfg.contains("architecture")) cfg["architecture"] = image::host_architecture();
  if (!cfg.contains("os")) cfg["os"] = "linux";
  if (!cfg.contains("rootfs") || !cfg["rootfs"].is_object())
    cfg["rootfs"] = {{"type", "layers"}, {"diff_ids", json::array()}};
  if (!cfg["rootfs"].contains("diff_ids")) cfg["rootfs"]["diff_ids"] = json::array();
  if (!cfg.contains("history") || !cfg["history"].is_array()) cfg["history"] = json::array();
  json h = {{"created", now}, {"created_by", created_by}};
  std::vector<image::Layer> layers = st.layers;
  if (!layer_blob.empty()) {
    image::Layer l = staging.add_layer(layer_blob);
    layers.push_back(l);
    cfg["rootfs"]["diff_ids"].push_back(l.diff_id);
  } else {
    h["empty_layer"] = true;
  }
  cfg["history"].push_back(h);
  staging.add_image(cfg.dump(), "", layers, {});
  image::Image img = staging.commit().at(0);
  std::string parent = st.id;
  st.id = img.id;
  st.config = img.config;
  st.layers = img.layers;
  created_.push_back(img.id);
  if (o_.layers) {
    std::string dir = cache_dir(images_.paths());
    make_dirs(dir + "/intermediate", 0700);
    make_dirs(dir + "/parent", 0700);
    atomic_write(dir + "/" + timed_key(key), img.id + "\n", 0600, false);
    write_file(dir + "/intermediate/" + img.id, "", 0600);
    // What rmi and the prunes follow to remove a build's steps with it.
    if (!parent.empty() && parent != img.id)
      atomic_write(dir + "/parent/" + img.id, parent + "\n", 0600, false);
  }
  say("--> " + img.id.substr(0, 12));
}

void Builder::config_step(State& st, const Instruction& ins, const std::string& shown,
                          const std::function<void(json& rc)>& change) {
  std::string by = "/bin/sh -c #(nop) " + shown;
  std::string key = key_of({"config", st.id, by, st.cmd_set ? "cmd" : ""});
  if (use_cache(st, key)) return;
  at(ins, [&] { change(runtime_config(st)); });
  commit(st, key, by, "");
}

storage::RootfsPlan Builder::plan_for(const std::vector<image::Layer>& layers,
                                      const std::string& dir) {
  storage::RootfsPlan p;
  p.driver = driver_;
  p.data_root = images_.paths().data;
  for (auto it = layers.rbegin(); it != layers.rend(); ++it)
    p.lowers.push_back(images_.layer_link(it->diff_id));
  p.upper = dir + "/upper";
  p.work = dir + "/work";
  p.target = dir + "/merged";
  make_dirs(p.upper, 0755);
  make_dirs(p.work, 0700);
  make_dirs(p.target, 0700);
  return p;
}

// ---- instructions ----

void Builder::arg_step(State& st, const Instruction& ins) {
  auto words = raw_words(ins.args, df_.escape);
  if (words.empty()) fail(ins, "ARG requires at least one argument");
  for (const auto& w : words) {
    bool has = w.find('=') != std::string::npos;
    auto [k, v] = split_once(w, '=');
    if (k.empty()) fail(ins, "ARG names no variable: " + quote(w));
    std::optional<std::string> val;
    if (auto b = build_arg(k)) {
      val = b;
    } else if (has) {
      val = at(ins, [&] { return expand_word(v, lookup(st), df_.escape); });
    } else {
      for (const auto& [gk, gv] : global_args_)
        if (gk == k) val = gv;
    }
    auto it =
        std::find_if(st.args.begin(), st.args.end(), [&](const auto& a) { return a.first == k; });
    if (it != st.args.end())
      it->second = val;
    else
      st.args.emplace_back(k, val);
  }
  config_step(st, ins, "ARG " + ins.args, [](json&) {});
}

void Builder::run_step(State& st, const Instruction& ins) {
  std::vector<std::string> argv;
  std::string shown;
  auto flags = parse_flags(ins, {"network", "mount", "security"}, df_.file);
  std::string network = o_.network.empty() ? "host" : o_.network;
  std::vector<PreparedMount> mounts;
  std::string mount_keys;
  {
    auto lk = lookup(st);
    for (const auto& f : flags) {
      std::string v = at(ins, [&] { return expand_word(f.value, lk, df_.escape); });
      if (f.name == "network") {
        if (v == "none" || v == "host")
          network = v;
        else if (v != "default")
          fail(ins, "RUN --network=" + v + " is not supported", "use none, host or default");
      } else if (f.name == "security") {
        if (v == "insecure")
          fail(ins,
               "RUN --security=insecure is not supported by tug build: a rootless build cannot "
               "give a step more privileges than its user namespace",
               "leave out --security (sandbox is the default)");
        if (v != "sandbox") fail(ins, "invalid RUN --security=" + v, "use sandbox");
      } else {
        mounts.push_back(resolve_mount(st, ins, v, mount_keys));
      }
    }
  }
  if (ins.json_form) {
    argv = ins.json_args;
    shown = join(argv, " ");
  } else {
    std::string cmd = ins.args;
    if (!ins.heredocs.empty()) {
      std::string t = trim(cmd);
      bool only_doc =
          ins.heredocs.size() == 1 && starts_with(t, "<<") && raw_words(t, df_.escape).size() == 1;
      if (only_doc) {
        cmd = ins.heredocs[0].content;
      } else {
        for (const auto& h : ins.heredocs) cmd += "\n" + h.content + h.name;
      }
    }
    if (cmd.empty()) fail(ins, "RUN requires a command");
    argv = strings_of(runtime_config(st), "Shell");
    if (argv.empty()) argv = {"/bin/sh", "-c"};
    shown = join(argv, " ") + " " + cmd;
    argv.push_back(cmd);
  }
  // Build args reach the command as environment, ENV winning (docker's rule).
  std::vector<std::string> env, shown_args;
  for (const auto& [k, v] : st.args) {
    if (!v) continue;
    if (env_value(runtime_config(st), k)) continue;
    env.push_back(k + "=" + *v);
    shown_args.push_back(k + "=" + *v);
  }
  for (const auto& [k, v] : o_.build_args)
    if (kProxyArgs.count(k)) {
      used_args_.insert(k);
      env.push_back(k + "=" + v);
    }
  std::string by = shown;
  if (!shown_args.empty())
    by = "|" + std::to_string(shown_args.size()) + " " + join(shown_args, " ") + " " + shown;
  std::string key = mount_keys.empty() ? key_of({"run", st.id, by, network})
                                       : key_of({"run", st.id, by, network, mount_keys});
  if (use_cache(st, key)) return;
  if (st.id.empty())
    fail(ins, "RUN needs an image to run in: the stage starts FROM scratch and has no files yet",
         "COPY a shell and its libraries first, or start FROM an image");

  container::CreateOptions co;
  co.image = st.id;
  co.command = argv;
  co.entrypoint = std::string();
  co.env = env;
  co.network = network;
  co.ulimits = o_.ulimits;
  co.image_volumes = false;
  co.labels = {"io.tug.build=" + (st.id.substr(0, 12))};
  co.build_step = true;
  // Held until the step's container is gone: cache mounts' sharing locks.
  std::vector<FileLock> locks;
  std::vector<std::string> stubs;
  container::Record rec;
  try {
    at(ins, [&] { attach_mounts(ins, mounts, co, locks, stubs); });
    rec = at(ins, [&] { return container::create(ctrs_, images_, co); });
  } catch (...) {
    remove_step_scratch();
    throw;
  }
  auto remove_container = [&] {
    try {
      container::remove(ctrs_, rec, true);
    } catch (const Error& e) {
      log_warn("removing build container " + rec.id.substr(0, 12) + ": " + e.what());
    }
    remove_step_scratch();
  };
  std::string blob;
  try {
    std::fflush(stdout);
    // Attached even with -q (the output then goes unshown): the
    // container dies with the connection, so with this process.
    container::StartOptions so;
    so.attach = true;
    so.kill_on_detach = true;
    container::Running r = at(ins, [&] { return container::start(ctrs_, images_, rec, so); });
    container::AttachStreams streams;
    if (o_.quiet) streams.out = streams.err = false;
    streams.forward_as = SIGKILL;  // ctrl-C cancels the build, as docker's
    int code = container::attach_session(ctrs_, rec, r.attach.get(), r.pid, streams);
    container::wait_exit(ctrs_, rec);
    if (code != 0) {
      // The last lines of its output, from the container's log.
      std::vector<std::string> tail;
      if (auto log = read_file_if_exists(ctrs_.dir(rec.id) + "/ctr.log")) {
        std::istringstream in(*log);
        std::string line;
        while (std::getline(in, line)) {
          // TIME STREAM F|P TEXT
          size_t p = 0;
          for (int f = 0; f < 3 && p != std::string::npos; ++f) {
            p = line.find(' ', p);
            if (p != std::string::npos) ++p;
          }
          tail.push_back(p == std::string::npos ? "" : line.substr(p));
          if (tail.size() > 5) tail.erase(tail.begin());
        }
      }
      std::string msg = ins.text + ": the command exited with status " + std::to_string(code);
      if (!tail.empty()) {
        msg += "; its last output:";
        for (const auto& t : tail) msg += "\n    " + t;
      }
      fail(ins, msg, "", code > 0 && code < 256 ? code : kExitToolError);
    }
    blob = at(ins, [&] { return tar_upper(ctrs_.dir(rec.id) + "/upper", st.layers, stubs); });
  } catch (...) {
    remove_container();
    throw;
  }
  remove_container();
  commit(st, key, by, blob);
}

// ---- RUN --mount ----

int Builder::stage_of(const Instruction& ins) const {
  int cur = 0;
  for (const auto& s : stages_)
    if (df_.instructions[s.from].line <= ins.line) cur = s.index;
  return cur;
}

PreparedMount Builder::resolve_mount(State& st, const Instruction& ins, const std::string& text,
                                     std::string& key) {
  PreparedMount p;
  p.m = at(ins, [&] { return parse_run_mount(text); });
  RunMount& m = p.m;
  if (!m.target.empty() && m.target[0] != '/') {
    std::string wd = workdir(st);
    m.target = (wd == "/" ? "" : wd) + "/" + m.target;
  }
  if (!m.target.empty() && clean_relative(m.target) == ".")
    fail(ins, "RUN --mount=" + text + ": the target cannot be /");
  key += mount_key(m) + "\n";
  using T = RunMount::Type;
  if ((m.type == T::bind) || (m.type == T::cache && !m.from.empty())) {
    p.rel = clean_relative(m.source);
    if (m.from.empty()) {
      p.from_context = true;
      UniqueFd ctx = open_or_throw(context_, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      int fd = open_in_root(ctx.get(), p.rel, O_PATH);
      if (fd < 0 || (p.rel != "." && ignore_.excluded(p.rel))) {
        if (fd >= 0) ::close(fd);
        fail(ins, "RUN --mount=" + text + ": " + quote(m.source.empty() ? "." : m.source) +
                      ": no such file or directory in the build context");
      }
      ::close(fd);
      Sha256 h;
      at(ins, [&] { hash_source(ctx.get(), p.rel, &ignore_, memo_, h); });
      key += "context " + h.hex() + "\n";
    } else if (auto s = stage_ref(m.from, stage_of(ins))) {
      auto it = done_.find(*s);
      if (it == done_.end()) fail(ins, "stage " + m.from + " was not built");
      p.image_id = it->second.id;
      p.layers = it->second.layers;
      key += "image " + p.image_id + "\n";
    } else {
      std::optional<image::Image> img;
      try {
        img = base_image(ins, m.from);
      } catch (const Error&) {
        fail(ins, "RUN --mount=" + text + ": from=" + m.from + ": no stage or image of that name",
             "name an earlier stage (FROM ... AS name) or an image");
      }
      p.image_id = img->id;
      p.layers = img->layers;
      key += "image " + p.image_id + "\n";
    }
  } else if (m.type == T::secret || m.type == T::ssh) {
    const auto& given = m.type == T::secret ? o_.secrets : o_.ssh;
    auto it = given.find(m.id);
    if (it != given.end()) {
      p.given = it->second;
    } else if (m.required) {
      if (m.type == T::secret)
        fail(ins, "secret " + quote(m.id) + " is required but was not given",
             "pass it with --secret id=" + m.id + ",src=FILE (or env=VARIABLE)");
      fail(ins, "ssh agent " + quote(m.id) + " is required but was not given",
           "pass it with --ssh " + (m.id == "default" ? std::string("default") : m.id + "=SOCKET"));
    } else {
      p.skip = true;
    }
  }
  return p;
}

// Copies p's source into dir (made) as dest ("/" for a directory's
// contents, "/data" to name the copy), in the user namespace where the
// image's files are readable; a stage or image is mounted there for it.
void Builder::copy_out(const PreparedMount& p, const std::string& dir, const std::string& dest) {
  make_dirs(dir, 0755);
  std::optional<storage::RootfsPlan> plan;
  if (!p.from_context && !p.layers.empty()) {
    std::string mnt = work_->path() + "/src-" + std::to_string(++step_no_);
    step_scratch_.push_back(mnt);
    plan = plan_for(p.layers, mnt);
  }
  std::string ctx_path = context_;
  const IgnoreMatcher* ign = &ignore_;
  std::string from = p.from_context ? std::string("the build context") : p.m.from;
  userns::run_in_userns(images_.mapping(), [&] {
    UniqueFd dst = open_or_throw(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    UniqueFd src;
    CopyOptions co;
    if (p.from_context) {
      src = open_or_throw(ctx_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      co.ignore = ign;
    } else if (plan) {
      storage::mount_rootfs(*plan);
      src = open_or_throw(plan->target, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    } else {
      src = open_or_throw(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);  // an empty image
    }
    int fd = open_in_root(src.get(), p.rel, O_PATH);
    if (fd < 0)
      throw Error(Errc::not_found, "RUN --mount source " +
                                       quote(p.m.source.empty() ? "/" : p.m.source) +
                                       ": no such file or directory in " + from);
    ::close(fd);
    copy_source(src.get(), p.rel, dst.get(), dest, co);
  });
}

std::string Builder::cache_mount(const Instruction& ins, const PreparedMount& p,
                                 std::vector<FileLock>& locks, std::set<std::string>& locked) {
  const RunMount& m = p.m;
  make_dirs(cache_mounts_dir(images_.paths()), 0700);
  std::string dir = cache_mount_dir(images_.paths(), m.id);
  // sharing=locked: one step at a time (other builds wait); shared: any
  // number at once; private: a step that finds it in use gets an empty
  // cache of its own, discarded after the step.
  if (!locked.count(m.id)) {
    std::string lock_path = dir + ".lock";
    if (m.sharing == "locked") {
      locks.emplace_back(lock_path, FileLock::Mode::exclusive);
    } else if (m.sharing == "shared") {
      locks.emplace_back(lock_path, FileLock::Mode::shared);
    } else {
      FileLock l = FileLock::try_lock(lock_path, FileLock::Mode::exclusive);
      if (!l.held()) {
        log_info(df_.file + ":" + std::to_string(ins.line) + ": cache " + quote(m.id) +
                 " is in use: this step gets a private one");
        dir = work_->path() + "/cache-" + std::to_string(++step_no_);
        step_scratch_.push_back(dir);
      } else {
        locks.push_back(std::move(l));
      }
    }
    locked.insert(m.id);
  }
  if (is_directory(dir)) return dir;
  // Made aside and renamed into place: a concurrent build sees all or nothing.
  std::string tmp = dir + ".new-" + std::to_string(::getpid());
  if (path_exists(tmp)) userns::run_in_userns(images_.mapping(), [&] { remove_tree(tmp); });
  make_dirs(tmp, 0755);
  if (!m.from.empty()) copy_out(p, tmp, "/");
  uint32_t uid = m.uid.value_or(0), gid = m.gid.value_or(0);
  mode_t mode = m.mode.value_or(0755);
  userns::run_in_userns(images_.mapping(), [&] {
    if (::chown(tmp.c_str(), uid, gid) != 0) throw_errno("chown " + tmp);
    if (::chmod(tmp.c_str(), mode) != 0) throw_errno("chmod " + tmp);
  });
  if (starts_with(dir, work_->path())) {
    if (::rename(tmp.c_str(), dir.c_str()) != 0) throw_errno("renaming " + tmp);
    return dir;
  }
  if (::rename(tmp.c_str(), dir.c_str()) != 0) {
    if (errno != EEXIST && errno != ENOTEMPTY) throw_errno("renaming " + tmp);
    userns::run_in_userns(images_.mapping(), [&] { remove_tree(tmp); });
  } else {
    // What `builder prune` names it by.
    atomic_write(dir + ".id", m.id + "\n", 0600, false);
  }
  return dir;
}

void Builder::attach_mounts(const Instruction& ins, std::vector<PreparedMount>& mounts,
                            container::CreateOptions& co, std::vector<FileLock>& locks,
                            std::vector<std::string>& stubs) {
  using T = RunMount::Type;
  std::set<std::string> locked;
  int agents = 0;
  for (auto& p : mounts) {
    const RunMount& m = p.m;
    if (p.skip) continue;
    std::string dir = work_->path() + "/mount-" + std::to_string(++step_no_);
    step_scratch_.push_back(dir);
    std::string ro = m.readonly ? ",ro" : "";
    switch (m.type) {
      case T::bind: {
        // A private copy: what the command writes (rw) is discarded with it.
        copy_out(p, dir, "/data");
        co.mounts.push_back("type=bind,source=" + dir + "/data,target=" + m.target + ro);
        break;
      }
      case T::cache:
        co.mounts.push_back("type=bind,source=" + cache_mount(ins, p, locks, locked) +
                            ",target=" + m.target + ro);
        break;
      case T::tmpfs:
        co.mounts.push_back("type=tmpfs,target=" + m.target +
                            (m.size.empty() ? "" : ",tmpfs-size=" + m.size));
        break;
      case T::secret:
        if (!m.target.empty()) {
          make_dirs(dir, 0700);
          std::string file = dir + "/secret";
          write_file(file, *p.given, 0600);
          uint32_t uid = m.uid.value_or(0), gid = m.gid.value_or(0);
          mode_t mode = m.mode.value_or(0400);
          userns::run_in_userns(images_.mapping(), [&] {
            if (::chown(file.c_str(), uid, gid) != 0) throw_errno("chown " + file);
            if (::chmod(file.c_str(), mode) != 0) throw_errno("chmod " + file);
          });
          co.mounts.push_back("type=bind,source=" + file + ",target=" + m.target + ",ro");
        }
        if (!m.env.empty()) co.env.push_back(m.env + "=" + *p.given);
        break;
      case T::ssh: {
        std::string target =
            m.target.empty() ? "/run/buildkit/ssh_agent." + std::to_string(agents) : m.target;
        ++agents;
        co.mounts.push_back("type=bind,source=" + *p.given + ",target=" + target);
        co.env.push_back("SSH_AUTH_SOCK=" + target);
        stubs.push_back(target);
        continue;
      }
    }
    if (!m.target.empty()) stubs.push_back(m.target);
  }
}

namespace {
// Every entry under dir (and dir) owned by uid 0 of the user namespace:
// the invoking user on the host.
// What was there before and is not the user's (nor mapped) stays as it is.
void own_tree(const std::string& dir) {
  struct stat st;
  if (::lstat(dir.c_str(), &st) != 0) return;
  if ((st.st_uid != 0 || st.st_gid != 0) && ::lchown(dir.c_str(), 0, 0) != 0 && errno != EPERM &&
      errno != EINVAL)
    throw_errno("chown " + dir);
  if (!S_ISDIR(st.st_mode)) return;
  std::vector<std::string> names;
  try {
    names = list_dir(dir);
  } catch (const Error&) {
    return;
  }
  for (const auto& n : names) own_tree(dir + "/" + n);
}
}  // namespace

// --output: the final stage's files as a directory or a tar file.
void Builder::export_output(const State& st) {
  std::vector<std::string> dirs;  // bottom first
  for (const auto& l : st.layers) dirs.push_back(images_.layer_dir(l.diff_id));
  const std::string& dest = o_.output_dest;
  if (o_.output_type == "local") {
    make_dirs(dest, 0755);
    userns::run_in_userns(images_.mapping(), [&] {
      image::apply_layers(dirs, dest);
      own_tree(dest);
    });
  } else {
    std::string tree = work_->path() + "/output";
    make_dirs(tree, 0755);
    if (::unlink(dest.c_str()) != 0 && errno != ENOENT) throw_errno("removing " + dest);
    userns::run_in_userns(images_.mapping(), [&] {
      image::apply_layers(dirs, tree);
      image::TarOptions to;
      if (o_.timestamp) to.mtime = *o_.timestamp;
      image::write_tar_file(tree, dest, to);
    });
  }
  say("--> Wrote the files of the image to " + dest);
}

std::string Builder::tar_upper(const std::string& upper, const std::vector<image::Layer>& layers,
                               const std::vector<std::string>& stubs) {
  std::string blob = work_->path() + "/run-" + std::to_string(++step_no_) + ".tar";
  std::vector<std::string> dirs;
  for (auto it = layers.rbegin(); it != layers.rend(); ++it)
    dirs.push_back(images_.layer_dir(it->diff_id));
  userns::run_in_userns(images_.mapping(), [&] {
    container::LowerView view = container::layers_view(dirs);
    // A RUN --mount's mount point, when the runtime made it: an empty file
    // or directory the image does not have, and its parents made with it.
    // The first parent the image has goes too when it is an empty copy-up
    // with the image's owner and mode (no change of the command's).
    for (const auto& target : stubs) {
      std::string p = "/" + clean_relative(target);
      bool first = true;
      while (p != "/") {
        std::string host = upper + p;
        struct stat up;
        if (::lstat(host.c_str(), &up) != 0) break;
        bool empty_dir = S_ISDIR(up.st_mode) && list_dir(host).empty();
        bool opaque = false;
        if (S_ISDIR(up.st_mode))
          for (const char* x : {"user.overlay.opaque", "trusted.overlay.opaque"})
            if (::lgetxattr(host.c_str(), x, nullptr, 0) >= 0) opaque = true;
        if (view.exists(p)) {
          if (first || !empty_dir || opaque) break;
          for (const auto& d : dirs) {
            struct stat low;
            if (::lstat((d + p).c_str(), &low) != 0) continue;
            if (S_ISDIR(low.st_mode) && low.st_mode == up.st_mode && low.st_uid == up.st_uid &&
                low.st_gid == up.st_gid)
              ::rmdir(host.c_str());
            break;
          }
          break;
        }
        if (empty_dir && !opaque) {
          ::rmdir(host.c_str());
        } else if (first && S_ISREG(up.st_mode) && up.st_size == 0) {
          ::unlink(host.c_str());
        } else {
          break;
        }
        first = false;
        p = dirname_of(p);
      }
    }
    // Mount points the runtime made for /etc/hosts and friends when the
    // image lacks them are not the command's work (docker keeps them in
    // an init layer): they stay out of the layer, as does a directory
    // (/etc, /run) copied up or made only to hold them.
    for (const char* dir : {"/etc", "/run"}) {
      bool stubs = false;
      std::string up_dir = upper + dir;
      struct stat up;
      if (::lstat(up_dir.c_str(), &up) != 0 || !S_ISDIR(up.st_mode)) continue;
      for (const auto& name : list_dir(up_dir)) {
        std::string p = std::string(dir) + "/" + name;
        std::string f = upper + p;
        struct stat st;
        if (::lstat(f.c_str(), &st) == 0 && !view.exists(p) &&
            container::is_runtime_stub(f, p, st)) {
          ::unlink(f.c_str());
          stubs = true;
        }
      }
      if (!stubs || !list_dir(up_dir).empty()) continue;
      if (!view.exists(dir)) {
        ::rmdir(up_dir.c_str());
        continue;
      }
      for (const auto& d : dirs) {
        struct stat low;
        if (::lstat((d + dir).c_str(), &low) != 0) continue;
        if (S_ISDIR(low.st_mode) && low.st_mode == up.st_mode && low.st_uid == up.st_uid &&
            low.st_gid == up.st_gid)
          ::rmdir(up_dir.c_str());
        break;
      }
    }
    image::TarOptions to;
    to.overlay_whiteouts = true;
    if (o_.timestamp) to.mtime = *o_.timestamp;
    image::write_tar_file(upper, blob, to);
  });
  return blob;
}

// --squash, as podman's: the final stage's new layers become one, the base
// image's stay. The new layers are applied in order onto an overlay of the
// base layers with an empty upper dir, which then holds their sum relative
// to the base (whiteouts for base files they delete included). Their
// history entries stay, marked as empty layers, and one entry for the
// squashed layer follows.
void Builder::squash(State& st) {
  size_t base = o_.squash_all ? 0 : st.base_layers;
  if (st.layers.size() <= base + 1) return;  // nothing to merge
  say("--> Squashing " + std::to_string(st.layers.size() - base) + " layers");
  std::vector<image::Layer> base_layers(st.layers.begin(), st.layers.begin() + base);
  std::vector<std::string> added;
  for (size_t i = base; i < st.layers.size(); ++i)
    added.push_back(images_.layer_dir(st.layers[i].diff_id));
  std::string dir = work_->path() + "/squash";
  std::string upper;
  if (base_layers.empty()) {
    // FROM scratch: nothing to delete from, the files are the layer.
    upper = dir + "/upper";
    make_dirs(upper, 0755);
    userns::run_in_userns(images_.mapping(), [&] { image::apply_layers(added, upper); });
  } else {
    storage::RootfsPlan plan = plan_for(base_layers, dir);
    upper = plan.upper;
    userns::run_in_userns(images_.mapping(), [&] {
      storage::mount_rootfs(plan);
      image::apply_layers(added, plan.target);
    });
  }
  std::string blob = tar_upper(upper, base_layers);
  size_t with_layer = 0;
  for (auto& h : st.config["history"])
    if (!h.value("empty_layer", false) && ++with_layer > base) h["empty_layer"] = true;
  json diff_ids = json::array();
  for (const auto& l : base_layers) diff_ids.push_back(l.diff_id);
  st.config["rootfs"]["diff_ids"] = diff_ids;
  st.layers = base_layers;
  commit(st, key_of({"squash", o_.squash_all ? "all" : "new", st.id}),
         std::string("/bin/sh -c #(nop) squashed by tug build --squash") +
             (o_.squash_all ? "-all" : ""),
         blob);
}

// Copies what COPY/ADD names into a new layer.
void Builder::copy_step(State& st, const Instruction& ins) {
  bool add = ins.keyword == "ADD";
  std::vector<std::string> allowed = {"chown", "chmod", "link!", "exclude"};
  if (add) {
    allowed.push_back("checksum");
    allowed.push_back("keep-git-dir!");
  } else {
    allowed.push_back("from");
    allowed.push_back("parents!");
  }
  auto flags = parse_flags(ins, allowed, df_.file);
  auto lk = lookup(st);
  std::string from, chown, chmod_text, checksum;
  bool parents = false;  // --parents: a source keeps its directories under dest
  bool keep_git_dir = false;
  CopyOptions copts;
  for (const auto& f : flags) {
    std::string v = at(ins, [&] { return expand_word(f.value, lk, df_.escape); });
    if (f.name == "from")
      from = v;
    else if (f.name == "chown")
      chown = v;
    else if (f.name == "chmod")
      chmod_text = v;
    else if (f.name == "checksum")
      checksum = v;
    else if (f.name == "exclude")
      copts.exclude.add(v);
    else if (f.name == "parents")
      parents = !f.has_value || v == "true";
    else if (f.name == "keep-git-dir")
      keep_git_dir = !f.has_value || v == "true";
  }
  if (!chmod_text.empty()) copts.chmod = at(ins, [&] { return parse_chmod(chmod_text); });

  std::vector<std::string> words;
  if (ins.json_form) {
    for (const auto& a : ins.json_args)
      words.push_back(at(ins, [&] { return expand_word(a, lk, df_.escape); }));
  } else {
    // Heredoc markers stay as they are: they name the heredocs.
    for (const auto& w : raw_words(ins.args, df_.escape))
      words.push_back(
          starts_with(w, "<<") ? w : at(ins, [&] { return expand_word(w, lk, df_.escape); }));
  }
  if (words.size() < 2) fail(ins, ins.keyword + " requires at least two arguments: SOURCE... DEST");
  std::string dest = words.back();
  words.pop_back();
  if (dest.empty()) fail(ins, ins.keyword + " has an empty destination");
  bool dest_dir = ends_with(dest, "/") || dest == "." || ends_with(dest, "/.");
  if (dest[0] != '/') {
    std::string wd = workdir(st);
    dest = (wd == "/" ? "" : wd) + "/" + dest;
    if (dest_dir && !ends_with(dest, "/")) dest += "/";
  }

  // Resolve the sources.
  std::optional<int> from_stage;
  std::optional<image::Image> from_image;
  if (!from.empty()) {
    const Stage* cur = nullptr;
    for (const auto& s : stages_)
      if (df_.instructions[s.from].line <= ins.line) cur = &s;
    from_stage = stage_ref(from, cur ? cur->index : 0);
    if (!from_stage) {
      try {
        from_image = base_image(ins, from);
      } catch (const Error&) {
        fail(ins, "COPY --from=" + from + ": no stage or image of that name",
             "name an earlier stage (FROM ... AS name) or an image");
      }
    }
  }
  UniqueFd ctx = open_or_throw(context_, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  std::vector<Source> sources;
  Sha256 h;
  int n_matches = 0;
  bool wildcard = false;
  for (const auto& w : words) {
    if (starts_with(w, "<<")) {
      auto it = std::find_if(ins.heredocs.begin(), ins.heredocs.end(),
                             [&](const Heredoc& d) { return w.find(d.name) != std::string::npos; });
      if (it == ins.heredocs.end()) fail(ins, "no heredoc for " + quote(w));
      Source s;
      s.kind = Source::heredoc;
      s.name = it->name;
      s.content =
          it->expand ? at(ins, [&] { return expand_word(it->content, lk, '\0'); }) : it->content;
      h.update("heredoc\n" + s.name + "\n" + s.content);
      sources.push_back(s);
      ++n_matches;
      continue;
    }
    if (add && is_git_url(w)) {
      Source s;
      s.kind = Source::git;
      std::string sub;
      GitCheckout c = at(ins, [&] {
        return git_checkout(w, work_->path() + "/git-" + std::to_string(++step_no_), keep_git_dir,
                            sub);
      });
      if (!checksum.empty() && checksum != c.commit &&
          !(checksum.size() >= 7 && starts_with(c.commit, checksum)))
        fail(ins,
             "ADD " + w + ": checksum mismatch: expected commit " + checksum + ", got " + c.commit);
      s.root = c.dir;
      s.rel = clean_relative(sub);
      {
        UniqueFd g = open_or_throw(c.dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        int fd = open_in_root(g.get(), s.rel, O_PATH);
        if (fd < 0) fail(ins, "ADD " + w + ": " + sub + ": no such directory in the repository");
        ::close(fd);
      }
      h.update("git\n" + w + "\n" + c.commit + "\n" + (keep_git_dir ? "keep" : ""));
      sources.push_back(s);
      ++n_matches;
      continue;
    }
    if (add && is_url(w)) {
      Source s;
      s.kind = Source::url;
      s.name = url_basename(w);
      s.dl = at(ins, [&] {
        return download(w, work_->path() + "/url-" + std::to_string(sources.size()));
      });
      std::string sum = "sha256:" + sha256_file_hex(s.dl.file);
      if (!checksum.empty() && checksum != sum)
        fail(ins, "ADD " + w + ": checksum mismatch: expected " + checksum + ", got " + sum);
      h.update("url\n" + w + "\n" + sum);
      sources.push_back(s);
      ++n_matches;
      continue;
    }
    if (from_stage || from_image) {
      // Resolved in the source image when the step runs.
      Source s;
      s.kind = Source::image;
      s.rel = w;
      h.update("image\n" + w);
      sources.push_back(s);
      if (has_wildcard(w)) wildcard = true;
      ++n_matches;
      continue;
    }
    // Inside the context: ".." may not climb out of it.
    {
      int depth = 0;
      for (const auto& c : split(w, '/')) {
        if (c == "..")
          --depth;
        else if (!c.empty() && c != ".")
          ++depth;
        if (depth < 0)
          fail(ins, ins.keyword + " failed: forbidden path outside the build context: " + w);
      }
    }
    if (has_wildcard(w)) wildcard = true;
    auto matches = match_sources(ctx.get(), w, &ignore_);
    if (matches.empty()) {
      if (has_wildcard(w)) continue;
      fail(ins, ins.keyword +
                    " failed: file not found in build context or excluded by "
                    ".dockerignore: stat " +
                    w + ": file does not exist");
    }
    for (const auto& m : matches) {
      Source s;
      s.kind = Source::context;
      s.rel = m;
      at(ins, [&] { hash_source(ctx.get(), m, &ignore_, memo_, h); });
      if (add) {
        int fd = open_in_root(ctx.get(), m, O_RDONLY);
        if (fd >= 0) {
          UniqueFd f(fd);
          struct stat sst;
          if (::fstat(fd, &sst) == 0 && S_ISREG(sst.st_mode)) s.extract = is_archive(fd);
        }
      }
      sources.push_back(s);
      ++n_matches;
    }
  }
  if (n_matches == 0) fail(ins, ins.keyword + " failed: no source files were specified");
  if ((n_matches > 1 || (wildcard && (from_stage || from_image))) && !ends_with(dest, "/"))
    fail(ins, "When using " + ins.keyword +
                  " with more than one source file, the destination must be a directory and end "
                  "with a /");

  std::string source_image;
  std::vector<image::Layer> source_layers;
  if (from_stage) {
    auto it = done_.find(*from_stage);
    if (it == done_.end()) fail(ins, "stage " + from + " was not built");
    source_image = it->second.id;
    source_layers = it->second.layers;
  } else if (from_image) {
    source_image = from_image->id;
    source_layers = from_image->layers;
  }
  std::string hash = h.hex();
  std::string kind = n_matches > 1 ? "multi" : "file";
  if (n_matches == 1 && sources[0].kind == Source::context) {
    struct stat sst;
    int fd = open_in_root(ctx.get(), sources[0].rel, O_PATH);
    if (fd >= 0) {
      if (::fstat(fd, &sst) == 0 && S_ISDIR(sst.st_mode)) kind = "dir";
      ::close(fd);
    }
  }
  std::string flag_text;
  for (const auto& f : ins.flags) flag_text += f + " ";
  std::string by = "/bin/sh -c #(nop) " + ins.keyword + " " + flag_text + kind + ":" + hash +
                   " in " + dest + " ";
  std::string key = key_of({"copy", st.id, by, source_image, join(words, "\n")});
  if (use_cache(st, key)) return;

  // The copy: the stage's rootfs (and the source image's) mounted in a
  // user namespace of their own; the new layer is the upper dir.
  std::string dir = work_->path() + "/copy-" + std::to_string(++step_no_);
  storage::RootfsPlan target = plan_for(st.layers, dir);
  std::optional<storage::RootfsPlan> source;
  if (!source_image.empty() && !source_layers.empty())
    source = plan_for(source_layers, dir + "-src");
  std::string blob = dir + ".tar";
  std::string ctx_path = context_;
  const IgnoreMatcher* ign = &ignore_;
  at(ins, [&] {
    try {
      userns::run_in_userns(images_.mapping(), [&] {
        std::string root_path = target.upper;
        if (!target.lowers.empty()) {
          storage::mount_rootfs(target);
          root_path = target.target;
        }
        UniqueFd root = open_or_throw(root_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        UniqueFd src_root;
        if (source) {
          storage::mount_rootfs(*source);
          src_root = open_or_throw(source->target, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        } else if (!source_image.empty()) {
          src_root = open_or_throw(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);  // an empty image
        }
        UniqueFd ctx_fd = open_or_throw(ctx_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        CopyOptions co = copts;
        if (!chown.empty()) co.owner = resolve_owner(root.get(), chown);
        // --parents: "a/b/c.txt" goes to DEST/a/b/c.txt, a directory
        // "a/b" to DEST/a/b/.
        auto parents_dest = [&](int src, const std::string& rel) -> std::string {
          if (!parents) return dest;
          std::string base = ends_with(dest, "/") ? dest : dest + "/";
          std::string r = clean_relative(rel);
          struct stat sst;
          int fd = open_in_root(src, r, O_PATH);
          bool dir = fd >= 0 && ::fstat(fd, &sst) == 0 && S_ISDIR(sst.st_mode);
          if (fd >= 0) ::close(fd);
          if (dir) return r == "." ? base : base + r + "/";
          std::string parent = dirname_of(r);
          return parent == "." ? base : base + parent + "/";
        };
        for (const auto& s : sources) {
          switch (s.kind) {
            case Source::heredoc:
              write_content(root.get(), dest, s.name, s.content, 0644, co);
              break;
            case Source::url: {
              std::string data = read_file(s.dl.file);
              write_content(root.get(), dest, s.name, data, 0600, co, s.dl.mtime);
              break;
            }
            case Source::git: {
              UniqueFd g = open_or_throw(s.root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
              copy_source(g.get(), s.rel, root.get(), dest, co);
              break;
            }
            case Source::image: {
              auto matches = match_sources(src_root.get(), s.rel, nullptr);
              if (matches.empty())
                throw Error(Errc::not_found, "COPY --from=" + from + ": " + s.rel +
                                                 ": no such file or directory in the source image");
              for (const auto& m : matches)
                copy_source(src_root.get(), m, root.get(), parents_dest(src_root.get(), m), co);
              break;
            }
            case Source::context:
              if (s.extract) {
                UniqueFd a(open_in_root(ctx_fd.get(), s.rel, O_RDONLY));
                if (!a) throw_errno("opening " + s.rel);
                extract_archive(a.get(), root.get(), dest, co.owner.value_or(Owner{}));
              } else {
                CopyOptions c2 = co;
                c2.ignore = ign;
                copy_source(ctx_fd.get(), s.rel, root.get(), parents_dest(ctx_fd.get(), s.rel), c2);
              }
              break;
          }
        }
        image::TarOptions to;
        to.overlay_whiteouts = true;
        if (o_.timestamp) to.mtime = *o_.timestamp;
        image::write_tar_file(target.upper, blob, to);
      });
    } catch (Error& e) {
      // What a full disk fails on is named as in the image ("/blob"): say
      // where on the host too.
      std::string m = e.what();
      if (m.find("no space left on device") != std::string::npos &&
          m.find(dir) == std::string::npos)
        e.add_context("copying into " + target.upper);
      throw;
    }
  });
  commit(st, key, by, blob);
}

void Builder::step(State& st, const Instruction& ins) {
  const std::string& k = ins.keyword;
  auto lk = lookup(st);
  auto expand1 = [&](const std::string& s) {
    return at(ins, [&] { return expand_word(s, lk, df_.escape); });
  };
  auto command_form = [&]() -> std::vector<std::string> {
    if (ins.json_form) return ins.json_args;
    std::vector<std::string> sh = strings_of(runtime_config(st), "Shell");
    if (sh.empty()) sh = {"/bin/sh", "-c"};
    sh.push_back(ins.args);
    return sh;
  };
  if (k == "RUN") return run_step(st, ins);
  if (k == "COPY" || k == "ADD") return copy_step(st, ins);
  if (k == "ARG") return arg_step(st, ins);
  if (k == "FROM") fail(ins, "FROM inside a stage");
  if (ins.args.empty() && k != "CMD" && k != "ENTRYPOINT")
    fail(ins, k + " requires at least one argument");
  if (k == "ENV" || k == "LABEL") {
    auto kvs = at(ins, [&] { return key_values(ins.args, lk, df_.escape); });
    std::string shown = k;
    for (const auto& [a, b] : kvs) shown += " " + a + "=" + b;
    return config_step(st, ins, shown, [&](json& rc) {
      for (const auto& [a, b] : kvs) {
        if (k == "ENV")
          set_env(rc, a, b);
        else
          rc["Labels"][a] = b;
      }
    });
  }
  if (k == "MAINTAINER") {
    std::string who = expand1(ins.args);
    return config_step(st, ins, "MAINTAINER " + who, [&](json& rc) {
      st.config["author"] = who;
      rc["Labels"]["maintainer"] = who;
    });
  }
  if (k == "CMD") {
    auto cmd = command_form();
    if (!ins.json_form && ins.args.empty()) fail(ins, "CMD requires a command");
    config_step(st, ins, "CMD " + json_array_text(cmd), [&](json& rc) { rc["Cmd"] = cmd; });
    st.cmd_set = true;
    return;
  }
  if (k == "ENTRYPOINT") {
    auto ep = command_form();
    if (!ins.json_form && ins.args.empty()) ep.clear();
    bool keep_cmd = st.cmd_set;
    return config_step(st, ins, "ENTRYPOINT " + json_array_text(ep), [&](json& rc) {
      rc["Entrypoint"] = ep;
      // Docker: a CMD inherited from the base image does not survive a new ENTRYPOINT.
      if (!keep_cmd) rc.erase("Cmd");
    });
  }
  if (k == "WORKDIR") {
    std::string w = expand1(ins.args);
    std::string base = workdir(st);
    std::string full = w[0] == '/' ? w : (base == "/" ? "" : base) + "/" + w;
    full = "/" + (clean_relative(full) == "." ? "" : clean_relative(full));
    return config_step(st, ins, "WORKDIR " + full, [&](json& rc) { rc["WorkingDir"] = full; });
  }
  if (k == "USER") {
    std::string u = expand1(ins.args);
    return config_step(st, ins, "USER " + u, [&](json& rc) { rc["User"] = u; });
  }
  if (k == "STOPSIGNAL") {
    std::string s = expand1(ins.args);
    return config_step(st, ins, "STOPSIGNAL " + s, [&](json& rc) { rc["StopSignal"] = s; });
  }
  if (k == "EXPOSE") {
    std::vector<std::string> ports;
    for (const auto& w : at(ins, [&] { return expand_words(ins.args, lk, df_.escape); })) {
      auto [port, proto] = split_once(w, '/');
      if (proto.empty()) proto = "tcp";
      proto = lower(proto);
      auto [lo, hi] = split_once(port, '-');
      auto num = [&](const std::string& s) {
        if (s.empty() || !std::all_of(s.begin(), s.end(), ::isdigit) || s.size() > 5 ||
            std::stoi(s) > 65535)
          fail(ins, "invalid port " + quote(w));
        return std::stoi(s);
      };
      int a = num(lo), b = hi.empty() ? a : num(hi);
      if (b < a) fail(ins, "invalid port range " + quote(w));
      for (int p = a; p <= b; ++p) ports.push_back(std::to_string(p) + "/" + proto);
    }
    return config_step(st, ins, "EXPOSE " + join(ports, " "), [&](json& rc) {
      for (const auto& p : ports) rc["ExposedPorts"][p] = json::object();
    });
  }
  if (k == "VOLUME") {
    std::vector<std::string> vols;
    if (ins.json_form) {
      for (const auto& v : ins.json_args) vols.push_back(expand1(v));
    } else {
      vols = at(ins, [&] { return expand_words(ins.args, lk, df_.escape); });
    }
    for (const auto& v : vols)
      if (v.empty()) fail(ins, "VOLUME specified can not be an empty string");
    return config_step(st, ins, "VOLUME " + json_array_text(vols), [&](json& rc) {
      for (const auto& v : vols) rc["Volumes"][v] = json::object();
    });
  }
  if (k == "SHELL") {
    if (!ins.json_form || ins.json_args.empty())
      fail(ins,
           "SHELL requires the arguments to be in JSON form: SHELL [\"executable\", \"param\"]");
    return config_step(st, ins, "SHELL " + json_array_text(ins.json_args),
                       [&](json& rc) { rc["Shell"] = ins.json_args; });
  }
  if (k == "ONBUILD") {
    Instruction trigger = parse_instruction(ins.args, df_.file, ins.line, df_.escape);
    if (trigger.keyword == "ONBUILD" || trigger.keyword == "FROM" ||
        trigger.keyword == "MAINTAINER")
      fail(ins, trigger.keyword + " isn't allowed as an ONBUILD trigger");
    return config_step(st, ins, "ONBUILD " + ins.args,
                       [&](json& rc) { rc["OnBuild"].push_back(ins.args); });
  }
  if (k == "HEALTHCHECK") {
    auto flags = parse_flags(
        ins, {"interval", "timeout", "start-period", "start-interval", "retries"}, df_.file);
    json hc = json::object();
    auto words = raw_words(ins.args, df_.escape);
    std::string kind = words.empty() ? "" : lower(words[0]);
    if (kind == "none") {
      if (words.size() != 1 || !flags.empty())
        fail(ins, "HEALTHCHECK NONE takes no other arguments");
      hc["Test"] = {"NONE"};
    } else if (kind == "cmd") {
      std::string rest = trim(trim(ins.args).substr(3));
      json test = json::array();
      json j = json::parse(rest, nullptr, false);
      bool exec = j.is_array() &&
                  std::all_of(j.begin(), j.end(), [](const json& e) { return e.is_string(); });
      if (exec) {
        test.push_back("CMD");
        for (const auto& e : j) test.push_back(e.get<std::string>());
      } else {
        if (rest.empty()) fail(ins, "HEALTHCHECK CMD requires a command");
        test = {"CMD-SHELL", rest};
      }
      hc["Test"] = test;
      for (const auto& f : flags) {
        if (f.name == "retries") {
          if (f.value.empty() || !std::all_of(f.value.begin(), f.value.end(), ::isdigit))
            fail(ins, "invalid --retries " + quote(f.value));
          hc["Retries"] = std::stoi(f.value);
          continue;
        }
        int64_t ns = at(ins, [&] { return parse_go_duration(f.value); });
        std::string field = f.name == "interval"       ? "Interval"
                            : f.name == "timeout"      ? "Timeout"
                            : f.name == "start-period" ? "StartPeriod"
                                                       : "StartInterval";
        hc[field] = ns;
      }
    } else {
      fail(ins, "HEALTHCHECK takes CMD or NONE");
    }
    return config_step(st, ins, "HEALTHCHECK " + hc.dump(),
                       [&](json& rc) { rc["Healthcheck"] = hc; });
  }
  fail(ins, "unknown instruction: " + k);
}

void Builder::from_image_triggers(State& st) {
  json& rc = runtime_config(st);
  auto triggers = strings_of(rc, "OnBuild");
  if (triggers.empty()) return;
  // The triggers run once, in this image's build; its children do not inherit them.
  rc.erase("OnBuild");
  for (const auto& t : triggers) {
    Instruction ins =
        parse_instruction(t, df_.file + " (ONBUILD of the base image)", 0, df_.escape);
    say("--> Executing ONBUILD trigger: " + ins.text);
    step(st, ins);
  }
}

State Builder::run_stage(const Stage& s, int shown_index, int shown_total) {
  State st;
  const Instruction& from = df_.instructions[s.from];
  int total = static_cast<int>(s.end - s.from);
  stage_prefix_ = shown_total > 1
                      ? "[" + std::to_string(shown_index) + "/" + std::to_string(shown_total) + "] "
                      : "";
  say(stage_prefix_ + "STEP 1/" + std::to_string(total) + ": " + from.text);
  auto flags = parse_flags(from, {"platform"}, df_.file);
  for (const auto& f : flags) {
    std::string want = expand_word(f.value, global_lookup(), df_.escape);
    if (want.find(image::host_architecture()) == std::string::npos && !want.empty() &&
        want.find('$') == std::string::npos)
      log_warn(df_.file + ":" + std::to_string(from.line) + ": FROM --platform=" + want +
               " is not this host's platform; the image's own platform is used");
  }
  std::string ref = at(from, [&] {
    return expand_word(raw_words(from.args, df_.escape)[0], global_lookup(), df_.escape);
  });
  if (auto prev = stage_ref(ref, s.index)) {
    st = done_.at(*prev);
    st.args.clear();
    st.cmd_set = false;
  } else if (lower(ref) == "scratch") {
    st.config = {{"architecture", image::host_architecture()},
                 {"os", "linux"},
                 {"config", json::object()},
                 {"rootfs", {{"type", "layers"}, {"diff_ids", json::array()}}},
                 {"history", json::array()}};
  } else {
    image::Image img = base_image(from, ref);
    st.id = img.id;
    st.config = img.config;
    st.layers = img.layers;
  }
  st.base_layers = st.layers.size();
  from_image_triggers(st);
  for (size_t i = s.from + 1; i < s.end; ++i) {
    const Instruction& ins = df_.instructions[i];
    say(stage_prefix_ + "STEP " + std::to_string(i - s.from + 1) + "/" + std::to_string(total) +
        ": " + ins.text);
    step(st, ins);
  }
  return st;
}

Result Builder::run() {
  if (is_url(o_.context) || starts_with(o_.context, "git@") || o_.context == "-")
    throw Error(Errc::unsupported,
                "building from " +
                    (o_.context == "-" ? std::string("a context on stdin") : quote(o_.context)) +
                    " is not implemented in tug build yet",
                "give a local directory as the context");
  context_ = o_.context.empty() ? "." : o_.context;
  if (!is_directory(context_))
    throw Error(Errc::not_found, "the build context " + context_ + " is not a directory");
  // Absolute: the copy steps work from other directories.
  if (char* real = ::realpath(context_.c_str(), nullptr)) {
    context_ = real;
    std::free(real);
  }
  load_dockerfile();
  for (const char* n : {".containerignore", ".dockerignore"})
    if (auto t = read_file_if_exists(context_ + "/" + n)) {
      ignore_ = IgnoreMatcher::parse(*t);
      break;
    }
  driver_ = storage::select_driver(images_.paths(), images_.mapping());
  if (driver_ == storage::Driver::vfs)
    throw Error(Errc::unsupported, "tug build is not implemented for the vfs storage driver",
                "builds need overlay or fuse-overlayfs, where a step's changes are its upper dir");
  find_stages();
  if (stages_.empty()) throw Error(Errc::invalid, df_.file + ": no FROM instruction");
  work_ = std::make_unique<WorkDir>(images_);

  std::vector<int> order = needed_stages();
  int shown = 0;
  for (int i : order) {
    const Stage& s = stages_[static_cast<size_t>(i)];
    done_[i] = run_stage(s, ++shown, static_cast<int>(order.size()));
  }
  State final_state = done_.at(order.back());
  if (o_.squash || o_.squash_all) squash(final_state);
  if (final_state.id.empty()) {
    // FROM scratch and nothing else: an empty image.
    commit(final_state, key_of({"empty", "scratch"}), "/bin/sh -c #(nop) FROM scratch", "");
  }
  if (!o_.labels.empty()) {
    std::vector<std::string> kv = o_.labels;
    std::string by = "/bin/sh -c #(nop) LABEL " + join(kv, " ");
    std::string key = key_of({"labels", final_state.id, by});
    if (!use_cache(final_state, key)) {
      json& rc = runtime_config(final_state);
      for (const auto& l : kv) {
        auto [k, v] = split_once(l, '=');
        rc["Labels"][k] = v;
      }
      commit(final_state, key, by, "");
    }
  }
  if (!o_.output_type.empty()) export_output(final_state);
  std::vector<std::string> unused;
  for (const auto& [k, v] : o_.build_args)
    if (!used_args_.count(k) && !kProxyArgs.count(k)) unused.push_back(k);
  if (!unused.empty())
    log_warn("one or more build-args [" + join(unused, " ") + "] were not consumed");

  Result r;
  r.id = final_state.id;
  for (const auto& t : o_.tags) {
    std::string name = image::parse_local_reference(t).str();
    say("COMMIT " + t);
    images_.tag(r.id, name);
    r.names.push_back(name);
  }
  if (!r.names.empty()) std::remove((cache_dir(images_.paths()) + "/intermediate/" + r.id).c_str());
  if (!o_.layers) {
    // Without --layers nothing is kept for a later build: only the result stays.
    for (const auto& id : created_) {
      if (id == r.id) continue;
      try {
        images_.remove(id);
      } catch (const Error& e) {
        log_debug("removing intermediate image " + id + ": " + e.what());
      }
    }
  }
  memo_.save();
  say("--> " + r.id.substr(0, 12));
  for (const auto& n : r.names) say("Successfully tagged " + n);
  return r;
}

}  // namespace

Result build(container::Store& containers, image::Store& images, const Options& opts) {
  // What a killed build left.
  container::remove_stale_build_containers(containers);
  // Whatever prunes the cache waits for no build, and leaves this one's alone.
  FileLock building = build_lock(images.paths(), FileLock::Mode::shared);
  Builder b(containers, images, opts);
  return b.run();
}

}  // namespace tug::build
