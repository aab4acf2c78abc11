"""Air-gap bundles: what to carry into an isolated network, fetched once, checked, staged per stack.

- :mod:`.manifest`: the manifest (what to fetch, from ``bundle plan``) and the lock (what was fetched, with
  sizes and sha256, from ``bundle fetch``), their YAML form and their checks. Both are byte-identical across
  runs: sorted, no timestamps.
- :mod:`.fetch` (with :mod:`.net`, :mod:`.github`, :mod:`.download`, :mod:`.files`): ``bundle fetch``;
  :mod:`.verify`: ``bundle verify``; :mod:`.stage_cyclecloud`, :mod:`.stage_parallelcluster` (with
  :mod:`.unpack`): ``bundle stage``.
- :mod:`.planning` (with :mod:`.stacks`, :mod:`.evidence`, :mod:`.downloads`): ``bundle plan``;
  :mod:`.coverage`: what a fetched bundle carries, for ``plan``/``verify --bundle``; :mod:`.recipes` and
  :mod:`.wheelhouse`: ``bundle recipes``.
"""
