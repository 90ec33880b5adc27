// The consumer of issue 13, as written there: built outside the project
// against the installed package (tests/package/install_test.sh).
#include <strata/strata.h>
int main(int, char** argv) {
  auto repo = strata::Repository::Init(argv[1]);
  if (!repo.ok()) {
    std::puts(repo.status().message().c_str());
    return 1;
  }
  strata::CommitOptions opts;
  opts.message = "from consumer";
  auto w = (*repo)->Put("config/app", boost::json::parse(R"({"db":{"pool":10}})"), opts);
  if (!w.ok()) return 1;
  auto v = (*repo)->Get("config/app", "HEAD", *strata::JsonPointer::Parse("/db/pool"));
  if (!v.ok() || *v != boost::json::value(10)) return 2;
  std::puts("consumer ok");
}
