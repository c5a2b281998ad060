"""Plugin managers: strategy files (untrusted) and extension packages (trusted).

A strategy is one Python file. It is found by path, by the name of a built-in strategy, or
through an installed package's entry point in the group ``arena.strategies`` (the entry point
names a module whose file is the strategy; that module is located, never imported).

The parent process never executes strategy code. :func:`load_strategy` reads a file, compiles
it under the sandbox's restrictions and checks it statically: metadata are literals read from
the syntax tree, and hooks are checked by registering *signature stubs* (functions with the same
names and arguments, and no body of the author's) with a :class:`StrategyManager`. Workers run
the same check on the real functions with :func:`bind_hooks`, which also gives the engine plain
callables to call directly.

Extension packages register markets through :class:`arena.hookspecs.ExtensionHooks` and the
entry-point group ``arena``; ``ARENA_LOAD_PLUGINS`` (comma-separated distribution names, empty
for none) restricts which are loaded.
"""

from __future__ import annotations

import ast
import copy
import dataclasses
import difflib
import functools
import hashlib
import importlib.resources
import importlib.util
import inspect
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from importlib.metadata import entry_points
from pathlib import Path
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

import pluggy

from arena.errors import StrategyLoadError
from arena.hookspecs import PROJECT, ExtensionHooks, StrategyHooks
from arena.sandbox import compile_strategy

if TYPE_CHECKING:
    from arena.market import Market

__all__ = [
    "MAX_SOURCE_BYTES",
    "HookBinding",
    "StrategyManager",
    "StrategySource",
    "bind_hooks",
    "builtin_strategy_names",
    "extension_manager",
    "load_strategies",
    "load_strategy",
    "markets",
    "prepare_markets",
    "validate_hooks",
]

#: Strategy files larger than this are refused before anything else is done with them.
MAX_SOURCE_BYTES = 200_000
STRATEGY_ENTRY_POINT_GROUP = "arena.strategies"
_BUILTIN = "builtin:"  # the origin of a built-in strategy: builtin:<name>
_METADATA = ("NAME", "MODEL_USED")


@dataclass(frozen=True)
class StrategySource:
    """A loaded, statically checked strategy file: what is sent to workers.

    :param label: unique display name within one run (``NAME``, suffixed if repeated).
    :param name: the file's ``NAME``.
    :param model_used: the file's ``MODEL_USED``.
    :param origin: where it came from (a path, ``builtin:<name>`` or ``entrypoint:<name>``).
    :param source: the file's text.
    :param hooks: the hooks it defines.
    :param constants: other literal module constants the market reads (e.g. ``FEE_BPS``).
    """

    label: str
    name: str
    model_used: str
    origin: str
    source: str
    hooks: frozenset[str]
    constants: tuple[tuple[str, Any], ...] = ()

    @property
    def sha256(self) -> str:
        """Hex digest of the source text (UTF-8)."""
        return hashlib.sha256(self.source.encode()).hexdigest()

    def constant(self, name: str, default: Any = None) -> Any:
        """A literal module constant of the file, or ``default``."""
        return dict(self.constants).get(name, default)

    @property
    def builtin(self) -> bool:
        """Whether the file ships with arena (arena's own tests validate it)."""
        return self.origin.startswith(_BUILTIN)


class StrategyManager(pluggy.PluginManager):
    """Holds one strategy: its module-level functions named like a spec are hook implementations.

    Strategy authors write no decorator (restricted code cannot import pluggy), so any
    attribute whose name is a hook of ``hooks`` counts as an implementation.
    """

    def __init__(self, hooks: type = StrategyHooks) -> None:
        super().__init__(PROJECT)
        self.add_hookspecs(hooks)
        self._hook_names = hook_names(hooks)

    def parse_hookimpl_opts(self, plugin: object, name: str) -> Any:
        if name in self._hook_names and callable(getattr(plugin, name, None)):
            return {}
        return None


