"""``loket provision``: a fresh Pi becomes a paired node with one code.

::

    loket provision --hub http://192.168.1.10:8080 --code ABCD-EFGH [--template counter-max7219]
                    [--out /etc/loket/node.toml] [--token-file FILE] [--data DIR] [--force]
    loket provision --list                     # the hardware templates

The technician got the code on the hub (admin page or ``loket hub device add ID``). Here it
is exchanged once (``POST /api/v1/pair``, contract "Added by pairing"); the device token goes
straight into a file of mode 0600 and is never printed; the node profile is the chosen
hardware template (``firmware_config/node/*.toml``: pins, display, printer) with its
``[node]`` table written from the hub's record of the device (id, role, counter, services,
the hub's address, ``token_file``) and, for a counter, its display's ``prefixes`` set to the
counter's services. The profile is checked with the validator ``loket config check`` runs,
then the token is tried on an authenticated route, and a summary says what was written.

The template's role is sent with the code, so a code for a counter offered to a display
template is refused before it is spent. Runs on a node without the hub's packages: stdlib and
``core`` only.
"""

from __future__ import annotations

import json
import os
import re
import sys
import tomllib
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from core.config_schema import valid_url
from core.errors import ConfigError
from core.paths import firmware_config_dir
from core.profile_toml import dump_profile

# The template a role gets when --template is not given: the shipped real hardware.
DEFAULT_TEMPLATES = {
    "counter": "counter-max7219",
    "kiosk": "kiosk-usb",
    "display": "display-pygame",
}
TIMEOUT_S = 15
EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


class ProvisionError(Exception):
    """A step that failed, with the line the technician reads (and the exit code)."""

    def __init__(self, message: str, exit_code: int = EXIT_FAILED):
        super().__init__(message)
        self.exit_code = exit_code


def templates_dir() -> Path:
    return firmware_config_dir() / "node"


def templates() -> dict[str, dict[str, str]]:
    """Shipped templates by name: ``{role, about}`` (about = the file's first comment)."""
    found = {}
    for path in sorted(templates_dir().glob("*.toml")):
        text = path.read_text(encoding="utf-8")
        try:
            role = tomllib.loads(text).get("node", {}).get("role", "?")
        except tomllib.TOMLDecodeError:
            continue
        about = next((ln[1:].strip() for ln in text.splitlines() if ln.startswith("#")), "")
        found[path.stem] = {"role": str(role), "about": about, "path": str(path)}
    return found


def template_path(name: str) -> Path:
    """A shipped template's name (``counter-max7219``) or a path to a TOML file."""
    if name.endswith(".toml") or os.sep in name:
        path = Path(name)
    else:
        path = templates_dir() / f"{name}.toml"
    if not path.is_file():
        names = ", ".join(templates()) or "(none)"
        raise ProvisionError(f"no template {name!r}; expected one of: {names}", EXIT_USAGE)
    return path


def template_role(path: Path) -> str | None:
    try:
        role = tomllib.loads(path.read_text(encoding="utf-8")).get("node", {}).get("role")
    except tomllib.TOMLDecodeError as exc:
        raise ProvisionError(f"template {path} is not valid TOML ({exc})", EXIT_USAGE) from None
    return role if isinstance(role, str) else None


# -- the hub ------------------------------------------------------------------------------------


def _request(
    url: str, *, body: dict | None = None, token: str | None = None
) -> tuple[int, dict[str, Any]]:
    headers = {"Accept": "application/json"}
    if body is not None:
        headers["Content-Type"] = "application/json"
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, headers=headers, method="POST" if data else "GET")
    try:
        with urllib.request.urlopen(req, timeout=TIMEOUT_S) as resp:
            return resp.status, json.loads(resp.read() or b"{}")
    except urllib.error.HTTPError as exc:
        with exc:
            try:
                answer = json.loads(exc.read() or b"{}")
            except ValueError:
                answer = {}
        return exc.code, answer if isinstance(answer, dict) else {}
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        raise ProvisionError(
            f"cannot reach the hub at {url.split('/api/')[0]} ({reason}); check --hub (e.g. "
            "http://192.168.1.10:8080), the network cable and that the hub runs"
        ) from None


def exchange(hub: str, code: str, role: str | None) -> dict[str, Any]:
    """The hub's answer to the code: ``{token, device, hub}``; ProvisionError otherwise."""
    body = {"code": code} if role is None else {"code": code, "role": role}
    status, answer = _request(f"{hub}/api/v1/pair", body=body)
    if status == 200 and isinstance(answer.get("token"), str) and answer.get("device"):
        return answer
    message = answer.get("message") or f"HTTP {status}"
    if status == 404 and not answer.get("error"):
        message = "this hub has no pairing route (an older release?)"
    raise ProvisionError(f"the hub refused the code: {message}")


