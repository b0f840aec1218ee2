#!/usr/bin/env python3
"""Check a training script against the libraries installed in THIS interpreter.

Usage: python3 validate_script.py <file> [--json]

Finds calls of trl / transformers / peft / bitsandbytes / datasets / accelerate classes and
functions (names resolved through the script's imports), and checks each keyword against
inspect.signature (dataclass fields for TrainingArguments-style configs). Also reports imports
that do not resolve. Output (always JSON; --json is accepted for symmetry with the CLI):
  {"findings": [{"line", "column", "endColumn", "severity", "code", "message", "suggestion"?}],
   "checked": N, "libraries": {name: version|null}, "python": sys.executable}
line and column are 1-based; endColumn is 1-based and exclusive (column + length).
Standard library only; the checked libraries are imported (that is the point), nothing else.
Python 3.9+.
"""
import ast
import dataclasses
import difflib
import importlib
import importlib.util
import inspect
import json
import re
import sys

LIBRARIES = ('trl', 'transformers', 'peft', 'bitsandbytes', 'datasets', 'accelerate')
DIST_NAMES = {}

# Renames between library versions: (callee name or '*', old keyword) -> new keyword, or a hint
# (a sentence) when the keyword moved to another class. Reversed automatically when a script
# written for the new API runs on an old install.
RENAMES = {
    ('SFTConfig', 'max_seq_length'): 'max_length',
    ('*', 'tokenizer'): 'processing_class',
    ('*', 'evaluation_strategy'): 'eval_strategy',
    ('*', 'use_auth_token'): 'token',
    ('*', 'no_cuda'): 'use_cpu',
    ('*', 'push_to_hub_token'): 'hub_token',
    ('*', 'torch_dtype'): 'dtype',
    ('SFTTrainer', 'max_seq_length'): 'move it to SFTConfig(max_length=...)',
    ('SFTTrainer', 'dataset_text_field'): 'move it to SFTConfig(dataset_text_field=...)',
    ('SFTTrainer', 'packing'): 'move it to SFTConfig(packing=...)',
    ('SFTTrainer', 'dataset_kwargs'): 'move it to SFTConfig(dataset_kwargs=...)',
    ('DPOTrainer', 'beta'): 'move it to DPOConfig(beta=...)',
    ('DPOTrainer', 'max_length'): 'move it to DPOConfig(max_length=...)',
    ('DPOTrainer', 'max_prompt_length'): 'move it to DPOConfig(max_prompt_length=...)',
}
# Names removed from a library, with what to do instead.
REMOVED = {
    ('trl', 'DataCollatorForCompletionOnlyLM'):
        'removed in trl 0.20: train only on completions with SFTConfig(completion_only_loss=True) '
        '(prompt/completion data) or SFTConfig(assistant_only_loss=True) (messages)',
    ('trl', 'setup_chat_format'): 'removed in recent trl: use tokenizer.apply_chat_template with a chat template',
    ('transformers', 'AdamW'): 'use torch.optim.AdamW',
    ('trl', 'AutoModelForCausalLMWithValueHead'): 'moved out of trl core in recent versions; pin trl<0.20 or use PPO alternatives',
}



class Finding(object):
    def __init__(self, node, severity, code, message, suggestion=None, lines=None, end_node=None):
        self.line = getattr(node, 'lineno', 1) or 1
        col = getattr(node, 'col_offset', 0) or 0
        end_line = getattr(node, 'end_lineno', None)
        end = getattr(node, 'end_col_offset', None)
        text = lines[self.line - 1] if lines and 0 < self.line <= len(lines) else ''
        self.column = _char_col(text, col) + 1
        if end is None or end_line != self.line:
            self.end_column = len(text) + 1 if text else self.column + 1
        else:
            self.end_column = _char_col(text, end) + 1
        self.severity = severity
        self.code = code
        self.message = message
        self.suggestion = suggestion

    def as_dict(self):
        d = {'line': self.line, 'column': self.column, 'endColumn': self.end_column, 'severity': self.severity,
             'code': self.code, 'message': self.message}
        if self.suggestion:
            d['suggestion'] = self.suggestion
        return d


def _char_col(text, byte_col):
    """ast offsets count UTF-8 bytes; editors count characters."""
    try:
        return len(text.encode('utf-8')[:byte_col].decode('utf-8', 'replace'))
    except Exception:
        return byte_col


def library_version(name, module=None):
    try:
        from importlib import metadata
        try:
            return metadata.version(DIST_NAMES.get(name, name))
        except metadata.PackageNotFoundError:
            pass
    except ImportError:
        pass
    if module is not None:
        v = getattr(module, '__version__', None)
        return str(v) if v is not None else None
    return None


