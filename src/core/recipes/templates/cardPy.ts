/**
 * The model card's Training table, written from what actually ran. A card rendered when the recipe
 * is written states the recipe's values (and the push step's defaults, which never trained
 * anything); the user may edit CONFIG afterwards, and the run may stop early. So train.py writes
 * OUTPUT_DIR/ml_intern_training.json at the end of training (every CONFIG value that trained, the
 * processes and effective batch, the optimizer steps done, the final training loss), and whoever
 * uploads (train.py itself, push_to_hub.py) fills the card's Training section from that file.
 */

export const TRAINING_SUMMARY_FILE = 'ml_intern_training.json';
export const CARD_TRAINING_START = '<!-- ml-intern:training -->';
export const CARD_TRAINING_END = '<!-- /ml-intern:training -->';

/** What the card says until the upload fills it in (and what a reader of the unpushed README.md sees). */
export const CARD_TRAINING_PLACEHOLDER = [
  CARD_TRAINING_START,
  `The settings are filled in from \`${TRAINING_SUMMARY_FILE}\` (written by train.py when training ends) when the model is uploaded.`,
  CARD_TRAINING_END,
].join('\n');

/** Names that say where things go, not how the model was trained: left out of the card. */
const NOT_TRAINING = ['HUB_MODEL_ID', 'HUB_PRIVATE', 'RESUME_FROM_CHECKPOINT', 'OUTPUT_DIR', 'REPORT_TO', 'LOGGING_STEPS', 'EVAL_STEPS', 'SAVE_STEPS', 'SAVE_TOTAL_LIMIT'];

/** train.py's writer of the summary (main process, after trainer.train()). `configNames`: its CONFIG block's names. */
export function trainingSummaryPy(configNames: readonly string[], method: string, adapter: string): string {
  const names = configNames.filter((n) => !NOT_TRAINING.includes(n));
  return `def write_training_summary(result):
    """OUTPUT_DIR/${TRAINING_SUMMARY_FILE}: what trained this model (the model card is filled from it)."""
    config = {name: globals()[name] for name in ${JSON.stringify(names)} if name in globals()}
    processes = int(os.environ.get("WORLD_SIZE", "1"))
    summary = {
        "method": ${JSON.stringify(method.toUpperCase())},
        "adapter": ${JSON.stringify(adapter)},
        "processes": processes,
        "effective_batch": PER_DEVICE_TRAIN_BATCH_SIZE * GRADIENT_ACCUMULATION_STEPS * processes,
        "optimizer_steps": result.global_step,
        "final_train_loss": result.training_loss,
        "config": json.loads(json.dumps(config, default=repr)),
    }
    with open(os.path.join(OUTPUT_DIR, "${TRAINING_SUMMARY_FILE}"), "w", encoding="utf-8") as f:
        json.dump(summary, f, indent=2)
    return summary`;
}

/** card_with_training(card, summary): the card with its Training section from the summary (None: says it was not recorded). */
export const CARD_FILL_PY = `def card_cell(value):
    """A value as one Markdown table cell."""
    text = json.dumps(value) if isinstance(value, (list, dict)) else str(value)
    return text.replace("\\\\", "\\\\\\\\").replace("|", "\\\\|").replace("\\r", " ").replace("\\n", " ")


def card_with_training(card, summary):
    """The model card with its Training section written from what ran (${TRAINING_SUMMARY_FILE})."""
    start, end = "${CARD_TRAINING_START}", "${CARD_TRAINING_END}"
    if start not in card or end not in card:
        return card
    if summary is None:
        body = "The settings that trained this model were not recorded (no ${TRAINING_SUMMARY_FILE} beside the weights)."
    else:
        rows = [
            ("method", summary.get("method")),
            ("adapter", summary.get("adapter")),
            ("optimizer steps done", summary.get("optimizer_steps")),
            ("final training loss", round(summary["final_train_loss"], 4) if isinstance(summary.get("final_train_loss"), (int, float)) else None),
            ("processes (GPUs)", summary.get("processes")),
            ("effective batch", summary.get("effective_batch")),
        ]
        rows += [(name, value) for name, value in (summary.get("config") or {}).items()]
        body = "\\n".join(["| setting | value |", "|---|---|"] + [f"| {card_cell(k)} | {card_cell(v)} |" for k, v in rows if v is not None])
    head, rest = card.split(start, 1)
    return head + start + "\\n" + body + "\\n" + end + rest.split(end, 1)[1]


def read_training_summary(folder):
    try:
        with open(os.path.join(folder, "${TRAINING_SUMMARY_FILE}"), encoding="utf-8") as f:
            return json.load(f)
    except (OSError, ValueError):
        return None`;

/** Files an upload leaves out: checkpoints (and those set aside when a run started over), optimizer state, pickles. */
export const UPLOAD_IGNORE = ['checkpoint-*', 'superseded-*', '*.pt', 'optimizer*', 'scheduler*', 'rng_state*', 'training_args.bin'];
