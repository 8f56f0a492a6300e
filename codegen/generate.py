"""Spec -> `src/realtime_sdk/_generated/`: models, parse entry points, server and client stubs.

Models come from datamodel-code-generator (strict for what clients send, lenient
for what servers send); everything else from our jinja2 templates. The output is
formatted with ruff and depends only on the spec and the templates.
"""

from __future__ import annotations

import ast
import filecmp
import functools
import hashlib
import json
import re
import shutil
import subprocess
import sys
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2

from . import dialects, naming, nulls, targets, yamlio
from .paths import HTTP_SPEC, ROOT, TEMPLATES

REF_PREFIX = "#/components/schemas/"
MODULE_KIND = {"client": ("client_events", "forbid"), "server": ("server_events", "allow")}


@dataclass(frozen=True)
class Field:
    name: str
    annotation: str
    required: bool


@dataclass(frozen=True)
class EventInfo:
    dialect: str
    direction: str
    wire: str
    cls: str
    summary: str
    transports: list[str]
    replies: list[str]
    fields: list[Field]

    @property
    def method(self) -> str:
        return "on_" + naming.snake(self.wire)

    @property
    def function(self) -> str:
        return naming.snake(self.wire)


def _closure(schemas: dict[str, Any], root: str) -> list[str]:
    seen: dict[str, None] = {}
    stack = [root]
    while stack:
        name = stack.pop()
        if name in seen:
            continue
        seen[name] = None
        text = json.dumps(schemas[name])
        stack.extend(re.findall(r'"#/components/schemas/([^"]+)"', text))
    return sorted(seen)


def _strip_extensions(node: Any) -> Any:
    """Spec schema -> OpenAPI schema for the model generator: extensions dropped, the
    AsyncAPI discriminator (a name) turned back into OpenAPI's object with its mapping."""
    if isinstance(node, dict) and isinstance(node.get("discriminator"), str):
        node = dict(node)
        mapping = node.get("x-discriminator-mapping")
        node["discriminator"] = {"propertyName": node["discriminator"]}
        if mapping:
            node["discriminator"]["mapping"] = mapping
    if isinstance(node, dict) and node.get("format") == "uri":
        # pydantic's AnyUrl normalises URLs ("https://a.b" -> "https://a.b/"); keep the text
        node = {k: v for k, v in node.items() if k != "format"}
    if isinstance(node, dict):
        return {
            k: (
                {p: _strip_extensions(v) for p, v in node[k].items()}
                if k == "properties"
                else _strip_extensions(v)
            )
            for k, v in node.items()
            if not (k.startswith("x-") and k != "properties")
        }
    if isinstance(node, list):
        return [_strip_extensions(v) for v in node]
    return node


def _models(
    schemas: dict[str, Any],
    roots: list[str],
    extra: str,
    output: Path,
    client_nulls: dict[tuple[str, str], str] | None = None,
) -> None:
    """Models of the schemas `roots` reach. Strict ones (extra="forbid", what a server reads
    from clients) also refuse `null` where the spec does not allow it, save `client_nulls`
    (see nulls.py; the Realtime spec's CLIENT_NULLS by default)."""
    import datamodel_code_generator as dcg
    from datamodel_code_generator.format import Formatter

    strict = extra == "forbid"
    names = sorted({name for root in roots for name in _closure(schemas, root)})
    source = {n: _strip_extensions(s) for n, s in schemas.items()}
    if strict:
        source = nulls.mark(source, client_nulls)
    document = {
        "openapi": "3.1.0",
        "info": {"title": "models", "version": "0"},
        "paths": {},
        "components": {"schemas": {n: source[n] for n in names}},
    }
    # strict: a field with a default takes no null unless the spec says so (`speed: float = 1`),
    # and the marks reach the fields (as json_schema_extra, turned into NOT_NULL below)
    options: dict[str, Any] = (
        {"strict_nullable": True, "field_extra_keys": {nulls.NULL_MARK, nulls.OMITTED_MARK}}
        if strict
        else {}
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        dcg.generate(
            json.dumps(document),
            input_file_type=dcg.InputFileType.OpenAPI,
            output=output,
            output_model_type=dcg.DataModelType.PydanticV2BaseModel,
            target_python_version=dcg.PythonVersion.PY_311,
            use_annotated=True,
            field_constraints=True,
            use_union_operator=True,
            use_standard_collections=True,
            extra_fields=extra,
            enum_field_as_literal=dcg.LiteralType.All,
            disable_timestamp=True,
            use_type_alias=True,
            naming_strategy=dcg.NamingStrategy.ParentPrefixed,
            keep_model_order=True,
            use_double_quotes=True,
            custom_file_header="",
            formatters=[Formatter.RUFF_FORMAT],
            **options,
        )


@functools.cache
def _class_fields(source: str) -> tuple[dict[str, list[Field]], set[str]]:
    """Fields of every model class, with their annotations as written, and top-level names."""
    tree = ast.parse(source)
    classes: dict[str, list[Field]] = {}
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            names.add(node.name)
            fields: list[Field] = []
            for item in node.body:
                if isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name):
                    if item.target.id == "model_config":
                        continue
                    annotation = item.annotation
                    if (
                        isinstance(annotation, ast.Subscript)
                        and isinstance(annotation.value, ast.Name)
                        and annotation.value.id == "Annotated"
                        and isinstance(annotation.slice, ast.Tuple)
                    ):
                        base, *extras = annotation.slice.elts
                        # a NOT_NULL field may be left out, not given None
                        marks = {e.id for e in extras if isinstance(e, ast.Name)}
                        annotation = _without_none(base) if "NOT_NULL" in marks else base
                    text = ast.unparse(annotation)
                    fields.append(Field(item.target.id, text, item.value is None))
            classes[node.name] = fields
        elif isinstance(node, ast.Assign):
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
    return classes, names


