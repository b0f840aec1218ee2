/**
 * The composition root of the host: every service one window shares is built
 * here, once, at activation, and handed to the areas that need it (areas.ts).
 * No module keeps a service in a module-level variable
 * (test/unit/hostSingletons.test.ts fails when one appears).
 */
import { Host } from './host';
import type { ChatHandlers } from './chat/handlers';
import { ChatPanel } from './chat/chatViewProvider';
import { ReviewController } from './review/reviewController';
import { pythonValidator } from './review/pythonValidator';
import { RunTracker } from './statusBar';
import { TrainingEnvironment } from './wizard/wizardServices';
import { SessionManager } from './session/sessionManager';
import { ChatAgent } from './session/chatAgent';

export interface Services {
  /** The Reviewer of every session and of the agent; the panel's Accept / Reject / Review diff. */
  readonly review: ReviewController;
  /** What the panel and the commands call into the session code (filled in by the session areas). */
  readonly handlers: ChatHandlers;
  /** The chat panel: the commands reveal runs in it. */
  readonly chat: ChatPanel;
  /** The run the status bar shows (Stop Run without a run id stops it). */
  readonly runs: RunTracker;
  /** The machine's environment report, cached for the wizard and the sessions. */
  readonly environment: TrainingEnvironment;
  /** The runs this window drives: start, stop, resume after a reload. */
  readonly sessions: SessionManager;
  /** The panel's conversations with the agent. */
  readonly agent: ChatAgent;
}

export function createServices(host: Host): Services {
  const review = new ReviewController(host, pythonValidator(host));
  // The panel's Accept / Reject / Review diff buttons go straight to the controller.
  const handlers: ChatHandlers = { review };
  const runs = new RunTracker();
  const environment = new TrainingEnvironment(host);
  const sessions = new SessionManager(host, { review, environment, runs });
  return {
    review,
    handlers,
    chat: new ChatPanel(host, handlers),
    runs,
    environment,
    sessions,
    agent: new ChatAgent(host, { review, sessions }),
  };
}
