// libstrata (the shared library, CMakeLists.txt) is the three module
// archives (objects, merge, repo) linked whole; a shared library target
// needs a source of its own, and this is it.
#include "strata/strata.h"
