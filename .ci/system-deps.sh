#!/usr/bin/env bash
# Debian packages the test suite drives for real: Chromium (the reviewer console's browser test, through
# Playwright's executable_path), LibreOffice Calc (exported workbooks must open there) and a CJK font.
# PostgreSQL comes from .ci/postgres.sh. Installs only what is missing; needs root or password-less sudo.
set -euo pipefail

as_root() {
    if [ "$(id -u)" = 0 ]; then "$@"; else sudo -n "$@"; fi
}

# A mirror that hiccups once must not fail the whole run: apt is tried three times.
apt_retry() {
    for attempt in 1 2 3; do
        if as_root env DEBIAN_FRONTEND=noninteractive apt-get "$@"; then return 0; fi
        echo "apt-get $1 failed (attempt $attempt of 3)" >&2
        sleep $((attempt * 5))
    done
    return 1
}

missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v libreoffice >/dev/null 2>&1 || missing+=(libreoffice-calc-nogui)
# Not grep -q: it would close the pipe early, fc-list would die of SIGPIPE, and pipefail would call
# the font missing every time.
fc-list 2>/dev/null | grep -i "wenquanyi\|wqy" >/dev/null || missing+=(fonts-wqy-microhei)

if [ "${#missing[@]}" -gt 0 ]; then
    echo "system-deps.sh: installing ${missing[*]}" >&2
    apt_retry update -qq
    apt_retry install -y -qq "${missing[@]}" >&2
fi