def hook_names(hooks: type) -> frozenset[str]:
    """The names of the hook specifications in ``hooks``."""
    return frozenset(
        name for name, value in vars(hooks).items() if hasattr(value, f"{PROJECT}_spec")
    )


@dataclass(frozen=True)
class HookBinding:
    """A validated strategy's hooks: which it defines, with which arguments.

    Binding needs pluggy's validation only once per strategy; every simulation's fresh
    namespace is then bound by name with :meth:`bind`.
    """

    #: hook -> (the implementation's argument names, the spec's argument names)
    signatures: tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...]

    def bind(self, namespace: Mapping[str, Any]) -> dict[str, Callable[..., Any]]:
        """The namespace's hooks as callables taking the spec's arguments in its order."""
        return {
            hook: _positional(namespace[hook], argnames, spec_args)
            for hook, argnames, spec_args in self.signatures
        }


def bind_hooks(
    namespace: Mapping[str, Any], filename: str, hooks: type = StrategyHooks
) -> dict[str, Callable[..., Any]]:
    """Validate a strategy's hooks with pluggy and return them as positional callables.

    Each returned callable takes exactly the spec's arguments, in the spec's order, whatever
    subset and order the author wrote, so the engine can call it directly.

    :raises StrategyLoadError: for unknown or defaulted arguments and misspelled hook names.
    """
    return validate_hooks(namespace, filename, hooks).bind(namespace)


def validate_hooks(
    namespace: Mapping[str, Any], filename: str, hooks: type = StrategyHooks
) -> HookBinding:
    """Check a strategy's hooks with pluggy (see :func:`bind_hooks`)."""
    names = hook_names(hooks)
    _reject_misspelled_hooks(namespace, names, filename)
    plugin = SimpleNamespace(**{n: namespace[n] for n in names if callable(namespace.get(n))})
    manager = StrategyManager(hooks)
    for hook in names:
        function = getattr(plugin, hook, None)
        if function is not None and getattr(function, "__defaults__", None):
            raise StrategyLoadError(
                f"{hook}() must not give its arguments default values "
                "(the engine always passes them)",
                filename,
                _first_line(function),
            )
    try:
        manager.register(plugin, name=filename)
    except pluggy.PluginValidationError as error:
        raise _plain_validation_error(error, hooks, filename) from None
    signatures = []
    for hook in sorted(names):
        impls = getattr(manager.hook, hook).get_hookimpls()
        if impls:
            signatures.append((hook, tuple(impls[0].argnames), _spec_argnames(hooks, hook)))
    return HookBinding(tuple(signatures))


def _spec_argnames(hooks: type, hook: str) -> tuple[str, ...]:
    return tuple(inspect.signature(getattr(hooks, hook)).parameters)[1:]


def _positional(
    function: Callable[..., Any], argnames: tuple[str, ...], spec_args: tuple[str, ...]
) -> Callable[..., Any]:
    """``function`` itself when it takes the spec's arguments in order, else a small adapter."""
    if argnames == spec_args:
        return function
    # The adapter is generated from identifiers only (validated names), never the author's code.
    adapter_source = (
        f"def adapter({', '.join(spec_args)}):\n    return function({', '.join(argnames)})\n"
    )
    scope: dict[str, Any] = {"function": function}
    exec(compile(adapter_source, "<arena hook adapter>", "exec"), scope)
    adapter: Callable[..., Any] = scope["adapter"]
    return adapter


def _first_line(function: object) -> int | None:
    code = getattr(function, "__code__", None)
    return code.co_firstlineno if code is not None else None


def _plain_validation_error(
    error: pluggy.PluginValidationError, hooks: type, filename: str
) -> StrategyLoadError:
    text = str(error)
    for hook in hook_names(hooks):
        if f"'{hook}'" in text or f"hook {hook!r}" in text or f" {hook} " in text:
            expected = ", ".join(_spec_argnames(hooks, hook))
            return StrategyLoadError(
                f"{hook}() takes arguments that arena does not pass; "
                f"its arguments must be among ({expected})",
                filename,
            )
    return StrategyLoadError(text, filename)


