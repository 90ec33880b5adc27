// `strata help --man [COMMAND]`: strata(1) and strata-COMMAND(1) in roff,
// from the command table and each command's Program_options declarations,
// the same text `--help` prints. The build runs it for every command
// (cli/gen_man.cmake) and `cmake --install` puts the pages in
// share/man/man1; tests/cli/t1710-man-pages.sh keeps them and --help equal.
#include <cctype>
#include <cstdio>
#include <iostream>
#include <sstream>
#include <string>

#include "cli/packaging.h"

namespace strata::cli {
namespace {

// Text for roff: backslashes and hyphens escaped, characters outside ASCII
// as \[uXXXX], and a line starting with '.' or '\'' kept from being read as
// a request.
std::string Roff(const std::string& text) {
  std::string out;
  bool line_start = true;
  for (std::size_t i = 0; i < text.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    if (line_start && (c == '.' || c == '\'')) out += "\\&";
    line_start = c == '\n';
    if (c == '\\') {
      out += "\\e";
    } else if (c == '-') {
      out += "\\-";
    } else if (c < 0x80) {
      out.push_back(static_cast<char>(c));
    } else {
      // A UTF-8 sequence: decode it (the texts are valid UTF-8).
      int extra = c >= 0xF0 ? 3 : c >= 0xE0 ? 2 : 1;
      unsigned cp = c & (0x3F >> extra);
      for (int k = 0; k < extra && i + 1 < text.size(); ++k) {
        cp = (cp << 6) | (static_cast<unsigned char>(text[++i]) & 0x3F);
      }
      char buf[16];
      std::snprintf(buf, sizeof buf, "\\[u%04X]", cp);
      out += buf;
    }
  }
  return out;
}

std::string Upper(std::string s) {
  for (char& c : s) c = c == '-' ? '_' : static_cast<char>(std::toupper(c));
  return s;
}

void Header(const std::string& title, const std::string& name, const std::string& summary) {
  std::cout << ".TH " << Roff(Upper(title)) << " 1 \"\" \"strata 0.1.0\" \"strata Manual\"\n"
            << ".nh\n.ad l\n"
            << ".SH NAME\n"
            << Roff(name) << " \\- " << Roff(summary) << "\n";
}

// Paragraphs separated by blank lines, each filled by roff.
void Paragraphs(const std::string& text) {
  std::istringstream in(text);
  std::string line;
  bool pending_break = false;
  while (std::getline(in, line)) {
    if (line.empty()) {
      pending_break = true;
      continue;
    }
    if (pending_break) std::cout << ".PP\n";
    pending_break = false;
    std::cout << Roff(line) << "\n";
  }
}

// Each option as --help lists it: "-m, --message MSG", then its description.
void Options(const po::options_description& options) {
  for (const auto& o : options.options()) {
    const std::string long_name = "--" + o->long_name();
    std::string short_name =
        o->canonical_display_name(po::command_line_style::allow_dash_for_short);
    std::cout << ".TP\n";
    if (short_name.size() == 2 && short_name[0] == '-' && short_name[1] != '-') {
      std::cout << "\\fB" << Roff(short_name) << "\\fR, ";
    }
    std::cout << "\\fB" << Roff(long_name) << "\\fR";
    std::string parameter = o->format_parameter();
    if (!parameter.empty()) std::cout << " \\fI" << Roff(parameter) << "\\fR";
    std::cout << "\n" << Roff(o->description()) << "\n";
  }
}

void CommandPage(const CommandSpec& spec) {
  po::options_description options{"Options"};
  po::options_description arguments{"Arguments"};
  po::positional_options_description positional;
  spec.define(options, arguments, positional);
  AddCommonOptions(options);

  const std::string name = std::string("strata-") + spec.name;
  Header(name, name, spec.summary);
  std::cout << ".SH SYNOPSIS\n.nf\n" << Roff(spec.usage) << "\n.fi\n";
  std::cout << ".SH DESCRIPTION\n" << Roff(spec.summary) << "\n";
  if (*spec.description) {
    std::cout << ".PP\n";
    Paragraphs(spec.description);
  }
  if (!arguments.options().empty()) {
    std::cout << ".SH ARGUMENTS\n";
    for (const auto& a : arguments.options()) {
      std::cout << ".TP\n\\fI" << Roff(Upper(a->long_name())) << "\\fR\n"
                << Roff(a->description()) << "\n";
    }
  }
  std::cout << ".SH OPTIONS\n";
  Options(options);
  std::cout << ".SH SEE ALSO\n\\fBstrata\\fR(1)\n";
}

void OverviewPage() {
  Header("strata", "strata", "versioned JSON documents in a git repository");
  std::cout << ".SH SYNOPSIS\n.nf\n"
            << Roff(
                   "strata [--repo PATH] [--no-pager] [--color WHEN] COMMAND [ARGS] [--help]\n"
                   "strata --version | -V\n"
                   "strata help [COMMAND]")
            << "\n.fi\n";
  std::cout << ".SH DESCRIPTION\n";
  Paragraphs(
      "strata keeps JSON documents in a git repository: every change is a version\n"
      "with author, time, message and labels.\n"
      "\n"
      "Each command has its own page, strata-COMMAND(1), with the text of\n"
      "`strata COMMAND --help`.\n");
  std::cout << ".SH OPTIONS\n"
            << ".TP\n\\fB\\-h\\fR, \\fB\\-\\-help\\fR\n"
            << Roff("list the commands (after a command: that command's help)") << "\n"
            << ".TP\n\\fB\\-V\\fR, \\fB\\-\\-version\\fR\n"
            << Roff("print strata's version and those of libgit2 and Boost.JSON") << "\n"
            << ".TP\n\\fB\\-\\-repo\\fR \\fIPATH\\fR\n"
            << Roff(
                   "the repository (a .strata folder or the folder holding one); default: "
                   "$STRATA_DIR, else found from the current folder upward")
            << "\n"
            << ".TP\n\\fB\\-\\-no\\-pager\\fR\n"
            << Roff("never page output") << "\n"
            << ".TP\n\\fB\\-\\-color\\fR \\fIWHEN\\fR\n"
            << Roff("colour output: auto, always or never") << "\n";
  std::cout << ".SH COMMANDS\n";
  for (const CommandSpec* c : Commands()) {
    std::cout << ".TP\n\\fBstrata\\-" << Roff(c->name) << "\\fR(1)\n" << Roff(c->summary) << "\n";
  }
  std::cout << ".SH ENVIRONMENT\n";
  const char* const kEnvironment[][2] = {
      {"STRATA_DIR", "the repository to use (like --repo)"},
      {"STRATA_AUTHOR", "default author, 'Name <email>'"},
      {"STRATA_TIME", "fixed version time in seconds since the epoch"},
      {"STRATA_PERSPECTIVE", "read and write through this perspective"},
      {"STRATA_PAGER, PAGER", "the pager for log, show, diff, blame, history and tag"},
      {"NO_COLOR", "no colours even on a terminal"},
      {"VISUAL, EDITOR", "the editor for strata edit"},
      {"STRATA_HTTP_USERNAME, STRATA_HTTP_PASSWORD",
       "the credential for an http(s) remote, tried after one in the URL and before git's "
       "credential helpers"},
      {"STRATA_SSH_KEY",
       "a private key file (no passphrase) for ssh remotes, tried after the ssh agent's keys"},
      {"STRATA_SSH_KNOWN_HOSTS", "a known_hosts file checked before ~/.ssh/known_hosts"},
      {"GIT_SSL_CAINFO, GIT_SSL_CAPATH",
       "a file or a folder of the certificate authorities to trust for https, instead of the "
       "system's (as for git)"},
  };
  for (const auto& e : kEnvironment) {
    std::cout << ".TP\n\\fB" << Roff(e[0]) << "\\fR\n" << Roff(e[1]) << "\n";
  }
  std::cout << ".SH EXIT STATUS\n"
            << Roff(
                   "0 success (a write that changes nothing included); 1 failure, with one "
                   "line 'strata: error: ...' on stderr and the repository unchanged; 2 bad "
                   "usage (unknown command or flag, missing argument); 70 internal error, a bug in "
                   "strata, "
                   "with one line 'strata: internal error: ... (please report this)' on stderr.")
            << "\n";
  std::cout << ".SH SEE ALSO\n" << Roff("git(1); docs/guide.md and docs/commands.md") << "\n";
}

}  // namespace

void PrintManPage(const CommandSpec* spec) {
  if (spec == nullptr) {
    OverviewPage();
  } else {
    CommandPage(*spec);
  }
}

}  // namespace strata::cli
