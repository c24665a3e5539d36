#!/usr/bin/env bash
# Set up Loket in ./.venv. Idempotent: run it again after a `git pull`.
usage() {
  cat <<'USAGE'
usage: ./setup.sh [--dev] [--python PY]
       sudo ./setup.sh --pi hub|kiosk|counter|display --profile FILE [--dry-run] [--skip KIND]

  (no option)   hub + node + demo in ./.venv (what `loket demo` needs)
  --dev         the same plus the test tools (pytest, hypothesis, ruff)
  --pi ROLE     make this Raspberry Pi a Loket ROLE: apt packages, the service user `loket`
                and its groups, /etc/loket and /var/lib/loket, the systemd unit (enabled,
                not started), udev rules, SPI for a MAX7219, chrony (the hub serves time,
                nodes follow it), journald limits. See docs/provisioning.md.
  --profile F   the hub or node profile to install (with --pi)
  --dry-run     print every step of --pi, change nothing
  --skip KIND   leave out --pi steps of a kind (apt, user, unit, udev, spi, chrony, journald)
USAGE
}
set -euo pipefail
cd "$(dirname "$0")"

dev=0
pi_role=""
python="${PYTHON:-python3}"
pi_args=()
host_apt=1  # off for --skip apt and for another root (the chroot test)
while [ $# -gt 0 ]; do
  case "$1" in
    --dev) dev=1 ;;
    --pi) pi_role="${2:-}"; shift
          case "$pi_role" in hub|kiosk|counter|display) ;;
            *) echo "setup.sh: --pi takes hub, kiosk, counter or display (see --help)" >&2; exit 2 ;;
          esac ;;
    --profile) pi_args+=(--profile "${2:?--profile needs a file}"); shift ;;
    --dry-run) pi_args+=(--dry-run) ;;
    --skip) pi_args+=(--skip "${2:?--skip needs a kind}"); case ",$2," in *,apt,*) host_apt=0 ;; esac; shift ;;
    --root) pi_args+=(--root "${2:?--root needs a folder}"); host_apt=0; shift ;;  # tests: a chroot
    --python) python="${2:?--python needs an interpreter}"; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "setup.sh: unknown option '$1' (see --help)" >&2; exit 2 ;;
  esac
  shift
done
if [ -z "$pi_role" ] && [ ${#pi_args[@]} -gt 0 ]; then
  echo "setup.sh: --profile, --dry-run and --skip go with --pi ROLE (see --help)" >&2; exit 2
fi

if ! "$python" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' 2>/dev/null; then
  echo "setup.sh: Loket needs Python >= 3.11; '$python' is $("$python" --version 2>&1 || echo missing)." >&2
  echo "          On Debian/Raspberry Pi OS: sudo apt-get install python3 python3-venv" >&2
  exit 1
fi

dry_run=0
for a in "${pi_args[@]+"${pi_args[@]}"}"; do [ "$a" = --dry-run ] && dry_run=1; done

if [ -n "$pi_role" ] && [ "$pi_role" != hub ] && [ "$dry_run" = 0 ] && [ "$host_apt" = 1 ] \
   && command -v apt-get >/dev/null; then
  # Before the venv: lgpio (the only pin factory on a Pi 5) comes from apt, and spidev builds
  # from source (docs/hardware-wiring.md). The rest of the packages come with the plan.
  sudo_cmd=""; [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  $sudo_cmd apt-get install -y -qq --no-install-recommends python3-lgpio python3-dev gcc libusb-1.0-0 >/dev/null
fi

export PIP_DISABLE_PIP_VERSION_CHECK=1
if [ ! -x .venv/bin/python ] && [ "$dry_run" = 0 ]; then
  venv_opts=""
  # The system python3-lgpio must be visible inside the venv on a Pi node.
  [ -n "$pi_role" ] && [ "$pi_role" != hub ] && venv_opts="--system-site-packages"
  "$python" -m venv $venv_opts .venv
fi

extras="hub,node"
[ "$pi_role" = hub ] && extras="hub"
[ -n "$pi_role" ] && [ "$pi_role" != hub ] && extras="node"
[ "$dev" = 1 ] && extras="hub,node,dev"

if [ "$dry_run" = 0 ]; then
  .venv/bin/python -m pip install --quiet --upgrade pip
  # setuptools warns on every editable install of a flat layout (core/, hub/, node/ at the
  # top): known and harmless here, and the only packaging noise left.
  PYTHONWARNINGS="ignore:Editable installation:UserWarning" \
    .venv/bin/python -m pip install --quiet -e ".[${extras}]"
fi

if [ -n "$pi_role" ]; then
  # The plan is Python (loket/pi_setup.py): testable, and it validates the profile first.
  py=.venv/bin/python; [ -x "$py" ] || py="$python"
  exec "$py" -m loket.pi_setup "$pi_role" "${pi_args[@]}"
fi

echo "Loket is installed in .venv (extras: ${extras})."
echo "  Demo:  .venv/bin/loket demo"
[ "$dev" = 1 ] && echo "  Tests: .venv/bin/python -m pytest"
exit 0
