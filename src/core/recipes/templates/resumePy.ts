/**
 * The part of train.py that decides whether RESUME_FROM_CHECKPOINT = "auto" may go on from a
 * checkpoint. Resuming blindly from the newest checkpoint-N is silently wrong twice over: after the
 * user edits CONFIG and reruns, the Trainer resumes the finished run's last checkpoint, trains 0
 * steps and the script pushes the old weights. So the script writes a record of what defines the
 * run (the CONFIG values below, the effective batch, a digest of the data) into every checkpoint it
 * saves, and resumes only from a checkpoint whose record matches and whose step is below the
 * planned total (trainer_state.json: global_step < max_steps). The session mirrors the same rule
 * in src/core/session/checkpoints.ts.
 *
 * The helpers between the markers use only the standard library and the script's CONFIG globals, so
 * tests (and the fixture trainer) run them with plain python3.
 */

/** The record's file name inside each checkpoint-N folder. */
export const RUN_RECORD_FILE = 'ml_intern_run.json';

/**
 * CONFIG names that change what a run learns. The rest may change between a run and its
 * resumption: how the effective batch is split into micro-batches (the out-of-memory fix), memory
 * and speed switches, logging, saving, where to push.
 */
export const RUN_DEFINING_NAMES = [
  'MODEL_ID', 'DATASET', 'DATASET_SPLIT', 'EVAL_SPLIT', 'SEED', 'MAX_LENGTH', 'MAX_PROMPT_LENGTH',
  'NUM_TRAIN_EPOCHS', 'MAX_STEPS', 'LEARNING_RATE', 'LR_SCHEDULER_TYPE', 'WARMUP_RATIO', 'BF16', 'FP16', 'OPTIM',
  'LORA_R', 'LORA_ALPHA', 'LORA_DROPOUT', 'LORA_TARGET_MODULES', 'LOAD_IN_4BIT', 'BETA', 'DESIRABLE_WEIGHT',
  'SYSTEM_PROMPT', 'COMPLETION_ONLY_LOSS', 'ASSISTANT_ONLY_LOSS',
] as const;

export const RESUME_BEGIN = '# ---- resume rule: begin';
export const RESUME_END = '# ---- resume rule: end';

