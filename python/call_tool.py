"""Call one custom tool with JSON arguments and print its result as JSON.

Usage: python call_tool.py <file.py> <function_or_attribute>   (arguments: a JSON object on stdin)

Prints ``{"ok": true, "result": "<the string result>"}``, or
``{"ok": false, "error": "<Type>: <message>"}`` when the tool raises.
Whatever the tool prints goes to stderr, so stdout stays valid JSON.
"""
import json
import os
import sys
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)

import describe_tools  # noqa: E402


def main(argv):
    if len(argv) != 3:
        print(json.dumps({"ok": False, "error": "usage: call_tool.py <file.py> <function> (JSON arguments on stdin)"}))
        return 2
    path, attr = os.path.abspath(argv[1]), argv[2]
    real_stdout = sys.stdout
    sys.stdout = sys.stderr
    try:
        raw = sys.stdin.read()
        args = json.loads(raw) if raw.strip() else {}
        if not isinstance(args, dict):
            raise TypeError("the arguments must be a JSON object")
        describe_tools.install_smolagents_shim()
        tools_dir = os.path.dirname(path)
        if tools_dir not in sys.path:
            sys.path.insert(1, tools_dir)
        module = describe_tools.load_module(path, 0)
        obj = getattr(module, attr, None)
        if obj is None:
            raise LookupError("no tool '%s' in %s" % (attr, path))
        if describe_tools.is_smolagents_tool(obj):
            result = obj.forward(**args)
        else:
            result = obj(**args)
        payload = {"ok": True, "result": result if isinstance(result, str) else json.dumps(result, default=str)}
    except BaseException as exc:  # noqa: BLE001 - the agent gets the message, never a crash
        traceback.print_exc(file=sys.stderr)
        payload = {"ok": False, "error": "%s: %s" % (type(exc).__name__, exc)}
    finally:
        sys.stdout = real_stdout
    print(json.dumps(payload))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
