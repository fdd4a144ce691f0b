import type { RouteConfig } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { errors, json, notFound } from './problem.ts';
import { metricsQuery, responsesQuery } from './request-schemas.ts';
import { customerErasure, customerExport, customerRecord, responsePage, timeline } from './response-schemas.ts';
import { metricsAnswer } from './metrics-schemas.ts';

/** The calls of /metrics, /responses (server/metrics/*api-routes.ts) and /customers (server/customers/api-routes.ts). */

export const reportPaths: RouteConfig[] = [
  {
    method: 'get',
    path: '/metrics',
    tags: ['metrics'],
    operationId: 'getMetrics',
    summary: 'Every figure of a survey: score, band, change and its test, distribution, response rate, funnel, series, segments',
    request: { query: metricsQuery },
    responses: { 200: json('The figures.', metricsAnswer), ...errors, ...notFound },
  },
  {
    method: 'get',
    path: '/responses',
    tags: ['responses'],
    operationId: 'listResponses',
    summary: 'Responses, page by page',
    request: { query: responsesQuery },
    responses: { 200: json('A page of responses.', responsePage), ...errors, ...notFound },
  },
];

const customerId = (more = '') =>
  z.object({ id: z.string().meta({ description: `Your id for the customer (or the lower-cased email when none was given${more}).` }) });

export const customerPaths: RouteConfig[] = [
  {
    method: 'get',
    path: '/customers/{id}',
    tags: ['customers'],
    operationId: 'getCustomer',
    summary: 'A customer as Touchpoint knows them',
    request: { params: customerId() },
    responses: { 200: json('The customer.', customerRecord), ...errors, ...notFound },
  },
  {
    method: 'get',
    path: '/customers/{id}/timeline',
    tags: ['customers'],
    operationId: 'getCustomerTimeline',
    summary: 'Everything that happened to one customer, and why',
    request: { params: customerId() },
    responses: { 200: json('The timeline.', timeline), ...errors, ...notFound },
  },
  {
    method: 'get',
    path: '/customers/{id}/export',
    tags: ['customers'],
    operationId: 'exportCustomer',
    summary: 'Everything stored about one customer, as JSON (right of access)',
    request: { params: customerId() },
    responses: { 200: json('The customer, events, invitations, responses, unsubscribes, link clicks and actions.', customerExport), ...errors, ...notFound },
  },
  {
    method: 'post',
    path: '/customers/{id}/erase',
    tags: ['customers'],
    operationId: 'eraseCustomer',
    summary: "Erase a customer's personal data",
    description:
      'Removes email, name, locale, time zone and properties of the customer (an id that is an email address is replaced by a hash), the properties of their events, ' +
      'the comments and properties of their responses, mail-server errors about their address and the user agents of their link clicks. ' +
      'Scores, decisions and times stay, so metrics do not change. Later events for the customer are recorded as suppressed with the reason `erased`. ' +
      'Erasing again changes nothing. Cannot be undone.',
    request: { params: customerId('; after erasure the email still finds the erased record') },
    responses: { 200: json('The erased customer.', customerErasure), ...errors, ...notFound },
  },
];
