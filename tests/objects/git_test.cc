#include "objects/git.h"

#include <boost/test/unit_test.hpp>

// Start-up without network set-up (objects/git.cc): libgit2's own start-up
// leaves libssh2 uninitialised until a transport needs it, and mbedTLS's
// random generator unseeded until its first draw (t2120 checks that the
// draw of a real https connection seeds it first). This is the
// whole process's state, so the suite checks it in one case, in order; no
// other case of this program reaches a network transport.
BOOST_AUTO_TEST_SUITE(objects)
BOOST_AUTO_TEST_SUITE(git)

BOOST_AUTO_TEST_CASE(network_set_up_waits_for_a_transport) {
  strata::EnsureLibgit2();
  // strata's libssh2_init is the one libgit2 called, and it only noted it;
  // likewise the generator's seed.
  BOOST_TEST(strata::SshSetUpDeferred());
  BOOST_TEST(strata::RandomSeedDeferred());
  strata::EnsureLibgit2();
  BOOST_TEST(strata::SshSetUpDeferred());
  // A transport's set-up makes the real call, once.
  strata::EnsureTransports();
  BOOST_TEST(!strata::SshSetUpDeferred());
  BOOST_TEST(strata::RandomSeedDeferred());  // until a connection draws from it
  strata::EnsureTransports();
  BOOST_TEST(!strata::SshSetUpDeferred());
}

BOOST_AUTO_TEST_SUITE_END()
BOOST_AUTO_TEST_SUITE_END()
