/**
 * The part of GRPO's train.py that records a few sampled completions with their rewards at each
 * logging step, for the run card's samples (src/core/logs/grpoSamples.ts reads the file).
 *
 * Why a wrapper around the reward functions and a TrainerCallback, not trl's own `log_completions`:
 * trl 0.14-0.17 send the table only to wandb, later releases print it with rich and (1.x) write
 * parquet under output_dir/completions — none of it a file the run can follow, and not the same in
 * any two versions. Every trl since 0.14 calls each reward as func(prompts=..., completions=..., **columns)
 * and names its metrics after func.__name__ (kept by functools.wraps), and every Trainer calls
 * on_log at each logging step; so this works the same on every version the recipes target.
 */

export const SAMPLES_FILE = 'samples.jsonl';
/** The environment variable that tells train.py where to write them (the run folder's samples.jsonl). */
export const SAMPLES_ENV = 'ML_INTERN_SAMPLES_FILE';

/** Characters of a prompt or completion train.py writes (the host bounds them again on reading). */
export const SAMPLE_TEXT_CHARS = 2000;

export const GRPO_SAMPLES_PY = `

def sample_text(value):
    """A prompt or completion as text: the last message's content of a conversation, else the string."""
    if isinstance(value, list) and value and isinstance(value[-1], dict):
        value = value[-1].get("content", "")
    if not isinstance(value, str):
        value = json.dumps(value, ensure_ascii=False, default=str)
    return value[:${SAMPLE_TEXT_CHARS}]


def sample_score(value):
    try:
        value = float(value)
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None


class SampleRecorder(TrainerCallback):
    """Keeps the first completions of the latest reward call with each reward's score; at each logging
    step appends them as one JSON line to \`path\` (the run card shows the newest). Never stops training."""

    def __init__(self, path, weights, keep):
        self.path = path
        self.weights = list(weights)
        self.keep = keep
        self.batch = None
        self.last_index = -1

    def wrap(self, funcs):
        return [self.recorded(i, f) for i, f in enumerate(funcs)]

    def recorded(self, index, func):
        # Reward models (nn.Module) and async rewards are passed through as they are.
        if self.keep <= 0 or not inspect.isfunction(func) or inspect.iscoroutinefunction(func):
            return func

        @functools.wraps(func)
        def reward(*args, **kwargs):
            scores = func(*args, **kwargs)
            try:
                self.note(index, func.__name__, kwargs, scores)
            except Exception as error:  # recording is a view on training, never a reason to stop it
                print(f"samples: not recorded ({error})")
            return scores

        return reward

    def note(self, index, name, kwargs, scores):
        if self.batch is None or index <= self.last_index:
            # The first reward of a new generation batch.
            self.batch = {
                "prompts": list(kwargs.get("prompts") or [])[: self.keep],
                "completions": list(kwargs.get("completions") or [])[: self.keep],
                "scores": {},
            }
        self.last_index = index
        self.batch["scores"][index] = (name, [sample_score(s) for s in list(scores)[: self.keep]])

    def on_log(self, args, state, control, logs=None, **kwargs):
        batch, self.batch, self.last_index = self.batch, None, -1
        if batch is None or not state.is_world_process_zero:
            return
        samples = []
        for i, completion in enumerate(batch["completions"]):
            rewards, total, counted = {}, 0.0, False
            for index, (name, scores) in sorted(batch["scores"].items()):
                score = scores[i] if i < len(scores) else None
                rewards[name] = score
                if score is not None:
                    weight = self.weights[index] if index < len(self.weights) else 1.0
                    total, counted = total + weight * score, True
            prompt = batch["prompts"][i] if i < len(batch["prompts"]) else ""
            samples.append({"prompt": sample_text(prompt), "completion": sample_text(completion), "rewards": rewards, "total": total if counted else None})
        try:
            folder = os.path.dirname(os.path.abspath(self.path))
            os.makedirs(folder, exist_ok=True)
            with open(self.path, "a", encoding="utf-8") as f:
                f.write(json.dumps({"step": state.global_step, "samples": samples}, ensure_ascii=False) + "\\n")
        except OSError as error:
            print(f"samples: cannot write {self.path} ({error})")
`;
