import { describe, expect, it } from "vitest";
import { envSwitchOn } from "../src/env-switch.ts";

describe("envSwitchOn", () => {
  it("is on for 1 and true in any case, blanks around ignored", () => {
    for (const value of ["1", "true", "TRUE", " True ", "1\n"])
      expect(envSwitchOn(value)).toBe(true);
  });
  it("is off when unset, empty or anything else", () => {
    for (const value of [undefined, "", "0", "false", "yes", "on", "2"])
      expect(envSwitchOn(value)).toBe(false);
  });
});
