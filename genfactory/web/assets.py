"""A page's ES modules joined into one module, and its stylesheets into one stylesheet.

Why: the progress page's module graph is 14 files and its styles 5; a cold visit asked for
each of them (with ``modulepreload``, in parallel, but still ~20 requests over at most six
connections, each answered by Python and handled on the page's main thread), and that was
most of the time between the HTML and the page being ready. Joined, it is two requests.

There is still no build step (a project rule): the files under ``static/`` stay what is
edited, what the JavaScript tests import and what every other page loads. The server joins
them when a page first asks, keeps the result in memory and serves it under a name with
its content hash (``/static/bundle/progress.3f2a….js``) that browsers may cache for a year;
a changed source file (checked by modification time on each page render) gives a new name.

Joining modules without a bundler works because our modules keep to a small, checked
subset of the syntax: named ``import { … } from './relative.js'`` and ``export``
declarations or lists. Each module becomes a function scope that returns its exports, in
dependency order, so top-level names never collide. Anything else (a default or namespace
import, ``import.meta``, a dynamic ``import()``, an ``export let``, an import cycle) is
refused with an error naming the file, rather than joined wrongly. A top-level ``await``
cannot be seen without a JavaScript parser: it makes the joined file a syntax error, which
the progress page's tests catch (they check the joined file with Node).
"""

from __future__ import annotations

import hashlib
import posixpath
import re
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

#: Where joined files are served, under the static mount.
BUNDLE_DIR = "bundle"
#: A year: the name changes with the content, so a cached copy is never stale.
IMMUTABLE = "public, max-age=31536000, immutable"

_NAME = r"[A-Za-z_$][\w$]*"
_IMPORT = re.compile(r"^import\s*\{([^}]*)\}\s*from\s*'([^']+)'\s*;?[ \t]*$", re.M)
_REEXPORT = re.compile(r"^export\s*\{([^}]*)\}\s*from\s*'([^']+)'\s*;?[ \t]*$", re.M)
_EXPORT_LIST = re.compile(r"^export\s*\{([^}]*)\}\s*;?[ \t]*$", re.M)
_EXPORT_DECL = re.compile(rf"^export\s+((?:async\s+)?function\s*\*?|class|const)\s+({_NAME})", re.M)
_ANY_IMPORT = re.compile(r"^[ \t]*import\b", re.M)
_ANY_EXPORT = re.compile(r"^[ \t]*export\b", re.M)
_BLOCK_COMMENT = re.compile(r"/\*.*?\*/", re.S)
_LINE_COMMENT = re.compile(r"(?<![:'\"\\])//[^\n]*")
_UNSUPPORTED = (
    (re.compile(r"\bimport\s*\("), "a dynamic import()"),
    (re.compile(r"\bimport\.meta\b"), "import.meta"),
)


class JoinError(ValueError):
    """A module uses syntax the joiner does not handle (it would be joined wrongly)."""


@dataclass(frozen=True)
class _Binding:
    """One name of an import or export list: ``name as alias``. In an import, ``name`` is
    what the other module exports and ``alias`` the local name; in an export, ``name`` is
    the local name and ``alias`` what other modules import."""

    name: str
    alias: str


def _bindings(spec: str, where: str) -> list[_Binding]:
    """``a, b as c`` → [a as a, b as c]."""
    out = []
    for part in spec.split(","):
        words = part.split()
        if not words:
            continue
        names = words[::2]
        if len(words) == 1 and re.fullmatch(_NAME, words[0]):
            out.append(_Binding(words[0], words[0]))
        elif len(words) == 3 and words[1] == "as" and all(re.fullmatch(_NAME, w) for w in names):
            out.append(_Binding(words[0], words[2]))
        else:
            raise JoinError(f"{where}: cannot read the import/export list {{{spec.strip()}}}")
    return out