class Validator(object):
    def __init__(self, source, filename):
        self.source = source
        self.filename = filename
        self.lines = source.splitlines()
        self.findings = []
        self.checked = 0
        self.aliases = {}          # local name -> ('module', dotted) or ('attr', module, attr)
        self.installed = {}        # library -> bool
        self.modules = {}          # library -> root module object (if imported)
        self.missing_warned = set()
        self.import_failed = set()

    # ---- libraries -------------------------------------------------------
    def _library(self, dotted):
        root = dotted.split('.')[0]
        return root if root in LIBRARIES else None

    def _available(self, lib, node):
        if lib not in self.installed:
            try:
                self.installed[lib] = importlib.util.find_spec(lib) is not None
            except (ImportError, ValueError):
                self.installed[lib] = False
        if not self.installed[lib] and lib not in self.missing_warned:
            self.missing_warned.add(lib)
            self.add(node, 'warning', 'missing-package',
                     '%s is not installed in %s; keywords not checked' % (lib, sys.executable),
                     'install it in this interpreter (pip install %s) or select the interpreter that has it' % lib)
        return self.installed[lib]

    def _import(self, dotted, node):
        """Import a module of a checked library; None (and a finding) when it does not resolve."""
        lib = self._library(dotted)
        if not self._available(lib, node):
            return None
        try:
            mod = importlib.import_module(dotted)
            self.modules.setdefault(lib, sys.modules.get(lib))
            return mod
        except ModuleNotFoundError as e:
            if e.name and (e.name == dotted or dotted.startswith(e.name + '.')):
                self.add(node, 'error', 'unresolved-import',
                         "module '%s' does not exist in the installed %s %s" % (dotted, lib, self._version(lib)))
            else:
                self._import_broke(lib, dotted, node, e)
            return None
        except Exception as e:  # the library itself failed to import
            self._import_broke(lib, dotted, node, e)
            return None

    def _import_broke(self, lib, dotted, node, e):
        if lib in self.import_failed:
            return
        self.import_failed.add(lib)
        msg = str(e).splitlines()[0] if str(e) else type(e).__name__
        self.add(node, 'warning', 'missing-package',
                 "importing '%s' failed in %s (%s: %s); keywords not checked" % (dotted, sys.executable, type(e).__name__, msg))

    def _version(self, lib):
        return library_version(lib, sys.modules.get(lib)) or '(unknown version)'

    def add(self, node, severity, code, message, suggestion=None):
        self.findings.append(Finding(node, severity, code, message, suggestion, self.lines))

    # ---- imports ---------------------------------------------------------
    def visit_imports(self, tree):
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for a in node.names:
                    lib = self._library(a.name)
                    if not lib:
                        continue
                    if self._import(a.name, node) is None:
                        continue
                    if a.asname:
                        self.aliases[a.asname] = ('module', a.name)
                    else:
                        self.aliases[a.name.split('.')[0]] = ('module', a.name.split('.')[0])
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                lib = self._library(node.module)
                if not lib:
                    continue
                mod = self._import(node.module, node)
                if mod is None:
                    continue
                for a in node.names:
                    if a.name == '*':
                        continue
                    if not hasattr(mod, a.name):
                        try:
                            importlib.import_module(node.module + '.' + a.name)
                            self.aliases[a.asname or a.name] = ('module', node.module + '.' + a.name)
                            continue
                        except Exception:
                            pass
                        hint = REMOVED.get((lib, a.name))
                        close = difflib.get_close_matches(a.name, [n for n in dir(mod) if not n.startswith('_')], 1, 0.8)
                        self.add(self._alias_node(node, a), 'error', 'unresolved-import',
                                 "cannot import '%s' from '%s' (%s %s)" % (a.name, node.module, lib, self._version(lib)),
                                 hint or ("did you mean '%s'?" % close[0] if close else None))
                        continue
                    self.aliases[a.asname or a.name] = ('attr', node.module, a.name)

    def _alias_node(self, node, alias):
        # Python 3.10+ gives aliases positions; before that, find the name in the statement.
        if getattr(alias, 'lineno', None):
            return alias
        for ln in range(node.lineno, (getattr(node, 'end_lineno', None) or node.lineno) + 1):
            text = self.lines[ln - 1] if ln <= len(self.lines) else ''
            start = text.find(' import ') + 8 if ln == node.lineno else 0
            m = re.compile(r'\b%s\b' % re.escape(alias.name)).search(text, max(start, 0))
            if m:
                pos = _Pos(ln, len(text[:m.start()].encode('utf-8')))
                pos.end_lineno = ln
                pos.end_col_offset = len(text[:m.end()].encode('utf-8'))
                return pos
        return node

    # ---- calls -----------------------------------------------------------
    def _resolve(self, expr):
        """Return (object, display name) for a call target built from imported names, else None."""
        if isinstance(expr, ast.Name):
            entry = self.aliases.get(expr.id)
            if not entry:
                return None
            if entry[0] == 'module':
                return sys.modules.get(entry[1]), entry[1]
            mod = sys.modules.get(entry[1])
            if mod is None:
                return None
            obj = getattr(mod, entry[2], None)
            return (obj, entry[2]) if obj is not None else None
        if isinstance(expr, ast.Attribute):
            base = self._resolve(expr.value)
            if base is None or base[0] is None:
                return None
            obj = getattr(base[0], expr.attr, None)
            if obj is None and inspect.ismodule(base[0]):
                try:
                    obj = importlib.import_module(base[0].__name__ + '.' + expr.attr)
                except Exception:
                    obj = None
            if obj is None:
                return None
            name = expr.attr if inspect.isclass(obj) or inspect.ismodule(obj) else '%s.%s' % (base[1].split('.')[-1], expr.attr)
            return obj, name
        return None

    def visit_calls(self, tree):
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            resolved = self._resolve(node.func)
            if resolved is None:
                continue
            obj, name = resolved
            if inspect.ismodule(obj) or not callable(obj):
                continue
            allowed, open_kwargs, _owner = self._accepted(obj)
            if allowed is None:
                continue
            self.checked += 1
            if open_kwargs:
                continue
            for kw in node.keywords:
                if kw.arg is None or kw.arg in allowed:
                    continue
                self._unknown_keyword(kw, name, obj, allowed)

    def _accepted(self, obj):
        """(accepted keyword names, accepts **kwargs, short name) or (None, ...) if unknown."""
        owner = getattr(obj, '__name__', type(obj).__name__)
        try:
            # The signature of the __init__ that actually runs: @dataclass keeps an __init__ the class
            # writes itself (transformers 5's BitsAndBytesConfig), so its fields say nothing then.
            sig = inspect.signature(obj)
        except (TypeError, ValueError):
            if inspect.isclass(obj) and dataclasses.is_dataclass(obj):
                return set(f.name for f in dataclasses.fields(obj) if f.init), False, owner
            return None, False, owner
        names = set()
        var_kw = False
        for p in sig.parameters.values():
            if p.kind == p.VAR_KEYWORD:
                var_kw = True
            elif p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY):
                names.add(p.name)
        return names, var_kw, owner

    def _unknown_keyword(self, kw, name, obj, allowed):
        callee = name.split('.')[-1]
        suggestion = None
        for key in ((callee, kw.arg), ('*', kw.arg)):
            if key in RENAMES:
                new = RENAMES[key]
                if ' ' in new:
                    suggestion = new
                elif new in allowed:
                    suggestion = "use '%s' instead" % new
                if suggestion:
                    break
        if not suggestion:
            for (c, old), new in RENAMES.items():
                if new == kw.arg and c in ('*', callee) and old in allowed:
                    suggestion = "this installed version still calls it '%s'" % old
                    break
        if not suggestion:
            close = difflib.get_close_matches(kw.arg, sorted(allowed), 1, 0.75)
            if close:
                suggestion = "did you mean '%s'?" % close[0]
        lib = self._library(getattr(obj, '__module__', None) or '')
        where = ' (%s %s)' % (lib, self._version(lib)) if lib else ''
        self.add(_KeywordPos(kw), 'error', 'unknown-keyword',
                 "%s() got an unexpected keyword '%s'%s" % (name, kw.arg, where), suggestion)

    def run(self):
        try:
            tree = ast.parse(self.source, self.filename)
        except SyntaxError as e:
            node = _Pos(e.lineno or 1, (e.offset or 1) - 1)
            self.findings.append(Finding(node, 'error', 'syntax-error', 'syntax error: %s' % e.msg, None, None))
            return
        self.visit_imports(tree)
        self.visit_calls(tree)


