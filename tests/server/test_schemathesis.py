"""schemathesis against the published OpenAPI document: no 5xx, no answer outside the schema.

Bounded runs of the schemathesis command line with a fixed seed, as a school (every operation) and,
at the same time, as a reviewer (the review operations, whose answers a school never sees). The
coverage phase — every boundary and wrong type of every parameter, about 600 requests — runs on
PostgreSQL, the stricter database (NUL characters, integer ranges); SQLite gets the fuzzing phase
only, to keep the suite short. Runs last in its backend group (file order): its random decisions
may change submissions in the reviewer's scope.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from tests.server.conftest import World

CHECKS = "not_a_server_error,response_schema_conformance,status_code_conformance,content_type_conformance"
EXAMPLES_PER_OPERATION = "4"


def _schemathesis() -> str:
    found = shutil.which("schemathesis", path=str(Path(sys.executable).parent)) or shutil.which(
        "schemathesis"
    )
    assert found, "schemathesis is installed with the dev dependencies"
    return found


def _start(
    live: World, token: str, address: str, report: Path, phases: str, *extra: str
) -> subprocess.Popen[str]:
    # Run in the report's folder: schemathesis keeps a cache folder (.schemathesis) where it runs.
    options = {
        "--checks": CHECKS,
        "--phases": phases,
        "--max-examples": EXAMPLES_PER_OPERATION,
        "--seed": "20261122",
        "--request-timeout": "60",
        "--report": "junit",
        "--report-junit-path": str(report),
    }
    headers = [
        f"Authorization: Bearer {token}",
        # Its failed logins count against this address only, not the 127.0.0.1 of the other tests.
        f"X-Forwarded-For: {address}",
    ]
    command = [_schemathesis(), "run", f"{live.api}/openapi.json", "--no-shrink", *extra]
    command += [part for option, value in options.items() for part in (option, value)]
    command += [part for header in headers for part in ("--header", header)]
    return subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=report.parent
    )


def test_schemathesis_finds_no_server_errors_or_schema_violations(live: World, tmp_path: Path) -> None:
    school = live.school_token("schemathesis")
    # Both runs at once: the server answers them side by side, the suite waits half as long.
    school_phases = "coverage,fuzzing" if live.backend == "postgresql" else "fuzzing"
    runs = {
        "school": _start(live, school, "10.99.1.1", tmp_path / "school.xml", school_phases),
        "reviewer": _start(
            live,
            live.reviewer_in,
            "10.99.1.2",
            tmp_path / "reviewer.xml",
            "fuzzing",
            "--include-path-regex",
            "/review",
        ),
    }
    outputs = {name: run.communicate(timeout=300)[0] for name, run in runs.items()}
    for name, run in runs.items():
        assert run.returncode == 0, f"schemathesis as {name}:\n{outputs[name][-8000:]}"
        assert "passed" in outputs[name]
