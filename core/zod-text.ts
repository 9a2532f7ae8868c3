/**
 * One line saying what was wrong with a value and where, for refusals, logs and CLI output:
 * zod's own z.prettifyError folded onto one line, at most `limit` issues (a hostile input can
 * carry thousands; the first few say enough).
 */
import { z } from "zod";

export function zodText(error: z.ZodError, limit = 5): string {
  const shown = error.issues.length > limit ? new z.ZodError(error.issues.slice(0, limit)) : error;
  const more = error.issues.length - shown.issues.length;
  const text = z.prettifyError(shown).split("\n").map((l) => l.trim()).join(" ");
  return more > 0 ? `${text} (and ${more} more)` : text;
}
