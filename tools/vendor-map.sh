#!/usr/bin/env bash
# Vendors the country outlines drawn under the maps of `cityrank report`:
# Natural Earth's 1:110m Admin 0 countries (public domain), as TopoJSON in the
# npm package world-atlas (ISC), converted by tools/map/convert.js with
# topojson-client (ISC) into host/analysis/assets/countries-110m.json. The
# packages are pinned (versions and tarball hashes below); the output is
# committed, so neither the build nor the tests need npm.
#
# Usage: tools/vendor-map.sh   (needs node and npm)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"
npm pack --silent world-atlas@2.0.2 topojson-client@3.1.0 >/dev/null
check() {
    local file="$1" want="$2" got
    got="$(sha256sum "$file" | cut -d' ' -f1)"
    if [ "$got" != "$want" ]; then
        echo "error: $file has SHA-256 $got, expected $want" >&2
        exit 1
    fi
}
check world-atlas-2.0.2.tgz 032e7765f2ce00edaeafec23ff22bc3b77e42987c257da944cc585b452c05b97
check topojson-client-3.1.0.tgz 889fadb422f6236d0f8337a236ce6499f258b75e44b81733b13bd971067322bf
mkdir -p atlas modules/topojson-client
tar -xzf world-atlas-2.0.2.tgz -C atlas
tar -xzf topojson-client-3.1.0.tgz -C modules/topojson-client --strip-components=1
node "$root/tools/map/convert.js" "$work/modules" atlas/package/countries-110m.json \
    > "$root/host/analysis/assets/countries-110m.json"
cp atlas/package/LICENSE "$root/host/analysis/assets/WORLD-ATLAS-LICENSE"
echo "wrote host/analysis/assets/countries-110m.json ($(wc -c < "$root/host/analysis/assets/countries-110m.json") bytes)"
