"""The kinds of step ``setup.sh --pi`` takes, each idempotent and each able to say what it
would do (``--dry-run``) before doing it.

A step either writes a file (only when its content or mode differs), appends a line to a file
that lacks it, or runs a command guarded by a check (``useradd`` only for a missing user).
Every path is under ``root`` ("/" on a Pi; a debootstrap chroot's folder in the slow test),
and the commands take that root themselves (``useradd --root``, ``systemctl --root``), so the
same plan runs on a Pi and into a chroot without entering it.
"""

from __future__ import annotations

import grp
import os
import pwd
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Context:
    """Where and how the plan runs."""

    root: Path
    dry_run: bool
    say: Callable[[str], None] = print
    run: Callable[..., subprocess.CompletedProcess] = subprocess.run
    changed: list[str] = field(default_factory=list)

    def path(self, absolute: str | Path) -> Path:
        return self.root / str(absolute).lstrip("/")

    def on_host(self) -> bool:
        return self.root == Path("/")


class Step:
    """One thing to make true. ``kind`` groups steps for ``--skip`` (apt, user, ...)."""

    kind = "step"

    def describe(self) -> str:
        raise NotImplementedError

    def needed(self, ctx: Context) -> bool:
        return True

    def apply(self, ctx: Context) -> None:
        raise NotImplementedError


@dataclass
class WriteFile(Step):
    dest: str
    content: str
    mode: int = 0o644
    owner: tuple[str, str] | None = None  # (user, group); None = root's
    kind: str = "file"

    def describe(self) -> str:
        own = f" {self.owner[0]}:{self.owner[1]}" if self.owner else ""
        return f"write {self.dest} ({oct(self.mode)[2:]}{own}, {len(self.content)} bytes)"

    def needed(self, ctx: Context) -> bool:
        path = ctx.path(self.dest)
        try:
            same = path.read_text("utf-8") == self.content
            return not same or (path.stat().st_mode & 0o7777) != self.mode
        except OSError:
            return True

    def apply(self, ctx: Context) -> None:
        path = ctx.path(self.dest)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".loket-new")
        tmp.write_text(self.content, "utf-8")
        tmp.chmod(self.mode)
        if self.owner:
            os.chown(tmp, *ids(ctx, *self.owner))
        os.replace(tmp, path)


@dataclass
class MakeDir(Step):
    dest: str
    mode: int = 0o755
    owner: tuple[str, str] | None = None
    kind: str = "folder"

    def describe(self) -> str:
        own = f" {self.owner[0]}:{self.owner[1]}" if self.owner else ""
        return f"folder {self.dest} ({oct(self.mode)[2:]}{own})"

    def needed(self, ctx: Context) -> bool:
        path = ctx.path(self.dest)
        if not path.is_dir() or (path.stat().st_mode & 0o7777) != self.mode:
            return True
        if self.owner:
            st = path.stat()
            try:
                return (st.st_uid, st.st_gid) != ids(ctx, *self.owner)
            except KeyError:
                return True
        return False

    def apply(self, ctx: Context) -> None:
        path = ctx.path(self.dest)
        path.mkdir(parents=True, exist_ok=True)
        path.chmod(self.mode)
        if self.owner:
            os.chown(path, *ids(ctx, *self.owner))


@dataclass
class EnsureLine(Step):
    """A line in a file that others own too (/boot/firmware/config.txt): appended once."""

    dest: str
    line: str
    kind: str = "line"

    def describe(self) -> str:
        return f"line {self.line!r} in {self.dest}"

    def needed(self, ctx: Context) -> bool:
        try:
            lines = ctx.path(self.dest).read_text("utf-8").splitlines()
        except OSError:
            return True
        return self.line not in (x.strip() for x in lines)

    def apply(self, ctx: Context) -> None:
        path = ctx.path(self.dest)
        path.parent.mkdir(parents=True, exist_ok=True)
        old = path.read_text("utf-8") if path.exists() else ""
        sep = "" if not old or old.endswith("\n") else "\n"
        path.write_text(f"{old}{sep}# added by loket setup\n{self.line}\n", "utf-8")


