"""The demo's nginx configuration, run for real on loopback (Debian's nginx; the pod runs the
official image's nginx 1.30 with the same file).

Skipped where no `nginx` binary exists (`apt-get install nginx`), except in CI (`CI` set):
scripts/test installs it there, and a failed install must not pass as a skip.
"""

import http.client
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from components.exposure.demo_app import render_nginx_conf

NGINX = shutil.which("nginx") or next(
    (p for p in ("/usr/sbin/nginx", "/usr/local/sbin/nginx") if Path(p).exists()), None
)
pytestmark = pytest.mark.skipif(
    NGINX is None and not os.environ.get("CI"),
    reason="no nginx binary on this machine (apt-get install nginx)",
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server() -> Iterator[int]:
    assert NGINX is not None, "CI must run nginx: scripts/test installs the nginx package"
    # Directly under the system temp dir: pytest's own (0700, root-owned) is not reachable by
    # the pod's uid.
    with tempfile.TemporaryDirectory() as scratch:
        yield from _serve(NGINX, Path(scratch))


def _serve(nginx: str, root: Path) -> Iterator[int]:
    port = _free_port()
    conf = root / "nginx.conf"
    conf.write_text(render_nginx_conf(port, str(root)))
    # As in the pod: uid/gid 65534, a world-writable scratch directory (emptyDir), a readable
    # config. Only root can switch users; elsewhere nginx runs as the (non-root) test user.
    as_pod_user: list[str] = []
    setpriv = shutil.which("setpriv")
    if os.geteuid() == 0 and setpriv:
        as_pod_user = [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups"]
        root.chmod(0o777)
        conf.chmod(0o644)
    check = subprocess.run(
        [*as_pod_user, nginx, "-t", "-e", "stderr", "-c", str(conf)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert check.returncode == 0, check.stderr
    log = (root / "stderr.log").open("w")
    proc = subprocess.Popen([*as_pod_user, nginx, "-e", "stderr", "-c", str(conf)], stderr=log)
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
                break
            except OSError:
                time.sleep(0.05)
        else:
            log.flush()
            pytest.fail(f"nginx did not start: {(root / 'stderr.log').read_text()}")
        if as_pod_user:  # setpriv execs nginx: same pid, now owned by the pod's uid
            assert os.stat(f"/proc/{proc.pid}").st_uid == 65534
        yield port
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        log.close()


def _get(port: int, path: str, method: str = "GET", **kwargs: object) -> tuple[int, str, str]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        conn.request(method, path, **kwargs)  # type: ignore[arg-type]
        local_port = conn.sock.getsockname()[1]
        response = conn.getresponse()
        return response.status, response.read().decode(), str(local_port)
    finally:
        conn.close()


def test_clientip_answers_the_tcp_peer(server: int) -> None:
    status, body, client_port = _get(server, "/clientip")
    assert (status, body) == (200, f"127.0.0.1:{client_port}\n")


def test_clientip_ignores_forwarded_headers(server: int) -> None:
    headers = {"X-Forwarded-For": "198.51.100.7", "X-Real-IP": "198.51.100.7"}
    status, body, client_port = _get(server, "/clientip", headers=headers)
    assert (status, body) == (200, f"127.0.0.1:{client_port}\n")


def test_healthz(server: int) -> None:
    assert _get(server, "/healthz")[:2] == (200, "ok\n")


@pytest.mark.parametrize(
    "path", ["/", "/shell?cmd=id", "/upload", "/exit", "/dial?host=10.0.0.1", "/hostname"]
)
def test_everything_else_is_404(server: int, path: str) -> None:
    assert _get(server, path)[0] == 404


def test_request_bodies_are_refused(server: int) -> None:
    assert _get(server, "/clientip", method="POST", body=b"x" * 4096)[0] == 413
