/** The API as server components call it: same procedures, same checks, no HTTP hop. */
import "server-only";
import { redirect } from "next/navigation";
import { cache } from "react";
import { contextFromRequest } from "./http";
import { createCaller } from "./root";

export const getContext = cache(() => contextFromRequest());
/** For signed-in pages: a caller, or a redirect to sign in (layouts and pages render in parallel). */
export const api = cache(async () => {
  const ctx = await getContext();
  if (!ctx.user) redirect("/signin");
  return createCaller(ctx);
});
