// The layout's rules (README, "How the code is laid out"), checked by `npm test` (npm run check:imports).
// Shared services sit below every feature; the data path (events → eligibility → invitations → sending →
// responses → rollups → metrics, and the webhook outbox every step writes to) sits below the pages; no
// folder imports another in a loop.
const SHARED = '^server/(db|i18n|http|mail|audit|settings|auth|surveys)/|^server/(tokens|dates|errors|validation|config|clock|log|deps)[.]ts$';
const FEATURES =
  '^server/(accounts|apikeys|audit-log|customers|dashboards|delivery-log|demo|digest|eligibility|events|fatigue|first-run|followups|health|imports|invitations|mailbox|metrics|openapi|precision|responses|rollups|sending|settings-page|simulation|survey-editor|webhooks|widget)/|^server/(app|admin|api|cli|main|jobs)[.]ts$';

/** The data path and the domain it works on sit below the pages that people and integrators use. */
const LOWER = '^server/(events|eligibility|precision|invitations|sending|responses|rollups|metrics|customers|webhooks)/';
const PAGES = '^server/(accounts|apikeys|audit-log|dashboards|delivery-log|demo|digest|fatigue|first-run|followups|health|imports|mailbox|openapi|settings-page|simulation|survey-editor|widget)/';

module.exports = {
  forbidden: [
    { name: 'no-circular', comment: 'Files must not import each other in a loop.', severity: 'error', from: {}, to: { circular: true } },
    { name: 'shared-below-features', comment: 'A shared service must not import a feature.', severity: 'error', from: { path: SHARED }, to: { path: FEATURES } },
    {
      name: 'features-below-the-top',
      comment: 'Only main.ts, cli.ts and the app/router assembly import app.ts, admin.ts, api.ts, jobs.ts and main.ts.',
      severity: 'error',
      from: { path: '^server/[^/]+/' },
      to: { path: '^server/(app|admin|api|cli|main|jobs)[.]ts$' },
    },
    { name: 'migrations-stand-alone', comment: 'A migration imports no application code.', severity: 'error', from: { path: '^migrations/' }, to: { path: '^server/' } },
    { name: 'no-tests-in-app', comment: 'The app never imports tests.', severity: 'error', from: { path: '^server/' }, to: { path: '^test/' } },
    { name: 'data-path-below-pages', comment: 'The data path (and customers) must not import a page feature.', severity: 'error', from: { path: LOWER }, to: { path: PAGES } },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js'] },
  },
};
