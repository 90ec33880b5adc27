// Example 1: versioned configuration, each component reading through its
// own perspective (docs/perspectives.md). The operator writes one config
// document; the database provider sees only the db keys (the password
// masked), the cache provider only the cache keys; each opens its own
// Repository and reads through its perspective, so a key it may not see
// never reaches it. A provider's write outside its keys is refused.
#include <strata/strata.h>

#include "example_util.h"

using example::By;
using example::Json;
using example::Must;

int main() {
  example::TempDir dir;
  auto ops = Must(strata::Repository::Init(dir.path()), "init");

  // The perspectives are themselves a versioned document.
  Must(ops->Put(".perspectives", boost::json::parse(R"({"perspectives": {
         "db-provider":    {"docs": ["config/**"],
                            "rules": [{"path": "/db/**", "action": "show"},
                                      {"path": "/db/password", "action": "mask"}]},
         "cache-provider": {"docs": ["config/**"],
                            "rules": [{"path": "/cache/**", "action": "show"}]}}})"),
                By("ops", 1700000000, "define the providers' perspectives")),
       "put .perspectives");
  auto v1 = Must(ops->Put("config/app", boost::json::parse(R"({
         "db": {"host": "db1.internal", "pool": 10, "password": "s3cret"},
         "cache": {"ttl": 60, "size": "256M"},
         "features": {"beta": false}})"),
                          By("ops", 1700000100, "first config")),
                 "put config/app");
  std::printf("ops wrote config/app as version %s\n", v1.version.id.substr(0, 12).c_str());

  // Each component opens the repository on its own and picks its view.
  for (const char* component : {"db-provider", "cache-provider"}) {
    auto repo = Must(strata::Repository::Open(dir.path()), "open");
    example::Check(repo->UsePerspective(std::string(component)), "use perspective");
    auto doc = Must(repo->Get("config/app"), "get");
    std::printf("%s sees %s\n", component, Json(doc).c_str());
  }

  // The operator raises the pool; the db provider sees the new value, the
  // cache provider's view did not change.
  auto v2 = Must(ops->Set("config/app", *strata::JsonPointer::Parse("/db/pool"), 20,
                          By("ops", 1700000200, "raise the pool")),
                 "set");
  std::printf("ops set /db/pool to 20 in version %s\n", v2.version.id.substr(0, 12).c_str());
  {
    auto db = Must(strata::Repository::Open(dir.path()), "open");
    example::Check(db->UsePerspective(std::string("db-provider")), "use perspective");
    auto pool = Must(db->Get("config/app", "HEAD", *strata::JsonPointer::Parse("/db/pool")), "get");
    auto before = Must(
        db->Get("config/app", v1.version.id, *strata::JsonPointer::Parse("/db/pool")), "get v1");
    std::printf("db-provider reads /db/pool: %s (was %s)\n", Json(pool).c_str(),
                Json(before).c_str());
    auto hidden = db->Get("config/app", "HEAD", *strata::JsonPointer::Parse("/features/beta"));
    std::printf("db-provider reads /features/beta: %s\n",
                hidden.ok() ? "visible" : strata::CodeName(hidden.status().code()));
  }

  // A provider writes through its perspective too: a value it cannot see is
  // not its to change.
  auto cache = Must(strata::Repository::Open(dir.path()), "open");
  example::Check(cache->UsePerspective(std::string("cache-provider")), "use perspective");
  auto ttl = cache->Set("config/app", *strata::JsonPointer::Parse("/cache/ttl"), 120,
                        By("cache", 1700000300, "longer ttl"));
  std::printf("cache-provider sets /cache/ttl: %s\n", ttl.ok() ? "written" : "refused");
  auto bad = cache->Set("config/app", *strata::JsonPointer::Parse("/db/pool"), 1,
                        By("cache", 1700000400, "shrink the pool"));
  std::printf("cache-provider sets /db/pool: %s (%s)\n", bad.ok() ? "written" : "refused",
              bad.ok() ? "" : strata::CodeName(bad.status().code()));

  // The whole history, as the operator (no perspective) sees it.
  auto log = Must(ops->Log("HEAD", strata::LogOptions{}), "log");
  for (const strata::VersionInfo& v : log) {
    std::printf("  %s %s: %s\n", v.id.substr(0, 12).c_str(), v.author.name.c_str(),
                v.message.c_str());
  }
  return 0;
}
