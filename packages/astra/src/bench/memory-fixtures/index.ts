/**
 * The retrieval harness's fixture (bench:memory, docs/memory.md): 40 facts of a fictional engineering
 * organization and 30 questions, each with the ids of the facts that answer it. Written for this
 * repository; questions mostly reuse some of the fact's words (the offline embedder is lexical).
 */
export interface FixtureFact {
  readonly id: string;
  readonly content: string;
}

export interface FixtureQuestion {
  readonly q: string;
  readonly evidence: readonly string[];
}

export const FACTS: readonly FixtureFact[] = [
  {
    id: 'f01',
    content: 'The staging database runs PostgreSQL 15 on host db-stage-2.',
  },
  {
    id: 'f02',
    content: 'Production traffic is served from the Frankfurt region, with failover to Dublin.',
  },
  {
    id: 'f03',
    content: 'Billing is handled by Stripe; invoices are issued on the first day of each month.',
  },
  {
    id: 'f04',
    content: 'The on-call rotation changes every Monday at 09:00 UTC.',
  },
  {
    id: 'f05',
    content: 'Deploys to production are frozen from December 20 to January 3.',
  },
  {
    id: 'f06',
    content: 'The mobile app is written in Kotlin for Android and Swift for iOS.',
  },
  {
    id: 'f07',
    content: "Customer support tickets are tracked in Zendesk under the queue 'tier-2'.",
  },
  {
    id: 'f08',
    content: 'The search service uses OpenSearch with three data nodes.',
  },
  {
    id: 'f09',
    content: 'Marta Ruiz is the engineering manager of the payments team.',
  },
  {
    id: 'f10',
    content: "The payments team's standup is at 10:15 every weekday.",
  },
  {
    id: 'f11',
    content: 'Backups of the main database are taken every six hours and kept for 35 days.',
  },
  {
    id: 'f12',
    content: 'The public API is rate limited to 600 requests per minute per key.',
  },
  {
    id: 'f13',
    content: 'Feature flags are managed with an in-house service called Toggle.',
  },
  {
    id: 'f14',
    content:
      "The design system lives in the repository 'ui-kit' and is published to the internal npm registry.",
  },
  {
    id: 'f15',
    content: 'Error budgets are reviewed in the reliability meeting on the last Thursday of the month.',
  },
  {
    id: 'f16',
    content: 'The data warehouse is BigQuery, loaded nightly by Airflow.',
  },
  {
    id: 'f17',
    content: 'Passwords are hashed with Argon2id; the memory cost is 64 MiB.',
  },
  {
    id: 'f18',
    content: 'The company offsite in 2026 is in Lisbon in the second week of May.',
  },
  {
    id: 'f19',
    content: 'Access to production servers requires a hardware security key.',
  },
  {
    id: 'f20',
    content: 'The checkout page must load in under two seconds on a 4G connection.',
  },
  {
    id: 'f21',
    content: 'Logs are shipped to Loki and kept for 14 days.',
  },
  {
    id: 'f22',
    content: 'Metrics are scraped by Prometheus every 15 seconds.',
  },
  {
    id: 'f23',
    content: 'The incident commander for severity one incidents is the on-call engineering manager.',
  },
  {
    id: 'f24',
    content: 'The recommendation model is retrained every Sunday night.',
  },
  {
    id: 'f25',
    content: 'Email is sent through Postmark; marketing email goes through Mailchimp.',
  },
  {
    id: 'f26',
    content: 'The legal team must approve any change to the terms of service.',
  },
  {
    id: 'f27',
    content: 'The office in Berlin is closed on public holidays of the state of Berlin.',
  },
  {
    id: 'f28',
    content: 'The CI pipeline runs on GitHub Actions with self-hosted runners.',
  },
  {
    id: 'f29',
    content: 'Container images are scanned with Trivy before they are pushed.',
  },
  {
    id: 'f30',
    content: 'The oldest supported browser is Safari 15.',
  },
  {
    id: 'f31',
    content: 'Refunds above 500 euros need approval from the finance lead.',
  },
  {
    id: 'f32',
    content: 'The finance lead is Jonas Weber.',
  },
  {
    id: 'f33',
    content: 'Kubernetes clusters are upgraded one minor version each quarter.',
  },
  {
    id: 'f34',
    content: 'The message queue between orders and shipping is RabbitMQ.',
  },
  {
    id: 'f35',
    content: 'The shipping partner in Germany is DHL; in France it is Colissimo.',
  },
  {
    id: 'f36',
    content: 'User-uploaded images are stored in S3 and served through CloudFront.',
  },
  {
    id: 'f37',
    content: 'The analytics dashboard is built with Metabase.',
  },
  {
    id: 'f38',
    content: 'Security reviews are required for any new third-party dependency.',
  },
  {
    id: 'f39',
    content: 'The translation files are managed in Crowdin and synced daily.',
  },
  {
    id: 'f40',
    content: 'The payments team owns the fraud detection rules.',
  },
];

