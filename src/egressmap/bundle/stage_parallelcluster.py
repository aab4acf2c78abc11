"""``bundle stage parallelcluster``: the standalone installer staged the way seed 002 installs it with no internet.

Seed 002 (AWS HPC Blog, "Securing HPC on AWS – isolated clusters"): the installer is pre-loaded into an S3
bucket; an admin node's user data pulls it from S3 over the S3 gateway endpoint and installs it; Route 53 and
IAM have no VPC endpoint, so the cluster config sets ``DisableManagedDns: true`` and ``UseEc2Hostnames: true``,
``pcluster create-cluster`` gets ``--suppress-validators type:AdditionalIamPolicyValidator`` and the CLI needs
``AWS_STS_REGIONAL_ENDPOINTS=regional``. The install steps (``unzip … -d pcluster-installer-bundle``,
``chmod +x install_pcluster.sh``, ``bash install_pcluster.sh``, ``pcluster version``) are the ParallelCluster
user guide's (``install-v3-install-standalone.md``).

The stage directory gets ``parallelcluster/<version>/`` (the installer and its ``-sha256sum``, as they go into
the bucket), ``admin-node-user-data.sh`` and ``cluster-config-isolated.yaml`` (the settings to merge).
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from .files import disk_error, published_sha256, sha256_file
from .manifest import BundleError, LockedFile, read_bundle

USER_DATA = "admin-node-user-data.sh"
CONFIG = "cluster-config-isolated.yaml"
PLACEHOLDER = "YOUR-BUCKET"
_ZIP = re.compile(r"^parallelcluster/([^/]+)/([^/]+\.zip)$")
ISOLATED_CONFIG = """\
# Merge into the ParallelCluster config: Route 53 has no VPC endpoint, so no managed DNS (seed 002).
Scheduling:
  Scheduler: slurm
  SlurmSettings:
    Dns:
      DisableManagedDns: true
      UseEc2Hostnames: true
"""


@dataclass(frozen=True)
class StagedInstaller:
    """What ``stage_parallelcluster`` wrote."""

    version: str
    zip_name: str
    sha256: str
    directory: Path
    bucket: str
    prefix: str


def stage_parallelcluster(bundle: str, version: str, out: Path, bucket: str | None) -> StagedInstaller:
    """Copy the installer (checked against the lock and its ``-sha256sum`` again) and write the user data."""
    _, lock = read_bundle(bundle)
    zips = {(m.group(1), m.group(2)): f for f in lock.files if (m := _ZIP.match(f.path))}
    held = sorted({v for v, _ in zips})
    wanted = [(name, f) for (v, name), f in zips.items() if v == version]
    if not wanted:
        listed = ", ".join(held) or "no ParallelCluster installer"
        raise BundleError(f"{bundle} has no ParallelCluster {version} installer; it holds: {listed}")
    if len(wanted) > 1:
        raise BundleError(f"{bundle}: more than one installer zip for ParallelCluster {version}")
    name, zf = wanted[0]
    root = Path(bundle)
    sha = _checked(root, zf, bundle)
    sums = next((f for f in lock.files if f.path == f"{zf.path}-sha256sum"), None)
    if sums is not None:
        _checked(root, sums, bundle)
        text = (root / sums.path).read_text(encoding="utf-8", errors="replace")
        try:
            published = published_sha256(text, name, sums.path)
        except ValueError as exc:
            raise BundleError(str(exc)) from None
        if published != sha:
            raise BundleError(f"{zf.path}: sha256 {sha} is not the {published} its -sha256sum publishes")
    prefix = f"parallelcluster/{version}"
    target = out / prefix
    staged = StagedInstaller(version, name, sha, out, bucket or PLACEHOLDER, prefix)
    try:
        target.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(root / zf.path, target / name)
        if sums is not None:
            shutil.copyfile(root / sums.path, target / f"{name}-sha256sum")
        (out / USER_DATA).write_text(user_data(staged), encoding="utf-8")
        (out / CONFIG).write_text(ISOLATED_CONFIG, encoding="utf-8")
    except OSError as exc:
        raise disk_error(exc, Path(exc.filename or out), None) from None
    return staged


def _checked(root: Path, f: LockedFile, bundle: str) -> str:
    path = root / f.path
    if not path.is_file() or path.stat().st_size != f.size or sha256_file(path) != f.sha256:
        raise BundleError(
            f"{bundle}: {f.path} is missing or not what the lock says (run 'egressmap bundle verify')"
        )
    return f.sha256


def user_data(s: StagedInstaller) -> str:
    """The admin node's user data: installer from S3 (gateway endpoint), sha256 checked, installed."""
    return f"""#!/bin/bash
# Admin node user data (egressmap bundle stage parallelcluster): installs the ParallelCluster {s.version}
# standalone installer from S3 through the S3 gateway endpoint; no internet needed.
set -euo pipefail
BUCKET="{s.bucket}"
PREFIX="{s.prefix}"
ZIP="{s.zip_name}"
SHA256="{s.sha256}"
TOKEN=$(curl -sS -X PUT http://169.254.169.254/latest/api/token -H "X-aws-ec2-metadata-token-ttl-seconds: 300")
REGION=$(curl -sS -H "X-aws-ec2-metadata-token: $TOKEN" http://169.254.169.254/latest/meta-data/placement/region)
export AWS_DEFAULT_REGION="$REGION"
export AWS_STS_REGIONAL_ENDPOINTS=regional  # STS has an endpoint, but only the regional one is reachable
mkdir -p /opt/pcluster-installer && cd /opt/pcluster-installer
aws s3 cp "s3://$BUCKET/$PREFIX/$ZIP" . --region "$REGION"
echo "$SHA256  $ZIP" | sha256sum -c -
unzip -q -o "$ZIP" -d pcluster-installer-bundle
cd pcluster-installer-bundle
chmod +x install_pcluster.sh
bash install_pcluster.sh
pcluster version
"""


def steps(s: StagedInstaller) -> str:
    """The remaining steps: upload, user data, isolated-mode settings."""
    lines = [
        f"Staged the ParallelCluster {s.version} installer in {s.directory / s.prefix} (sha256 {s.sha256}).",
        "",
        "1. Upload it to the bucket the admin node reads through the S3 gateway endpoint:",
        f"   aws s3 cp {s.directory / s.prefix}/ s3://{s.bucket}/{s.prefix}/ --recursive",
        f"2. Launch the admin node with {s.directory / USER_DATA} as its user data (it checks the sha256,",
        "   unzips and runs install_pcluster.sh).",
        f"3. Merge {s.directory / CONFIG} into the cluster config (DisableManagedDns: true, UseEc2Hostnames: true).",
        "4. Create the cluster (IAM has no VPC endpoint, STS only a regional one):",
        "   export AWS_STS_REGIONAL_ENDPOINTS=regional",
        "   pcluster create-cluster --cluster-name NAME --cluster-configuration FILE "
        "--suppress-validators type:AdditionalIamPolicyValidator",
    ]
    if s.bucket == PLACEHOLDER:
        lines.append(
            f"Replace {PLACEHOLDER} (in the command and the user data), or stage again with --bucket NAME."
        )
    return "\n".join(lines)
