// objects/gssapi_on_demand.cc: the GSS-API functions a static libgit2 calls,
// loaded from libgssapi_krb5.so.2 on the first call. This program links
// neither libgit2 nor Kerberos, so every call below goes through the loader.
#include <dlfcn.h>

#include <boost/test/unit_test.hpp>
#include <cstdint>
#include <cstring>

namespace {
using OM_uint32 = std::uint32_t;
struct OidDesc {
  OM_uint32 length;
  void* elements;
};
struct BufferDesc {
  std::size_t length;
  void* value;
};
struct OidSetDesc {
  std::size_t count;
  OidDesc* elements;
};
constexpr OM_uint32 kComplete = 0;
constexpr OM_uint32 kUnavailable = OM_uint32{16} << 16;
constexpr int kGssCode = 1;  // GSS_C_GSS_CODE

bool KerberosInstalled() {
  void* library = dlopen("libgssapi_krb5.so.2", RTLD_NOW | RTLD_LOCAL);
  if (library == nullptr) return false;
  dlclose(library);
  return true;
}
}  // namespace

extern "C" {
extern OidDesc* GSS_C_NT_HOSTBASED_SERVICE;
OM_uint32 gss_indicate_mechs(OM_uint32* minor, OidSetDesc** mech_set);
OM_uint32 gss_release_oid_set(OM_uint32* minor, OidSetDesc** set);
OM_uint32 gss_import_name(OM_uint32* minor, BufferDesc* input_name, OidDesc* name_type,
                          void** output_name);
OM_uint32 gss_release_name(OM_uint32* minor, void** name);
OM_uint32 gss_display_status(OM_uint32* minor, OM_uint32 status, int status_type,
                             OidDesc* mech_type, OM_uint32* message_context,
                             BufferDesc* status_string);
OM_uint32 gss_release_buffer(OM_uint32* minor, BufferDesc* buffer);
}

BOOST_AUTO_TEST_SUITE(objects)
BOOST_AUTO_TEST_SUITE(gssapi_on_demand)

BOOST_AUTO_TEST_CASE(calls_reach_kerberos_when_it_is_installed) {
  OM_uint32 minor = 99;
  OidSetDesc* mechs = nullptr;
  const OM_uint32 major = gss_indicate_mechs(&minor, &mechs);
  if (!KerberosInstalled()) {
    BOOST_TEST_MESSAGE("libgssapi_krb5.so.2 is not installed: every call is unavailable");
    BOOST_TEST(major == kUnavailable);
    BOOST_TEST(minor == 0u);
    return;
  }
  BOOST_TEST(major == kComplete);
  BOOST_REQUIRE(mechs != nullptr);
  BOOST_TEST(mechs->count > 0u);
  BOOST_TEST(gss_release_oid_set(&minor, &mechs) == kComplete);
  BOOST_TEST(mechs == nullptr);

  // The name type libgit2 passes is the executable's own copy of
  // GSS_C_NT_HOSTBASED_SERVICE (Kerberos compares name types by value).
  char service[] = "HTTP@127.0.0.1";
  BufferDesc input = {std::strlen(service), service};
  void* name = nullptr;
  BOOST_TEST(gss_import_name(&minor, &input, GSS_C_NT_HOSTBASED_SERVICE, &name) == kComplete);
  BOOST_TEST(name != nullptr);
  BOOST_TEST(gss_release_name(&minor, &name) == kComplete);
}

BOOST_AUTO_TEST_CASE(the_library_describes_a_status) {
  if (!KerberosInstalled()) return;
  OM_uint32 minor = 0;
  OM_uint32 context = 0;
  BufferDesc text = {0, nullptr};
  BOOST_TEST(gss_display_status(&minor, kUnavailable, kGssCode, nullptr, &context, &text) ==
             kComplete);
  BOOST_TEST(text.length > 0u);
  BOOST_TEST(gss_release_buffer(&minor, &text) == kComplete);
}

BOOST_AUTO_TEST_SUITE_END()
BOOST_AUTO_TEST_SUITE_END()
