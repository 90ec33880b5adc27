// libssh2 on demand, for a strata executable that links libgit2 statically
// (STRATA_STATIC_LIBGIT2 in CMakeLists.txt).
//
// libgit2 calls libssh2 for one thing: an ssh:// remote. Linking Debian's
// libssh2.a brought OpenSSL's libcrypto.a with it, whose tables of
// pointers (the ASN.1 object table, the providers' algorithm lists, error
// strings: 340 KiB of the executable's 431 KiB of .data.rel.ro) every
// process of a PIE executable relocates at start-up, a copy-on-write page
// fault for each of their ~85 pages: about a fifth of a `strata get`
// (docs/performance.md, "Start-up"). So the executable defines the 37
// functions libgit2 calls, and the first call (libssh2_init, which
// EnsureTransports makes before an ssh transport connects, or any other)
// loads libssh2.so.1, which brings the shared libcrypto, and forwards
// every call to it. Without that library each call fails as libssh2 does
// when it cannot allocate (LIBSSH2_ERROR_ALLOC, or no session), which
// libgit2 reports as "failed to initialize SSH session"; libssh2_exit does
// nothing unless the library was loaded. strata's SHA-1 still comes from
// libcrypto.a (objects/sha1.h), alone.
//
// The declarations are libssh2.h's own, so a definition that does not match
// its prototype does not compile. libssh2_init here replaces objects/git.cc's
// weak one (which routes to it through __real_libssh2_init, ld --wrap): the
// link takes this file for the other 36, all in this one object.
#include <dlfcn.h>
#include <libssh2.h>

#include <mutex>

namespace {

void* Library(bool load = true) {
  static void* handle = nullptr;
  static std::once_flag once;
  if (!load) {
    // Only whether it was loaded: the once flag is not touched.
    return __atomic_load_n(&handle, __ATOMIC_ACQUIRE);
  }
  std::call_once(once, [] {
    __atomic_store_n(&handle, dlopen("libssh2.so.1", RTLD_NOW | RTLD_LOCAL), __ATOMIC_RELEASE);
  });
  return handle;
}

template <typename Fn>
Fn Find(const char* name) {
  void* library = Library();
  return library ? reinterpret_cast<Fn>(dlsym(library, name)) : nullptr;
}

}  // namespace

