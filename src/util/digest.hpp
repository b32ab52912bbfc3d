#pragma once
// sha256 digests (OpenSSL EVP), streaming and one-shot, and "sha256:<hex>"
// validation for content-addressed names.
#include <memory>
#include <string>
#include <string_view>

namespace tug {

class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(Sha256&&) noexcept;
  Sha256& operator=(Sha256&&) noexcept;
  void update(const void* data, size_t n);
  void update(std::string_view s) { update(s.data(), s.size()); }
  std::string hex();  // finishes; the object must not be updated afterwards

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

std::string sha256_hex(std::string_view data);
std::string sha256_file_hex(const std::string& path);

// True for "sha256:" followed by 64 lowercase hex digits.
bool is_sha256_digest(std::string_view d);
bool is_hex64(std::string_view h);
// "sha256:<hex>" -> "<hex>"; throws Error(invalid) if not a sha256 digest.
std::string digest_hex(std::string_view d);

// Fills buf with n bytes from the kernel's random pool.
void random_bytes(void* buf, size_t n);

// A random 64-hex-digit identifier (container ids).
std::string random_hex64();

}  // namespace tug
