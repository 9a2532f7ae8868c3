import { ed25519 } from "@noble/curves/ed25519.js";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { hex } from "./ledger";
import {
  addCheckpointRequest, checkpointBody, cosign, cosignerKey, NoteError, parseAddCheckpoint, parseCheckpointBody, parseNote, signNote, verifierKey, verifyCosignature, verifyNoteSignature,
} from "./note";

const secret = new Uint8Array(32).fill(1);
const pub = ed25519.getPublicKey(secret);
const signer = (m: Uint8Array) => ed25519.sign(m, secret);
const cp = { origin: "example.com/log", size: 20852163, root: hex(new Uint8Array(32).fill(0xab)) };

describe("C2SP signed notes", () => {
  it("signs a checkpoint body that parses back and verifies; a changed body or another name does not", () => {
    const body = checkpointBody(cp);
    expect(body).toBe(`example.com/log\n20852163\n${Buffer.alloc(32, 0xab).toString("base64")}\n`);
    const note = signNote(body, cp.origin, pub, signer);
    const parsed = parseNote(note);
    expect(parsed.body).toBe(body);
    expect(parseCheckpointBody(parsed.body)).toEqual({ ...cp, extensions: [] });
    expect(verifyNoteSignature(parsed, cp.origin, pub)).toBe(true);
    expect(verifyNoteSignature(parseNote(note.replace("20852163", "20852164")), cp.origin, pub)).toBe(false);
    expect(verifyNoteSignature(parsed, "other.example/log", pub)).toBe(false);
  });

  it("computes vkeys as the signed-note spec does: name+hex(SHA-256(name\\n type key)[:4])+base64(type key)", () => {
    const vkey = verifierKey("example.com/log", pub);
    const [name, id, key] = vkey.split("+");
    expect(name).toBe("example.com/log");
    expect(id).toMatch(/^[0-9a-f]{8}$/);
    expect(Buffer.from(key!, "base64")[0]).toBe(0x01);
    expect(cosignerKey("w.example/1", pub).split("+")[2]).toBe(Buffer.from([0x04, ...pub]).toString("base64"));
    expect(() => verifierKey("has space", pub)).toThrow(NoteError);
    expect(() => verifierKey("has+plus", pub)).toThrow(NoteError);
  });

  it("cosignatures carry their time and cover the whole body", () => {
    const body = checkpointBody(cp);
    const note = signNote(body, cp.origin, pub, signer) + cosign(body, "w.example/1", pub, 1679315147, signer);
    expect(verifyCosignature(parseNote(note), "w.example/1", pub)).toBe(1679315147);
    expect(verifyCosignature(parseNote(note), "w.example/2", pub)).toBeNull();
    const tampered = note.replace(`${cp.size}\n`, `${cp.size + 1}\n`);
    expect(verifyCosignature(parseNote(tampered), "w.example/1", pub)).toBeNull();
  });

  it("add-checkpoint requests round-trip and bad ones are refused", () => {
    const proof = [hex(new Uint8Array(32).fill(1)), hex(new Uint8Array(32).fill(2))];
    const note = signNote(checkpointBody(cp), cp.origin, pub, signer);
    expect(parseAddCheckpoint(addCheckpointRequest(5, proof, note))).toEqual({ oldSize: 5, proof, note });
    for (const bad of ["old 05\n\nx", "old -1\n\nx", "new 5\n\nx", "old 5\nnotbase64!\n\nx", "old 5"]) expect(() => parseAddCheckpoint(bad)).toThrow(NoteError);
  });

  it("rejects malformed notes and bodies with NoteError only", () => {
    for (const bad of ["", "body\n", "body\n\n— a\n", "body\n\n— a AAAA\n", "a\n\n— n AAAAAAAA\x01\n"]) expect(() => parseNote(bad)).toThrow(NoteError);
    for (const bad of ["a\n1\n", "a\n01\nAA==\n", "\n1\nAA==\n", `a\n1\n${Buffer.alloc(31).toString("base64")}\n`]) expect(() => parseCheckpointBody(bad)).toThrow(NoteError);
    fc.assert(fc.property(fc.string({ unit: "binary", maxLength: 300 }), (s) => {
      try { parseCheckpointBody(parseNote(s).body); } catch (e) { if (!(e instanceof NoteError)) throw e; }
    }), { numRuns: 500 });
  });
});
