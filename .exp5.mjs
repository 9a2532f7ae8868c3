import SEAL from "node-seal";
import { execFileSync } from "node:child_process";
const seal = await SEAL();
const parms = seal.EncryptionParameters(seal.SchemeType.bfv);
parms.setPolyModulusDegree(8192);
parms.setCoeffModulus(seal.CoeffModulus.BFVDefault(8192));
parms.setPlainModulus(seal.PlainModulus.Batching(8192, 60));
const ctx = seal.Context(parms, true, seal.SecurityLevel.tc128);
const kg = seal.KeyGenerator(ctx); const pk = kg.createPublicKey(); const sk = kg.secretKey();
const enc = seal.Encryptor(ctx, pk); const be = seal.BatchEncoder(ctx); const dec = seal.Decryptor(ctx, sk);
const arr = new BigInt64Array(8192).fill(7n);
const good = enc.encrypt(be.encode(arr));
const zs = Buffer.from(good.save(), "base64");
const fhd = zs[20]; console.log("FHD", fhd.toString(16), "FCS", zs.readUInt32LE(21));
const bn = Buffer.from(good.save(seal.ComprModeType.none), "base64");
console.log("none payload", bn.length - 16);
function wrapZstd(payload) {
  const comp = execFileSync("zstd", ["-q", "-c", "-3"], { input: payload });
  const h = Buffer.alloc(16); h.set(bn.subarray(0, 8)); h[5] = 2; h.writeBigUInt64LE(BigInt(16 + comp.length), 8);
  return Buffer.concat([h, comp]).toString("base64");
}
const ctry = (str) => { const c = seal.CipherText(); try { c.load(ctx, str); return "LOADED"; } catch (e) { return e.message; } finally { c.delete(); } };
console.log("rewrapped good:", ctry(wrapZstd(bn.subarray(16))));
// claim size=3 polys, same data length
const p = Buffer.from(bn.subarray(16)); p.writeBigUInt64LE(3n, 33);
console.log("claims 3 polys:", ctry(wrapZstd(p)));
// inner DynArray count bigger
const p2 = Buffer.from(bn.subarray(16)); console.log("inner hdr", [...p2.subarray(73, 97)]);
p2.writeBigUInt64LE(BigInt(p2.readBigUInt64LE(89)) , 89);
const before = process.memoryUsage().rss;
let n = 0; for (let i = 0; i < 300; i++) { if (ctry(wrapZstdCached()) !== "LOADED") n++; }
function wrapZstdCached() { return wrapZstdCached.v ??= wrapZstd(p); }
console.log("300 crafted aborts:", n, "rss MB", ((process.memoryUsage().rss - before)/1e6).toFixed(0));
console.log("roundtrip after:", be.decodeBigInt(dec.decrypt(enc.encrypt(be.encode(arr))), true)[3], ctry(good.save()));
