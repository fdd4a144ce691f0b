/**
 * The OpenAPI 3.1 description of /api/v1 (DESIGN.md, "JSON API"), served at
 * GET /api/v1/openapi.json. Keep it beside the routes it describes: a call
 * added to the API is added here, and test/integration/openapi.test.ts checks
 * that every documented path answers.
 */

import { apiScopes, scopeDescriptions, type ApiScope } from '../apikeys/scopes.ts';

type Schema = Record<string, unknown>;

const ref = (name: string): Schema => ({ $ref: `#/components/schemas/${name}` });
const problem = (description: string) => ({ description, content: { 'application/problem+json': { schema: ref('Problem') } } });
const json = (description: string, schema: Schema) => ({ description, content: { 'application/json': { schema } } });
const nullable = (schema: Schema): Schema => ({ oneOf: [schema, { type: 'null' }] });

const errors = {
  '400': problem('The body is not valid JSON, or the request is malformed.'),
  '401': problem('No API key, or the key is unknown, revoked or expired, or the user who created it has been deactivated.'),
  '422': problem('A field failed validation; `errors` names each one.'),
};
const notFound = { '404': problem('There is nothing with this key or id.') };

const perLocaleText: Schema = {
  description: 'One text for every locale, or texts per locale.',
  oneOf: [{ type: 'string' }, { type: 'object', propertyNames: { enum: ['en', 'de'] }, additionalProperties: { type: 'string' } }],
};
const quietHours: Schema = {
  type: 'object',
  required: ['start', 'end'],
  properties: {
    start: { type: 'string', pattern: '^([01]\\d|2[0-3]):[0-5]\\d$', examples: ['09:00'] },
    end: { type: 'string', pattern: '^([01]\\d|2[0-3]):[0-5]\\d$', examples: ['20:00'] },
  },
};
const days: Schema = { type: ['integer', 'null'], minimum: 0, maximum: 3650, description: 'Days; null turns the rule off.' };
const surveyRules: Schema = {
  type: 'object',
  description: "The survey's own contact rules; an absent rule follows the global one (where the settings let a survey override it).",
  properties: {
    cooldown_after_invitation_days: days,
    cooldown_after_response_days: days,
    global_cooldown_after_invitation_days: days,
    global_cooldown_after_response_days: days,
    quiet_hours: nullable(quietHours),
    reminder_after_days: { type: ['integer', 'null'], minimum: 1, maximum: 60 },
  },
};
const surveyWritable: Schema = {
  touchpoint_name: { type: 'string', maxLength: 200 },
  question: perLocaleText,
  low_label: perLocaleText,
  high_label: perLocaleText,
  comment_prompt: perLocaleText,
  thank_you: perLocaleText,
  default_locale: { type: 'string', enum: ['en', 'de'], default: 'en' },
  status: { type: 'string', enum: ['draft', 'active', 'paused', 'archived'], default: 'draft' },
  channel: { type: 'string', enum: ['email', 'link'], default: 'email' },
  public_link: { type: 'boolean', default: false, description: 'Whether the public web link /s/KEY takes answers. Always on for channel `link`; off by default for email surveys.' },
  count_anonymous: { type: 'boolean', default: true, description: 'Whether anonymous web-link answers count in the metrics by default (`source` on the metrics call picks one source either way).' },
  max_event_age_days: { type: ['integer', 'null'], minimum: 1, maximum: 3650, default: 7, description: 'Events older than this are recorded as suppressed `too_old`; null: any age.' },
  send_delay_minutes: { type: 'integer', minimum: 0, maximum: 43200, default: 0 },
  sample_rate: { type: 'number', minimum: 0, maximum: 100, default: 100, description: 'Percent of eligible events surveyed, decided by a hash of the transaction id. Kept to 2 decimals; a value above 0 and below 0.01 is refused.' },
  quiet_hours: nullable(quietHours),
  rules: surveyRules,
};
const key: Schema = { type: 'string', pattern: '^[a-z0-9][a-z0-9-]{0,98}[a-z0-9]$', examples: ['delivery-nps'] };
const metric: Schema = { type: 'string', enum: ['nps', 'csat', 'ces'], description: 'nps 0–10, csat 1–5, ces 1–7.' };
const instant: Schema = { type: 'string', format: 'date-time' };
const reasons = ['duplicate_event', 'no_active_survey', 'too_old', 'invalid_contact', 'erased', 'unsubscribed', 'bounced', 'sampled_out', 'cooldown_global', 'cooldown_survey', 'cap_window'];

