/**
 * PLACEHOLDER (created by the chat/wizard work so the wizard compiles).
 * The lead replaces this file with the session that runs a FineTuneRequest:
 * recipe → review → run → monitor → recover.
 */
import { Host, UserFacingError } from '../host';
import { FineTuneRequest } from './fineTuneRequest';

export async function startFineTune(_host: Host, request: FineTuneRequest): Promise<void> {
  throw new UserFacingError(
    `ML Intern: fine-tuning is not wired yet in this build (the session runner is missing). Your choices were: ${request.baseModel} on ${request.dataset}, ${request.method.toUpperCase()} with ${request.adapter}.`,
  );
}
