/** How a session's run ended, as the host and the CLI report it. */
export type SessionOutcome =
  | { kind: 'succeeded'; summary: string }
  | { kind: 'rejected'; summary: string }
  | { kind: 'needs_user'; summary: string; question: string }
  | { kind: 'failed'; summary: string }
  | { kind: 'stopped'; summary: string };
