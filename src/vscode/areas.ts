/**
 * Every area of the extension registers itself here, one line each, so that
 * capabilities slot in without touching activation. The services they share
 * are built once before (services.ts) and passed in.
 */
import { Host } from './host';
import { Services } from './services';
import { registerReview } from './review/register';
import { registerChatView } from './chat/chatViewProvider';
import { registerSelectModel } from './commands/selectModel';
import { registerSelectInterpreter } from './commands/selectInterpreter';
import { registerFineTuneWizard } from './wizard/fineTuneWizard';
import { registerRunCommands } from './commands/runCommands';
import { registerRecipeCommands } from './commands/recipeCommands';
import { registerDiagnoseLog } from './commands/diagnoseLog';
import { registerCreateDevContainer } from './commands/devContainer';
import { registerStatusBar } from './statusBar';
import { registerSessions } from './session/sessionManager';
import { registerChatAgent } from './session/chatAgent';
import { registerRecipeHandlers } from './session/recipeHandlers';
import { registerPreflightPreview } from './preflight/previewCommand';

export function registerAreas(host: Host, s: Services): void {
  registerReview(host, s.review);
  registerChatView(host, s.chat);
  registerSelectModel(host);
  registerSelectInterpreter(host);
  registerFineTuneWizard(host, s);
  registerRunCommands(host, s);
  registerRecipeCommands(host, s.handlers, s.sessions);
  registerDiagnoseLog(host);
  registerCreateDevContainer(host, s.review);
  registerStatusBar(host, s.runs);
  registerSessions(host, s.sessions, s.handlers);
  registerChatAgent(host, s.agent, s.handlers);
  registerRecipeHandlers(host, s.sessions, s.handlers);
  registerPreflightPreview(host);
}
