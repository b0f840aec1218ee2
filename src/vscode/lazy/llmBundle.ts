/**
 * Entry of dist/llm.js: the provider factory with the OpenAI and Anthropic SDKs. The
 * extension loads it through ./loader only when an LLM provider is first used, so the
 * SDKs are not evaluated at activation. Try it's vLLM client (the openai SDK) comes the same way.
 */
export { createProvider } from '../../core/llm/factory';
export { selectVsCodeModel } from '../llm/vscodeLmProvider';
export { streamTryItVllm } from '../../core/export/tryItVllm';
