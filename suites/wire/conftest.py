"""Wire suites: only the (model, scenario) pairs scenarios.json applies are collected; each
item carries its cassette's provenance as a marker, so reports show where it was recorded."""

import pytest


def pytest_collection_modifyitems(config, items):
    from harness.cassettes import files, provenance
    from harness.errors import CassetteError
    from harness.pytest_plugin.plugin import _catalog
    from harness.pytest_plugin.wire import wire_settings_for
    from harness.scenarios import definitions as scenarios

    catalog = _catalog(config)
    keep, drop = [], []
    for item in items:
        callspec = getattr(item, "callspec", None)
        params = callspec.params if callspec else {}
        if (
            "scenario" not in params
            or not isinstance(params.get("model"), str)
            or item.get_closest_marker("area") is None
            or item.get_closest_marker("area").args[0] != "wire"
        ):
            keep.append(item)
            continue
        model = catalog.resolve(params["model"])
        if not scenarios.applicable(params["scenario"], model):
            drop.append(item)
            continue
        keep.append(item)
        facts = scenarios.facts(model)
        for rule in scenarios.scenario(params["scenario"]).get("rules", []):
            item.add_marker(pytest.mark.rule(rule))
        if facts.override_reason:
            item.user_properties.append(("catalog-override", facts.override_reason))
        settings = wire_settings_for(config)
        path = scenarios.cassette_path(settings.cassette_dir, model.ref, params["scenario"])
        try:
            if not settings.online and path.is_file():
                files.read_cassette(path)  # a truncated or newer-format cassette: one line, run stops
            p = provenance.read(path) if not settings.online else None
        except CassetteError as e:
            raise pytest.UsageError(str(e)) from None
        if p is not None:
            item.add_marker(pytest.mark.provenance(p.source, model=p.model, recorded=p.recorded, harness=p.harness))
    if drop:
        from harness.pytest_plugin.state import DESELECTED

        why = "wire scenarios that do not apply to their model (harness/scenarios/scenarios.json says which apply)"
        config.stash.setdefault(DESELECTED, {})[why] = len(drop)
        config.hook.pytest_deselected(items=drop)
        items[:] = keep
