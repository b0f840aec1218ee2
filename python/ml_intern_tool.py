"""The ``@tool`` decorator for ML Intern custom tools.

Drop a Python file in ``.ml-intern/tools/`` with functions decorated ``@tool``
(typed parameters, a Google-style docstring with an ``Args:`` section) and
ML Intern offers them to the agent. The decorator only marks the function:
it stays an ordinary function you can call and test yourself.

    from ml_intern_tool import tool

    @tool
    def trigger_slurm_job(script_path: str, gpus: int) -> str:
        \"\"\"
        Submits a training script to the cluster's Slurm scheduler.

        Args:
            script_path: The path to the python script to run.
            gpus: The number of GPUs to request.
        \"\"\"
        ...
"""

MARK = "__ml_intern_tool__"


def tool(fn=None, **_options):
    """Mark ``fn`` as an ML Intern tool. Works as ``@tool`` and ``@tool()``."""
    if fn is None:
        return lambda f: tool(f)
    setattr(fn, MARK, True)
    return fn


__all__ = ["tool", "MARK"]
