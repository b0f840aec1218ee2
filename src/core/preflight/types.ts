// The report's shape lives in python/preflightReport.ts (the JSON preflight.py prints), below the
// event table that carries it to the panel (events.ts); re-exported here for preflight's users.
export * from '../python/preflightReport';
