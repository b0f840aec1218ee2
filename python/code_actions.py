"""The persistent interpreter of the agent's code actions (standard library only).

The extension starts one per agent run and sends it code steps; the namespace (imports,
variables, loaded data frames) survives between steps, like a notebook kernel. The agent's tools
are Python functions in it: calling one asks the extension, which runs the real tool under the
same approvals as a direct tool call, and answers with the tool's text.

Protocol (one JSON object per line):
  in  (stdin):  {"type": "init", "tools": [{name, description, parameters}], "maxCalls": N}
                {"type": "exec", "step": N, "code": "..."}
                {"type": "result", "id": K, "ok": bool, "output": "..."}
                {"type": "interrupt"}
  out (the original stdout, kept private): {"type": "ready"}
                {"type": "output", "text": "..."}
                {"type": "call", "id": K, "name": "...", "args": {...}}
                {"type": "done", "step": N, "ok": bool, "value": "..." | null, "error": {...} | null}
Whatever the code prints is captured and sent as "output"; a subprocess writing to its
inherited stdout writes to stderr instead (fd 1 is pointed there), which the extension reads as
output too, so nothing the code does can corrupt the protocol.
"""
import ast
import inspect
import io
import json
import keyword
import linecache
import os
import queue
import signal
import sys
import threading
import time
import traceback

BRIDGE_FILE = "ml-intern-code-actions"
VALUE_CAP = 4000
FRAMES_KEPT = 5
FLUSH_CHARS = 8192
FLUSH_SECONDS = 0.2
CONTROL_TOOLS = ("finish", "ask_user", "python")


class ToolError(Exception):
    """A tool answered with a failure (refused by the user, bad arguments, a failed command)."""

    def __init__(self, tool, output):
        Exception.__init__(self, "%s failed: %s" % (tool, output))
        self.tool = tool
        self.output = output


class Bridge:
    def __init__(self, proto_in, proto_out):
        self.proto_in = proto_in
        self.proto_out = proto_out
        self.write_lock = threading.Lock()
        self.inbox = queue.Queue()
        self.busy = False
        self.next_call = 0
        self.calls_this_step = 0
        self.max_calls = 100
        self.namespace = {"__name__": "__main__", "__builtins__": __builtins__, "ToolError": ToolError}
        self.tool_names = []

    # -- the pipe ---------------------------------------------------------------------------
    def send(self, message):
        line = json.dumps(message, ensure_ascii=False)
        with self.write_lock:
            self.proto_out.write(line + "\n")
            self.proto_out.flush()

    def read_forever(self):
        """On its own thread: answers go to the inbox; an interrupt stops the running step."""
        for raw in self.proto_in:
            try:
                message = json.loads(raw)
            except ValueError:
                continue
            if message.get("type") == "interrupt":
                if self.busy:
                    # A real signal, so a sleep or a blocking read is interrupted too.
                    os.kill(os.getpid(), signal.SIGINT)
                continue
            self.inbox.put(message)
        # The extension is gone: nothing more can be asked or answered.
        os._exit(0)

    def wait(self, kind):
        # Short timeouts keep the main thread in Python code, where KeyboardInterrupt is raised.
        while True:
            try:
                message = self.inbox.get(timeout=0.1)
            except queue.Empty:
                continue
            if message.get("type") == kind:
                return message

    # -- tools as functions -----------------------------------------------------------------
    def call_tool(self, name, args):
        sys.stdout.flush()
        sys.stderr.flush()
        self.calls_this_step += 1
        if self.calls_this_step > self.max_calls:
            raise ToolError(name, "more than %d tool calls in one step; split the work into several steps" % self.max_calls)
        self.next_call += 1
        call_id = self.next_call
        self.send({"type": "call", "id": call_id, "name": name, "args": args})
        while True:
            answer = self.wait("result")
            if answer.get("id") == call_id:
                break
        if not answer.get("ok"):
            raise ToolError(name, answer.get("output", ""))
        return answer.get("output", "")

    def install_tools(self, specs):
        tools = {}
        for spec in specs:
            name = spec.get("name", "")
            if not name or name in CONTROL_TOOLS:
                continue
            stub = make_stub(self, name, spec.get("description", ""), spec.get("parameters") or {})
            tools[name] = stub
            py_name = python_name(name)
            self.namespace[py_name] = stub
            self.tool_names.append(py_name)
        self.namespace["tools"] = tools

    # -- steps ------------------------------------------------------------------------------
    def run_step(self, step, code):
        filename = "<code-%d>" % step
        # The traceback shows the model its own lines.
        linecache.cache[filename] = (len(code), None, code.splitlines(True), filename)
        self.calls_this_step = 0
        capture = Capture(self)
        real_out, real_err = sys.stdout, sys.stderr
        sys.stdout = sys.stderr = capture
        value = None
        error = None
        self.busy = True
        try:
            tree = ast.parse(code, filename, "exec")
            last = None
            if tree.body and isinstance(tree.body[-1], ast.Expr):
                last = ast.Expression(tree.body.pop().value)
            exec(compile(tree, filename, "exec"), self.namespace)
            if last is not None:
                result = eval(compile(last, filename, "eval"), self.namespace)
                if result is not None:
                    value = capped_repr(result)
        except BaseException as exc:  # noqa: BLE001 - the model gets the exception, never a dead kernel
            if isinstance(exc, SystemExit):
                error = {"type": "SystemExit", "message": "exit() ends nothing here: the interpreter keeps running", "traceback": ""}
            else:
                error = describe_error(exc)
        finally:
            self.busy = False
            capture.flush()
            sys.stdout, sys.stderr = real_out, real_err
        self.send({"type": "done", "step": step, "ok": error is None, "value": value, "error": error})

    def main(self):
        threading.Thread(target=self.read_forever, daemon=True).start()
        self.send({"type": "ready", "python": sys.version.split()[0]})
        while True:
            try:
                message = self.wait_any()
                kind = message.get("type")
                if kind == "init":
                    self.max_calls = int(message.get("maxCalls") or self.max_calls)
                    self.install_tools(message.get("tools") or [])
                    self.send({"type": "initialized", "tools": self.tool_names})
                elif kind == "exec":
                    self.run_step(int(message.get("step", 0)), str(message.get("code", "")))
            except KeyboardInterrupt:
                # An interrupt that arrived between steps: nothing was running.
                continue

    def wait_any(self):
        while True:
            try:
                return self.inbox.get(timeout=0.1)
            except queue.Empty:
                continue


