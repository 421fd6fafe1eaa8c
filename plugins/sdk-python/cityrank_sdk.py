"""cityrank's Python SDK: a methodology plugin written in Python.

A plugin is a directory with two files:

- ``methodology.toml``: the manifest (framework tree, weights, directions,
  ladders, pipeline steps, tiers; see ``docs/authoring.md``);
- ``methodology.py``: one class derived from :class:`Methodology`.

.. code-block:: python

    from cityrank_sdk import Methodology, ratio

    class MyRanking(Methodology):
        def derive(self, edition, data):
            return {
                "air_connectivity": data["air_routes"],
                "transit_per_100k": ratio(data["metro_km"], data["population_k"], 100),
            }

``derive`` receives the raw variables the manifest declares in ``[[inputs]]``
(``data["name"]``: one float per unit, in the units' order; ``math.nan`` is a
missing value) and returns one list per indicator that has no ``from`` or
``formula`` in the manifest. An exception becomes an error of the run, with its
message. ``cityrank build DIR`` turns the directory into a sandboxed component
(componentize-py, WASI stubbed out): the plugin can compute, nothing else — no
files, network, clock or randomness.
"""

import json
import math
import random
import sys

from componentize_py_types import Err
from wit_world import exports
from wit_world.exports.plugin import Column, StepRequest, Table
from wit_world.imports import host
from wit_world.imports.host import Level

# The sandbox has no source of randomness: the build would otherwise bake whatever
# seed it drew into the component, and a rebuild would change the numbers. Python's
# global generator is seeded with 0 instead, so `random` gives the same numbers in
# every run and every build; for a bootstrap, use `random.Random(seed)` with a seed
# of your own (e.g. from the manifest's step parameters).
random.seed(0)

#: The missing value (a NaN). Test for it with :func:`is_missing`, never with ``==``.
MISSING = math.nan

#: The version of the plugin contract this SDK builds against.
CONTRACT_VERSION = "0.2.0"


def is_missing(x):
    """Whether ``x`` is a missing value (NaN)."""
    return x != x


def log(message, level="info"):
    """Writes ``message`` to the host's log (``level``: debug, info, warn or error)."""
    levels = {"debug": Level.DEBUG, "info": Level.INFO, "warn": Level.WARN, "error": Level.ERROR}
    host.log(levels.get(level, Level.INFO), str(message))


class Data:
    """The raw variables of an edition's units (read-only).

    ``data["population_k"]`` is a list of floats, one per unit (NaN = missing);
    ``data.text("region")`` a list of strings or ``None``; ``data.units`` the unit
    ids; ``len(data)`` the number of units.
    """

    def __init__(self, table):
        self.units = list(table.units)
        self._numbers = {c.id: c.values for c in table.numbers}
        self._texts = {c.id: c.values for c in table.texts}

    def __len__(self):
        return len(self.units)

    def __contains__(self, name):
        return name in self._numbers or name in self._texts

    def __getitem__(self, name):
        return _column(self._numbers, name, "number")

    def text(self, name):
        """The text variable ``name``: one string (or ``None``) per unit."""
        return _column(self._texts, name, "text")

    def numbers(self):
        """The names of the numeric variables."""
        return list(self._numbers)


def _column(columns, name, kind):
    values = columns.get(name)
    if values is None:
        label = "numeric" if kind == "number" else "text"
        raise KeyError(
            f"the input has no {label} column `{name}`; if it is a dataset variable, declare it in "
            f'methodology.toml: an [[inputs]] entry with id = "{name}" and type = "{kind}"'
        )
    return values


class Step:
    """A pipeline step the manifest assigns to the plugin (``method = "plugin"``).

    ``step`` (``treat``, ``normalise``, …), ``method`` (the manifest's ``name``),
    ``params`` (a dict of the manifest's ``params``), ``node`` (for aggregation),
    ``units`` and ``columns`` (a dict: column id → list of floats).
    """

    def __init__(self, request):
        self.step = request.step
        self.method = request.method
        self.node = request.node
        self.units = list(request.data.units)
        self.columns = {c.id: c.values for c in request.data.numbers}
        self.params = {p.name: _param_value(p.value) for p in request.params}


def _param_value(value):
    v = value.value
    if type(value).__name__ == "ParamValue_Json":
        return json.loads(v)
    if isinstance(v, list):
        return list(v)
    return v


