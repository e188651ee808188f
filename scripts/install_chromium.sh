#!/usr/bin/env bash
# Installs Debian's Chromium for tests/test_browser.py when it is missing (Playwright drives it
# through executable_path; the playwright pip package brings its driver but no browser).
# Never fails: without Chromium the browser test is skipped and says why.
set -u

if [ -n "${CNNLESSONS_CHROMIUM:-}" ] || command -v chromium >/dev/null 2>&1; then
    echo "install_chromium: found ${CNNLESSONS_CHROMIUM:-$(command -v chromium)}"
    exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "install_chromium: no apt-get here; install Chromium yourself (or set CNNLESSONS_CHROMIUM) to run the browser test"
    exit 0
fi
SUDO=""
if [ "$(id -u)" != 0 ]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
        SUDO="sudo -n"
    else
        echo "install_chromium: not root and no password-less sudo; run: sudo apt-get install -y chromium"
        exit 0
    fi
fi

updated=0
# An empty or stale package list knows no candidate: refresh it once.
if ! apt-cache policy chromium 2>/dev/null | grep -q 'Candidate: [0-9]'; then
    $SUDO apt-get update -q && updated=1
fi
install() { $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends chromium; }
if ! install && [ "$updated" = 0 ]; then
    $SUDO apt-get update -q && install
fi
if command -v chromium >/dev/null 2>&1; then
    echo "install_chromium: installed $(command -v chromium)"
else
    echo "install_chromium: could not install chromium; the browser test will be skipped"
fi
exit 0