const figureFields = {
  n: { type: 'integer', description: 'Responses counted.' },
  score: { type: ['number', 'null'], description: 'NPS −100…100; CSAT % satisfied (4–5); CES mean 1…7. Null without responses.' },
  moe95: { type: ['number', 'null'], description: 'The 95 % margin of error of `score`.' },
  promoters: { type: 'integer', description: 'NPS: 9–10.' },
  passives: { type: 'integer', description: 'NPS: 7–8.' },
  detractors: { type: 'integer', description: 'NPS: 0–6.' },
  satisfied: { type: 'integer', description: 'CSAT: 4–5.' },
  mean: { type: ['number', 'null'], description: 'CSAT: mean score.' },
  easy: { type: 'integer', description: 'CES: 5–7.' },
  pct_easy: { type: ['number', 'null'], description: 'CES: % easy.' },
  too_small: { type: 'boolean', description: 'Fewer responses than the "min bucket responses" setting: shown, but too small to read.' },
};

const schemas: Record<string, Schema> = {
  Problem: {
    type: 'object',
    description: 'An error (RFC 9457).',
    required: ['type', 'title', 'status'],
    properties: {
      type: { type: 'string', format: 'uri', examples: ['https://touchpoint.dev/problems/validation'] },
      title: { type: 'string' },
      status: { type: 'integer' },
      detail: { type: 'string', description: 'What to do about it.' },
      errors: {
        type: 'array',
        items: {
          type: 'object',
          required: ['field', 'message'],
          properties: {
            field: { type: 'string', description: 'The failing field as a path, such as `customer.email` or `events.3.transaction_id`.', examples: ['customer.email'] },
            message: { type: 'string', examples: ['must be an email address'] },
          },
        },
      },
    },
  },
  SurveyInput: {
    type: 'object',
    required: ['key', 'touchpoint', 'metric'],
    properties: { key, touchpoint: { ...key, description: 'The touchpoint key; created when new.' }, metric, ...surveyWritable },
  },
  SurveyPatch: {
    type: 'object',
    description: 'Only the given fields change. key, touchpoint and metric cannot change.',
    properties: surveyWritable,
  },
  Survey: {
    type: 'object',
    required: ['key', 'touchpoint', 'metric', 'status', 'default_locale', 'question'],
    properties: {
      key,
      touchpoint: key,
      touchpoint_name: { type: 'string' },
      metric,
      status: surveyWritable.status,
      default_locale: surveyWritable.default_locale,
      question: { type: 'object', additionalProperties: { type: 'string' } },
      low_label: { type: 'object', additionalProperties: { type: 'string' } },
      high_label: { type: 'object', additionalProperties: { type: 'string' } },
      comment_prompt: { type: 'object', additionalProperties: { type: 'string' } },
      thank_you: { type: 'object', additionalProperties: { type: 'string' } },
      channel: surveyWritable.channel,
      public_link: { type: 'boolean' },
      count_anonymous: { type: 'boolean' },
      max_event_age_days: { type: ['integer', 'null'] },
      send_delay_minutes: { type: 'integer' },
      sample_rate: { type: 'number' },
      quiet_hours: nullable(quietHours),
      rules: surveyRules,
      source: { type: 'string', enum: ['ui', 'api', 'file'] },
      source_file: { type: 'string', description: 'A survey managed by a file changes only in its file.' },
      created_at: instant,
      updated_at: instant,
      links: { type: 'object', properties: { web: { type: ['string', 'null'], format: 'uri', description: 'The public web link of the survey; null while it takes no answers.' } } },
    },
  },
  Customer: {
    type: 'object',
    description: 'Give `id` (your id for the customer) or `email`, or both.',
    properties: {
      id: { type: 'string', maxLength: 200 },
      email: { type: 'string', format: 'email', maxLength: 254 },
      name: { type: 'string', maxLength: 200 },
      locale: { type: 'string', examples: ['de-AT'] },
      time_zone: { type: 'string', examples: ['Europe/Vienna'], description: 'For quiet hours; else the reporting time zone.' },
    },
  },
  Event: {
    type: 'object',
    required: ['touchpoint', 'transaction_id', 'customer'],
    properties: {
      touchpoint: { type: 'string', examples: ['delivery'] },
      transaction_id: { type: ['string', 'integer'], description: 'Events are idempotent on (touchpoint, transaction_id).' },
      customer: ref('Customer'),
      occurred_at: { ...instant, description: 'Default: when received. From 2000-01-01T00:00:00Z to 2100-12-31T23:59:59Z, and at most a year ahead. An event older than the survey\'s maximum event age is recorded as suppressed too_old.' },
      properties: {
        type: 'object',
        maxProperties: 50,
        additionalProperties: { type: ['string', 'number', 'boolean'] },
        description: 'Segments for the dashboards: region, agent, product, plan …',
      },
    },
  },
  EventAnswer: {
    type: 'object',
    required: ['id', 'status'],
    properties: {
      id: { type: 'integer' },
      status: { type: 'string', enum: ['scheduled', 'suppressed'] },
      reason: { type: 'string', enum: reasons, description: 'Why no survey (the first rule that failed).' },
      detail: { type: 'string' },
      send_at: { ...instant, description: 'When the invitation goes out (quiet hours move it).' },
      invitation_id: { type: 'integer' },
    },
  },
  BatchResult: {
    oneOf: [
      { allOf: [ref('EventAnswer'), { type: 'object', required: ['index'], properties: { index: { type: 'integer' }, duplicate: { const: true } } }] },
      {
        type: 'object',
        required: ['index', 'status', 'errors'],
        properties: {
          index: { type: 'integer' },
          status: { type: 'string', enum: ['invalid', 'error'] },
          errors: { $ref: '#/components/schemas/Problem/properties/errors' },
        },
      },
    ],
  },
  Figures: { type: 'object', required: ['n', 'score', 'moe95', 'too_small'], properties: figureFields, description: 'The fields of the survey\'s metric.' },
  Band: {
    type: 'object',
    required: ['low95', 'high95'],
    properties: { low95: { type: ['number', 'null'] }, high95: { type: ['number', 'null'] } },
    description: 'score ± moe95, kept inside the range of the metric.',
  },
  ResponseRate: {
    type: 'object',
    required: ['sent', 'responded', 'rate'],
    properties: {
      sent: { type: 'integer', description: 'Invitations sent (in the period, or in the bucket).' },
      responded: { type: 'integer', description: 'How many of those were answered.' },
      rate: { type: ['number', 'null'], description: 'responded / sent; null when none were sent.' },
    },
  },
  Held: {
    type: 'object',
    required: ['held'],
    properties: { held: { type: 'integer', description: 'Answers given in the period (or bucket) that are held: stored, not yet counted in `n`. An answer the page saved without a sign of a person settles after ANSWER_SETTLE_SECONDS, or is discarded as automated.' } },
  },
  Bucket: {
    allOf: [
      { type: 'object', required: ['start'], properties: { start: { type: 'string', format: 'date', description: 'First local day of the bucket (ISO week: Monday).' } } },
      ref('Figures'),
      ref('Held'),
      ref('Band'),
      { allOf: [ref('ResponseRate')], description: 'Invitations by the bucket they were sent in.' },
    ],
  },
  Metrics: {
    type: 'object',
    required: ['survey', 'metric', 'test', 'overall', 'previous', 'change', 'distribution', 'response_rate', 'funnel', 'series'],
    properties: {
      survey: key,
      metric,
      test: { type: 'string', description: 'The test `change` is judged by.' },
      tz: { type: 'string' },
      interval: { type: 'string', enum: ['day', 'week', 'month'] },
      from: { type: ['string', 'null'] },
      to: { type: ['string', 'null'] },
      where: { type: 'object', additionalProperties: { type: 'array', items: { type: 'string' } }, description: 'The property filters applied.' },
      source: { type: 'string', enum: ['all', 'identified', 'anonymous'], description: 'Which answers count: the `source` asked for, else the survey\'s default (`identified` when the survey leaves anonymous answers out).' },
      overall: { allOf: [ref('Figures'), ref('Held'), ref('Band')] },
      previous: {
        type: ['object', 'null'],
        required: ['from', 'to', 'overall'],
        properties: { from: { type: 'string' }, to: { type: 'string' }, overall: ref('Figures') },
        description: 'The period of equal length just before; null unless both `from` and `to` are given.',
      },
      change: {
        type: ['object', 'null'],
        required: ['test', 'difference', 'statistic', 'p', 'significant'],
        properties: {
          test: { type: 'string' },
          difference: { type: 'number', description: 'overall − previous, in the metric\'s units.' },
          statistic: { type: 'number', description: 'z or t.' },
          p: { type: 'number', description: 'Two-sided p-value.' },
          df: { type: 'number', description: "Welch's degrees of freedom (CES)." },
          significant: { type: 'boolean', description: 'p < 0.05.' },
        },
        description: 'null when either period has too few responses to read.',
      },
      distribution: { type: 'object', additionalProperties: { type: 'integer' }, description: 'Responses per score, every score of the scale.' },
      response_rate: ref('ResponseRate'),
      funnel: {
        type: 'object',
        required: ['events', 'invitations_sent', 'responses'],
        properties: { events: { type: 'integer' }, invitations_sent: { type: 'integer' }, responses: { type: 'integer' } },
      },
      series: { type: 'array', items: ref('Bucket') },
      segments: { type: 'object', additionalProperties: ref('Figures'), description: 'With `segment`: figures per value of that property.' },
    },
  },
  Response: {
    type: 'object',
    required: ['id', 'survey', 'score', 'answered_at'],
    properties: {
      id: { type: 'integer' },
      survey: key,
      score: { type: 'integer' },
      comment: { type: ['string', 'null'] },
      channel: { type: 'string', enum: ['email', 'link', 'web', 'import'], description: 'email: the invitation\'s links; link: the public web link; web: the widget; import.' },
      source: { type: 'string', enum: ['invitation', 'signed', 'anonymous', 'import'], description: 'invitation; signed: a signed web link (the customer\'s); anonymous: the public web link; import.' },
      locale: { type: ['string', 'null'] },
      answered_at: instant,
      properties: { type: 'object', description: "A copy of the event's properties (a signed web link's own)." },
    },
  },
  ResponsePage: {
    type: 'object',
    required: ['responses', 'next_cursor'],
    properties: {
      responses: { type: 'array', items: ref('Response') },
      next_cursor: { type: ['string', 'null'], description: 'Pass as `cursor` for the next page; null at the end.' },
    },
  },
  CustomerRecord: {
    type: 'object',
    properties: {
      id: { type: 'string' },
      email: { type: ['string', 'null'] },
      name: { type: ['string', 'null'] },
      locale: { type: ['string', 'null'] },
      time_zone: { type: ['string', 'null'] },
      unsubscribed_at: nullable(instant),
      bounced_at: nullable(instant),
      erased_at: nullable(instant),
      created_at: instant,
    },
  },
  Timeline: {
    type: 'object',
    required: ['customer', 'timeline'],
    properties: {
      customer: ref('CustomerRecord'),
      timeline: {
        type: 'array',
        description: 'In time order: every event with its decision, invitation, send, response, unsubscribe, bounce and erasure.',
        items: {
          type: 'object',
          required: ['kind', 'at'],
          properties: {
            kind: { type: 'string', enum: ['event', 'invitation', 'sent', 'response', 'unsubscribe', 'bounce', 'bounce_cleared', 'erased'] },
            at: instant,
            decision: { type: 'string', enum: ['scheduled', 'suppressed'] },
            reason: { type: ['string', 'null'] },
          },
          additionalProperties: true,
        },
      },
    },
  },
  CustomerErasure: {
    type: 'object',
    required: ['customer', 'already_erased'],
    properties: {
      customer: ref('CustomerRecord'),
      already_erased: { type: 'boolean', description: 'True when the customer had been erased before; nothing changed.' },
    },
  },
  CustomerExport: {
    type: 'object',
    description: 'Everything stored about one customer. Rows are as stored (JSON columns parsed); link token salts and hashes are left out.',
    required: ['exported_at', 'customer', 'events', 'invitations', 'responses', 'unsubscribes', 'link_clicks', 'actions'],
    properties: {
      exported_at: instant,
      customer: {
        allOf: [ref('CustomerRecord')],
        properties: { properties: { type: 'object', additionalProperties: true }, bounce_reason: { type: ['string', 'null'] }, updated_at: instant },
      },
      events: { type: 'array', description: 'Every event with its touchpoint, survey, properties and decision.', items: { type: 'object', additionalProperties: true } },
      invitations: { type: 'array', description: 'Every invitation with its state, times, attempts and reminder.', items: { type: 'object', additionalProperties: true } },
      responses: { type: 'array', description: 'Every answer: survey, metric, score, comment, properties, times.', items: { type: 'object', additionalProperties: true } },
      unsubscribes: {
        type: 'array',
        items: { type: 'object', properties: { scope: { type: 'string', enum: ['all', 'touchpoint'] }, touchpoint: { type: ['string', 'null'] }, at: instant } },
      },
      link_clicks: { type: 'array', description: 'Opens of the score links in the invitations (kind, score, time, user agent).', items: { type: 'object', additionalProperties: true } },
      actions: {
        type: 'array',
        description: 'What people did to the record: a hard bounce cleared by an editor, the erasure.',
        items: { type: 'object', properties: { kind: { type: 'string', enum: ['bounce_cleared', 'erased'] }, at: instant, by: { type: 'string' }, detail: { type: 'object', additionalProperties: true } } },
      },
    },
  },
};

