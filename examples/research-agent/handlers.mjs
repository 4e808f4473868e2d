import { FatalTaskError } from '@astra/sdk';

/**
 * The research agent's own task types, run by its worker (worker.mjs):
 * - `research.fetch {url}`: downloads a page (aborted with the task: its timeout, a lost lease,
 *   a drain) and answers its text, cut to 8 KiB, with its word count. A 4xx is fatal (retrying
 *   will not help), anything else is retried by Astra with backoff.
 * - `research.summarize {question}`: reads its dependencies' results (the fetched pages, by plan
 *   id) and answers the words they use most, page by page and overall.
 */
const STOP_WORDS = new Set(
  'a an and are as at be by for from has have in is it its of on or that the this to was were will with'.split(
    ' ',
  ),
);

export const handlers = {
  'research.fetch': async (task, { signal }) => {
    const { url } = task.payload;
    if (typeof url !== 'string') throw new FatalTaskError('payload.url must be a string');
    const response = await fetch(url, { signal });
    const text = (await response.text()).slice(0, 8192);
    if (response.status >= 400 && response.status < 500)
      throw new FatalTaskError(`${url} answered ${response.status}`);
    if (!response.ok) throw new Error(`${url} answered ${response.status}`);
    return { url, text, words: words(text).length };
  },

  'research.summarize': async (task) => {
    const pages = Object.entries(task.dependencies).map(([id, page]) => ({ id, ...page }));
    const all = pages.flatMap((page) => words(page.text));
    return {
      question: task.payload.question ?? null,
      pages: pages.map((page) => ({
        id: page.id,
        url: page.url,
        words: page.words,
        top: top(words(page.text), 3),
      })),
      top_words: top(all, 5),
      total_words: all.length,
    };
  },
};

/**
 * The tool the worker serves (docs/workers.md, "Tools served by a worker"): `research.page_words`
 * fetches a page and answers its word count. Astra registers its manifest when the worker
 * registers, checks every call's input against the schema before the worker sees it, and checks
 * the output against the output schema.
 */
export const tools = [
  {
    spec: {
      name: 'research.page_words',
      version: '1.0.0',
      description: 'Fetches a page and counts the words it uses (stop words left out).',
      inputSchema: {
        type: 'object',
        properties: { url: { type: 'string', pattern: '^https?://' } },
        required: ['url'],
        additionalProperties: false,
      },
      outputSchema: {
        type: 'object',
        properties: { url: { type: 'string' }, words: { type: 'integer', minimum: 0 } },
        required: ['url', 'words'],
      },
      riskTier: 'low',
      sideEffect: 'read_only',
    },
    handler: async ({ url }, { signal }) => {
      const response = await fetch(url, { signal });
      const text = await response.text();
      if (response.status >= 400 && response.status < 500)
        throw new FatalTaskError(`${url} answered ${response.status}`);
      if (!response.ok) throw new Error(`${url} answered ${response.status}`);
      return { url, words: words(text).length };
    },
  },
];

function words(text) {
  return (text.toLowerCase().match(/[a-z]+/g) ?? []).filter((word) => !STOP_WORDS.has(word));
}

function top(list, count) {
  const counts = new Map();
  for (const word of list) counts.set(word, (counts.get(word) ?? 0) + 1);
  return [...counts]
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .slice(0, count)
    .map(([word, n]) => ({ word, n }));
}
