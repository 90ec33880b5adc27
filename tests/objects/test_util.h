// Helpers shared by the objects/ tests: parsing literals, checking statuses,
// and random JSON for property tests.
#pragma once

#include <pthread.h>

#include <boost/test/unit_test.hpp>
#include <exception>
#include <fstream>
#include <functional>
#include <random>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "strata/json.h"
#include "strata/json_patch.h"
#include "strata/json_pointer.h"
#include "strata/status.h"

namespace strata::testing {

// OPEN^depth LEAF CLOSE^depth, e.g. Nested(3, "[", "]", "1") is [[[1]]].
inline std::string Nested(std::size_t depth, const std::string& open, const std::string& close,
                          const std::string& leaf) {
  std::string s;
  s.reserve(depth * (open.size() + close.size()) + leaf.size());
  for (std::size_t i = 0; i < depth; ++i) s += open;
  s += leaf;
  for (std::size_t i = 0; i < depth; ++i) s += close;
  return s;
}

inline const Status& StatusOf(const Status& s) { return s; }
template <typename T>
const Status& StatusOf(const Result<T>& r) {
  static const Status kOk;
  return r.ok() ? kOk : r.status();
}

// Checks that `expr` (a Status or Result) is ok, printing its message if not.
#define STRATA_CHECK_OK(expr)                                      \
  do {                                                             \
    const ::strata::Status _s = ::strata::testing::StatusOf(expr); \
    BOOST_TEST_REQUIRE(_s.ok(), "not ok: " << _s.message());       \
  } while (0)

// Runs `body` on a thread with a 1 GiB stack (reserved, touched only if
// used), as the CLI runs commands: Boost.JSON's copy and destructor recurse
// once per level, which a value kMaxJsonDepth deep needs. An exception
// (a failed BOOST_TEST_REQUIRE) is rethrown here.
inline void OnLargeStack(const std::function<void()>& body) {
  struct Args {
    const std::function<void()>* body;
    std::exception_ptr error;
  } args{&body, nullptr};
  auto run = [](void* p) -> void* {
    auto* a = static_cast<Args*>(p);
    try {
      (*a->body)();
    } catch (...) {
      a->error = std::current_exception();
    }
    return nullptr;
  };
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, std::size_t{1} << 30);
  pthread_t thread;
  int rc = pthread_create(&thread, &attr, run, &args);
  pthread_attr_destroy(&attr);
  BOOST_TEST_REQUIRE(rc == 0, "cannot start a thread with a large stack");
  pthread_join(thread, nullptr);
  if (args.error) std::rethrow_exception(args.error);
}

// Parses JSON written in a test; the test stops if it is invalid.
inline json::value J(std::string_view text) {
  Result<json::value> v = ParseJson(text, "test");
  BOOST_TEST_REQUIRE(v.ok(), v.status().message());
  return std::move(v).value();
}

inline Patch P(std::string_view text) {
  Result<Patch> p = ParsePatch(J(text));
  BOOST_TEST_REQUIRE(p.ok(), p.status().message());
  return std::move(p).value();
}

// The JSON Patch conformance cases (data/README.md), both files, in order;
// each is an object with "doc", "patch" and "expected" or "error" (or only
// a "comment"), possibly "disabled".
inline std::vector<json::object> LoadPatchConformanceCases() {
  std::vector<json::object> cases;
  for (const char* file : {"tests.json", "spec_tests.json"}) {
    std::string path = std::string(STRATA_TEST_DATA) + "/" + file;
    std::ifstream in(path, std::ios::binary);
    BOOST_TEST_REQUIRE(in.good(), "cannot open " << path);
    std::stringstream text;
    text << in.rdbuf();
    Result<json::value> v = ParseJson(text.str(), path);
    BOOST_TEST_REQUIRE(v.ok(), v.status().message());
    BOOST_TEST_REQUIRE(v->is_array());
    for (auto& c : v->get_array()) {
      BOOST_TEST_REQUIRE(c.is_object());
      cases.push_back(c.get_object());
    }
  }
  return cases;
}

inline bool IsDisabled(const json::object& c) {
  const json::value* d = c.if_contains("disabled");
  return d && d->is_bool() && d->get_bool();
}

