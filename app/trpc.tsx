"use client";
/** The browser's tRPC client (TanStack Query), and turning API errors into words. */
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { createTRPCClient, httpBatchLink, TRPCClientError } from "@trpc/client";
import { createTRPCContext } from "@trpc/tanstack-react-query";
import { useState } from "react";
import superjson from "superjson";
import type { AppRouter } from "@/server/api/root";
import type { Dictionary } from "./i18n/dictionaries";

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

/** The clearest message for an API error, in the reader's language when we know the reason. */
export function errorText(t: Dictionary, error: unknown): string {
  if (error instanceof TRPCClientError) {
    const data = error.data as { reason?: string | null; zodError?: { formErrors: string[]; fieldErrors: Record<string, string[]> } | null } | undefined;
    const reason = data?.reason;
    if (reason && reason in t.errors) return t.errors[reason as keyof Dictionary["errors"]];
    if (data?.zodError) {
      const parts = [...data.zodError.formErrors, ...Object.entries(data.zodError.fieldErrors).map(([k, v]) => `${k}: ${v.join(", ")}`)];
      if (parts.length) return parts.join("; ");
    }
    return error.message;
  }
  return t.errors.generic;
}
