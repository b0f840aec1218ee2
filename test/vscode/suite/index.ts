// Extension-host test suite entry (mocha). Filled by the E2E issue.
export async function run(): Promise<void> {}
