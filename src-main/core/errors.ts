// Errors a user can cause carry a message written for them; anything else is a bug.
export class UserError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UserError';
  }
}

export class NotFoundError extends UserError {
  constructor(message: string) {
    super(message);
    this.name = 'NotFoundError';
  }
}

/**
 * A service outside Steplab (a model endpoint) is down or answers garbage after every retry. A job that
 * meets one is paused (interrupted, its committed work kept) instead of failed, and resumes from its
 * checkpoint once the service is back.
 */
export class OutageError extends UserError {
  constructor(message: string) {
    super(message);
    this.name = 'OutageError';
  }
}

export class CancelledError extends Error {
  constructor(message = 'cancelled') {
    super(message);
    this.name = 'CancelledError';
  }
}

export function isUserError(e: unknown): e is UserError {
  return e instanceof UserError;
}
