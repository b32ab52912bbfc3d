#include "util/crypto.hpp"
#include "util/curl.hpp"
#include "util/gpgme.hpp"
#include "util/libarchive.hpp"

namespace tug::dl {

const LazyLibrary& libcurl() {
  static const LazyLibrary lib("libcurl.so.4", "libcurl4");
  return lib;
}

const LazyLibrary& libcrypto() {
  static const LazyLibrary lib("libcrypto.so.3", "libssl3");
  return lib;
}

const LazyLibrary& libgpgme() {
  static const LazyLibrary lib("libgpgme.so.11", "libgpgme11");
  return lib;
}

const LazyLibrary& libarchive() {
  static const LazyLibrary lib("libarchive.so.13", "libarchive13");
  return lib;
}

}  // namespace tug::dl
