// Example 3: a document-processing pipeline. Each stage writes its result
// as a version labelled with the stage's name; a consumer follows the
// pipeline with an event subscriber (strata/events.h) that sees only the
// reports' changes, and afterwards finds the versions a stage made by
// their label.
#include <strata/strata.h>

#include <string>
#include <vector>

#include "example_util.h"

using example::By;
using example::Json;
using example::Must;

int main() {
  example::TempDir dir;
  auto repo = Must(strata::Repository::Init(dir.path()), "init");

  // The consumer: told of every write to reports/q3, after it is written.
  std::vector<std::string> seen;
  strata::EventFilter filter;
  filter.kinds = {strata::EventKind::kWrite};
  filter.doc = "reports/q3";
  strata::EventConnection consumer = repo->Subscribe(filter, [&](const strata::Event& e) {
    std::string labels;
    for (const std::string& l : e.version->labels) labels += (labels.empty() ? "" : ",") + l;
    std::printf("consumer: %s version %s [%s], %zu change(s):", e.ref.c_str(),
                e.version->id.substr(0, 12).c_str(), labels.c_str(), e.delta.size());
    for (const strata::PatchOp& op : e.delta) std::printf(" %s", op.Describe().c_str());
    std::printf("\n");
    seen.push_back(e.version->id);
  });

  auto stage = [&](const char* name, std::int64_t time, const std::string& doc, const char* json) {
    strata::CommitOptions o = By(name, time, std::string(name) + " " + doc);
    o.labels = {std::string("stage-") + name};
    auto w = Must(repo->Put(doc, boost::json::parse(json), o), name);
    std::printf("%s wrote %s as %s\n", name, doc.c_str(), w.version.id.substr(0, 12).c_str());
    return w.version.id;
  };
  const std::int64_t t0 = 1700000000;
  stage("ingest", t0, "reports/q3", R"({"text": "  Revenue UP 12%  ", "source": "upload"})");
  stage("ingest", t0 + 1, "reports/q4", R"({"text": "draft", "source": "upload"})");
  stage("normalize", t0 + 10, "reports/q3", R"({"text": "revenue up 12%", "source": "upload"})");
  stage("enrich", t0 + 20, "reports/q3",
        R"({"text": "revenue up 12%", "source": "upload", "entities": ["revenue"],
            "sentiment": 0.8})");
  consumer.disconnect();
  stage("enrich", t0 + 30, "reports/q4", R"({"text": "draft", "source": "upload",
            "entities": []})");
  std::printf("consumer saw %zu versions of reports/q3\n", seen.size());

  // Which versions did each stage make? The labels say.
  for (const char* label : {"stage-ingest", "stage-normalize", "stage-enrich"}) {
    strata::LogOptions by_label;
    by_label.labels = {label};
    by_label.reverse = true;
    auto versions = Must(repo->Log("HEAD", by_label), "log");
    std::printf("%s:", label);
    for (const strata::VersionInfo& v : versions) std::printf(" %s", v.message.c_str());
    std::printf("\n");
  }
  // The enriched report, and the version it came from.
  auto snap = Must(repo->Read("HEAD"), "read");
  std::printf("reports/q3 now: %s\n", Json(Must(snap.Get("reports/q3"), "get")).c_str());
  return 0;
}
