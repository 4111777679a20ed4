#!/usr/bin/env bash
# Installs code-server (a real VS Code served to a browser) into its own folder for the
# end-to-end and integration tests, following ../shared/notes/vscode-e2e.md. It lives outside
# the main package.json so that `npm ci` stays plain and fast everywhere else.
#
# Usage: test/e2e/install-code-server.sh [DIR]   (default: $HOME/.cache/mcpo-e2e/code-server)
# Idempotent: a second run with everything in place only prints the entry point.
# The last line of stdout is the absolute path of out/node/entry.js (scripts capture it).
set -euo pipefail

# 4.100.3 = VS Code 1.100.3: the last code-server line that runs on Node 20 (newer need Node 24).
CODE_SERVER_VERSION=4.100.3
# The @vscode/ripgrep that this code-server's bundled VS Code depends on, and the asset its
# postinstall (lib/postinstall.js VERSION 'v13.0.0-10', lib/download.js cache folder
# `$TMPDIR/vscode-ripgrep-cache-<package version>`) looks for before going to GitHub.
RIPGREP_PKG_VERSION=1.15.11
RIPGREP_ASSET=ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz

DIR="${1:-${HOME}/.cache/mcpo-e2e/code-server}"
ENTRY="$DIR/node_modules/code-server/out/node/entry.js"
START=$(date +%s)

log() { echo "[install-code-server] $*" >&2; }

# --- Debian packages: kerberos native module headers, ripgrep (seeds the cache), the browser.
missing=()
for pkg in libkrb5-dev ripgrep chromium; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done
if ((${#missing[@]})); then
  if [[ $(id -u) -ne 0 ]]; then
    log "missing Debian packages: ${missing[*]} (run as root or install them first)"; exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  # `apt-get update` only when the package lists are empty (a fresh container): it is slow.
  if ! compgen -G '/var/lib/apt/lists/*_Packages' >/dev/null; then
    log "apt-get update"
    apt-get update -qq >&2
  fi
  log "apt-get install ${missing[*]}"
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi

# --- Already installed at the pinned version? Then there is nothing to do.
installed_version() {
  node -p "require('$DIR/node_modules/code-server/package.json').version" 2>/dev/null || true
}
if [[ -f "$ENTRY" && "$(installed_version)" == "$CODE_SERVER_VERSION" ]]; then
  log "code-server $CODE_SERVER_VERSION already in $DIR"
  echo "$ENTRY"
  exit 0
fi

mkdir -p "$DIR"

# --- Seed @vscode/ripgrep's download cache with Debian's rg, so its postinstall never needs
# GitHub (blocked here). It extracts `rg` from the tarball's root.
TMP_ROOT="${TMPDIR:-/tmp}"
RG_CACHE="$TMP_ROOT/vscode-ripgrep-cache-$RIPGREP_PKG_VERSION"
if [[ ! -s "$RG_CACHE/$RIPGREP_ASSET" ]]; then
  mkdir -p "$RG_CACHE"
  staging=$(mktemp -d)
  cp /usr/bin/rg "$staging/rg"
  tar -czf "$RG_CACHE/$RIPGREP_ASSET" -C "$staging" rg
  rm -rf "$staging"
  log "seeded $RG_CACHE/$RIPGREP_ASSET"
fi

# --- A package of its own so npm installs into $DIR/node_modules, never into the repo.
if [[ ! -f "$DIR/package.json" ]]; then
  printf '{\n  "name": "mcpo-e2e-code-server",\n  "private": true\n}\n' >"$DIR/package.json"
fi
# Install scripts must run (native modules, code-server's own postinstall). Never put
# `allow-scripts=` here: code-server's inner `npm install` then fails with EALLOWSCRIPTS.
printf 'dangerously-allow-all-scripts=true\nfund=false\naudit=false\n' >"$DIR/.npmrc"

# unsafe-perm: code-server's postinstall refuses root otherwise; yes: node-pty's postinstall runs
# `npx node-gyp`; nodedir: node-gyp uses the installed Node headers instead of downloading them.
export npm_config_unsafe_perm=true
export npm_config_yes=true
export npm_config_nodedir=/usr

log "npm install code-server@$CODE_SERVER_VERSION into $DIR (about a minute)"
(cd "$DIR" && npm install --no-save --no-package-lock "code-server@$CODE_SERVER_VERSION" >&2)

if [[ ! -f "$ENTRY" ]]; then
  log "install finished but $ENTRY is missing"; exit 1
fi
# The postinstall builds native modules; a missing one only shows at start-up, so check the
# ones the server and the terminal need now.
# The same for the ripgrep binary its postinstall unpacks from the seeded cache (search needs it).
VSCODE_MODULES="$DIR/node_modules/code-server/lib/vscode/node_modules"
[[ -x "$VSCODE_MODULES/@vscode/ripgrep/bin/rg" ]] || log "warning: @vscode/ripgrep/bin/rg is missing"
for native in node-pty @vscode/spdlog; do
  if ! find "$VSCODE_MODULES/$native" -name '*.node' -print -quit 2>/dev/null | grep -q .; then
    log "warning: native module $native has no .node binary"
  fi
done
log "installed in $(( $(date +%s) - START )) s"
echo "$ENTRY"
