#!/usr/bin/env bash
# Set up fem_cqd on a fresh machine: the Debian libraries that off-screen VTK (PyVista) and gmsh
# need, when missing, then the package itself with its test extras. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
debs="libegl1 libegl-mesa0 libgl1-mesa-dri libglu1-mesa libgl1 libxcursor1 libxft2 libxinerama1 libgomp1"
missing=""
for d in $debs; do
  dpkg-query -W -f='${Status}' "$d" 2>/dev/null | grep -q "ok installed" || missing="$missing $d"
done
if [ -n "$missing" ]; then
  echo "setup: installing Debian packages:$missing"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $missing >/dev/null
fi
"$PY" -m pip install -q --disable-pip-version-check -e ".[test]"
echo "setup: done ($("$PY" -c 'import fem_cqd, sys; print("fem_cqd", fem_cqd.__version__, "python", sys.version.split()[0])'))"
