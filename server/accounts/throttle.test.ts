import { describe, expect, it } from "vitest";
import { SignInThrottle } from "./throttle";

describe("SignInThrottle", () => {
  it("locks an email out after five wrong passwords in the window, for a minute, then lets it try again", () => {
    let now = 0;
    const th = new SignInThrottle(5, 15 * 60_000, 60_000, () => now);
    for (let i = 0; i < 4; i++) { th.check("a@x"); th.fail("a@x"); now += 1000; }
    th.check("a@x");
    th.fail("a@x");
    expect(() => th.check("a@x")).toThrow(expect.objectContaining({ reason: "TOO_MANY_ATTEMPTS", code: "RATE_LIMITED" }));
    th.check("b@x"); // another email is not affected
    now += 59_000;
    expect(() => th.check("a@x")).toThrow(/Too many wrong passwords/);
    now += 2_000;
    th.check("a@x");
  });
  it("forgets failures outside the window and after a right password", () => {
    let now = 0;
    const th = new SignInThrottle(3, 10_000, 60_000, () => now);
    th.fail("a@x"); th.fail("a@x");
    now += 11_000;
    th.fail("a@x"); th.fail("a@x");
    th.check("a@x");
    th.succeed("a@x");
    th.fail("a@x"); th.fail("a@x");
    th.check("a@x");
  });
});
