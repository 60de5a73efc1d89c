/** An invalid argument from the person or system calling us (bad date, bad ticker list): exit code 2, nothing attempted. */
export class UsageError extends Error {
  override name = "UsageError";
}
