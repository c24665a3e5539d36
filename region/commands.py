"""``loket region serve|add-site|adduser --config region.toml`` (the CLI calls these)."""

from __future__ import annotations

import getpass
import logging
import signal
import sys
from typing import Any

from core.config_region import load_region_config


def _pool(config):
    from region.db import open_pool, prepare

    pool = open_pool(config)
    prepare(pool, config)  # migrations and partitions before anything is served
    return pool


def serve(args: Any) -> int:
    """Run the regional server with waitress; migrations are applied first."""
    import waitress

    from region import create_app

    config = load_region_config(args.config)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    pool = _pool(config)
    app = create_app(config, pool)
    port = args.port if getattr(args, "port", None) else config.port
    try:
        server = waitress.create_server(
            app, host=config.host, port=port, threads=config.threads, ident="loket-region"
        )
    except OSError as exc:
        pool.close()
        print(f"loket: cannot listen on {config.host}:{port}: {exc.strerror}", file=sys.stderr)
        return 1
    signal.signal(signal.SIGTERM, _stop)
    print(f"Loket region serving on http://{config.host}:{server.effective_port}/", flush=True)
    try:
        server.run()
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        server.close()
        pool.close()
    return 0


def _stop(signum: int, frame: Any) -> None:
    raise SystemExit(0)


def add_site(args: Any) -> int:
    """Register a site and print its token once (the hub's ``[upstream] token_file``)."""
    from region.sites import add_site as register

    pool = _pool(load_region_config(args.config))
    try:
        with pool.connection() as conn:
            token = register(conn, args.site, args.name)
    except ValueError as exc:
        print(f"loket: {exc}", file=sys.stderr)
        return 2
    finally:
        pool.close()
    print(token)
    return 0


def adduser(args: Any) -> int:
    from region.sites import add_user

    password = args.password if args.password is not None else getpass.getpass("Password: ")
    pool = _pool(load_region_config(args.config))
    try:
        with pool.connection() as conn:
            add_user(conn, args.username, password, args.role)
    except ValueError as exc:
        print(f"loket: {exc}", file=sys.stderr)
        return 2
    finally:
        pool.close()
    print(f"user {args.username!r} ({args.role}) saved")
    return 0
