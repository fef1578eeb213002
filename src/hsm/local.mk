# SPDX-License-Identifier: Apache-2.0
# Copyright (C) 2026 The p11tee authors
# src/hsm: the provider through EVP (includes provider/prov_api.h, the
# provider's interface to the library).
libp11tee_core_la_SOURCES += src/hsm/hsm.h src/hsm/hsm.c src/hsm/hsm_int.h src/hsm/check.c