inline std::string CaseName(const json::object& c, std::size_t index) {
  const json::value* comment = c.if_contains("comment");
  std::string name = "case " + std::to_string(index);
  if (comment && comment->is_string()) name += " (" + std::string(comment->get_string()) + ")";
  return name;
}

// Keys that stress escaping and ordering: git-hostile names, pointer
// syntax, percent signs, control bytes and non-ASCII.
inline const std::vector<std::string>& TrickyKeys() {
  static const std::vector<std::string> keys = {"",
                                                ".",
                                                "..",
                                                ".git",
                                                "a/b",
                                                "%",
                                                "%2E",
                                                "~",
                                                "~0",
                                                "~1",
                                                "\x01",
                                                "\x7f",
                                                "git~1",
                                                "a\\.git",
                                                "\xe2\x80\x8c.git",
                                                "\xc3\xa9t\xc3\xa9",
                                                "-",
                                                "0",
                                                "10",
                                                " ",
                                                "a b"};
  return keys;
}

// Random JSON and random patch operations for property tests. Values
// sometimes grow past the blob and shard thresholds (kBlobMaxBytes,
// kFlatMaxEntries) so every path of the tree codec is exercised.
class RandomJson {
 public:
  explicit RandomJson(std::uint32_t seed) : rng_(seed) {}

  std::mt19937& rng() { return rng_; }
  int Int(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }
  bool Chance(int percent) { return Int(1, 100) <= percent; }
  template <typename T>
  const T& Pick(const std::vector<T>& v) {
    return v[static_cast<std::size_t>(Int(0, static_cast<int>(v.size()) - 1))];
  }

  std::string Key() {
    if (Chance(15)) return Pick(TrickyKeys());
    std::string k;
    int n = Int(1, 6);
    for (int i = 0; i < n; ++i) k.push_back(static_cast<char>('a' + Int(0, 5)));
    return k;
  }

  json::value Scalar() {
    switch (Int(0, 8)) {
      case 0:
        return nullptr;
      case 1:
        return Chance(50);
      case 2:
        return Int(-1000, 1000);
      case 3:
        return Int(-1000, 1000) / 8.0;
      case 4:
        return json::value(
            std::string(static_cast<std::size_t>(Int(0, 40)), static_cast<char>('a' + Int(0, 25))));
      case 5:
        return json::value(Key());
      case 6:
        return 1e19;  // equal to the uint64 below, and must encode the same
      case 7:
        return std::uint64_t{10000000000000000000u};
      default:
        return Int(0, 3) * 1.0;  // integral doubles equal to small integers
    }
  }

  // A value at most `depth` containers deep.
  json::value Value(int depth) {
    int pick = depth <= 0 ? 0 : Int(0, 9);
    if (pick < 5) return Scalar();
    if (pick < 7) {
      json::array a;
      int n = Int(0, 5);
      for (int i = 0; i < n; ++i) a.push_back(Value(depth - 1));
      return a;
    }
    json::object o;
    int n = Chance(10) ? Int(20, 120) : Int(0, 6);
    for (int i = 0; i < n; ++i) o[Key()] = Value(depth - 1);
    return o;
  }

  // An object with `n` small members "k0".."k{n-1}" (prefix `p`).
  static json::value Wide(int n, const std::string& p = "k") {
    json::object o;
    for (int i = 0; i < n; ++i) o[p + std::to_string(i)] = i;
    return o;
  }

  // Sometimes large: past kBlobMaxBytes, or past kFlatMaxEntries members.
  json::value AnyValue() {
    switch (Int(0, 19)) {
      case 0:
        return Wide(Int(500, 700), Key());
      case 1:
        return json::value(std::string(static_cast<std::size_t>(Int(1900, 2200)), 'x'));
      case 2: {
        json::object o;
        o["big"] = Wide(Int(200, 400));
        o["small"] = Value(2);
        return o;
      }
      default:
        return Value(3);
    }
  }

 private:
  std::mt19937 rng_;
};

// A random operation on `root` (an object), usually one that applies.
class RandomPatches {
 public:
  explicit RandomPatches(RandomJson& gen) : gen_(gen) {}