/** The helpers, RUN_DEFINING listing the run-defining names this script's CONFIG block has. */
export const resumeHelpers = (configNames: readonly string[]): string => `${RESUME_BEGIN} (standard library only: which checkpoint "auto" may go on from)
RUN_RECORD = "${RUN_RECORD_FILE}"
# CONFIG names that change what the run learns; the micro-batch split, memory, logging and saving
# settings may change between a run and its resumption (the effective batch may not).
RUN_DEFINING = ${JSON.stringify(RUN_DEFINING_NAMES.filter((n) => configNames.includes(n)))}


def is_main_process():
    """Rank 0 under accelerate/torchrun (they set RANK), or a single process."""
    return int(os.environ.get("RANK", "0")) == 0


def data_digest():
    """sha256 of the local dataset's bytes (a file, or every file of a folder by relative path); a Hub id as itself."""
    if not isinstance(DATASET, str) or not os.path.exists(DATASET):
        return "hub:" + str(DATASET)
    digest = hashlib.sha256()
    if os.path.isfile(DATASET):
        paths = [DATASET]
    else:
        paths = sorted(os.path.join(root, name) for root, _, names in os.walk(DATASET) for name in names)
    for path in paths:
        digest.update(os.path.relpath(path, DATASET).replace(os.sep, "/").encode("utf-8") + b"\\0")
        with open(path, "rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                digest.update(chunk)
    return digest.hexdigest()


def run_record():
    """What defines this run: the CONFIG values that change what it learns, the effective batch, the data."""
    config = {name: globals()[name] for name in RUN_DEFINING if name in globals()}
    config["EFFECTIVE_BATCH"] = PER_DEVICE_TRAIN_BATCH_SIZE * GRADIENT_ACCUMULATION_STEPS * int(os.environ.get("WORLD_SIZE", "1"))
    return {"config": json.loads(json.dumps(config, default=repr)), "data_sha256": data_digest()}


def read_json(path):
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def record_differences(saved, current):
    """The names (and "the data") that differ between a checkpoint's record and this run."""
    before, now = saved.get("config") or {}, current["config"]
    changed = [name for name in sorted(set(before) | set(now)) if before.get(name) != now.get(name)]
    if saved.get("data_sha256") != current["data_sha256"]:
        changed.append("the data in DATASET")
    return changed


def checkpoint_folders():
    """(step, folder) of every checkpoint-N folder in OUTPUT_DIR, newest first."""
    if not os.path.isdir(OUTPUT_DIR):
        return []
    found = [(int(name[len("checkpoint-"):]), os.path.join(OUTPUT_DIR, name)) for name in os.listdir(OUTPUT_DIR)
             if name.startswith("checkpoint-") and name[len("checkpoint-"):].isdigit()]
    return sorted(found, reverse=True)


def checkpoint_to_resume():
    """RESUME_FROM_CHECKPOINT as a folder; for "auto" the newest checkpoint of this same run that the
    Trainer finished writing (trainer_state.json is written last) and whose step is below the planned
    total. Anything else starts over, saying why."""
    say = print if is_main_process() else (lambda *a, **k: None)
    if not RESUME_FROM_CHECKPOINT:
        return None
    if RESUME_FROM_CHECKPOINT != "auto":
        return RESUME_FROM_CHECKPOINT
    current = run_record()
    for step, folder in checkpoint_folders():
        state = read_json(os.path.join(folder, "trainer_state.json"))
        if state is None:
            say(f"Skipping {folder}: not completely written (no trainer_state.json)")
            continue
        saved = read_json(os.path.join(folder, RUN_RECORD))
        if saved is None:
            say(f"Skipping {folder}: it has no {RUN_RECORD}, so the CONFIG that trained it is unknown")
            continue
        changed = record_differences(saved, current)
        if changed:
            say(f"Starting over: {folder} was trained with a different " + ", ".join(changed) + " (RESUME_FROM_CHECKPOINT = \\"auto\\" resumes only the same run)")
            return None
        done, planned = state.get("global_step", step), state.get("max_steps") or 0
        if planned and done >= planned:
            say(f"Starting over: {folder} is the end of a finished run (step {done} of {planned}); resuming it would train 0 steps")
            return None
        say(f"Resuming from {folder} (step {done} of {planned or '?'}; RESUME_FROM_CHECKPOINT = \\"auto\\"; None starts over)")
        return folder
    return None


def set_aside_checkpoints():
    """Starting over beside earlier checkpoints: move them into OUTPUT_DIR/superseded-<time>/ (nothing is
    deleted), so the Trainer's rotation (it deletes the lowest steps first) cannot remove the new run's
    checkpoints and a later "auto" cannot mistake them for this run's."""
    folders = [folder for _, folder in checkpoint_folders()]
    if not folders:
        return
    target = os.path.join(OUTPUT_DIR, "superseded-" + time.strftime("%Y%m%d-%H%M%S"))
    os.makedirs(target, exist_ok=True)
    for folder in folders:
        os.rename(folder, os.path.join(target, os.path.basename(folder)))
    print(f"Moved {len(folders)} earlier checkpoint folder(s) to {target}")


def write_run_record(folder, record):
    with open(os.path.join(folder, RUN_RECORD), "w", encoding="utf-8") as f:
        json.dump(record, f, indent=2)
${RESUME_END}`;

/** The callback that writes the record into each checkpoint (needs transformers, so outside the markers). */
export const RUN_RECORD_CALLBACK = `class RunRecordCallback(TrainerCallback):
    """Writes the run's record into each checkpoint right after the Trainer saved it (main process only)."""

    def __init__(self, record):
        self.record = record

    def on_save(self, args, state, control, **kwargs):
        folder = os.path.join(args.output_dir, f"checkpoint-{state.global_step}")
        if state.is_world_process_zero and os.path.isdir(folder):
            write_run_record(folder, self.record)`;