def _reject_misspelled_hooks(
    namespace: Mapping[str, Any], names: frozenset[str], filename: str
) -> None:
    for attribute, value in namespace.items():
        if attribute in names or not callable(value) or attribute.startswith("_"):
            continue
        close = difflib.get_close_matches(attribute, sorted(names), n=1, cutoff=0.8)
        if close:
            raise StrategyLoadError(
                f"function {attribute}() looks like a misspelled hook: did you mean {close[0]}()?",
                filename,
                _first_line(value),
            )


# -- static inspection of a strategy file (no author code runs) ------------------------------


def inspect_source(
    source: str, origin: str, label: str | None = None, hooks: type = StrategyHooks
) -> StrategySource:
    """Compile ``source`` under the sandbox rules and check it without running it.

    :raises StrategyLoadError: for a syntax error, a forbidden construct, missing or
        non-literal ``NAME``/``MODEL_USED``, or bad hooks.
    """
    if len(source.encode()) > MAX_SOURCE_BYTES:
        raise StrategyLoadError(f"the file is larger than {MAX_SOURCE_BYTES} bytes", origin)
    compile_strategy(source, origin)
    tree = ast.parse(source, filename=origin)
    constants = _literal_constants(tree)
    for key in _METADATA:
        value = constants.get(key)
        if not isinstance(value, str) or not value.strip():
            raise StrategyLoadError(
                f"{key} is required: a non-empty string literal at the top of the file, "
                f'e.g. {key} = "..."'
                if key not in constants
                else f"{key} must be a non-empty string literal",
                origin,
                _assignment_line(tree, key),
            )
    stubs = _signature_stubs(tree)
    bound = bind_hooks(stubs, origin, hooks)
    extra = tuple(sorted((k, v) for k, v in constants.items() if k not in _METADATA))
    return StrategySource(
        label=label or constants["NAME"].strip(),
        name=constants["NAME"].strip(),
        model_used=constants["MODEL_USED"].strip(),
        origin=origin,
        source=source,
        hooks=frozenset(bound),
        constants=extra,
    )


def _literal_constants(tree: ast.Module) -> dict[str, Any]:
    """Top-level ``UPPER_CASE = <literal>`` assignments (last one wins, as at run time)."""
    found: dict[str, Any] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target, value = node.targets[0], node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            target, value = node.target, node.value
        else:
            continue
        if isinstance(target, ast.Name) and target.id.isupper():
            try:
                found[target.id] = ast.literal_eval(value)
            except ValueError:
                found[target.id] = _NotLiteral()
    return found


class _NotLiteral:
    """Marks a constant whose value is an expression, not a literal."""


def _assignment_line(tree: ast.Module, name: str) -> int | None:
    for node in tree.body:
        targets = node.targets if isinstance(node, ast.Assign) else []
        if any(isinstance(t, ast.Name) and t.id == name for t in targets):
            return node.lineno
    return None


def _signature_stubs(tree: ast.Module) -> dict[str, Callable[..., Any]]:
    """Functions with the names and argument lists of the file's top-level functions.

    Bodies, decorators, annotations and default values are dropped (a default becomes
    ``None``: only its presence matters to the checks), so nothing of the author's runs.
    """
    stubs: dict[str, Callable[..., Any]] = {}
    for node in tree.body:
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        args = copy.deepcopy(node.args)
        for arg in [*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg]:
            if arg is not None:
                arg.annotation = None
        args.defaults = [ast.Constant(None) for _ in args.defaults]
        args.kw_defaults = [None if d is None else ast.Constant(None) for d in args.kw_defaults]
        stub = ast.parse("def stub(): pass").body[0]
        assert isinstance(stub, ast.FunctionDef)
        stub.name, stub.args = node.name, args
        module = ast.fix_missing_locations(ast.Module(body=[stub], type_ignores=[]))
        ast.increment_lineno(module, node.lineno - 1)
        scope: dict[str, Any] = {}
        exec(compile(module, "<arena signature stub>", "exec"), {"__builtins__": {}}, scope)
        stubs[node.name] = scope[node.name]
    return stubs


