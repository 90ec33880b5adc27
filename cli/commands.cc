// The table of commands: `strata help`, --help and docs/commands.md read it,
// in this order: set up, write, read, review history, branch and merge, care.
#include "cli/command.h"

namespace strata::cli {

extern const CommandSpec kInitCommand;
extern const CommandSpec kPutCommand, kSetCommand, kRmCommand, kPatchCommand, kImportCommand,
    kEditCommand;
extern const CommandSpec kGetCommand, kLsCommand;
extern const CommandSpec kExportCommand;
extern const CommandSpec kLogCommand, kHistoryCommand, kBlameCommand, kShowCommand, kDiffCommand,
    kTagCommand, kLabelCommand;
extern const CommandSpec kBranchCommand, kSwitchCommand, kMergeCommand, kConflictsCommand,
    kResolveCommand, kCherryPickCommand, kRevertCommand;
extern const CommandSpec kCloneCommand, kRemoteCommand, kFetchCommand, kPullCommand, kPushCommand,
    kSyncCommand;
extern const CommandSpec kVerifyCommand;
extern const CommandSpec kGcCommand;
extern const CommandSpec kPruneCommand;
extern const CommandSpec kUpgradeCommand;
extern const CommandSpec kPerspectiveCommand;
extern const CommandSpec kValidateCommand;
extern const CommandSpec kWatchCommand;
extern const CommandSpec kWorktreeCommand, kStatusCommand, kCommitCommand, kRestoreCommand;

const std::vector<const CommandSpec*>& Commands() {
  static const std::vector<const CommandSpec*> commands = {
      &kInitCommand,                                                              //
      &kPutCommand,     &kSetCommand,         &kRmCommand,       &kPatchCommand,  //
      &kImportCommand,  &kEditCommand,                                            //
      &kGetCommand,     &kLsCommand,                                              //
      &kExportCommand,                                                            //
      &kLogCommand,     &kHistoryCommand,     &kBlameCommand,    &kShowCommand,   //
      &kDiffCommand,    &kTagCommand,         &kLabelCommand,                     //
      &kWatchCommand,                                                             //
      &kBranchCommand,  &kSwitchCommand,      &kMergeCommand,    &kConflictsCommand,
      &kResolveCommand, &kCherryPickCommand,  &kRevertCommand,  //
      &kCloneCommand,   &kRemoteCommand,      &kFetchCommand,    &kPullCommand,
      &kPushCommand,    &kSyncCommand,  //
      &kVerifyCommand,  &kPerspectiveCommand, &kValidateCommand, &kWorktreeCommand,
      &kStatusCommand,  &kCommitCommand,      &kRestoreCommand,  &kGcCommand,
      &kPruneCommand,  //

      &kUpgradeCommand,  //
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
