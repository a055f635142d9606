"""Dependencies point one way (docs/architecture.md, "Layers").

The import graph of the project's own modules is read with ``ast``: every ``import`` statement,
at module level or inside a function, counts. The test fails on any import cycle between
modules, on any import of a higher layer from a lower one, and on an engine module importing
anything but the standard library. A new package or module fails until it is given a layer here
(and in the documentation).
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("tracker", "patients")

# Lowest first. A module may import modules of its own layer and of the layers below it.
# Each layer is a list of module prefixes.
LAYERS: list[tuple[str, tuple[str, ...]]] = [
    # The pure engine and the clinical vocabulary (and the shipped rule set it loads).
    ("engine", ("tracker.engine", "tracker.rules")),
    # Patients, courses and clinical records: models, writes, reads, their pages.
    ("records", ("patients",)),
    # Monitoring: rule rows and stored state, facts, evaluate and store, review actions, the
    # nightly refresh, the digest, the loaders, and the commands that run them.
    (
        "monitoring",
        (
            "tracker.models",
            "tracker.migrations",
            "tracker.monitoring",
            "tracker.site_url",
            "tracker.management",
        ),
    ),
    # Results received from labs and records exchanged as FHIR: their own models, services,
    # tasks, listener and pages; they write through the records' services.
    ("interop", ("tracker.interop",)),
    # User accounts: their own models and services, and their pages.
    ("accounts", ("tracker.accounts",)),
    # Pages: views, forms, filters, middleware, template tags, the admin of the rule set.
    ("web", ("tracker.web", "tracker.admin", "tracker.templatetags")),
    # Configuration and wiring: settings, URLs, entry points, checks, the app's ready().
    ("config", ("tracker.config", "tracker.apps")),
]
RANK = {name: rank for rank, (name, _) in enumerate(LAYERS)}
# The package ``tracker`` itself (its empty ``__init__``).
PACKAGE_LAYERS = {"tracker": "config"}


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def project_modules() -> dict[str, Path]:
    return {
        module_name(path): path
        for package in PACKAGES
        for path in sorted((ROOT / package).rglob("*.py"))
    }


def imported_names(source: str, module: str, is_package: bool) -> set[str]:
    """Every name an ``import`` statement of ``source`` reaches for (also inside functions):
    ``from a.b import c`` gives ``a.b`` and ``a.b.c``; relative imports are resolved."""
    package = module if is_package else module.rpartition(".")[0]
    names: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                parts = parts[: len(parts) - node.level + 1]
                base = ".".join([*parts, base] if base else parts)
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)
    return names


def resolve(name: str, modules: set[str]) -> str | None:
    """The project module ``name`` is, or is in (``a.b.C`` is in module ``a.b``)."""
    while name and name not in modules:
        name = name.rpartition(".")[0]
    return name or None


def import_graph(sources: dict[str, tuple[str, bool]]) -> dict[str, set[str]]:
    """module -> the project modules it imports; ``sources``: module -> (source, is_package)."""
    modules = set(sources)
    graph: dict[str, set[str]] = {}
    for module, (source, is_package) in sources.items():
        targets = {resolve(name, modules) for name in imported_names(source, module, is_package)}
        graph[module] = {t for t in targets if t is not None and t != module}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected groups of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                group = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.append(member)
                    if member == node:
                        break
                if len(group) > 1:
                    groups.append(sorted(group))
    return groups


def layer_of(module: str) -> str | None:
    if module in PACKAGE_LAYERS:
        return PACKAGE_LAYERS[module]
    for name, prefixes in LAYERS:
        if any(module == prefix or module.startswith(prefix + ".") for prefix in prefixes):
            return name
    return None


def upward_imports(graph: dict[str, set[str]]) -> list[str]:
    found = []
    for module, targets in sorted(graph.items()):
        for target in sorted(targets):
            low, high = layer_of(module), layer_of(target)
            if low is not None and high is not None and RANK[high] > RANK[low]:
                found.append(f"{module} ({low}) imports {target} ({high})")
    return found


def engine_imports_beyond_the_standard_library(sources) -> list[str]:
    found = []
    for module, (source, is_package) in sorted(sources.items()):
        if layer_of(module) != "engine":
            continue
        for name in sorted(imported_names(source, module, is_package)):
            top = name.partition(".")[0]
            if name.startswith(("tracker.engine", "tracker.rules")) or top == "__future__":
                continue
            if top not in sys.stdlib_module_names:
                found.append(f"{module} imports {name}")
    return found


def project_sources() -> dict[str, tuple[str, bool]]:
    return {
        module: (path.read_text("utf-8"), path.name == "__init__.py")
        for module, path in project_modules().items()
    }


# The project ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sources():
    return project_sources()


def test_every_module_has_a_layer(sources):
    assert [m for m in sources if layer_of(m) is None] == []


def test_there_is_no_import_cycle(sources):
    assert cycles(import_graph(sources)) == []


def test_every_import_points_down_the_layers(sources):
    assert upward_imports(import_graph(sources)) == []


def test_patients_imports_nothing_of_tracker_but_the_engine(sources):
    graph = import_graph(sources)
    found = [
        f"{module} imports {target}"
        for module, targets in graph.items()
        if module.startswith("patients")
        for target in targets
        if target.startswith("tracker") and not target.startswith("tracker.engine")
    ]
    assert found == []


def test_the_engine_imports_the_standard_library_only(sources):
    assert engine_imports_beyond_the_standard_library(sources) == []


# The checks themselves, on the shapes the code had before the layers ---------------------------
# (patients' services calling monitoring's, which called back into them from inside a function
# and through the refresh worker; patients' views drawing monitoring's charts.)

BEFORE = {
    "patients.services": ("from tracker.monitoring.store import course_refresh\n", False),
    "patients.views": ("from tracker.web.charts import course_charts\n", False),
    "tracker.monitoring.store": (
        "from tracker.monitoring import refresh_worker\n"
        "def review():\n    from patients.services import alert_review_record\n",
        False,
    ),
    "tracker.monitoring.refresh_worker": (
        "def run():\n    from tracker.monitoring.store import refresh_batch\n",
        False,
    ),
    "tracker.web.charts": ("", False),
    "tracker.engine.rules": ("import django\nfrom patients.models import Course\n", False),
    "patients.models": ("", False),
}


def test_a_cycle_through_an_import_inside_a_function_is_found():
    assert cycles(import_graph(BEFORE)) == [
        ["patients.services", "tracker.monitoring.refresh_worker", "tracker.monitoring.store"]
    ]


def test_imports_of_a_higher_layer_are_found():
    assert upward_imports(import_graph(BEFORE)) == [
        "patients.services (records) imports tracker.monitoring.store (monitoring)",
        "patients.views (records) imports tracker.web.charts (web)",
        "tracker.engine.rules (engine) imports patients.models (records)",
    ]


def test_an_engine_importing_django_or_the_project_is_found():
    assert engine_imports_beyond_the_standard_library(BEFORE) == [
        "tracker.engine.rules imports django",
        "tracker.engine.rules imports patients.models",
        "tracker.engine.rules imports patients.models.Course",
    ]
