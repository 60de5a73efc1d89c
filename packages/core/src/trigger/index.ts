/** The trigger domain: S3 object-created events on raw/ turned into Glue job runs, one per raw file. */
export * from "./errors.ts";
export * from "./glue-trigger.ts";