class Methodology:
    """Base class of a methodology: override :meth:`derive`, and :meth:`run_step`
    for steps the manifest gives to the plugin's own code."""

    def derive(self, edition, data):
        """Returns ``{indicator id: list of floats}`` for the indicators without
        ``from``/``formula`` (one value per unit of ``data``, NaN = missing)."""
        raise NotImplementedError("this methodology does not define derive(edition, data)")

    def run_step(self, step):
        """Returns ``{column id: list of floats}``: the step's output for ``step.columns``."""
        raise NotImplementedError(
            f"this methodology has no custom `{step.method}` method for step `{step.step}`"
        )


# ── Column helpers: element-wise over lists of floats, NaN = missing ──────────


def ratio(numerator, denominator, scale=1.0):
    """``n / d * scale`` per unit; missing unless ``d > 0`` and both are present."""
    return [n / d * scale if d > 0 else MISSING for n, d in zip(numerator, denominator)]


def per_100k_residents(values, population_k):
    """Values per 100,000 residents, the population in thousands."""
    return ratio(values, population_k, 100.0)


def clamp(values, lo, hi):
    """Each value limited to ``[lo, hi]`` (``lo`` if below, ``hi`` if above); missing
    where the value or a bound is missing or ``lo > hi``, as a formula's ``clamp``."""
    if is_missing(lo) or is_missing(hi) or lo > hi:
        return [MISSING for _ in values]
    return [x if is_missing(x) else lo if x < lo else hi if x > hi else x for x in values]


def scale(values, factor):
    """Each value times ``factor``; missing stays missing."""
    return [x * factor for x in values]


# ── The component's exports (used by the entry module `cityrank build` writes) ──


def _message(e):
    # The frames are walked by hand: the `traceback` module reads source files, and
    # a plugin has no files.
    line = None
    tb = e.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename.endswith("methodology.py"):
            line = tb.tb_lineno
        tb = tb.tb_next
    where = f" (methodology.py, line {line})" if line is not None else ""
    text = e.args[0] if isinstance(e, KeyError) and e.args else str(e)
    return f"{type(e).__name__}{where}: {text}"


class _LogWriter:
    """`print` and `sys.stderr` write to the host's log (the sandbox has no terminal)."""

    def __init__(self, level):
        self._level = level
        self._buffer = ""

    def write(self, text):
        self._buffer += str(text)
        while "\n" in self._buffer:
            line, self._buffer = self._buffer.split("\n", 1)
            host.log(self._level, line)
        return len(text)

    def flush(self):
        if self._buffer:
            host.log(self._level, self._buffer)
            self._buffer = ""


def _to_log():
    # Only while the host calls the plugin: at build time (componentize-py runs the
    # module-level code then) there is no host, and build errors go to the terminal.
    if not isinstance(sys.stdout, _LogWriter):
        sys.stdout = _LogWriter(Level.INFO)
        sys.stderr = _LogWriter(Level.WARN)


def _table(units, result, what):
    if not isinstance(result, dict):
        raise Err(f"{what} must return a dict {{id: list of floats}}, got {type(result).__name__}")
    columns = []
    for cid, values in result.items():
        try:
            floats = [float(v) if v is not None else MISSING for v in values]
        except (TypeError, ValueError) as e:
            raise Err(f"{what}: column `{cid}` is not a list of numbers ({e})")
        if len(floats) != len(units):
            raise Err(f"{what}: column `{cid}` has {len(floats)} values for {len(units)} units")
        columns.append(Column(id=str(cid), values=floats))
    return Table(units=list(units), numbers=columns, texts=[])


def _call(method, *args):
    """Calls the author's method: output to the log, an exception as an error."""
    _to_log()
    try:
        return method(*args)
    except Err:
        raise
    except Exception as e:
        raise Err(_message(e))
    finally:
        sys.stdout.flush()
        sys.stderr.flush()


def export(module, manifest):
    """The component's ``plugin`` export for the :class:`Methodology` subclass
    defined in ``module`` (the author's ``methodology.py``)."""
    classes = [
        c
        for c in vars(module).values()
        if isinstance(c, type) and issubclass(c, Methodology) and c is not Methodology
    ]
    if len(classes) != 1:
        raise RuntimeError(
            "methodology.py must define exactly one class derived from cityrank_sdk.Methodology, "
            f"found {len(classes)}"
        )
    methodology = classes[0]()

    class Plugin(exports.Plugin):
        def manifest(self):
            _to_log()
            return manifest

        def derive(self, edition, input):
            result = _call(methodology.derive, edition, Data(input))
            return _table(input.units, result, "derive")

        def run_step(self, request: StepRequest):
            result = _call(methodology.run_step, Step(request))
            return _table(request.data.units, result, "run_step")

    return Plugin