@dataclass
class _Module:
    """One source module, split into what it imports, its body and what it exports."""

    path: str  # relative to the static folder, e.g. "js/lib/dom.js"
    body: str
    imports: list[tuple[str, list[_Binding]]]  # (module path, its names used here)
    exports: list[_Binding]

    @classmethod
    def parse(cls, path: str, source: str) -> _Module:
        code_only = _LINE_COMMENT.sub("", _BLOCK_COMMENT.sub("", source))
        for pattern, what in _UNSUPPORTED:
            if pattern.search(code_only):
                raise JoinError(f"{path}: uses {what}")
        imports: list[tuple[str, list[_Binding]]] = []
        exports: list[_Binding] = []

        def resolve(spec: str) -> str:
            if not spec.startswith(("./", "../")):
                raise JoinError(f"{path}: imports {spec!r}, not a relative module path")
            return posixpath.normpath(posixpath.join(posixpath.dirname(path), spec))

        def take_import(match: re.Match[str]) -> str:
            imports.append((resolve(match[2]), _bindings(match[1], path)))
            return ""

        def take_reexport(match: re.Match[str]) -> str:
            bindings = _bindings(match[1], path)
            # Bind under a private name first: the module may not use the names itself.
            local = [_Binding(b.name, f"__reexport_{b.alias}") for b in bindings]
            imports.append((resolve(match[2]), local))
            exports.extend(_Binding(f"__reexport_{b.alias}", b.alias) for b in bindings)
            return ""

        def take_list(match: re.Match[str]) -> str:
            exports.extend(_bindings(match[1], path))
            return ""

        def take_decl(match: re.Match[str]) -> str:
            exports.append(_Binding(match[2], match[2]))
            return f"{match[1]} {match[2]}"

        body = _IMPORT.sub(take_import, source)
        body = _REEXPORT.sub(take_reexport, body)
        body = _EXPORT_LIST.sub(take_list, body)
        body = _EXPORT_DECL.sub(take_decl, body)
        for pattern, what in ((_ANY_IMPORT, "import"), (_ANY_EXPORT, "export")):
            left = pattern.search(body)
            if left:
                line = body[left.start() :].split("\n", 1)[0]
                raise JoinError(f"{path}: cannot join this {what}: {line!r}")
        return cls(path, body, imports, exports)

    @property
    def var(self) -> str:
        """The bundle-level name holding this module's exports."""
        return "__module_" + re.sub(r"\W", "_", self.path.removeprefix("js/").removesuffix(".js"))


def module_graph(static: Path, entry: str) -> list[_Module]:
    """The entry module and everything it imports, dependencies first."""
    parsed: dict[str, _Module] = {}
    order: list[_Module] = []
    visiting: list[str] = []

    def visit(path: str) -> None:
        if path in visiting:
            cycle = " → ".join([*visiting[visiting.index(path) :], path])
            raise JoinError(f"import cycle: {cycle}")
        if path in parsed:
            return
        file = static / path
        if not file.is_file():
            importer = visiting[-1] if visiting else "the page"
            raise JoinError(f"{importer}: imports {path}, which does not exist")
        visiting.append(path)
        module = _Module.parse(path, file.read_text(encoding="utf-8"))
        for dependency, _ in module.imports:
            visit(dependency)
        visiting.pop()
        parsed[path] = module
        order.append(module)

    visit(entry)
    return order


def join_modules(static: Path, entry: str) -> tuple[str, list[str]]:
    """One ES module that runs ``entry`` and its graph in order; and the files it read.

    Each module's body runs inside its own arrow function, in dependency order, and
    returns an object of its exports; a module's imports become a destructuring of the
    objects of the modules before it. (Exports are read once, when the importing module
    runs: no module of ours reassigns an export, and ``export let`` is refused.)
    """
    modules = module_graph(static, entry)
    by_path = {m.path: m for m in modules}
    parts = [f"// Joined by genfactory/web/assets.py from {entry} and its imports. Do not edit.\n"]
    for module in modules:
        lines = [f"// ---- {module.path}", f"const {module.var} = (() => {{"]
        for dependency, bindings in module.imports:
            names = ", ".join(
                b.name if b.name == b.alias else f"{b.name}: {b.alias}" for b in bindings
            )
            source = by_path[dependency]
            missing = sorted({b.name for b in bindings} - {e.alias for e in source.exports})
            if missing:
                raise JoinError(f"{module.path}: {dependency} exports no {', '.join(missing)}")
            lines.append(f"const {{ {names} }} = {source.var};")
        lines.append(module.body.strip("\n"))
        exported = ", ".join(
            e.name if e.name == e.alias else f"{e.alias}: {e.name}" for e in module.exports
        )
        lines.append(f"return {{ {exported} }};" if exported else "return {};")
        lines.append("})();\n")
        parts.append("\n".join(lines))
    return "\n".join(parts), [m.path for m in modules]


