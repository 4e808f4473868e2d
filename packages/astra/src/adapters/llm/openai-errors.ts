import OpenAI from 'openai';
import type { SdkErrorClasses } from './sdk-errors.js';

/** The `openai` SDK's error classes, for `fromSdkError`. */
export const OPENAI_ERRORS: SdkErrorClasses = {
  APIError: OpenAI.APIError,
  APIUserAbortError: OpenAI.APIUserAbortError,
  APIConnectionTimeoutError: OpenAI.APIConnectionTimeoutError,
  APIConnectionError: OpenAI.APIConnectionError,
};