/**
 * Security: the scope each call needs. The same table as API_ROUTE_SCOPES in server/api.ts, which
 * enforces it; test/integration/openapi.test.ts holds the two equal.
 */
const operationScopes: Record<string, ApiScope> = {
  'GET /surveys': 'surveys:read',
  'POST /surveys': 'surveys:write',
  'GET /surveys/{key}': 'surveys:read',
  'PATCH /surveys/{key}': 'surveys:write',
  'POST /events': 'events:write',
  'POST /events/batch': 'events:write',
  'GET /metrics': 'metrics:read',
  'GET /responses': 'responses:read',
  'GET /customers/{id}': 'customers:read',
  'GET /customers/{id}/timeline': 'customers:read',
  'GET /customers/{id}/export': 'customers:write',
  'POST /customers/{id}/erase': 'customers:write',
};

const scopeList = apiScopes.map((s) => `\`${s}\` (${scopeDescriptions[s]})`).join(', ');

/** Per operation: the scope it needs as `x-required-scope`, in `security` and in the description, and its 403. */
function withScopes<P extends Record<string, Record<string, unknown>>>(paths: P): P {
  for (const [path, item] of Object.entries(paths)) {
    for (const [method, op] of Object.entries(item)) {
      const scope = operationScopes[`${method.toUpperCase()} ${path}`];
      if (method === 'parameters' || !scope) continue;
      const o = op as { description?: string; responses?: Record<string, unknown> } & Record<string, unknown>;
      o['x-required-scope'] = scope;
      o.security = [{ bearerAuth: [scope] }];
      o.description = `${o.description ? `${o.description} ` : ''}Needs an API key with the scope \`${scope}\`.`;
      o.responses = {
        ...o.responses,
        '403': problem(`The API key lacks the scope \`${scope}\`: the title says so ("This API key lacks the scope ${scope}"), and \`errors\` has \`{field: "scope", message}\`.`),
      };
    }
  }
  return paths;
}

