import { describe, expect, it } from "vitest";
import { secureCookies } from "./options";

describe("session cookies", () => {
  it("are Secure everywhere but the local machine", () => {
    expect(secureCookies("https://market.example")).toBe(true);
    expect(secureCookies("http://market.example")).toBe(true); // the browser will refuse them: serve over https
    expect(secureCookies("http://10.0.0.5:3000")).toBe(true);
    expect(secureCookies("not a url")).toBe(true);
    expect(secureCookies("http://localhost:3000")).toBe(false);
    expect(secureCookies("http://127.0.0.1:3000")).toBe(false);
    expect(secureCookies("http://[::1]:3000")).toBe(false);
  });
});
