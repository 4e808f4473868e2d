export {
  AstraError,
  type ErrorDetails,
  type ErrorOptions,
  isAstraError,
  normalizeError,
} from './astra-error.js';
export { ERROR_CODES, type ErrorCategory, type ErrorCode, type ErrorSpec, isErrorCode } from './codes.js';
