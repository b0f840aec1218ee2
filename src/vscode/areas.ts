/**
 * Every area of the extension registers itself here, one line each, so that
 * capabilities slot in without touching activation.
 */
import { Host } from './host';
import { registerReview } from './review/register';
import { registerChatView } from './chat/chatViewProvider';
import { registerSelectModel } from './commands/selectModel';
import { registerSelectInterpreter } from './commands/selectInterpreter';
import { getReviewController } from './review/register';
import { setReviewControls } from './chat/handlers';
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

export function registerAreas(host: Host): void {
  registerReview(host);
  registerChatView(host);
  registerSelectModel(host);
  registerSelectInterpreter(host);
  setReviewControls(getReviewController());
  registerFineTuneWizard(host);
  registerRunCommands(host);
  registerRecipeCommands(host);
  registerDiagnoseLog(host);
  registerCreateDevContainer(host);
  registerStatusBar(host);
  registerSessions(host);
  registerChatAgent(host);
  registerRecipeHandlers(host);
  registerPreflightPreview(host);
}
