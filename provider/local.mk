# SPDX-License-Identifier: Apache-2.0
# Copyright (C) 2026 The p11tee authors
# The p11tee OpenSSL 3 provider: a convenience archive linked into
# libp11tee (loaded there as a built-in into a private OSSL_LIB_CTX), and the
# loadable module p11tee.so installed into OpenSSL's modules directory.

noinst_LTLIBRARIES += libp11tee-prov.la
libp11tee_prov_la_SOURCES = \
	provider/prov_api.h provider/prov.h provider/token.h \
	provider/provider.c provider/keymgmt_ec.c provider/keyexch_ecdh.c provider/curve.c \
	provider/uri.c provider/pin.c provider/secret.c \
	provider/interface.c provider/module.c provider/locate.c provider/slot.c \
	provider/session.c provider/token.c provider/objects.c provider/probe.c
libp11tee_prov_la_LIBADD = $(CRYPTO_LIBS) $(PTHREAD_LIBS)

modules_LTLIBRARIES += p11tee.la
p11tee_la_SOURCES =
p11tee_la_LIBADD = libp11tee-prov.la
p11tee_la_LDFLAGS = $(AM_LDFLAGS) -module -avoid-version -shared \
	-export-symbols-regex '^OSSL_provider_init$$'

# OpenSSL loads p11tee.so by name; libtool's p11tee.la beside it is of no use
# there (Debian's packaging deletes it too). Uninstalling goes by the .so.
install-data-hook: install-data-hook-provider
install-data-hook-provider:
	rm -f "$(DESTDIR)$(modulesdir)/p11tee.la"
uninstall-hook: uninstall-hook-provider
uninstall-hook-provider:
	rm -f "$(DESTDIR)$(modulesdir)/p11tee.so"
