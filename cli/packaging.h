// What `strata help --man` and the bash completion read: man pages generated
// from the command table (the same text as --help), and the hidden
// `strata __complete KIND` that cli/strata-completion.bash calls for
// commands, options, branches, remotes, perspectives and document ids.
#pragma once

#include <string>
#include <vector>

#include "cli/command.h"

namespace strata::cli {

// Prints strata(1) (spec == nullptr: the overview, global options and the
// command list) or strata-NAME(1) for one command, in roff (man(7)).
void PrintManPage(const CommandSpec* spec);

// `strata __complete KIND [ARG]`, one word a line on stdout, nothing on
// stderr. KIND: commands; options COMMAND (a value-taking option ends in
// '='); branches; refs (branches, remote-tracking branches, tags); remotes;
// perspectives; docs. `global` holds the options given before __complete;
// --repo and --perspective may also follow KIND. Exit 0, or 1 (printing
// nothing) when the repository cannot be read.
int Complete(const std::vector<std::string>& args, const std::vector<std::string>& global);

}  // namespace strata::cli
