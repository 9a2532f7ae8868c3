/** Where to go after signing in: only a path on this site (never another origin: "//x" or "/\x" are refused). */
export function safeNext(next: string | undefined): string {
  return next && /^\/(?![/\\])[\w\-./?=&%]*$/.test(next) ? next : "/";
}
