#!/usr/bin/env bash
# Install the Debian packages itinerant needs beyond Python wheels; idempotent and quiet.
#
#   libpango-1.0-0 libpangoft2-1.0-0  WeasyPrint's text layout (PDF itineraries)
#   libharfbuzz-subset0               WeasyPrint's font subsetting (without it, every first
#                                     import warns "HarfBuzz-Subset will be required")
#   fonts-dejavu-core                 a font with French glyphs and U+202F for the PDF
# With --test, also what the test suite needs:
#   chromium                          headless browser test of the maps (tests/render)
#   poppler-utils                     pdftoppm, to look at a PDF page as an image
#
# Runs apt-get only when a package is missing; needs root (or sudo) then.
set -euo pipefail
PACKAGES=(libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core)
if [ "${1:-}" = "--test" ]; then
    PACKAGES+=(chromium poppler-utils)
fi
missing=()
for pkg in "${PACKAGES[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$pkg")
    fi
done
if [ "${#missing[@]}" -eq 0 ]; then
    exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "install-system-deps: not a Debian system; install by hand: ${missing[*]}" >&2
    exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    SUDO="sudo"
fi
echo "install-system-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq >/dev/null
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
