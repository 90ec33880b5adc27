#include "objects/sha1.h"

#include <openssl/evp.h>

#include <cstring>
#include <new>

namespace strata {
namespace {

EVP_MD_CTX* NewContext() {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  if (!ctx || EVP_DigestInit_ex(ctx, EVP_sha1(), nullptr) != 1) throw std::bad_alloc();
  return ctx;
}

// One context per thread, reset for each object: setting one up costs more
// than hashing a small blob.
EVP_MD_CTX* ThreadContext() {
  struct Owned {
    EVP_MD_CTX* ctx = NewContext();
    ~Owned() { EVP_MD_CTX_free(ctx); }
  };
  thread_local Owned owned;
  return owned.ctx;
}

}  // namespace

Sha1::Sha1() : ctx_(NewContext()) {}

Sha1::~Sha1() { EVP_MD_CTX_free(static_cast<EVP_MD_CTX*>(ctx_)); }

void Sha1::Update(std::string_view data) {
  EVP_DigestUpdate(static_cast<EVP_MD_CTX*>(ctx_), data.data(), data.size());
}

std::string Sha1::Finish() {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  EVP_DigestFinal_ex(static_cast<EVP_MD_CTX*>(ctx_), digest, &size);
  return std::string(reinterpret_cast<const char*>(digest), size);
}

ObjectId HashObject(std::string_view data, git_object_t type) {
  EVP_MD_CTX* ctx = ThreadContext();
  // EVP_DigestInit_ex with a null type reuses the context's digest.
  EVP_DigestInit_ex(ctx, nullptr, nullptr);
  char header[64];
  const int n =
      std::snprintf(header, sizeof header, "%s %zu", git_object_type2string(type), data.size());
  EVP_DigestUpdate(ctx, header, static_cast<std::size_t>(n) + 1);  // with its NUL
  EVP_DigestUpdate(ctx, data.data(), data.size());
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  EVP_DigestFinal_ex(ctx, digest, &size);
  ObjectId id;
  std::memcpy(id.bytes, digest, ObjectId::kSize);
  return id;
}

}  // namespace strata