const q = (name: string, description: string, schema: Schema = { type: 'string' }, required = false) => ({ name, in: 'query', required, description, schema });

export const openApiDocument = {
  openapi: '3.1.0',
  info: {
    title: 'Touchpoint API',
    version: '1',
    summary: 'Send transaction events, manage surveys, read responses and NPS / CSAT / CES metrics.',
    description:
      'Every call needs `Authorization: Bearer KEY` (create keys on the API keys page or with `touchpoint apikey create --name NAME`). ' +
      'Bodies are JSON. Errors are `application/problem+json` (RFC 9457) with `errors: [{field, message}]` naming each failing field. ' +
      'Each call needs one scope of the key (`x-required-scope` on the operation); a key without it gets 403 naming the scope. ' +
      'An address under /api/v1 with no call answers 404 problem+json whatever the method (405 for a known address and another method); without a valid key, every address answers 401.',
  },
  servers: [{ url: '/api/v1' }],
  security: [{ bearerAuth: [] }],
  tags: [{ name: 'surveys' }, { name: 'events' }, { name: 'metrics' }, { name: 'responses' }, { name: 'customers' }],
  paths: withScopes({
    '/surveys': {
      get: {
        tags: ['surveys'],
        operationId: 'listSurveys',
        summary: 'List surveys',
        parameters: [q('touchpoint', 'Only this touchpoint.'), q('status', 'Only this status.', surveyWritable.status as Schema)],
        responses: { '200': json('The surveys.', { type: 'object', required: ['surveys'], properties: { surveys: { type: 'array', items: ref('Survey') } } }), ...errors },
      },
      post: {
        tags: ['surveys'],
        operationId: 'createSurvey',
        summary: 'Create a survey',
        requestBody: { required: true, content: { 'application/json': { schema: ref('SurveyInput') } } },
        responses: { '201': json('The survey.', ref('Survey')), ...errors, '409': problem('A survey with this key exists, or the touchpoint has another active survey.') },
      },
    },
    '/surveys/{key}': {
      parameters: [{ name: 'key', in: 'path', required: true, schema: key }],
      get: { tags: ['surveys'], operationId: 'getSurvey', summary: 'Read a survey', responses: { '200': json('The survey.', ref('Survey')), ...errors, ...notFound } },
      patch: {
        tags: ['surveys'],
        operationId: 'updateSurvey',
        summary: 'Change a survey',
        requestBody: { required: true, content: { 'application/json': { schema: ref('SurveyPatch') } } },
        responses: { '200': json('The survey.', ref('Survey')), ...errors, ...notFound, '409': problem('The survey is managed by a file, or the change conflicts.') },
      },
    },
    '/events': {
      post: {
        tags: ['events'],
        operationId: 'sendEvent',
        summary: 'Send a transaction event',
        description: 'Stored durably before the answer. The same (touchpoint, transaction_id) again returns 200 and the first answer, creating nothing.',
        requestBody: { required: true, content: { 'application/json': { schema: ref('Event') } } },
        responses: { '202': json('Accepted and decided.', ref('EventAnswer')), '200': json('A repeat: the first answer.', ref('EventAnswer')), ...errors },
      },
    },
    '/events/batch': {
      post: {
        tags: ['events'],
        operationId: 'sendEvents',
        summary: 'Send up to 1,000 events',
        description: 'Each event is taken on its own: an invalid one gets an error entry and does not stop the others.',
        requestBody: {
          required: true,
          content: { 'application/json': { schema: { type: 'object', required: ['events'], properties: { events: { type: 'array', maxItems: 1000, items: ref('Event') } } } } },
        },
        responses: { '200': json('One result per event, in order.', { type: 'object', required: ['results'], properties: { results: { type: 'array', items: ref('BatchResult') } } }), ...errors },
      },
    },
    '/metrics': {
      get: {
        tags: ['metrics'],
        operationId: 'getMetrics',
        summary: 'Every figure of a survey: score, band, change and its test, distribution, response rate, funnel, series, segments',
        parameters: [
          q('survey', 'The survey key.', key, true),
          q('from', 'First local date (YYYY-MM-DD, inclusive) or an ISO instant. Dates from 2000-01-01 to 2100-12-31, instants within 2000-01-01T00:00:00Z–2100-12-31T23:59:59Z; anything else is a 422 naming the parameter.'),
          q('to', 'Last local date or ISO instant, both inclusive. Dates from 2000-01-01 to 2100-12-31, instants within 2000-01-01T00:00:00Z–2100-12-31T23:59:59Z; anything else is a 422 naming the parameter.'),
          q('interval', 'Bucket size.', { type: 'string', enum: ['day', 'week', 'month'], default: 'week' }),
          q('tz', 'IANA time zone for buckets; default the reporting time zone.', { type: 'string', examples: ['Europe/Berlin'] }),
          q('segment', 'A property name to split by (region, agent …).'),
          {
            name: 'where',
            in: 'query',
            required: false,
            description:
              'name:value, repeatable: only answers (and invitations, events) whose event property matches. Values of one property are alternatives; different properties must all match.',
            schema: { type: 'array', maxItems: 20, items: { type: 'string', examples: ['region:north'] } },
            style: 'form',
            explode: true,
          },
          q('source', 'Which answers count: all, identified (invitations, signed links, imports) or anonymous (the public web link). Default: all, or identified where the survey leaves anonymous answers out.', { type: 'string', enum: ['all', 'identified', 'anonymous'] }),
        ],
        responses: { '200': json('The figures.', ref('Metrics')), ...errors, ...notFound },
      },
    },
    '/responses': {
      get: {
        tags: ['responses'],
        operationId: 'listResponses',
        summary: 'Responses, page by page',
        parameters: [
          q('survey', 'Only this survey.', key),
          q('from', 'First local date or ISO instant. Dates from 2000-01-01 to 2100-12-31, instants within 2000-01-01T00:00:00Z–2100-12-31T23:59:59Z; anything else is a 422 naming the parameter.'),
          q('to', 'Last local date or ISO instant, both inclusive. Dates from 2000-01-01 to 2100-12-31, instants within 2000-01-01T00:00:00Z–2100-12-31T23:59:59Z; anything else is a 422 naming the parameter.'),
          q('tz', 'Time zone of `from`/`to` dates.'),
          q('cursor', 'The `next_cursor` of the previous page.'),
          q('source', 'Only answers of this source: all (default), identified or anonymous.', { type: 'string', enum: ['all', 'identified', 'anonymous'] }),
          q('limit', 'Page size; anything outside 1–1000 is a 422 naming limit.', { type: 'integer', minimum: 1, maximum: 1000, default: 100 }),
        ],
        responses: { '200': json('A page of responses.', ref('ResponsePage')), ...errors, ...notFound },
      },
    },
    '/customers/{id}': {
      parameters: [{ name: 'id', in: 'path', required: true, description: 'Your id for the customer (or the lower-cased email when none was given).', schema: { type: 'string' } }],
      get: {
        tags: ['customers'],
        operationId: 'getCustomer',
        summary: 'A customer as Touchpoint knows them',
        responses: { '200': json('The customer.', ref('CustomerRecord')), ...errors, ...notFound },
      },
    },
    '/customers/{id}/timeline': {
      parameters: [{ name: 'id', in: 'path', required: true, description: 'Your id for the customer (or the lower-cased email when none was given).', schema: { type: 'string' } }],
      get: {
        tags: ['customers'],
        operationId: 'getCustomerTimeline',
        summary: 'Everything that happened to one customer, and why',
        responses: { '200': json('The timeline.', ref('Timeline')), ...errors, ...notFound },
      },
    },
    '/customers/{id}/export': {
      parameters: [{ name: 'id', in: 'path', required: true, description: 'Your id for the customer (or the lower-cased email when none was given).', schema: { type: 'string' } }],
      get: {
        tags: ['customers'],
        operationId: 'exportCustomer',
        summary: 'Everything stored about one customer, as JSON (right of access)',
        responses: { '200': json('The customer, events, invitations, responses, unsubscribes, link clicks and actions.', ref('CustomerExport')), ...errors, ...notFound },
      },
    },
    '/customers/{id}/erase': {
      parameters: [
        {
          name: 'id',
          in: 'path',
          required: true,
          description: 'Your id for the customer (or the lower-cased email when none was given; after erasure the email still finds the erased record).',
          schema: { type: 'string' },
        },
      ],
      post: {
        tags: ['customers'],
        operationId: 'eraseCustomer',
        summary: "Erase a customer's personal data",
        description:
          'Removes email, name, locale, time zone and properties of the customer (an id that is an email address is replaced by a hash), the properties of their events, ' +
          'the comments and properties of their responses, mail-server errors about their address and the user agents of their link clicks. ' +
          'Scores, decisions and times stay, so metrics do not change. Later events for the customer are recorded as suppressed with the reason `erased`. ' +
          'Erasing again changes nothing. Cannot be undone.',
        responses: { '200': json('The erased customer.', ref('CustomerErasure')), ...errors, ...notFound },
      },
    },
  }),
  components: {
    securitySchemes: {
      bearerAuth: {
        type: 'http',
        scheme: 'bearer',
        description:
          'An API key: `Authorization: Bearer tp_…`. Keys carry scopes; each call needs one, named by its `x-required-scope` and its `security`. ' +
          `The scopes: ${scopeList}. A key created without naming scopes has every scope; keys that existed before scopes keep every scope until an admin narrows them. ` +
          'Only admins (and the command line) give `customers:write`. A key may expire; a revoked or expired key, or one whose creator has been deactivated, answers 401.',
      },
    },
    schemas,
  },
} as const;
