"""Turning a ``MODULE:ATTR`` value into something that builds fresh stores."""

from __future__ import annotations

import contextlib
import importlib
import inspect
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

STORE_METHODS = (
    "find_token",
    "save_token",
    "delete_token",
    "get_tokens",
    "delete_tokens",
    "find_token_by_id",
)

Breaker = Callable[[Any, Path], contextlib.AbstractContextManager[None]]


class SpecError(Exception):
    """A store spec the kit cannot use; the message says what to change."""


@dataclass(frozen=True)
class StoreSpec:
    """A store named on the command line or in the ini file, ready to build."""

    text: str
    target: Callable[..., Any] = field(repr=False, compare=False)
    takes_directory: bool = field(compare=False)
    breaker: Breaker | None = field(default=None, repr=False, compare=False)
    capabilities: frozenset[str] = field(default=frozenset(), compare=False)
    capabilities_source: str = field(default="", compare=False)
    """Where the capabilities were declared: the target, an option or the ini file."""

    @property
    def is_class(self) -> bool:
        """True when the spec names a TokenStore subclass rather than a factory."""
        return inspect.isclass(self.target)

    def build(self, directory: Path) -> Any:
        """Build a store; a factory that takes a directory is given ``directory``."""
        store = self.target(directory) if self.takes_directory else self.target()
        missing = [m for m in STORE_METHODS if not callable(getattr(store, m, None))]
        if missing:
            raise SpecError(
                f"{self.text} built {type(store).__name__!r}, which lacks "
                f"{', '.join(missing)}; a factory must return a TokenStore."
            )
        return store

    def __str__(self) -> str:
        return self.text


def load_spec(text: str, search_dirs: tuple[Path, ...] = ()) -> StoreSpec:
    """Parse and import ``MODULE:ATTR``; raise SpecError with the fix on failure."""
    module_name, attr_path = _split(text)
    module = _import(text, module_name, search_dirs)
    target = _resolve(text, module, attr_path)
    takes_directory = _check_target(text, target)
    return StoreSpec(
        text=text,
        target=target,
        takes_directory=takes_directory,
        breaker=_breaker(text, target),
        capabilities=_capabilities(text, target),
        capabilities_source=f"tokenstore_capabilities of {attr_path}",
    )


def _split(text: str) -> tuple[str, str]:
    module_name, sep, attr_path = text.strip().partition(":")
    if not sep or not module_name or not attr_path:
        raise SpecError(
            f"{text!r} is not of the form MODULE:ATTR; write for example "
            "--tokenstore=mypackage.stores:MyTokenStore"
        )
    return module_name, attr_path


def _import(text: str, module_name: str, search_dirs: tuple[Path, ...]) -> Any:
    try:
        with _extra_path(search_dirs):
            return importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name and module_name.startswith(exc.name):
            raise SpecError(
                f"{text}: no module named {module_name!r} could be imported, from "
                "the current directory, the rootdir or sys.path; install the "
                "package that holds your store or run pytest from its directory"
            ) from None
        raise SpecError(
            f"{text}: importing {module_name!r} failed because it needs a missing "
            f"module, {exc.name!r}; install it"
        ) from None
    except Exception as exc:
        raise SpecError(
            f"{text}: importing {module_name!r} raised {describe_error(exc)}; "
            "fix the module so that it imports cleanly"
        ) from None


@contextlib.contextmanager
def _extra_path(search_dirs: tuple[Path, ...]) -> Iterator[None]:
    added = [str(d) for d in search_dirs if str(d) not in sys.path]
    sys.path[:0] = added
    try:
        yield
    finally:
        for entry in added:
            with contextlib.suppress(ValueError):
                sys.path.remove(entry)


def _resolve(text: str, module: Any, attr_path: str) -> Any:
    target = module
    for part in attr_path.split("."):
        try:
            target = getattr(target, part)
        except AttributeError:
            raise SpecError(
                f"{text}: module {module.__name__!r} has no attribute "
                f"{attr_path!r}; check the name after the colon"
            ) from None
    return target


def _check_target(text: str, target: Any) -> bool:
    """Return whether the target takes a directory; reject what cannot be a store."""
    if inspect.isclass(target):
        if not all(callable(getattr(target, m, None)) for m in STORE_METHODS):
            raise SpecError(
                f"{text} is a class but not a TokenStore: it lacks some of "
                f"{', '.join(STORE_METHODS)}; name a TokenStore subclass or a "
                "factory function that returns a store"
            )
        if _required_params(target) > 0:
            raise SpecError(
                f"{text}: the kit builds the store as {target.__name__}() but its "
                "constructor needs arguments; name a factory function instead, "
                "for example def make_store(directory): return "
                f"{target.__name__}(directory / 'tokens.db')"
            )
        return False
    if not callable(target):
        raise SpecError(
            f"{text} is a {type(target).__name__}, neither a TokenStore subclass nor "
            "a factory; name a class or a function that returns a new store"
        )
    required = _required_params(target)
    if required > 1:
        raise SpecError(
            f"{text}: a factory takes no argument or one (the test's directory), "
            f"but this one needs {required}"
        )
    return required == 1 or (required == 0 and _accepts_one(target))


def _required_params(target: Any) -> int:
    try:
        signature = inspect.signature(target)
    except (TypeError, ValueError):
        return 0
    kinds = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    return sum(
        1
        for p in signature.parameters.values()
        if p.kind in kinds and p.default is inspect.Parameter.empty
    )


def _accepts_one(target: Any) -> bool:
    """A factory whose only parameter is optional and named for a directory."""
    try:
        params = list(inspect.signature(target).parameters.values())
    except (TypeError, ValueError):
        return False
    return len(params) == 1 and params[0].name in {"directory", "path", "tmp_path"}


def _breaker(text: str, target: Any) -> Breaker | None:
    breaker = getattr(target, "tokenstore_breaker", None)
    if breaker is not None and not callable(breaker):
        raise SpecError(
            f"{text}: tokenstore_breaker must be callable as "
            "breaker(store, directory) and return a context manager"
        )
    return breaker


def _capabilities(text: str, target: Any) -> frozenset[str]:
    declared = getattr(target, "tokenstore_capabilities", ())
    if isinstance(declared, str) or not all(isinstance(c, str) for c in declared):
        raise SpecError(
            f"{text}: tokenstore_capabilities must be a set of strings such as "
            "{'thread-safe', 'durable'}"
        )
    return checked_capabilities(f"{text}: tokenstore_capabilities", declared)


def checked_capabilities(where: str, names: Any) -> frozenset[str]:
    """The capability names as a set; raise SpecError naming any unknown one."""
    from .clauses import CAPABILITIES

    chosen = frozenset(name.strip() for name in names if name.strip())
    unknown = sorted(chosen - set(CAPABILITIES))
    if unknown:
        raise SpecError(
            f"{where}: unknown capability {', '.join(map(repr, unknown))}; the "
            f"capabilities are {', '.join(CAPABILITIES)} (see docs/usage.md, "
            "'Capabilities')"
        )
    return chosen


def spec_of(item: Any) -> StoreSpec | None:
    """The store a collected kit test runs against, or None for any other test."""
    callspec = getattr(item, "callspec", None)
    return callspec.params.get("tokenstore_spec") if callspec else None


def describe_error(exc: BaseException) -> str:
    """Name an exception and its message in one short phrase."""
    message = str(exc)
    return f"{type(exc).__name__}: {message}" if message else type(exc).__name__
