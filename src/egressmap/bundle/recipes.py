"""``bundle recipes``: the package managers' own commands for what a policy needs from OS and language repositories.

Recipes, not re-implementations: ``pip download`` for the ParallelCluster CLI (pip's docs: with ``--platform``
and ``--python-version``, ``--only-binary=:all:`` is required), ``dnf reposync --download-metadata
--newest-only`` then ``createrepo_c --update`` (dnf-reposync(8): with ``--newest-only`` the metadata still lists
older packages), and the three-step ``apt-offline set/get/install``. The repositories come from the catalog's
``repositories`` file (each entry's hosts and package manager); the key URLs the policy's evidence shows are
recorded, because ``apt-offline install`` does not honour ``[signed-by=…]``
(https://github.com/rickysarraf/apt-offline/issues/232).
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Sequence
from dataclasses import dataclass

from ..catalog import bundled
from ..catalog.model import CatalogEntry
from ..model import Policy, entry_covers
from .wheelhouse import Target

_STACK_LABEL = re.compile(r"\(parallelcluster (\d+(?:\.\d+)+) catalog: ")
_PIP_HOSTS = ("pypi.org", "files.pythonhosted.org")
_KEY = re.compile(r"(\.gpg|\.asc|\.key|\.pub|GPG-KEY[^/]*)$", re.IGNORECASE)


@dataclass(frozen=True)
class Repos:
    """The catalog repositories a policy's entries reach, by package manager, and the key URLs seen."""

    dnf: tuple[CatalogEntry, ...]
    apt: tuple[CatalogEntry, ...]
    keys: tuple[str, ...]


def pcluster_version(policy: Policy) -> str | None:
    """The ParallelCluster version the policy's predictions name (the highest, when several)."""
    from packaging.version import Version

    found = {m[1] for e in policy.entries for r in e.reasons for m in _STACK_LABEL.finditer(r)}
    return max(found, key=Version) if found else None


def repositories(policy: Policy, key_urls: Sequence[str]) -> Repos:
    """Catalog repository entries (apt; dnf or yum) whose hosts an entry of the policy covers."""
    entries = bundled()["repositories"].entries
    hit = [
        r
        for r in entries
        if r.component in ("apt", "dnf", "yum")
        and any(
            entry_covers(e.pattern, e.match, h) or e.pattern == h for e in policy.entries for h in r.hosts
        )
    ]
    keys = tuple(sorted({u for u in key_urls if _KEY.search(u)}))
    return Repos(
        dnf=tuple(r for r in hit if r.component in ("dnf", "yum")),
        apt=tuple(r for r in hit if r.component == "apt"),
        keys=keys,
    )


def wants_pip(policy: Policy) -> bool:
    """True when the policy reaches PyPI."""
    return any(e.pattern in _PIP_HOSTS for e in policy.entries)


def pip_recipe(package: str, target: Target, wheelhouse: str = "wheelhouse") -> list[str]:
    """``pip download`` for ``package`` on ``target``, then the offline install and the wheelhouse check."""
    major, minor = target.python.split(".")[:2]
    platforms = " ".join(f"--platform {shlex.quote(p)}" for p in target.platforms)
    return [
        "# On a connected machine (any OS): every wheel for the target, no source builds",
        f"pip download --only-binary=:all: {platforms} --python-version {major}.{minor} "
        f"--implementation cp --abi cp{major}{minor} -d {wheelhouse} {shlex.quote(package)}",
        "# Check it before carrying it across (offline: names what has no wheel for the target, pip #9262,",
        "# and build backends a source distribution would need, pip #10688)",
        f"egressmap bundle recipes --check-wheelhouse {wheelhouse} --requirement {shlex.quote(package)} "
        f"--python-version {major}.{minor} {' '.join(f'--platform {shlex.quote(p)}' for p in target.platforms)}",
        "# On the isolated host",
        f"python{major}.{minor} -m pip install --no-index --find-links {wheelhouse} {shlex.quote(package)}",
    ]


def dnf_recipe(repos: Sequence[CatalogEntry]) -> list[str]:
    """``dnf reposync`` + ``createrepo_c --update`` for each repository (the repo ids are the host's own)."""
    out = [
        "# On a connected machine with the same OS release and the same .repo files as the cluster nodes:",
        "# repositories the policy reaches: " + "; ".join(f"{r.id} ({', '.join(r.hosts)})" for r in repos),
        "dnf repolist --enabled    # the repo ids to mirror",
        "for repo in REPOID...; do",
        '  dnf reposync --repoid "$repo" --download-metadata --newest-only --destdir mirror/',
        "  # --newest-only keeps older packages in the metadata: update it, or dnf fails on the missing RPMs",
        '  createrepo_c --update "mirror/$repo"',
        "done",
        "# On the isolated side: serve mirror/ (or copy it) and point each repo's baseurl at it, gpgcheck=1",
    ]
    return out


def apt_recipe(repos: Sequence[CatalogEntry]) -> list[str]:
    """The apt-offline three steps."""
    return [
        "# repositories the policy reaches: " + "; ".join(f"{r.id} ({', '.join(r.hosts)})" for r in repos),
        "# 1. On the isolated host: what apt needs (the signature file must not be empty: apt-offline #141, #225)",
        "apt-offline set apt.sig --update --upgrade --install-packages PACKAGE...",
        "test -s apt.sig",
        "# 2. On a connected machine with the same sources",
        "apt-offline get apt.sig --bundle apt-bundle.zip",
        "# 3. Back on the isolated host",
        "apt-offline install apt-bundle.zip",
    ]


def render(
    policy: Policy, origin: str, target: Target, key_urls: Sequence[str], stack_version: str | None = None
) -> str:
    """The runbook text (deterministic)."""
    version = stack_version or pcluster_version(policy)
    repos = repositories(policy, key_urls)
    out = [f"# egressmap bundle recipes for {origin}"]
    if version or wants_pip(policy):
        package = f"aws-parallelcluster=={version}" if version else "-r requirements.txt"
        out += [
            "",
            f"## pip: {'the ParallelCluster ' + version + ' CLI' if version else 'Python packages'}",
            *pip_recipe(package, target),
        ]
    if repos.dnf:
        out += ["", "## dnf / yum repositories", *dnf_recipe(repos.dnf)]
    if repos.apt:
        out += ["", "## apt repositories", *apt_recipe(repos.apt)]
    if repos.keys:
        out += [
            "",
            "## Signing keys the evidence shows (carry them; use them as signed-by= / gpgkey= on the isolated side)",
        ]
        out += [f"#   {k}" for k in repos.keys]
    if len(out) == 1:
        out += ["", "# nothing: the policy reaches no package index or OS repository the catalog knows"]
    return "\n".join(out) + "\n"
