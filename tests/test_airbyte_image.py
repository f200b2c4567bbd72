"""The Airbyte image, built from airbyte/Dockerfile and run as self-hosted Airbyte runs it.

Driven by airbyte/acceptance-test-config.yml and its fixtures, against the fake tenant: `spec`;
`check` with good and wrong credentials; `discover`; `read` with the configured catalog, then again
with the last state (nothing repeated); the future state (nothing read). Config, catalog and state
are mounted read-only, the image runs as its own non-root user, on the host's network (the fake
tenant listens on 127.0.0.1).

`DOCKER` names the docker command, `AIRBYTE_BASE_IMAGE` a base to build on (CI: a stand-in made by
airbyte/standin-base/build.sh, since Airbyte's own cannot be pulled there). Where Docker cannot run
these tests skip with one line saying why; with `REQUIRE_DOCKER=1` (CI) they fail instead.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml

from tap_auth0_logs.testing import DEFAULT_CLIENT_SECRET, TenantLogs

# One worker builds the image and runs every test on it (pytest-xdist's loadgroup).
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("airbyte-image")]

ROOT = Path(__file__).resolve().parent.parent
AIRBYTE = ROOT / "airbyte"
ACCEPTANCE = yaml.safe_load((AIRBYTE / "acceptance-test-config.yml").read_text())
DOCKER = os.environ.get("DOCKER", "docker")
IMAGE = "tap-auth0-logs/source-auth0-logs:test"


PROBE = "tap-auth0-logs/buildkit-probe:test"
#: What a client that cannot build airbyte/Dockerfile should get, in the skip line.
BUILDKIT_FIX = (
    "install Docker's buildx plugin (docker-buildx-plugin), or point DOCKER at a client that "
    "builds with the daemon's own BuildKit (Debian's docker.io does)"
)


def docker_problem(docker: str = DOCKER) -> str | None:
    """Why the image cannot be built and run here, or None.

    The Dockerfile needs BuildKit (`RUN --mount=type=secret`): a daemon that answers `info` is
    not enough when the client has no way to build with BuildKit (Docker's own static client
    without the buildx plugin). So a one-file image is built the way the fixture builds.
    """
    if shutil.which(docker) is None:
        return f"no `{docker}` command: install Docker, or point DOCKER at its client"
    done = subprocess.run([docker, "info"], capture_output=True, text=True, check=False)
    if done.returncode:
        lines = (done.stderr or done.stdout).strip().splitlines()
        return f"no Docker daemon: {lines[-1] if lines else done.returncode}"
    with tempfile.TemporaryDirectory() as context:
        (Path(context) / "Dockerfile").write_text("FROM scratch\nCOPY Dockerfile /probe\n")
        done = subprocess.run(
            [docker, "build", "-q", "-t", PROBE, context],
            env={**os.environ, "DOCKER_BUILDKIT": "1"},
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
    if done.returncode:
        lines = (done.stderr or done.stdout).strip().splitlines()
        reason = lines[0].strip() if lines else f"exit {done.returncode}"  # the rest is advice
        return f"`{docker}` cannot build with BuildKit ({reason}): {BUILDKIT_FIX}"
    subprocess.run([docker, "image", "rm", "-f", PROBE], capture_output=True, check=False)
    return None


def unavailable(problem: str, required: bool) -> None:
    """Skip with the reason, or fail with it where Docker is required (CI)."""
    if required:
        pytest.fail(f"REQUIRE_DOCKER is set but the image cannot be built here: {problem}")
    pytest.skip(f"the Airbyte image cannot be built here ({problem})")


@pytest.fixture(scope="module")
def image() -> str:
    """The image, built as a user builds it (the CA a BuildKit secret, when one is set)."""
    problem = docker_problem()
    if problem is not None:
        unavailable(problem, required=bool(os.environ.get("REQUIRE_DOCKER")))
    command = [DOCKER, "build", "--network", "host", "-f", "airbyte/Dockerfile", "-t", IMAGE]
    if base := os.environ.get("AIRBYTE_BASE_IMAGE"):
        command += ["--build-arg", f"BASE_IMAGE={base}"]
    ca = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("SSL_CERT_FILE")
    if ca and Path(ca).is_file():  # behind a TLS-inspecting proxy, as the README says
        command += ["--secret", f"id=ca,src={ca}"]
    done = subprocess.run(
        [*command, "."],
        cwd=ROOT,
        env={**os.environ, "DOCKER_BUILDKIT": "1"},
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    return IMAGE


def fake_client(tmp_path: Path, build: str) -> str:
    """A docker command whose `info` answers and whose `build` does what `build` says."""
    client = tmp_path / "docker"
    client.write_text(
        "#!/bin/sh\n"
        'case "$1" in\n'
        "  info) echo 'Server Version: 28.2.2'; exit 0 ;;\n"
        f"  build) {build} ;;\n"
        "  *) exit 0 ;;\n"
        "esac\n"
    )
    client.chmod(0o755)
    return str(client)


@pytest.mark.parametrize("required", [False, True])
def test_a_client_that_answers_info_but_cannot_build_with_buildkit_skips_naming_the_fix(
    tmp_path, required
):
    """Docker's static client without buildx: `info` works, `build` refuses BuildKit."""
    refused = "ERROR: BuildKit is enabled but the buildx component is missing or broken."
    advice = "       Install the buildx component to build images with BuildKit:"
    client = fake_client(tmp_path, f"echo '{refused}' >&2; echo '{advice}' >&2; exit 1")

    problem = docker_problem(client)

    assert problem is not None
    assert refused in problem
    assert "buildx plugin" in problem
    assert "point DOCKER at a client" in problem
    outcome = pytest.fail.Exception if required else pytest.skip.Exception
    with pytest.raises(outcome, match="buildx"):
        unavailable(problem, required=required)


