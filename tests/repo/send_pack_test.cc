// repo/send_pack.h: the receive-pack side of push that strata speaks itself.
#include "repo/send_pack.h"

#include <algorithm>
#include <boost/test/unit_test.hpp>
#include <cstdio>
#include <set>
#include <string>
#include <vector>

#include "objects/sha1.h"
#include "strata/strata.h"
#include "tests/repo/repo_fixture.h"

namespace strata {
namespace {

#define STRATA_CHECK_OK(expr)                                                \
  do {                                                                       \
    const auto& strata_check_ok_ = (expr);                                   \
    BOOST_TEST(strata_check_ok_.ok(), StatusOf(strata_check_ok_).message()); \
  } while (0)
const Status& StatusOf(const Status& s) { return s; }
template <typename T>
Status StatusOf(const Result<T>& r) {
  return r.status();
}

std::string Pkt(std::string_view payload) {
  char len[5];
  std::snprintf(len, sizeof len, "%04zx", payload.size() + 4);
  return std::string(len, 4) + std::string(payload);
}

// Feeds `bytes` one byte at a time (the stream may cut anywhere).
Status FeedBytewise(ReportReader& reader, const std::string& bytes) {
  for (char c : bytes) {
    Status s = reader.Feed(std::string_view(&c, 1));
    if (!s.ok()) return s;
  }
  return Status::Ok();
}

BOOST_AUTO_TEST_SUITE(repo)
BOOST_AUTO_TEST_SUITE(send_pack)

BOOST_AUTO_TEST_CASE(capabilities_come_from_the_first_line) {
  using namespace std::string_literals;
  ReceivePackCapabilities caps = ParseCapabilities(
      "1111111111111111111111111111111111111111 refs/heads/main\0report-status delete-refs "
      "side-band-64k quiet atomic ofs-delta agent=git/2.39.5\n"s);
  BOOST_TEST(caps.report_status);
  BOOST_TEST(caps.side_band_64k);
  BOOST_TEST(caps.ofs_delta);
  BOOST_TEST(caps.quiet);
  ReceivePackCapabilities few =
      ParseCapabilities("0000000000000000000000000000000000000000 capabilities^{}\0ofs-delta"s);
  BOOST_TEST(few.ofs_delta);
  BOOST_TEST(!few.report_status);
  BOOST_TEST(!few.side_band_64k);
  ReceivePackCapabilities none = ParseCapabilities("1111 refs/heads/main\n");
  BOOST_TEST(!none.report_status);
  BOOST_TEST(!none.ofs_delta);
}

// The commands as pack-protocol.txt spells them: one pkt-line per ref, the
// capabilities after a NUL on the first, then a flush-pkt.
BOOST_AUTO_TEST_CASE(commands_are_pkt_lines_with_capabilities_on_the_first) {
  using namespace std::string_literals;
  ObjectId zero;
  ObjectId a = HashObject("a", GIT_OBJECT_BLOB);
  ObjectId b = HashObject("b", GIT_OBJECT_BLOB);
  ReceivePackCapabilities caps;
  caps.report_status = true;
  caps.side_band_64k = true;
  const std::string got =
      PushCommands({{"refs/heads/main", a, b}, {"refs/tags/v1", zero, a}}, caps);
  const std::string first = a.Hex() + " " + b.Hex() +
                            " refs/heads/main\0 report-status side-band-64k agent=strata/"s +
                            LibraryVersion() + "\n";
  const std::string second = zero.Hex() + " " + a.Hex() + " refs/tags/v1\n";
  BOOST_TEST(got == Pkt(first) + Pkt(second) + "0000");
  ReceivePackCapabilities bare;
  const std::string plain = PushCommands({{"refs/heads/main", a, b}}, bare);
  BOOST_TEST(plain == Pkt(a.Hex() + " " + b.Hex() + " refs/heads/main\0 agent=strata/"s +
                          LibraryVersion() + "\n") +
                          "0000");
}

// Which remotes push reaches with its own pack: libgit2's smart transports.
BOOST_AUTO_TEST_CASE(the_link_is_used_for_smart_transports_only) {
  for (const char* url : {"git://127.0.0.1/x.git", "http://h/x", "https://h/x", "ssh://u@h/x",
                          "git+ssh://h/x", "ssh+git://h/x", "u@h:x.git", "h:dir/x.git"}) {
    BOOST_TEST(ReceivePackLink(url).smart(), url);
  }
  for (const char* url : {"file:///tmp/x", "ftp://h/x", "custom://h/x"}) {
    BOOST_TEST(!ReceivePackLink(url).smart(), url);
  }
}

BOOST_AUTO_TEST_CASE(a_plain_report_is_read_however_it_arrives) {
  ReportReader reader(false, nullptr);
  const std::string report = Pkt("unpack ok\n") + Pkt("ok refs/heads/main\n") +
                             Pkt("ng refs/tags/v1 already exists\n") + "0000";
  STRATA_CHECK_OK(FeedBytewise(reader, report.substr(0, report.size() - 1)));
  BOOST_TEST(!reader.done());
  STRATA_CHECK_OK(reader.Feed(report.substr(report.size() - 1)));
  BOOST_TEST(reader.done());
  BOOST_TEST(reader.report().unpack_ok);
  BOOST_TEST(reader.report().accepted == std::vector<std::string>{"refs/heads/main"});
  BOOST_TEST(reader.report().refused.at("refs/tags/v1") == "already exists");

  ReportReader failed(false, nullptr);
  STRATA_CHECK_OK(failed.Feed(Pkt("unpack index-pack abnormal exit\n") +
                              Pkt("ng refs/heads/main unpacker error\n") + "0000"));
  BOOST_TEST(failed.done());
  BOOST_TEST(!failed.report().unpack_ok);
  BOOST_TEST(failed.report().unpack_error == "index-pack abnormal exit");
}

// side-band-64k: the report travels in band 1 (itself pkt-lines, cut
// anywhere across band packets), progress in band 2, a fatal error in 3.
BOOST_AUTO_TEST_CASE(a_side_band_report_is_demultiplexed) {
  std::vector<std::string> progress;
  ReportReader reader(true, [&](std::string_view p) { progress.emplace_back(p); });
  const std::string inner = Pkt("unpack ok\n") + Pkt("ok refs/heads/main\n") + "0000";
  const std::string cut1 = inner.substr(0, 7), cut2 = inner.substr(7);
  const std::string stream = Pkt(std::string("\2") + "Resolving deltas: 100% (3/3)\n") +
                             Pkt("\1" + cut1) + Pkt("\1" + cut2) + "0000";
  STRATA_CHECK_OK(FeedBytewise(reader, stream));
  BOOST_TEST(reader.done());
  BOOST_TEST(reader.report().unpack_ok);
  BOOST_TEST(reader.report().accepted == std::vector<std::string>{"refs/heads/main"});
  BOOST_TEST(progress == std::vector<std::string>{"Resolving deltas: 100% (3/3)\n"});

  ReportReader fatal(true, nullptr);
  Status s = fatal.Feed(Pkt("\3disk full\n"));
  BOOST_TEST((s.code() == Code::kIOError));
  BOOST_TEST(s.message().find("disk full") != std::string::npos, s.message());

  ReportReader garbled(true, nullptr);
  BOOST_TEST((garbled.Feed("zz12").code() == Code::kCorruption));
  ReportReader unknown_band(true, nullptr);
  BOOST_TEST((unknown_band.Feed(Pkt("\7x")).code() == Code::kCorruption));
  ReportReader ended(true, nullptr);
  BOOST_TEST((ended.Feed("0000").code() == Code::kCorruption));
  ReportReader odd_line(false, nullptr);
  BOOST_TEST((odd_line.Feed(Pkt("hello\n")).code() == Code::kCorruption));
}

struct SendFixture : RepoFixture {
  std::string Write(const std::string& doc, int value,
                    const std::optional<std::string>& branch = {}) {
    CommitOptions o = By("ann");
    o.branch = branch;
    Result<WriteResult> w = repo().Put(doc, J("{\"n\":" + std::to_string(value) + "}"), o);
    BOOST_REQUIRE_MESSAGE(w.ok(), w.status().message());
    return w->version.id;
  }
  // What git says `tip` needs beyond `haves`: rev-list --objects.
  std::set<std::string> GitObjects(const std::string& tip, const std::vector<std::string>& haves) {
    std::string cmd = "git --git-dir='" + repo().path() + "' rev-list --objects " + tip;
    for (const std::string& h : haves) cmd += " ^" + h;
    std::set<std::string> out;
    FILE* p = popen(cmd.c_str(), "r");
    BOOST_REQUIRE(p);
    char line[512];
    while (std::fgets(line, sizeof line, p)) out.insert(std::string(line, 40));
    BOOST_REQUIRE(pclose(p) == 0);
    return out;
  }
  std::set<std::string> OurObjects(const std::string& tip, const std::vector<std::string>& haves) {
    git_repository* raw = nullptr;
    BOOST_REQUIRE(git_repository_open(&raw, repo().path().c_str()) == 0);
    RepositoryPtr git(raw);
    Result<std::unique_ptr<ObjectStore>> store = ObjectStore::Open(raw);
    STRATA_CHECK_OK(store);
    std::vector<ObjectId> have_ids;
    for (const std::string& h : haves) have_ids.push_back(ObjectId::FromHex(h).value());
    PackReader reader((*store)->objects_dir() + "/pack");
    Result<std::vector<ObjectId>> ids =
        ObjectsToSend(raw, **store, reader, {ObjectId::FromHex(tip).value()}, have_ids);
    STRATA_CHECK_OK(ids);
    std::set<std::string> out;
    for (const ObjectId& id : *ids) {
      BOOST_TEST(out.insert(id.Hex()).second, "listed twice: " << id.Hex());
    }
    return out;
  }
};

// The objects a push sends are those git would send (rev-list --objects
// TIP --not HAVES): the whole history to an empty remote, only the new
// versions' objects to one that has the rest, and nothing more for a have
// this repository does not know.
BOOST_FIXTURE_TEST_CASE(the_objects_to_send_are_what_git_would_send, SendFixture) {
  for (int i = 0; i < 6; ++i) Write("doc" + std::to_string(i % 3), i);
  const std::string main_head = Write("shared", 1);
  STRATA_CHECK_OK(repo().CreateBranch("side"));
  std::string side_head;
  for (int i = 0; i < 4; ++i) side_head = Write("side" + std::to_string(i % 2), i, "side");
  const std::string later = Write("doc0", 100);
  BOOST_TEST(OurObjects(side_head, {}) == GitObjects(side_head, {}));
  BOOST_TEST(OurObjects(side_head, {main_head}) == GitObjects(side_head, {main_head}));
  BOOST_TEST(OurObjects(side_head, {later}) == GitObjects(side_head, {later}));
  BOOST_TEST(OurObjects(later, {side_head}) == GitObjects(later, {side_head}));
  BOOST_TEST(OurObjects(side_head, {side_head}).empty());
  const std::string unknown(40, 'e');
  BOOST_TEST(OurObjects(side_head, {main_head, unknown}) == GitObjects(side_head, {main_head}));
}

// Past kParallelTreeWalk versions the walk is split over two threads,
// each with its own reader: the union is still exactly git's list, each
// object once, with and without a boundary, and after a gc has stored the
// trees as deltas of each other.
BOOST_FIXTURE_TEST_CASE(a_long_history_is_listed_on_two_threads_as_git_would, SendFixture) {
  std::string middle, head;
  for (int i = 0; i < 600; ++i) {
    head = Write("doc" + std::to_string(i % 40), i);
    if (i == 250) middle = head;
  }
  BOOST_TEST(OurObjects(head, {}) == GitObjects(head, {}));
  BOOST_TEST(OurObjects(head, {middle}) == GitObjects(head, {middle}));
  const std::string gc = "git --git-dir='" + repo().path() + "' repack -adq";
  BOOST_REQUIRE(std::system(gc.c_str()) == 0);
  BOOST_TEST(OurObjects(head, {}) == GitObjects(head, {}));
  BOOST_TEST(OurObjects(middle, {}) == GitObjects(middle, {}));
}

BOOST_AUTO_TEST_SUITE_END()
BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace strata
