"""The image builds and runs any component: the gateway and a service start from it (podman,
--network host), answer /healthz, pass the image's HEALTHCHECK and run as a non-root user.

Needs podman (Debian's, with runc) and the Debian-packaged base image deploy/README.md shows how
to make (`localhost/debian-python:bookworm`; no public registry is reachable here). Without them
the test is skipped, unless ECOM_TEST_IMAGE=1 asks for it (then it fails). A build from a cold
cache downloads the dependencies and takes minutes, so .ci/run does not run it (see
deploy/README.md "The image").
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]
BASE_IMAGE = "localhost/debian-python:bookworm"
TAG = "localhost/ecom:image-test"
CA_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")
# runc, not crun (which fails on cgroups in hybrid mode here); no default ulimits (DESIGN.md).
CONTAINERS_CONF = '[containers]\ndefault_ulimits = []\n[engine]\nruntime = "runc"\n'
NON_ROOT_UID = "10001"


def _unavailable(env: dict[str, str]) -> str | None:
    """Why the image cannot be built here, or None."""
    if shutil.which("podman") is None:
        return "podman is not installed (apt-get install podman runc debootstrap)"
    found = subprocess.run(
        ["podman", "image", "exists", BASE_IMAGE], env=env, capture_output=True, check=False
    )
    if found.returncode != 0:
        return f"the base image {BASE_IMAGE} is absent (deploy/README.md shows how to make it)"
    return None


@pytest.fixture(scope="module")
def podman_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    env = dict(os.environ)
    if "CONTAINERS_CONF" not in env:
        conf = tmp_path_factory.mktemp("podman") / "containers.conf"
        conf.write_text(CONTAINERS_CONF)
        env["CONTAINERS_CONF"] = str(conf)
    reason = _unavailable(env)
    if reason is not None:
        if os.environ.get("ECOM_TEST_IMAGE") == "1":
            pytest.fail(f"ECOM_TEST_IMAGE=1 but {reason}")
        pytest.skip(reason)
    return env


def podman(
    env: dict[str, str], *args: str, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["podman", *args], env=env, capture_output=True, text=True, timeout=timeout, check=False
    )


@pytest.fixture(scope="module")
def image(podman_env: dict[str, str]) -> str:
    command = ["build", "--network", "host", "--build-arg", f"BASE={BASE_IMAGE}"]
    if CA_BUNDLE.exists():  # this machine's pip trusts this bundle (pip config list)
        command += ["--secret", f"id=pip_cert,src={CA_BUNDLE}"]
    command += ["-f", "deploy/Dockerfile", "-t", TAG, str(ROOT)]
    started = time.monotonic()
    built = subprocess.run(
        ["podman", *command],
        env=podman_env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=1800,
        check=False,
    )
    assert built.returncode == 0, built.stdout[-4000:] + built.stderr[-4000:]
    print(f"image built in {time.monotonic() - started:.0f} s")
    return TAG


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def wait_healthy(url: str, timeout_s: float = 60) -> int:
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 (loopback)
                return int(response.status)
        except (urllib.error.URLError, OSError):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


@pytest.fixture
def run(podman_env: dict[str, str], image: str) -> Iterator[list[str]]:
    """Start containers of the image; every one is removed at the end."""
    started: list[str] = []
    yield started
    for container in started:
        podman(podman_env, "rm", "--force", "--time", "2", container)


def start(env: dict[str, str], image: str, started: list[str], *args: str) -> str:
    environment = {
        "ECOM_MODE": "compose",
        "ECOM_JWT_SECRET": "image-test-jwt",
        "ECOM_INTERNAL_SECRET": "image-test-internal",
        # Nothing listens there: /healthz answers without the database.
        "ECOM_DATABASE_URL": "postgresql://ecom_loyalty:x@127.0.0.1:1/datamart",
    }
    flags = [f"--env={key}={value}" for key, value in environment.items()]
    *settings, component = args
    result = podman(
        env, "run", "--detach", "--network", "host", *flags, *settings, image, "serve", component
    )
    assert result.returncode == 0, result.stderr
    container = result.stdout.strip()
    started.append(container)
    return container


def test_gateway_and_a_service_run_from_the_image_as_non_root(
    podman_env: dict[str, str], image: str, run: list[str]
) -> None:
    gateway_port, loyalty_port = free_port(), free_port()
    gateway = start(
        podman_env,
        image,
        run,
        f"--env=ECOM_GATEWAY_PORT={gateway_port}",
        f"--env=ECOM_LOYALTY_SERVICE_URL=http://127.0.0.1:{loyalty_port}",
        "gateway",
    )
    loyalty = start(podman_env, image, run, f"--env=ECOM_LOYALTY_PORT={loyalty_port}", "loyalty")

    for container, port in ((gateway, gateway_port), (loyalty, loyalty_port)):
        try:
            assert wait_healthy(f"http://127.0.0.1:{port}/healthz") == 200
        except (urllib.error.URLError, OSError):
            logs = podman(podman_env, "logs", container)
            pytest.fail(f"no /healthz on {port}: {logs.stdout[-3000:]}{logs.stderr[-3000:]}")
        # The component itself (PID 1 of the container) runs as the image's unprivileged user.
        status = podman(podman_env, "exec", container, "cat", "/proc/1/status")
        uid_line = next(line for line in status.stdout.splitlines() if line.startswith("Uid:"))
        assert uid_line.split()[1:] == [NON_ROOT_UID] * 4, uid_line

    # The image's own HEALTHCHECK probes the gateway's default port; given its URL it passes.
    probe = podman(
        podman_env,
        "exec",
        gateway,
        "python3",
        "/opt/ecom/healthcheck.py",
        f"http://127.0.0.1:{gateway_port}/healthz",
    )
    assert probe.returncode == 0, probe.stderr
    down = podman(
        podman_env, "exec", gateway, "python3", "/opt/ecom/healthcheck.py", "http://127.0.0.1:1/"
    )
    assert down.returncode == 1


def test_final_stage_has_no_build_tools_and_runs_the_cli(
    podman_env: dict[str, str], image: str
) -> None:
    tools = podman(
        podman_env,
        "run",
        "--rm",
        "--network",
        "host",
        "--entrypoint",
        "/bin/sh",
        image,
        "-c",
        "for tool in gcc cc make; do command -v $tool; done; id -u",
    )
    assert tools.stdout.split() == [NON_ROOT_UID], tools.stdout + tools.stderr
    help_text = podman(podman_env, "run", "--rm", "--network", "host", image, "--help")
    assert help_text.returncode == 0, help_text.stderr
    assert "serve" in help_text.stdout
