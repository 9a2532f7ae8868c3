/** A buyer's recent queries, each reopened in the console (its result decrypted again in this browser). */
import Link from "next/link";
import { orgLabel } from "../../../_components/shell";
import { dateTime, epsilon } from "../../../_lib/format";
import type { Dictionary, Locale } from "../../../i18n/dictionaries";

type Q = { id: string; product: { name: string; nameZh: string | null }; createdAt: Date; epsilon: number; status: "QUEUED" | "RUNNING" | "SUCCEEDED" | "FAILED"; error: string | null };

export function RecentQueries({ queries, t, locale, bare }: { queries: Q[]; t: Dictionary; locale: Locale; bare?: boolean }) {
  const table = (
    <table data-testid="recent-queries">
      <thead><tr><th>{t.query.product}</th><th>{t.query.when}</th><th>ε</th><th>{t.query.state}</th><th /></tr></thead>
      <tbody>
        {queries.map((q) => (
          <tr key={q.id}>
            <td>{orgLabel(q.product, locale)}</td>
            <td>{dateTime(q.createdAt, locale)}</td>
            <td>{q.epsilon ? epsilon(q.epsilon, locale) : "—"}</td>
            <td>{t.query.status[q.status]}{q.error ? `: ${q.error}` : ""}</td>
            <td>{q.status === "SUCCEEDED" && <Link href={`/buyer/query?job=${q.id}`}>{t.query.reopen}</Link>}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
  return bare ? table : <section className="panel"><h2>{t.query.recent}</h2>{table}</section>;
}
