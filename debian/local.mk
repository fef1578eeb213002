# SPDX-License-Identifier: Apache-2.0
# Copyright (C) 2026 The p11tee authors
# Debian packaging (scripts/package-deb.sh builds it), shipped in the
# release tarball so that it can build the packages too.
EXTRA_DIST += debian/control debian/rules debian/copyright debian/p11tee.install \
	debian/libp11tee0.install debian/libp11tee-dev.install debian/p11tee.docs \
	debian/p11tee.postinst
