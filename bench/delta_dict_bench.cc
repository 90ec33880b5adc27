// delta_dict_bench: would a zstd dictionary trained on a repository's own
// deltas pay? (issue 11, "Delta compression"; figures in docs/performance.md)
//
//   delta_dict_bench [--docs 1000] [--versions 4000] [--train 0.5]
//                    [--dict-sizes 4k,16k,64k] [--workdir DIR] [--runs 5]
//
//   1. Writes a repository through the library: --docs documents (bench/doc_gen,
//      ~200 bytes, two levels), then --versions versions, each one of: a
//      one-field Set of a random leaf (70%), a Patch of 2-5 replaces and adds
//      in one document (15%), a Put of a whole new document (10%), a Remove
//      of a member (5%). The kinds and paths come from a fixed seed.
//   2. Reads every version's delta.zst back through libgit2 (oldest first) and
//      decompresses it: the exact bytes strata compresses.
//   3. Trains a dictionary (ZDICT_trainFromBuffer) on the first --train share
//      of the deltas and compresses the rest with it, at strata's level, for
//      each --dict-sizes; against plain zstd on the same deltas. Time per delta
//      to compress and decompress, median of --runs, with contexts reused.
//   4. Packs the repository (`git gc --aggressive --prune=now`) and reports what
//      share of the packed bytes the deltas are, so the saving is read against
//      the whole repository, not against the deltas alone.
// Nothing here is a test: no time is asserted.
#include <git2.h>
#include <zdict.h>
#include <zstd.h>

#include <boost/program_options.hpp>
#include <cstdio>
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <sstream>

#include "bench_util.h"
#include "doc_gen.h"
#include "objects/delta_codec.h"
#include "strata/repository.h"

namespace po = boost::program_options;
namespace fs = std::filesystem;
using namespace strata;
using namespace strata::bench;

