#!/usr/bin/env bash
# Installs the built .deb and checks the installed program: `followup --version`, a command
# that reads a database, and an offscreen start of the desktop app up to a usable sign-in
# dialog (seen in its log). Run as root after `make package-linux` (CI does).
set -euo pipefail
cd "$(dirname "$0")/../.."
DEB=$(ls build/followup_*.deb | head -1)
export DEBIAN_FRONTEND=noninteractive
apt-get install -y -q "./$DEB" >/dev/null
HOME_DIR=$(mktemp -d /tmp/followup-smoke.XXXXXX)
APP=""
trap '[ -z "$APP" ] || kill "$APP" 2>/dev/null || true; rm -rf "$HOME_DIR"' EXIT
export HOME="$HOME_DIR" XDG_DATA_HOME="$HOME_DIR/data" XDG_CONFIG_HOME="$HOME_DIR/config" \
  XDG_STATE_HOME="$HOME_DIR/state" XDG_CACHE_HOME="$HOME_DIR/cache" QT_QPA_PLATFORM=offscreen \
  PYTHON_KEYRING_BACKEND=keyring.backends.null.Keyring

WANT="followup $(.venv/bin/python -c 'import followup; print(followup.__version__)')"
GOT=$(/usr/bin/followup --version)
[ "$GOT" = "$WANT" ] || { echo "smoke: --version said '$GOT', not '$WANT'"; exit 1; }

DB="$HOME_DIR/demo.sqlite"
/usr/bin/followup demo --cases 20 --seed 1 --db "$DB" >/dev/null
FOLLOWUP_PASSWORD=demo /usr/bin/followup cases --db "$DB" --user lead --json >"$HOME_DIR/cases.json"
grep -q "\"police_reference\"" "$HOME_DIR/cases.json" || { echo "smoke: cases listed nothing"; exit 1; }

/usr/bin/followup --db "$DB" >"$HOME_DIR/app.out" 2>&1 &
APP=$!
LOG=$(find "$HOME_DIR" -name followup.log 2>/dev/null | head -1)
for _ in $(seq 1 120); do
  LOG=$(find "$HOME_DIR" -name followup.log 2>/dev/null | head -1)
  if [ -n "$LOG" ] && grep -q "the sign-in dialog can be used" "$LOG"; then
    echo "smoke: installed $GOT, $(du -sh /opt/followup | cut -f1) in /opt/followup, started offscreen"
    exit 0
  fi
  kill -0 "$APP" 2>/dev/null || { echo "smoke: the app exited"; cat "$HOME_DIR/app.out"; exit 1; }
  sleep 0.5
done
echo "smoke: the sign-in dialog was not ready within 60 s"; cat "$HOME_DIR/app.out"; exit 1
