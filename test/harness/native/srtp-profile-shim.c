/*
 * LD_PRELOAD shim for B13's viewer farm: Janus offers SRTP_AEAD_AES_256_GCM first (src/dtls.c), so Janus↔Janus
 * legs get GCM, while a browser may get AES_CM_128_HMAC_SHA1_80 (Chromium↔Chromium does). Loaded into the farm's
 * Janus, this replaces the profile list Janus gives OpenSSL with the one in SIPHON_SRTP_PROFILES, so the relay under
 * test negotiates the profile the run asks for, whichever end picks. Built by test/harness/srtp-profile-shim.ts with gcc.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdlib.h>

typedef struct ssl_ctx_st SSL_CTX;

int SSL_CTX_set_tlsext_use_srtp(SSL_CTX *ctx, const char *profiles) {
	static int (*real)(SSL_CTX *, const char *) = NULL;
	if (real == NULL)
		real = (int (*)(SSL_CTX *, const char *))dlsym(RTLD_NEXT, "SSL_CTX_set_tlsext_use_srtp");
	const char *wanted = getenv("SIPHON_SRTP_PROFILES");
	return real(ctx, wanted && *wanted ? wanted : profiles);
}
