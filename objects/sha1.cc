#include "objects/sha1.h"

// SHA1_Init and friends are deprecated in OpenSSL 3 in favour of EVP, which
// costs a library initialisation and a context allocation (sha1.h); they
// remain in OpenSSL 3's ABI and use the same SHA-extension assembly.
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/sha.h>

#include <charconv>
#include <cstdio>
#include <cstring>
#include <new>

namespace strata {
namespace {

static_assert(sizeof(SHA_CTX) <= sizeof(unsigned char[96]) && alignof(SHA_CTX) <= 8);

}  // namespace

Sha1::Sha1() { SHA1_Init(new (ctx_) SHA_CTX); }

Sha1::~Sha1() = default;

void Sha1::Update(std::string_view data) {
  SHA1_Update(reinterpret_cast<SHA_CTX*>(ctx_), data.data(), data.size());
}

std::string Sha1::Finish() {
  unsigned char digest[SHA_DIGEST_LENGTH];
  SHA1_Final(digest, reinterpret_cast<SHA_CTX*>(ctx_));
  return std::string(reinterpret_cast<const char*>(digest), sizeof digest);
}

ObjectId HashObject(std::string_view data, git_object_t type) {
  SHA_CTX ctx;
  SHA1_Init(&ctx);
  // "<type> <size>\0", written by hand: snprintf cost as much as hashing a
  // small blob (an import hashes one per member).
  char header[64];
  const char* name = git_object_type2string(type);
  const std::size_t name_size = std::strlen(name);
  std::memcpy(header, name, name_size);
  header[name_size] = ' ';
  char* end = std::to_chars(header + name_size + 1, header + sizeof header - 1, data.size()).ptr;
  *end = '\0';
  SHA1_Update(&ctx, header, static_cast<std::size_t>(end - header) + 1);  // with its NUL
  SHA1_Update(&ctx, data.data(), data.size());
  ObjectId id;
  static_assert(ObjectId::kSize == SHA_DIGEST_LENGTH);
  SHA1_Final(id.bytes, &ctx);
  return id;
}

}  // namespace strata
