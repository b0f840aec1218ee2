// The approval policy lives in policy/approval.ts (below the sessions, which use it too); re-exported for the agent's users.
export * from '../policy/approval';
