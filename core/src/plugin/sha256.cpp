// SPDX-License-Identifier: Apache-2.0
#include "sha256.hpp"

#include <fcntl.h>
#include <openssl/evp.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <vector>

#include "dbridge/error.hpp"

namespace dbridge::inline v1::detail {
namespace {

using digest_ctx = std::unique_ptr<EVP_MD_CTX, void (*)(EVP_MD_CTX*)>;

digest_ctx start_sha256() {
  digest_ctx ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  if (!ctx || EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) != 1) {
    throw_error(errc::internal, "cannot initialise SHA-256 (OpenSSL EVP)");
  }
  return ctx;
}

std::string finish_hex(EVP_MD_CTX* ctx) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_DigestFinal_ex(ctx, md, &len);
  static const char hex[] = "0123456789abcdef";
  std::string out;
  out.reserve(len * 2);
  for (unsigned int i = 0; i < len; ++i) {
    out += hex[md[i] >> 4];
    out += hex[md[i] & 15];
  }
  return out;
}

}  // namespace

std::string sha256_hex(std::string_view bytes) {
  digest_ctx ctx = start_sha256();
  EVP_DigestUpdate(ctx.get(), bytes.data(), bytes.size());
  return finish_hex(ctx.get());
}

std::string sha256_hex_fd(int fd) {
  digest_ctx ctx = start_sha256();
  std::vector<unsigned char> buf(1 << 16);
  off_t offset = 0;
  while (true) {
    ssize_t n = ::pread(fd, buf.data(), buf.size(), offset);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw_error(errc::resource, std::string("cannot read the file to hash it: ") + std::strerror(errno));
    }
    if (n == 0) break;
    EVP_DigestUpdate(ctx.get(), buf.data(), static_cast<std::size_t>(n));
    offset += n;
  }
  return finish_hex(ctx.get());
}

std::string sha256_hex_file(const std::filesystem::path& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    throw_error(errc::not_found, "cannot open " + path.string() + ": " + std::strerror(errno));
  }
  try {
    std::string h = sha256_hex_fd(fd);
    ::close(fd);
    return h;
  } catch (...) {
    ::close(fd);
    throw;
  }
}

}  // namespace dbridge::detail
