// The parts of snarkjs and circomlibjs this project uses (neither ships types).
declare module "snarkjs" {
  type Signals = Record<string, unknown>;
  type Logger = { debug(...a: unknown[]): void; info(...a: unknown[]): void; warn(...a: unknown[]): void; error(...a: unknown[]): void };
  export const groth16: {
    fullProve(input: Signals, wasm: string | { type: "mem"; data: Uint8Array }, zkey: string | { type: "mem"; data: Uint8Array }, logger?: Logger): Promise<{ proof: object; publicSignals: string[] }>;
    prove(zkey: string, wtns: { type: "mem"; data?: Uint8Array } | string, logger?: Logger): Promise<{ proof: object; publicSignals: string[] }>;
    verify(vkey: object, publicSignals: string[], proof: object, logger?: Logger): Promise<boolean>;
  };
  export const zKey: {
    newZKey(r1cs: string, ptau: string, zkey: string, logger?: Logger): Promise<unknown>;
    contribute(oldZkey: string, newZkey: string, name: string, entropy: string, logger?: Logger): Promise<unknown>;
    exportVerificationKey(zkey: string, logger?: Logger): Promise<object>;
    verifyFromR1cs(r1cs: string, ptau: string, zkey: string, logger?: Logger): Promise<boolean>;
  };
  export const wtns: { calculate(input: Signals, wasm: string, out: { type: "mem"; data?: Uint8Array } | string): Promise<void> };
  export const r1cs: { info(r1cs: string, logger?: Logger): Promise<{ nConstraints: number; nPubInputs: number; nPrvInputs: number; nOutputs: number; nVars: number }> };
}
declare module "circomlibjs" {
  export function buildPoseidon(): Promise<((inputs: bigint[]) => Uint8Array) & { F: { toObject(x: Uint8Array): bigint } }>;
}