namespace {

// The pointers of every leaf (non-container value) of `v`, iteratively.
void Leaves(const json::value& v, std::vector<std::string>& out) {
  std::vector<std::pair<const json::value*, std::string>> work{{&v, ""}};
  while (!work.empty()) {
    auto [x, path] = work.back();
    work.pop_back();
    if (x->is_object()) {
      for (const auto& kv : x->get_object()) {
        work.emplace_back(&kv.value(), path + "/" + EscapePointerToken(kv.key()));
      }
    } else if (x->is_array()) {
      const auto& a = x->get_array();
      for (std::size_t i = 0; i < a.size(); ++i)
        work.emplace_back(&a[i], path + "/" + std::to_string(i));
    } else if (!path.empty()) {
      out.push_back(path);
    }
  }
}

JsonPointer Pointer(const std::string& text) {
  return Check(JsonPointer::Parse(text), "pointer " + text);
}

// Sets the value at `text` in `doc` (objects on the way), as Repository::Set does.
void MirrorSet(json::value& doc, const std::string& text, const json::value& value) {
  json::value* at = &doc;
  const JsonPointer pointer = Pointer(text);
  for (const std::string& token : pointer.tokens()) {
    if (at->is_array()) {
      at = &at->get_array().at(*ParseArrayIndex(token));
    } else {
      if (!at->is_object()) *at = json::object();
      at = &at->get_object()[token];
    }
  }
  *at = value;
}

std::uint64_t PackBytes(const std::string& git_dir);

// Writes the history; returns the packed bytes after the import alone.
std::uint64_t WriteHistory(Repository& repo, const std::string& git_dir, std::size_t docs,
                           std::size_t versions) {
  std::vector<std::pair<std::string, json::value>> all;
  std::vector<json::value> state;
  DocShape shape;
  for (std::size_t i = 0; i < docs; ++i) {
    state.push_back(MakeDocument(1, i, shape));
    all.emplace_back(DocId(i), state.back());
  }
  Check(repo.Import(std::move(all), Opts(1700000000)), "import");
  Shell("git --git-dir='" + git_dir + "' gc --aggressive --prune=now -q");
  const std::uint64_t imported = PackBytes(git_dir);
  Rng rng(42);
  std::size_t fresh = docs;
  for (std::size_t v = 0; v < versions; ++v) {
    std::size_t d = rng.Below(docs);
    std::uint64_t kind = rng.Below(100);
    CommitOptions opts = Opts(1700000001 + static_cast<std::int64_t>(v));
    std::vector<std::string> leaves;
    Leaves(state[d], leaves);
    if (kind < 70 || leaves.empty()) {
      const std::string& p = leaves.empty() ? std::string("/n") : leaves[rng.Below(leaves.size())];
      json::value value = MakeScalar(rng);
      Check(repo.Set(DocId(d), Pointer(p), value, opts), "set");
      MirrorSet(state[d], p, value);
    } else if (kind < 85) {
      strata::Patch patch;
      std::size_t ops = 2 + rng.Below(4);
      for (std::size_t i = 0; i < ops; ++i) {
        bool add = rng.Below(3) == 0;
        std::string p =
            add ? "/extra" + std::to_string(rng.Below(50)) : leaves[rng.Below(leaves.size())];
        PatchOp op{add ? PatchOpKind::kAdd : PatchOpKind::kReplace,
                   Pointer("/" + EscapePointerToken(DocId(d)) + p),
                   {},
                   MakeScalar(rng)};
        MirrorSet(state[d], p, op.value);
        patch.push_back(std::move(op));
      }
      Check(repo.Patch(std::nullopt, patch, opts), "patch");
    } else if (kind < 95) {
      state[d] = MakeDocument(7, fresh++, shape);
      Check(repo.Put(DocId(d), state[d], opts), "put");
    } else {
      const auto& members = state[d].get_object();
      if (members.size() < 2) continue;
      auto it = members.begin();
      std::advance(it, static_cast<std::ptrdiff_t>(rng.Below(members.size())));
      std::string key(it->key());
      Check(repo.Remove(DocId(d), Pointer("/" + key), opts), "remove");
      state[d].get_object().erase(key);
    }
  }
  return imported;
}

void GitCheck(int rc, const char* what) {
  if (rc < 0) Die(std::string(what) + ": " + (git_error_last() ? git_error_last()->message : "?"));
}

// Every version's decompressed delta on HEAD's first-parent chain, oldest first.
std::vector<std::string> ReadDeltas(const std::string& git_dir) {
  git_repository* repo = nullptr;
  GitCheck(git_repository_open_bare(&repo, git_dir.c_str()), "open");
  git_revwalk* walk = nullptr;
  GitCheck(git_revwalk_new(&walk, repo), "revwalk");
  git_revwalk_sorting(walk, GIT_SORT_TOPOLOGICAL | GIT_SORT_REVERSE);
  GitCheck(git_revwalk_push_head(walk), "push head");
  std::vector<std::string> out;
  git_oid id;
  while (git_revwalk_next(&id, walk) == 0) {
    git_commit* commit = nullptr;
    git_tree* tree = nullptr;
    git_blob* blob = nullptr;
    GitCheck(git_commit_lookup(&commit, repo, &id), "commit");
    GitCheck(git_commit_tree(&tree, commit), "tree");
    const git_tree_entry* e = git_tree_entry_byname(tree, "delta.zst");
    if (e) {
      GitCheck(git_blob_lookup(&blob, repo, git_tree_entry_id(e)), "blob");
      std::string_view frame(static_cast<const char*>(git_blob_rawcontent(blob)),
                             static_cast<std::size_t>(git_blob_rawsize(blob)));
      out.push_back(Check(ZstdDecompress(frame), "decompress"));
      git_blob_free(blob);
    }
    git_tree_free(tree);
    git_commit_free(commit);
  }
  git_revwalk_free(walk);
  git_repository_free(repo);
  return out;
}

struct Measure {
  std::string name;
  std::size_t dict_bytes = 0;
  std::size_t bytes = 0;  // compressed test deltas
  double compress_us = 0;
  double decompress_us = 0;
};

Measure Run(const std::string& name, const std::vector<std::string>& test, const std::string& dict,
            int runs) {
  Measure m{name, dict.size(), 0, 0, 0};
  ZSTD_CCtx* cctx = ZSTD_createCCtx();
  ZSTD_DCtx* dctx = ZSTD_createDCtx();
  ZSTD_CDict* cdict =
      dict.empty() ? nullptr : ZSTD_createCDict(dict.data(), dict.size(), kDeltaCompressionLevel);
  ZSTD_DDict* ddict = dict.empty() ? nullptr : ZSTD_createDDict(dict.data(), dict.size());
  std::vector<std::string> frames(test.size());
  std::vector<double> ctimes, dtimes;
  std::string out;
  for (int r = 0; r <= runs; ++r) {
    auto t0 = Clock::now();
    for (std::size_t i = 0; i < test.size(); ++i) {
      std::string& f = frames[i];
      f.resize(ZSTD_compressBound(test[i].size()));
      std::size_t n = cdict ? ZSTD_compress_usingCDict(cctx, f.data(), f.size(), test[i].data(),
                                                       test[i].size(), cdict)
                            : ZSTD_compressCCtx(cctx, f.data(), f.size(), test[i].data(),
                                                test[i].size(), kDeltaCompressionLevel);
      if (ZSTD_isError(n)) Die(ZSTD_getErrorName(n));
      f.resize(n);
    }
    double c = Seconds(t0);
    t0 = Clock::now();
    for (std::size_t i = 0; i < test.size(); ++i) {
      out.resize(test[i].size());
      std::size_t n = ddict ? ZSTD_decompress_usingDDict(dctx, out.data(), out.size(),
                                                         frames[i].data(), frames[i].size(), ddict)
                            : ZSTD_decompressDCtx(dctx, out.data(), out.size(), frames[i].data(),
                                                  frames[i].size());
      if (ZSTD_isError(n) || n != test[i].size() || out != test[i])
        Die("round trip failed: " + name);
    }
    double d = Seconds(t0);
    if (r > 0) {  // run 0 warms up
      ctimes.push_back(c);
      dtimes.push_back(d);
    }
  }
  for (const auto& f : frames) m.bytes += f.size();
  m.compress_us = Median(ctimes) * 1e6 / static_cast<double>(test.size());
  m.decompress_us = Median(dtimes) * 1e6 / static_cast<double>(test.size());
  ZSTD_freeCDict(cdict);
  ZSTD_freeDDict(ddict);
  ZSTD_freeCCtx(cctx);
  ZSTD_freeDCtx(dctx);
  return m;
}

std::uint64_t PackBytes(const std::string& git_dir) {
  std::uint64_t total = 0;
  for (const auto& e : fs::directory_iterator(git_dir + "/objects/pack")) {
    if (e.path().extension() == ".pack") total += e.file_size();
  }
  return total;
}

}  // namespace

