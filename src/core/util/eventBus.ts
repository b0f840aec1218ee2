import { AgentEvent } from '../events';
import { EventSink } from '../ports';

/** An EventSink that fans events out to any number of listeners (panel, status bar, logger). */
export class EventBus implements EventSink {
  private readonly listeners = new Set<(e: AgentEvent) => void>();

  emit(event: AgentEvent): void {
    for (const l of [...this.listeners]) {
      try {
        l(event);
      } catch {
        // A broken listener (e.g. a disposed webview) must not break the run.
      }
    }
  }

  subscribe(listener: (e: AgentEvent) => void): { dispose(): void } {
    this.listeners.add(listener);
    return { dispose: () => void this.listeners.delete(listener) };
  }
}
