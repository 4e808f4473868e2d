import { createMemoryLimiter } from '../../src/services/llm/index.js';
import { describeLimiterConformance } from './router-limiter.suite.js';

describeLimiterConformance('in-process', (clock, limits) => {
  const limiter = createMemoryLimiter({ clock, limits });
  return Promise.resolve({ first: limiter, second: limiter });
});
