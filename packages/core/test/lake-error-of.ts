import { expect } from "vitest";
import { LakeError } from "../src/lake/errors.ts";

/** The LakeError `promise` rejects with; fails the test if it resolves or rejects with anything else. */
export async function lakeErrorOf(promise: Promise<unknown>): Promise<LakeError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(LakeError);
  return error as LakeError;
}