def _without_none(annotation: ast.expr) -> ast.expr:
    """`X | None` -> `X`."""
    if isinstance(annotation, ast.BinOp) and isinstance(annotation.op, ast.BitOr):
        left, right = annotation.left, annotation.right
        if isinstance(right, ast.Constant) and right.value is None:
            return _without_none(left)
        return ast.BinOp(_without_none(left), ast.BitOr(), right)
    return annotation


def _tag_fields(schemas: dict[str, Any]) -> list[str]:
    """Fields the members of a union are told apart by: a declared discriminator, or a
    property that two or more object members of one union fix to values none of the others
    take (a const or an enum)."""
    found: set[str] = set()

    def resolved(node: Any) -> Any:
        while isinstance(node, dict) and isinstance(node.get("$ref"), str):
            node = schemas[node["$ref"].rsplit("/", 1)[-1]]
        return node

    def walk(node: Any) -> None:
        if isinstance(node, list):
            for item in node:
                walk(item)
        if not isinstance(node, dict):
            return
        named = node.get("discriminator")
        if isinstance(named, str):
            found.add(named)
        for key in ("oneOf", "anyOf"):
            values: dict[str, list[set[str]]] = {}
            for member in map(resolved, node.get(key, [])):
                for prop, sub in (member.get("properties") or {}).items():
                    sub = resolved(sub)
                    if isinstance(sub, dict) and ("const" in sub or "enum" in sub):
                        taken = [sub["const"]] if "const" in sub else sub["enum"]
                        values.setdefault(prop, []).append({json.dumps(v) for v in taken})
            for prop, sets in values.items():
                apart = sum(len(s) for s in sets) == len(set().union(*sets))
                if len(sets) >= 2 and apart:
                    found.add(prop)
        for value in node.values():
            walk(value)

    walk(schemas)
    return sorted(found)


def _widen(annotation: str, defined: set[str]) -> str:
    """Accept plain dicts wherever a model is expected, as openai-python does."""
    used = set(re.findall(r"\b[A-Z]\w*\b", annotation)) & defined
    return f"{annotation} | Mapping[str, Any]" if used else annotation


def _names_used(texts: list[str], defined: set[str]) -> list[str]:
    found: set[str] = set()
    for text in texts:
        found.update(set(re.findall(r"\b[A-Z]\w*\b", text)) & defined)
    return sorted(found)


class _Renderer:
    def __init__(self, spec: dict[str, Any], spec_bytes: bytes, spec_name: str) -> None:
        self.spec = spec
        self.env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(TEMPLATES),
            undefined=jinja2.StrictUndefined,
            keep_trailing_newline=True,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.env.filters["pyrepr"] = repr
        digest = hashlib.sha256(spec_bytes).hexdigest()[:16]
        self.header = (
            f"# Generated by `python -m codegen generate` from spec/{spec_name}\n"
            f"# (sha256 {digest}, upstream {spec['info']['version']}). Do not edit by hand:\n"
            "# change the spec or codegen/templates and run `make generate`.\n"
        )

    def render(self, template: str, **context: Any) -> str:
        return self.header + self.env.get_template(template).render(**context)


