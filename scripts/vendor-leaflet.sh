#!/usr/bin/env bash
# Vendor Leaflet into itinerant/render/assets/ so that maps work without internet.
#
# The maps inline leaflet.js and leaflet.css (and the layer-control icons as data URIs)
# instead of linking a CDN. The vendored files are committed; run this script only to
# refresh them. It downloads the npm tarball with `npm pack` (the npm registry's
# ordinary client), checks its SHA-1 against the one npm publishes, and copies dist/.
set -euo pipefail
VERSION="1.9.4"
SHA1="23fae724e282fa25745aff82ca4d394748db7d8d"  # `npm view leaflet@1.9.4 dist.shasum`
cd "$(dirname "$0")/.."
DEST="itinerant/render/assets"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
(cd "$WORK" && npm pack --silent "leaflet@${VERSION}" >/dev/null)
TARBALL="$WORK/leaflet-${VERSION}.tgz"
echo "${SHA1}  ${TARBALL}" | sha1sum --check --quiet
tar -xzf "$TARBALL" -C "$WORK"
mkdir -p "$DEST/images"
cp "$WORK/package/dist/leaflet.js" "$WORK/package/dist/leaflet.css" "$DEST/"
cp "$WORK/package/dist/images/layers.png" "$WORK/package/dist/images/layers-2x.png" \
   "$WORK/package/dist/images/marker-icon.png" "$DEST/images/"
cp "$WORK/package/LICENSE" "$DEST/LICENSE-leaflet"
echo "leaflet ${VERSION}" > "$DEST/VERSION"
echo "Leaflet ${VERSION} vendored in ${DEST}/"
