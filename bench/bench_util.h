// The few helpers every benchmark program here needs: wall and CPU clocks,
// the median of runs, dying with a message, and running a shell command.
// Header-only: each benchmark is one translation unit.
#pragma once

#include <sys/wait.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <iostream>
#include <string>
#include <utility>
#include <vector>

#include "strata/repository.h"
#include "strata/status.h"

namespace strata::bench {

using Clock = std::chrono::steady_clock;

// Wall-clock seconds since `since`.
inline double Seconds(Clock::time_point since) {
  return std::chrono::duration<double>(Clock::now() - since).count();
}

// CPU time of this process (user + system), in seconds: separates work from
// waiting for fsync.
inline double CpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

// The median of `v` (the mean of the middle two for an even count); 0 for none.
inline double Median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  std::size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

// Prints "PROGRAM: error: WHAT" and exits 1.
[[noreturn]] inline void Die(const std::string& what) {
  std::cerr << program_invocation_short_name << ": error: " << what << "\n";
  std::exit(1);
}

// The value of `r`, or dies naming `what` and the failure.
template <typename T>
T Check(Result<T> r, const std::string& what) {
  if (!r.ok()) Die(what + ": " + r.status().message());
  return std::move(r).value();
}

inline void Check(const Status& s, const std::string& what) {
  if (!s.ok()) Die(what + ": " + s.message());
}

// The commit options every benchmark writes with: a fixed author, the given
// time (so runs are reproducible) and message.
inline CommitOptions Opts(std::int64_t time, const std::string& message = {}) {
  CommitOptions o;
  o.author = Signature{"Bench", "bench@example.com"};
  o.time = time;
  o.message = message;
  return o;
}

// "10k" -> 10000, "1M" -> 1000000, "250" -> 250.
inline std::size_t ParseSize(std::string s) {
  std::size_t mult = 1;
  if (!s.empty() && (s.back() == 'k' || s.back() == 'K')) mult = 1000, s.pop_back();
  if (!s.empty() && (s.back() == 'm' || s.back() == 'M')) mult = 1000000, s.pop_back();
  return std::stoull(s) * mult;
}

// Runs `command` with /bin/sh and returns its standard output; dies if it
// cannot start or exits other than 0.
inline std::string Shell(const std::string& command) {
  FILE* p = popen(command.c_str(), "r");
  if (!p) Die("cannot run: " + command);
  std::string out;
  char buf[65536];
  std::size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  int rc = pclose(p);
  if (rc == -1 || !WIFEXITED(rc) || WEXITSTATUS(rc) != 0) Die("command failed: " + command);
  return out;
}

}  // namespace strata::bench
