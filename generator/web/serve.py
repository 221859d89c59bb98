"""Run the web app with uvicorn on a socket bound here (so a free port is known before the server starts)."""

from __future__ import annotations

import contextlib
import socket
import threading
import webbrowser
from pathlib import Path

from generator import api
from generator.api import InputError


def bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise InputError(f"cannot listen on {host}:{port}: {exc.strerror}", hint="choose another --port") from exc
    sock.listen(64)
    sock.set_inheritable(True)
    return sock


def url_of(host: str, port: int, token: str | None) -> str:
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}/" + (f"?token={token}" if token else "")


def serve(*, host: str, port: int, data: Path | None, token: str | None, today: str | None, browser: bool) -> None:
    import click
    import uvicorn

    from generator.web.app import Config, create_app

    if today is not None:
        api.check_today(today)
    sock = bind(host, port)
    port = sock.getsockname()[1]
    app = create_app(Config(host=host, port=port, data=data, token=token, today=today))
    url = url_of(host, port, token)
    config = uvicorn.Config(app, log_level="warning", access_log=False, server_header=False, date_header=False)
    server = uvicorn.Server(config)
    click.echo(f"internpack is running at {url}  (Ctrl-C stops it)")
    if data is not None:
        click.echo(f"Placements are kept in {data}/")
    if browser:
        threading.Timer(0.5, webbrowser.open, args=(url,)).start()
    with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C: uvicorn shuts down (temp folder removed), re-raises it
        server.run(sockets=[sock])
    click.echo("internpack serve stopped.")
