// ObjectId: the id of a git object (a version, a state tree, a blob), as a
// plain 20-byte value: comparable, hashable, printable as 40 hex digits.
// It holds no libgit2 type; the conversions to and from git_oid are in the
// library's private objects/git.h.
#pragma once

#include <cstddef>
#include <cstring>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace strata {

struct ObjectId {
  static constexpr std::size_t kSize = 20;     // raw bytes (SHA-1)
  static constexpr std::size_t kHexSize = 40;  // hex digits

  unsigned char bytes[kSize] = {};

  // 40 lower-case hex digits.
  std::string Hex() const {
    static constexpr char kDigits[] = "0123456789abcdef";
    std::string s(kHexSize, '0');
    for (std::size_t i = 0; i < kSize; ++i) {
      s[2 * i] = kDigits[bytes[i] >> 4];
      s[2 * i + 1] = kDigits[bytes[i] & 0xf];
    }
    return s;
  }
  // Exactly 40 hex digits (either case); nullopt otherwise.
  static std::optional<ObjectId> FromHex(std::string_view hex) {
    if (hex.size() != kHexSize) return std::nullopt;
    ObjectId id;
    for (std::size_t i = 0; i < kHexSize; ++i) {
      const char c = hex[i];
      int v;
      if (c >= '0' && c <= '9') {
        v = c - '0';
      } else if (c >= 'a' && c <= 'f') {
        v = c - 'a' + 10;
      } else if (c >= 'A' && c <= 'F') {
        v = c - 'A' + 10;
      } else {
        return std::nullopt;
      }
      id.bytes[i / 2] = static_cast<unsigned char>(i % 2 == 0 ? v << 4 : id.bytes[i / 2] | v);
    }
    return id;
  }
  // All zero bytes (git's "no object").
  bool IsZero() const {
    for (unsigned char b : bytes) {
      if (b != 0) return false;
    }
    return true;
  }

  friend bool operator==(const ObjectId& a, const ObjectId& b) {
    return std::memcmp(a.bytes, b.bytes, kSize) == 0;
  }
  friend bool operator!=(const ObjectId& a, const ObjectId& b) { return !(a == b); }
  // Bytewise, as git orders ids.
  friend bool operator<(const ObjectId& a, const ObjectId& b) {
    return std::memcmp(a.bytes, b.bytes, kSize) < 0;
  }
};

}  // namespace strata

// Ids are hashes already: their first bytes are as good a hash as any.
template <>
struct std::hash<strata::ObjectId> {
  std::size_t operator()(const strata::ObjectId& id) const noexcept {
    std::size_t h;
    std::memcpy(&h, id.bytes, sizeof h);
    return h;
  }
};
