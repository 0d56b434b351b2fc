#!/usr/bin/env bash
# Debian packages the test suite drives for real: Chromium (the reviewer console's browser test, through
# Playwright's executable_path), LibreOffice Calc (exported workbooks must open there) and a CJK font.
# PostgreSQL comes from .ci/postgres.sh. Installs only what is missing; needs root or password-less sudo.
set -euo pipefail

as_root() {
    if [ "$(id -u)" = 0 ]; then "$@"; else sudo -n "$@"; fi
}

missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v libreoffice >/dev/null 2>&1 || missing+=(libreoffice-calc-nogui)
fc-list 2>/dev/null | grep -qi "wenquanyi\|wqy" || missing+=(fonts-wqy-microhei)

if [ "${#missing[@]}" -gt 0 ]; then
    echo "system-deps.sh: installing ${missing[*]}" >&2
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >&2
fi
