// SHA-1, for object ids and pack checksums: OpenSSL's libcrypto, which uses
// the CPU's SHA instructions where it has them (several times the speed of
// the portable C that libgit2 1.5 uses through mbedTLS on Debian). Every
// tree and blob a write stages is hashed, so on a large state's bucket trees
// this is most of a write's CPU. libcrypto is already loaded with libgit2
// (through libssh2). Its low-level SHA1_* functions, not EVP: they need no
// library initialisation (EVP's first digest loads openssl.cnf, the
// providers and the engines, about a fifth of a `strata get`'s instructions)
// and no allocation per hash.
#pragma once

#include <git2.h>

#include <string>
#include <string_view>

#include "strata/object_id.h"

namespace strata {

class Sha1 {
 public:
  Sha1();
  ~Sha1();
  Sha1(const Sha1&) = delete;
  Sha1& operator=(const Sha1&) = delete;

  void Update(std::string_view data);
  // The 20-byte digest; the hash is not to be used afterwards.
  std::string Finish();

 private:
  alignas(8) unsigned char ctx_[96];  // SHA_CTX (sha1.cc checks the size)
};

// The id git gives an object of `type` with content `data`: the SHA-1 of
// "<type> <size>\0" followed by the data (what git_odb_hash computes).
ObjectId HashObject(std::string_view data, git_object_t type);

}  // namespace strata
