#pragma once
// Shared libraries loaded on first use. libcurl and libarchive pull in
// thirty more libraries (TLS, Kerberos, LDAP, ICU...) whose loading and
// relocation cost about 10 ms of every start; `ps`, `exec` or `run` of a
// stored image use neither, so neither is linked: their functions are
// reached through TUG_LAZY_FUNCTION wrappers in namespace tug::dl
// (util/curl.hpp, util/libarchive.hpp), and a call left unwrapped fails to
// link.
#include <string>

namespace tug {

class LazyLibrary {
 public:
  // soname as dlopen(3) takes it; package names what provides it (for the
  // error when it is missing).
  LazyLibrary(const char* soname, const char* package) : soname_(soname), package_(package) {}
  // The address of a function of the library, loading it first. Throws
  // Error(not_found) naming the library and its package.
  void* symbol(const char* name) const;

 private:
  const char* soname_;
  const char* package_;
  mutable void* handle_ = nullptr;
};

}  // namespace tug

// Declares tug::dl::NAME, forwarding to the library's NAME (which must be
// declared by the library's own header, included before).
#define TUG_LAZY_FUNCTION(library, name)                                                 \
  template <typename... Args>                                                            \
  inline auto name(Args... args) {                                                       \
    static const auto fn = reinterpret_cast<decltype(&::name)>(library().symbol(#name)); \
    return fn(args...);                                                                  \
  }
