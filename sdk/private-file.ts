/**
 * Files that hold a private key (HE secret key, signing key): written owner-only (0600). The mode
 * given to writeFile applies only when the file is created, so an existing file with a looser
 * mode is chmod'ed before the secret is written into it.
 */
import { chmodSync, existsSync, writeFileSync } from "node:fs";

export function writePrivateFile(file: string, text: string | Uint8Array): void {
  if (existsSync(file)) chmodSync(file, 0o600);
  writeFileSync(file, text, { mode: 0o600 });
  chmodSync(file, 0o600); // also under a umask or a file created concurrently
}
