/**
 * Every area of the extension registers itself here, one line each, so that
 * capabilities slot in without touching activation.
 */
import { Host } from './host';
import { registerReview } from './review/register';
import { registerChatView } from './chat/chatViewProvider';
import { registerSelectModel } from './commands/selectModel';

export function registerAreas(host: Host): void {
  registerReview(host);
  registerChatView(host);
  registerSelectModel(host);
}
