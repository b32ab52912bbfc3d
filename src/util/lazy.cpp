#include "util/lazy.hpp"

#include <dlfcn.h>

#include <mutex>

#include "util/error.hpp"

namespace tug {

void* LazyLibrary::symbol(const char* name) const {
  static std::mutex m;
  std::lock_guard lock(m);
  if (!handle_) {
    handle_ = ::dlopen(soname_, RTLD_LAZY | RTLD_LOCAL);
    if (!handle_)
      throw Error(Errc::not_found, std::string("cannot load ") + soname_ + ": " + ::dlerror(),
                  std::string("install it (Debian: apt install ") + package_ + ")");
  }
  void* f = ::dlsym(handle_, name);
  if (!f)
    throw Error(Errc::not_found, std::string(soname_) + " has no function " + name,
                std::string("the installed ") + package_ + " is too old for tug");
  return f;
}

}  // namespace tug
