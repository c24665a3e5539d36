"""A real ``loket region serve`` process and real hubs pushing to it (tests/hubproc.py)."""

from __future__ import annotations

import json
import subprocess
import urllib.request
from pathlib import Path

import pytest
from hubproc import free_port


def region_profile(tmp_path: Path, dsn: str, **extra) -> Path:
    lines = ["[region]", 'name = "Jawa Tengah"', f"dsn = {json.dumps(dsn)}"]
    lines += [f"{k} = {json.dumps(v)}" for k, v in extra.items()]
    path = tmp_path / "region.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def loket(python: str, env: dict, cwd: Path, *argv: str) -> str:
    done = subprocess.run(
        [python, "-m", "loket.cli", *argv],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


class RegionProcess:
    def __init__(self, python: str, config: Path, env: dict, cwd: Path, port: int | None = None):
        argv = [python, "-m", "loket.cli", "region", "serve", "--config", str(config)]
        argv += ["--port", str(port or free_port())]
        self.proc = subprocess.Popen(
            argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env, cwd=cwd
        )
        assert self.proc.stdout is not None
        self.output = []
        for line in self.proc.stdout:
            self.output.append(line)
            if "serving on http://" in line:
                self.url = line.split("serving on ", 1)[1].split()[0].rstrip("/")
                self.port = int(self.url.rsplit(":", 1)[1])
                return
        pytest.fail("region did not start:\n" + "".join(self.output))

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=30)
        if self.proc.stdout is not None:
            self.proc.stdout.close()


def add_upstream(profile: Path, url: str, site: str, token: str, tmp: Path) -> None:
    token_file = tmp / f"{site}.token"
    token_file.write_text(token + "\n", encoding="utf-8")
    text = profile.read_text(encoding="utf-8")
    text += (
        f'\n[upstream]\nurl = "{url}"\nsite = "{site}"\ntoken_file = "{token_file}"\n'
        "interval_s = 0.2\nmax_backoff_s = 1.0\n"
    )
    profile.write_text(text, encoding="utf-8")


def get_json(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=30) as r:
        return json.loads(r.read())
