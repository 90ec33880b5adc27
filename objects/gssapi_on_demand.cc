// GSS-API on demand, for a strata executable that links libgit2 statically
// (STRATA_STATIC_LIBGIT2 in CMakeLists.txt).
//
// libgit2 calls GSS-API for one thing: an https server that asks for
// "Negotiate" (Kerberos) authentication. Linking Debian's libgssapi_krb5
// would load it and five more libraries (libkrb5, libk5crypto, libcom_err,
// libkrb5support, libkeyutils) into every process, about a fifth of a
// `strata get` (docs/performance.md, "Start-up"), and Debian ships no archive
// of it. So the executable defines the eight functions and the one name type
// libgit2 uses, and the first call loads libgssapi_krb5.so.2 and forwards
// every call to it. Without that library, each call fails with
// GSS_S_UNAVAILABLE, which libgit2 reports as a failed Negotiate
// authentication, as it does for a Kerberos without credentials.
//
// The types are RFC 2744's C bindings, declared here (Debian's gssapi.h
// comes with libkrb5-dev, which nothing else needs): every argument is a
// pointer or a 32-bit integer that is passed through unchanged.
#include <dlfcn.h>

#include <cstdint>
#include <mutex>

namespace {

using OM_uint32 = std::uint32_t;
struct OidDesc {
  OM_uint32 length;
  void* elements;
};

// RFC 2744, 3.9.1: GSS_S_UNAVAILABLE, a routine error.
constexpr OM_uint32 kUnavailable = OM_uint32{16} << 16;

// GSS_C_NT_HOSTBASED_SERVICE, {iso(1) member-body(2) US(840)
// mit(113554) infosys(1) gssapi(2) generic(1) service_name(4)} (RFC 2744,
// 4.1). The library compares name types by value, so its own copy is not
// needed.
unsigned char kHostBasedServiceBytes[] = {0x2a, 0x86, 0x48, 0x86, 0xf7,
                                          0x12, 0x01, 0x02, 0x01, 0x04};
OidDesc kHostBasedService = {sizeof kHostBasedServiceBytes, kHostBasedServiceBytes};

void* Library() {
  static void* handle = nullptr;
  static std::once_flag once;
  std::call_once(once, [] { handle = dlopen("libgssapi_krb5.so.2", RTLD_NOW | RTLD_LOCAL); });
  return handle;
}

template <typename Fn>
Fn Find(const char* name) {
  void* library = Library();
  return library ? reinterpret_cast<Fn>(dlsym(library, name)) : nullptr;
}

// Forwards a call to the library's function `name`, or fails with
// GSS_S_UNAVAILABLE (minor status 0) when it cannot be loaded.
#define STRATA_GSS_FORWARD(name, params, args) \
  extern "C" OM_uint32 name params {           \
    using Fn = OM_uint32(*) params;            \
    static const Fn real = Find<Fn>(#name);    \
    if (real == nullptr) {                     \
      if (minor != nullptr) *minor = 0;        \
      return kUnavailable;                     \
    }                                          \
    return real args;                          \
  }

}  // namespace

extern "C" {
OidDesc* GSS_C_NT_HOSTBASED_SERVICE = &kHostBasedService;
}

STRATA_GSS_FORWARD(gss_indicate_mechs, (OM_uint32 * minor, void** mech_set), (minor, mech_set))
STRATA_GSS_FORWARD(gss_release_oid_set, (OM_uint32 * minor, void** set), (minor, set))
STRATA_GSS_FORWARD(gss_import_name,
                   (OM_uint32 * minor, void* input_name, void* name_type, void** output_name),
                   (minor, input_name, name_type, output_name))
STRATA_GSS_FORWARD(gss_release_name, (OM_uint32 * minor, void** name), (minor, name))
STRATA_GSS_FORWARD(gss_release_buffer, (OM_uint32 * minor, void* buffer), (minor, buffer))
STRATA_GSS_FORWARD(gss_delete_sec_context, (OM_uint32 * minor, void** context, void* output_token),
                   (minor, context, output_token))
STRATA_GSS_FORWARD(gss_display_status,
                   (OM_uint32 * minor, OM_uint32 status, int status_type, void* mech_type,
                    OM_uint32* message_context, void* status_string),
                   (minor, status, status_type, mech_type, message_context, status_string))
STRATA_GSS_FORWARD(gss_init_sec_context,
                   (OM_uint32 * minor, void* credential, void** context, void* target_name,
                    void* mech_type, OM_uint32 flags, OM_uint32 time_wanted, void* bindings,
                    void* input_token, void** actual_mech_type, void* output_token,
                    OM_uint32* flags_out, OM_uint32* time_out),
                   (minor, credential, context, target_name, mech_type, flags, time_wanted,
                    bindings, input_token, actual_mech_type, output_token, flags_out, time_out))