class Capture(io.TextIOBase):
    """sys.stdout and sys.stderr of a step: sent to the extension in chunks."""

    def __init__(self, bridge):
        io.TextIOBase.__init__(self)
        self.bridge = bridge
        self.parts = []
        self.size = 0
        self.last = time.monotonic()

    def writable(self):
        return True

    def write(self, text):
        if not isinstance(text, str):
            text = str(text)
        self.parts.append(text)
        self.size += len(text)
        if self.size >= FLUSH_CHARS or time.monotonic() - self.last >= FLUSH_SECONDS:
            self.flush()
        return len(text)

    def flush(self):
        if self.parts:
            text = "".join(self.parts)
            self.parts, self.size = [], 0
            self.bridge.send({"type": "output", "text": text})
        self.last = time.monotonic()


def python_name(name):
    cleaned = "".join(c if c.isalnum() or c == "_" else "_" for c in name)
    if not cleaned or cleaned[0].isdigit() or keyword.iskeyword(cleaned):
        cleaned = "tool_" + cleaned
    return cleaned


def make_stub(bridge, name, description, schema):
    properties = schema.get("properties") or {}
    required = list(schema.get("required") or [])
    ordered = required + [p for p in properties if p not in required]
    usable = all(p.isidentifier() and not keyword.iskeyword(p) for p in ordered)
    if usable:
        params = [inspect.Parameter(p, inspect.Parameter.POSITIONAL_OR_KEYWORD) for p in required]
        params += [inspect.Parameter(p, inspect.Parameter.KEYWORD_ONLY, default=None) for p in ordered if p not in required]
        signature = inspect.Signature(params)
    else:
        signature = inspect.Signature([inspect.Parameter("kwargs", inspect.Parameter.VAR_KEYWORD)])

    def stub(*args, **kwargs):
        try:
            bound = signature.bind(*args, **kwargs)
        except TypeError as exc:
            raise TypeError("%s%s: %s" % (name, signature, exc)) from None
        arguments = dict(bound.arguments.get("kwargs", {})) if not usable else {k: v for k, v in bound.arguments.items() if v is not None}
        return bridge.call_tool(name, arguments)

    stub.__name__ = python_name(name)
    stub.__qualname__ = stub.__name__
    stub.__signature__ = signature
    stub.__doc__ = docstring(description, properties, required)
    return stub


def docstring(description, properties, required):
    lines = [description.strip(), "", "Returns the tool's answer as text; raises ToolError when it fails or is refused."]
    if properties:
        lines += ["", "Args:"]
        for p, prop in properties.items():
            kind = prop.get("type", "") if isinstance(prop, dict) else ""
            what = prop.get("description", "") if isinstance(prop, dict) else ""
            optional = "" if p in required else ", optional"
            lines.append("    %s (%s%s): %s" % (p, kind, optional, what))
    return "\n".join(lines)


def capped_repr(value):
    try:
        text = repr(value)
    except Exception as exc:  # noqa: BLE001 - a broken __repr__ must not lose the step
        text = "<%s: repr failed: %s>" % (type(value).__name__, exc)
    if len(text) > VALUE_CAP:
        text = text[: VALUE_CAP // 2] + " ... [%d characters cut] ... " % (len(text) - VALUE_CAP) + text[-VALUE_CAP // 2 :]
    return text


def describe_error(exc):
    """The exception with the last frames of the model's own code (the bridge's frames left out)."""
    tb = traceback.TracebackException(type(exc), exc, exc.__traceback__)
    own = [f for f in tb.stack if f.filename != BRIDGE_FILE and not f.filename.endswith("code_actions.py")]
    tb.stack = traceback.StackSummary.from_list(own[-FRAMES_KEPT:])
    text = "".join(tb.format())
    if isinstance(exc, ToolError):
        message = str(exc)
    else:
        message = "".join(traceback.format_exception_only(type(exc), exc)).strip()
    return {"type": type(exc).__name__, "message": message, "traceback": text}


def start():
    # The protocol keeps the real stdout; fd 1 goes to stderr so a subprocess cannot write into it.
    proto_out = io.TextIOWrapper(os.fdopen(os.dup(1), "wb"), encoding="utf-8", line_buffering=False)
    os.dup2(2, 1)
    proto_in = io.TextIOWrapper(os.fdopen(os.dup(0), "rb"), encoding="utf-8")
    # input() in a step gets end-of-file instead of stealing the protocol's lines.
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    sys.stdin = io.StringIO("")
    Bridge(proto_in, proto_out).main()


if __name__ == "__main__":
    start()