int main(int argc, char** argv) {
  std::size_t docs = 1000, versions = 4000;
  double train_share = 0.5;
  std::string sizes_text = "4k,16k,64k", workdir = "/dev/shm/strata-delta-dict";
  int runs = 5;
  po::options_description desc("delta_dict_bench options");
  desc.add_options()("help", "this help")("docs", po::value(&docs), "documents (1000)")(
      "versions", po::value(&versions), "versions after the import (4000)")(
      "train", po::value(&train_share), "share of deltas to train on (0.5)")(
      "dict-sizes", po::value(&sizes_text), "dictionary sizes (4k,16k,64k)")(
      "workdir", po::value(&workdir), "scratch folder, removed first (/dev/shm/strata-delta-dict)")(
      "runs", po::value(&runs), "timed runs after one warm-up (5)");
  po::variables_map vm;
  po::store(po::parse_command_line(argc, argv, desc), vm);
  po::notify(vm);
  if (vm.count("help")) {
    std::cout << desc;
    return 0;
  }
  std::error_code ec;
  fs::remove_all(workdir, ec);
  fs::create_directories(workdir);
  const std::string git_dir = workdir + "/.strata";
  std::uint64_t imported = 0;
  {
    auto repo = Check(Repository::Init(workdir), "init");
    imported = WriteHistory(*repo, git_dir, docs, versions);
  }
  git_libgit2_init();
  std::vector<std::string> deltas = ReadDeltas(git_dir);
  std::size_t ntrain = static_cast<std::size_t>(static_cast<double>(deltas.size()) * train_share);
  // The import's delta holds every document: it is not typical, leave it out.
  std::vector<std::string> train(deltas.begin() + 1,
                                 deltas.begin() + static_cast<std::ptrdiff_t>(ntrain));
  std::vector<std::string> test(deltas.begin() + static_cast<std::ptrdiff_t>(ntrain), deltas.end());
  std::string samples;
  std::vector<std::size_t> sample_sizes;
  for (const auto& t : train) {
    samples += t;
    sample_sizes.push_back(t.size());
  }
  std::size_t raw = 0;
  for (const auto& t : test) raw += t.size();

  std::vector<Measure> rows{Run("plain zstd", test, "", runs)};
  std::stringstream list(sizes_text);
  for (std::string s; std::getline(list, s, ',');) {
    std::string dict(ParseSize(s), '\0');
    auto t0 = Clock::now();
    std::size_t n =
        ZDICT_trainFromBuffer(dict.data(), dict.size(), samples.data(), sample_sizes.data(),
                              static_cast<unsigned>(sample_sizes.size()));
    double train_s = Seconds(t0);
    if (ZDICT_isError(n)) Die(std::string("train: ") + ZDICT_getErrorName(n));
    dict.resize(n);
    rows.push_back(Run("dictionary " + s, test, dict, runs));
    std::cerr << "trained " << s << " in " << train_s << " s\n";
  }

  Shell("git --git-dir='" + git_dir + "' gc --aggressive --prune=now -q");
  std::uint64_t pack = PackBytes(git_dir);
  std::size_t stored_plain = rows[0].bytes;

  std::cout << std::fixed << std::setprecision(2);
  std::cout << "versions " << deltas.size() << " (train " << train.size() << ", test "
            << test.size() << "), test deltas " << raw << " B raw, "
            << double(raw) / double(test.size()) << " B each\n";
  std::cout
      << "| compression | dictionary | bytes of test deltas | per delta | vs plain | compress "
         "| decompress |\n| --- | --- | --- | --- | --- | --- | --- |\n";
  for (const auto& m : rows) {
    std::cout << "| " << m.name << " | " << m.dict_bytes << " B | " << m.bytes << " | "
              << double(m.bytes) / double(test.size()) << " B | "
              << double(m.bytes) / double(stored_plain) << "x | " << m.compress_us << " us | "
              << m.decompress_us << " us |\n";
  }
  // What one version adds to the packed repository, and the delta's share of it.
  const double per_version = double(pack - imported) / double(deltas.size() - 1);
  const double plain_each = double(rows[0].bytes) / double(test.size());
  std::cout << "packed (git gc --aggressive): after the import " << imported << " B, after "
            << deltas.size() - 1 << " more versions " << pack << " B: " << per_version
            << " B per version, of which the delta frame " << plain_each << " B ("
            << 100.0 * plain_each / per_version << "%)\n";
  for (std::size_t i = 1; i < rows.size(); ++i) {
    const double saved = plain_each - double(rows[i].bytes) / double(test.size());
    std::cout << rows[i].name << " would save " << saved << " B per version, "
              << 100.0 * saved / per_version << "% of the packed repository's growth\n";
  }
  fs::remove_all(workdir, ec);
  return 0;
}
