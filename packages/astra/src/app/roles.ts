/** The roles a node can run (node.ts says what each does); `astra serve <roles…>` takes any of them. */
export const ROLES = ['gateway', 'scheduler', 'executor', 'worker-manager', 'browser'] as const;
export type Role = (typeof ROLES)[number];
