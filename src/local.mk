# SPDX-License-Identifier: Apache-2.0
# Copyright (C) 2026 The p11tee authors
# libp11tee: the layers under src/ (docs/DESIGN.md). libp11tee-core is the
# whole library as a convenience archive, so that tests reach internal
# functions; each layer's local.mk adds its sources to it. libp11tee.la
# exports only the public p11tee_* symbols.

noinst_LTLIBRARIES += libp11tee-core.la
libp11tee_core_la_SOURCES =
libp11tee_core_la_LIBADD = libp11tee-prov.la $(CRYPTO_LIBS) $(SSL_LIBS) $(JSONC_LIBS) \
	$(CURL_LIBS) $(SECP256K1_LIBS) $(PTHREAD_LIBS)
libp11tee_core_la_CFLAGS = $(AM_CFLAGS) $(CURL_CFLAGS) $(SECP256K1_CFLAGS)

lib_LTLIBRARIES += libp11tee.la
libp11tee_la_SOURCES =
libp11tee_la_LIBADD = libp11tee-core.la
libp11tee_la_LDFLAGS = $(AM_LDFLAGS) -version-info $(LIBP11TEE_LT_VERSION) \
	-export-symbols-regex '^p11tee_'

pkgconfigdir = $(libdir)/pkgconfig
pkgconfig_DATA = libp11tee.pc
EXTRA_DIST += libp11tee.pc.in
DISTCLEANFILES = libp11tee.pc
