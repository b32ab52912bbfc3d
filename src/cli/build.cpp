// tug build / tug image build: build an image from a Containerfile.
#include "build/build.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <climits>
#include <cstdlib>
#include <iostream>
#include <iterator>

#include "build/copier.hpp"
#include "cli/commands.hpp"
#include "cli/registry_flags.hpp"
#include "events/events.hpp"
#include "image/archive.hpp"
#include "image/reference.hpp"
#include "util/error.hpp"
#include "util/fd.hpp"
#include "util/fs.hpp"
#include "util/strings.hpp"

namespace tug::cli {

void setup_build(CLI::App* c, Globals& g) {
  struct Flags {
    build::Options opts;
    std::vector<std::string> build_args;
    std::string pull = "missing", iidfile, format, platform, output, timestamp;
    std::vector<std::string> secrets, ssh, annotations;
    bool rm = true, force_rm = false;
    RegistryFlags registry;
  };
  auto f = std::make_shared<Flags>();
  c->add_option("-t,--tag", f->opts.tags, "Name and optionally a tag (NAME[:TAG]) for the image")
      ->allow_extra_args(false);
  c->add_option("-f,--file", f->opts.file, "Name of the Containerfile ('-' reads stdin)");
  c->add_option("--build-arg", f->build_args,
                "Set a build-time variable (KEY=VALUE, or KEY from the environment)")
      ->allow_extra_args(false);
  c->add_option("--target", f->opts.target, "Set the target build stage to build");
  c->add_flag("--no-cache", f->opts.no_cache, "Do not use the cache when building the image");
  c->add_flag("--pull{always}", f->pull,
              "Pull the base images: always (--pull), missing (default), never");
  c->add_option("--network", f->opts.network,
                "Network mode for RUN instructions (none or host; default host)");
  c->add_option("--label", f->opts.labels, "Set metadata (KEY=VALUE) on the image")
      ->allow_extra_args(false);
  c->add_option("--ulimit", f->opts.ulimits, "Ulimit options for RUN (NAME=SOFT[:HARD])")
      ->allow_extra_args(false);
  c->add_flag("--layers", f->opts.layers,
              "Keep intermediate images as the cache (--layers=false keeps only the result)");
  c->add_flag("--squash", f->opts.squash, "Squash the new layers of the image into one");
  c->add_flag("--squash-all", f->opts.squash_all,
              "Squash all the image's layers, the base image's too, into one");
  c->add_flag("-q,--quiet", f->opts.quiet, "Print only the image ID");
  c->add_option("--iidfile", f->iidfile, "Write the image ID to the file");
  c->add_option("--secret", f->secrets,
                "Secret for RUN --mount=type=secret: id=ID,src=FILE or id=ID,env=VARIABLE")
      ->allow_extra_args(false);
  c->add_option("--ssh", f->ssh, "SSH agent socket for RUN --mount=type=ssh: default, or ID=SOCKET")
      ->allow_extra_args(false);
  c->add_option("-o,--output", f->output,
                "Also write the image's files: type=local,dest=DIR, type=tar,dest=FILE, or DIR");
  c->add_option("--annotation", f->annotations, "Add an annotation to the image's manifest")
      ->allow_extra_args(false);
  c->add_option("--timestamp", f->timestamp,
                "Set every created time and file time of the new layers to this (seconds since "
                "the epoch): reproducible images");
  c->add_option("--format", f->format, "Image format (oci or docker; both are accepted)");
  c->add_option("--platform", f->platform, "Platform of the image (only this host's is built)");
  c->add_flag("--rm", f->rm, "Remove intermediate containers (always done)");
  c->add_flag("--force-rm", f->force_rm,
              "Remove intermediate containers after a failure (always done)");
  add_registry_flags(c, f->registry);
  add_signature_policy_flag(c, f->registry);
  c->add_option("CONTEXT", f->opts.context,
                "Build context directory (default: the current directory; '-' reads a tar of it, "
                "or a Containerfile, from stdin)");
  c->callback([f, &g] {
    if (f->pull == "true") f->pull = "always";
    if (f->pull == "false") f->pull = "missing";
    if (f->pull != "always" && f->pull != "missing" && f->pull != "never" && f->pull != "newer")
      throw Error(Errc::usage, "invalid --pull " + quote(f->pull), "use always, missing or never");
    if (!f->format.empty() && f->format != "oci" && f->format != "docker")
      throw Error(Errc::usage, "unrecognized image type " + quote(f->format), "use oci or docker");
    // No emulation: only this host's platform can run the RUN steps.
    std::string host = "linux/" + image::host_architecture();
    if (!f->platform.empty() && f->platform != host && f->platform != image::host_architecture())
      throw Error(Errc::unsupported,
                  "tug build makes images for this host's platform only (" + host + "), not " +
                      quote(f->platform),
                  "leave out --platform, or build on a " + f->platform + " machine");
    if (!f->annotations.empty())
      throw Error(Errc::unsupported, "build --annotation is not implemented in tug yet",
                  "set a label instead: --label KEY=VALUE");
    build::Options& o = f->opts;
    if (o.context.empty()) o.context = ".";
    for (const auto& sec : f->secrets) {
      std::string id, src, env, type;
      for (const auto& field : split(sec, ',')) {
        bool has = false;
        auto [k, v] = split_once(field, '=', &has);
        if (!has || v.empty())
          throw Error(Errc::usage, "invalid --secret " + quote(sec),
                      "use id=ID,src=FILE or id=ID,env=VARIABLE");
        if (k == "id")
          id = v;
        else if (k == "src" || k == "source")
          src = v;
        else if (k == "env")
          env = v;
        else if (k == "type")
          type = v;
        else
          throw Error(Errc::usage, "unknown key " + quote(k) + " in --secret " + quote(sec),
                      "use id=ID,src=FILE or id=ID,env=VARIABLE");
      }
      if (type == "env" && env.empty()) std::swap(env, src);
      if (id.empty()) id = !env.empty() ? env : basename_of(src);
      if (id.empty() || (!type.empty() && type != "file" && type != "env") ||
          (!src.empty() && !env.empty()))
        throw Error(Errc::usage, "invalid --secret " + quote(sec),
                    "use id=ID,src=FILE or id=ID,env=VARIABLE");
      if (src.empty() && env.empty()) env = id;  // docker: the variable of that name
      if (!env.empty()) {
        const char* v = std::getenv(env.c_str());
        if (!v)
          throw Error(Errc::not_found,
                      "secret " + quote(id) + ": the environment variable " + env + " is not set");
        o.secrets[id] = v;
      } else {
        auto text = read_file_if_exists(src);
        if (!text)
          throw Error(Errc::not_found, "secret " + quote(id) + ": " + src + ": no such file");
        o.secrets[id] = *text;
      }
    }
    for (const auto& spec : f->ssh) {
      bool has = false;
      auto [id, path] = split_once(spec, '=', &has);
      if (id.empty())
        throw Error(Errc::usage, "invalid --ssh " + quote(spec), "use default or ID=SOCKET");
      path = split_once(path, ',').first;
      if (!has || path.empty()) {
        const char* sock = std::getenv("SSH_AUTH_SOCK");
        if (!sock || !*sock)
          throw Error(Errc::usage, "--ssh " + spec + ": SSH_AUTH_SOCK is not set",
                      "start an ssh-agent, or name its socket: --ssh " + id + "=SOCKET");
        path = sock;
      }
      struct stat sst;
      if (::stat(path.c_str(), &sst) != 0)
        throw Error(Errc::not_found, "--ssh " + id + ": " + path + ": no such file");
      if (!S_ISSOCK(sst.st_mode))
        throw Error(Errc::unsupported, "--ssh " + id + ": " + path + " is not a socket",
                    "tug binds an ssh-agent's socket; key files are not supported");
      if (char* real = ::realpath(path.c_str(), nullptr)) {
        path = real;
        std::free(real);
      }
      o.ssh[id] = path;
    }
    if (!f->output.empty()) {
      std::string type, dest;
      if (f->output.find('=') == std::string::npos) {
        type = "local";
        dest = f->output;
      } else {
        for (const auto& field : split(f->output, ',')) {
          auto [k, v] = split_once(field, '=');
          if (k == "type")
            type = v;
          else if (k == "dest")
            dest = v;
          else
            throw Error(Errc::usage, "unknown key " + quote(k) + " in --output " + quote(f->output),
                        "use type=local,dest=DIR or type=tar,dest=FILE");
        }
      }
      if (type != "local" && type != "tar")
        throw Error(Errc::unsupported,
                    "--output type " + quote(type) + " is not supported by tug build",
                    "use type=local,dest=DIR or type=tar,dest=FILE");
      if (dest.empty()) throw Error(Errc::usage, "--output " + quote(f->output) + " needs a dest");
      if (dest == "-")
        throw Error(Errc::unsupported, "--output to stdout is not implemented in tug build",
                    "write it to a file: type=tar,dest=FILE");
      if (dest[0] != '/') {
        char cwd[PATH_MAX];
        if (::getcwd(cwd, sizeof cwd)) dest = std::string(cwd) + "/" + dest;
      }
      o.output_type = type;
      o.output_dest = dest;
    }
    if (!f->timestamp.empty()) {
      const std::string& t = f->timestamp;
      if (t.size() > 12 || t.find_first_not_of("0123456789") != std::string::npos)
        throw Error(Errc::usage, "invalid --timestamp " + quote(t),
                    "seconds since the epoch, e.g. 0 or $(date +%s)");
      o.timestamp = std::stoll(t);
    }
    o.build_args.clear();
    for (const auto& a : f->build_args) {
      bool has = false;
      auto [k, v] = split_once(a, '=', &has);
      if (k.empty()) throw Error(Errc::usage, "invalid --build-arg " + quote(a));
      if (!has) {
        // docker: KEY alone takes the value from the environment, if set.
        const char* env = std::getenv(k.c_str());
        if (!env) continue;
        v = env;
      }
      o.build_args.emplace_back(k, v);
    }
    for (const auto& t : o.tags) image::parse_reference(t);  // validate before building
    // docker's `build -`: stdin is a tar of the context, or a Dockerfile
    // with an empty context.
    std::unique_ptr<TempDir> stdin_context;
    if (o.context == "-") {
      if (o.file == "-")
        throw Error(Errc::usage, "the context and the Containerfile cannot both come from stdin");
      make_dirs(g.paths().tmp(), 0700);
      stdin_context = std::make_unique<TempDir>(g.paths().tmp(), "build-stdin-");
      std::string text((std::istreambuf_iterator<char>(std::cin)),
                       std::istreambuf_iterator<char>());
      std::string tar = stdin_context->path() + "/context.tar";
      atomic_write(tar, text, 0600, false);
      UniqueFd tar_fd = open_or_throw(tar, O_RDONLY | O_CLOEXEC);
      std::string dir = stdin_context->path() + "/context";
      make_dirs(dir, 0700);
      if (build::is_archive(tar_fd.get())) {
        UniqueFd dir_fd = open_or_throw(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        build::extract_archive(tar_fd.get(), dir_fd.get(), ".", {::getuid(), ::getgid()});
      } else {
        o.file = "-";
        o.file_text = std::move(text);
      }
      o.context = dir;
    } else if (o.file == "-") {
      o.file_text.assign(std::istreambuf_iterator<char>(std::cin),
                         std::istreambuf_iterator<char>());
    }
    registry::Options ro = f->registry.options();
    ro.quiet = o.quiet;
    std::string policy = f->pull;
    o.pull = policy == "always";
    if (policy != "never")
      o.pull_image = [&g, ro, policy](const std::string& ref) {
        ensure_image(g, ref, policy == "always" ? "always" : "missing", ro);
      };
    container::Store store(g.paths(), g.mapping());
    build::Result r = build::build(store, g.images(), o);
    if (!f->iidfile.empty()) atomic_write(f->iidfile, "sha256:" + r.id, 0644, false);
    events::emit(g.paths(), "image", "build", "sha256:" + r.id,
                 {{"name", o.tags.empty() ? r.id.substr(0, 12) : o.tags.front()}});
    out(r.id);
  });
}

void register_build(CLI::App& app, Globals& g) {
  setup_build(add_command(app, "build", "Build an image using instructions from Containerfiles"),
              g);
}

}  // namespace tug::cli
