/**
 * The Glue tables and Athena named queries of the prod stack, synthesized under Pulumi mocks by the
 * infra tests' own synthesizer (infra/test/synth.ts): the declarations a deploy would send, not a copy.
 */
import { fileURLToPath } from "node:url";
import type { GlueTableDefinition } from "@b3/core/lake";

export interface SynthesizedCatalog {
  /** The data lake bucket's root, s3://<bucket>/, that the table locations are under. */
  lakeRoot: string;
  database: string;
  tables: GlueTableDefinition[];
  namedQueries: { name: string; database: string; query: string }[];
}

// biome-ignore lint/suspicious/noExplicitAny: resolved provider inputs are untyped JSON
type Inputs = Record<string, any>;
interface Synthesis {
  errors: string[];
  ofType(type: string): { name: string; inputs: Inputs }[];
  one(type: string, name: string): { inputs: Inputs };
}

const infraTest = fileURLToPath(new URL("../../../infra/test/", import.meta.url));

export async function synthesizedCatalog(): Promise<SynthesizedCatalog> {
  // Loaded by path: the infra program is type-checked by its own tsconfig, with SST's globals.
  await import(`${infraTest}setup.ts`);
  const { synthesize } = (await import(`${infraTest}synth.ts`)) as {
    synthesize(options: {
      stage: string;
      env?: Record<string, string | undefined>;
    }): Promise<Synthesis>;
  };
  const cwd = process.cwd();
  let app: Synthesis;
  try {
    app = await synthesize({
      stage: "prod",
      env: { B3_GITHUB_REPOSITORY: "acme/b3-pipeline", B3_GITHUB_OIDC_PROVIDER_ARN: undefined },
    });
  } finally {
    // SST's run() changes the working directory.
    process.chdir(cwd);
  }
  if (app.errors.length > 0) throw new Error(`synthesis failed: ${app.errors.join("; ")}`);
  const bucket = app.one("aws:s3/bucket:Bucket", "DataLakeBucketBucket").inputs.bucket as string;
  const tables = app.ofType("aws:glue/catalogTable:CatalogTable").map(({ inputs }) => {
    const sd = inputs.storageDescriptor;
    return {
      name: inputs.name,
      description: inputs.description,
      columns: sd.columns.map((c: Inputs) => ({
        name: c.name,
        type: c.type,
        ...(c.comment ? { comment: c.comment } : {}),
      })),
      partitionKeys: (inputs.partitionKeys ?? []).map((k: Inputs) => ({
        name: k.name,
        type: k.type,
      })),
      location: sd.location,
      inputFormat: sd.inputFormat,
      outputFormat: sd.outputFormat,
      serializationLibrary: sd.serDeInfo.serializationLibrary,
      parameters: inputs.parameters,
    } satisfies GlueTableDefinition;
  });
  const database = app.ofType("aws:glue/catalogDatabase:CatalogDatabase")[0]?.inputs.name;
  const namedQueries = app
    .ofType("aws:athena/namedQuery:NamedQuery")
    .map(({ inputs }) => ({ name: inputs.name, database: inputs.database, query: inputs.query }));
  return { lakeRoot: `s3://${bucket}/`, database, tables, namedQueries };
}