@dataclass
class EnsureWord(Step):
    """A word on a one-line file (the kernel command line in /boot/firmware/cmdline.txt):
    appended once. A missing file is not created: that is no Raspberry Pi boot partition."""

    dest: str
    word: str
    kind: str = "line"

    def describe(self) -> str:
        return f"word {self.word!r} on {self.dest}"

    def needed(self, ctx: Context) -> bool:
        try:
            return self.word not in ctx.path(self.dest).read_text("utf-8").split()
        except OSError:
            return False

    def apply(self, ctx: Context) -> None:
        path = ctx.path(self.dest)
        line = path.read_text("utf-8").strip()
        path.write_text(f"{line} {self.word}\n" if line else f"{self.word}\n", "utf-8")


@dataclass
class Symlink(Step):
    """``dest`` -> ``target`` (an absolute path as seen inside the root), replacing another
    link there. What ``systemctl set-default`` writes, without needing the target's unit
    file in the root: a chroot without systemd installed gets the same link a Pi does."""

    dest: str
    target: str
    kind: str = "link"

    def describe(self) -> str:
        return f"link {self.dest} -> {self.target}"

    def needed(self, ctx: Context) -> bool:
        path = ctx.path(self.dest)
        return not (path.is_symlink() and os.readlink(path) == self.target)

    def apply(self, ctx: Context) -> None:
        path = ctx.path(self.dest)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".loket-new")
        tmp.unlink(missing_ok=True)
        tmp.symlink_to(self.target)
        os.replace(tmp, path)


@dataclass
class Command(Step):
    argv: Sequence[str]
    kind: str = "command"
    unless: Callable[[Context], bool] | None = None  # already true: skip
    host_only: bool = False  # only on the running system (udevadm reload), not a chroot
    why: str = ""

    def describe(self) -> str:
        text = " ".join(self.argv)
        return f"run {text}" + (f"  # {self.why}" if self.why else "")

    def needed(self, ctx: Context) -> bool:
        if self.host_only and not ctx.on_host():
            return False
        return not (self.unless and self.unless(ctx))

    def apply(self, ctx: Context) -> None:
        done = ctx.run(list(self.argv), capture_output=True, text=True)
        if done.returncode != 0:
            raise SetupError(
                f"{' '.join(self.argv)} failed ({done.returncode}): "
                f"{(done.stderr or done.stdout).strip()[-500:]}"
            )


class SetupError(RuntimeError):
    """A step could not be carried out; the message says which and why."""


def ids(ctx: Context, user: str, group: str) -> tuple[int, int]:
    """uid and gid from the root's own passwd/group files (a chroot's are not the host's)."""
    if ctx.on_host():
        return pwd.getpwnam(user).pw_uid, grp.getgrnam(group).gr_gid
    return _lookup(ctx.path("/etc/passwd"), user), _lookup(ctx.path("/etc/group"), group)


def _lookup(path: Path, name: str) -> int:
    for line in path.read_text("utf-8").splitlines():
        parts = line.split(":")
        if parts and parts[0] == name:
            return int(parts[2])
    raise KeyError(f"{name} not in {path}")


def has_user(ctx: Context, user: str) -> bool:
    try:
        ids(ctx, user, "root")
        return True
    except (KeyError, OSError):
        return False


def has_group(ctx: Context, group: str) -> bool:
    try:
        _lookup(ctx.path("/etc/group"), group)
        return True
    except (KeyError, OSError):
        return False


def in_group(ctx: Context, user: str, group: str) -> bool:
    try:
        for line in ctx.path("/etc/group").read_text("utf-8").splitlines():
            parts = line.split(":")
            if parts[0] == group and len(parts) > 3:
                return user in parts[3].split(",")
    except OSError:
        pass
    return False


def run_plan(steps: Sequence[Step], ctx: Context, skip: frozenset[str] = frozenset()) -> int:
    """Carry out (or with ``dry_run`` print) every step; returns how many changed something."""
    for step in steps:
        if step.kind in skip:
            ctx.say(f"skip   {step.describe()}  (--skip {step.kind})")
            continue
        if ctx.dry_run:
            ctx.say(f"would  {step.describe()}")
            continue
        if getattr(step, "host_only", False) and not ctx.on_host():
            ctx.say(f"skip   {step.describe()}  (only on the running system)")
            continue
        if not step.needed(ctx):
            ctx.say(f"ok     {step.describe()}")
            continue
        ctx.say(f"do     {step.describe()}")
        step.apply(ctx)
        ctx.changed.append(step.describe())
    return len(ctx.changed)
