# SPDX-License-Identifier: Apache-2.0
# Copyright (C) 2026 The p11tee authors
# The systemd unit of p11tee serve and its group, installed under $(prefix)
# (--with-systemdsystemunitdir and --with-sysusersdir move them).
systemdsystemunit_DATA = dist/systemd/p11tee-serve.service
sysusers_DATA = dist/systemd/p11tee.conf
EXTRA_DIST += dist/systemd/p11tee-serve.service.in dist/systemd/p11tee.sysusers
CLEANFILES += dist/systemd/p11tee-serve.service dist/systemd/p11tee.conf

dist/systemd/p11tee-serve.service: dist/systemd/p11tee-serve.service.in Makefile
	$(AM_V_GEN)$(MKDIR_P) dist/systemd && sed -e 's|@bindir[@]|$(bindir)|g' \
	    -e 's|@sysconfdir[@]|$(sysconfdir)|g' $(srcdir)/dist/systemd/p11tee-serve.service.in >$@

dist/systemd/p11tee.conf: dist/systemd/p11tee.sysusers
	$(AM_V_GEN)$(MKDIR_P) dist/systemd && cp $(srcdir)/dist/systemd/p11tee.sysusers $@
