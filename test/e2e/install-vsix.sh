#!/usr/bin/env bash
# Packages the extension (unless a .vsix is given) and installs it into a fresh code-server
# extensions folder, the way a user installs a downloaded .vsix. Proves the package is valid for
# VS Code 1.100 (engines, manifest) and contains what runs: dist/extension.js and the sample.
#
# Usage: test/e2e/install-vsix.sh [VSIX] [EXTENSIONS_DIR]
#   VSIX            default: npm run package → test-artifacts/mcpo-workbench-linux-x64.vsix
#   EXTENSIONS_DIR  default: a temporary folder, removed afterwards
# Env: MCPO_CODE_SERVER_DIR (default $HOME/.cache/mcpo-e2e/code-server).
# Prints the .vsix path on the last line of stdout.
set -euo pipefail
cd "$(dirname "$0")/../.."

log() { echo "[install-vsix] $*" >&2; }
CODE_SERVER_DIR="${MCPO_CODE_SERVER_DIR:-$HOME/.cache/mcpo-e2e/code-server}"
ENTRY="$CODE_SERVER_DIR/node_modules/code-server/out/node/entry.js"
[[ -f "$ENTRY" ]] || { log "code-server missing in $CODE_SERVER_DIR: run test/e2e/install-code-server.sh"; exit 1; }

ID=$(node -p "const p=require('./package.json'); p.publisher + '.' + p.name")
VERSION=$(node -p "require('./package.json').version")

VSIX="${1:-}"
if [[ -z "$VSIX" ]]; then
  VSIX=test-artifacts/mcpo-workbench-linux-x64.vsix
  start=$(date +%s%N)
  # Builds, then packages per platform: see test/package/packageVsix.ts for what is kept and why.
  npm run package </dev/null >&2
  log "packaged $VSIX ($(du -h "$VSIX" | cut -f1)) in $(( ($(date +%s%N) - start) / 1000000 )) ms"
fi
VSIX=$(realpath "$VSIX")

EXT_DIR="${2:-}"
if [[ -z "$EXT_DIR" ]]; then
  EXT_DIR=$(mktemp -d "${TMPDIR:-/tmp}/mcpo-vsix-XXXXXX")
  trap 'rm -rf "$EXT_DIR"' EXIT
fi
# code-server's CLI writes state under the user-data dir and XDG dirs: keep them in EXT_DIR too.
export XDG_DATA_HOME="$EXT_DIR/.xdg-data" XDG_CONFIG_HOME="$EXT_DIR/.xdg-config"
cs() { node "$ENTRY" --user-data-dir "$EXT_DIR/.user" --extensions-dir "$EXT_DIR" "$@"; }

start=$(date +%s%N)
cs --install-extension "$VSIX" --force >&2
log "installed in $(( ($(date +%s%N) - start) / 1000000 )) ms"

listed=$(cs --list-extensions --show-versions)
grep -qx "$ID@$VERSION" <<<"$listed" || { log "$ID@$VERSION not listed after install: $listed"; exit 1; }
installed=$(find "$EXT_DIR" -maxdepth 1 -type d -name "$ID-$VERSION*" | head -1)
for f in package.json dist/extension.js server/dataset/sample/shopbench-dev.jsonl; do
  [[ -f "$installed/$f" ]] || { log "$f missing from the installed extension $installed"; exit 1; }
done
log "ok: $ID@$VERSION installed in $installed"
echo "$VSIX"
