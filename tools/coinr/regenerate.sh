#!/usr/bin/env bash
# Regenerates COINr 1.1.14's reference outputs in tests/fixtures/coinr/more/ (the
# options of COINr beyond its default build that cityrank reproduces: treatment
# fallbacks, conditional Box-Cox, force_win, optimised weights of one level and
# infomax, a changed denominator, panel data as a purse). Not part of CI: the
# committed outputs are what the tests read.
#
#   bash tools/coinr/regenerate.sh /path/to/COINr-source
#
# Needs: Debian's R (apt-get install r-base-core r-cran-openxlsx r-cran-rlang
# r-cran-ggplot2 r-cran-readxl; CRAN itself is not needed) and COINr's source at
# tag v1.1.14 (git clone --branch v1.1.14 https://github.com/bluefoxr/COINr,
# commit 338b21ce72791cf75e17a900008952783762eb5c), installed unmodified into a
# private library. The outputs are written with %.17g (exact doubles), so a rerun
# gives the same files (check with git diff).
set -euo pipefail
cd "$(dirname "$0")/../.."
source_dir="${1:?usage: bash tools/coinr/regenerate.sh /path/to/COINr-source (tag v1.1.14)}"
command -v Rscript >/dev/null || {
    echo "Rscript not found: apt-get install r-base-core r-cran-openxlsx r-cran-rlang r-cran-ggplot2 r-cran-readxl" >&2
    exit 2
}
grep -q '^Version: 1.1.14$' "$source_dir/DESCRIPTION" || {
    echo "$source_dir is not COINr 1.1.14 (its DESCRIPTION's Version differs)" >&2
    exit 2
}
lib="$(mktemp -d)"
trap 'rm -rf "$lib"' EXIT
R CMD INSTALL --no-test-load --library="$lib" "$source_dir" >/dev/null
R_LIBS="$lib" Rscript --vanilla tools/coinr/references.R tests/fixtures/coinr/more
