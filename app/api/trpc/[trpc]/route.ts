import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import { appRouter } from "@/server/api/root";
import { contextFromRequest, orgCookie } from "@/server/api/http";
import { retryAfterMeta } from "@/server/errors";
import { BODY_LIMITS, withBodyLimit } from "@/server/http/body-limit";

export const dynamic = "force-dynamic";

const handler = (request: Request) => withBodyLimit(request, BODY_LIMITS.api, (req) =>
  fetchRequestHandler({
    endpoint: "/api/trpc",
    req,
    router: appRouter,
    createContext: ({ resHeaders }) => contextFromRequest((id) => resHeaders.append("Set-Cookie", orgCookie(id))),
    responseMeta: retryAfterMeta,
    onError({ error, path }) {
      if (error.code === "INTERNAL_SERVER_ERROR") console.error(`tRPC ${path ?? "?"} failed:`, error.cause ?? error);
    },
  }));

export { handler as GET, handler as POST };
