#!/bin/sh
# Headless Chromium for the HTML report's browser test (tests/test_report_html.py).
# Installs Debian's package where it is missing and the machine lets us; never fails the
# build: without a browser the test skips and says why.
set -u
for name in chromium chromium-browser; do
    if command -v "$name" >/dev/null 2>&1; then
        exit 0
    fi
done
if ! command -v apt-get >/dev/null 2>&1; then
    echo "scripts/browser.sh: no apt-get here; the browser test will skip (install chromium to run it)" >&2
    exit 0
fi
if [ "$(id -u)" -eq 0 ]; then
    SUDO=""
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    SUDO="sudo -n"
else
    echo "scripts/browser.sh: not root and no password-less sudo; the browser test will skip (install chromium to run it)" >&2
    exit 0
fi
echo "scripts/browser.sh: installing chromium (Debian package) for the browser test" >&2
if ! { $SUDO apt-get install -y --no-install-recommends chromium >/dev/null 2>&1 ||
       { $SUDO apt-get update >/dev/null 2>&1 &&
         $SUDO apt-get install -y --no-install-recommends chromium >/dev/null 2>&1; }; }; then
    echo "scripts/browser.sh: could not install chromium; the browser test will skip" >&2
fi
exit 0
