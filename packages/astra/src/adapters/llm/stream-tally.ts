import type { LlmFinishReason, LlmRequest, LlmUsage } from '../../ports/llm.js';
import { countTokens, estimateInputTokens } from '../../tokenizer/index.js';

/**
 * What an attempt has streamed so far, kept by each adapter: the usage the provider reported
 * (possibly only the input half, as Anthropic sends it first), and the text and arguments seen,
 * from which a stream that broke before reporting its usage gets an estimate (flagged `estimated`).
 */
export class StreamTally {
  private inputTokens: number | null = null;
  private outputTokens: number | null = null;
  private cachedInputTokens = 0;
  private seen = '';
  /** True once the response began (headers received): only then does a failure carry usage. */
  started = false;
  finishReason: LlmFinishReason = 'stop';
  model: string;

  constructor(private readonly request: LlmRequest) {
    this.model = request.model;
  }

  /** Records streamed content (text or tool arguments) for the estimate. */
  saw(text: string): void {
    this.seen += text;
  }

  reportInput(tokens: number, cachedTokens = 0): void {
    this.inputTokens = tokens;
    this.cachedInputTokens = cachedTokens;
  }

  reportOutput(tokens: number): void {
    this.outputTokens = tokens;
  }

  /** The usage: as reported where the provider reported it, counted where it did not. */
  usage(): LlmUsage {
    const estimated = this.inputTokens === null || this.outputTokens === null;
    return {
      inputTokens: this.inputTokens ?? estimateInputTokens(this.request),
      outputTokens: this.outputTokens ?? countTokens(this.seen),
      cachedInputTokens: this.cachedInputTokens,
      estimated,
    };
  }

  /** The usage a failure carries: none before the response began. */
  failureUsage(): LlmUsage | undefined {
    return this.started ? this.usage() : undefined;
  }
}