def _events(spec: dict[str, Any], dialect: str, modules: dict[str, str]) -> list[EventInfo]:
    messages = spec["components"]["messages"]
    replies: dict[str, list[str]] = {}
    for operation in spec["operations"].values():
        key = operation["messages"][0]["$ref"].rsplit("/", 1)[-1]
        replies[key] = [
            messages[r["$ref"].rsplit("/", 1)[-1]]["name"]
            for r in operation.get("reply", {}).get("messages", [])
        ]
    out: list[EventInfo] = []
    for key, message in messages.items():
        if message["x-dialect"] != dialect:
            continue
        direction = message["x-direction"]
        classes, _ = _class_fields(modules[direction])
        out.append(
            EventInfo(
                dialect=dialect,
                direction=direction,
                wire=message["name"],
                cls=key,
                summary=message.get("summary", ""),
                transports=message["x-transports"],
                replies=replies.get(key, []),
                fields=[f for f in classes[key] if f.name not in ("type", "event_id")],
            )
        )
    return out


def _resource_tree(events: list[EventInfo]) -> list[dict[str, Any]]:
    """Client events grouped as openai-python does: `conversation.item.create` ->
    conn.conversation.item.create(...)."""
    nodes: dict[tuple[str, ...], dict[str, Any]] = {}

    def node(path: tuple[str, ...]) -> dict[str, Any]:
        if path not in nodes:
            nodes[path] = {
                "path": path,
                "cls": naming.pascal("_".join(path)) + "Resource",
                "children": [],
                "methods": [],
            }
            if len(path) > 1:
                parent = node(path[:-1])
                parent["children"].append(path[-1])
        return nodes[path]

    for event in events:
        parts = tuple(event.wire.split("."))
        node(parts[:-1])["methods"].append((parts[-1], event))
    ordered = sorted(nodes.values(), key=lambda n: (-len(n["path"]), n["path"]))
    for entry in ordered:
        entry["children"] = sorted(set(entry["children"]))
        entry["child_classes"] = [
            (child, nodes[(*entry["path"], child)]["cls"]) for child in entry["children"]
        ]
    return ordered


def _error_id(schemas: dict[str, Any], server_union: str) -> str:
    """The key under which a surface's `error` object names the client event at fault:
    Realtime's `event_id`, GPT-Live's `client_event_id`."""
    mapping = schemas[server_union].get("x-discriminator-mapping", {})
    error_event = schemas.get(str(mapping.get("error", "")).removeprefix(REF_PREFIX), {})
    error = error_event.get("properties", {}).get("error", {})
    if isinstance(error.get("$ref"), str):
        error = schemas[error["$ref"].removeprefix(REF_PREFIX)]
    fields = error.get("properties", {})
    return (
        "client_event_id"
        if "client_event_id" in fields and "event_id" not in fields
        else "event_id"
    )


def _http_models(path: Path, workdir: Path, header: str, docstring: str) -> str:
    """Lenient models of every schema of an OpenAPI file (bodies of HTTP routes)."""
    http = yamlio.load_path(path)["components"]["schemas"]
    target = workdir / f"{path.stem}_http_models.py"
    _models(http, sorted(http), "allow", target)
    body = target.read_text().split("\nfrom __future__", 1)[-1]
    return header + f'"""{docstring}"""\n\n' + "from __future__" + body


def _surface(
    surface: targets.Surface, spec_dir: Path, renderer: _Renderer, workdir: Path
) -> dict[str, str]:
    """The files of one surface's package, by path relative to `_generated/`."""
    spec = renderer.spec
    schemas = spec["components"]["schemas"]
    files: dict[str, str] = {}
    unions = {"client": surface.client_union, "server": surface.server_union}
    modules: dict[str, str] = {}
    for direction in naming.DIRECTIONS:
        module, extra = MODULE_KIND[direction]
        target = workdir / f"{surface.name}_{module}.py"
        _models(schemas, [unions[direction]], extra, target, surface.client_nulls)
        modules[direction] = target.read_text()
        if extra == "forbid":
            modules[direction] = nulls.rewrite(modules[direction], ".._runtime")
        body = modules[direction].split("\nfrom __future__", 1)[-1]
        mode = "strict: rejects" if extra == "forbid" else "lenient: keeps"
        docstring = (
            f'"""Models of the {surface.label} {direction} events ({mode} unknown fields)."""\n\n'
        )
        files[f"{surface.name}/{module}.py"] = (
            renderer.header + docstring + "from __future__" + body
        )
    events = _events(spec, surface.dialect, modules)
    client = [e for e in events if e.direction == "client"]
    server = [e for e in events if e.direction == "server"]
    _, client_names = _class_fields(modules["client"])
    _, server_names = _class_fields(modules["server"])
    context: dict[str, Any] = {
        "title": surface.title,
        "client_union": surface.client_union,
        "server_union": surface.server_union,
        "client_events": client,
        "server_events": server,
        "widen_client": functools.partial(_widen, defined=client_names),
        "widen_server": functools.partial(_widen, defined=server_names),
        "error_id": _error_id(schemas, surface.server_union),
    }
    client_annotations = [f.annotation for e in client for f in e.fields]
    server_annotations = [f.annotation for e in server for f in e.fields]
    files[f"{surface.name}/__init__.py"] = renderer.render("dialect_init.py.jinja2", **context)
    files[f"{surface.name}/parsing.py"] = renderer.render("parsing.py.jinja2", **context)
    files[f"{surface.name}/server_stub.py"] = renderer.render(
        "server_stub.py.jinja2",
        server_imports=_names_used(server_annotations, server_names),
        **context,
    )
    files[f"{surface.name}/client_stub.py"] = renderer.render(
        "client_stub.py.jinja2",
        resources=_resource_tree(client),
        client_imports=_names_used(client_annotations, client_names),
        **context,
    )
    if surface.http is not None:
        files[f"{surface.name}/http_models.py"] = _http_models(
            spec_dir / surface.http,
            workdir,
            renderer.header,
            f"Models of the {surface.title}'s HTTP routes' bodies.",
        )
    return files


