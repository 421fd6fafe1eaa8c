#!/usr/bin/env bash
# Installs the tools that build Python and JavaScript methodology plugins, at
# pinned versions, into .tools/ of this checkout (where `cityrank build` looks for
# them; CITYRANK_TOOLS overrides the place):
#   .tools/python  a venv with componentize-py (PyPI)
#   .tools/node    jco and componentize-qjs (npm), as locked in tools/node/package-lock.json
# Needs python3 (with venv) and node/npm; on Debian: apt-get install python3-venv nodejs npm.
# Safe to run again: it does nothing when the pinned versions are there.
set -euo pipefail
COMPONENTIZE_PY=0.25.1
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
dest="${CITYRANK_TOOLS:-$root/.tools}"
mkdir -p "$dest"

need() {
  if ! command -v "$1" >/dev/null 2>&1; then
    echo "install-authoring-tools: \`$1\` is missing; install it (Debian: apt-get install $2)" >&2
    exit 1
  fi
}
need python3 "python3 python3-venv"
need npm "nodejs npm"

# Python: componentize-py in its own venv.
py="$dest/python"
if [ "$("$py/bin/componentize-py" --version 2>/dev/null | awk '{print $2}')" != "$COMPONENTIZE_PY" ]; then
  rm -rf "$py"
  python3 -m venv "$py"
  "$py/bin/pip" install --quiet --disable-pip-version-check "componentize-py==$COMPONENTIZE_PY"
fi
echo "componentize-py $("$py/bin/componentize-py" --version | awk '{print $2}') in $py"

# JavaScript: exactly what the lock file says.
js="$dest/node"
mkdir -p "$js"
if ! cmp -s "$here/node/package-lock.json" "$js/package-lock.json" || [ ! -x "$js/node_modules/.bin/componentize-qjs" ]; then
  cp "$here/node/package.json" "$here/node/package-lock.json" "$js/"
  (cd "$js" && npm ci --silent --no-audit --no-fund)
fi
echo "componentize-qjs $(node -p "require('$js/node_modules/componentize-qjs/package.json').version") in $js"
