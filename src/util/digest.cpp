#include "util/digest.hpp"

#include <fcntl.h>
#include <sys/random.h>
#include <unistd.h>

#include "util/crypto.hpp"
#include "util/error.hpp"
#include "util/fd.hpp"

namespace tug {

struct Sha256::Impl {
  EVP_MD_CTX* ctx = nullptr;
  ~Impl() {
    if (ctx) dl::EVP_MD_CTX_free(ctx);
  }
};

Sha256::Sha256() : impl_(std::make_unique<Impl>()) {
  impl_->ctx = dl::EVP_MD_CTX_new();
  if (!impl_->ctx || dl::EVP_DigestInit_ex(impl_->ctx, dl::EVP_sha256(), nullptr) != 1)
    throw Error(Errc::io, "sha256: cannot initialise digest");
}
Sha256::~Sha256() = default;
Sha256::Sha256(Sha256&&) noexcept = default;
Sha256& Sha256::operator=(Sha256&&) noexcept = default;

void Sha256::update(const void* data, size_t n) {
  dl::EVP_DigestUpdate(impl_->ctx, data, n);
}

std::string Sha256::hex() {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  dl::EVP_DigestFinal_ex(impl_->ctx, md, &len);
  static const char* digits = "0123456789abcdef";
  std::string out;
  out.reserve(len * 2);
  for (unsigned i = 0; i < len; ++i) {
    out.push_back(digits[md[i] >> 4]);
    out.push_back(digits[md[i] & 15]);
  }
  return out;
}

std::string sha256_hex(std::string_view data) {
  Sha256 h;
  h.update(data);
  return h.hex();
}

std::string sha256_file_hex(const std::string& path) {
  UniqueFd fd = open_or_throw(path, O_RDONLY);
  Sha256 h;
  char buf[1 << 16];
  for (;;) {
    ssize_t r = ::read(fd.get(), buf, sizeof buf);
    if (r < 0) throw_errno("read " + path);
    if (r == 0) break;
    h.update(buf, static_cast<size_t>(r));
  }
  return h.hex();
}

bool is_hex64(std::string_view h) {
  if (h.size() != 64) return false;
  for (char c : h)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

bool is_sha256_digest(std::string_view d) {
  return d.size() == 71 && d.substr(0, 7) == "sha256:" && is_hex64(d.substr(7));
}

std::string digest_hex(std::string_view d) {
  if (!is_sha256_digest(d)) throw Error(Errc::invalid, "invalid digest \"" + std::string(d) + "\"");
  return std::string(d.substr(7));
}

void random_bytes(void* buf, size_t n) {
  // getrandom(2) rather than OpenSSL's DRBG: instantiating that costs more
  // than the rest of `tug run` together, and ids need no more than the kernel's pool.
  auto p = static_cast<unsigned char*>(buf);
  while (n > 0) {
    ssize_t r = ::getrandom(p, n, 0);
    if (r < 0) {
      if (errno == EINTR) continue;
      throw_errno("getrandom");
    }
    p += r;
    n -= static_cast<size_t>(r);
  }
}

std::string random_hex64() {
  unsigned char b[32];
  random_bytes(b, sizeof b);
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (unsigned char c : b) {
    out.push_back(digits[c >> 4]);
    out.push_back(digits[c & 15]);
  }
  return out;
}

}  // namespace tug