def render_all(spec_path: Path, workdir: Path) -> dict[str, str]:
    """Every generated file, by path relative to the package, already formatted.

    `spec_path` is the Realtime spec; the surfaces' other files sit beside it."""
    spec_dir = spec_path.parent
    renderers: dict[str, _Renderer] = {}
    for name in dict.fromkeys([spec_path.name, *(s.spec for s in targets.SURFACES)]):
        path = spec_dir / name
        if not path.exists():
            raise FileNotFoundError(f"{path}: a surface in codegen/targets.py names it")
        spec_bytes = path.read_bytes()
        renderers[name] = _Renderer(yamlio.load_bytes(spec_bytes), spec_bytes, name)
    renderer = renderers[spec_path.name]
    spec = renderer.spec
    # the fields unions are told apart by, over every surface (one refusal runtime for all)
    tag_fields = sorted(
        {f for r in renderers.values() for f in _tag_fields(r.spec["components"]["schemas"])}
    )
    files: dict[str, str] = {}

    files["__init__.py"] = renderer.render("package_init.py.jinja2", surfaces=targets.SURFACES)
    files["_runtime.py"] = renderer.render("runtime.py.jinja2", tag_fields=tag_fields)
    files["dialects.py"] = renderer.render("dialects.py.jinja2", t=dialects.tables(spec))
    files["http_models.py"] = _http_models(
        spec_path.with_name(HTTP_SPEC.name),
        workdir,
        renderer.header,
        "Models of the Realtime HTTP routes' bodies (client secrets, calls, legacy sessions)"
        " and of the webhooks' payloads.",
    )
    for surface in targets.SURFACES:
        files.update(_surface(surface, spec_dir, renderers[surface.spec], workdir))
    return _format(files, workdir / "out")


def _format(files: dict[str, str], out: Path) -> dict[str, str]:
    for rel, text in files.items():
        path = out / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    ruff = [sys.executable, "-m", "ruff"]
    config = ["--config", str(ROOT / "pyproject.toml")]
    fix = ["--fix-only", "--select", "I,F401", "--unsafe-fixes"]
    subprocess.run([*ruff, "check", *config, *fix, str(out)], check=True, capture_output=True)
    subprocess.run([*ruff, "format", *config, str(out)], check=True, capture_output=True)
    return {rel: (out / rel).read_text() for rel in sorted(files)}


def write(spec_path: Path, out: Path) -> list[str]:
    with tempfile.TemporaryDirectory() as tmp:
        files = render_all(spec_path, Path(tmp))
    if out.exists():
        shutil.rmtree(out)
    for rel, text in files.items():
        path = out / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return sorted(files)


def drift(spec_path: Path, out: Path) -> list[str]:
    """Files that differ between the committed code and a fresh generation."""
    with tempfile.TemporaryDirectory() as tmp:
        fresh = Path(tmp) / "fresh"
        write(spec_path, fresh)
        committed = (
            {p.relative_to(out).as_posix() for p in out.rglob("*.py")} if out.exists() else set()
        )
        generated = {p.relative_to(fresh).as_posix() for p in fresh.rglob("*.py")}
        differ = [
            rel
            for rel in sorted(committed & generated)
            if not filecmp.cmp(out / rel, fresh / rel, shallow=False)
        ]
        return sorted(set(differ) | (committed ^ generated))
