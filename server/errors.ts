/**
 * The one error type domain code throws. Each code maps to one tRPC/HTTP status in
 * server/api/trpc.ts, so a caller always learns *what* was wrong, never a stack trace.
 */
export const appErrorCodes = {
  BAD_INPUT: "BAD_REQUEST",
  UNAUTHENTICATED: "UNAUTHORIZED",
  FORBIDDEN: "FORBIDDEN",
  NOT_FOUND: "NOT_FOUND",
  CONFLICT: "CONFLICT",
  CONFIG: "INTERNAL_SERVER_ERROR",
  UNAVAILABLE: "SERVICE_UNAVAILABLE",
  RATE_LIMITED: "TOO_MANY_REQUESTS",
} as const;

export type AppErrorCode = keyof typeof appErrorCodes;

export class AppError extends Error {
  readonly code: AppErrorCode;
  /** A stable machine-readable reason, e.g. "EMAIL_TAKEN"; the UI translates it. */
  readonly reason: string;
  /** For RATE_LIMITED and UNAVAILABLE: when the client may try again (the Retry-After header). */
  readonly retryAfterSeconds?: number;

  constructor(code: AppErrorCode, reason: string, message: string, options?: { cause?: unknown; retryAfterSeconds?: number }) {
    super(message, options);
    this.name = "AppError";
    this.code = code;
    this.reason = reason;
    if (options?.retryAfterSeconds !== undefined) this.retryAfterSeconds = options.retryAfterSeconds;
  }
}

export function isAppError(e: unknown): e is AppError {
  return e instanceof AppError;
}

/** Seconds a client should wait before retrying a 503 (a database restarting, a node unreachable). */
export const RETRY_AFTER_SECONDS = 5;

/** Seconds to put in Retry-After for an error, if it is one a client should retry later. */
export function retryAfterOf(e: { code: string; cause?: unknown }): number | null {
  if (e.code === "TOO_MANY_REQUESTS") return isAppError(e.cause) && e.cause.retryAfterSeconds ? e.cause.retryAfterSeconds : 60;
  if (e.code === "SERVICE_UNAVAILABLE") return isAppError(e.cause) && e.cause.retryAfterSeconds ? e.cause.retryAfterSeconds : RETRY_AFTER_SECONDS;
  return null;
}

/** tRPC HTTP `responseMeta`: a 429 or 503 tells the client when to retry (the longest wait any error asks for). */
export function retryAfterMeta({ errors }: { errors: readonly { code: string; cause?: unknown }[] }): { headers?: Headers } {
  const waits = errors.map(retryAfterOf).filter((s): s is number => s !== null);
  return waits.length ? { headers: new Headers({ "Retry-After": String(Math.max(...waits)) }) } : {};
}
