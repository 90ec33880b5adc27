// Example 2: session state, updated on every request, with its history and
// a time-travel read. A web service keeps each user's session as one
// document; every request that changes it writes a version (who, when,
// what), so "what did the session hold at 10:02?" is one call.
#include <strata/strata.h>

#include "example_util.h"

using example::By;
using example::Json;
using example::Must;

namespace {

struct Request {
  std::int64_t time;
  const char* what;
  const char* pointer;  // where in the session it writes
  const char* value;    // JSON
};

}  // namespace

int main() {
  example::TempDir dir;
  auto repo = Must(strata::Repository::Init(dir.path()), "init");
  const std::int64_t t0 = 1700000000;  // 2023-11-14T22:13:20Z

  Must(repo->Put("sessions/u42", boost::json::parse(R"({"user": "u42", "cart": []})"),
                 By("web", t0, "login")),
       "login");
  std::printf("login: %s\n", Json(Must(repo->Get("sessions/u42"), "get")).c_str());

  const Request requests[] = {
      {t0 + 60, "add book", "/cart", R"(["book"])"},
      {t0 + 120, "add pen", "/cart", R"(["book", "pen"])"},
      {t0 + 180, "set locale", "/locale", R"("fr")"},
      {t0 + 240, "remove book", "/cart", R"(["pen"])"},
  };
  for (const Request& r : requests) {
    auto w = Must(repo->Set("sessions/u42", *strata::JsonPointer::Parse(r.pointer),
                            boost::json::parse(r.value), By("web", r.time, r.what)),
                  "request");
    std::printf("%s -> version %s\n", r.what, w.version.id.substr(0, 12).c_str());
  }
  // A request that changes nothing writes nothing.
  auto same = repo->Set("sessions/u42", *strata::JsonPointer::Parse("/locale"),
                        boost::json::parse(R"("fr")"), By("web", t0 + 300, "set locale again"));
  std::printf("set locale again: %s\n", strata::CodeName(same.status().code()));

  // The session's history, newest first, each with what it changed.
  strata::HistoryOptions h;
  h.changes = true;
  auto history = Must(repo->History("sessions/u42", strata::JsonPointer(), h), "history");
  std::printf("history of sessions/u42 (%zu versions):\n", history.size());
  for (const strata::LogEntry& e : history) {
    std::printf("  #%zu %s %s", e.doc_version, strata::FormatUtcTime(e.version.time).c_str(),
                e.version.message.c_str());
    for (const strata::Change& c : e.changes) {
      std::printf(" [%s]", c.op.Describe().c_str());
    }
    std::printf("\n");
  }

  // Time travel: the session as it was 2.5 minutes after login, and the
  // cart alone as it was just before the book was removed.
  auto then = Must(repo->GetAt("sessions/u42", "HEAD", t0 + 150), "get at");
  std::printf("at %s: %s\n", strata::FormatUtcTime(t0 + 150).c_str(), Json(then).c_str());
  auto cart =
      Must(repo->GetAt("sessions/u42", "HEAD", t0 + 239, *strata::JsonPointer::Parse("/cart")),
           "get cart at");
  std::printf("cart at %s: %s\n", strata::FormatUtcTime(t0 + 239).c_str(), Json(cart).c_str());
  auto before = repo->GetAt("sessions/u42", "HEAD", t0 - 1);
  std::printf("before login: %s\n", strata::CodeName(before.status().code()));
  std::printf("now: %s\n", Json(Must(repo->Get("sessions/u42"), "get")).c_str());
  return 0;
}
