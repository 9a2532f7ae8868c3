/**
 * A worker thread that commits one dataset (computation/zk/service.ts): it opens the dataset
 * with its own connector, hashes every row, and posts the commitment back. The node's main
 * thread keeps answering meanwhile, on the machine's other core.
 */
import { parentPort, workerData } from "node:worker_threads";
import { createConnector, type ConnectorConfig } from "../aggregate/connectors";
import { fastHasher } from "@/core/zk/hash";
import { commitDataset, type DatasetCommitment } from "./node";

const job = workerData as { source: ConnectorConfig; dataset: string; chunkRows: number; secret: Uint8Array; previous: DatasetCommitment | null };
const connector = createConnector(job.source);
try {
  const c = await commitDataset(connector, job.dataset, job.chunkRows, job.secret, await fastHasher(), job.previous);
  parentPort!.postMessage({ ok: true, commitment: c });
} catch (e) {
  parentPort!.postMessage({ ok: false, code: (e as { code?: string }).code, message: (e as Error).message });
} finally {
  await connector.close();
}
