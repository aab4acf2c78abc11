from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from egressmap.classify import categories, classify
from egressmap.errors import EgressmapError

EXAMPLES = {
    # os-packages
    "security.ubuntu.com": "os-packages",
    "us-east-1.ec2.archive.ubuntu.com": "os-packages",
    "eu-west-1a.clouds.archive.ubuntu.com": "os-packages",
    "archive.ubuntu.com": "os-packages",
    "ports.ubuntu.com": "os-packages",
    "esm.ubuntu.com": "os-packages",
    "ppa.launchpadcontent.net": "os-packages",
    "api.snapcraft.io": "os-packages",
    "dashboard.snapcraft.io": "os-packages",
    "cloudfront.cdn.snapcraftcontent.com": "os-packages",
    "login.ubuntu.com": "os-packages",
    "mirrors.fedoraproject.org": "os-packages",
    "download.fedoraproject.org": "os-packages",
    "dl.fedoraproject.org": "os-packages",
    "dl.rockylinux.org": "os-packages",
    "mirror.centos.org": "os-packages",
    "rhui.us-east-1.aws.ce.redhat.com": "os-packages",
    "cdn.amazonlinux.com": "os-packages",
    "deb.debian.org": "os-packages",
    "security.debian.org": "os-packages",
    "packages.microsoft.com": "os-packages",
    "download.opensuse.org": "os-packages",
    "repo.almalinux.org": "os-packages",
    # language-packages
    "pypi.org": "language-packages",
    "files.pythonhosted.org": "language-packages",
    "pypi.python.org": "language-packages",
    "rubygems.org": "language-packages",
    "index.rubygems.org": "language-packages",
    "registry.npmjs.org": "language-packages",
    "static.crates.io": "language-packages",
    "index.crates.io": "language-packages",
    "proxy.golang.org": "language-packages",
    "repo1.maven.org": "language-packages",
    "repo.maven.apache.org": "language-packages",
    "conda.anaconda.org": "language-packages",
    "cran.r-project.org": "language-packages",
    "nodejs.org": "language-packages",
    "deb.nodesource.com": "language-packages",
    # source-hosting
    "github.com": "source-hosting",
    "codeload.github.com": "source-hosting",
    "raw.githubusercontent.com": "source-hosting",
    "objects.githubusercontent.com": "source-hosting",
    "gitlab.com": "source-hosting",
    "bitbucket.org": "source-hosting",
    "git.launchpad.net": "source-hosting",
    "downloads.sourceforge.net": "source-hosting",
    # vendor-downloads
    "developer.download.nvidia.com": "vendor-downloads",
    "us.download.nvidia.com": "vendor-downloads",
    "dev.mysql.com": "vendor-downloads",
    "ftp.gnu.org": "vendor-downloads",
    "www.python.org": "vendor-downloads",
    "packages.chef.io": "vendor-downloads",
    "omnitruck.chef.io": "vendor-downloads",
    "registrationcenter-download.intel.com": "vendor-downloads",
    "download.docker.com": "vendor-downloads",
    "registry-1.docker.io": "vendor-downloads",
    # cdn
    "a1.akamaihd.net": "cdn",
    "x.akamaized.net": "cdn",
    "global.fastly.net": "cdn",
    "a.edgesuite.net": "cdn",
    # telemetry
    "analytics.softwareimprovement.intel.com": "telemetry",
    "irc-apigee-service.emaasmw.intel.com": "telemetry",
    "vortex.telemetry.example.com": "telemetry",
    # documentation
    "bugs.centos.org": "documentation",
    "bugs.launchpad.net": "documentation",
    "help.ubuntu.com": "documentation",
    "wiki.debian.org": "documentation",
    "cloudinit.readthedocs.io": "documentation",
    "docs.chef.io": "documentation",
    "docs.python.org": "documentation",
    "www.ubuntu.com": "documentation",
    "www.chef.io": "documentation",
    "learn.microsoft.com": "documentation",
    # internal
    "ip-10-0-0-1.ec2.internal": "internal",
    "ip-10-0-0-1.eu-west-1.compute.internal": "internal",
    "printer.local": "internal",
    "dc1.corp": "internal",
    # other
    "supervisord.org": "other",
    "example.com": "other",
}


