#include "objects/git.h"

#include <boost/test/unit_test.hpp>

// Start-up without network set-up (objects/git.cc): libgit2's own start-up
// leaves libssh2 uninitialised until a transport needs it. This is the
// whole process's state, so the suite checks it in one case, in order; no
// other case of this program reaches a network transport.
BOOST_AUTO_TEST_SUITE(objects)
BOOST_AUTO_TEST_SUITE(git)

BOOST_AUTO_TEST_CASE(libssh2_waits_for_the_first_transport) {
  strata::EnsureLibgit2();
  // strata's libssh2_init, mbedtls_entropy_init and mbedtls_ctr_drbg_seed
  // are the ones libgit2 called, and they only noted it.
  BOOST_TEST(strata::SshSetUpDeferred());
  BOOST_TEST(strata::RngSetUpDeferred());
  strata::EnsureLibgit2();
  BOOST_TEST(strata::SshSetUpDeferred());
  BOOST_TEST(strata::RngSetUpDeferred());
  // A transport's set-up makes the real calls, once.
  BOOST_TEST(strata::EnsureTransports().ok());
  BOOST_TEST(!strata::SshSetUpDeferred());
  BOOST_TEST(!strata::RngSetUpDeferred());
  BOOST_TEST(strata::EnsureTransports().ok());
  BOOST_TEST(!strata::SshSetUpDeferred());
  BOOST_TEST(!strata::RngSetUpDeferred());
}

BOOST_AUTO_TEST_SUITE_END()
BOOST_AUTO_TEST_SUITE_END()
