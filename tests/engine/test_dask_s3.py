"""``--engine dask`` over ``s3://`` prefixes on moto's S3 server (loopback): each object a task on a worker."""

from __future__ import annotations

import gzip
import io
import os
from collections.abc import Iterator
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pytest

from egressmap.cli import main
from egressmap.engine.inputs import Task, expand, list_objects
from egressmap.engine.tasks import run_task

from .logs import write_logs

pytest.importorskip("distributed")
pytest.importorskip("s3fs")
boto3 = pytest.importorskip("boto3")
server = pytest.importorskip("moto.server")
BUCKET = "flow-logs-archive"


@pytest.fixture(scope="module")
def s3() -> Iterator[str]:
    """moto's S3 on 127.0.0.1 (a free port), reached through the standard AWS settings, by workers too."""
    moto = server.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    moto.start()
    host, port = moto.get_host_and_port()
    env = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1",
           "AWS_ENDPOINT_URL": f"http://{host}:{port}", "AWS_SESSION_TOKEN": "testing"}  # fmt: skip
    saved = {key: os.environ.get(key) for key in (*env, "AWS_PROFILE")}
    os.environ.pop("AWS_PROFILE", None)
    os.environ.update(env)
    try:
        yield env["AWS_ENDPOINT_URL"]
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        moto.stop()


@pytest.fixture(scope="module")
def objects(s3: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Logs of several kinds uploaded (some gzip-compressed); the local copy, a folder named as the bucket."""
    made = write_logs(tmp_path_factory.mktemp("made"), lines=1500,
                      names=("access.log", "r53.log", "nfw.log", "flow.log", "hosts.txt"))  # fmt: skip
    client = boto3.client("s3")
    client.create_bucket(Bucket=BUCKET)
    copy = tmp_path_factory.mktemp("copy")
    for n, path in enumerate(made):
        gz = n % 2 == 0 and not path.name.endswith(".gz")
        key = f"AWSLogs/444455556666/{'gz/' if gz else ''}{path.name}{'.gz' if gz else ''}"
        body = gzip.compress(path.read_bytes(), mtime=0) if gz else path.read_bytes()
        client.put_object(Bucket=BUCKET, Key=key, Body=body)
        (copy / BUCKET / key).parent.mkdir(parents=True, exist_ok=True)
        (copy / BUCKET / key).write_bytes(body)
    client.put_object(Bucket=BUCKET, Key="AWSLogs/", Body=b"")  # a console "folder": not an object to read
    client.put_object(Bucket=BUCKET, Key="other/elsewhere.log", Body=b"not.this.one.example\n")
    return copy


def _run(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main(list(args))
    return code, out.getvalue(), err.getvalue()


def test_objects_on_two_workers_build_what_their_local_copy_builds(objects: Path) -> None:
    """The same JSON, the local copy's paths read as the objects' s3:// names (sources name s3://b/key:LINE)."""
    local_paths = [str(p) for p in sorted((objects / BUCKET / "AWSLogs").rglob("*")) if p.is_file()]
    code, local, local_err = _run("build", "--to", "json", *local_paths)
    assert code == 0, local_err
    code, dask, err = _run("build", "--to", "json", "--engine", "dask", "--workers", "2",
                           f"s3://{BUCKET}/AWSLogs/")  # fmt: skip
    assert code == 0, err
    assert dask == local.replace(f"{objects}/", "s3://")
    assert f"s3://{BUCKET}/AWSLogs/444455556666/gz/access.log.gz:" in dask
    assert "elsewhere" not in dask
    assert err.splitlines()[0] == "egressmap: dask: 8 task(s) for 8 input(s)"
    assert err.splitlines()[1:] == local_err.replace(f"{objects}/", "s3://").splitlines()


def test_listing_prefixes_and_patterns(objects: Path) -> None:
    base = f"s3://{BUCKET}/AWSLogs/444455556666"
    assert list_objects(f"{base}/gz") == [f"{base}/gz/access.log.gz", f"{base}/gz/hosts.txt.gz",
                                          f"{base}/gz/zeek-conn.log.gz"]  # fmt: skip
    assert list_objects(f"{base}/*.log") == [
        f"{base}/{n}" for n in ("flow.log", "nfw.log", "r53.log", "zeek-dns.log")
    ]
    assert len(expand([f"s3://{BUCKET}"])) == 9  # every object in the bucket, not the folder marker


def test_a_bucket_that_cannot_be_listed_is_an_input_not_read(s3: str) -> None:
    code, out, err = _run("build", "--engine", "dask", f"s3://no-such-bucket-{os.getpid()}/AWSLogs/")
    assert code == 1 and out == "" and "Traceback" not in err
    assert f"egressmap: s3://no-such-bucket-{os.getpid()}/AWSLogs/: cannot list the objects (" in err
    assert "egressmap: error: no input could be read" in err
    (report,) = [e for e in expand([f"s3://{BUCKET}/nothing-here/"]) if not isinstance(e, str)]
    assert report.error == f"s3://{BUCKET}/nothing-here/: no object under this prefix"


def test_an_object_gone_before_its_task_ran(s3: str) -> None:
    """Deleted between listing and reading (a lifecycle rule): that input's error, in its report."""
    uri = f"s3://{BUCKET}/AWSLogs/gone.log"
    evidence = run_task(Task(uri))
    (report,) = evidence.report.inputs
    assert report.origin == uri and report.error is not None
    assert report.error.startswith(f"{uri}: cannot read the object (FileNotFoundError")
