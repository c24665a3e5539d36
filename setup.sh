#!/usr/bin/env bash
# Set up Loket in ./.venv. Idempotent: run it again after a `git pull`.
#
#   ./setup.sh              hub + node + demo (what `loket demo` needs)
#   ./setup.sh --dev        the same plus the test tools (pytest, hypothesis, ruff)
#   ./setup.sh --pi hub     on a Raspberry Pi hub: hub extras only
#   ./setup.sh --pi node    on a Raspberry Pi node: node extras, system GPIO/SPI/USB libraries,
#                           a venv that sees Raspberry Pi OS's python3-lgpio
set -euo pipefail
cd "$(dirname "$0")"

dev=0
pi_role=""
python="${PYTHON:-python3}"
while [ $# -gt 0 ]; do
  case "$1" in
    --dev) dev=1 ;;
    --pi) pi_role="${2:-}"; shift
          case "$pi_role" in hub|node) ;; *) echo "setup.sh: --pi takes 'hub' or 'node'" >&2; exit 2 ;; esac ;;
    --python) python="${2:?--python needs an interpreter}"; shift ;;
    -h|--help) sed -n '2,9p' "$0"; exit 0 ;;
    *) echo "setup.sh: unknown option '$1' (see --help)" >&2; exit 2 ;;
  esac
  shift
done

if ! "$python" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' 2>/dev/null; then
  echo "setup.sh: Loket needs Python >= 3.11; '$python' is $("$python" --version 2>&1 || echo missing)." >&2
  echo "          On Debian/Raspberry Pi OS: sudo apt-get install python3 python3-venv" >&2
  exit 1
fi

if [ "$pi_role" = node ]; then
  # lgpio is the only pin factory that works on a Pi 5 (notes/hardware.md); spidev builds from
  # source; libusb lets python-escpos reach USB printers.
  pkgs="python3-lgpio python3-dev gcc libusb-1.0-0"
  if command -v apt-get >/dev/null; then
    sudo_cmd=""; [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
    $sudo_cmd apt-get update
    $sudo_cmd apt-get install -y --no-install-recommends $pkgs
  else
    echo "setup.sh: install these system packages by hand: $pkgs" >&2
  fi
fi

if [ ! -x .venv/bin/python ]; then
  venv_opts=""
  # The system python3-lgpio must be visible inside the venv on a Pi node.
  [ "$pi_role" = node ] && venv_opts="--system-site-packages"
  "$python" -m venv $venv_opts .venv
fi

extras="hub,node"
[ "$pi_role" = hub ] && extras="hub"
[ "$pi_role" = node ] && extras="node"
[ "$dev" = 1 ] && extras="hub,node,dev"

.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e ".[${extras}]"

echo "Loket is installed in .venv (extras: ${extras})."
echo "  Demo:  .venv/bin/loket demo"
[ "$dev" = 1 ] && echo "  Tests: .venv/bin/python -m pytest"
exit 0
