import type { ErrorRequestHandler, Request, RequestHandler } from 'express';
import { AppError, fieldSentence, NotFoundError, UnavailableError } from '../errors.ts';
import { isTransientDbError } from '../db/dialect.ts';
import type { Log } from '../log.ts';
import { localeOf, locales, pickLocale, t, translateKnown } from '../i18n/index.ts';

const isApi = (req: Request) => req.originalUrl.startsWith('/api/') || req.originalUrl.startsWith('/widget/');

/** Errors body-parser raises for bad bodies, named for people. */
function fromParserError(err: { type?: string; status?: number; message?: string }): AppError | null {
  switch (err.type) {
    case 'entity.parse.failed':
      return new AppError(400, 'malformed-body', 'The request body is not valid JSON', {
        errors: [{ field: '(body)', message: 'not valid JSON' }],
      });
    case 'entity.too.large':
      return new AppError(413, 'too-large', 'The request body is too large', {
        errors: [{ field: '(body)', message: 'too large' }],
      });
    case 'charset.unsupported':
    case 'encoding.unsupported':
      return new AppError(415, 'unsupported-encoding', err.message ?? 'Unsupported encoding');
    default:
      return typeof err.status === 'number' && err.status >= 400 && err.status < 500
        ? new AppError(err.status, 'bad-request', err.message ?? 'Bad request')
        : null;
  }
}


export const notFound: RequestHandler = (_req, _res, next) => next(new NotFoundError('There is nothing at this address'));

/**
 * Every error ends here: the API answers application/problem+json (RFC 9457)
 * naming the failing fields; pages render the error page. Unknown errors are
 * logged and answered 500 without details.
 */
export function errorHandler(log: Log): ErrorRequestHandler {
  return (err, req, res, _next) => {
    // The database away for a moment (a lost connection, a failover, a busy file): 503, try again.
    const transient = !(err instanceof AppError) && isTransientDbError(err);
    const known = err instanceof AppError ? err : transient ? new UnavailableError() : fromParserError(err);
    const problem = known ?? new AppError(500, 'internal', 'Something went wrong on our side; it has been logged');
    if (transient) log.warn({ err, url: req.originalUrl, method: req.method }, 'the database failed a request transiently; answered 503');
    else if (!known) log.error({ err, url: req.originalUrl, method: req.method }, 'request failed');
    if (res.headersSent) return;
    res.status(problem.status);
    if (problem instanceof UnavailableError) res.set('Retry-After', String(problem.retryAfterSeconds));
    if (isApi(req) || req.accepts(['html', 'json']) === 'json') {
      // English unless the caller asks for German (Accept-Language: de): then the texts the catalogue knows
      // are German; field names, types and statuses stay as they are.
      const language = req.acceptsLanguages('en', 'de') === 'de' ? 'de' : 'en';
      const errors = problem.errors.map((e) => ({ ...e, message: translateKnown(language, e.message) }));
      if (language === 'de') res.set('Content-Language', 'de');
      res.type('application/problem+json').send(
        JSON.stringify({
          type: `https://touchpoint.dev/problems/${problem.type}`,
          title: language === 'en' ? problem.message : translateKnown(language, problem.message),
          status: problem.status,
          // A refusal's detail: each failing field once, as a sentence naming it ("Email must be an email address.").
          ...(problem.hint
            ? { detail: language === 'en' ? problem.hint : translateKnown(language, problem.hint) }
            : errors.length
              ? { detail: errors.map((e) => (language === 'en' ? fieldSentence(e.field, e.message) : `${e.field}: ${e.message.replace(/[.]$/, '')}.`)).join(' ') }
              : {}),
          ...(errors.length ? { errors } : {}),
        }),
      );
      return;
    }
    // The page's language; before the session's middleware set it (a form without its token), the browser's.
    const locale = res.locals.locale ? localeOf(res.locals) : pickLocale(req.acceptsLanguages(...locales) || undefined);
    res.render('pages/error', {
      layout: res.locals.user ? 'main' : 'public',
      title: problem.status === 404 ? t(locale, 'error.not_found_title') : t(locale, 'error.title'),
      status: problem.status,
      message: translateKnown(locale, problem.message),
      hint: problem.hint === undefined ? undefined : translateKnown(locale, problem.hint),
    });
  };
}
