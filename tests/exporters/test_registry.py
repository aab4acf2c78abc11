"""Every registered exporter: golden output for the shared policy, empty policies, options checking."""

from __future__ import annotations

from dataclasses import replace

import pytest

from egressmap.errors import ConfigError
from egressmap.exporters import EXPORTERS, ExportOptions
from egressmap.model import Policy

from .conftest import PROXY, CheckGolden

#: (exporter, flavor) pairs: every flavor of every exporter, the default one first.
VARIANTS = [(name, flavor) for name, cls in sorted(EXPORTERS.items()) for flavor in (cls.flavors or ("",))]

#: Extra golden variants beyond flavors: label -> options.
EXTRA = {
    ("squid", "full-enforce"): ExportOptions(full=True, mode="enforce"),
    ("squid", "full-audit"): ExportOptions(full=True, mode="audit"),
    ("squid", "sni"): ExportOptions(sni=True),
}


def _options(flavor: str) -> ExportOptions:
    return ExportOptions(flavor=flavor or None, proxy=PROXY)


@pytest.mark.parametrize(("name", "flavor"), VARIANTS)
def test_golden_output_for_shared_policy(
    name: str, flavor: str, shared_policy: Policy, check_golden: CheckGolden
) -> None:
    """Each format's rendering of the shared policy is reviewed text, byte for byte."""
    rendered = EXPORTERS[name]().render(shared_policy, _options(flavor))
    check_golden(f"{name}.{flavor}" if flavor else name, rendered.text)
    assert rendered.rejected == ()


@pytest.mark.parametrize(("name", "label"), sorted(k for k in EXTRA if k[0] in EXPORTERS))
def test_golden_extra_variants(
    name: str, label: str, shared_policy: Policy, check_golden: CheckGolden
) -> None:
    """Variants selected by options other than flavor have golden files too."""
    options = replace(EXTRA[(name, label)], proxy=PROXY)
    check_golden(f"{name}.{label}", EXPORTERS[name]().render(shared_policy, options).text)


@pytest.mark.parametrize(("name", "flavor"), VARIANTS)
def test_empty_policy_renders(name: str, flavor: str) -> None:
    """A policy with no entries renders without error, to a deterministic text."""
    first = EXPORTERS[name]().render(Policy(()), _options(flavor))
    second = EXPORTERS[name]().render(Policy(()), _options(flavor))
    assert first == second and first.rejected == ()


@pytest.mark.parametrize("name", sorted(EXPORTERS))
def test_unknown_flavor_and_param_are_refused(name: str) -> None:
    """A flavor or setting the exporter does not know is a ConfigError naming the choices."""
    exporter = EXPORTERS[name]()
    with pytest.raises(ConfigError, match="flavor"):
        exporter.flavor(ExportOptions(flavor="no-such-flavor"))
    with pytest.raises(ConfigError, match="unknown --param 'no_such_key'"):
        exporter.check_params(ExportOptions(params={"no_such_key": "1"}))


def test_every_exporter_module_is_registered() -> None:
    """The registry holds every target issue 4 names, plus the core formats."""
    assert set(EXPORTERS) >= {"list", "json", "csv", "markdown"}


def test_registry_names_match_the_classes() -> None:
    """Each registry key loads the class whose ``name`` it is (the registry imports modules lazily)."""
    assert all(EXPORTERS[name].name == name for name in EXPORTERS)
    assert len(EXPORTERS) == len(set(EXPORTERS)) == 16
