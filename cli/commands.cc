// The table of commands: `strata help`, --help and docs/commands.md read it.
#include "cli/command.h"

namespace strata::cli {

extern const CommandSpec kInitCommand, kPutCommand, kSetCommand, kRmCommand, kPatchCommand,
    kImportCommand, kEditCommand, kGetCommand, kLsCommand, kLogCommand, kShowCommand, kDiffCommand,
    kVerifyCommand;
extern const CommandSpec kBranchCommand, kSwitchCommand;
extern const CommandSpec kMergeCommand, kConflictsCommand, kResolveCommand, kCherryPickCommand,
    kRevertCommand;

const std::vector<const CommandSpec*>& Commands() {
  static const std::vector<const CommandSpec*> commands = {
      &kInitCommand,   &kPutCommand,  &kSetCommand,    &kRmCommand, &kPatchCommand,
      &kImportCommand, &kEditCommand, &kGetCommand,    &kLsCommand, &kLogCommand,
      &kShowCommand,   &kDiffCommand, &kVerifyCommand,
      &kBranchCommand, &kSwitchCommand,
      &kMergeCommand, &kConflictsCommand, &kResolveCommand, &kCherryPickCommand, &kRevertCommand,
  };
  return commands;
}

const CommandSpec* FindCommand(const std::string& name) {
  for (const CommandSpec* c : Commands()) {
    if (name == c->name) return c;
  }
  return nullptr;
}

}  // namespace strata::cli
