"""Describe the custom tools in a folder as JSON schemas for the agent.

Usage: python describe_tools.py <tools_dir>

Imports every ``*.py`` file in ``tools_dir`` (this folder on sys.path, so
``from ml_intern_tool import tool`` works) and prints one JSON object:
``{"tools": [{name, description, parameters, file, function, kind}], "errors": [{file, error}]}``.
Functions marked with ``ml_intern_tool.tool`` and smolagents ``Tool`` objects
(anything with ``name``, ``description``, ``inputs`` and ``forward``) are
described. Standard library only.
"""
import importlib.util
import inspect
import json
import os
import sys
import types
import typing

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)

from ml_intern_tool import MARK, tool as _tool  # noqa: E402

SIMPLE = {str: "string", int: "integer", float: "number", bool: "boolean", list: "array", dict: "object",
          tuple: "array", set: "array"}
SECTION_HEADERS = ("args:", "arguments:", "parameters:", "returns:", "return:", "raises:", "yields:",
                   "examples:", "example:", "notes:", "note:")


def install_smolagents_shim():
    """Let ``from smolagents import tool`` work when smolagents is not installed."""
    try:
        import smolagents  # noqa: F401
        return
    except Exception:
        pass
    shim = types.ModuleType("smolagents")
    shim.tool = _tool
    shim.__ml_intern_shim__ = True
    sys.modules["smolagents"] = shim


def load_module(path, index):
    name = "ml_intern_custom_tool_%d_%s" % (index, os.path.splitext(os.path.basename(path))[0])
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def json_type(annotation):
    """(schema, optional) for a type annotation."""
    if annotation is inspect.Parameter.empty or annotation is typing.Any:
        return {}, False
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Union or (hasattr(types, "UnionType") and isinstance(annotation, getattr(types, "UnionType"))):
        rest = [a for a in args if a is not type(None)]
        optional = len(rest) < len(args)
        if len(rest) == 1:
            schema, _ = json_type(rest[0])
            return schema, optional
        return {}, optional
    if origin is typing.Literal:
        values = list(args)
        schema = {"enum": values}
        kinds = {type(v) for v in values}
        if len(kinds) == 1 and kinds.pop() in SIMPLE:
            schema["type"] = SIMPLE[type(values[0])]
        return schema, False
    if origin in (list, tuple, set, typing.List, typing.Tuple, typing.Set):
        schema = {"type": "array"}
        if args and args[0] is not Ellipsis:
            item, _ = json_type(args[0])
            if item:
                schema["items"] = item
        return schema, False
    if origin in (dict, typing.Dict):
        return {"type": "object"}, False
    if annotation in SIMPLE:
        return {"type": SIMPLE[annotation]}, False
    return {}, False


def parse_docstring(doc):
    """(description, {arg: text}) from a Google-style docstring."""
    doc = inspect.cleandoc(doc or "")
    lines = doc.splitlines()
    description, params = [], {}
    section = None
    current = None
    arg_indent = None
    for line in lines:
        stripped = line.strip()
        lower = stripped.lower()
        if lower in SECTION_HEADERS:
            section = lower.rstrip(":")
            current, arg_indent = None, None
            continue
        if section is None:
            description.append(line)
            continue
        if section not in ("args", "arguments", "parameters"):
            continue
        if not stripped:
            continue
        indent = len(line) - len(line.lstrip())
        if arg_indent is None:
            arg_indent = indent
        if indent <= arg_indent and ":" in stripped:
            head, _, text = stripped.partition(":")
            name = head.split("(")[0].strip().lstrip("*")
            current = name
            params[name] = text.strip()
        elif current is not None:
            params[current] = (params[current] + " " + stripped).strip()
    return "\n".join(description).strip(), params


def describe_function(fn):
    sig = inspect.signature(fn)
    try:
        hints = typing.get_type_hints(fn)
    except Exception:
        hints = {}
    description, arg_docs = parse_docstring(fn.__doc__)
    properties, required = {}, []
    for name, param in sig.parameters.items():
        if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            continue
        schema, optional = json_type(hints.get(name, param.annotation))
        schema = dict(schema)
        if name in arg_docs:
            schema["description"] = arg_docs[name]
        if param.default is not inspect.Parameter.empty:
            optional = True
            if isinstance(param.default, (str, int, float, bool)):
                schema["default"] = param.default
        properties[name] = schema
        if not optional:
            required.append(name)
    parameters = {"type": "object", "properties": properties}
    if required:
        parameters["required"] = required
    return {"name": fn.__name__, "description": description or fn.__name__, "parameters": parameters,
            "function": fn.__name__, "kind": "function"}


SMOL_TYPES = {"string": "string", "integer": "integer", "number": "number", "boolean": "boolean",
              "array": "array", "object": "object"}


def is_smolagents_tool(obj):
    return all(hasattr(obj, a) for a in ("name", "description", "inputs", "forward")) and isinstance(
        getattr(obj, "inputs", None), dict) and not inspect.isclass(obj)


def describe_smolagents(obj, attr):
    properties, required = {}, []
    for name, spec in obj.inputs.items():
        spec = spec or {}
        schema = {}
        t = spec.get("type")
        if isinstance(t, str) and t in SMOL_TYPES:
            schema["type"] = SMOL_TYPES[t]
        if spec.get("description"):
            schema["description"] = spec["description"]
        properties[name] = schema
        if not spec.get("nullable"):
            required.append(name)
    parameters = {"type": "object", "properties": properties}
    if required:
        parameters["required"] = required
    return {"name": str(obj.name), "description": str(obj.description), "parameters": parameters,
            "function": attr, "kind": "smolagents"}


def describe_module(module):
    out = []
    for attr, obj in list(vars(module).items()):
        if attr.startswith("_"):
            continue
        if inspect.isfunction(obj) and getattr(obj, MARK, False) and obj.__module__ == module.__name__:
            out.append(describe_function(obj))
        elif is_smolagents_tool(obj):
            out.append(describe_smolagents(obj, attr))
    return out


def main(argv):
    if len(argv) != 2:
        print(json.dumps({"tools": [], "errors": [{"file": "", "error": "usage: describe_tools.py <tools_dir>"}]}))
        return 2
    tools_dir = os.path.abspath(argv[1])
    install_smolagents_shim()
    if tools_dir not in sys.path:
        sys.path.insert(1, tools_dir)
    result = {"tools": [], "errors": []}
    if os.path.isdir(tools_dir):
        real_stdout = sys.stdout
        sys.stdout = sys.stderr  # a print() at import time must not break the JSON
        try:
            for index, name in enumerate(sorted(os.listdir(tools_dir))):
                if not name.endswith(".py") or name.startswith("_"):
                    continue
                path = os.path.join(tools_dir, name)
                try:
                    module = load_module(path, index)
                    for entry in describe_module(module):
                        entry["file"] = path
                        result["tools"].append(entry)
                except BaseException as exc:  # noqa: BLE001 - one broken file must not hide the others
                    result["errors"].append({"file": path, "error": "%s: %s" % (type(exc).__name__, exc)})
        finally:
            sys.stdout = real_stdout
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
