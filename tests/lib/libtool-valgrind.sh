#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Copyright (C) 2026 The p11tee authors
# libtool-valgrind.sh VALGRIND [FLAGS...] PROGRAM [ARGS...]
# Run a test program under valgrind. Programs built by libtool may be shell
# wrappers; `libtool --mode=execute` runs valgrind on the real binary.
set -eu
vg=$1
shift
flags=""
while [ $# -gt 1 ]; do
    case $1 in
    -*) flags="$flags $1"; shift ;;
    *) break ;;
    esac
done
top=${top_builddir:-.}
# shellcheck disable=SC2086
exec "$top/libtool" --mode=execute "$vg" $flags "$@"