def check_connection(hub: str, token: str) -> dict[str, Any]:
    """One authenticated call, as the node will make them (its changes feed)."""
    status, answer = _request(f"{hub}/api/v1/sync/changes?since=0&limit=1", token=token)
    if status != 200:
        raise ProvisionError(
            f"the hub refused the new token on an authenticated call: HTTP {status} "
            f"{answer.get('message') or ''}".rstrip()
        )
    return answer


# -- files --------------------------------------------------------------------------------------


def writable_or_fail(path: Path) -> None:
    """Before the code is spent: can ``path`` be written (its folder made)?"""
    folder = path.parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    target = path if path.exists() else folder
    if not os.access(target, os.W_OK):
        raise ProvisionError(
            f"cannot write {path} ({target} is not writable for this user); run with sudo or "
            "choose --out / --token-file (the code is not spent)",
            EXIT_USAGE,
        )


def write_private(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` with mode 0600 from the first byte (temp file, rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o600)
    try:
        os.write(fd, text.encode("utf-8"))
        os.fsync(fd)
    finally:
        os.close(fd)
    os.chmod(tmp, 0o600)  # an existing temp file keeps its mode through O_CREAT
    os.replace(tmp, path)


def write_public(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    with open(tmp, "rb+") as f:
        os.fsync(f.fileno())
    os.replace(tmp, path)


# -- the profile --------------------------------------------------------------------------------

_HEADER = re.compile(r"^\s*\[{1,2}\s*([A-Za-z0-9_.\-]+)\s*\]{1,2}\s*(#.*)?$")


def _blocks(text: str) -> list[tuple[str | None, list[str]]]:
    """The template's lines grouped by the table they belong to (None: before any table)."""
    blocks: list[tuple[str | None, list[str]]] = [(None, [])]
    for line in text.splitlines():
        match = _HEADER.match(line)
        if match:
            blocks.append((match.group(1), [line]))
        else:
            blocks[-1][1].append(line)
    return blocks


def node_table(device: dict[str, Any], hub: str, token_file: Path, data_dir: str) -> dict:
    table: dict[str, Any] = {"id": device["id"], "role": device["role"]}
    if device["role"] == "counter":
        table["counter"] = device["id"]
    if device["role"] == "kiosk":
        table["services"] = list(device.get("services") or [])
    table.update(
        hub_url=hub, token_file=str(token_file), data_dir=data_dir, name=device.get("name")
    )
    return table


def render_profile(template_text: str, device: dict[str, Any], node: dict[str, Any]) -> str:
    """The template with its ``[node]`` table replaced and a counter's display prefixes set."""
    prefixes = [p for p in device.get("prefixes") or [] if p]
    out: list[str] = []
    wrote_node = False
    for name, lines in _blocks(template_text):
        if name == "node":
            out += [
                f"# [node] written by `loket provision` from the hub's record of {device['id']}",
                *dump_profile({"node": node}).rstrip("\n").splitlines(),
                "",
            ]
            wrote_node = True
            continue
        if name == "display" and device["role"] == "counter" and prefixes:
            lines = _with_prefixes(lines, prefixes)
        out += lines
    if not wrote_node:
        out += ["", *dump_profile({"node": node}).splitlines()]
    return "\n".join(out).rstrip("\n") + "\n"


def _with_prefixes(lines: list[str], prefixes: list[str]) -> list[str]:
    value = f"prefixes = {json.dumps(prefixes)}  # the counter's services (from the hub)"
    replaced = [value if re.match(r"^\s*prefixes\s*=", ln) else ln for ln in lines]
    if replaced == lines:
        replaced = [lines[0], value, *lines[1:]]
    return replaced


def validate(text: str, source: Path) -> Any:
    from core.config import node_config_from_dict

    return node_config_from_dict(tomllib.loads(text), source=source)


# -- the command --------------------------------------------------------------------------------


def list_templates(out: Any = None) -> int:
    out = out or sys.stdout
    found = templates()
    width = max((len(n) for n in found), default=4)
    for name, info in found.items():
        mark = " (default)" if DEFAULT_TEMPLATES.get(info["role"]) == name else ""
        print(f"{name.ljust(width)}  {info['role']:<8} {info['about']}{mark}", file=out)
    return EXIT_OK


def run(args: Any) -> int:
    """``loket provision``; returns the exit code (messages on stderr, summary on stdout)."""
    if getattr(args, "list", False):
        return list_templates()
    try:
        return provision(args)
    except ProvisionError as exc:
        print(f"loket provision: {exc}", file=sys.stderr)
        return exc.exit_code
    except OSError as exc:  # a write that failed after the checks (disk full, read-only root)
        print(f"loket provision: {exc.strerror or exc}: {exc.filename or ''}", file=sys.stderr)
        return EXIT_FAILED


def provision(args: Any) -> int:
    hub = (args.hub or "").rstrip("/")
    if not hub or not args.code:
        raise ProvisionError("--hub URL and --code CODE are needed (or --list)", EXIT_USAGE)
    if not valid_url(hub):
        raise ProvisionError(
            f"--hub {hub!r} is not an http(s) URL; expected e.g. http://192.168.1.10:8080",
            EXIT_USAGE,
        )
    out = Path(os.path.abspath(args.out))
    token_file = Path(os.path.abspath(args.token_file or out.with_name("token")))
    if out.exists() and not args.force:
        raise ProvisionError(
            f"{out} exists; add --force to replace it (the code is not spent)", EXIT_USAGE
        )
    for path in (out, token_file):
        writable_or_fail(path)
    chosen = template_path(args.template) if args.template else None
    role = template_role(chosen) if chosen else None

    answer = exchange(hub, args.code, role)
    device = answer["device"]
    # The token first, so a later failure never loses it (the code is spent now).
    write_private(token_file, answer["token"] + "\n")
    if chosen is None:
        chosen = template_path(DEFAULT_TEMPLATES[device["role"]])
    template_text = chosen.read_text(encoding="utf-8")
    data_dir = str(args.data) if getattr(args, "data", None) else _template_data_dir(template_text)
    node = node_table(device, hub, token_file, data_dir)
    text = render_profile(template_text, device, node)
    try:
        config = validate(text, out)
    except ConfigError as exc:
        rejected = out.with_name(out.name + ".rejected")
        write_public(rejected, text)
        raise ProvisionError(
            f"the profile from template {chosen.stem} does not pass the check; written to "
            f"{rejected} to fix by hand (the token is in {token_file}):\n{exc}"
        ) from None
    write_public(out, text)
    feed = check_connection(hub, answer["token"])
    print(summary(device, hub, out, chosen.stem, token_file, feed, answer.get("hub") or {}))
    note = display_mismatch(device, config.display)
    if note:
        print(f"Note: {note}")
    return EXIT_OK


# What kind of number display each display backend drives (fake/console: any, for tests).
_BACKEND_KIND = {"tm1637": "7seg", "serial": "serial"}


def display_mismatch(device: dict[str, Any], display: Any) -> str | None:
    """The hub's profile says which display a counter has (``[[counters]] display``, used to
    check its prefixes); a template for another kind is legal but likely the wrong one."""
    wanted = (device.get("counter") or {}).get("display")
    if not wanted or display is None or display.backend in ("fake", "console"):
        return None
    have = _BACKEND_KIND.get(display.backend) or display.get("kind", "7seg")
    if wanted == "none" or have == wanted:
        return None
    return (
        f"the hub lists {device['id']}'s display as {wanted!r} but the template drives a "
        f"{have!r} ({display.backend}); check the template or the hub profile"
    )


def _template_data_dir(text: str) -> str:
    value = tomllib.loads(text).get("node", {}).get("data_dir")
    return value if isinstance(value, str) and value else "/var/lib/loket/node"


def summary(
    device: dict, hub: str, out: Path, template: str, token_file: Path, feed: dict, info: dict
) -> str:
    role = device["role"]
    what = device.get("name") or device["id"]
    counter = device.get("counter") or {}
    lines = [f"Provisioned {device['id']}: {role} {what!r}"]
    mpp = (device.get("mpp") or {}).get("name")
    if mpp:
        lines[0] += f" of {mpp}"
    rows = [
        ("hub", f"{hub} (epoch {feed.get('hub_epoch') or info.get('epoch') or '?'})"),
        ("profile", f"{out} (template {template})"),
        ("token", f"{token_file} (mode 0600, not shown)"),
    ]
    if counter:
        rows.append(("counter", f"loket {counter.get('number')}, display {counter.get('display')}"))
    if device.get("services"):
        rows.append(("services", ", ".join(device["services"])))
    if device.get("zone"):
        rows.append(("zone", device["zone"]))
    rows.append(("check", "OK: the hub accepted the token on an authenticated call"))
    lines += [f"  {name:<9} {value}" for name, value in rows]
    lines.append(
        f"Next: loket config check {out}; then start the node (loket node run --config {out})"
    )
    return "\n".join(lines)
