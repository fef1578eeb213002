# libp11tee: layers under src/ (see docs/DESIGN.md). libp11tee-core is the
# whole library as a convenience archive, so tests can reach internal
# functions; libp11tee.la exports only the public p11tee_* symbols.

noinst_LTLIBRARIES += libp11tee-core.la
libp11tee_core_la_SOURCES = \
	src/common/common.h src/common/err.c src/common/buf.c src/common/text.c \
	src/crypto/crypto.h src/crypto/codec.c src/crypto/keys.c src/crypto/envelope.c \
	src/e2ee/e2ee.h src/e2ee/session.c src/e2ee/request.c \
	src/attest/attest.h src/attest/report.c src/attest/pki.c src/attest/policy.c \
	src/attest/evidence.c \
	src/api/api.h src/common/json.c src/api/models.c src/api/attestation.c \
	src/api/signature.c src/api/chat.c src/api/client.c src/api/report.c \
	src/api/flow_attest.c src/api/flow_chat.c \
	src/hsm/hsm.h src/hsm/hsm.c
# hsm.c includes provider/prov_api.h, the provider's interface to the library.
libp11tee_core_la_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)
libp11tee_core_la_CFLAGS = $(AM_CFLAGS) $(CRYPTO_CFLAGS) $(JSONC_CFLAGS) $(CURL_CFLAGS) \
	$(SECP256K1_CFLAGS)
libp11tee_core_la_LIBADD = libp11tee-prov.la $(CRYPTO_LIBS) $(JSONC_LIBS) $(CURL_LIBS) $(SECP256K1_LIBS) \
	$(PTHREAD_LIBS)

lib_LTLIBRARIES += libp11tee.la
libp11tee_la_SOURCES =
libp11tee_la_LIBADD = libp11tee-core.la
libp11tee_la_LDFLAGS = $(AM_LDFLAGS) -version-info $(LIBP11TEE_LT_VERSION) \
	-export-symbols-regex '^p11tee_'

# The command-line tool: the public API only (include/p11tee/).
bin_PROGRAMS += p11tee
p11tee_SOURCES = src/cli/cli.h src/cli/main.c src/cli/cli.c src/cli/report.c \
	src/cli/cmd_models.c src/cli/cmd_attest.c src/cli/cmd_chat.c src/cli/cmd_signature.c \
	src/cli/cmd_quote.c
p11tee_CPPFLAGS = -I$(top_srcdir)/include -I$(top_srcdir)/src
p11tee_CFLAGS = $(AM_CFLAGS) $(JSONC_CFLAGS)
p11tee_LDADD = libp11tee.la $(JSONC_LIBS)
dist_man_MANS += docs/p11tee.1

pkgconfigdir = $(libdir)/pkgconfig
pkgconfig_DATA = libp11tee.pc
EXTRA_DIST += libp11tee.pc.in
DISTCLEANFILES = libp11tee.pc