# -- finding strategy files -------------------------------------------------------------------


def builtin_strategy_names() -> list[str]:
    """Names of the strategies shipped with arena (``arena run starter`` and so on)."""
    folder = importlib.resources.files("arena.strategies")
    return sorted(
        entry.name.removesuffix(".py")
        for entry in folder.iterdir()
        if entry.name.endswith(".py") and not entry.name.startswith("_")
    )


def load_strategy(spec: str, hooks: type = StrategyHooks) -> StrategySource:
    """Load a strategy by file path, built-in name, or ``arena.strategies`` entry-point name.

    :raises StrategyLoadError: when nothing of that name exists or the file is not valid.
    """
    path = Path(spec)
    if spec.endswith(".py") or os.sep in spec or path.exists():
        if not path.is_file():
            raise StrategyLoadError("no such strategy file", spec)
        try:
            source = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            raise StrategyLoadError("the file is not UTF-8 text", spec) from None
        return inspect_source(source, str(path), hooks=hooks)
    if spec in builtin_strategy_names():
        source = importlib.resources.files("arena.strategies").joinpath(f"{spec}.py").read_text()
        return inspect_source(source, f"{_BUILTIN}{spec}", hooks=hooks)
    for entry in entry_points(group=STRATEGY_ENTRY_POINT_GROUP):
        if entry.name == spec:
            return inspect_source(_entry_point_source(entry.value, spec), f"entrypoint:{spec}")
    known = ", ".join(builtin_strategy_names())
    raise StrategyLoadError(
        f"no strategy file, built-in strategy or installed strategy of that name "
        f"(built-in: {known})",
        spec,
    )


def _entry_point_source(value: str, name: str) -> str:
    module = value.partition(":")[0]
    found = importlib.util.find_spec(module)
    if found is None or found.origin is None or not found.origin.endswith(".py"):
        raise StrategyLoadError(f"entry point {value!r} does not name a strategy file", name)
    return Path(found.origin).read_text(encoding="utf-8")


def load_strategies(specs: Iterable[str], hooks: type = StrategyHooks) -> list[StrategySource]:
    """Load several strategies; repeated ``NAME``s get ``#2``, ``#3`` … appended to their label."""
    loaded: list[StrategySource] = []
    seen: dict[str, int] = {}
    for spec in specs:
        strategy = load_strategy(spec, hooks)
        count = seen[strategy.name] = seen.get(strategy.name, 0) + 1
        if count > 1:
            strategy = dataclasses.replace(strategy, label=f"{strategy.name} #{count}")
        loaded.append(strategy)
    return loaded


# -- trusted extensions -----------------------------------------------------------------------


def extension_manager(builtin: Iterable[object] = ()) -> pluggy.PluginManager:
    """A plugin manager with arena's built-in extensions and the allowed installed ones."""
    manager = pluggy.PluginManager(PROJECT)
    manager.add_hookspecs(ExtensionHooks)
    for plugin in builtin:
        manager.register(plugin)
    allowed = os.environ.get("ARENA_LOAD_PLUGINS")
    if allowed is None:
        manager.load_setuptools_entrypoints(PROJECT)
    else:
        for name in filter(None, (n.strip() for n in allowed.split(","))):
            manager.load_setuptools_entrypoints(PROJECT, name=name)
    manager.check_pending()
    return manager


@functools.cache
def markets() -> dict[str, Market]:
    """Every registered market by name: arena's own and those of allowed extension packages."""
    from arena.amm import market as amm_market

    found: dict[str, Market] = {}
    manager = extension_manager(builtin=[amm_market])
    manager.hook.arena_register_markets(
        register=lambda market: found.setdefault(market.name, market)
    )
    return found


def prepare_markets() -> None:
    """Run every market's trusted set-up (see :attr:`arena.market.Market.prepare`)."""
    for market in markets().values():
        market.prepare()