def test_a_client_that_builds_with_buildkit_is_usable(tmp_path):
    client = fake_client(tmp_path, "echo sha256:0123; exit 0")
    assert docker_problem(client) is None


def test_no_daemon_is_said_before_any_build(tmp_path):
    client = tmp_path / "docker"
    client.write_text("#!/bin/sh\necho 'Cannot connect to the Docker daemon' >&2\nexit 1\n")
    client.chmod(0o755)
    assert docker_problem(str(client)) == "no Docker daemon: Cannot connect to the Docker daemon"


def run(
    image: str, *args: str, secrets: Path | None = None, entrypoint: str | None = None
) -> tuple[int, list[dict[str, Any]], str]:
    """`docker run` the image as Airbyte does; its exit code, its messages, its stderr."""
    command = [DOCKER, "run", "--rm", "--network", "host"]
    if secrets is not None:
        command += ["-v", f"{secrets}:/secrets:ro"]
    if entrypoint is not None:
        command += ["--entrypoint", entrypoint]
    done = subprocess.run(
        [*command, image, *args], capture_output=True, text=True, timeout=300, check=False
    )
    messages = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    return done.returncode, messages, done.stderr


def secrets_dir(tmp_path: Path, config: dict[str, Any], state: Any = None) -> Path:
    """What Airbyte mounts: the config, the configured catalog and the state, as fixtures."""
    folder = tmp_path / "secrets"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "config.json").write_text(json.dumps(config))
    catalog = ACCEPTANCE["acceptance_tests"]["basic_read"]["tests"][0]["configured_catalog_path"]
    shutil.copy(AIRBYTE / catalog, folder / "catalog.json")
    (folder / "state.json").write_text(json.dumps(state if state is not None else []))
    for path in folder.iterdir():
        path.chmod(0o444)  # readable by the image's non-root user, writable by nobody
    folder.chmod(0o555)
    return folder