class _Pos(object):
    def __init__(self, lineno, col):
        self.lineno = lineno
        self.col_offset = col


class _KeywordPos(object):
    """Position of `name=` in a call (keyword nodes have positions from Python 3.9)."""

    def __init__(self, kw):
        self.lineno = getattr(kw, 'lineno', None) or kw.value.lineno
        self.col_offset = getattr(kw, 'col_offset', None)
        if self.col_offset is None:
            self.col_offset = kw.value.col_offset
        self.end_lineno = self.lineno
        self.end_col_offset = self.col_offset + len(kw.arg.encode('utf-8'))


def validate(path):
    with open(path, 'rb') as f:
        raw = f.read()
    try:
        source = raw.decode('utf-8')
    except UnicodeDecodeError:
        source = raw.decode('latin-1')
    v = Validator(source, path)
    v.run()
    libs = {}
    for lib in LIBRARIES:
        libs[lib] = library_version(lib, sys.modules.get(lib))
    findings = sorted(v.findings, key=lambda f: (f.line, f.column, f.code))
    return {'findings': [f.as_dict() for f in findings], 'checked': v.checked, 'libraries': libs,
            'python': sys.executable}


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    files = [a for a in argv if not a.startswith('--')]
    unknown = [a for a in argv if a.startswith('--') and a != '--json']
    if unknown or len(files) != 1:
        print(json.dumps({'error': 'usage: validate_script.py <file> [--json]'}))
        return 1
    try:
        result = validate(files[0])
    except OSError as e:
        print(json.dumps({'error': "Cannot read '%s': %s" % (files[0], e.strerror or e)}))
        return 1
    except Exception as e:  # never a traceback
        print(json.dumps({'error': 'Unexpected %s while validating: %s' % (type(e).__name__, e)}))
        return 1
    print(json.dumps(result))
    return 0


if __name__ == '__main__':
    sys.exit(main())
