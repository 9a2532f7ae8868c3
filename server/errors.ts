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

  constructor(code: AppErrorCode, reason: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "AppError";
    this.code = code;
    this.reason = reason;
  }
}

export function isAppError(e: unknown): e is AppError {
  return e instanceof AppError;
}

/** Seconds a client should wait before retrying a 503 (a database restarting, a node unreachable). */
export const RETRY_AFTER_SECONDS = 5;

/** tRPC HTTP `responseMeta`: a 503 (SERVICE_UNAVAILABLE, e.g. DATABASE_UNREACHABLE) tells the client when to retry. */
export function retryAfterMeta({ errors }: { errors: readonly { code: string }[] }): { headers?: Headers } {
  return errors.some((e) => e.code === "SERVICE_UNAVAILABLE") ? { headers: new Headers({ "Retry-After": String(RETRY_AFTER_SECONDS) }) } : {};
}
