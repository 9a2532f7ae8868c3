/** The API as server components call it: same procedures, same checks, no HTTP hop. */
import "server-only";
import { TRPCError } from "@trpc/server";
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

/** For a page section that needs a role: null when the API refuses (the page shows the refusal). */
export async function unlessForbidden<T>(call: Promise<T>): Promise<T | null> {
  try {
    return await call;
  } catch (e) {
    if (e instanceof TRPCError && e.code === "FORBIDDEN") return null;
    throw e;
  }
}