@pytest.mark.parametrize(("host", "category"), sorted(EXAMPLES.items()))
def test_internet_host_categories(host: str, category: str) -> None:
    """Internet hosts get the category of the first rule that matches them."""
    c = classify(host)
    assert (c.scope, c.provider, c.category) == ("internet", None, category)


@pytest.mark.parametrize(
    ("host", "category"),
    [
        ("10.1.2.3", "internal"),
        ("fd00::1", "internal"),
        ("8.8.8.8", "other"),
        ("ec2.us-east-1.amazonaws.com", "cloud-api"),
    ],
)
def test_categories_outside_the_rules(host: str, category: str) -> None:
    """IP literals and cloud endpoints get their category without the YAML rules."""
    assert classify(host).category == category


def test_every_category_has_an_example() -> None:
    """The examples cover every category egressmap knows."""
    covered = set(EXAMPLES.values()) | {"cloud-api"}
    assert covered == set(categories.CATEGORIES)


def test_bundled_rules_are_valid_and_explained() -> None:
    """Every bundled rule has a known category and a non-empty why."""
    rules = categories.rules()
    assert rules
    for rule in rules:
        assert rule.category in categories.CATEGORIES
        assert rule.why
        assert rule.hosts or rule.domains or rule.first_labels or rule.labels


def test_first_match_wins() -> None:
    """bugs.centos.org matches the first-label documentation rule before the centos.org package rule."""
    found = categories.match("bugs.centos.org")
    assert found is not None
    assert (found.category, "bugs" in found.first_labels) == ("documentation", True)


def test_domain_matches_on_label_boundary() -> None:
    """A domain rule does not match a name that only ends with the same letters."""
    assert categories.category_of("notgithub.com") == "other"
    assert categories.category_of("github.com") == "source-hosting"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("rules: [{category: cdn, domains: [x.net]}]", "every rule needs a 'why'"),
        ("rules: [{category: nope, why: w, domains: [x.net]}]", "unknown category 'nope'"),
        ("rules: [{category: cdn, why: w}]", "no hosts, domains, first_labels or labels"),
        ("rules: [{category: cdn, why: w, domains: x.net}]", "expected a list of non-empty strings"),
        ("rules: [{category: cdn, why: w, domain: [x.net]}]", "unknown keys ['domain']"),
        ("rules: [{category: cdn, why: w, source: 3, domains: [x.net]}]", "'source' must be a string"),
        ("rules: [3]", "expected a mapping"),
        ("other: []", "expected a top-level 'rules' list"),
        ("rules: [", "not valid YAML"),
    ],
)
def test_parse_rules_rejects_bad_files(text: str, message: str) -> None:
    """A malformed rules file is an error that says what is wrong."""
    with pytest.raises(EgressmapError, match=message.replace("[", r"\[").replace("]", r"\]")):
        categories.parse_rules(text)


def test_cdn_hosts_are_shared_hosting() -> None:
    """CDN edge names count as shared hosting even when the public suffix list does not say so."""
    assert classify("a1.akamaihd.net").shared_hosting is True
    assert classify("pypi.org").shared_hosting is False


def _linear(host: str) -> categories.Rule | None:
    """The plain way: each rule in file order, the first that matches."""
    labels = host.split(".")
    suffixes = {".".join(labels[start:]) for start in range(len(labels))}
    return next((rule for rule in categories.rules() if rule.matches(host, labels, suffixes)), None)


def _rule_words() -> list[str]:
    words: set[str] = {"x", "mirror1", "example.org", "com", ""}
    for rule in categories.rules():
        words.update(rule.hosts, rule.domains, rule.first_labels, rule.labels)
    return sorted(words)


@settings(max_examples=400)
@given(
    history=st.lists(st.lists(st.sampled_from(_rule_words()), min_size=1, max_size=4), max_size=6),
    parts=st.lists(st.sampled_from(_rule_words()), min_size=1, max_size=4),
)
def test_match_is_the_first_rule_after_any_history(history: list[list[str]], parts: list[str]) -> None:
    """Names built from the rules' own names, labels and domains: the first rule in order, whatever came first."""
    for earlier in history:
        name = ".".join(earlier)
        assert categories.match(name) is _linear(name)
    host = ".".join(parts)
    assert categories.match(host) is _linear(host)
