/** Whether an opt-in environment switch (B3_DEBUG, B3_PROFILE) is on: its value is 1 or true, in any case, blanks around ignored, as the Glue job reads its own. */
export function envSwitchOn(value: string | undefined): boolean {
  return ["1", "true"].includes((value ?? "").trim().toLowerCase());
}
