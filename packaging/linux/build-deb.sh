#!/usr/bin/env bash
# Builds the Linux package: build/followup_<version>_<arch>.deb, a PyInstaller folder installed
# under /opt/followup with /usr/bin/followup, a desktop entry and the icon.
# Run from the repository root: `make package-linux` (which makes the virtual environment).
set -euo pipefail
cd "$(dirname "$0")/../.."
PY=${PYTHON:-.venv/bin/python}
"$PY" -m pip install --quiet "pyinstaller>=6.10"
VERSION=$("$PY" -c 'import followup; print(followup.__version__)')
ARCH=$(dpkg --print-architecture)

rm -rf build/dist build/pyinstaller build/deb
"$PY" -m PyInstaller --noconfirm --log-level WARN --distpath build/dist \
  --workpath build/pyinstaller packaging/followup.spec

ROOTFS=build/deb/followup_${VERSION}_${ARCH}
mkdir -p "$ROOTFS/DEBIAN" "$ROOTFS/opt" "$ROOTFS/usr/bin" "$ROOTFS/usr/share/applications" \
  "$ROOTFS/usr/share/icons/hicolor/256x256/apps" "$ROOTFS/usr/share/icons/hicolor/scalable/apps"
cp -a build/dist/followup "$ROOTFS/opt/followup"
ln -s /opt/followup/followup "$ROOTFS/usr/bin/followup"
install -m 644 packaging/linux/followup.desktop "$ROOTFS/usr/share/applications/followup.desktop"
install -m 644 src/followup/resources/icons/followup-256.png \
  "$ROOTFS/usr/share/icons/hicolor/256x256/apps/followup.png"
install -m 644 src/followup/resources/icons/followup.svg \
  "$ROOTFS/usr/share/icons/hicolor/scalable/apps/followup.svg"
SIZE_KB=$(du -sk "$ROOTFS" | cut -f1)
# The system libraries Qt's xcb platform needs (the same list as README.md and .ci/run).
cat >"$ROOTFS/DEBIAN/control" <<CONTROL
Package: followup
Version: ${VERSION}
Architecture: ${ARCH}
Maintainer: Followup developers <followup@example.invalid>
Installed-Size: ${SIZE_KB}
Depends: libxcb-cursor0, libxkbcommon-x11-0, libxcb-icccm4, libxcb-keysyms1, libxcb-shape0, libxcb-render-util0, libxcb-image0, libxcb-xkb1, libxkbcommon0, libegl1, libgl1, libfontconfig1, libdbus-1-3
Section: misc
Priority: optional
Description: Case management for post-overdose follow-up and treatment referral
 Followup receives police-flagged overdose referrals, records consent, logs contact
 attempts, refers people into treatment and prints referral letters.
CONTROL
# gzip, not the default xz: several times faster to build, and the package is installed locally.
dpkg-deb -Zgzip -z6 --root-owner-group --build "$ROOTFS" "build/followup_${VERSION}_${ARCH}.deb" >/dev/null
echo "build/followup_${VERSION}_${ARCH}.deb (installed size $((SIZE_KB / 1024)) MB)"
