// The request type lives in the core (the session that runs it is editor-agnostic).
export type { FineTuneRequest } from '../../core/session/types';