  PatchOp Op(const json::value& root) {
    PatchOp op;
    switch (gen_.Int(0, 11)) {
      case 0:
      case 1:
      case 2:
        op.kind = PatchOpKind::kAdd;
        op.path = AddLocation(root);
        op.value = gen_.AnyValue();
        break;
      case 3:
      case 4:
        op.kind = PatchOpKind::kRemove;
        op.path = Existing(root);
        break;
      case 5:
      case 6:
        op.kind = PatchOpKind::kReplace;
        op.path = Existing(root);
        op.value = gen_.AnyValue();
        break;
      case 7:
        op.kind = PatchOpKind::kMove;
        op.from = Existing(root);
        op.path = AddLocation(root);
        break;
      case 8:
        op.kind = PatchOpKind::kCopy;
        op.from = Existing(root);
        op.path = AddLocation(root);
        break;
      case 9: {
        op.kind = PatchOpKind::kTest;
        op.path = Existing(root);
        op.value = gen_.Chance(80) ? *ResolvePointer(root, op.path).value() : gen_.Scalar();
        break;
      }
      case 10:  // usually a missing member
        op.kind = PatchOpKind::kRemove;
        op.path = Existing(root).Child("missing" + std::to_string(gen_.Int(0, 9)));
        break;
      default: {  // a member of a wide object, to cross the shard threshold
        op.kind = gen_.Chance(50) ? PatchOpKind::kAdd : PatchOpKind::kRemove;
        op.path = WideMember(root, op.kind == PatchOpKind::kAdd);
        op.value = gen_.Int(0, 5);
        break;
      }
    }
    if (op.path.IsRoot()) {  // keep the state an object of documents
      op.kind = PatchOpKind::kTest;
      op.value = root;
    }
    return op;
  }

 private:
  // An existing value other than the root, found by a random walk.
  JsonPointer Existing(const json::value& root) {
    JsonPointer p;
    const json::value* v = &root;
    while (true) {
      std::size_t n = v->is_object()  ? v->get_object().size()
                      : v->is_array() ? v->get_array().size()
                                      : 0;
      if (n == 0 || (!p.IsRoot() && gen_.Chance(35))) return p;
      std::size_t i = static_cast<std::size_t>(gen_.Int(0, static_cast<int>(n) - 1));
      if (v->is_object()) {
        auto it = v->get_object().begin() + i;
        p = p.Child(std::string(it->key()));
        v = &it->value();
      } else {
        p = p.Child(std::to_string(i));
        v = &v->get_array()[i];
      }
    }
  }

  // Where an "add" can go: a new or existing member of an object, or a
  // position in an array.
  JsonPointer AddLocation(const json::value& root) {
    for (int attempt = 0; attempt < 8; ++attempt) {
      JsonPointer p = gen_.Chance(30) ? JsonPointer() : Existing(root);
      const json::value& v = *ResolvePointer(root, p).value();
      if (v.is_object()) {
        const json::object& o = v.get_object();
        if (o.empty() || gen_.Chance(60)) return p.Child(gen_.Key());
        auto it = o.begin() + gen_.Int(0, static_cast<int>(o.size()) - 1);
        return p.Child(std::string(it->key()));
      }
      if (v.is_array()) {
        int n = static_cast<int>(v.get_array().size());
        return p.Child(gen_.Chance(20) ? "-" : std::to_string(gen_.Int(0, n)));
      }
    }
    return JsonPointer({gen_.Key()});
  }

  // A member of the widest object found among a few random probes.
  JsonPointer WideMember(const json::value& root, bool fresh) {
    JsonPointer best;
    std::size_t best_size = 0;
    for (int i = 0; i < 6; ++i) {
      JsonPointer p = Existing(root);
      const json::value& v = *ResolvePointer(root, p).value();
      if (v.is_object() && v.get_object().size() >= best_size) {
        best = p;
        best_size = v.get_object().size();
      }
    }
    const json::value& v = *ResolvePointer(root, best).value();
    if (!fresh && best_size > 0) return best.Child(std::string(v.get_object().begin()->key()));
    return best.Child("w" + std::to_string(gen_.Int(0, 100000)));
  }

  RandomJson& gen_;
};

}  // namespace strata::testing