export const QUESTIONS: readonly FixtureQuestion[] = [
  {
    q: 'Which Postgres version does the staging database use?',
    evidence: ['f01'],
  },
  {
    q: 'Where is production traffic served from?',
    evidence: ['f02'],
  },
  {
    q: 'When are invoices issued?',
    evidence: ['f03'],
  },
  {
    q: 'When does the on-call rotation change?',
    evidence: ['f04'],
  },
  {
    q: 'Can we deploy to production on December 24?',
    evidence: ['f05'],
  },
  {
    q: 'What language is the Android app written in?',
    evidence: ['f06'],
  },
  {
    q: 'Where are support tickets tracked?',
    evidence: ['f07'],
  },
  {
    q: 'How many data nodes does the search cluster have?',
    evidence: ['f08'],
  },
  {
    q: 'Who manages the payments team?',
    evidence: ['f09'],
  },
  {
    q: 'What time is the payments standup?',
    evidence: ['f10'],
  },
  {
    q: 'How long are database backups kept?',
    evidence: ['f11'],
  },
  {
    q: 'What is the API rate limit per key?',
    evidence: ['f12'],
  },
  {
    q: 'How do we manage feature flags?',
    evidence: ['f13'],
  },
  {
    q: 'Where is the design system published?',
    evidence: ['f14'],
  },
  {
    q: 'When are error budgets reviewed?',
    evidence: ['f15'],
  },
  {
    q: 'How is the data warehouse loaded?',
    evidence: ['f16'],
  },
  {
    q: 'Which algorithm hashes passwords?',
    evidence: ['f17'],
  },
  {
    q: 'Where is the 2026 offsite?',
    evidence: ['f18'],
  },
  {
    q: 'What do I need to log in to a production server?',
    evidence: ['f19'],
  },
  {
    q: 'How fast must the checkout page load?',
    evidence: ['f20'],
  },
  {
    q: 'How long do we keep logs?',
    evidence: ['f21'],
  },
  {
    q: 'How often does Prometheus scrape metrics?',
    evidence: ['f22'],
  },
  {
    q: 'Who leads a severity one incident?',
    evidence: ['f23'],
  },
  {
    q: 'When is the recommendation model retrained?',
    evidence: ['f24'],
  },
  {
    q: 'Which provider sends marketing email?',
    evidence: ['f25'],
  },
  {
    q: 'Who must approve a refund of 800 euros?',
    evidence: ['f31', 'f32'],
  },
  {
    q: 'Which shipping partner do we use in France?',
    evidence: ['f35'],
  },
  {
    q: 'Where are uploaded images stored?',
    evidence: ['f36'],
  },
  {
    q: 'What does the payments team own?',
    evidence: ['f40', 'f09', 'f10'],
  },
  {
    q: 'What is required before adding a new third-party dependency?',
    evidence: ['f38'],
  },
];
