/**
 * Errors with an HTTP status, a message for people and, where it helps, the
 * field that failed and a hint. Services throw them; the HTTP layer renders
 * them as problem+json or as a page.
 */
export interface FieldError {
  field: string;
  message: string;
}

export class AppError extends Error {
  readonly status: number;
  readonly type: string;
  readonly errors: FieldError[];
  readonly hint?: string;
  constructor(status: number, type: string, message: string, opts: { errors?: FieldError[]; hint?: string } = {}) {
    super(message);
    this.status = status;
    this.type = type;
    this.errors = opts.errors ?? [];
    this.hint = opts.hint;
  }
}

/** 503 with Retry-After: the database could not do it just now (isTransientDbError); nothing was lost, the caller tries again. */
export class UnavailableError extends AppError {
  readonly retryAfterSeconds: number;
  constructor(message = 'The database is busy for a moment; nothing was changed', hint = 'Try again in a moment.', retryAfterSeconds = 1) {
    super(503, 'busy', message, { hint });
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

export class ValidationError extends AppError {
  constructor(errors: FieldError[], message?: string) {
    super(422, 'validation', message ?? errors.map((e) => `${e.field}: ${e.message}`).join('; '), { errors });
  }
  static field(field: string, message: string): ValidationError {
    return new ValidationError([{ field, message }]);
  }
}

export class NotFoundError extends AppError {
  constructor(message = 'Not found') {
    super(404, 'not-found', message);
  }
}

export class GoneError extends AppError {
  constructor(message = 'This link has expired') {
    super(410, 'gone', message);
  }
}

export class UnauthorizedError extends AppError {
  constructor(message = 'Sign in first', hint?: string) {
    super(401, 'unauthorized', message, { hint });
  }
}

export class ForbiddenError extends AppError {
  constructor(message = 'Your role does not allow this') {
    super(403, 'forbidden', message);
  }
}

export class ConflictError extends AppError {
  constructor(message: string, errors: FieldError[] = []) {
    super(409, 'conflict', message, { errors });
  }
}

/**
 * A refused field as one sentence: a message that is one already ("Expires must be …") as it is; "must be
 * an email address" of the field email as "Email must be an email address."; anything else after the field's
 * name (widget_origins.0: must be …).
 */
export function fieldSentence(field: string, message: string): string {
  const text = message.replace(/[.]$/, '');
  if (/^[A-Z]/.test(text)) return `${text}.`;
  if (/^[a-z]+$/.test(field) && /^(must|is|are|cannot|should|has|was)\b/.test(text)) return `${field.charAt(0).toUpperCase()}${field.slice(1)} ${text}.`;
  return `${field}: ${text}.`;
}