def of(messages: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [m for m in messages if m["type"] == kind]


def test_the_image_answers_spec_as_the_acceptance_fixture_says(image):
    spec_path = ACCEPTANCE["acceptance_tests"]["spec"]["tests"][0]["spec_path"]

    code, messages, _ = run(image, "spec")

    assert code == 0
    assert messages[0]["spec"] == json.loads((AIRBYTE / spec_path).read_text())


def test_check_succeeds_with_good_credentials_and_fails_clearly_with_wrong_ones(
    image, tmp_path, make_tenant
):
    tenant = make_tenant(TenantLogs(count=10))
    good = secrets_dir(tmp_path / "good", tenant.config())
    wrong = secrets_dir(tmp_path / "wrong", tenant.config(client_secret="wrong-secret"))
    invalid = ACCEPTANCE["acceptance_tests"]["connection"]["tests"][1]["config_path"]

    statuses = []
    for folder in (good, wrong):
        code, messages, _ = run(image, "check", "--config", "/secrets/config.json", secrets=folder)
        assert code == 0
        statuses.append(messages[-1]["connectionStatus"])
    code, messages, _ = run(
        image,
        "check",
        "--config",
        f"/secrets/{Path(invalid).name}",
        secrets=AIRBYTE / "integration_tests",
    )

    assert [s["status"] for s in statuses] == ["SUCCEEDED", "FAILED"]
    assert "client_secret" in statuses[1]["message"]
    assert DEFAULT_CLIENT_SECRET not in json.dumps(statuses)
    assert messages[-1]["connectionStatus"]["status"] == "FAILED"


def test_discover_lists_the_three_streams(image, tmp_path, make_tenant):
    tenant = make_tenant(TenantLogs(count=10))

    code, messages, _ = run(
        image,
        "discover",
        "--config",
        "/secrets/config.json",
        secrets=secrets_dir(tmp_path, tenant.config()),
    )

    assert code == 0
    names = {s["name"] for s in messages[-1]["catalog"]["streams"]}
    assert names == {"logs", "log_search", "user_logs"}


def test_read_then_read_again_with_the_last_state_delivers_every_log_once(
    image, tmp_path, make_tenant
):
    tenant = make_tenant(TenantLogs(count=2500))
    args = ["read", "--config", "/secrets/config.json", "--catalog", "/secrets/catalog.json"]

    code, first, stderr = run(image, *args, secrets=secrets_dir(tmp_path / "1", tenant.config()))
    assert code == 0, stderr
    states = of(first, "STATE")
    assert states
    last = {s["state"]["stream"]["stream_descriptor"]["name"]: s["state"] for s in states}
    statuses = [
        m["trace"]["stream_status"]["status"]
        for m in of(first, "TRACE")
        if m["trace"]["type"] == "STREAM_STATUS"
    ]
    assert statuses == ["STARTED", "RUNNING", "COMPLETE"]

    tenant.logs.count = 2700  # 200 new logs
    again = secrets_dir(tmp_path / "2", tenant.config(), list(last.values()))
    code, second, stderr = run(image, *args, "--state", "/secrets/state.json", secrets=again)
    assert code == 0, stderr

    ids = [m["record"]["data"]["log_id"] for m in of(first, "RECORD") + of(second, "RECORD")]
    assert Counter(ids) == Counter(tenant.logs.ids())  # every log exactly once over both runs
    assert len(of(second, "RECORD")) == 200


def test_a_future_state_reads_nothing(image, tmp_path, make_tenant):
    tenant = make_tenant(TenantLogs(count=300))
    future = ACCEPTANCE["acceptance_tests"]["incremental"]["tests"][0]["future_state"]
    state = json.loads((AIRBYTE / future["future_state_path"]).read_text())
    folder = secrets_dir(tmp_path, tenant.config(), state)

    code, messages, stderr = run(
        image,
        "read",
        "--config",
        "/secrets/config.json",
        "--catalog",
        "/secrets/catalog.json",
        "--state",
        "/secrets/state.json",
        secrets=folder,
    )

    assert code == 0, stderr
    assert of(messages, "RECORD") == []


def test_the_image_runs_as_a_non_root_user_and_keeps_no_build_secret(image):
    code, _, _ = run(image, "-c", 'test "$(id -u)" != 0', entrypoint="sh")
    assert code == 0
    code, _, _ = run(image, "-c", "test ! -e /run/secrets/ca", entrypoint="sh")
    assert code == 0
    inspected = subprocess.run(
        [DOCKER, "image", "inspect", image, "--format", "{{.Config.User}}"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert inspected.stdout.strip() == "airbyte"