def join_styles(static: Path, sheets: Sequence[str]) -> str:
    """The stylesheets one after the other, in cascade order (none uses ``@import`` or a
    relative ``url()``, which would resolve against the joined file's address)."""
    parts = ["/* Joined by genfactory/web/assets.py. Do not edit. */\n"]
    for sheet in sheets:
        text = (static / sheet).read_text(encoding="utf-8")
        if re.search(r"@import\b|url\(\s*['\"]?(?!data:|/)", text):
            raise JoinError(f"{sheet}: an @import or a relative url() cannot be joined")
        parts.append(f"/* ---- {sheet} */\n{text.rstrip()}\n")
    return "\n".join(parts)


@dataclass(frozen=True)
class Bundle:
    """One joined file, as served."""

    name: str  # "progress.js"
    content: bytes
    sources: tuple[str, ...]
    stamp: tuple[float, ...]  # the sources' modification times when joined

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.content).hexdigest()[:16]

    @property
    def filename(self) -> str:
        stem, dot, ext = self.name.rpartition(".")
        return f"{stem}.{self.digest}{dot}{ext}"

    @property
    def media_type(self) -> str:
        return "text/javascript" if self.name.endswith(".js") else "text/css"


@dataclass(frozen=True)
class BundleSpec:
    """What a bundle is made of: an entry module, or a list of stylesheets."""

    name: str
    entry: str | None = None
    sheets: tuple[str, ...] = ()


class Bundles:
    """The joined files of the pages: built on first use, rebuilt when a source changes,
    served from memory by name (every name ever built stays servable while the server
    runs, so a page rendered before an edit still gets its files)."""

    def __init__(self, static: Path, specs: Iterable[BundleSpec]) -> None:
        self.static = static
        self.specs = {spec.name: spec for spec in specs}
        self._current: dict[str, Bundle] = {}
        self._served: dict[str, Bundle] = {}
        self._lock = threading.Lock()

    def _stamp(self, sources: Iterable[str]) -> tuple[float, ...]:
        return tuple((self.static / s).stat().st_mtime for s in sources)

    def _build(self, spec: BundleSpec) -> Bundle:
        if spec.entry is not None:
            text, sources = join_modules(self.static, spec.entry)
        else:
            text, sources = join_styles(self.static, spec.sheets), list(spec.sheets)
        return Bundle(spec.name, text.encode("utf-8"), tuple(sources), self._stamp(sources))

    def get(self, name: str) -> Bundle:
        """The bundle as it is now (rebuilt if one of its sources changed since)."""
        with self._lock:
            bundle = self._current.get(name)
            try:
                fresh = bundle is not None and self._stamp(bundle.sources) == bundle.stamp
            except OSError:
                fresh = False
            if bundle is None or not fresh:
                bundle = self._build(self.specs[name])
                self._current[name] = bundle
                self._served[bundle.filename] = bundle
            return bundle

    def url(self, name: str) -> str:
        """Where a page loads the bundle from (its name carries its content hash)."""
        return f"/static/{BUNDLE_DIR}/{self.get(name).filename}"

    def served(self, filename: str) -> Bundle | None:
        """A bundle by the file name in its URL, or None."""
        with self._lock:
            return self._served.get(filename)
