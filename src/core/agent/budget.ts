// Budgets live in policy/budget.ts (below the sessions, which meter their LLM calls with them); re-exported for the agent's users.
export * from '../policy/budget';
