/**
 * Messages the user typed while the run was going, for the model's next step. Each is kept in the
 * transcript when it is queued ('queued') and when the model gets it ('dequeued'), so a message
 * sent just before a window reload is still read by the reopened run.
 */
import { TranscriptEntry } from '../runs/types';

export interface QueuedMessage {
  id: number;
  text: string;
}

export class QueuedMessages {
  private waiting: QueuedMessage[] = [];
  private lastId = 0;

  /** What a run's transcript left queued and not yet given to the model, in order. */
  static fromTranscript(entries: readonly TranscriptEntry[]): QueuedMessages {
    const queue = new QueuedMessages();
    const dequeued = new Set<number>();
    for (const e of entries) {
      if (e.kind === 'queued') {
        queue.waiting.push({ id: e.id, text: e.text });
        queue.lastId = Math.max(queue.lastId, e.id);
      } else if (e.kind === 'dequeued') dequeued.add(e.id);
    }
    queue.waiting = queue.waiting.filter((q) => !dequeued.has(q.id));
    return queue;
  }

  get length(): number {
    return this.waiting.length;
  }

  /** Queue a message under a new id (ids go on from those of the transcript). */
  add(text: string): QueuedMessage {
    const message = { id: ++this.lastId, text };
    this.waiting.push(message);
    return message;
  }

  /** Every waiting message, in order; the queue is empty after. */
  takeAll(): QueuedMessage[] {
    return this.waiting.splice(0);
  }
}
