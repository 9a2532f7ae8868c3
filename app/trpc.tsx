"use client";
/** The browser's tRPC client (TanStack Query), and turning API errors into words. */
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { createTRPCClient, httpBatchLink, TRPCClientError } from "@trpc/client";
import { createTRPCContext } from "@trpc/tanstack-react-query";
import { useState } from "react";
import superjson from "superjson";
import type { AppRouter } from "@/server/api/root";
import type { Dictionary } from "./i18n/dictionaries";
import { reasonText } from "./i18n/reasons";

export const { TRPCProvider, useTRPC, useTRPCClient } = createTRPCContext<AppRouter>();

export function Providers({ children }: { children: React.ReactNode }) {
  const [queryClient] = useState(() => new QueryClient({ defaultOptions: { queries: { staleTime: 10_000 } } }));
  const [trpcClient] = useState(() =>
    createTRPCClient<AppRouter>({ links: [httpBatchLink({ url: "/api/trpc", transformer: superjson })] }),
  );
  return (
    <QueryClientProvider client={queryClient}>
      <TRPCProvider trpcClient={trpcClient} queryClient={queryClient}>{children}</TRPCProvider>
    </QueryClientProvider>
  );
}

/**
 * The clearest message for an API error in the reader's language. Every domain reason code has
 * a Chinese text (reasons.ts); in English the server's own message says more (it names the
 * values), so it is kept unless the UI words that reason itself.
 */
export function errorText(t: Dictionary, error: unknown): string {
  if (error instanceof TRPCClientError) {
    const data = error.data as { reason?: string | null; zodError?: { formErrors: string[]; fieldErrors: Record<string, string[]> } | null } | undefined;
    const reason = data?.reason;
    const own = reason && reason in t.errors ? t.errors[reason as keyof Dictionary["errors"]] : null;
    if (t.lang.code === "zh") {
      const zh = reasonText(reason, "zh") ?? own;
      if (zh) return zh;
    } else if (own) return own;
    if (data?.zodError) {
      const parts = [...data.zodError.formErrors, ...Object.entries(data.zodError.fieldErrors).map(([k, v]) => `${k}: ${v.join(", ")}`)];
      if (parts.length) return `${t.lang.badInput}: ${parts.join("; ")}`;
    }
    return error.message;
  }
  return t.errors.generic;
}
