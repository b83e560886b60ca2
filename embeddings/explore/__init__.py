"""The explorer: a local web page over one set of vectors, and the JSON API it uses (no torch).

`serve()` loads the vectors once (the model path is fixed at start: no request names a file),
starts uvicorn on 127.0.0.1 by default and opens the page in the user's browser.
"""

from __future__ import annotations

import errno
import ipaddress
import socket
import sys
import threading
import webbrowser
from pathlib import Path

from ..errors import EmbeddingsError

__all__ = ["create_app", "serve", "is_loopback"]


def create_app(*args, **kwargs):
    """See embeddings.explore.api.create_app (imported lazily: FastAPI loads only when serving)."""
    from .api import create_app as _create_app
    return _create_app(*args, **kwargs)


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _check_port(host: str, port: int) -> None:
    """One clear line instead of uvicorn's traceback when the port is taken or the host unknown."""
    try:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        with socket.socket(family, socket.SOCK_STREAM) as s:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind((host.strip("[]"), port))
    except OSError as e:
        if e.errno == errno.EADDRINUSE:
            raise EmbeddingsError(f"port {port} on {host} is already in use; try --port {port + 1}") from None
        raise EmbeddingsError(f"cannot listen on {host}:{port}: {e.strerror or e}") from None


def serve(model_path: Path, host: str = "127.0.0.1", port: int = 8000, open_browser: bool = True,
          format: str | None = None, cache_dir: Path | None = None) -> None:
    """Load the vectors, start the server and block until Ctrl-C; then stop any projection worker."""
    import uvicorn

    from ..formats import load_vectors
    from .api import LOOPBACK_HOSTS, create_app
    from .projections import ProjectionStore, default_cache_dir

    if not 0 < port < 65536:
        raise EmbeddingsError(f"--port must be between 1 and 65535, got {port}")
    _check_port(host, port)
    wv = load_vectors(model_path, format)
    store = ProjectionStore(wv.vectors, wv.index_to_word, cache_dir or default_cache_dir(model_path))
    loopback = is_loopback(host)
    allowed = LOOPBACK_HOSTS if loopback else ("*",)
    app = create_app(wv, store, name=model_path.parent.name if model_path.parent.name else model_path.name,
                     allowed_hosts=allowed)
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    url = f"http://{'[' + shown + ']' if ':' in shown else shown}:{port}/"
    if not loopback:
        print(f"WARNING: listening on {host}, not 127.0.0.1: anyone who can reach this machine on port "
              f"{port} can use the explorer and read the vectors. Use --host 127.0.0.1 unless you mean it.",
              file=sys.stderr)
    print(f"exploring {model_path} ({len(wv):,} words x {wv.dim} dims) at {url}  (API docs: {url}docs; "
          f"Ctrl-C stops)", file=sys.stderr)
    config = uvicorn.Config(app, host=host.strip("[]"), port=port, log_level="warning", access_log=False)
    server = uvicorn.Server(config)
    if open_browser:
        def open_when_up():
            while not server.started and not server.should_exit:
                threading.Event().wait(0.05)
            if server.started:
                webbrowser.open(url)
        threading.Thread(target=open_when_up, daemon=True).start()
    # One BLAS thread: OpenBLAS's extra threads spin between calls, and on a small machine that
    # spinning took the cores the request threads needed (server CPU per request 5 ms -> 3 ms,
    # scripts/bench_explore.py). Concurrent queries share one product instead (batching.py).
    from threadpoolctl import threadpool_limits
    try:
        with threadpool_limits(limits=1, user_api="blas"):
            server.run()
    finally:
        store.shutdown()
    print("explorer stopped", file=sys.stderr)