// Forwards a call to the library's function `name`, or returns `failure`
// when it cannot be loaded.
#define STRATA_SSH_FORWARD(type, name, params, args, failure) \
  extern "C" type name params {                               \
    using Fn = type(*) params;                                \
    static const Fn real = Find<Fn>(#name);                   \
    if (real == nullptr) return failure;                      \
    return real args;                                         \
  }
#define STRATA_SSH_FORWARD_VOID(name, params, args) \
  extern "C" void name params {                     \
    using Fn = void(*) params;                      \
    static const Fn real = Find<Fn>(#name);         \
    if (real != nullptr) real args;                 \
  }

extern "C" int libssh2_init(int flags) {
  using Fn = int (*)(int);
  static const Fn real = Find<Fn>("libssh2_init");
  return real ? real(flags) : LIBSSH2_ERROR_ALLOC;
}

extern "C" void libssh2_exit(void) {
  // At libgit2's shutdown: a library never loaded has nothing to free.
  void* library = Library(false);
  if (library == nullptr) return;
  using Fn = void (*)();
  if (auto real = reinterpret_cast<Fn>(dlsym(library, "libssh2_exit"))) real();
}

STRATA_SSH_FORWARD(int, libssh2_agent_connect, (LIBSSH2_AGENT * agent), (agent),
                   LIBSSH2_ERROR_ALLOC)
STRATA_SSH_FORWARD(int, libssh2_agent_disconnect, (LIBSSH2_AGENT * agent), (agent),
                   LIBSSH2_ERROR_ALLOC)
STRATA_SSH_FORWARD_VOID(libssh2_agent_free, (LIBSSH2_AGENT * agent), (agent))
STRATA_SSH_FORWARD(int, libssh2_agent_get_identity,
                   (LIBSSH2_AGENT * agent, struct libssh2_agent_publickey** store,
                    struct libssh2_agent_publickey* prev),
                   (agent, store, prev), LIBSSH2_ERROR_ALLOC)
STRATA_SSH_FORWARD(LIBSSH2_AGENT*, libssh2_agent_init, (LIBSSH2_SESSION * session), (session),
                   nullptr)
STRATA_SSH_FORWARD(int, libssh2_agent_list_identities, (LIBSSH2_AGENT * agent), (agent),
                   LIBSSH2_ERROR_ALLOC)
STRATA_SSH_FORWARD(int, libssh2_agent_userauth,
                   (LIBSSH2_AGENT * agent, const char* username,
                    struct libssh2_agent_publickey* identity),
                   (agent, username, identity), LIBSSH2_ERROR_ALLOC)
STRATA_SSH_FORWARD(int, libssh2_channel_close, (LIBSSH2_CHANNEL * channel), (channel),
                   LIBSSH2_ERROR_ALLOC)
STRATA_SSH_FORWARD(int, libssh2_channel_free, (LIBSSH2_CHANNEL * channel), (channel),
                   LIBSSH2_ERROR_ALLOC)
STRATA_SSH_FORWARD(LIBSSH2_CHANNEL*, libssh2_channel_open_ex,
                   (LIBSSH2_SESSION * session, const char* channel_type,
                    unsigned int channel_type_len, unsigned int window_size,
                    unsigned int packet_size, const char* message, unsigned int message_len),
                   (session, channel_type, channel_type_len, window_size, packet_size, message,
                    message_len),
                   nullptr)
STRATA_SSH_FORWARD(int, libssh2_channel_process_startup,
                   (LIBSSH2_CHANNEL * channel, const char* request, unsigned int request_len,
                    const char* message, unsigned int message_len),
                   (channel, request, request_len, message, message_len), LIBSSH2_ERROR_ALLOC)
STRATA_SSH_FORWARD(ssize_t, libssh2_channel_read_ex,
                   (LIBSSH2_CHANNEL * channel, int stream_id, char* buf, size_t buflen),
                   (channel, stream_id, buf, buflen), LIBSSH2_ERROR_ALLOC)
STRATA_SSH_FORWARD_VOID(libssh2_channel_set_blocking, (LIBSSH2_CHANNEL * channel, int blocking),
                        (channel, blocking))
STRATA_SSH_FORWARD(ssize_t, libssh2_channel_write_ex,
                   (LIBSSH2_CHANNEL * channel, int stream_id, const char* buf, size_t buflen),
                   (channel, stream_id, buf, buflen), LIBSSH2_ERROR_ALLOC)
STRATA_SSH_FORWARD(const char*, libssh2_hostkey_hash, (LIBSSH2_SESSION * session, int hash_type),
                   (session, hash_type), nullptr)
STRATA_SSH_FORWARD(int, libssh2_knownhost_checkp,
                   (LIBSSH2_KNOWNHOSTS * hosts, const char* host, int port, const char* key,
                    size_t keylen, int typemask, struct libssh2_knownhost** knownhost),
                   (hosts, host, port, key, keylen, typemask, knownhost), LIBSSH2_ERROR_ALLOC)
STRATA_SSH_FORWARD_VOID(libssh2_knownhost_free, (LIBSSH2_KNOWNHOSTS * hosts), (hosts))
STRATA_SSH_FORWARD(LIBSSH2_KNOWNHOSTS*, libssh2_knownhost_init, (LIBSSH2_SESSION * session),
                   (session), nullptr)
STRATA_SSH_FORWARD(int, libssh2_knownhost_readfile,
                   (LIBSSH2_KNOWNHOSTS * hosts, const char* filename, int type),
                   (hosts, filename, type), LIBSSH2_ERROR_ALLOC)
STRATA_SSH_FORWARD(void**, libssh2_session_abstract, (LIBSSH2_SESSION * session), (session),
                   nullptr)
STRATA_SSH_FORWARD(int, libssh2_session_disconnect_ex,
                   (LIBSSH2_SESSION * session, int reason, const char* description,
                    const char* lang),
                   (session, reason, description, lang), LIBSSH2_ERROR_ALLOC)
STRATA_SSH_FORWARD(int, libssh2_session_free, (LIBSSH2_SESSION * session), (session),
                   LIBSSH2_ERROR_ALLOC)
STRATA_SSH_FORWARD(int, libssh2_session_handshake,
                   (LIBSSH2_SESSION * session, libssh2_socket_t sock), (session, sock),
                   LIBSSH2_ERROR_ALLOC)
STRATA_SSH_FORWARD(const char*, libssh2_session_hostkey,
                   (LIBSSH2_SESSION * session, size_t* len, int* type), (session, len, type),
                   nullptr)
STRATA_SSH_FORWARD(LIBSSH2_SESSION*, libssh2_session_init_ex,
                   (LIBSSH2_ALLOC_FUNC((*my_alloc)), LIBSSH2_FREE_FUNC((*my_free)),
                    LIBSSH2_REALLOC_FUNC((*my_realloc)), void* abstract),
                   (my_alloc, my_free, my_realloc, abstract), nullptr)
STRATA_SSH_FORWARD(int, libssh2_session_last_error,
                   (LIBSSH2_SESSION * session, char** errmsg, int* errmsg_len, int want_buf),
                   (session, errmsg, errmsg_len, want_buf), LIBSSH2_ERROR_ALLOC)
STRATA_SSH_FORWARD(int, libssh2_session_method_pref,
                   (LIBSSH2_SESSION * session, int method_type, const char* prefs),
                   (session, method_type, prefs), LIBSSH2_ERROR_ALLOC)
STRATA_SSH_FORWARD_VOID(libssh2_session_set_blocking, (LIBSSH2_SESSION * session, int blocking),
                        (session, blocking))
STRATA_SSH_FORWARD(int, libssh2_userauth_authenticated, (LIBSSH2_SESSION * session), (session),
                   LIBSSH2_ERROR_ALLOC)
STRATA_SSH_FORWARD(int, libssh2_userauth_keyboard_interactive_ex,
                   (LIBSSH2_SESSION * session, const char* username, unsigned int username_len,
                    LIBSSH2_USERAUTH_KBDINT_RESPONSE_FUNC((*response_callback))),
                   (session, username, username_len, response_callback), LIBSSH2_ERROR_ALLOC)
STRATA_SSH_FORWARD(char*, libssh2_userauth_list,
                   (LIBSSH2_SESSION * session, const char* username, unsigned int username_len),
                   (session, username, username_len), nullptr)
STRATA_SSH_FORWARD(int, libssh2_userauth_password_ex,
                   (LIBSSH2_SESSION * session, const char* username, unsigned int username_len,
                    const char* password, unsigned int password_len,
                    LIBSSH2_PASSWD_CHANGEREQ_FUNC((*passwd_change_cb))),
                   (session, username, username_len, password, password_len, passwd_change_cb),
                   LIBSSH2_ERROR_ALLOC)
STRATA_SSH_FORWARD(int, libssh2_userauth_publickey,
                   (LIBSSH2_SESSION * session, const char* username,
                    const unsigned char* pubkeydata, size_t pubkeydata_len,
                    LIBSSH2_USERAUTH_PUBLICKEY_SIGN_FUNC((*sign_callback)), void** abstract),
                   (session, username, pubkeydata, pubkeydata_len, sign_callback, abstract),
                   LIBSSH2_ERROR_ALLOC)
STRATA_SSH_FORWARD(int, libssh2_userauth_publickey_fromfile_ex,
                   (LIBSSH2_SESSION * session, const char* username, unsigned int username_len,
                    const char* publickey, const char* privatekey, const char* passphrase),
                   (session, username, username_len, publickey, privatekey, passphrase),
                   LIBSSH2_ERROR_ALLOC)
STRATA_SSH_FORWARD(int, libssh2_userauth_publickey_frommemory,
                   (LIBSSH2_SESSION * session, const char* username, size_t username_len,
                    const char* publickeyfiledata, size_t publickeyfiledata_len,
                    const char* privatekeyfiledata, size_t privatekeyfiledata_len,
                    const char* passphrase),
                   (session, username, username_len, publickeyfiledata, publickeyfiledata_len,
                    privatekeyfiledata, privatekeyfiledata_len, passphrase),
                   LIBSSH2_ERROR_ALLOC)
