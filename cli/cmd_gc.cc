#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <iostream>

#include "cli/command.h"

namespace strata::cli {
namespace {

void Define(po::options_description& o, po::options_description&,
            po::positional_options_description&) {
  o.add_options()("auto", "only when there are many loose objects or packs (as after writes)")(
      "prune", po::value<std::string>()->value_name("WHEN"),
      "drop unreachable objects older than WHEN: a number of days (default 14), 'now' or "
      "'never'")("keep-largest-pack",
                 "leave the largest pack as it is and pack only the rest (as git gc "
                 "--keep-largest-pack): faster on a large repository, but the kept pack's "
                 "unreachable objects stay")(
      "aggressive",
      "search every delta again, not only those of the objects outside the largest pack (as "
      "git gc --aggressive): slower, sometimes a smaller pack");
  AddJsonOption(o);
}

// "now" 0, "never" nullopt, "N" N days; InvalidArgument otherwise.
Result<std::optional<std::int64_t>> ParsePrune(const std::string& when) {
  if (when == "now") return std::optional<std::int64_t>(0);
  if (when == "never") return std::optional<std::int64_t>();
  char* end = nullptr;
  errno = 0;
  long long days = std::strtoll(when.c_str(), &end, 10);
  if (when.empty() || *end != '\0' || errno != 0 || days < 0 || days > 100000) {
    return Status::InvalidArgument("--prune " + when +
                                   ": expected a number of days, 'now' or 'never'");
  }
  return std::optional<std::int64_t>(days * 24 * 3600);
}

std::string Bytes(std::uint64_t n) {
  char buf[32];
  if (n >= (1u << 20)) {
    std::snprintf(buf, sizeof buf, "%.1f MiB", static_cast<double>(n) / (1u << 20));
  } else if (n >= 1024) {
    std::snprintf(buf, sizeof buf, "%.1f KiB", static_cast<double>(n) / 1024);
  } else {
    std::snprintf(buf, sizeof buf, "%llu B", static_cast<unsigned long long>(n));
  }
  return buf;
}

int Run(Context& ctx, const po::variables_map& args) {
  GcOptions options;
  options.auto_mode = args.count("auto") > 0;
  options.keep_largest_pack = args.count("keep-largest-pack") > 0;
  if (options.auto_mode && options.keep_largest_pack) {
    std::cerr << "strata: error: --auto and --keep-largest-pack do not go together (--auto "
                 "keeps large packs anyway)\n";
    return kExitUsage;
  }
  options.aggressive = args.count("aggressive") > 0;
  if (options.aggressive && (options.auto_mode || options.keep_largest_pack)) {
    std::cerr << "strata: error: --aggressive does not go together with --auto or "
                 "--keep-largest-pack\n";
    return kExitUsage;
  }
  if (args.count("prune")) {
    Result<std::optional<std::int64_t>> prune = ParsePrune(args["prune"].as<std::string>());
    if (!prune.ok()) {
      std::cerr << "strata: error: " << prune.status().message() << "\n";
      return kExitUsage;
    }
    options.prune_expire = *prune;
  }
  const bool progress = isatty(STDERR_FILENO) == 1 && !ctx.json();
  if (progress) {
    options.progress = [](const std::string& stage, std::uint64_t done, std::uint64_t total) {
      std::cerr << "\r\x1b[K" << stage << ": " << done;
      if (total > 0) std::cerr << "/" << total;
      std::cerr << std::flush;
    };
  }
  Result<Repository*> repo = ctx.Repo();
  if (!repo.ok()) return ctx.Fail(repo.status());
  Result<GcReport> report = (*repo)->Gc(options);
  if (progress) std::cerr << "\r\x1b[K" << std::flush;
  if (!report.ok()) return ctx.Fail(report.status());
  const GcReport& r = *report;
  if (ctx.json()) {
    json::object out{{"ran", r.ran}};
    if (!r.ran) out["skipped"] = r.skipped;
    out["before"] = json::object{
        {"loose", r.loose_before}, {"packs", r.packs_before}, {"bytes", r.bytes_before}};
    out["after"] =
        json::object{{"loose", r.loose_after}, {"packs", r.packs_after}, {"bytes", r.bytes_after}};
    out["packed"] = r.objects_packed;
    out["unreachable_kept"] = r.unreachable_kept;
    out["deltas_reused"] = r.deltas_reused;
    out["removed"] = json::object{{"loose", r.loose_removed}, {"packs", r.packs_removed}};
    out["pack"] = r.pack;
    out["kept_pack"] = r.kept_pack;
    ctx.PrintJson(out);
    return kExitOk;
  }
  if (!r.ran) {
    std::cout << "gc skipped: " << r.skipped << "\n";
    return kExitOk;
  }
  std::cout << "packed " << r.objects_packed << " objects"
            << (r.pack.empty() ? "" : " into " + r.pack)
            << (r.deltas_reused > 0 ? " (" + std::to_string(r.deltas_reused) + " deltas reused)"
                                    : "")
            << "\n"
            << (r.kept_pack.empty() ? "" : "kept " + r.kept_pack + " as it was\n") << "removed "
            << r.loose_removed << " loose objects and " << r.packs_removed << " packs\n"
            << "before: " << r.loose_before << " loose, " << r.packs_before << " packs, "
            << Bytes(r.bytes_before) << "\n"
            << "after:  " << r.loose_after << " loose, " << r.packs_after << " packs, "
            << Bytes(r.bytes_after) << "\n";
  return kExitOk;
}

}  // namespace

extern const CommandSpec kGcCommand{
    "gc",
    "pack the repository's objects and remove what was packed",
    "strata gc [--auto | --keep-largest-pack | --aggressive] [--prune WHEN] [--json]",
    "Packs every object that any ref, reflog entry or cache (views, projections) reaches into\n"
    "one pack with deltas, then removes the loose objects and packs it replaced. The largest\n"
    "pack's entries are copied as they are stored (its deltas kept, its unreachable objects\n"
    "dropped), and deltas are searched among the other objects; --aggressive searches every\n"
    "delta again (as git's option: slower, sometimes a smaller pack). Unreachable\n"
    "objects are kept for --prune days after they were written (14 by default), since a\n"
    "writer's objects exist before its branch moves. Each small write adds a small pack;\n"
    "every write runs `gc --auto`, which packs once there are more than\n"
    "strata.gcAutoPackLimit packs (default 50) or about strata.gcAuto loose objects (default\n"
    "6700); set either to 0 in .strata/config to turn that trigger off (gcAuto = 0 turns\n"
    "automatic gc off). Writers wait while gc runs; a second gc is refused (--auto: skipped).\n"
    "--keep-largest-pack leaves the largest pack as it is and packs only the others and the\n"
    "loose objects, as git's option does: every object is still walked, so nothing is lost,\n"
    "but the kept pack's unreachable objects stay and its deltas are not searched again.\n"
    "Killing gc at any point loses nothing. --json prints {ran, skipped?, before, after,\n"
    "packed, unreachable_kept, deltas_reused, removed, pack, kept_pack}.",
    Define,
    Run};

}  // namespace strata::cli
